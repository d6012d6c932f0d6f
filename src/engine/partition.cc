#include "engine/partition.h"

#include <cstdio>

#include "core/hash.h"
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

std::string LabelFolderName(std::string_view label) {
  std::string folder = "label=" + EscapePartitionValue(label);
  if (folder.size() <= kMaxPathComponent) return folder;
  // Too long for one path component (NAME_MAX): keep a prefix that cuts no
  // %XX escape and no UTF-8 sequence, then a hash of the full label, so
  // distinct labels stay distinct and the same label always maps the same.
  const std::string tag = "~" + Sha256Hex(label).substr(0, 16);
  size_t cut = kMaxPathComponent - tag.size();
  auto continuation = [&](size_t i) { return (static_cast<unsigned char>(folder[i]) & 0xC0) == 0x80; };
  while (cut > 0 && continuation(cut)) --cut;
  if (cut >= 1 && folder[cut - 1] == '%') cut -= 1;
  else if (cut >= 2 && folder[cut - 2] == '%') cut -= 2;
  return folder.substr(0, cut) + tag;
}

std::string TableBaseKey(std::string_view dataset, std::string_view label, int64_t partition) {
  std::string key(dataset);
  key += '/';
  key += LabelFolderName(label);
  key += '/';
  key += PartitionName(partition);
  return key;
}

}  // namespace verger
