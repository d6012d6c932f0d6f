#include "engine/partition.h"

#include <cstdio>

#include "core/hive.h"

namespace verger {

std::vector<PartitionRange> PlanPartitions(int64_t image_count, int64_t partition_size) {
  std::vector<PartitionRange> out;
  if (partition_size <= 0) partition_size = image_count > 0 ? image_count : 1;
  for (int64_t begin = 0, i = 0; begin < image_count; begin += partition_size, ++i) {
    out.push_back({i, begin, std::min(begin + partition_size, image_count)});
  }
  return out;
}

std::string PartitionName(int64_t index) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "part-%05lld", static_cast<long long>(index));
  return buf;
}

std::string TableBaseKey(std::string_view dataset, std::string_view label, int64_t partition) {
  std::string key(dataset);
  key += "/label=";
  key += EscapePartitionValue(label);
  key += '/';
  key += PartitionName(partition);
  return key;
}

}  // namespace verger
