#include "io/memory_store.h"

#include <map>
#include <mutex>
#include <shared_mutex>

#include "core/file_util.h"
#include "core/hash.h"

namespace verger {

namespace {

struct Object {
  std::vector<uint8_t> bytes;
  std::string etag;
};

}  // namespace

// Objects are immutable once stored: a write swaps in a new shared_ptr, so a
// reader copies the bytes it found outside the lock and never sees a mix.
struct MemoryBucket {
  mutable std::shared_mutex mu;
  std::map<std::string, std::shared_ptr<const Object>, std::less<>> objects;  // bytewise key order
};

namespace {

struct Registry {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<MemoryBucket>, std::less<>> buckets;
};

Registry& TheRegistry() {
  static Registry* registry = new Registry();  // never destroyed: stores may outlive static destruction
  return *registry;
}

bool ValidBucketName(std::string_view name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

std::shared_ptr<const Object> Find(const MemoryBucket& b, const std::string& key) {
  std::shared_lock lock(b.mu);
  auto it = b.objects.find(key);
  return it == b.objects.end() ? nullptr : it->second;
}

}  // namespace

MemoryObjectStore::MemoryObjectStore(std::shared_ptr<MemoryBucket> bucket, std::string name, std::string prefix)
    : bucket_(std::move(bucket)), name_(std::move(name)), prefix_(std::move(prefix)) {
  root_ = prefix_.empty() ? "" : prefix_ + "/";
}

MemoryObjectStore::~MemoryObjectStore() = default;

Result<std::unique_ptr<MemoryObjectStore>> MemoryObjectStore::Open(std::string_view uri, const StoreOptions& options) {
  constexpr std::string_view kScheme = "mem://";
  if (uri.substr(0, kScheme.size()) != kScheme)
    return Status::InvalidArgument(std::string(uri) + ": not a mem:// location");
  std::string rest(uri.substr(kScheme.size()));
  while (!rest.empty() && rest.back() == '/') rest.pop_back();
  const size_t slash = rest.find('/');
  std::string name = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  if (!ValidBucketName(name))
    return Status::InvalidArgument(std::string(uri) + ": bad memory store name '" + name +
                                   "' (give mem://<name>[/prefix], the name of letters, digits, '-', '_', '.')");
  if (!prefix.empty()) {
    Status ok = ValidateKey(prefix);
    if (!ok.ok()) return Status::InvalidArgument(std::string(uri) + ": bad prefix: " + ok.message());
  }
  std::shared_ptr<MemoryBucket> bucket;
  {
    Registry& r = TheRegistry();
    std::lock_guard lock(r.mu);
    auto it = r.buckets.find(name);
    if (it != r.buckets.end()) {
      bucket = it->second;
    } else if (options.create) {
      bucket = std::make_shared<MemoryBucket>();
      r.buckets.emplace(name, bucket);
    } else {
      return Status::NotFound(std::string(uri) + ": no memory store named '" + name + "' in this process");
    }
  }
  return std::unique_ptr<MemoryObjectStore>(new MemoryObjectStore(std::move(bucket), std::move(name), std::move(prefix)));
}

void DropMemoryBucket(std::string_view name) {
  Registry& r = TheRegistry();
  std::lock_guard lock(r.mu);
  auto it = r.buckets.find(name);
  if (it != r.buckets.end()) r.buckets.erase(it);
}

std::string MemoryObjectStore::uri() const { return "mem://" + name_ + (prefix_.empty() ? "" : "/" + prefix_); }

std::string MemoryObjectStore::Describe(std::string_view key) const {
  return uri() + "/" + std::string(key);
}

Result<Listing> MemoryObjectStore::List(std::string_view prefix, bool (*accept)(std::string_view key)) const {
  Listing out;
  const std::string full = FullKey(prefix);
  std::shared_lock lock(bucket_->mu);
  for (auto it = bucket_->objects.lower_bound(full); it != bucket_->objects.end(); ++it) {
    if (it->first.compare(0, full.size(), full) != 0) break;
    std::string key = it->first.substr(root_.size());
    if (accept != nullptr && !accept(key)) continue;
    out.objects.push_back({std::move(key), it->second->bytes.size(), 0, it->second->etag});
  }
  return out;
}

Result<std::vector<uint8_t>> MemoryObjectStore::Read(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  auto object = Find(*bucket_, FullKey(key));
  if (!object) return Status::NotFound(Describe(key) + ": no such object");
  return object->bytes;
}

Result<std::vector<uint8_t>> MemoryObjectStore::ReadAtMost(std::string_view key, uint64_t max_bytes) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  auto object = Find(*bucket_, FullKey(key));
  if (!object) return Status::NotFound(Describe(key) + ": no such object");
  if (object->bytes.size() > max_bytes)
    return Status::ResourceExhausted(Describe(key) + ": " + FileTooBigMessage(object->bytes.size(), max_bytes));
  return object->bytes;
}

Status MemoryObjectStore::WriteAtomic(std::string_view key, std::span<const uint8_t> data) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  // Built outside the lock: only the swap is serialised.
  auto object = std::make_shared<Object>();
  object->bytes.assign(data.begin(), data.end());
  object->etag = Sha256Hex(data).substr(0, 32);
  std::unique_lock lock(bucket_->mu);
  bucket_->objects.insert_or_assign(FullKey(key), std::move(object));
  return Status::OK();
}

Result<bool> MemoryObjectStore::Exists(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  return Find(*bucket_, FullKey(key)) != nullptr;
}

Status MemoryObjectStore::Delete(std::string_view key) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  std::shared_ptr<const Object> gone;  // freed after the lock is released
  std::unique_lock lock(bucket_->mu);
  auto it = bucket_->objects.find(FullKey(key));
  if (it != bucket_->objects.end()) {
    gone = std::move(it->second);
    bucket_->objects.erase(it);
  }
  return Status::OK();
}

}  // namespace verger
