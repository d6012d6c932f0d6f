#include "engine/pca_job.h"

#include <chrono>
#include <map>

#include <nlohmann/json.hpp>

#include "engine/output_layout.h"
#include "engine/partition.h"
#include "reduce/pca_fit.h"
#include "reduce/pca_plots.h"
#include "reduce/pca_stats.h"
#include "sink/table.h"

namespace verger {

namespace {

using json = nlohmann::json;

double SecondsSince(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

Result<json> ReadFeaturesManifest(const ObjectStore& store) {
  auto manifest = ReadJson(store, kManifestKey);
  if (!manifest.ok()) {
    if (manifest.status().code() == StatusCode::kNotFound)
      return Status::NotFound(store.Describe(kManifestKey) +
                              ": no manifest; run `verger extract` into this location first (or it did not finish)");
    return manifest.status();
  }
  if (!manifest->contains("partitions") || !manifest->contains("feature_dim"))
    return Status::Corrupt(store.Describe(kManifestKey) + ": not a verger features manifest");
  return manifest;
}

// Reads one label table of a partition, in the first format the manifest
// lists (its files are in the partition's "files").
Result<FeatureTable> ReadTable(const ObjectStore& store, const TableFormat& format, const std::string& base_key) {
  std::vector<std::vector<uint8_t>> files;
  for (const auto& suffix : format.suffixes()) {
    VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(base_key + suffix));
    files.push_back(std::move(bytes));
  }
  return format.Decode(files, store.Describe(base_key));
}

// Base keys (without suffix) of a partition's label tables, with labels.
std::vector<std::pair<std::string, std::string>> TableKeys(const json& partition, const TableFormat& format) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string first_suffix = format.suffixes().front();
  for (const auto& f : partition["files"]) {
    std::string key = f["key"];
    if (key.size() > first_suffix.size() && key.compare(key.size() - first_suffix.size(), first_suffix.size(), first_suffix) == 0)
      out.emplace_back(key.substr(0, key.size() - first_suffix.size()), f["label"].get<std::string>());
  }
  return out;
}

// Merges in a fixed binary tree (pairs of neighbours, level by level), the
// same shape a cluster's tree-reduce uses.
Result<PcaStats> TreeMerge(std::vector<PcaStats> parts) {
  if (parts.empty()) return Status::InvalidArgument("no PCA statistics to merge");
  while (parts.size() > 1) {
    std::vector<PcaStats> next;
    for (size_t i = 0; i + 1 < parts.size(); i += 2) {
      VERGER_RETURN_IF_ERROR(parts[i].Merge(parts[i + 1]));
      next.push_back(std::move(parts[i]));
    }
    if (parts.size() % 2) next.push_back(std::move(parts.back()));
    parts = std::move(next);
  }
  return std::move(parts.front());
}

}  // namespace

Result<FitPcaSummary> RunFitPca(const FitPcaOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.pca.components < 0) return Status::InvalidArgument("--components must be positive");
  if (o.pca.variance < 0 || o.pca.variance > 1) return Status::InvalidArgument("--variance must be in (0, 1]");
  if (o.pca.components > 0 && o.pca.variance > 0)
    return Status::InvalidArgument("give --components or --variance, not both");
  StoreOptions so = o.store;
  VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(o.input, so));
  VERGER_ASSIGN_OR_RETURN(json manifest, ReadFeaturesManifest(*store));
  const int64_t dim = manifest["feature_dim"];
  VERGER_ASSIGN_OR_RETURN(auto format, MakeTableFormat(manifest["formats"][0]));

  FitPcaSummary summary;
  std::vector<PcaStats> parts;
  for (const auto& p : manifest["partitions"]) {
    const int64_t index = p["index"];
    const std::string name = PartitionName(index);
    if (p.contains("pca_stats")) {
      const std::string key = p["pca_stats"];
      VERGER_ASSIGN_OR_RETURN(auto bytes, store->Read(key));
      VERGER_ASSIGN_OR_RETURN(PcaStats s, PcaStats::Deserialize(bytes, store->Describe(key)));
      if (s.dim() != dim)
        return Status::Corrupt(store->Describe(key) + ": statistics of dimension " + std::to_string(s.dim()) +
                               ", manifest says " + std::to_string(dim));
      parts.push_back(std::move(s));
      ++summary.stats_from_files;
      continue;
    }
    // No statistics file (plain `extract`): read the partition's rows once.
    PcaStats s(dim);
    for (const auto& [base, label] : TableKeys(p, *format)) {
      VERGER_ASSIGN_OR_RETURN(FeatureTable t, ReadTable(*store, *format, base));
      if (t.dim != dim && t.rows() > 0)
        return Status::Corrupt(store->Describe(base) + ": rows of dimension " + std::to_string(t.dim) +
                               ", other partitions have " + std::to_string(dim));
      Status added = s.AddRows(t.values.data(), t.rows());
      if (!added.ok()) return added.WithContext(store->Describe(base));
    }
    parts.push_back(std::move(s));
    ++summary.stats_recomputed;
  }
  VERGER_ASSIGN_OR_RETURN(PcaStats merged, TreeMerge(std::move(parts)));
  if (merged.count() < 2)
    return Status::InvalidArgument(store->uri() + ": PCA needs at least 2 feature rows, found " +
                                   std::to_string(merged.count()));

  PcaFitOptions fit;
  fit.components = o.pca.components;
  fit.variance = o.pca.variance;
  fit.whiten = o.pca.whiten;
  fit.source_hash = manifest.value("model_sha256", "");
  VERGER_ASSIGN_OR_RETURN(PcaModel model, FitPca(merged, fit));
  VERGER_ASSIGN_OR_RETURN(auto files, model.Encode());
  // model.json last: its presence means the .npy files it names are there.
  for (const auto& [name, bytes] : files)
    if (name != PcaModel::kModelJson) VERGER_RETURN_IF_ERROR(store->WriteAtomic("pca/" + name, bytes));
  std::string svg = ExplainedVarianceSvg(model);
  VERGER_RETURN_IF_ERROR(store->WriteAtomic(
      "pca/explained_variance.svg", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(svg.data()), svg.size())));
  for (const auto& [name, bytes] : files)
    if (name == PcaModel::kModelJson) VERGER_RETURN_IF_ERROR(store->WriteAtomic("pca/" + name, bytes));

  summary.n_samples = model.n_samples();
  summary.dim = model.dim();
  summary.components = model.components();
  for (double r : model.explained_variance_ratio()) summary.explained += r;
  summary.wall_s = SecondsSince(t0);
  return summary;
}

Result<TransformSummary> RunTransform(const TransformOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(o.input, o.store));
  VERGER_ASSIGN_OR_RETURN(json manifest, ReadFeaturesManifest(*store));

  std::map<std::string, std::vector<uint8_t>> model_files;
  {
    auto meta = ReadJson(*store, "pca/model.json");
    if (!meta.ok()) {
      if (meta.status().code() == StatusCode::kNotFound)
        return Status::NotFound(store->Describe("pca/model.json") + ": no PCA model; run `verger fit-pca` first");
      return meta.status();
    }
    auto raw = store->Read("pca/model.json");
    VERGER_RETURN_IF_ERROR(raw.status());
    model_files[PcaModel::kModelJson] = std::move(raw).value();
    if (meta->contains("files"))
      for (const auto& [field, name] : (*meta)["files"].items()) {
        VERGER_ASSIGN_OR_RETURN(auto bytes, store->Read("pca/" + name.get<std::string>()));
        model_files[name.get<std::string>()] = std::move(bytes);
      }
  }
  VERGER_ASSIGN_OR_RETURN(PcaModel model, PcaModel::Decode(model_files, store->Describe("pca/")));
  const int64_t dim = manifest["feature_dim"];
  if (model.dim() != dim)
    return Status::InvalidArgument(store->Describe("pca/model.json") + ": model expects " +
                                   std::to_string(model.dim()) + "-d rows, features are " + std::to_string(dim) + "-d");
  const std::string source = manifest.value("model_sha256", "");
  if (!model.source_hash().empty() && !source.empty() && model.source_hash() != source)
    return Status::InvalidArgument(store->Describe("pca/model.json") +
                                   ": fit on features of a different model/preprocessing (hash " +
                                   model.source_hash().substr(0, 12) + " vs " + source.substr(0, 12) + ")");

  VERGER_ASSIGN_OR_RETURN(auto in_format, MakeTableFormat(manifest["formats"][0]));
  std::vector<std::string> out_names = o.formats;
  if (out_names.empty()) out_names = manifest["formats"].get<std::vector<std::string>>();
  std::vector<std::unique_ptr<TableFormat>> out_formats;
  for (const auto& n : out_names) {
    VERGER_ASSIGN_OR_RETURN(auto f, MakeTableFormat(n));
    out_formats.push_back(std::move(f));
  }

  const int64_t k = model.components();
  int64_t total_rows = 0;
  for (const auto& p : manifest["partitions"]) total_rows += p["rows"].get<int64_t>();
  Progress progress("transform", total_rows, o.progress);
  TransformSummary summary;
  summary.components = k;
  std::vector<float> pc1, pc2;
  std::vector<std::string> scatter_labels;
  // Every row has the same chance to be drawn, deterministically.
  const int64_t stride = std::max<int64_t>(1, (total_rows + kScatterMaxPoints - 1) / kScatterMaxPoints);
  int64_t seen = 0;
  json reduced_parts = json::array();

  for (const auto& p : manifest["partitions"]) {
    const int64_t index = p["index"];
    json files = json::array();
    for (const auto& [base, label] : TableKeys(p, *in_format)) {
      VERGER_ASSIGN_OR_RETURN(FeatureTable in, ReadTable(*store, *in_format, base));
      FeatureTable out;
      out.label = label;
      out.column_prefix = "pc_";
      out.dim = k;
      out.paths = in.paths;
      out.values.resize(static_cast<size_t>(in.rows() * k));
      out.metadata = {{"verger.pca_components", std::to_string(k)}, {"verger.model_sha256", source}};
      Status s = model.Transform(in.values.data(), in.rows(), out.values.data());
      if (!s.ok()) return s.WithContext(store->Describe(base));
      for (int64_t r = 0; r < in.rows(); ++r, ++seen) {
        if (seen % stride == 0 && k >= 2) {
          pc1.push_back(out.values[r * k]);
          pc2.push_back(out.values[r * k + 1]);
          scatter_labels.push_back(label);
        }
      }
      const std::string out_base = TableBaseKey(kReducedDataset, label, index);
      for (const auto& f : out_formats) {
        VERGER_ASSIGN_OR_RETURN(auto encoded, f->Encode(out, store->Describe(out_base)));
        for (auto& e : encoded) {
          VERGER_RETURN_IF_ERROR(store->WriteAtomic(out_base + e.suffix, e.bytes));
          files.push_back({{"key", out_base + e.suffix}, {"label", label}, {"rows", out.rows()}, {"bytes", e.bytes.size()}});
        }
      }
      summary.rows += in.rows();
      progress.Advance(in.rows(), 0);
    }
    reduced_parts.push_back({{"index", index}, {"name", PartitionName(index)}, {"files", files}});
    ++summary.partitions;
  }
  progress.Finish();
  if (k >= 2) {
    VERGER_ASSIGN_OR_RETURN(std::string svg, ScatterSvg(pc1, pc2, scatter_labels));
    VERGER_RETURN_IF_ERROR(store->WriteAtomic(
        "pca/scatter_pc1_pc2.svg", std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(svg.data()), svg.size())));
  }
  auto ratios = model.explained_variance_ratio();
  double cum = 0;
  for (double r : ratios) cum += r;
  manifest["pca"] = {{"model", "pca/model.json"},
                     {"components", k},
                     {"whiten", model.whiten()},
                     {"n_samples", model.n_samples()},
                     {"explained_variance_ratio_total", cum},
                     {"pictures", {"pca/explained_variance.svg", "pca/scatter_pc1_pc2.svg"}}};
  manifest["reduced"] = {{"column_prefix", "pc_"}, {"formats", out_names}, {"rows", summary.rows}, {"partitions", reduced_parts}};
  VERGER_RETURN_IF_ERROR(WriteJson(*store, kManifestKey, manifest));
  summary.wall_s = SecondsSince(t0);
  return summary;
}

}  // namespace verger
