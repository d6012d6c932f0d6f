// A fitted PCA model (what FitPca returns) and its file form.
//
// Semantics follow scikit-learn's PCA: components are unit eigenvectors of
// the covariance scatter / (n - 1) in descending variance order,
// explained_variance_ratio = explained_variance / total_variance where the
// total is the sum of all eigenvalues, and whitening divides projections by
// sqrt(explained_variance). Sign convention: in every component the entry
// of largest magnitude is positive (ties: the lowest index).
//
// File set (Encode/Decode), readable by numpy without verger:
//   mean.npy                      float64 (dim)
//   components.npy                float64 (components, dim), row-major
//   explained_variance.npy        float64 (components)
//   explained_variance_ratio.npy  float64 (components)
//   spectrum.npy                  float64 (min(dim, n - 1)): the explained
//                                 variance of every component, descending,
//                                 kept for the scree plot
//   model.json                    everything else and the file names
//
// Thread safety: a PcaModel is immutable after construction; all const
// methods may be called concurrently (Transform uses per-call buffers;
// OpenBLAS is built thread-safe).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace verger {

// The raw parts of a model; PcaModel::Create validates them.
struct PcaModelParts {
  std::vector<double> mean;                      // dim
  std::vector<double> components;                // k * dim, row-major
  std::vector<double> explained_variance;        // k
  std::vector<double> explained_variance_ratio;  // k
  std::vector<double> spectrum;                  // >= k, descending
  int64_t n_samples = 0;
  bool whiten = false;
  double total_variance = 0;
  double noise_variance = 0;  // sklearn's noise_variance_
  std::string source_hash;    // feature-spec hash of the rows it was fit on
};

class PcaModel {
 public:
  // Validates shapes (k >= 1, dim >= 1, sizes consistent, spectrum at least
  // k long), finiteness and, when whitening, positive variances.
  // InvalidArgument naming `what` otherwise.
  static Result<PcaModel> Create(PcaModelParts parts, const std::string& what);

  int64_t components() const { return k_; }
  int64_t dim() const { return dim_; }
  int64_t n_samples() const { return p_.n_samples; }
  bool whiten() const { return p_.whiten; }
  double total_variance() const { return p_.total_variance; }
  double noise_variance() const { return p_.noise_variance; }
  const std::string& source_hash() const { return p_.source_hash; }
  const std::vector<double>& mean() const { return p_.mean; }
  // k x dim, row-major.
  const std::vector<double>& component_matrix() const { return p_.components; }
  const std::vector<double>& explained_variance() const { return p_.explained_variance; }
  const std::vector<double>& explained_variance_ratio() const { return p_.explained_variance_ratio; }
  const std::vector<double>& spectrum() const { return p_.spectrum; }

  // out[r, c] = (rows[r, :] - mean) . component c  (/ sqrt(explained
  // variance c) when whitening), for n row-major float32 rows of dim()
  // features; out holds n * components() floats. Computed in double with one
  // GEMM per batch of rows. Corrupt naming the row and column on NaN/Inf
  // input (out is then partially written).
  Status Transform(const float* rows, int64_t n, float* out) const;

  // The file set above as (file name, bytes). Deterministic: the same model
  // gives the same bytes.
  Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>> Encode() const;

  // Parses Encode()'s files (keyed by file name). NotFound naming the file
  // when model.json or a file it lists is missing; Corrupt or
  // InvalidArgument naming `what` and the file for anything inconsistent.
  static Result<PcaModel> Decode(const std::map<std::string, std::vector<uint8_t>>& files, const std::string& what);

  static constexpr const char* kModelJson = "model.json";

 private:
  explicit PcaModel(PcaModelParts parts);

  PcaModelParts p_;
  int64_t dim_ = 0;
  int64_t k_ = 0;
};

}  // namespace verger
