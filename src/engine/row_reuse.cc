#include "engine/row_reuse.h"

#include <algorithm>

#include "core/hash.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "sink/table.h"

namespace verger {

using json = nlohmann::json;

json MarkerInputs(const std::vector<ImageItem>& items) {
  json out = json::array();
  for (const auto& i : items) out.push_back(json::array({i.key, i.size, i.mtime_ns, i.etag}));
  return out;
}

Result<std::unique_ptr<RowReuse>> RowReuse::Load(const ObjectStore& out, const std::string& model_sha256,
                                                 int64_t dim) {
  std::unique_ptr<RowReuse> r(new RowReuse());
  r->dim_ = dim;
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List("_partitions/"));
  for (const auto& o : listing.objects) {
    if (o.key.size() < 5 || o.key.compare(o.key.size() - 5, 5, ".json") != 0) continue;
    auto m = ReadJson(out, o.key);
    if (!m.ok()) {
      if (m.status().code() == StatusCode::kNotFound || m.status().code() == StatusCode::kCorrupt) continue;
      return m.status();
    }
    const json& marker = *m;
    // Anything not shaped as this version writes it is skipped, not trusted.
    if (!marker.is_object() || marker.value("model_sha256", "") != model_sha256 || !marker.contains("inputs") ||
        !marker["inputs"].is_array() || !marker.contains("files") || !marker["files"].is_array() ||
        !marker.contains("formats") || !marker["formats"].is_array() || marker["formats"].empty() ||
        !marker["formats"][0].is_string() || !marker.contains("index") || !marker["index"].is_number_integer())
      continue;
    const std::string format_name = marker["formats"][0].get<std::string>();
    auto format = MakeTableFormat(format_name);
    if (!format.ok()) continue;
    std::map<std::string, std::string> sha_by_key;
    for (const auto& f : marker["files"])
      if (f.is_object() && f.contains("key") && f["key"].is_string() && f.contains("sha256") && f["sha256"].is_string())
        sha_by_key[f["key"].get<std::string>()] = f["sha256"].get<std::string>();
    std::set<std::string> failed;
    if (marker.contains("errors") && marker["errors"].is_array())
      for (const auto& e : marker["errors"])
        if (e.is_object() && e.contains("key") && e["key"].is_string()) failed.insert(e["key"].get<std::string>());
    const int64_t index = marker["index"].get<int64_t>();
    std::set<std::string> labels;
    for (const auto& f : marker["files"]) {
      if (!f.is_object() || !f.contains("label") || !f["label"].is_string()) continue;
      const std::string label = f["label"].get<std::string>();
      const std::string base = TableBaseKey(kFeaturesDataset, label, index);
      if (!labels.insert(label).second) continue;
      Table t;
      t.format = format_name;
      bool complete = true;
      for (const auto& suffix : (*format)->suffixes()) {
        auto it = sha_by_key.find(base + suffix);
        if (it == sha_by_key.end()) {
          complete = false;
          break;
        }
        t.files.emplace_back(suffix, it->second);
      }
      if (!complete) continue;
      r->tables_[base] = std::move(t);
    }
    for (const auto& in : marker["inputs"]) {
      if (!in.is_array() || in.size() != 4 || !in[0].is_string() || !in[1].is_number_unsigned() ||
          !in[2].is_number_integer() || !in[3].is_string())
        continue;
      const std::string key = in[0].get<std::string>();
      if (failed.count(key) || r->index_.count(key)) continue;
      Old old;
      old.size = in[1].get<uint64_t>();
      old.mtime_ns = in[2].get<int64_t>();
      old.etag = in[3].get<std::string>();
      old.partition = index;
      r->index_[key] = std::move(old);
    }
  }
  return r;
}

Status RowReuse::LoadTable(const ObjectStore& out, const std::string& base) {
  loaded_.insert(base);
  auto t = tables_.find(base);
  if (t == tables_.end()) return Status::OK();
  auto format = MakeTableFormat(t->second.format);
  if (!format.ok()) return Status::OK();
  std::vector<std::vector<uint8_t>> files;
  for (const auto& [suffix, sha] : t->second.files) {
    auto bytes = out.Read(base + suffix);
    if (!bytes.ok()) {
      // Gone since the marker was written: its rows get recomputed.
      if (bytes.status().code() == StatusCode::kNotFound) return Status::OK();
      return bytes.status();
    }
    // Rewritten by a later (possibly interrupted) run: not the rows the
    // marker describes.
    if (Sha256Hex(*bytes) != sha) return Status::OK();
    files.push_back(std::move(bytes).value());
  }
  auto table = (*format)->Decode(files, out.Describe(base));
  if (!table.ok() || table->dim != dim_ || static_cast<int64_t>(table->values.size()) != table->rows() * dim_)
    return Status::OK();
  for (int64_t i = 0; i < table->rows(); ++i) {
    const std::string& key = table->paths[i];
    auto it = index_.find(key);
    if (it == index_.end() || cache_.count(key)) continue;
    auto& [row_base, row] = cache_[key];
    row_base = base;
    row.assign(table->values.begin() + i * dim_, table->values.begin() + (i + 1) * dim_);
  }
  return Status::OK();
}

Result<bool> RowReuse::Take(const ObjectStore& out, const ImageItem& item, float* dst) {
  auto it = index_.find(item.key);
  if (it == index_.end()) return false;
  const Old& old = it->second;
  if (old.size != item.size || old.mtime_ns != item.mtime_ns || old.etag != item.etag) return false;
  // The row must sit in the old partition's table of the image's label.
  const std::string base = TableBaseKey(kFeaturesDataset, item.label, old.partition);
  if (!loaded_.count(base)) VERGER_RETURN_IF_ERROR(LoadTable(out, base));
  auto row = cache_.find(item.key);
  if (row == cache_.end() || row->second.first != base) return false;
  std::copy(row->second.second.begin(), row->second.second.end(), dst);
  cache_.erase(row);
  index_.erase(it);
  return true;
}

Status RowReuse::BeforeOverwrite(const ObjectStore& out, const std::string& base) {
  if (tables_.count(base) && !loaded_.count(base)) return LoadTable(out, base);
  return Status::OK();
}

}  // namespace verger
