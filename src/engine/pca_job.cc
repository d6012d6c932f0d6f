#include "engine/pca_job.h"
#include "engine/stage_seconds.h"

#include <chrono>
#include <map>

#include "core/hash.h"
#include "engine/interrupt.h"
#include "engine/output_layout.h"
#include "engine/output_lock.h"
#include "engine/partition.h"
#include "reduce/pca_fit.h"
#include "reduce/pca_plots.h"
#include "sink/parquet_format.h"

namespace verger {

namespace {

using json = nlohmann::json;

std::span<const uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// Reads one label table from the files Encode produced for `base_key`.
Result<FeatureTable> ReadTable(const ObjectStore& store, const TableFormat& format, const std::string& base_key) {
  std::vector<std::vector<uint8_t>> files;
  for (const auto& suffix : format.suffixes()) {
    VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(base_key + suffix));
    files.push_back(std::move(bytes));
  }
  return format.Decode(files, store.Describe(base_key));
}

}  // namespace

Result<FeaturesManifest> ReadFeaturesManifest(const ObjectStore& store, std::string_view key) {
  auto manifest = ReadManifest(store, key);
  if (!manifest.ok() && manifest.status().code() == StatusCode::kNotFound)
    return Status::NotFound(store.Describe(key) +
                            ": no manifest; run `verger extract` into this location first (or it did not finish)");
  return manifest;
}

Result<PcaStats> PartitionPcaStats(const ObjectStore& store, const PartitionMarker& partition,
                                   const TableFormat& format, int64_t dim) {
  if (partition.pca_stats) {
    const std::string& key = *partition.pca_stats;
    VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(key));
    VERGER_ASSIGN_OR_RETURN(PcaStats s, PcaStats::Deserialize(bytes, store.Describe(key)));
    if (s.dim() != dim)
      return Status::Corrupt(store.Describe(key) + ": statistics of dimension " + std::to_string(s.dim()) +
                             ", the manifest says " + std::to_string(dim));
    return s;
  }
  PcaStats s(dim);
  for (const auto& [base, label] : PartitionTables(partition.index, partition.files, kFeaturesDataset, format)) {
    VERGER_ASSIGN_OR_RETURN(FeatureTable t, ReadTable(store, format, base));
    if (t.dim != dim && t.rows() > 0)
      return Status::Corrupt(store.Describe(base) + ": rows of dimension " + std::to_string(t.dim) +
                             ", other partitions have " + std::to_string(dim));
    Status added = s.AddRows(t.values.data(), t.rows());
    if (!added.ok()) return added.WithContext(store.Describe(base));
  }
  return s;
}

Status WritePcaModel(ObjectStore& store, const PcaModel& model) {
  VERGER_ASSIGN_OR_RETURN(auto files, model.Encode());
  for (const auto& [name, bytes] : files)
    if (name != PcaModel::kModelJson) VERGER_RETURN_IF_ERROR(store.WriteAtomic("pca/" + name, bytes));
  VERGER_RETURN_IF_ERROR(store.WriteAtomic(kExplainedVarianceSvg, Bytes(ExplainedVarianceSvg(model))));
  for (const auto& [name, bytes] : files)
    if (name == PcaModel::kModelJson) VERGER_RETURN_IF_ERROR(store.WriteAtomic("pca/" + name, bytes));
  return Status::OK();
}

Result<PcaModel> ReadPcaModel(const ObjectStore& store, const std::string& prefix) {
  const std::string json_key = prefix + PcaModel::kModelJson;
  auto raw = store.Read(json_key);
  if (!raw.ok()) {
    if (raw.status().code() == StatusCode::kNotFound)
      return Status::NotFound(store.Describe(json_key) + ": no PCA model; run `verger fit-pca` first");
    return raw.status();
  }
  auto meta = json::parse(raw->begin(), raw->end(), nullptr, false);
  if (meta.is_discarded() || !meta.contains("files") || !meta["files"].is_object())
    return Status::Corrupt(store.Describe(json_key) + ": not a verger PCA model.json");
  std::map<std::string, std::vector<uint8_t>> files;
  files[PcaModel::kModelJson] = std::move(raw).value();
  for (const auto& [field, name] : meta["files"].items()) {
    if (!name.is_string()) return Status::Corrupt(store.Describe(json_key) + ": files." + field + " is not a name");
    VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(prefix + name.get<std::string>()));
    files[name.get<std::string>()] = std::move(bytes);
  }
  return PcaModel::Decode(files, store.Describe(json_key));
}

Result<ReducedPartition> TransformPartition(ObjectStore& store, const PartitionMarker& partition,
                                            const TableFormat& in_format,
                                const std::vector<std::unique_ptr<TableFormat>>& out_formats, const PcaModel& model,
                                const std::string& source_hash, int64_t sample_stride, ScatterSample* sample) {
  const int64_t index = partition.index;
  const int64_t k = model.components();
  ReducedPartition reduced{index, PartitionName(index), 0, {}};
  for (const auto& [base, label] : PartitionTables(index, partition.files, kFeaturesDataset, in_format)) {
    VERGER_ASSIGN_OR_RETURN(FeatureTable in, ReadTable(store, in_format, base));
    if (in.dim != model.dim() && in.rows() > 0)
      return Status::InvalidArgument(store.Describe(base) + ": rows of dimension " + std::to_string(in.dim) +
                                     ", the PCA model expects " + std::to_string(model.dim()));
    FeatureTable out;
    out.label = label;
    out.column_prefix = "pc_";
    out.dim = k;
    out.paths = in.paths;
    out.values.resize(static_cast<size_t>(in.rows() * k));
    out.metadata = {{"verger.pca_components", std::to_string(k)}, {"verger.model_sha256", source_hash}};
    Status s = model.Transform(in.values.data(), in.rows(), out.values.data());
    if (!s.ok()) return s.WithContext(store.Describe(base));
    if (sample && k >= 2) {
      for (int64_t r = 0; r < in.rows(); ++r) {
        if (Fnv1a(in.paths[r]) % static_cast<uint64_t>(std::max<int64_t>(1, sample_stride)) != 0) continue;
        sample->pc1.push_back(out.values[r * k]);
        sample->pc2.push_back(out.values[r * k + 1]);
        sample->labels.push_back(label);
      }
    }
    const std::string out_base = TableBaseKey(kReducedDataset, label, index);
    for (const auto& f : out_formats) {
      VERGER_ASSIGN_OR_RETURN(auto encoded, f->Encode(out, store.Describe(out_base)));
      for (auto& e : encoded) {
        VERGER_RETURN_IF_ERROR(store.WriteAtomic(out_base + e.suffix, e.bytes));
        reduced.files.push_back({out_base + e.suffix, label, out.rows(), e.bytes.size(), std::nullopt});
      }
    }
    reduced.rows += in.rows();
  }
  return reduced;
}

Status FinishTransform(ObjectStore& store, FeaturesManifest manifest, const PcaModel& model,
                       const std::string& model_location, const std::vector<std::string>& formats,
                       const std::vector<ReducedPartition>& reduced_partitions, const ScatterSample& sample) {
  // The manifest lists only pictures that are there: a model applied with
  // --pca has its explained-variance plot beside it, not here.
  std::vector<std::string> pictures;
  VERGER_ASSIGN_OR_RETURN(bool have_variance_plot, store.Exists(kExplainedVarianceSvg));
  if (have_variance_plot) pictures.push_back(kExplainedVarianceSvg);
  if (model.components() >= 2 && !sample.pc1.empty()) {
    VERGER_ASSIGN_OR_RETURN(std::string svg, ScatterSvg(sample.pc1, sample.pc2, sample.labels,
                                                           model.explained_variance_ratio()[0],
                                                           model.explained_variance_ratio()[1]));
    VERGER_RETURN_IF_ERROR(store.WriteAtomic(kScatterSvg, Bytes(svg)));
    pictures.push_back(kScatterSvg);
  } else {
    VERGER_RETURN_IF_ERROR(store.Delete(kScatterSvg));  // an earlier model's picture
  }
  double explained = 0;
  for (double r : model.explained_variance_ratio()) explained += r;
  int64_t rows = 0;
  for (const auto& p : reduced_partitions) rows += p.rows;
  manifest.pca = PcaSection{model_location, model.components(), model.whiten(), model.n_samples(), explained, pictures};
  manifest.reduced = ReducedSection{"pc_", ParquetVectorColumn("pc_"), formats, rows, reduced_partitions};
  VERGER_RETURN_IF_ERROR(WriteManifest(store, kManifestKey, manifest));
  return RemoveUnlisted(store, std::string(kReducedDataset) + "/", ListedKeys(reduced_partitions));
}

Status ValidatePcaChoice(const PcaChoice& c) {
  if (c.components < 0) return Status::InvalidArgument("--components must be positive");
  if (c.variance < 0 || c.variance > 1) return Status::InvalidArgument("--variance must be in (0, 1]");
  if (c.components > 0 && c.variance > 0) return Status::InvalidArgument("give --components or --variance, not both");
  return Status::OK();
}

Result<PcaModel> FitAndWritePca(ObjectStore& store, const PcaStats& merged, const PcaChoice& choice,
                                const std::string& source_hash) {
  VERGER_RETURN_IF_ERROR(ValidatePcaChoice(choice));
  if (merged.count() < 2)
    return Status::InvalidArgument(store.uri() + ": PCA needs at least 2 feature rows, found " +
                                   std::to_string(merged.count()));
  PcaFitOptions fit;
  fit.components = choice.components;
  fit.variance = choice.variance;
  fit.whiten = choice.whiten;
  fit.source_hash = source_hash;
  VERGER_ASSIGN_OR_RETURN(PcaModel model, FitPca(merged, fit));
  VERGER_RETURN_IF_ERROR(WritePcaModel(store, model));
  return model;
}

Result<FitPcaSummary> RunFitPca(const FitPcaOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  VERGER_RETURN_IF_ERROR(ValidatePcaChoice(o.pca));
  VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(o.input, o.store));
  VERGER_ASSIGN_OR_RETURN(auto lock, OutputLock::Acquire(*store, o.from_run_state ? "run" : "fit-pca"));
  VERGER_ASSIGN_OR_RETURN(FeaturesManifest manifest,
                          ReadFeaturesManifest(*store, o.from_run_state ? kRunStateKey : kManifestKey));
  const int64_t dim = manifest.feature_dim;
  VERGER_ASSIGN_OR_RETURN(auto format, MakeTableFormat(manifest.formats.front()));

  FitPcaSummary summary;
  StatsTreeMerger merger;
  for (const auto& p : manifest.partitions) {
    VERGER_ASSIGN_OR_RETURN(PcaStats s, PartitionPcaStats(*store, p, *format, dim));
    ++(p.pca_stats ? summary.stats_from_files : summary.stats_recomputed);
    VERGER_RETURN_IF_ERROR(merger.Add(std::move(s)));
  }
  VERGER_ASSIGN_OR_RETURN(PcaStats merged, merger.Finish());
  VERGER_RETURN_IF_ERROR(lock->Confirm());
  VERGER_ASSIGN_OR_RETURN(PcaModel model, FitAndWritePca(*store, merged, o.pca, manifest.model_sha256.value_or("")));

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
  VERGER_ASSIGN_OR_RETURN(auto lock, OutputLock::Acquire(*store, o.from_run_state ? "run" : "transform"));
  VERGER_ASSIGN_OR_RETURN(FeaturesManifest manifest,
                          ReadFeaturesManifest(*store, o.from_run_state ? kRunStateKey : kManifestKey));

  std::unique_ptr<ObjectStore> pca_store_owned;
  const ObjectStore* pca_store = store.get();
  std::string pca_prefix = "pca/";
  if (!o.pca.empty()) {
    VERGER_ASSIGN_OR_RETURN(pca_store_owned, OpenObjectStore(o.pca, o.store));
    pca_store = pca_store_owned.get();
    pca_prefix.clear();
  }
  VERGER_ASSIGN_OR_RETURN(PcaModel model, ReadPcaModel(*pca_store, pca_prefix));
  const std::string model_where = pca_store->Describe(pca_prefix + PcaModel::kModelJson);
  const int64_t dim = manifest.feature_dim;
  if (model.dim() != dim)
    return Status::InvalidArgument(model_where + ": model expects " + std::to_string(model.dim()) +
                                   "-d rows, the features are " + std::to_string(dim) + "-d");
  const std::string source = manifest.model_sha256.value_or("");
  if (!model.source_hash().empty() && !source.empty() && model.source_hash() != source)
    return Status::InvalidArgument(model_where + ": fit on features of a different model/preprocessing (hash " +
                                   model.source_hash().substr(0, 12) + " vs " + source.substr(0, 12) + ")");

  VERGER_ASSIGN_OR_RETURN(auto in_format, MakeTableFormat(manifest.formats.front()));
  std::vector<std::string> out_names = o.formats;
  if (out_names.empty()) out_names = manifest.formats;
  std::vector<std::unique_ptr<TableFormat>> out_formats;
  for (const auto& n : out_names) {
    VERGER_ASSIGN_OR_RETURN(auto f, MakeTableFormat(n));
    out_formats.push_back(std::move(f));
  }

  int64_t total_rows = 0;
  for (const auto& p : manifest.partitions) total_rows += p.rows;
  const int64_t stride = std::max<int64_t>(1, (total_rows + kScatterMaxPoints - 1) / kScatterMaxPoints);
  Progress progress("transform", total_rows, o.progress);
  TransformSummary summary;
  summary.components = model.components();
  ScatterSample sample;
  std::vector<ReducedPartition> reduced;
  for (const auto& p : manifest.partitions) {
    if (InterruptRequested())
      return Status::Cancelled("interrupted: transform stopped after " + std::to_string(summary.partitions) + " of " +
                               std::to_string(manifest.partitions.size()) +
                               " partitions; rerun the same command (reduced/ is rewritten whole)");
    VERGER_ASSIGN_OR_RETURN(ReducedPartition r,
                            TransformPartition(*store, p, *in_format, out_formats, model, source, stride, &sample));
    summary.rows += r.rows;
    progress.Advance(r.rows, 0);
    reduced.push_back(std::move(r));
    ++summary.partitions;
  }
  progress.Finish();
  VERGER_RETURN_IF_ERROR(lock->Confirm());
  VERGER_RETURN_IF_ERROR(FinishTransform(*store, std::move(manifest), model,
                                         o.pca.empty() ? std::string("pca/model.json") : model_where, out_names,
                                         reduced, sample));
  if (o.from_run_state) VERGER_RETURN_IF_ERROR(store->Delete(kRunStateKey));  // manifest.json has it all now
  summary.wall_s = SecondsSince(t0);
  return summary;
}

}  // namespace verger
