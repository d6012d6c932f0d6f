#include "engine/run_job.h"

namespace verger {

Result<RunSummary> RunPipeline(const RunOptions& o, const RunObserver& observer) {
  ExtractOptions ex = o.extract;
  ex.write_pca_stats = true;
  ex.defer_manifest = true;  // manifest.json only once transform is done
  RunSummary summary;
  VERGER_ASSIGN_OR_RETURN(summary.extract, RunExtract(ex));
  if (observer.extracted) observer.extracted(summary.extract);
  if (summary.extract.max_errors_exceeded) return summary;

  // A resumed run keeps a complete PCA model (model.json is written last)
  // of the same feature size unless told to refit.
  bool fit = true;
  if (ex.resume && !o.refit_pca) {
    VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(ex.output, ex.store));
    auto old = ReadPcaModel(*store, "pca/");
    if (old.ok() && old->dim() == summary.extract.feature_dim) {
      fit = false;
      summary.kept_model_components = old->components();
      if (observer.kept_model) observer.kept_model(old->components());
    }
  }
  if (fit) {
    FitPcaOptions fit_options{ex.output, /*from_run_state=*/true, o.pca, ex.store};
    VERGER_ASSIGN_OR_RETURN(summary.fit, RunFitPca(fit_options));
    if (observer.fitted) observer.fitted(*summary.fit);
  }
  TransformOptions tr;
  tr.input = ex.output;
  tr.store = ex.store;
  tr.progress = ex.progress;
  tr.from_run_state = true;
  VERGER_ASSIGN_OR_RETURN(summary.transform, RunTransform(tr));
  if (observer.transformed) observer.transformed(*summary.transform);
  return summary;
}

}  // namespace verger
