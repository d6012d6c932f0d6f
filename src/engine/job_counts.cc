#include "engine/job_counts.h"

#include <algorithm>
#include <map>

#include "engine/image_listing.h"

namespace verger {

std::string ReasonKind(std::string_view reason) {
  std::string_view kind = reason.substr(0, reason.find(':'));
  while (!kind.empty() && kind.back() == ' ') kind.remove_suffix(1);
  if (kind.size() > 80) kind = kind.substr(0, 80);
  return kind.empty() ? std::string("unknown") : std::string(kind);
}

JobCounts CountByLabelAndReason(const std::vector<PartitionMarker>& partitions,
                                const std::vector<ImageError>& listing_errors, std::string_view root_label) {
  JobCounts c;
  auto fail = [&](const std::string& key, const std::string& reason) {
    ++c.labels[LabelForKey(key, root_label)].failed;
    ++c.error_reasons[ReasonKind(reason)];
  };
  for (const auto& p : partitions) {
    // Every format lists the same rows per label: count each label once.
    std::map<std::string, int64_t> rows;
    for (const auto& f : p.files) rows[f.label] = f.rows;
    for (const auto& [label, n] : rows) c.labels[label].ok += n;
    if (p.errors)
      for (const auto& e : *p.errors) fail(e.key, e.reason);
  }
  for (const auto& e : listing_errors) fail(e.key, e.reason);
  return c;
}

namespace {

std::string Limited(std::vector<std::string> items, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > max_items) out += "; ... (" + std::to_string(items.size() - max_items) + " more)";
  return out;
}

}  // namespace

std::string FormatLabelCounts(const JobCounts& counts, size_t max_items) {
  std::vector<std::string> items;
  for (const auto& [label, c] : counts.labels) {
    std::string s = label + " " + std::to_string(c.ok) + " ok";
    if (c.failed > 0) s += ", " + std::to_string(c.failed) + " failed";
    items.push_back(std::move(s));
  }
  return Limited(std::move(items), max_items);
}

std::string FormatReasonCounts(const JobCounts& counts, size_t max_items) {
  std::vector<std::pair<int64_t, std::string>> sorted;
  for (const auto& [kind, n] : counts.error_reasons) sorted.emplace_back(-n, kind);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> items;
  for (const auto& [n, kind] : sorted) items.push_back(kind + " " + std::to_string(-n));
  return Limited(std::move(items), max_items);
}

}  // namespace verger
