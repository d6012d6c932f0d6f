// One storage interface for inputs and outputs, built from a URI by
// OpenObjectStore: a local directory (local_store.h), s3://bucket/prefix
// (s3_store.h) or mem://name/prefix (memory_store.h, for tests). Keys are
// '/'-separated paths relative to the store's root, never starting with '/'
// and never holding empty, "." or ".." components (ValidateKey).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace verger {

struct ObjectInfo {
  std::string key;       // relative to the store root
  uint64_t size = 0;     // bytes
  int64_t mtime_ns = 0;  // local: modification time; 0 where unknown
  std::string etag;      // S3 ETag (quotes stripped); empty for local files
};

// Something under the root that looks like an object but cannot be one
// (a directory named "x.jpg", a symlink loop, an unreadable folder).
struct ListingProblem {
  std::string key;
  std::string reason;
};

struct Listing {
  std::vector<ObjectInfo> objects;  // sorted by key (bytewise)
  std::vector<ListingProblem> problems;
};

// Receives listed objects one at a time, in key order; a non-OK Status stops
// the listing and is returned by ListEach.
using ObjectVisitor = std::function<Status(ObjectInfo&& object)>;

class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The URI this store was opened from (no credentials), e.g. "/data/in" or
  // "s3://bucket/prefix".
  virtual std::string uri() const = 0;

  // Human-readable location of `key` for error messages.
  virtual std::string Describe(std::string_view key) const = 0;

  // Recursively lists every object whose key starts with `prefix` (a folder
  // prefix such as "features/" or ""), sorted by key. Objects whose key ends
  // in a name accepted by `accept` (nullptr = all) are returned; problems are
  // reported, not fatal. NotFound if the root itself does not exist.
  // Thread-safe.
  virtual Result<Listing> List(std::string_view prefix,
                               bool (*accept)(std::string_view key) = nullptr) const = 0;

  // List without holding the whole listing: calls `visit` for each object
  // List would return, in the same (key) order, and appends problems to
  // `problems` in the order met. Memory stays flat however many objects
  // there are (local: the entries of one folder at a time; S3: one page).
  // The default calls List. Thread-safe.
  virtual Status ListEach(std::string_view prefix, bool (*accept)(std::string_view key), const ObjectVisitor& visit,
                          std::vector<ListingProblem>* problems) const;

  // For stores whose ListEach streams: List built from it (objects in key
  // order, problems sorted by key).
  Result<Listing> ListFromEach(std::string_view prefix, bool (*accept)(std::string_view key)) const;

  // Reads one whole object into memory. NotFound if absent, PermissionDenied
  // if not readable, IOError otherwise. Thread-safe.
  virtual Result<std::vector<uint8_t>> Read(std::string_view key) const = 0;

  // Read, but ResourceExhausted (FileTooBigMessage) for an object of more
  // than `max_bytes`, without holding more than about `max_bytes` in memory
  // (local files and S3 do; this default reads first and checks after).
  // Thread-safe.
  virtual Result<std::vector<uint8_t>> ReadAtMost(std::string_view key, uint64_t max_bytes) const;

  // Stores `data` under `key` so that readers see either no object or the
  // whole one, never a partial one; replaces an existing object. Thread-safe.
  virtual Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) = 0;

  // Whether `key` exists. Thread-safe.
  virtual Result<bool> Exists(std::string_view key) const = 0;

  // Deletes `key`; OK if it did not exist. Thread-safe.
  virtual Status Delete(std::string_view key) = 0;

  // Requests this store has retried so far, from all threads, for run
  // reports and manifests. The default, for stores that never retry, is 0.
  // Thread-safe.
  virtual int64_t retries() const { return 0; }

  // How many reads are worth having in flight at once (the image loader's
  // default I/O threads): network stores hide their latency behind many
  // requests, a local disk needs few. The default is 2.
  virtual int preferred_io_concurrency() const { return 2; }

  // The local directory whose files are this store's objects, or null (the
  // default) for stores that are not a local folder (S3, memory). Lets a job
  // lock a local output with flock(2) instead of a lease object.
  virtual const std::filesystem::path* local_root() const { return nullptr; }
};

struct StoreOptions {
  bool create = false;       // make a missing local root directory
  std::string s3_endpoint;   // e.g. http://127.0.0.1:7480; empty = AWS_ENDPOINT_URL or AWS
  std::string s3_region;     // empty = AWS_REGION / AWS_DEFAULT_REGION / profile / us-east-1
  bool s3_path_style = false;  // bucket in the path instead of the host name
  // Null, or wraps each store OpenObjectStore opens: how a test hands a job,
  // which opens its stores by URI, a FaultyObjectStore (faulty_store.h).
  std::function<std::unique_ptr<ObjectStore>(std::unique_ptr<ObjectStore>)> wrap;
};

// Opens a store from a URI: a local path (absolute or relative, or file://),
// s3://bucket/prefix, or mem://name/prefix (a bucket of this process's
// memory; options.create makes a missing one).
Result<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri, const StoreOptions& options = {});

// Checks a key is relative, '/'-separated and has no empty, "." or ".."
// component and no NUL, so it can never address anything outside the root.
Status ValidateKey(std::string_view key);

}  // namespace verger
