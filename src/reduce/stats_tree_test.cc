#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "reduce/stats_tree.h"

namespace verger {
namespace {

std::vector<float> RandomRows(int64_t n, int64_t d, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(1.f, 2.f);
  std::vector<float> v(static_cast<size_t>(n * d));
  for (auto& x : v) x = g(rng);
  return v;
}

// Partition statistics merged through the carry-chain tree equal the
// statistics of all rows at once, for partition counts that are and are
// not powers of two.
TEST(StatsTreeMerger, EqualsSinglePassForAnyPartitionCount) {
  const int64_t d = 7, rows_per = 33;
  for (int parts : {1, 2, 3, 5, 8, 11}) {
    auto all = RandomRows(rows_per * parts, d, 7 + parts);
    PcaStats whole(d);
    ASSERT_TRUE(whole.AddRows(all.data(), rows_per * parts).ok());
    StatsTreeMerger merger;
    for (int p = 0; p < parts; ++p) {
      PcaStats s(d);
      ASSERT_TRUE(s.AddRows(all.data() + p * rows_per * d, rows_per).ok());
      ASSERT_TRUE(merger.Add(std::move(s)).ok());
    }
    auto merged = merger.Finish();
    ASSERT_TRUE(merged.ok()) << merged.status().ToString();
    EXPECT_EQ(merged->count(), whole.count());
    for (int64_t i = 0; i < d; ++i) EXPECT_NEAR(merged->mean()[i], whole.mean()[i], 1e-12);
    for (int64_t j = 0; j < d; ++j)
      for (int64_t i = 0; i <= j; ++i)
        EXPECT_NEAR(merged->scatter()[j * d + i], whole.scatter()[j * d + i], 1e-9 * std::abs(whole.scatter()[j * d + j]));
  }
}

TEST(StatsTreeMerger, EmptyAndMismatchedDimsAreErrors) {
  StatsTreeMerger empty;
  EXPECT_EQ(empty.Finish().status().code(), StatusCode::kInvalidArgument);
  StatsTreeMerger m;
  auto rows = RandomRows(4, 3, 1);
  PcaStats a(3), b(4);
  ASSERT_TRUE(a.AddRows(rows.data(), 4).ok());
  ASSERT_TRUE(m.Add(std::move(a)).ok());
  EXPECT_FALSE(m.Add(std::move(b)).ok());
}

}  // namespace
}  // namespace verger
