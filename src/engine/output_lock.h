// One writer per output. Two jobs writing one output would interleave
// partitions and delete each other's temporaries, leaving rows that no
// manifest lists. A job holds the output's lock from start to finish:
// - local folders: flock(2) on <output>/.verger.lock (hidden from listings);
//   the kernel drops it when the process dies, so a lock file that still
//   names a job but is not locked is stale and is taken over;
// - S3: a lease object _state/lease.json naming the run (id, host, pid,
//   start, expiry), renewed as partitions finish and checked to still name
//   this run before anything is finalised; an expired lease, or one of a
//   process on this host that no longer exists, is stale and taken over.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "engine/output_layout.h"  // kLeaseKey
#include "io/object_store.h"

namespace verger {

inline constexpr const char* kLocalLockName = ".verger.lock";

class OutputLock {
 public:
  // Takes the lock of `out` for `command` ("extract", "run", ...).
  // AlreadyExists (exit 2) naming the running job (host, pid, start time,
  // command) if another job holds it. A stale lock is taken over, with a
  // message on stderr naming the job that left it.
  static Result<std::unique_ptr<OutputLock>> Acquire(ObjectStore& out, std::string_view command,
                                                     std::chrono::seconds lease_ttl = std::chrono::minutes(30));
  ~OutputLock();  // releases (local: empties the file and unlocks; S3: deletes the lease if still ours)
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

  // Before finalising (markers, errors.csv, manifest): S3 checks the lease
  // still names this run and renews it; AlreadyExists if another job took
  // it over. Local: OK (flock cannot be lost while the process lives).
  Status Confirm();

  const std::string& run_id() const { return run_id_; }

 private:
  OutputLock() = default;
  ObjectStore* out_ = nullptr;
  int fd_ = -1;  // local lock file
  std::string run_id_, holder_json_;
  std::chrono::seconds ttl_{0};
};

}  // namespace verger
