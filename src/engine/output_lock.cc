#include "engine/output_lock.h"
#include "core/json_field.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <random>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "core/utf8.h"
#include "engine/output_layout.h"

namespace verger {

namespace {

using json = nlohmann::json;

std::string HostName() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown-host";
  return buf;
}

std::string IsoTime(std::time_t t) {
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

std::string NewRunId() {
  std::random_device rd;
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

// "pid 123 on host h, started 2026-...Z (verger run)".
std::string DescribeHolder(const json& h) {
  return "pid " + std::to_string(JsonField(h, "pid", int64_t{0})) + " on host " + JsonField(h, "host", std::string("?")) +
         ", started " + JsonField(h, "started", std::string("?")) + " (verger " + JsonField(h, "command", std::string("?")) +
         ")";
}

json ParseHolder(std::string_view text) {
  auto h = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  return h.is_object() ? h : json::object();
}

void SayTakenOver(const std::string& where, const json& h, const char* why) {
  std::fprintf(stderr, "verger: %s: taking over the lock left by a job that %s: %s\n", where.c_str(), why,
               DescribeHolder(h).c_str());
}

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

}  // namespace

Result<std::unique_ptr<OutputLock>> OutputLock::Acquire(ObjectStore& out, std::string_view command,
                                                        std::chrono::seconds lease_ttl) {
  std::unique_ptr<OutputLock> lock(new OutputLock());
  lock->out_ = &out;
  lock->ttl_ = lease_ttl;
  lock->run_id_ = NewRunId();
  const std::time_t now = std::time(nullptr);
  json holder = {{"run_id", lock->run_id_}, {"host", EscapeNonUtf8(HostName())}, {"pid", static_cast<int64_t>(::getpid())},
                 {"started", IsoTime(now)}, {"command", std::string(command)}};

  if (const std::filesystem::path* root = out.local_root()) {
    const auto path = *root / kLocalLockName;
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return Status::IOError(path.string() + ": cannot open the output's lock file: " + ErrnoMessage(errno));
    std::string previous;
    auto read_all = [&] {
      previous.clear();
      char buf[4096];
      ssize_t n;
      ::lseek(fd, 0, SEEK_SET);
      while ((n = ::read(fd, buf, sizeof buf)) > 0) previous.append(buf, static_cast<size_t>(n));
    };
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      read_all();
      ::close(fd);
      if (err != EWOULDBLOCK) return Status::IOError(path.string() + ": cannot lock: " + ErrnoMessage(err));
      return Status::AlreadyExists(out.uri() + ": another verger job is writing this output: " +
                                   DescribeHolder(ParseHolder(previous)) +
                                   ". Wait for it to finish (or stop it), or choose another --output");
    }
    read_all();
    // Emptied on a clean exit: content here means its writer died holding it.
    if (!previous.empty()) SayTakenOver(out.uri(), ParseHolder(previous), "is no longer running");
    lock->holder_json_ = holder.dump() + "\n";
    if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, lock->holder_json_.data(), lock->holder_json_.size(), 0) < 0) {
      const int err = errno;
      ::close(fd);
      return Status::IOError(path.string() + ": cannot write the lock file: " + ErrnoMessage(err));
    }
    lock->fd_ = fd;
    return lock;
  }

  // Object stores: a lease object.
  auto existing = ReadJson(out, kLeaseKey);
  if (existing.ok() && existing->is_object()) {
    const json& h = *existing;
    const bool expired = JsonField(h, "expires_unix", int64_t{0}) < static_cast<int64_t>(now);
    const bool dead_here = JsonField(h, "host", std::string()) == EscapeNonUtf8(HostName()) &&
                           ::kill(static_cast<pid_t>(JsonField(h, "pid", int64_t{0})), 0) != 0 && errno == ESRCH;
    if (!expired && !dead_here)
      return Status::AlreadyExists(out.uri() + ": another verger job is writing this output: " + DescribeHolder(h) +
                                   " (lease " + out.Describe(kLeaseKey) + " until " +
                                   IsoTime(static_cast<std::time_t>(JsonField(h, "expires_unix", int64_t{0}))) +
                                   "). Wait for it to finish (or stop it), or choose another --output");
    SayTakenOver(out.uri(), h, expired ? "let its lease expire" : "is no longer running on this host");
  } else if (!existing.ok() && existing.status().code() != StatusCode::kNotFound &&
             existing.status().code() != StatusCode::kCorrupt) {
    return existing.status();
  }
  holder["expires_unix"] = static_cast<int64_t>(now + lease_ttl.count());
  lock->holder_json_ = holder.dump();
  VERGER_RETURN_IF_ERROR(out.WriteAtomic(kLeaseKey, Bytes(lock->holder_json_)));
  // Two jobs starting together both wrote: the last write wins, the other leaves.
  VERGER_RETURN_IF_ERROR(lock->Confirm());
  return lock;
}

Status OutputLock::Confirm() {
  if (fd_ >= 0) return Status::OK();
  auto current = ReadJson(*out_, kLeaseKey);
  if (!current.ok() && current.status().code() != StatusCode::kNotFound) return current.status();
  if (!current.ok() || current->value("run_id", std::string()) != run_id_)
    return Status::AlreadyExists(out_->uri() + ": another verger job took over this output's lease" +
                                 (current.ok() ? ": " + DescribeHolder(*current) : std::string()) +
                                 "; this job stops without finalising anything");
  json renewed = ParseHolder(holder_json_);
  renewed["expires_unix"] = static_cast<int64_t>(std::time(nullptr) + ttl_.count());
  holder_json_ = renewed.dump();
  return out_->WriteAtomic(kLeaseKey, Bytes(holder_json_));
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) {
    // Empty = released cleanly (not stale); the kernel drops the flock on close.
    if (::ftruncate(fd_, 0) != 0) { /* a later job then reports a takeover; harmless */ }
    ::close(fd_);
    return;
  }
  auto current = ReadJson(*out_, kLeaseKey);
  if (current.ok() && current->value("run_id", std::string()) == run_id_) (void)out_->Delete(kLeaseKey);
}

}  // namespace verger
