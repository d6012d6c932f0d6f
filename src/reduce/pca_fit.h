// Fitting a PcaModel from merged PcaStats: LAPACK eigendecomposition of the
// covariance scatter / (n - 1).
#pragma once

#include <cstdint>
#include <string>

#include "core/status.h"
#include "reduce/pca_model.h"
#include "reduce/pca_stats.h"

namespace verger {

struct PcaFitOptions {
  // How many components to keep. Set at most one of the two; with neither,
  // all min(dim, n - 1) components are kept.
  //   components: K with 1 <= K <= min(dim, n - 1). (Centred data of n rows
  //               has rank <= n - 1; sklearn's extra n-th component when
  //               n <= dim is an arbitrary null-space direction, refused here.)
  //   variance:   F in (0, 1): sklearn's n_components=F, i.e. the smallest K
  //               whose cumulative explained_variance_ratio is strictly
  //               greater than F (capped at min(dim, n - 1)).
  int64_t components = 0;
  double variance = 0;
  bool whiten = false;       // sklearn whiten=True
  std::string source_hash;   // stored in the model, e.g. the feature spec hash
};

// Fits the model. `stats` is only read (but see PcaStats' thread-safety
// note: it may fold buffered rows). Errors (InvalidArgument): fewer than 2
// rows, both or invalid selection options, K out of the range above, zero
// total variance (all rows identical), whitening a zero-variance component.
// Internal if LAPACK fails.
//
// Method: dsytrd reduces the covariance to tridiagonal form once; dsterf
// gives every eigenvalue (for the ratios and the variance rule); dstemr
// computes only the K wanted eigenvectors of the tridiagonal matrix and
// dormtr maps them back, so the cost beyond the reduction is O(dim^2 K).
Result<PcaModel> FitPca(const PcaStats& stats, const PcaFitOptions& options);

}  // namespace verger
