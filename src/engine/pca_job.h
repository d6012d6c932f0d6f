// PCA over an extract output: `verger fit-pca` (merge per-partition
// statistics, fit), `verger transform` (project every partition) and
// `verger run` (extract -> fit -> transform, statistics accumulated while
// extracting so features are read back once, for the projection).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/extract_job.h"

namespace verger {

struct PcaChoice {
  int64_t components = 0;  // K; 0 = decided by `variance` (or all)
  double variance = 0;     // smallest K reaching this explained-variance fraction
  bool whiten = false;
};

struct FitPcaOptions {
  std::string input;   // an extract output (holds manifest.json and features/)
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
  std::vector<std::string> formats;  // empty = the formats of the extract
  StoreOptions store;
  Progress::Mode progress = Progress::Mode::kAuto;
};

struct TransformSummary {
  int64_t rows = 0, partitions = 0, components = 0;
  double wall_s = 0;
};

// Writes reduced/label=<Label>/part-NNNNN.<fmt> (path,label,pc_0..), the
// pca/scatter_pc1_pc2.svg picture, and records both in manifest.json.
Result<TransformSummary> RunTransform(const TransformOptions& options);

}  // namespace verger
