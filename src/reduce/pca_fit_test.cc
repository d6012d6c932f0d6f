#include "reduce/pca_fit.h"

#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <iostream>
#include <numeric>
#include <random>

#include "reduce/pca_test_data.h"

namespace verger {
namespace {

using testing::CorrelatedRows;

struct Partitioned {
  int64_t d = 0;
  std::vector<float> rows;
  std::vector<int64_t> bounds;  // partition p is rows [bounds[p], bounds[p+1])
};

Partitioned MakePartitions(int64_t n, int64_t d, int parts, uint32_t seed) {
  Partitioned p{d, CorrelatedRows(n, d, 12, seed), {0}};
  std::mt19937 rng(seed + 1);
  std::vector<int64_t> cuts;
  for (int i = 0; i < parts - 1; ++i) cuts.push_back(1 + static_cast<int64_t>(rng() % (n - 1)));
  std::sort(cuts.begin(), cuts.end());
  for (int64_t c : cuts) p.bounds.push_back(c);
  p.bounds.push_back(n);
  return p;
}

PcaStats StatsOf(const Partitioned& p, int part) {
  PcaStats s(p.d);
  const int64_t lo = p.bounds[part], hi = p.bounds[part + 1];
  EXPECT_TRUE(s.AddRows(p.rows.data() + lo * p.d, hi - lo).ok());
  return s;
}

double MaxRelDiff(const std::vector<double>& a, const std::vector<double>& b) {
  EXPECT_EQ(a.size(), b.size());
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    diff = std::max(diff, std::fabs(a[i] - b[i]));
    scale = std::max(scale, std::fabs(a[i]));
  }
  return scale == 0 ? diff : diff / scale;
}

TEST(PcaFit, MergeOrderDoesNotChangeTheModel) {
  const int kParts = 9;
  Partitioned p = MakePartitions(3000, 48, kParts, 11);
  PcaFitOptions opt;
  opt.components = 10;
  opt.source_hash = "spec-abc";

  // (a) left fold in partition order.
  PcaStats left = StatsOf(p, 0);
  for (int i = 1; i < kParts; ++i) ASSERT_TRUE(left.Merge(StatsOf(p, i)).ok());
  // (b) balanced pairwise tree.
  std::vector<PcaStats> level;
  for (int i = 0; i < kParts; ++i) level.push_back(StatsOf(p, i));
  while (level.size() > 1) {
    std::vector<PcaStats> up;
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      ASSERT_TRUE(level[i].Merge(level[i + 1]).ok());
      up.push_back(std::move(level[i]));
    }
    if (level.size() % 2) up.push_back(std::move(level.back()));
    level = std::move(up);
  }
  // (c) shuffled order, each new partition merged with the accumulator as
  // the argument, after a serialise/deserialise round trip (as the engine
  // reads them back from the store).
  std::vector<int> order(kParts);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(5));
  PcaStats shuffled(p.d);
  for (int i : order) {
    auto back = PcaStats::Deserialize(StatsOf(p, i).Serialize(), "part");
    ASSERT_TRUE(back.ok());
    ASSERT_TRUE(back->Merge(shuffled).ok());
    shuffled = std::move(*back);
  }

  std::vector<PcaModel> models;
  for (const PcaStats* s : {&left, &level[0], &shuffled}) {
    ASSERT_EQ(s->count(), 3000);
    auto m = FitPca(*s, opt);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    models.push_back(std::move(*m));
  }
  auto files0 = models[0].Encode();
  ASSERT_TRUE(files0.ok());
  for (int t = 1; t < 3; ++t) {
    const PcaModel& a = models[0];
    const PcaModel& b = models[t];
    // The bound we meet: 1e-12 normwise relative per array (measured: about
    // 1e-15; bit-identical files are not guaranteed because floating-point
    // sums are not associative).
    EXPECT_LE(MaxRelDiff(a.mean(), b.mean()), 1e-12);
    EXPECT_LE(MaxRelDiff(a.component_matrix(), b.component_matrix()), 1e-12);
    EXPECT_LE(MaxRelDiff(a.explained_variance(), b.explained_variance()), 1e-12);
    EXPECT_LE(MaxRelDiff(a.explained_variance_ratio(), b.explained_variance_ratio()), 1e-12);
    EXPECT_LE(MaxRelDiff(a.spectrum(), b.spectrum()), 1e-12);
    EXPECT_LE(std::fabs(a.total_variance() - b.total_variance()), 1e-12 * a.total_variance());
    auto files = b.Encode();
    ASSERT_TRUE(files.ok());
    int identical = 0;
    for (size_t f = 0; f < files->size(); ++f) identical += (*files)[f].second == (*files0)[f].second;
    std::cout << "merge tree " << t << ": " << identical << "/" << files->size()
              << " files byte-identical to the left fold; components max rel diff "
              << MaxRelDiff(a.component_matrix(), b.component_matrix()) << "\n";
  }
}

TEST(PcaFit, MatchesEigenOracle) {
  const int64_t n = 800, d = 30;
  auto x = CorrelatedRows(n, d, 8, 21);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  PcaFitOptions opt;
  opt.components = 8;
  auto m = FitPca(s, opt);
  ASSERT_TRUE(m.ok()) << m.status().ToString();

  Eigen::MatrixXd X(n, d);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < d; ++c) X(r, c) = x[r * d + c];
  Eigen::RowVectorXd mu = X.colwise().mean();
  Eigen::MatrixXd C = X.rowwise() - mu;
  Eigen::MatrixXd cov = (C.transpose() * C) / double(n - 1);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
  const double total = es.eigenvalues().sum();
  for (int64_t k = 0; k < 8; ++k) {
    const double lambda = es.eigenvalues()(d - 1 - k);
    EXPECT_NEAR(m->explained_variance()[k], lambda, 1e-10 * lambda);
    EXPECT_NEAR(m->explained_variance_ratio()[k], lambda / total, 1e-10);
    Eigen::VectorXd v = es.eigenvectors().col(d - 1 - k);
    double dot = 0;
    for (int64_t c = 0; c < d; ++c) dot += v(c) * m->component_matrix()[k * d + c];
    EXPECT_NEAR(std::fabs(dot), 1.0, 1e-10) << "component " << k;
  }
  EXPECT_NEAR(m->total_variance(), total, 1e-10 * total);
  for (int64_t c = 0; c < d; ++c) EXPECT_NEAR(m->mean()[c], mu(c), 1e-12 * std::fabs(mu(c)) + 1e-12);
  // sklearn's noise_variance_: mean of the discarded eigenvalues.
  EXPECT_NEAR(m->noise_variance(), es.eigenvalues().head(d - 8).mean(), 1e-9 * total);
}

TEST(PcaFit, SignConventionLargestLoadingPositive) {
  const int64_t n = 500, d = 20;
  auto x = CorrelatedRows(n, d, 6, 31);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  auto m = FitPca(s, PcaFitOptions{});  // all min(d, n - 1) = 20 components
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  ASSERT_EQ(m->components(), d);
  for (int64_t k = 0; k < m->components(); ++k) {
    const double* row = m->component_matrix().data() + k * d;
    int64_t arg = 0;
    for (int64_t c = 1; c < d; ++c)
      if (std::fabs(row[c]) > std::fabs(row[arg])) arg = c;
    EXPECT_GT(row[arg], 0) << "component " << k;
  }
  // Negating every row flips every eigenvector's natural sign but not the
  // convention: the same components come out.
  std::vector<float> neg(x.size());
  for (size_t i = 0; i < x.size(); ++i) neg[i] = -x[i];
  PcaStats sn(d);
  ASSERT_TRUE(sn.AddRows(neg.data(), n).ok());
  auto mn = FitPca(sn, PcaFitOptions{});
  ASSERT_TRUE(mn.ok());
  EXPECT_LE(MaxRelDiff(m->component_matrix(), mn->component_matrix()), 1e-9);
}

TEST(PcaFit, AxisAlignedComponentsArePositiveUnitVectors) {
  // Independent columns with variances 9, 4, 1: components are +e0, +e1, +e2.
  const int64_t n = 4000, d = 3;
  std::mt19937 rng(7);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(n * d);
  for (int64_t r = 0; r < n; ++r) {
    x[r * d + 0] = 1.0f * g(rng);
    x[r * d + 1] = 3.0f * g(rng);
    x[r * d + 2] = 2.0f * g(rng);
  }
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  auto m = FitPca(s, PcaFitOptions{});
  ASSERT_TRUE(m.ok());
  const int64_t axis[] = {1, 2, 0};
  for (int64_t k = 0; k < 3; ++k) EXPECT_NEAR(m->component_matrix()[k * d + axis[k]], 1.0, 0.02) << k;
}

TEST(PcaFit, SingleFeature) {
  std::vector<float> x = {1, 2, 3, 4, 6};
  PcaStats s(1);
  ASSERT_TRUE(s.AddRows(x.data(), 5).ok());
  auto m = FitPca(s, PcaFitOptions{});
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->components(), 1);
  EXPECT_DOUBLE_EQ(m->component_matrix()[0], 1.0);
  EXPECT_NEAR(m->explained_variance()[0], 3.7, 1e-12);  // sample variance of x
  EXPECT_DOUBLE_EQ(m->explained_variance_ratio()[0], 1.0);
  EXPECT_DOUBLE_EQ(m->mean()[0], 3.2);
}

TEST(PcaFit, VarianceSelectionFollowsSklearn) {
  const int64_t n = 600, d = 25;
  auto x = CorrelatedRows(n, d, 10, 41);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  auto all = FitPca(s, PcaFitOptions{});
  ASSERT_TRUE(all.ok());
  std::vector<double> cum(d);
  std::partial_sum(all->explained_variance_ratio().begin(), all->explained_variance_ratio().end(), cum.begin());
  EXPECT_NEAR(cum.back(), 1.0, 1e-12);
  for (int64_t k : {1, 3, 6}) {
    // sklearn: smallest K whose cumulative ratio is strictly above F.
    PcaFitOptions below;
    below.variance = cum[k - 1] - 1e-9;
    auto mb = FitPca(s, below);
    ASSERT_TRUE(mb.ok());
    EXPECT_EQ(mb->components(), k);
    PcaFitOptions above;
    above.variance = cum[k - 1] + 1e-9;
    auto ma = FitPca(s, above);
    ASSERT_TRUE(ma.ok());
    EXPECT_EQ(ma->components(), k + 1);
    EXPECT_EQ(ma->spectrum(), all->spectrum());
  }
  PcaFitOptions p95;
  p95.variance = 0.95;
  auto m95 = FitPca(s, p95);
  ASSERT_TRUE(m95.ok());
  const int64_t k95 = m95->components();
  EXPECT_GT(cum[k95 - 1], 0.95);
  if (k95 > 1) EXPECT_LE(cum[k95 - 2], 0.95);
}

TEST(PcaFit, ErrorsStateTheRule) {
  const int64_t d = 5;
  auto x = CorrelatedRows(100, d, 3, 51);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), 100).ok());

  PcaFitOptions too_many;
  too_many.components = 6;
  auto r = FitPca(s, too_many);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("6 components requested but at most min(dim, rows - 1) = min(5, 99) = 5"),
            std::string::npos)
      << r.status().message();

  // Fewer rows than features: rank is n - 1.
  PcaStats few(d);
  ASSERT_TRUE(few.AddRows(x.data(), 4).ok());
  PcaFitOptions four;
  four.components = 4;
  r = FitPca(few, four);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("min(5, 3) = 3"), std::string::npos) << r.status().message();
  four.components = 3;
  EXPECT_TRUE(FitPca(few, four).ok());

  PcaStats empty(d);
  r = FitPca(empty, PcaFitOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("needs at least 2 rows, the statistics hold 0"), std::string::npos);
  PcaStats one(d);
  ASSERT_TRUE(one.AddRows(x.data(), 1).ok());
  EXPECT_FALSE(FitPca(one, PcaFitOptions{}).ok());

  PcaFitOptions both;
  both.components = 2;
  both.variance = 0.5;
  EXPECT_FALSE(FitPca(s, both).ok());
  PcaFitOptions bad_fraction;
  bad_fraction.variance = 1.0;
  r = FitPca(s, bad_fraction);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("(0, 1)"), std::string::npos);

  // Identical rows: no variance to explain.
  std::vector<float> same(10 * d, 1.5f);
  PcaStats flat(d);
  ASSERT_TRUE(flat.AddRows(same.data(), 10).ok());
  r = FitPca(flat, PcaFitOptions{});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("total variance is zero"), std::string::npos);
}

}  // namespace
}  // namespace verger
