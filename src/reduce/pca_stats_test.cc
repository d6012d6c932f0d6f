#include "reduce/pca_stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "reduce/xxh64.h"

namespace verger {
namespace {

std::vector<float> RandomRows(int64_t n, int64_t d, uint32_t seed, float offset = 3.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n * d));
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < d; ++c) x[r * d + c] = offset + static_cast<float>(c % 7) * g(rng) + 0.5f * g(rng);
  return x;
}

// Two-pass reference in long double: mean, then centred scatter.
void NaiveStats(const std::vector<float>& x, int64_t n, int64_t d, std::vector<double>* mean,
                std::vector<double>* scatter) {
  std::vector<long double> m(d, 0.0L);
  for (int64_t r = 0; r < n; ++r)
    for (int64_t c = 0; c < d; ++c) m[c] += x[r * d + c];
  for (auto& v : m) v /= n;
  mean->assign(m.begin(), m.end());
  scatter->assign(d * d, 0.0);
  for (int64_t i = 0; i < d; ++i)
    for (int64_t j = i; j < d; ++j) {
      long double s = 0;
      for (int64_t r = 0; r < n; ++r) s += (x[r * d + i] - m[i]) * (x[r * d + j] - m[j]);
      (*scatter)[j * d + i] = static_cast<double>(s);
    }
}

TEST(PcaStats, MatchesTwoPassReferenceAcrossBlocks) {
  const int64_t n = 2 * PcaStats::kBlockRows + 37, d = 9;
  auto x = RandomRows(n, d, 1);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  std::vector<double> mean, scatter;
  NaiveStats(x, n, d, &mean, &scatter);
  EXPECT_EQ(s.count(), n);
  for (int64_t c = 0; c < d; ++c) EXPECT_NEAR(s.mean()[c], mean[c], 1e-12 * std::fabs(mean[c]) + 1e-14);
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i <= j; ++i)
      EXPECT_NEAR(s.scatter()[j * d + i], scatter[j * d + i], 1e-11 * std::fabs(scatter[j * d + i]) + 1e-9)
          << i << "," << j;
}

TEST(PcaStats, ResultDoesNotDependOnCallSizes) {
  const int64_t n = 3 * PcaStats::kBlockRows + 5, d = 6;
  auto x = RandomRows(n, d, 2);
  PcaStats whole(d), pieces(d);
  ASSERT_TRUE(whole.AddRows(x.data(), n).ok());
  // Uneven call sizes, some crossing block boundaries.
  const int64_t sizes[] = {1, 100, 700, 3, 300};
  int64_t at = 0;
  for (int64_t sz : sizes) {
    ASSERT_TRUE(pieces.AddRows(x.data() + at * d, sz).ok());
    at += sz;
  }
  ASSERT_TRUE(pieces.AddRows(x.data() + at * d, n - at).ok());
  EXPECT_EQ(whole.Serialize(), pieces.Serialize());
}

TEST(PcaStats, SerializeRoundTripIsExact) {
  const int64_t n = 700, d = 13;
  auto x = RandomRows(n, d, 3);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  const auto bytes = s.Serialize();
  // Compressed (layout 2): smaller than header 32 + mean + packed upper triangle + 8-byte checksum.
  EXPECT_LT(bytes.size(), 32u + (d + d * (d + 1) / 2) * 8u + 8u);
  EXPECT_EQ(bytes[12], 2);
  EXPECT_EQ(std::string(bytes.begin(), bytes.begin() + 8), "VGPCASTS");
  auto back = PcaStats::Deserialize(bytes, "part-0.stats");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->count(), n);
  EXPECT_EQ(back->dim(), d);
  EXPECT_EQ(back->mean(), s.mean());
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i <= j; ++i) EXPECT_EQ(back->scatter()[j * d + i], s.scatter()[j * d + i]);
  EXPECT_EQ(back->Serialize(), bytes);
}

// The uncompressed layout 1 that earlier builds wrote: header, mean,
// packed upper triangle, checksum.
std::vector<uint8_t> Layout1(const PcaStats& s) {
  const int64_t d = s.dim();
  std::vector<uint8_t> out(32);
  std::memcpy(out.data(), "VGPCASTS", 8);
  const uint32_t version = 1, layout = 1;
  const int64_t count = s.count();
  std::memcpy(out.data() + 8, &version, 4);
  std::memcpy(out.data() + 12, &layout, 4);
  std::memcpy(out.data() + 16, &d, 8);
  std::memcpy(out.data() + 24, &count, 8);
  auto put = [&](double v) {
    const auto* b = reinterpret_cast<const uint8_t*>(&v);
    out.insert(out.end(), b, b + 8);
  };
  for (double v : s.mean()) put(v);
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i <= j; ++i) put(s.scatter()[j * d + i]);
  const uint64_t sum = Xxh64(out.data(), out.size());
  const auto* b = reinterpret_cast<const uint8_t*>(&sum);
  out.insert(out.end(), b, b + 8);
  return out;
}

TEST(PcaStats, ReadsTheUncompressedLayoutOfEarlierBuilds) {
  const int64_t n = 300, d = 17;
  auto x = RandomRows(n, d, 5);
  PcaStats s(d);
  ASSERT_TRUE(s.AddRows(x.data(), n).ok());
  auto back = PcaStats::Deserialize(Layout1(s), "old.stats");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->Serialize(), s.Serialize());
}

TEST(PcaStats, DeserializeRejectsDamage) {
  PcaStats s(4);
  auto x = RandomRows(10, 4, 4);
  ASSERT_TRUE(s.AddRows(x.data(), 10).ok());
  auto bytes = s.Serialize();

  auto flipped = bytes;
  flipped[40] ^= 1;
  auto r = PcaStats::Deserialize(flipped, "p7.stats");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(r.status().message().find("p7.stats"), std::string::npos);
  EXPECT_NE(r.status().message().find("checksum"), std::string::npos);

  auto truncated = bytes;
  truncated.resize(bytes.size() - 9);
  r = PcaStats::Deserialize(truncated, "p8.stats");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos);

  auto magic = bytes;
  magic[0] = 'X';
  r = PcaStats::Deserialize(magic, "p9.stats");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("bad magic"), std::string::npos);

  // A NaN with a valid checksum (a writer bug, not disk damage).
  auto nan = Layout1(s);
  const double bad = std::numeric_limits<double>::quiet_NaN();
  std::memcpy(nan.data() + 32 + 8 * 4 + 8 * 2, &bad, 8);  // scatter(0, 1)
  const uint64_t sum = Xxh64(nan.data(), nan.size() - 8);
  std::memcpy(nan.data() + nan.size() - 8, &sum, 8);
  r = PcaStats::Deserialize(nan, "p11.stats");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("p11.stats: PCA stats scatter holds a non-finite value"), std::string::npos)
      << r.status().message();

  auto version = bytes;
  version[8] = 9;
  r = PcaStats::Deserialize(version, "p10.stats");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
}

TEST(PcaStats, NanRowIsCorruptAndNamesTheRow) {
  const int64_t d = 5;
  PcaStats s(d);
  auto x = RandomRows(20, d, 5);
  ASSERT_TRUE(s.AddRows(x.data(), 10).ok());
  auto before = s.Serialize();
  x[(10 + 4) * d + 3] = std::numeric_limits<float>::quiet_NaN();  // row 14 of the partition
  Status st = s.AddRows(x.data() + 10 * d, 10);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("row 14 column 3 is NaN"), std::string::npos) << st.message();
  // Nothing from the failed call was added.
  EXPECT_EQ(s.count(), 10);
  EXPECT_EQ(s.Serialize(), before);

  x[(10 + 4) * d + 3] = 1.0f;
  x[(10 + 6) * d + 0] = -std::numeric_limits<float>::infinity();
  st = s.AddRows(x.data() + 10 * d, 10);
  EXPECT_NE(st.message().find("row 16 column 0 is Inf"), std::string::npos) << st.message();
}

TEST(PcaStats, MergeMatchesSingleStreamAndRejectsDimMismatch) {
  const int64_t n = 1500, d = 8;
  auto x = RandomRows(n, d, 6);
  PcaStats all(d), a(d), b(d), empty(d);
  ASSERT_TRUE(all.AddRows(x.data(), n).ok());
  ASSERT_TRUE(a.AddRows(x.data(), 333).ok());
  ASSERT_TRUE(b.AddRows(x.data() + 333 * d, n - 333).ok());
  PcaStats ab = a, ba = b;
  ASSERT_TRUE(ab.Merge(b).ok());
  ASSERT_TRUE(ba.Merge(a).ok());
  // Merge is written symmetrically: commutative to the bit.
  EXPECT_EQ(ab.Serialize(), ba.Serialize());
  EXPECT_EQ(ab.count(), n);
  for (int64_t c = 0; c < d; ++c) EXPECT_NEAR(ab.mean()[c], all.mean()[c], 1e-13 * std::fabs(all.mean()[c]));
  for (int64_t j = 0; j < d; ++j)
    for (int64_t i = 0; i <= j; ++i)
      EXPECT_NEAR(ab.scatter()[j * d + i], all.scatter()[j * d + i], 1e-12 * std::fabs(all.scatter()[j * d + i]) + 1e-10);

  // Empty stats are the identity.
  PcaStats with_empty = a;
  ASSERT_TRUE(with_empty.Merge(empty).ok());
  EXPECT_EQ(with_empty.Serialize(), a.Serialize());
  PcaStats from_empty(d);
  ASSERT_TRUE(from_empty.Merge(a).ok());
  EXPECT_EQ(from_empty.Serialize(), a.Serialize());

  PcaStats other(d + 1);
  Status st = a.Merge(other);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(st.message().find("dimension mismatch (8 vs 9"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace verger
