// An ObjectStore that passes every call to another one except those a Fault
// selects, which fail with a chosen code before reaching it (so a failed
// write writes nothing, as a failed atomic write must). Like LevelDB's
// FaultInjectionTestEnv: tests use it to check that a job stopped by an
// outage or a disk error leaves a consistent output and can be resumed.
// A job that opens its stores by URI gets one through StoreOptions::wrap.
//
// Thread-safe: faults and counters are guarded; the wrapped store is called
// outside the lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "io/object_store.h"

namespace verger {

// The kinds of operation a Fault watches, as bits.
enum StoreOp : unsigned {
  kStoreRead = 1,    // Read, ReadAtMost
  kStoreWrite = 2,   // WriteAtomic
  kStoreList = 4,    // List, ListEach (the key matched is the prefix)
  kStoreExists = 8,  // Exists
  kStoreDelete = 16, // Delete
  kStoreAnyOp = 31,
};

struct Fault {
  unsigned ops = kStoreWrite;    // StoreOp bits
  std::string key_glob = "*";    // fnmatch(3) pattern on the key; '*' matches '/' too
  int64_t nth = 0;               // fail only the nth matching operation (1-based, counted from when the
                                 // fault was added); 0 = every matching operation
  StatusCode code = StatusCode::kIOError;
};

// The nth write (or read) of any key, and every operation of `ops` on keys
// matching `glob`.
Fault FailNthWrite(int64_t nth, StatusCode code = StatusCode::kIOError);
Fault FailNthRead(int64_t nth, StatusCode code = StatusCode::kIOError);
Fault FailMatching(unsigned ops, std::string glob, StatusCode code = StatusCode::kIOError);

class FaultyObjectStore final : public ObjectStore {
 public:
  explicit FaultyObjectStore(std::unique_ptr<ObjectStore> base, std::vector<Fault> faults = {});

  void Add(Fault fault);
  void Clear();                      // no more faults; counters stay
  int64_t injected() const;          // operations failed by a fault so far
  int64_t seen(unsigned ops) const;  // operations of kinds `ops` so far, failed or not
  int64_t objects_listed() const;    // objects List and ListEach handed over so far
  ObjectStore& base() { return *base_; }

  std::string uri() const override { return base_->uri(); }
  std::string Describe(std::string_view key) const override { return base_->Describe(key); }
  Result<Listing> List(std::string_view prefix, bool (*accept)(std::string_view key)) const override;
  Status ListEach(std::string_view prefix, bool (*accept)(std::string_view key), const ObjectVisitor& visit,
                  std::vector<ListingProblem>* problems) const override;
  Result<std::vector<uint8_t>> Read(std::string_view key) const override;
  Result<std::vector<uint8_t>> ReadAtMost(std::string_view key, uint64_t max_bytes) const override;
  Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) override;
  Result<bool> Exists(std::string_view key) const override;
  Status Delete(std::string_view key) override;
  int64_t retries() const override { return base_->retries(); }
  int preferred_io_concurrency() const override { return base_->preferred_io_concurrency(); }
  const std::filesystem::path* local_root() const override { return base_->local_root(); }

 private:
  struct Armed {
    Fault fault;
    int64_t matched = 0;
  };
  // Counts the operation; the injected error if a fault selects it, else OK.
  Status Check(StoreOp op, std::string_view key) const;

  std::unique_ptr<ObjectStore> base_;
  mutable std::mutex mu_;
  mutable std::vector<Armed> faults_;
  mutable int64_t injected_ = 0;
  mutable int64_t seen_[5] = {};  // by StoreOp bit
  mutable std::atomic<int64_t> objects_listed_{0};
};

}  // namespace verger
