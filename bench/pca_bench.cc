// PCA fit cost on a 4,814 x 4,096 float32 matrix of synthetic correlated
// rows (the size of a fruits-360 feature table from a 4,096-wide network):
// stats accumulation + merge + eigendecomposition, for 1 and 8 partitions,
// against a baseline measured in the same run: LAPACK dsyevd computing every
// eigenvector of the same covariance (what a plain "eigendecompose and
// truncate" fit would do). Counter vs_dsyevd_all = baseline seconds / our
// seconds for the whole fit (stats included), so > 1 means faster.
//
//   ninja -C build/<dir> pca_bench && build/<dir>/bench/pca_bench
#include <benchmark/benchmark.h>
#include <cblas.h>
#include <lapacke.h>

#include <chrono>
#include <cmath>
#include <random>
#include <vector>

#include "reduce/pca_fit.h"
#include "reduce/pca_stats.h"

namespace {

constexpr int64_t kRows = 4814, kDim = 4096, kLatent = 300, kComponents = 256;

// rows = latent factors (decaying scales) x random mixing + offset + noise.
const std::vector<float>& Data() {
  static const std::vector<float> data = [] {
    std::mt19937 rng(1);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::vector<float> z(kRows * kLatent), mix(kLatent * kDim), x(kRows * kDim);
    for (int64_t r = 0; r < kRows; ++r)
      for (int64_t l = 0; l < kLatent; ++l) z[r * kLatent + l] = 5.0f * std::pow(0.98f, float(l)) * g(rng);
    for (auto& v : mix) v = g(rng);
    for (auto& v : x) v = 1.0f + 0.1f * g(rng);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kRows, kDim, kLatent, 1.0f, z.data(), kLatent, mix.data(),
                kDim, 1.0f, x.data(), kDim);
    return x;
  }();
  return data;
}

verger::PcaStats Accumulate(int partitions) {
  const auto& x = Data();
  verger::PcaStats total(kDim);
  for (int p = 0; p < partitions; ++p) {
    const int64_t lo = kRows * p / partitions, hi = kRows * (p + 1) / partitions;
    verger::PcaStats part(kDim);
    if (!part.AddRows(x.data() + lo * kDim, hi - lo).ok()) std::abort();
    if (!total.Merge(part).ok()) std::abort();
  }
  return total;
}

// Seconds for stats (1 partition) + dsyevd with all eigenvectors; measured
// once per run and shared by the counters.
double BaselineSeconds() {
  static const double seconds = [] {
    auto t0 = std::chrono::steady_clock::now();
    verger::PcaStats stats = Accumulate(1);
    const auto& s = stats.scatter();
    std::vector<double> a(s.size()), w(kDim);
    for (size_t i = 0; i < s.size(); ++i) a[i] = s[i] / double(kRows - 1);
    if (LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'V', 'U', kDim, a.data(), kDim, w.data()) != 0) std::abort();
    benchmark::DoNotOptimize(a.data());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }();
  return seconds;
}

void BM_BaselineStatsPlusDsyevdAllVectors(benchmark::State& state) {
  Data();
  for (auto _ : state) state.SetIterationTime(BaselineSeconds());
}
BENCHMARK(BM_BaselineStatsPlusDsyevdAllVectors)->Iterations(1)->UseManualTime()->Unit(benchmark::kMillisecond);

// Whole fit: accumulate per partition, merge, FitPca(K = 256).
void BM_PcaFit(benchmark::State& state) {
  Data();
  const double baseline = BaselineSeconds();
  const int partitions = static_cast<int>(state.range(0));
  double stats_s = 0, eig_s = 0;
  for (auto _ : state) {
    auto t0 = std::chrono::steady_clock::now();
    verger::PcaStats stats = Accumulate(partitions);
    auto t1 = std::chrono::steady_clock::now();
    verger::PcaFitOptions opt;
    opt.components = kComponents;
    auto model = verger::FitPca(stats, opt);
    if (!model.ok()) std::abort();
    auto t2 = std::chrono::steady_clock::now();
    stats_s += std::chrono::duration<double>(t1 - t0).count();
    eig_s += std::chrono::duration<double>(t2 - t1).count();
    state.SetIterationTime(std::chrono::duration<double>(t2 - t0).count());
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["stats_merge_s"] = stats_s / iters;
  state.counters["eig_s"] = eig_s / iters;
  state.counters["rows_per_s"] = kRows * iters / (stats_s + eig_s);
  state.counters["vs_dsyevd_all"] = baseline / ((stats_s + eig_s) / iters);
}
BENCHMARK(BM_PcaFit)->Arg(1)->Arg(8)->Iterations(2)->UseManualTime()->Unit(benchmark::kMillisecond);

// Variance rule (K chosen from all eigenvalues): same path, K decided late.
void BM_PcaFitVariance95(benchmark::State& state) {
  Data();
  verger::PcaStats stats = Accumulate(8);
  int64_t k = 0;
  for (auto _ : state) {
    verger::PcaFitOptions opt;
    opt.variance = 0.95;
    auto model = verger::FitPca(stats, opt);
    if (!model.ok()) std::abort();
    k = model->components();
  }
  state.counters["K"] = static_cast<double>(k);
}
BENCHMARK(BM_PcaFitVariance95)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Size of one partition's statistics file (1,000 rows, the default
// partition) for D = 1280 (MobileNetV2) and 4096 (VGG16 fc2), against the
// uncompressed packed layout (32 + 8 * (D + D(D+1)/2) + 8 bytes); time is
// Serialize's (shuffle + deflate).
void BM_StatsFileBytes(benchmark::State& state) {
  const int64_t dim = state.range(0), rows = 1000;
  std::vector<float> x(static_cast<size_t>(rows * dim));
  for (int64_t r = 0; r < rows; ++r)
    std::copy(Data().begin() + r * kDim, Data().begin() + r * kDim + dim, x.begin() + r * dim);
  verger::PcaStats stats(dim);
  if (!stats.AddRows(x.data(), rows).ok()) state.SkipWithError("AddRows failed");
  size_t bytes = 0;
  for (auto _ : state) bytes = stats.Serialize().size();
  const double raw = 32.0 + 8.0 * (dim + dim * (dim + 1) / 2) + 8.0;
  state.counters["file_bytes"] = static_cast<double>(bytes);
  state.counters["uncompressed_bytes"] = raw;
  state.counters["ratio"] = raw / static_cast<double>(bytes);
}
BENCHMARK(BM_StatsFileBytes)->Arg(1280)->Arg(4096)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
