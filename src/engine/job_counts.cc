#include "engine/job_counts.h"
#include "core/json_field.h"

#include <algorithm>
#include <map>

#include "engine/image_listing.h"

namespace verger {

using json = nlohmann::json;

std::string ReasonKind(std::string_view reason) {
  std::string_view kind = reason.substr(0, reason.find(':'));
  while (!kind.empty() && kind.back() == ' ') kind.remove_suffix(1);
  if (kind.size() > 80) kind = kind.substr(0, 80);
  return kind.empty() ? std::string("unknown") : std::string(kind);
}

json CountByLabelAndReason(const json& partitions, const std::vector<ImageError>& listing_errors,
                           std::string_view root_label) {
  json labels = json::object(), reasons = json::object();
  auto label_entry = [&](const std::string& label) -> json& {
    json& l = labels[label];
    if (l.is_null()) l = {{"ok", 0}, {"failed", 0}};
    return l;
  };
  auto fail = [&](const std::string& key, const std::string& reason) {
    json& l = label_entry(LabelForKey(key, root_label));
    l["failed"] = l["failed"].get<int64_t>() + 1;
    const std::string kind = ReasonKind(reason);
    reasons[kind] = reasons.value(kind, int64_t{0}) + 1;
  };
  for (const auto& p : partitions) {
    // Every format lists the same rows per label: count each label once.
    std::map<std::string, int64_t> rows;
    for (const auto& f : JsonField(p, "files", json::array())) rows[JsonField(f, "label", "")] = JsonField(f, "rows", int64_t{0});
    for (const auto& [label, n] : rows) {
      json& l = label_entry(label);
      l["ok"] = l["ok"].get<int64_t>() + n;
    }
    for (const auto& e : JsonField(p, "errors", json::array())) fail(JsonField(e, "key", ""), JsonField(e, "reason", ""));
  }
  for (const auto& e : listing_errors) fail(e.key, e.reason);
  return {{"labels", labels}, {"error_reasons", reasons}};
}

namespace {

std::string Limited(std::vector<std::string> items, size_t max_items) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < max_items; ++i) out += (i ? "; " : "") + items[i];
  if (items.size() > max_items) out += "; ... (" + std::to_string(items.size() - max_items) + " more)";
  return out;
}

}  // namespace

std::string FormatLabelCounts(const json& counts, size_t max_items) {
  std::vector<std::string> items;
  const json labels = JsonField(counts, "labels", json::object());  // items() must not outlive it
  for (const auto& [label, c] : labels.items()) {
    std::string s = label + " " + std::to_string(JsonField(c, "ok", int64_t{0})) + " ok";
    if (JsonField(c, "failed", int64_t{0}) > 0) s += ", " + std::to_string(JsonField(c, "failed", int64_t{0})) + " failed";
    items.push_back(std::move(s));
  }
  return Limited(std::move(items), max_items);
}

std::string FormatReasonCounts(const json& counts, size_t max_items) {
  std::vector<std::pair<int64_t, std::string>> sorted;
  const json reasons = JsonField(counts, "error_reasons", json::object());
  for (const auto& [kind, n] : reasons.items())
    sorted.emplace_back(-n.get<int64_t>(), kind);
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::string> items;
  for (const auto& [n, kind] : sorted) items.push_back(kind + " " + std::to_string(-n));
  return Limited(std::move(items), max_items);
}

}  // namespace verger
