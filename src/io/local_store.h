#pragma once

#include <filesystem>

#include "io/object_store.h"

namespace verger {

// ObjectStore over a local directory. Writes go to a temporary sibling and
// are renamed into place (POSIX rename is atomic within a filesystem).
class LocalObjectStore final : public ObjectStore {
 public:
  explicit LocalObjectStore(std::filesystem::path root) : root_(std::move(root)) {}

  std::string uri() const override { return root_.string(); }
  std::string Describe(std::string_view key) const override;
  Result<Listing> List(std::string_view prefix, bool (*accept)(std::string_view key)) const override;
  Status ListEach(std::string_view prefix, bool (*accept)(std::string_view key), const ObjectVisitor& visit,
                  std::vector<ListingProblem>* problems) const override;
  Result<std::vector<uint8_t>> Read(std::string_view key) const override;
  Result<std::vector<uint8_t>> ReadAtMost(std::string_view key, uint64_t max_bytes) const override;
  Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) override;
  Result<bool> Exists(std::string_view key) const override;
  Status Delete(std::string_view key) override;

  const std::filesystem::path* local_root() const override { return &root_; }
  const std::filesystem::path& root() const { return root_; }

 private:
  Status WalkSorted(const std::filesystem::path& dir, const std::string& dir_key, const std::string& pfx,
                    bool (*accept)(std::string_view), const ObjectVisitor& visit,
                    std::vector<ListingProblem>* problems, bool top) const;
  std::filesystem::path root_;
};

}  // namespace verger
