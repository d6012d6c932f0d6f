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

// Base key (without suffix) of one label's table in one partition:
// "<dataset>/label=<escaped label>/part-00042".
std::string TableBaseKey(std::string_view dataset, std::string_view label, int64_t partition);

}  // namespace verger
