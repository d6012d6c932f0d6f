// `verger run`: extract -> fit-pca -> transform as one job, whichever
// driver starts it. PCA statistics are written while extracting, so the
// features are read back once, for the projection; manifest.json is
// written last (by transform), so it never describes an unfinished run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "engine/extract_job.h"
#include "engine/pca_job.h"

namespace verger {

struct RunOptions {
  ExtractOptions extract;  // write_pca_stats and defer_manifest are set by RunPipeline
  PcaChoice pca;
  // With --resume: fit again instead of projecting with the complete model
  // already in pca/ (kept by default so projections stay comparable).
  bool refit_pca = false;
};

struct RunSummary {
  ExtractSummary extract;
  std::optional<FitPcaSummary> fit;     // none when an existing model was kept, or extract stopped
  int64_t kept_model_components = 0;    // > 0: the existing pca/ model was kept (no fit)
  std::optional<TransformSummary> transform;
};

// Called as each step finishes, so a driver can report progress in order.
struct RunObserver {
  std::function<void(const ExtractSummary&)> extracted;
  std::function<void(int64_t components)> kept_model;
  std::function<void(const FitPcaSummary&)> fitted;
  std::function<void(const TransformSummary&)> transformed;
};

// Errors as RunExtract, RunFitPca and RunTransform. With --max-errors
// exceeded the summary has extract.max_errors_exceeded and nothing else
// ran (errors.csv written, no manifest).
Result<RunSummary> RunPipeline(const RunOptions& options, const RunObserver& observer = {});

}  // namespace verger
