#include "engine/extractor.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <thread>

#include "core/hash.h"
#include "core/utf8.h"
#include "engine/image_loader.h"
#include "engine/interrupt.h"
#include "engine/model_loader.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "engine/row_reuse.h"
#include "reduce/pca_stats.h"

namespace verger {

namespace {

using json = nlohmann::json;

// The reason without the "<key>: " prefix that library errors carry.
std::string ReasonFor(const std::string& key, const Status& s) {
  std::string m = s.message();
  if (m.rfind(key + ": ", 0) == 0) m = m.substr(key.size() + 2);
  return m;
}

// Atomic writes never leave half a marker, so one that does not parse or
// lacks the shape RunExtract relies on was damaged: reported (Corrupt,
// naming it) rather than silently recomputed, and never read unchecked.
// TODO(issue 13): the typed PartitionMarker::FromJson replaces this check.
Status CheckMarkerShape(const json& m, const std::string& where) {
  auto bad = [&](const std::string& what) {
    return Status::Corrupt(where + ": not a verger partition marker (" + what +
                           "); delete it to recompute its partition, or use --overwrite");
  };
  if (!m.is_object()) return bad("not a JSON object");
  auto field = [&](const char* name) -> const json* {
    auto it = m.find(name);
    return it == m.end() ? nullptr : &*it;
  };
  for (const char* name : {"inputs_sha256", "model_sha256"}) {
    const json* v = field(name);
    if (!v || !v->is_string()) return bad(std::string(name) + " is not a string");
  }
  for (const char* name : {"rows", "failed"}) {
    const json* v = field(name);
    if (!v || !v->is_number_integer() || v->get<int64_t>() < 0) return bad(std::string(name) + " is not a count");
  }
  for (const char* name : {"formats", "files", "errors"}) {
    const json* v = field(name);
    if (!v || !v->is_array()) return bad(std::string(name) + " is not a list");
  }
  auto is_string = [](const json& o, const char* name) {
    auto it = o.find(name);
    return it != o.end() && it->is_string();
  };
  for (const auto& f : m["files"]) {
    auto bytes = f.is_object() ? f.find("bytes") : f.end();
    if (!is_string(f, "key") || bytes == f.end() || !bytes->is_number_integer() || bytes->get<int64_t>() < 0)
      return bad("a files entry lacks its key or bytes");
  }
  for (const auto& e : m["errors"])
    if (!e.is_object() || !is_string(e, "key") || !is_string(e, "reason"))
      return bad("an errors entry lacks its key or reason");
  if (const json* v = field("pca_stats"); v && !v->is_string()) return bad("pca_stats is not a key");
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Extractor>> Extractor::Create(const ExtractorConfig& config) {
  if (config.formats.empty()) return Status::InvalidArgument("--format needs at least one format");
  if (config.max_pixels < 1) return Status::InvalidArgument("--max-pixels must be positive");
  if (config.max_file_bytes < 1) return Status::InvalidArgument("--max-file-bytes must be positive");
  std::unique_ptr<Extractor> e(new Extractor());
  e->config_ = config;
  for (const auto& f : config.formats) {
    VERGER_ASSIGN_OR_RETURN(auto fmt, MakeTableFormat(f));
    e->formats_.push_back(std::move(fmt));
  }
  VERGER_ASSIGN_OR_RETURN(e->model_, LoadModel({config.model, config.weights, config.backend, config.device,
                                                config.precision, config.threads, config.batch}));
  const int64_t tensor = int64_t{3} * e->model_.spec.input_width * e->model_.spec.input_height;
  e->batch_in_.resize(static_cast<size_t>(e->model_.batch * tensor));
  e->batch_out_.resize(static_cast<size_t>(e->model_.batch * e->feature_dim()));
  return e;
}

std::string PartitionInputsHash(const std::vector<ImageItem>& items) {
  std::string text;
  for (const auto& i : items) {
    text += i.key;
    text += '\0';
    text += std::to_string(i.size) + ':' + std::to_string(i.mtime_ns) + ':' + i.etag + '\n';
  }
  return Sha256Hex(text);
}

Result<std::map<std::string, uint64_t>> ObjectSizes(const ObjectStore& store) {
  VERGER_ASSIGN_OR_RETURN(Listing listing, store.List(""));
  std::map<std::string, uint64_t> sizes;
  for (const auto& o : listing.objects) sizes[o.key] = o.size;
  return sizes;
}

Result<std::optional<PartitionMarker>> CompletePartition(const ObjectStore& output,
                                                         const std::map<std::string, uint64_t>& sizes,
                                                         const Extractor& extractor,
                                                         const std::vector<ImageItem>& items, int64_t partition_index) {
  const std::optional<PartitionMarker> kNone;
  if (!sizes.count(PartitionMarkerKey(partition_index))) return kNone;
  auto read = ReadPartitionMarker(output, partition_index, /*with_inputs=*/false);
  if (!read.ok()) {
    if (read.status().code() == StatusCode::kNotFound) return kNone;  // deleted since the listing
    if (read.status().code() == StatusCode::kCorrupt)
      return Status::Corrupt(read.status().message() + "; delete it to recompute its partition, or use --overwrite");
    return read.status();
  }
  PartitionMarker& m = *read;
  if (m.inputs_sha256 != PartitionInputsHash(items) || m.model_sha256 != extractor.spec_hash() ||
      m.formats != extractor.config().formats)
    return kNone;
  for (const auto& f : m.files) {
    auto it = sizes.find(f.key);
    if (it == sizes.end() || it->second != f.bytes) return kNone;
  }
  if (extractor.config().write_pca_stats && (!m.pca_stats || !sizes.count(*m.pca_stats))) return kNone;
  return std::optional<PartitionMarker>(std::move(m));
}

Result<PartitionResult> Extractor::RunPartition(const ObjectStore& input, ObjectStore& output,
                                                const std::vector<ImageItem>& items, int64_t partition_index,
                                                Progress* progress, int64_t stop_after_errors,
                                                RowReuse* reuse) {
  PartitionResult result;
  if (items.empty()) return Status::InvalidArgument("partition " + PartitionName(partition_index) + " has no images");
  const int64_t dim = feature_dim();
  const int batch = model_.batch;

  LoaderOptions lo;
  lo.decode_threads = model_.threads;
  lo.io_threads = config_.io_concurrency > 0 ? config_.io_concurrency : input.preferred_io_concurrency();
  lo.window = std::max(2 * batch, lo.io_threads + lo.decode_threads + batch);
  lo.width = model_.spec.input_width;
  lo.height = model_.spec.input_height;
  lo.filter = model_.spec.resize_filter;
  lo.normalization = model_.spec.normalization;
  lo.color_order = model_.spec.color_order;
  lo.decode.max_pixels = config_.max_pixels;
  lo.max_file_bytes = static_cast<uint64_t>(config_.max_file_bytes);

  const std::vector<std::pair<std::string, std::string>> table_metadata = {
      {"verger.model", model_.spec.name}, {"verger.model_sha256", model_.spec_hash},
      {"verger.feature_dim", std::to_string(dim)}, {"verger.preprocessing", PreprocessingJson(model_.spec).dump()}};
  // Rows land in `values` at their item's position, whether computed or
  // reused, so tables come out in key order either way.
  std::vector<float> values(items.size() * static_cast<size_t>(dim));
  std::vector<char> have_row(items.size(), 0);
  std::vector<ImageItem> todo;     // images the model must see
  std::vector<int64_t> todo_item;  // their positions in `items`
  // Label tables whose images all ran before, unchanged, in this partition:
  // their files stay as they are (not read, not rewritten). Not when PCA
  // statistics are written: those need the rows.
  std::map<std::string, std::vector<MarkerFile>> kept;
  if (reuse && !config_.write_pca_stats) {
    VERGER_ASSIGN_OR_RETURN(kept, reuse->UnchangedTables(output, items, partition_index, config_.formats));
  }
  for (int64_t i = 0; i < static_cast<int64_t>(items.size()); ++i) {
    if (kept.count(items[i].label)) {
      ++result.ok;
      ++result.reused;
      if (progress) progress->Advance(1, 0);
      continue;
    }
    bool taken = false;
    if (reuse) {
      VERGER_ASSIGN_OR_RETURN(taken, reuse->Take(output, items[i], values.data() + i * dim));
    }
    if (taken) {
      have_row[i] = 1;
      ++result.ok;
      ++result.reused;
      if (progress) progress->Advance(1, 0);
    } else {
      todo.push_back(items[i]);
      todo_item.push_back(i);
    }
  }
  std::vector<int64_t> in_batch;  // positions in `items`

  auto flush = [&]() -> Status {
    if (in_batch.empty()) return Status::OK();
    const int k = static_cast<int>(in_batch.size());
    const auto started = std::chrono::steady_clock::now();
    VERGER_RETURN_IF_ERROR(model_.backend->Run(batch_in_.data(), k, batch_out_.data())
                               .WithContext("model '" + model_.spec.name + "' on the batch starting at " +
                                            items[in_batch[0]].key));
    result.stages.inference += SecondsSince(started);
    for (int j = 0; j < k; ++j) {
      std::copy(batch_out_.begin() + j * dim, batch_out_.begin() + (j + 1) * dim, values.begin() + in_batch[j] * dim);
      have_row[in_batch[j]] = 1;
    }
    result.ok += k;
    if (progress) progress->Advance(k, 0);
    in_batch.clear();
    return Status::OK();
  };

  if (!todo.empty()) {
    ImageLoader loader(input, todo, lo);
    const int64_t tensor_size = loader.tensor_size();
    for (int64_t t = 0; t < static_cast<int64_t>(todo.size()); ++t) {
      // Stop between images: nothing of this partition is written yet.
      if (InterruptRequested()) return Status::Cancelled("interrupted in " + PartitionName(partition_index));
      const int64_t i = todo_item[t];
      const float* tensor = nullptr;
      Status s = loader.Next(t, &tensor);
      // An unreachable store is not a bad image: stop, write nothing of this partition.
      if (s.code() == StatusCode::kUnavailable) return s;
      if (!s.ok()) {
        loader.Release(t);
        result.errors.push_back({items[i].key, EscapeNonUtf8(ReasonFor(items[i].key, s))});
        ++result.failed;
        if (progress) progress->Advance(0, 1);
        if (stop_after_errors >= 0 && result.failed > stop_after_errors) return result;
        continue;
      }
      std::memcpy(batch_in_.data() + in_batch.size() * tensor_size, tensor, sizeof(float) * tensor_size);
      loader.Release(t);
      in_batch.push_back(i);
      if (static_cast<int>(in_batch.size()) == batch) VERGER_RETURN_IF_ERROR(flush());
    }
    VERGER_RETURN_IF_ERROR(flush());
    result.stages += loader.Times();
  }

  const auto write_started = std::chrono::steady_clock::now();
  std::map<std::string, FeatureTable> tables;  // by label, sorted
  for (int64_t i = 0; i < static_cast<int64_t>(items.size()); ++i) {
    if (!have_row[i]) continue;
    FeatureTable& t = tables[items[i].label];
    if (t.paths.empty()) {
      t.label = items[i].label;
      t.dim = dim;
      t.metadata = table_metadata;
    }
    t.paths.push_back(items[i].key);
    t.values.insert(t.values.end(), values.begin() + i * dim, values.begin() + (i + 1) * dim);
  }

  PartitionMarker marker;
  marker.index = partition_index;
  marker.name = PartitionName(partition_index);
  marker.first_key = items.front().key;
  marker.last_key = items.back().key;
  marker.images = static_cast<int64_t>(items.size());
  marker.inputs_sha256 = PartitionInputsHash(items);
  marker.inputs = MarkerInputs(items);
  marker.model_sha256 = model_.spec_hash;
  marker.formats = config_.formats;
  marker.rows = result.ok;
  marker.failed = result.failed;
  marker.errors = result.errors;
  std::set<std::string> labels;
  for (const auto& [label, table] : tables) labels.insert(label);
  for (const auto& [label, entries] : kept) labels.insert(label);
  for (const auto& label : labels) {  // files in label order, kept or written
    if (auto k = kept.find(label); k != kept.end()) {
      marker.files.insert(marker.files.end(), k->second.begin(), k->second.end());
      continue;
    }
    const FeatureTable& table = tables.at(label);
    const std::string base = TableBaseKey(kFeaturesDataset, label, partition_index);
    // An earlier run's table of this name may hold rows later partitions reuse.
    if (reuse) VERGER_RETURN_IF_ERROR(reuse->BeforeOverwrite(output, base));
    for (const auto& format : formats_) {
      VERGER_ASSIGN_OR_RETURN(auto encoded, format->Encode(table, output.Describe(base)));
      for (auto& f : encoded) {
        const std::string key = base + f.suffix;
        VERGER_RETURN_IF_ERROR(output.WriteAtomic(key, f.bytes));
        marker.files.push_back({key, label, table.rows(), f.bytes.size(), Sha256Hex(f.bytes)});
      }
    }
  }
  if (config_.write_pca_stats) {
    PcaStats stats(dim);
    for (const auto& [label, table] : tables) {
      Status added = stats.AddRows(table.values.data(), table.rows());
      if (!added.ok()) return added.WithContext("features of " + PartitionName(partition_index) + " label '" + label + "'");
    }
    const std::string key = PcaStatsKey(partition_index);
    VERGER_RETURN_IF_ERROR(output.WriteAtomic(key, stats.Serialize()));
    marker.pca_stats = key;
  }
  // The earlier marker of this index records inputs later partitions may still reuse.
  if (reuse) VERGER_RETURN_IF_ERROR(reuse->BeforeMarkerOverwrite(output, partition_index));
  VERGER_RETURN_IF_ERROR(WritePartitionMarker(output, marker));
  result.marker = std::move(marker);
  result.stages.write += SecondsSince(write_started);
  return result;
}

}  // namespace verger
