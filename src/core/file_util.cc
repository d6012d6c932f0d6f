#include "core/file_util.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <new>

namespace verger {

std::string ErrnoMessage(int err) { return std::strerror(err); }

Result<int> OpenForReading(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) return fd;
  int err = errno;
  std::string msg = path.string() + ": cannot open: " + ErrnoMessage(err);
  if (err == ENOENT) return Status::NotFound(msg);
  if (err == EACCES) return Status::PermissionDenied(msg);
  return Status::IOError(msg);
}

Result<std::vector<uint8_t>> ReadFileBytes(const std::filesystem::path& path, uint64_t max_bytes) {
  VERGER_ASSIGN_OR_RETURN(int fd, OpenForReading(path));
  auto too_big = [&](uint64_t size) {
    ::close(fd);
    return Status::ResourceExhausted(path.string() + ": " + FileTooBigMessage(size, max_bytes));
  };
  std::vector<uint8_t> out;
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    // Refused before a byte is read; otherwise one allocation of the right size.
    if (static_cast<uint64_t>(st.st_size) > max_bytes) return too_big(static_cast<uint64_t>(st.st_size));
    try {
      out.reserve(static_cast<size_t>(st.st_size));
    } catch (const std::bad_alloc&) {  // a limit set above what this process may hold
      ::close(fd);
      return Status::ResourceExhausted(path.string() + ": file is " + std::to_string(st.st_size) +
                                       " bytes, more than this process can allocate; lower --max-file-bytes");
    }
  }
  uint8_t buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return Status::IOError(path.string() + ": read failed: " + ErrnoMessage(err));
    }
    if (n == 0) break;
    if (out.size() + static_cast<uint64_t>(n) > max_bytes) return too_big(out.size() + static_cast<uint64_t>(n));  // it grew
    out.insert(out.end(), buf, buf + n);
  }
  ::close(fd);
  return out;
}

std::string FileTooBigMessage(uint64_t size, uint64_t max_bytes) {
  return "file is " + std::to_string(size) + " bytes, above the limit of " + std::to_string(max_bytes) +
         " bytes (--max-file-bytes; raise it to read larger files)";
}

Result<std::string> ReadFileText(const std::filesystem::path& path) {
  VERGER_ASSIGN_OR_RETURN(auto bytes, ReadFileBytes(path));
  return std::string(bytes.begin(), bytes.end());
}

Status WriteFileAtomic(const std::filesystem::path& path, std::span<const uint8_t> data) {
  static std::atomic<uint64_t> counter{0};
  std::error_code ec;
  if (path.has_parent_path()) {
    std::filesystem::create_directories(path.parent_path(), ec);
    if (ec) return Status::IOError(path.parent_path().string() + ": cannot create directory: " + ec.message());
  }
  std::filesystem::path tmp = path;
  tmp += ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::IOError(tmp.string() + ": cannot create: " + ErrnoMessage(errno));
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return Status::IOError(tmp.string() + ": write failed: " + ErrnoMessage(err));
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(tmp.string() + ": fsync/close failed: " + ErrnoMessage(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return Status::IOError(path.string() + ": rename from temporary failed: " + ErrnoMessage(err));
  }
  return Status::OK();
}

Status WriteFileAtomic(const std::filesystem::path& path, std::string_view text) {
  return WriteFileAtomic(path, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

}  // namespace verger
