#include "reduce/pca_fit.h"

#include <lapacke.h>

#include <algorithm>
#include <cmath>
#include <vector>

namespace verger {

namespace {

// Covariance (upper triangle, column-major) from the stats' scatter.
std::vector<double> Covariance(const PcaStats& stats) {
  const int64_t d = stats.dim();
  const double denom = static_cast<double>(stats.count() - 1);
  const std::vector<double>& s = stats.scatter();
  std::vector<double> a(static_cast<size_t>(d * d), 0.0);
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i <= j; ++i) a[j * d + i] = s[j * d + i] / denom;
  return a;
}

// Top-k eigenvectors (ascending eigenvalue order, column-major d x k) with
// LAPACK's one-shot driver; used only if the tridiagonal path fails.
Result<std::vector<double>> TopVectorsDsyevr(const PcaStats& stats, int64_t k) {
  const lapack_int d = static_cast<lapack_int>(stats.dim());
  std::vector<double> a = Covariance(stats), w(static_cast<size_t>(d)), z(static_cast<size_t>(d * k));
  std::vector<lapack_int> isuppz(static_cast<size_t>(2 * k));
  lapack_int m = 0;
  const lapack_int info = LAPACKE_dsyevr(LAPACK_COL_MAJOR, 'V', 'I', 'U', d, a.data(), d, 0.0, 0.0,
                                         d - static_cast<lapack_int>(k) + 1, d, 0.0, &m, w.data(), z.data(), d,
                                         isuppz.data());
  if (info != 0 || m != k)
    return Status::Internal("PCA fit: LAPACK dsyevr failed (info " + std::to_string(info) + ", found " +
                            std::to_string(m) + " of " + std::to_string(k) + " eigenvectors)");
  return z;
}

}  // namespace

Result<PcaModel> FitPca(const PcaStats& stats, const PcaFitOptions& options) {
  const int64_t n = stats.count(), d = stats.dim();
  if (d < 1) return Status::InvalidArgument("PCA fit: feature dimension " + std::to_string(d) + " is invalid");
  if (n < 2)
    return Status::InvalidArgument("PCA fit: needs at least 2 rows, the statistics hold " + std::to_string(n));
  if (options.components < 0)
    return Status::InvalidArgument("PCA fit: components must be >= 1, got " + std::to_string(options.components));
  if (options.variance != 0 && !(options.variance > 0 && options.variance < 1))
    return Status::InvalidArgument("PCA fit: variance fraction must be in (0, 1), got " +
                                   std::to_string(options.variance));
  if (options.components > 0 && options.variance > 0)
    return Status::InvalidArgument("PCA fit: set either components or variance, not both");
  const int64_t max_k = std::min(d, n - 1);
  if (options.components > max_k)
    return Status::InvalidArgument("PCA fit: " + std::to_string(options.components) +
                                   " components requested but at most min(dim, rows - 1) = min(" +
                                   std::to_string(d) + ", " + std::to_string(n - 1) + ") = " +
                                   std::to_string(max_k) + " exist");

  const lapack_int ld = static_cast<lapack_int>(d);
  std::vector<double> a = Covariance(stats);
  std::vector<double> diag(static_cast<size_t>(d)), offdiag(static_cast<size_t>(d), 0.0),
      tau(static_cast<size_t>(std::max<int64_t>(d - 1, 1)));
  lapack_int info = LAPACKE_dsytrd(LAPACK_COL_MAJOR, 'U', ld, a.data(), ld, diag.data(), offdiag.data(), tau.data());
  if (info != 0) return Status::Internal("PCA fit: LAPACK dsytrd failed (info " + std::to_string(info) + ")");

  // Every eigenvalue, ascending; dsterf overwrites its inputs.
  std::vector<double> eig = diag, e_copy = offdiag;
  info = LAPACKE_dsterf(ld, eig.data(), e_copy.data());
  if (info != 0) return Status::Internal("PCA fit: LAPACK dsterf failed (info " + std::to_string(info) + ")");

  // Descending spectrum of the min(d, n - 1) meaningful components; rounding
  // can leave null-space eigenvalues at -1e-17, which are variances of 0.
  std::vector<double> spectrum(static_cast<size_t>(max_k));
  double total = 0;
  for (int64_t i = 0; i < max_k; ++i) {
    spectrum[i] = std::max(eig[d - 1 - i], 0.0);
    total += spectrum[i];
  }
  if (!(total > 0))
    return Status::InvalidArgument("PCA fit: total variance is zero (all " + std::to_string(n) +
                                   " rows are identical)");

  int64_t k = max_k;
  if (options.components > 0) {
    k = options.components;
  } else if (options.variance > 0) {
    // sklearn: searchsorted(cumsum(ratio), F, side='right') + 1.
    double cumulative = 0;
    for (int64_t i = 0; i < max_k; ++i) {
      cumulative += spectrum[i] / total;
      if (cumulative > options.variance) {
        k = i + 1;
        break;
      }
    }
  }

  // The k largest eigenvectors of the tridiagonal matrix, then back to the
  // original basis: Z := Q Z.
  std::vector<double> z(static_cast<size_t>(d * k));
  {
    std::vector<double> dd = diag, ee = offdiag, w(static_cast<size_t>(d));
    std::vector<lapack_int> isuppz(static_cast<size_t>(2 * k));
    lapack_int m = 0;
    lapack_logical tryrac = 1;
    info = LAPACKE_dstemr(LAPACK_COL_MAJOR, 'V', 'I', ld, dd.data(), ee.data(), 0.0, 0.0,
                          ld - static_cast<lapack_int>(k) + 1, ld, &m, w.data(), z.data(), ld,
                          static_cast<lapack_int>(k), isuppz.data(), &tryrac);
    if (info == 0 && m == k) {
      info = LAPACKE_dormtr(LAPACK_COL_MAJOR, 'L', 'U', 'N', ld, static_cast<lapack_int>(k), a.data(), ld, tau.data(),
                            z.data(), ld);
      if (info != 0) return Status::Internal("PCA fit: LAPACK dormtr failed (info " + std::to_string(info) + ")");
    } else {
      a.clear();
      a.shrink_to_fit();
      VERGER_ASSIGN_OR_RETURN(z, TopVectorsDsyevr(stats, k));
    }
  }

  PcaModelParts parts;
  parts.mean = stats.mean();
  parts.components.resize(static_cast<size_t>(k * d));
  for (int64_t c = 0; c < k; ++c) {
    const double* src = z.data() + (k - 1 - c) * d;  // ascending -> descending
    double* dst = parts.components.data() + c * d;
    // Sign convention: the largest-|loading| entry is positive (ties: the
    // lowest index), so reruns and merge orders agree.
    int64_t arg = 0;
    for (int64_t i = 1; i < d; ++i)
      if (std::fabs(src[i]) > std::fabs(src[arg])) arg = i;
    const double sign = src[arg] < 0 ? -1.0 : 1.0;
    for (int64_t i = 0; i < d; ++i) dst[i] = sign * src[i];
  }
  parts.explained_variance.assign(spectrum.begin(), spectrum.begin() + k);
  parts.explained_variance_ratio.resize(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c) parts.explained_variance_ratio[c] = spectrum[c] / total;
  // sklearn's noise_variance_: the mean of the discarded variances over
  // min(n, d) components (the n-th, when n <= d, being 0).
  const int64_t rest = std::min(n, d) - k;
  double discarded = 0;
  for (int64_t i = k; i < max_k; ++i) discarded += spectrum[i];
  parts.noise_variance = rest > 0 ? discarded / static_cast<double>(rest) : 0.0;
  parts.spectrum = std::move(spectrum);
  parts.n_samples = n;
  parts.whiten = options.whiten;
  parts.total_variance = total;
  parts.source_hash = options.source_hash;
  return PcaModel::Create(std::move(parts), "PCA fit");
}

}  // namespace verger
