// Image-level reuse for `--resume` / `--incremental`: feature rows of an
// earlier run whose image is unchanged (same key, label, size, mtime/ETag,
// same model) are copied instead of recomputed, and label tables whose
// images are all unchanged are kept as they are (UnchangedTables). A re-run
// keeps the earlier partitions' boundaries (PartitionCutter), so added
// images land in the partition whose key range holds them; rows move between
// partitions only where one is cut anew (an interrupted run, a partition
// grown past twice the size), and Take finds them wherever they were.
//
// Memory stays flat with the collection: only each earlier partition's key
// range and table files are kept for the whole run; a marker's per-image
// inputs and a table's rows are read when the first image in their range is
// asked for, and dropped once the (ascending) keys asked for have passed them.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/image_listing.h"
#include "engine/job_records.h"
#include "io/object_store.h"

namespace verger {

// Per-image inputs recorded in a partition marker (key, size, mtime_ns,
// etag per image of the partition).
std::vector<MarkerInput> MarkerInputs(const std::vector<ImageItem>& items);

class RowReuse {
 public:
  // Indexes every _partitions/*.json marker in `out` made with
  // `model_sha256` and recording per-image inputs: its key range and table
  // files. Markers of another model or without per-image inputs are skipped
  // (their images are simply recomputed); one that does not parse is
  // Corrupt, naming the file.
  static Result<std::unique_ptr<RowReuse>> Load(const ObjectStore& out, const std::string& model_sha256,
                                                int64_t dim);

  // Copies the earlier row of `item` into dst[0..dim) and returns true when
  // one exists for the same key, label, size, mtime and ETag, in a table
  // whose bytes still match the marker's SHA-256. False otherwise (the
  // image must be computed). Each row can be taken once. Keys must be asked
  // for in ascending order (as partitions are processed).
  Result<bool> Take(const ObjectStore& out, const ImageItem& item, float* dst);

  // Lets UnchangedTables trust a table file that `sizes` (the output's
  // objects when the job started) lists with the size its marker records.
  // Without it no table is kept.
  void UseSizes(const std::map<std::string, uint64_t>* sizes) { sizes_ = sizes; }

  // The label tables of partition `index` that this run would write again
  // unchanged, by label, each with its file entries from the earlier marker
  // of the same index: that marker lists every image of the label in
  // `items` with the same inputs and none failed, its table holds exactly
  // as many rows, in the same `formats`, and every file is in UseSizes'
  // map with its recorded size. Their rows are not read at all.
  Result<std::map<std::string, std::vector<MarkerFile>>> UnchangedTables(const ObjectStore& out,
                                                                const std::vector<ImageItem>& items, int64_t index,
                                                                const std::vector<std::string>& formats);

  // Must be called before the table with base key `base` (e.g.
  // "features/label=X/part-00003") is overwritten: keeps the rows it holds
  // that later partitions may still take.
  Status BeforeOverwrite(const ObjectStore& out, const std::string& base);

  // Must be called before the marker of partition `index` is overwritten:
  // keeps the per-image inputs it records.
  Status BeforeMarkerOverwrite(const ObjectStore& out, int64_t index);

  // Earlier partitions indexed.
  int64_t markers() const { return static_cast<int64_t>(markers_.size()); }

 private:
  struct Old {
    uint64_t size = 0;
    int64_t mtime_ns = 0;
    std::string etag;
  };
  struct Marker {
    int64_t index = 0;           // its tables are TableBaseKey(features, label, index)
    std::string first_key, last_key;
    std::string inputs_sha256;   // to recognise it when its inputs are read again
    bool loaded = false;         // `inputs` read
    std::map<std::string, Old> inputs;  // not yet taken, failed images excluded
    // Read with the inputs: the formats and, by label, the rows and file
    // entries of its tables.
    std::vector<std::string> formats;
    std::map<std::string, std::pair<int64_t, std::vector<MarkerFile>>> tables;
  };
  struct Table {
    std::string format;                                      // table format name
    std::vector<std::pair<std::string, std::string>> files;  // (suffix, sha256)
  };

  RowReuse() = default;
  Status LoadInputs(const ObjectStore& out, Marker& m);
  Status LoadTable(const ObjectStore& out, const std::string& base);
  void Forget(const std::string& below);

  int64_t dim_ = 0;
  const std::map<std::string, uint64_t>* sizes_ = nullptr;
  std::vector<Marker> markers_;         // by index: where ranges overlap, the first holding a key wins
  std::vector<size_t> by_first_;        // positions in markers_, by first_key
  std::vector<std::string> max_last_;   // max last_key of by_first_[0..i]
  std::vector<Marker*> loaded_;         // markers whose inputs are in memory
  std::map<std::string, Table> tables_;  // base key -> files; unread tables only
  // Rows read, not yet taken: key -> (table base key, values).
  std::map<std::string, std::pair<std::string, std::vector<float>>> rows_;
};

}  // namespace verger
