// PCA over an extract output: `verger fit-pca` (merge per-partition
// statistics, fit), `verger transform` (project every partition) and
// `verger run` (extract -> fit -> transform, statistics accumulated while
// extracting so features are read back once, for the projection).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/extract_job.h"
#include "engine/job_records.h"
#include "engine/output_layout.h"
#include "reduce/pca_model.h"
#include "reduce/pca_stats.h"
#include "reduce/stats_tree.h"
#include "sink/table.h"

namespace verger {

struct PcaChoice {
  int64_t components = 0;  // K; 0 = decided by `variance` (or all)
  double variance = 0;     // smallest K reaching this explained-variance fraction
  bool whiten = false;
};

struct FitPcaOptions {
  std::string input;   // an extract output (holds manifest.json and features/)
  bool from_run_state = false;  // `run`: the features manifest is kRunStateKey
  PcaChoice pca;
  StoreOptions store;
};

struct FitPcaSummary {
  int64_t n_samples = 0, dim = 0, components = 0;
  double explained = 0;  // cumulative explained variance ratio of the K kept
  int64_t stats_from_files = 0, stats_recomputed = 0;
  double wall_s = 0;
};

// Writes pca/{model.json, *.npy, explained_variance.svg} under `input`.
Result<FitPcaSummary> RunFitPca(const FitPcaOptions& options);

struct TransformOptions {
  std::string input;                 // an extract output with pca/ (from fit-pca)
  std::string pca;                   // folder of a fitted model; empty = <input>/pca
  std::vector<std::string> formats;  // empty = the formats of the extract
  StoreOptions store;
  bool from_run_state = false;       // `run`: read kRunStateKey, delete it once manifest.json is written
  Progress::Options progress;
};

struct TransformSummary {
  int64_t rows = 0, partitions = 0, components = 0;
  double wall_s = 0;
};

// Writes reduced/label=<Label>/part-NNNNN.<fmt> (path,label,pc_0..), the
// pca/scatter_pc1_pc2.svg picture, and records both in manifest.json.
Result<TransformSummary> RunTransform(const TransformOptions& options);

// ---- Building blocks, shared by the local commands and cluster tasks. ----

// A features manifest, NotFound telling to run `verger extract` first, or
// Corrupt naming the file and the damaged field.
// `key`: kRunStateKey while a `run` is between extract and transform.
Result<FeaturesManifest> ReadFeaturesManifest(const ObjectStore& store, std::string_view key = kManifestKey);

// One partition's statistics: its .pcastats file when the marker names one,
// else computed by reading its tables once (first format of the manifest).
Result<PcaStats> PartitionPcaStats(const ObjectStore& store, const PartitionMarker& partition,
                                   const TableFormat& format, int64_t dim);

// InvalidArgument for a negative K, a fraction outside (0, 1], or both.
Status ValidatePcaChoice(const PcaChoice& choice);

// Fits PCA on merged statistics (at least 2 rows) and writes it with
// WritePcaModel: the step `fit-pca` and cluster mode share.
Result<PcaModel> FitAndWritePca(ObjectStore& store, const PcaStats& merged, const PcaChoice& choice,
                                const std::string& source_hash);

// Writes pca/*.npy, pca/explained_variance.svg, then pca/model.json (last:
// its presence means the files it names are there).
Status WritePcaModel(ObjectStore& store, const PcaModel& model);

// Reads model.json and the files it names under `prefix` ("pca/" or "").
Result<PcaModel> ReadPcaModel(const ObjectStore& store, const std::string& prefix);

// Rows drawn for the scatter picture: a row is kept when a stable hash of
// its path falls in 1/stride, so any partitioning draws the same rows.
struct ScatterSample {
  std::vector<float> pc1, pc2;
  std::vector<std::string> labels;
};

// Projects one partition's label tables into reduced/label=<L>/part-N.<fmt>
// (each file atomic) and returns the partition's entry for the manifest.
Result<ReducedPartition> TransformPartition(ObjectStore& store, const PartitionMarker& partition,
                                          const TableFormat& in_format,
                                          const std::vector<std::unique_ptr<TableFormat>>& out_formats,
                                          const PcaModel& model, const std::string& source_hash,
                                          int64_t sample_stride, ScatterSample* sample);

// Writes pca/scatter_pc1_pc2.svg and records the PCA model and the reduced
// partitions in manifest.json (rewritten atomically, last).
Status FinishTransform(ObjectStore& store, FeaturesManifest manifest, const PcaModel& model,
                       const std::string& model_location, const std::vector<std::string>& formats,
                       const std::vector<ReducedPartition>& reduced_partitions, const ScatterSample& sample);

}  // namespace verger
