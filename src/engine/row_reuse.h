// Image-level reuse for `--resume` / `--incremental`: feature rows of an
// earlier run whose image is unchanged (same key, label, size, mtime/ETag,
// same model) are copied instead of recomputed. Partitions are cut by count
// from the sorted key list, so one added image shifts every later boundary;
// reusing rows (not just whole partitions) keeps the model's work to the
// new and changed images.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/image_listing.h"
#include "io/object_store.h"

namespace verger {

// Per-image inputs recorded in a partition marker ("inputs": one
// [key, size, mtime_ns, etag] per image of the partition).
nlohmann::json MarkerInputs(const std::vector<ImageItem>& items);

class RowReuse {
 public:
  // Indexes the rows described by every _partitions/*.json marker in `out`
  // made with `model_sha256` and recording per-image inputs. Markers that
  // are unreadable, of another model or older (no "inputs") are skipped:
  // their images are simply recomputed. Reads no tables yet.
  static Result<std::unique_ptr<RowReuse>> Load(const ObjectStore& out, const std::string& model_sha256,
                                                int64_t dim);

  // Copies the earlier row of `item` into dst[0..dim) and returns true when
  // one exists for the same key, label, size, mtime and ETag, in a table
  // whose bytes still match the marker's SHA-256. False otherwise (the
  // image must be computed). Each row can be taken once.
  Result<bool> Take(const ObjectStore& out, const ImageItem& item, float* dst);

  // Must be called before the table with base key `base` (e.g.
  // "features/label=X/part-00003") is overwritten: keeps the rows it holds
  // that later partitions may still take.
  Status BeforeOverwrite(const ObjectStore& out, const std::string& base);

  int64_t indexed() const { return static_cast<int64_t>(index_.size()); }

 private:
  struct Old {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;
    int64_t partition = 0;  // the marker's index: its tables hold the row
  };
  struct Table {
    std::string format;                                 // table format name
    std::vector<std::pair<std::string, std::string>> files;  // (suffix, sha256)
  };

  RowReuse() = default;
  Status LoadTable(const ObjectStore& out, const std::string& base);

  int64_t dim_ = 0;
  std::map<std::string, Old> index_;            // image key -> where its row is
  std::map<std::string, Table> tables_;          // base key -> files
  std::set<std::string> loaded_;                 // bases already read
  // Rows read, not yet taken: key -> (table base key, values).
  std::map<std::string, std::pair<std::string, std::vector<float>>> cache_;
};

}  // namespace verger
