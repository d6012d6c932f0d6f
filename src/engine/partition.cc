#include "engine/partition.h"

#include <algorithm>
#include <cstdio>
#include <set>

#include "core/hash.h"
#include "core/hive.h"
#include "engine/output_layout.h"

#include <nlohmann/json.hpp>

namespace verger {

std::vector<PartitionRange> PlanPartitions(int64_t image_count, int64_t partition_size) {
  std::vector<PartitionRange> out;
  if (partition_size <= 0) partition_size = image_count > 0 ? image_count : 1;
  for (int64_t begin = 0, i = 0; begin < image_count; begin += partition_size, ++i) {
    out.push_back({i, begin, std::min(begin + partition_size, image_count)});
  }
  return out;
}

PartitionCutter::PartitionCutter(int64_t partition_size, std::vector<PartitionBoundary> boundaries)
    : size_(std::max<int64_t>(1, partition_size)), b_(std::move(boundaries)) {
  std::sort(b_.begin(), b_.end(),
            [](const PartitionBoundary& a, const PartitionBoundary& b) { return a.first_key < b.first_key; });
  std::set<int64_t> indices;
  bool usable = true;
  for (size_t i = 0; i < b_.size() && usable; ++i) {
    usable = b_[i].index >= 0 && indices.insert(b_[i].index).second && b_[i].first_key <= b_[i].last_key &&
             (i == 0 || b_[i - 1].last_key < b_[i].first_key);
  }
  // Not one earlier plan (markers of two runs mixed by hand, damaged ones):
  // trust none of it rather than guess.
  if (!usable) b_.clear();
  for (const auto& b : b_) reserved_.push_back(b.index);
  std::sort(reserved_.begin(), reserved_.end());
}

void PartitionCutter::Begin(size_t boundary) {
  const PartitionBoundary& b = b_[boundary];
  index_ = b.index;
  last_issued_ = b.index;
  from_boundary_ = true;
  // Its range ends where the next earlier partition begins only if that one
  // followed it (index + 1): a gap means partitions in between never wrote
  // their markers (an interrupted cluster run), and their images are cut
  // afresh instead of swelling this one.
  open_end_ = boundary + 1 == b_.size() || b_[boundary + 1].index != b.index + 1;
  last_key_ = b.last_key;
  count_ = 0;
  next_b_ = boundary + 1;
}

void PartitionCutter::BeginFresh() {
  int64_t i = last_issued_ + 1;
  auto taken = [&](int64_t k) {
    return std::binary_search(reserved_.begin(), reserved_.end(), k) ||
           (k < static_cast<int64_t>(issued_.size()) && issued_[k]);
  };
  while (taken(i)) ++i;
  if (i >= static_cast<int64_t>(issued_.size())) issued_.resize(i + 1, 0);
  issued_[i] = 1;
  index_ = i;
  last_issued_ = i;
  from_boundary_ = false;
  count_ = 0;
}

bool PartitionCutter::Add(std::string_view key) {
  // The last boundary not yet begun whose first key is <= key: earlier ones
  // whose images are all gone are skipped.
  size_t reached = next_b_;
  while (reached < b_.size() && key >= b_[reached].first_key) ++reached;
  bool starts = true;
  if (reached > next_b_) {
    Begin(reached - 1);
  } else if (index_ < 0) {  // the first key, before every boundary: the first earlier partition takes it
    if (b_.empty()) BeginFresh();
    else Begin(0);
  } else if (!from_boundary_) {
    starts = count_ >= size_;
    if (starts) BeginFresh();
  } else {
    const bool past_end = open_end_ && key > last_key_;
    starts = count_ >= 2 * size_ || (past_end && count_ >= size_);
    if (starts) BeginFresh();
  }
  ++count_;
  return starts;
}

std::vector<PartitionRange> PlanPartitions(int64_t image_count, const std::function<std::string_view(int64_t)>& key,
                                           int64_t partition_size, const std::vector<PartitionBoundary>& boundaries) {
  std::vector<PartitionRange> out;
  PartitionCutter cutter(partition_size, boundaries);
  for (int64_t i = 0; i < image_count; ++i) {
    if (cutter.Add(key(i))) {
      if (!out.empty()) out.back().end = i;
      out.push_back({cutter.index(), i, i});
    }
  }
  if (!out.empty()) out.back().end = image_count;
  return out;
}

Result<std::vector<PartitionBoundary>> ReadPartitionBoundaries(const ObjectStore& out) {
  using json = nlohmann::json;
  std::vector<PartitionBoundary> boundaries;
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List("_partitions/"));
  for (const auto& o : listing.objects) {
    if (o.key.size() < 5 || o.key.compare(o.key.size() - 5, 5, ".json") != 0) continue;
    auto bytes = out.Read(o.key);
    if (!bytes.ok()) {
      if (bytes.status().code() == StatusCode::kNotFound) continue;  // removed since the listing
      return bytes.status();
    }
    // Top-level scalars only: the per-image "inputs" (most of a marker's
    // bytes) are skipped by the parser instead of built.
    json m = json::parse(
        bytes->begin(), bytes->end(),
        [](int depth, json::parse_event_t event, json&) {
          return depth == 0 || (event != json::parse_event_t::object_start && event != json::parse_event_t::array_start);
        },
        /*allow_exceptions=*/false);
    if (!m.is_object()) continue;
    auto index = m.find("index");
    auto first = m.find("first_key");
    auto last = m.find("last_key");
    if (index == m.end() || !index->is_number_integer() || first == m.end() || !first->is_string() ||
        last == m.end() || !last->is_string())
      continue;
    // The file must be the marker of the index it records.
    if (o.key != PartitionMarkerKey(index->get<int64_t>())) continue;
    auto images = m.find("images");
    const int64_t count = images != m.end() && images->is_number_integer() ? images->get<int64_t>() : -1;
    boundaries.push_back({index->get<int64_t>(), first->get<std::string>(), last->get<std::string>(),
                          std::max<int64_t>(count, -1)});  // a negative count is no count
  }
  return boundaries;
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
