// Deterministic partitioning of the sorted image list: the unit of work (one
// task on a cluster) and of output (files written atomically per partition).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "io/object_store.h"

namespace verger {

struct PartitionRange {
  int64_t index = 0;  // 0-based; stable for a given key list, size and earlier boundaries
  int64_t begin = 0;  // [begin, end) into the sorted image list
  int64_t end = 0;
};

// A fresh job's plan: every `partition_size` images, indices 0, 1, 2, ...
std::vector<PartitionRange> PlanPartitions(int64_t image_count, int64_t partition_size);

// Where an earlier run's partition began and ended (from its marker).
struct PartitionBoundary {
  int64_t index = 0;
  std::string first_key, last_key;
  int64_t images = -1;  // images the marker records (-1: not recorded)
};

// Cuts the sorted image list into partitions as its keys stream in: one rule
// for `verger extract`/`run` (streamed listing) and the Dask driver (whole
// list, PlanPartitions below).
//
// Without boundaries it cuts every `partition_size` images, indices 0, 1, ...
// With the boundaries of an earlier run (--resume) every earlier partition
// starts again at its first key and keeps its index, and an image joins the
// partition whose key range holds it: images added anywhere (the daily
// growth) change only the partitions they land in, so the others stay
// complete, and in those they land in only the label tables they join are
// rewritten (Extractor::RunPartition). Partitions are cut by count, with
// fresh indices (the smallest unused above the previous one), where
//  - an earlier partition has grown to 2 x partition_size;
//  - an earlier partition not followed by the next index (the last one, or
//    one before a gap), past its old last key, holds partition_size images:
//    an interrupted run's remaining images are cut as that run would have
//    cut them.
// Images before the first earlier partition join it.
// Fresh indices keep key order in a fresh run only; a re-run's indices stay
// those of the earlier partitions. Boundaries that overlap or repeat a first
// key or an index are all ignored (a fresh plan).
class PartitionCutter {
 public:
  PartitionCutter(int64_t partition_size, std::vector<PartitionBoundary> boundaries = {});

  // Places the next key (keys must come in ascending order): true when it
  // starts a new partition (always for the first key). index() is then the
  // index of the partition that holds it.
  bool Add(std::string_view key);
  int64_t index() const { return index_; }
  // Boundaries in use (0 when ignored or none given).
  size_t boundaries() const { return b_.size(); }

 private:
  void Begin(size_t boundary);
  void BeginFresh();

  int64_t size_;
  std::vector<PartitionBoundary> b_;  // by first_key
  std::vector<int64_t> reserved_;     // boundary indices, sorted
  std::vector<char> issued_;          // fresh indices issued, by index (grows)
  size_t next_b_ = 0;                 // first boundary not yet begun
  bool from_boundary_ = false, open_end_ = false;
  std::string last_key_;              // of the earlier partition being continued
  int64_t index_ = -1, count_ = 0, last_issued_ = -1;
};

// The boundaries recorded by the partition markers (_partitions/*.json) in
// `out`; markers that cannot be read or lack index/first_key/last_key are
// skipped (their images are cut afresh). Only those fields and `images` are
// parsed.
Result<std::vector<PartitionBoundary>> ReadPartitionBoundaries(const ObjectStore& out);

// The whole list's plan under PartitionCutter's rule; `key(i)` is the i-th
// key in ascending order.
std::vector<PartitionRange> PlanPartitions(int64_t image_count, const std::function<std::string_view(int64_t)>& key,
                                           int64_t partition_size, const std::vector<PartitionBoundary>& boundaries);

// "part-00042".
std::string PartitionName(int64_t index);

// Longest file or folder name written (NAME_MAX on Linux filesystems).
inline constexpr size_t kMaxPathComponent = 255;

// "label=<escaped label>" (Hive escaping: never holds '/', NUL, or is "." /
// ".."); when that exceeds kMaxPathComponent bytes it is cut and ends in
// "~<16 hex of SHA-256(label)>" instead, deterministically. The full label
// stays in the tables' label column and in the partition markers.
std::string LabelFolderName(std::string_view label);

// Base key (without suffix) of one label's table in one partition:
// "<dataset>/<LabelFolderName(label)>/part-00042".
std::string TableBaseKey(std::string_view dataset, std::string_view label, int64_t partition);

}  // namespace verger
