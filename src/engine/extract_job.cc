#include "engine/extract_job.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "engine/image_listing.h"
#include "engine/image_loader.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "model/backend.h"
#include "model/model_spec.h"
#include "reduce/pca_stats.h"
#include "sink/csv_format.h"
#include "sink/table.h"

namespace verger {

namespace {

using json = nlohmann::json;

struct ErrorRow {
  std::string key;
  std::string reason;
};

// The reason without the "<key>: " prefix that library errors carry.
std::string ReasonFor(const std::string& key, const Status& s) {
  std::string m = s.message();
  if (m.rfind(key + ": ", 0) == 0) m = m.substr(key.size() + 2);
  return m;
}

std::string Iso8601Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

Status ValidateOptions(const ExtractOptions& o) {
  if (o.batch < 1 || o.batch > 4096) return Status::InvalidArgument("--batch must be between 1 and 4096");
  if (o.partition_size < 1) return Status::InvalidArgument("--partition-size must be at least 1");
  if (o.threads < 0) return Status::InvalidArgument("--threads must be >= 0 (0 = all cores)");
  if (o.limit < 0) return Status::InvalidArgument("--limit must be >= 0 (0 = no limit)");
  if (o.formats.empty()) return Status::InvalidArgument("--format needs at least one format");
  if (o.max_pixels < 1) return Status::InvalidArgument("--max-pixels must be positive");
  for (const auto& f : o.formats) VERGER_RETURN_IF_ERROR(MakeTableFormat(f).status());
  return Status::OK();
}

struct WrittenFile {
  std::string key;
  std::string label;
  int64_t rows = 0;
  uint64_t bytes = 0;
  std::string sha256;
};

// Encodes and stores every label table of one partition, each file
// atomically. Returns what was written, for the manifest.
Result<std::vector<WrittenFile>> WriteTables(ObjectStore& out, const std::map<std::string, FeatureTable>& tables,
                                             const std::vector<std::unique_ptr<TableFormat>>& formats,
                                             std::string_view dataset, int64_t partition) {
  std::vector<WrittenFile> written;
  for (const auto& [label, table] : tables) {
    const std::string base = TableBaseKey(dataset, label, partition);
    for (const auto& format : formats) {
      VERGER_ASSIGN_OR_RETURN(auto files, format->Encode(table, out.Describe(base)));
      for (auto& f : files) {
        WrittenFile w{base + f.suffix, label, table.rows(), f.bytes.size(), Sha256Hex(f.bytes)};
        VERGER_RETURN_IF_ERROR(out.WriteAtomic(w.key, f.bytes));
        written.push_back(std::move(w));
      }
    }
  }
  return written;
}

std::vector<uint8_t> ErrorsCsv(const std::vector<ErrorRow>& errors) {
  std::string text = "path,reason\n";
  for (const auto& e : errors) {
    AppendCsvField(text, e.key);
    text += ',';
    AppendCsvField(text, e.reason);
    text += '\n';
  }
  return {text.begin(), text.end()};
}

}  // namespace

Result<ExtractSummary> RunExtract(const ExtractOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  VERGER_RETURN_IF_ERROR(ValidateOptions(o));
  std::vector<std::unique_ptr<TableFormat>> formats;
  for (const auto& f : o.formats) {
    VERGER_ASSIGN_OR_RETURN(auto fmt, MakeTableFormat(f));
    formats.push_back(std::move(fmt));
  }

  VERGER_ASSIGN_OR_RETURN(ModelSpec spec, LoadModelSpec(o.model, o.weights));
  VERGER_ASSIGN_OR_RETURN(std::string spec_hash, ModelSpecHash(spec));

  VERGER_ASSIGN_OR_RETURN(auto input, OpenObjectStore(o.input, o.store));
  VERGER_ASSIGN_OR_RETURN(ImageListing listing, ListImages(*input, o.limit));
  if (listing.images.empty())
    return Status::InvalidArgument(input->uri() + ": no .jpg, .jpeg or .png images found (label = parent folder)");

  StoreOptions out_options = o.store;
  out_options.create = true;
  VERGER_ASSIGN_OR_RETURN(auto output, OpenObjectStore(o.output, out_options));
  VERGER_RETURN_IF_ERROR(PrepareOutput(*output, o.overwrite));

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = o.threads > 0 ? o.threads : cores;
  VERGER_ASSIGN_OR_RETURN(auto backend, CreateBackend(spec, BackendOptions{threads}));
  const int64_t dim = backend->feature_dim();

  LoaderOptions lo;
  lo.decode_threads = threads;
  lo.io_threads = o.io_concurrency > 0 ? o.io_concurrency : DefaultIoConcurrency(*input);
  lo.window = std::max(2 * o.batch, lo.io_threads + lo.decode_threads + o.batch);
  lo.width = spec.input_width;
  lo.height = spec.input_height;
  lo.filter = spec.resize_filter;
  lo.normalization = spec.normalization;
  lo.color_order = spec.color_order;
  lo.decode.max_pixels = o.max_pixels;

  const int64_t n = static_cast<int64_t>(listing.images.size());
  const auto plan = PlanPartitions(n, o.partition_size);
  std::vector<ErrorRow> errors;
  for (const auto& p : listing.problems) errors.push_back({p.key, p.reason});

  ExtractSummary summary;
  summary.listed = n;
  summary.partitions = static_cast<int64_t>(plan.size());
  summary.feature_dim = dim;
  summary.model_hash = spec_hash;
  summary.output_uri = output->uri();

  const std::vector<std::pair<std::string, std::string>> table_metadata = {
      {"verger.model", spec.name}, {"verger.model_sha256", spec_hash},
      {"verger.feature_dim", std::to_string(dim)}, {"verger.preprocessing", PreprocessingJson(spec).dump()}};

  json partitions_json = json::array();
  {
    ImageLoader loader(*input, listing.images, lo);
    Progress progress("extract", n, o.progress);
    const int64_t tensor_size = loader.tensor_size();
    std::vector<float> batch_in(static_cast<size_t>(o.batch * tensor_size));
    std::vector<float> batch_out(static_cast<size_t>(o.batch * dim));

    for (const auto& part : plan) {
      std::map<std::string, FeatureTable> tables;  // by label, sorted
      std::vector<int64_t> in_batch;
      int64_t part_ok = 0, part_failed = 0;

      auto flush = [&]() -> Status {
        if (in_batch.empty()) return Status::OK();
        const int k = static_cast<int>(in_batch.size());
        VERGER_RETURN_IF_ERROR(backend->Run(batch_in.data(), k, batch_out.data())
                                   .WithContext("model '" + spec.name + "' on batch starting at " +
                                                listing.images[in_batch[0]].key));
        for (int j = 0; j < k; ++j) {
          const ImageItem& item = listing.images[in_batch[j]];
          FeatureTable& t = tables[item.label];
          if (t.paths.empty()) {
            t.label = item.label;
            t.dim = dim;
            t.metadata = table_metadata;
          }
          t.paths.push_back(item.key);
          t.values.insert(t.values.end(), batch_out.begin() + j * dim, batch_out.begin() + (j + 1) * dim);
        }
        part_ok += k;
        progress.Advance(k, 0);
        in_batch.clear();
        return Status::OK();
      };

      for (int64_t i = part.begin; i < part.end; ++i) {
        const float* tensor = nullptr;
        Status s = loader.Next(i, &tensor);
        if (!s.ok()) {
          loader.Release(i);
          errors.push_back({listing.images[i].key, ReasonFor(listing.images[i].key, s)});
          ++part_failed;
          progress.Advance(0, 1);
          if (o.max_errors >= 0 && static_cast<int64_t>(errors.size()) > o.max_errors) {
            summary.max_errors_exceeded = true;
            break;
          }
          continue;
        }
        std::memcpy(batch_in.data() + in_batch.size() * tensor_size, tensor, sizeof(float) * tensor_size);
        loader.Release(i);
        in_batch.push_back(i);
        if (static_cast<int>(in_batch.size()) == o.batch) VERGER_RETURN_IF_ERROR(flush());
      }
      if (summary.max_errors_exceeded) {
        summary.ok += part_ok;
        summary.failed += part_failed;
        break;
      }
      VERGER_RETURN_IF_ERROR(flush());

      VERGER_ASSIGN_OR_RETURN(auto written, WriteTables(*output, tables, formats, kFeaturesDataset, part.index));
      json files = json::array();
      for (const auto& w : written)
        files.push_back({{"key", w.key}, {"label", w.label}, {"rows", w.rows}, {"bytes", w.bytes}, {"sha256", w.sha256}});
      json pj = {{"index", part.index},
                 {"name", PartitionName(part.index)},
                 {"first_key", listing.images[part.begin].key},
                 {"last_key", listing.images[part.end - 1].key},
                 {"images", part.end - part.begin},
                 {"rows", part_ok},
                 {"failed", part_failed},
                 {"files", files}};
      if (o.write_pca_stats) {
        PcaStats stats(dim);
        for (const auto& [label, table] : tables) {
          Status added = stats.AddRows(table.values.data(), table.rows());
          if (!added.ok())
            return added.WithContext("features of " + PartitionName(part.index) + " label '" + label + "'");
        }
        const std::string key = PcaStatsKey(part.index);
        VERGER_RETURN_IF_ERROR(output->WriteAtomic(key, stats.Serialize()));
        pj["pca_stats"] = key;
      }
      VERGER_RETURN_IF_ERROR(WriteJson(*output, PartitionMarkerKey(part.index), pj));
      partitions_json.push_back(std::move(pj));
      summary.ok += part_ok;
      summary.failed += part_failed;
    }
    progress.Finish();
  }

  VERGER_RETURN_IF_ERROR(output->WriteAtomic(kErrorsKey, ErrorsCsv(errors)));
  summary.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  summary.images_per_s = summary.wall_s > 0 ? summary.ok / summary.wall_s : 0;
  if (summary.max_errors_exceeded) return summary;  // no manifest: the job did not complete

  json manifest = {
      {"verger_version", kVergerVersion},
      {"kind", "features"},
      {"created", Iso8601Now()},
      {"command", o.command_line},
      {"input", input->uri()},
      {"output", output->uri()},
      {"model", json::parse(ModelSpecToJson(spec))},
      {"model_sha256", spec_hash},
      {"backend", backend->description()},
      {"feature_dim", dim},
      {"column_prefix", "dim_"},
      {"preprocessing", PreprocessingJson(spec)},
      {"formats", o.formats},
      {"partition_size", o.partition_size},
      {"batch", o.batch},
      {"threads", threads},
      {"vcpus", cores},
      {"images", {{"listed", n}, {"ok", summary.ok}, {"failed", summary.failed},
                  {"listing_problems", static_cast<int64_t>(listing.problems.size())}}},
      {"errors_file", kErrorsKey},
      {"partitions", partitions_json},
      {"wall_time_s", summary.wall_s},
      {"images_per_s", summary.images_per_s},
      {"images_per_hour_per_vcpu", summary.images_per_s * 3600.0 / cores},
  };
  VERGER_RETURN_IF_ERROR(WriteJson(*output, kManifestKey, manifest));
  return summary;
}

}  // namespace verger
