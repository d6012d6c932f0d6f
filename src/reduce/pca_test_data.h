// Test-only helper: synthetic correlated rows with a clear, decaying
// spectrum (latent factors times a random mixing matrix, plus noise).
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace verger::testing {

inline std::vector<float> CorrelatedRows(int64_t n, int64_t d, int64_t latent, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> g(0.0, 1.0);
  std::vector<double> mix(static_cast<size_t>(latent * d));
  for (auto& v : mix) v = g(rng);
  std::vector<double> offset(static_cast<size_t>(d));
  for (auto& v : offset) v = 2.0 + g(rng);
  std::vector<float> x(static_cast<size_t>(n * d));
  std::vector<double> z(static_cast<size_t>(latent));
  for (int64_t r = 0; r < n; ++r) {
    // Factor l has standard deviation 4 * 0.8^l: well separated eigenvalues.
    for (int64_t l = 0; l < latent; ++l) z[l] = 4.0 * std::pow(0.8, static_cast<double>(l)) * g(rng);
    for (int64_t c = 0; c < d; ++c) {
      double v = offset[c] + 0.05 * g(rng);
      for (int64_t l = 0; l < latent; ++l) v += z[l] * mix[l * d + c];
      x[r * d + c] = static_cast<float>(v);
    }
  }
  return x;
}

}  // namespace verger::testing
