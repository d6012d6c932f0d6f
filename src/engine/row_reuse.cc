#include "engine/row_reuse.h"

#include <algorithm>
#include <set>

#include "core/hash.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "sink/table.h"

namespace verger {

using json = nlohmann::json;

std::vector<MarkerInput> MarkerInputs(const std::vector<ImageItem>& items) {
  std::vector<MarkerInput> out;
  out.reserve(items.size());
  for (const auto& i : items) out.push_back({i.key, i.size, i.mtime_ns, i.etag});
  return out;
}

Result<std::unique_ptr<RowReuse>> RowReuse::Load(const ObjectStore& out, const std::string& model_sha256,
                                                 int64_t dim) {
  std::unique_ptr<RowReuse> r(new RowReuse());
  r->dim_ = dim;
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List("_partitions/"));
  for (const auto& o : listing.objects) {
    if (o.key.size() < 5 || o.key.compare(o.key.size() - 5, 5, ".json") != 0) continue;
    auto j = ReadJson(out, o.key);
    if (!j.ok()) {
      if (j.status().code() == StatusCode::kNotFound) continue;  // deleted since the listing
      return j.status();
    }
    VERGER_ASSIGN_OR_RETURN(PartitionMarker marker, PartitionMarker::FromJson(*j, out.Describe(o.key)));
    if (marker.model_sha256 != model_sha256 || !marker.inputs || marker.inputs->empty()) continue;
    const std::string& format_name = marker.formats.front();
    auto format = MakeTableFormat(format_name);
    if (!format.ok()) continue;
    const int64_t index = marker.index;
    // Its key range: where Take looks for an image's earlier row.
    Marker entry;
    entry.index = index;
    entry.inputs_sha256 = marker.inputs_sha256;
    for (const auto& in : *marker.inputs) {
      if (entry.first_key.empty() || in.key < entry.first_key) entry.first_key = in.key;
      if (in.key > entry.last_key) entry.last_key = in.key;
    }
    if (entry.first_key.empty()) continue;
    std::map<std::string, std::string> sha_by_key;
    for (const auto& f : marker.files)
      if (f.sha256) sha_by_key[f.key] = *f.sha256;
    std::set<std::string> labels;
    for (const auto& f : marker.files) {
      const std::string base = TableBaseKey(kFeaturesDataset, f.label, index);
      if (!labels.insert(f.label).second) continue;
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
    r->markers_.push_back(std::move(entry));
  }
  // Earlier markers win where ranges overlap (a run killed mid-resume).
  std::stable_sort(r->markers_.begin(), r->markers_.end(),
                   [](const Marker& a, const Marker& b) { return a.index < b.index; });
  r->by_first_.resize(r->markers_.size());
  for (size_t i = 0; i < r->by_first_.size(); ++i) r->by_first_[i] = i;
  std::sort(r->by_first_.begin(), r->by_first_.end(),
            [&](size_t a, size_t b) { return r->markers_[a].first_key < r->markers_[b].first_key; });
  r->max_last_.resize(r->by_first_.size());
  for (size_t i = 0; i < r->by_first_.size(); ++i) {
    const std::string& last = r->markers_[r->by_first_[i]].last_key;
    r->max_last_[i] = i > 0 && r->max_last_[i - 1] > last ? r->max_last_[i - 1] : last;
  }
  return r;
}

Status RowReuse::LoadInputs(const ObjectStore& out, Marker& m) {
  m.loaded = true;
  loaded_.push_back(&m);
  auto read = ReadPartitionMarker(out, m.index);
  if (!read.ok()) {
    // Gone since Load: its images are recomputed.
    if (read.status().code() == StatusCode::kNotFound) return Status::OK();
    return read.status();
  }
  const PartitionMarker& marker = *read;
  // Replaced since Load (by a partition of this run written without
  // BeforeMarkerOverwrite, or another process): not the rows indexed.
  if (marker.inputs_sha256 != m.inputs_sha256 || !marker.inputs) return Status::OK();
  std::set<std::string> failed;
  if (marker.errors)
    for (const auto& e : *marker.errors) failed.insert(e.key);
  m.formats = marker.formats;
  for (const auto& f : marker.files) {
    auto& [rows, files] = m.tables[f.label];
    rows = f.rows;
    files.push_back(f);
  }
  for (const auto& in : *marker.inputs) {
    if (failed.count(in.key) || m.inputs.count(in.key)) continue;
    m.inputs.emplace(in.key, Old{in.size, in.mtime_ns, in.etag});
  }
  return Status::OK();
}

Status RowReuse::LoadTable(const ObjectStore& out, const std::string& base) {
  auto t = tables_.find(base);
  if (t == tables_.end()) return Status::OK();
  const Table table_files = std::move(t->second);
  tables_.erase(t);  // read once, whatever comes of it
  auto format = MakeTableFormat(table_files.format);
  if (!format.ok()) return Status::OK();
  std::vector<std::vector<uint8_t>> files;
  for (const auto& [suffix, sha] : table_files.files) {
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
    if (rows_.count(key)) continue;
    auto& [row_base, row] = rows_[key];
    row_base = base;
    row.assign(table->values.begin() + i * dim_, table->values.begin() + (i + 1) * dim_);
  }
  return Status::OK();
}

void RowReuse::Forget(const std::string& below) {
  rows_.erase(rows_.begin(), rows_.lower_bound(below));
  for (size_t i = 0; i < loaded_.size();) {
    if (loaded_[i]->last_key < below) {
      loaded_[i]->inputs.clear();
      loaded_[i]->tables.clear();
      loaded_[i] = loaded_.back();
      loaded_.pop_back();
    } else {
      ++i;
    }
  }
}

Result<bool> RowReuse::Take(const ObjectStore& out, const ImageItem& item, float* dst) {
  const std::string& key = item.key;
  Forget(key);  // keys come in ascending order: nothing below is asked for again
  // Markers whose range holds the key: first_key <= key <= last_key.
  Marker* holder = nullptr;
  std::map<std::string, Old>::iterator entry;
  auto end = std::upper_bound(by_first_.begin(), by_first_.end(), key,
                              [&](const std::string& k, size_t m) { return k < markers_[m].first_key; });
  std::vector<size_t> candidates;
  for (auto p = end - by_first_.begin(); p > 0 && max_last_[p - 1] >= key; --p)
    if (markers_[by_first_[p - 1]].last_key >= key) candidates.push_back(by_first_[p - 1]);
  std::sort(candidates.begin(), candidates.end());  // markers_ order: the earliest marker wins
  for (size_t c : candidates) {
    Marker& m = markers_[c];
    if (!m.loaded) VERGER_RETURN_IF_ERROR(LoadInputs(out, m));
    auto it = m.inputs.find(key);
    if (it == m.inputs.end()) continue;
    holder = &m;
    entry = it;
    break;
  }
  if (holder == nullptr) return false;
  const Old& old = entry->second;
  if (old.size != item.size || old.mtime_ns != item.mtime_ns || old.etag != item.etag) return false;
  // The row must sit in the old partition's table of the image's label.
  const std::string base = TableBaseKey(kFeaturesDataset, item.label, holder->index);
  VERGER_RETURN_IF_ERROR(LoadTable(out, base));
  auto row = rows_.find(key);
  if (row == rows_.end() || row->second.first != base) return false;
  std::copy(row->second.second.begin(), row->second.second.end(), dst);
  rows_.erase(row);
  holder->inputs.erase(entry);
  return true;
}

Result<std::map<std::string, std::vector<MarkerFile>>> RowReuse::UnchangedTables(const ObjectStore& out,
                                                              const std::vector<ImageItem>& items, int64_t index,
                                                              const std::vector<std::string>& formats) {
  std::map<std::string, std::vector<MarkerFile>> kept;
  if (sizes_ == nullptr) return kept;
  auto m = std::lower_bound(markers_.begin(), markers_.end(), index,
                            [](const Marker& a, int64_t i) { return a.index < i; });
  if (m == markers_.end() || m->index != index) return kept;
  if (!m->loaded) VERGER_RETURN_IF_ERROR(LoadInputs(out, *m));
  if (m->formats != formats) return kept;
  std::map<std::string, int64_t> images;  // by label
  std::set<std::string> changed;          // labels with an image new, changed or failed before
  for (const auto& item : items) {
    ++images[item.label];
    auto old = m->inputs.find(item.key);
    if (old == m->inputs.end() || old->second.size != item.size || old->second.mtime_ns != item.mtime_ns ||
        old->second.etag != item.etag)
      changed.insert(item.label);
  }
  for (const auto& [label, count] : images) {
    if (changed.count(label)) continue;
    auto t = m->tables.find(label);
    if (t == m->tables.end() || t->second.first != count) continue;
    // Exactly the files the formats write under this partition's name, each
    // present with its recorded size.
    const std::string base = TableBaseKey(kFeaturesDataset, label, index);
    std::set<std::string> expected;
    for (const auto& name : formats) {
      auto format = MakeTableFormat(name);
      if (!format.ok()) return kept;
      for (const auto& suffix : (*format)->suffixes()) expected.insert(base + suffix);
    }
    std::set<std::string> listed;
    bool present = true;
    for (const auto& f : t->second.second) {
      auto size = sizes_->find(f.key);
      listed.insert(f.key);
      present = present && f.rows == count && size != sizes_->end() && size->second == f.bytes;
    }
    if (present && listed == expected && listed.size() == t->second.second.size()) kept[label] = t->second.second;
  }
  return kept;
}

Status RowReuse::BeforeOverwrite(const ObjectStore& out, const std::string& base) { return LoadTable(out, base); }

Status RowReuse::BeforeMarkerOverwrite(const ObjectStore& out, int64_t index) {
  auto m = std::lower_bound(markers_.begin(), markers_.end(), index,
                            [](const Marker& a, int64_t i) { return a.index < i; });
  for (; m != markers_.end() && m->index == index; ++m)
    if (!m->loaded) VERGER_RETURN_IF_ERROR(LoadInputs(out, *m));
  return Status::OK();
}

}  // namespace verger
