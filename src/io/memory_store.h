// ObjectStore held in process memory, like LevelDB's memenv: the engine's
// unit tests run whole jobs on it at memory speed, with no disk or network.
//
// Locations are mem://<name>[/prefix]. <name> (letters, digits, '-', '_',
// '.') is a bucket in a process-wide registry, so a job that opens its input
// and output by URI (RunExtract with --input mem://in --output mem://out)
// sees what a test wrote there. Opening a name that was never created is
// NotFound unless StoreOptions::create; an unused prefix of an existing
// bucket lists as empty (S3's behaviour). Several stores opened on one
// bucket share its objects.
//
// Objects behave as on S3: "a" and "a/b" may both exist (no folders);
// ObjectInfo::mtime_ns is 0 and etag is a digest of the bytes, so rewriting
// the same bytes leaves an object "unchanged" for --resume. Nothing is ever
// reported as a ListingProblem.
//
// Thread safety: every method may be called from many threads at once.
// Readers see an object's old or new bytes, never a mix.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "io/object_store.h"

namespace verger {

struct MemoryBucket;  // the objects of one mem://<name>, shared by its stores

class MemoryObjectStore final : public ObjectStore {
 public:
  ~MemoryObjectStore() override;

  // Opens mem://<name>[/prefix]: InvalidArgument for a malformed URI or
  // name, NotFound for a bucket never created unless options.create.
  static Result<std::unique_ptr<MemoryObjectStore>> Open(std::string_view uri, const StoreOptions& options);

  std::string uri() const override;
  std::string Describe(std::string_view key) const override;
  Result<Listing> List(std::string_view prefix, bool (*accept)(std::string_view key)) const override;
  Result<std::vector<uint8_t>> Read(std::string_view key) const override;
  // Refuses an oversized object before copying it.
  Result<std::vector<uint8_t>> ReadAtMost(std::string_view key, uint64_t max_bytes) const override;
  Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) override;
  Result<bool> Exists(std::string_view key) const override;
  Status Delete(std::string_view key) override;
  // Memory answers at once: a few reads in flight keep decoders fed.
  int preferred_io_concurrency() const override { return 2; }

 private:
  MemoryObjectStore(std::shared_ptr<MemoryBucket> bucket, std::string name, std::string prefix);
  std::string FullKey(std::string_view key) const { return root_ + std::string(key); }

  std::shared_ptr<MemoryBucket> bucket_;
  std::string name_;    // registry name
  std::string prefix_;  // without trailing '/'
  std::string root_;    // prefix_ + "/", or "" at the bucket root
};

// Forgets bucket <name> (its objects go once no store holds them); a later
// Open with create starts it empty. OK if there was none. For tests.
void DropMemoryBucket(std::string_view name);

}  // namespace verger
