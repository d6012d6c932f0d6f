// Deterministic partitioning of the sorted image list: the unit of work (one
// task on a cluster) and of output (files written atomically per partition).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace verger {

struct PartitionRange {
  int64_t index = 0;  // 0-based, stable for a given key list and size
  int64_t begin = 0;  // [begin, end) into the sorted image list
  int64_t end = 0;
};

std::vector<PartitionRange> PlanPartitions(int64_t image_count, int64_t partition_size);

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
