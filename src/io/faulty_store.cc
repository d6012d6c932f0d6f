#include "io/faulty_store.h"

#include <fnmatch.h>

#include <bit>

namespace verger {

namespace {

const char* OpName(StoreOp op) {
  switch (op) {
    case kStoreRead: return "read";
    case kStoreWrite: return "write";
    case kStoreList: return "list";
    case kStoreExists: return "exists";
    case kStoreDelete: return "delete";
    default: return "operation";
  }
}

}  // namespace

Fault FailNthWrite(int64_t nth, StatusCode code) { return Fault{kStoreWrite, "*", nth, code}; }
Fault FailNthRead(int64_t nth, StatusCode code) { return Fault{kStoreRead, "*", nth, code}; }
Fault FailMatching(unsigned ops, std::string glob, StatusCode code) { return Fault{ops, std::move(glob), 0, code}; }

FaultyObjectStore::FaultyObjectStore(std::unique_ptr<ObjectStore> base, std::vector<Fault> faults)
    : base_(std::move(base)) {
  for (auto& f : faults) Add(std::move(f));
}

void FaultyObjectStore::Add(Fault fault) {
  std::lock_guard lock(mu_);
  faults_.push_back({std::move(fault), 0});
}

void FaultyObjectStore::Clear() {
  std::lock_guard lock(mu_);
  faults_.clear();
}

int64_t FaultyObjectStore::injected() const {
  std::lock_guard lock(mu_);
  return injected_;
}

int64_t FaultyObjectStore::objects_listed() const { return objects_listed_.load(); }

int64_t FaultyObjectStore::seen(unsigned ops) const {
  std::lock_guard lock(mu_);
  int64_t n = 0;
  for (int bit = 0; bit < 5; ++bit)
    if (ops & (1u << bit)) n += seen_[bit];
  return n;
}

Status FaultyObjectStore::Check(StoreOp op, std::string_view key) const {
  std::lock_guard lock(mu_);
  const int64_t count = ++seen_[std::countr_zero(static_cast<unsigned>(op))];
  const std::string k(key);
  for (auto& armed : faults_) {
    if (!(armed.fault.ops & op) || fnmatch(armed.fault.key_glob.c_str(), k.c_str(), 0) != 0) continue;
    ++armed.matched;
    if (armed.fault.nth != 0 && armed.matched != armed.fault.nth) continue;
    ++injected_;
    return Status(armed.fault.code, base_->Describe(key) + ": injected fault (" + OpName(op) + " #" +
                                        std::to_string(count) + ")");
  }
  return Status::OK();
}

Result<Listing> FaultyObjectStore::List(std::string_view prefix, bool (*accept)(std::string_view key)) const {
  VERGER_RETURN_IF_ERROR(Check(kStoreList, prefix));
  auto listing = base_->List(prefix, accept);
  if (listing.ok()) objects_listed_ += static_cast<int64_t>(listing->objects.size());
  return listing;
}

Status FaultyObjectStore::ListEach(std::string_view prefix, bool (*accept)(std::string_view key),
                                   const ObjectVisitor& visit, std::vector<ListingProblem>* problems) const {
  VERGER_RETURN_IF_ERROR(Check(kStoreList, prefix));
  return base_->ListEach(
      prefix, accept,
      [&](ObjectInfo&& object) {
        ++objects_listed_;
        return visit(std::move(object));
      },
      problems);
}

Result<std::vector<uint8_t>> FaultyObjectStore::Read(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(Check(kStoreRead, key));
  return base_->Read(key);
}

Result<std::vector<uint8_t>> FaultyObjectStore::ReadAtMost(std::string_view key, uint64_t max_bytes) const {
  VERGER_RETURN_IF_ERROR(Check(kStoreRead, key));
  return base_->ReadAtMost(key, max_bytes);
}

Status FaultyObjectStore::WriteAtomic(std::string_view key, std::span<const uint8_t> data) {
  VERGER_RETURN_IF_ERROR(Check(kStoreWrite, key));
  return base_->WriteAtomic(key, data);
}

Result<bool> FaultyObjectStore::Exists(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(Check(kStoreExists, key));
  return base_->Exists(key);
}

Status FaultyObjectStore::Delete(std::string_view key) {
  VERGER_RETURN_IF_ERROR(Check(kStoreDelete, key));
  return base_->Delete(key);
}

}  // namespace verger
