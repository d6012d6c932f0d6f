#include "reduce/pca_model.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <map>

#include "core/npy.h"
#include "reduce/pca_fit.h"
#include "reduce/pca_test_data.h"

namespace verger {
namespace {

PcaModel Fit(const std::vector<float>& x, int64_t n, int64_t d, int64_t k, bool whiten) {
  PcaStats s(d);
  EXPECT_TRUE(s.AddRows(x.data(), n).ok());
  PcaFitOptions opt;
  opt.components = k;
  opt.whiten = whiten;
  opt.source_hash = "sha256:feedbeef";
  auto m = FitPca(s, opt);
  EXPECT_TRUE(m.ok()) << m.status().ToString();
  return std::move(m).value();
}

std::map<std::string, std::vector<uint8_t>> AsMap(const PcaModel& m) {
  auto files = m.Encode();
  EXPECT_TRUE(files.ok());
  return {files->begin(), files->end()};
}

TEST(PcaModel, TransformEqualsNaiveDoubleLoop) {
  const int64_t n = 700, d = 37, k = 9;  // n spans several transform batches
  auto x = testing::CorrelatedRows(n, d, 10, 61);
  for (bool whiten : {false, true}) {
    PcaModel m = Fit(x, n, d, k, whiten);
    std::vector<float> out(n * k);
    ASSERT_TRUE(m.Transform(x.data(), n, out.data()).ok());
    double worst = 0;
    for (int64_t r = 0; r < n; ++r) {
      for (int64_t c = 0; c < k; ++c) {
        double ref = 0;
        for (int64_t j = 0; j < d; ++j)
          ref += (static_cast<double>(x[r * d + j]) - m.mean()[j]) * m.component_matrix()[c * d + j];
        if (whiten) ref /= std::sqrt(m.explained_variance()[c]);
        // float32 output: one rounding of the double result, plus GEMM order.
        EXPECT_NEAR(out[r * k + c], ref, 1e-6 * std::fabs(ref) + 1e-9) << r << "," << c;
        worst = std::max(worst, std::fabs(out[r * k + c] - ref));
      }
    }
    if (whiten) {
      // Whitened projections of the training rows have unit variance.
      for (int64_t c = 0; c < k; ++c) {
        double ss = 0;
        for (int64_t r = 0; r < n; ++r) ss += double(out[r * k + c]) * out[r * k + c];
        EXPECT_NEAR(ss / (n - 1), 1.0, 1e-4);
      }
    }
  }
}

TEST(PcaModel, TransformRejectsNonFiniteRows) {
  const int64_t n = 50, d = 6;
  auto x = testing::CorrelatedRows(n, d, 3, 62);
  PcaModel m = Fit(x, n, d, 2, false);
  x[3 * d + 5] = std::numeric_limits<float>::infinity();
  std::vector<float> out(n * 2);
  Status st = m.Transform(x.data(), n, out.data());
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kCorrupt);
  EXPECT_NE(st.message().find("row 3 column 5 is Inf"), std::string::npos) << st.message();
}

TEST(PcaModel, EncodeDecodeRoundTrip) {
  const int64_t n = 300, d = 16, k = 4;
  auto x = testing::CorrelatedRows(n, d, 6, 63);
  PcaModel m = Fit(x, n, d, k, true);
  auto files = AsMap(m);
  for (const char* name : {"mean.npy", "components.npy", "explained_variance.npy", "explained_variance_ratio.npy",
                           "spectrum.npy", "model.json"})
    EXPECT_TRUE(files.count(name)) << name;

  // Plain .npy float64 with the documented shapes.
  auto comps = DecodeNpy(files["components.npy"], "components.npy");
  ASSERT_TRUE(comps.ok());
  EXPECT_EQ(comps->dtype, NpyDtype::kFloat64);
  EXPECT_EQ(comps->shape, (std::vector<int64_t>{k, d}));
  const std::string json(files["model.json"].begin(), files["model.json"].end());
  EXPECT_NE(json.find("\"source_hash\": \"sha256:feedbeef\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"whiten\": true"), std::string::npos);

  auto back = PcaModel::Decode(files, "models/pca");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->dim(), d);
  EXPECT_EQ(back->components(), k);
  EXPECT_EQ(back->n_samples(), n);
  EXPECT_TRUE(back->whiten());
  EXPECT_EQ(back->source_hash(), "sha256:feedbeef");
  EXPECT_EQ(back->mean(), m.mean());
  EXPECT_EQ(back->component_matrix(), m.component_matrix());
  EXPECT_EQ(back->explained_variance(), m.explained_variance());
  EXPECT_EQ(back->explained_variance_ratio(), m.explained_variance_ratio());
  EXPECT_EQ(back->spectrum(), m.spectrum());
  EXPECT_EQ(back->total_variance(), m.total_variance());  // JSON doubles round-trip exactly
  EXPECT_EQ(back->noise_variance(), m.noise_variance());
  EXPECT_EQ(AsMap(*back), files);
}

TEST(PcaModel, DecodeNamesMissingAndDamagedFiles) {
  const int64_t n = 100, d = 8;
  auto x = testing::CorrelatedRows(n, d, 4, 64);
  auto files = AsMap(Fit(x, n, d, 3, false));

  auto missing = files;
  missing.erase("components.npy");
  auto r = PcaModel::Decode(missing, "models/pca");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("models/pca: PCA model file components.npy is missing"), std::string::npos)
      << r.status().message();

  auto no_json = files;
  no_json.erase("model.json");
  r = PcaModel::Decode(no_json, "models/pca");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);

  auto bad_json = files;
  bad_json["model.json"] = {'{', 'x'};
  r = PcaModel::Decode(bad_json, "models/pca");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt);

  // A mean of the wrong length.
  auto wrong_shape = files;
  std::vector<double> short_mean(d - 1, 0.0);
  wrong_shape["mean.npy"] = EncodeNpy(NpyDtype::kFloat64, {d - 1}, short_mean.data());
  r = PcaModel::Decode(wrong_shape, "models/pca");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("mean.npy: shape (7), model.json says (8)"), std::string::npos)
      << r.status().message();
}

TEST(PcaModel, CreateValidatesParts) {
  PcaModelParts parts;
  parts.mean = {0, 0};
  parts.components = {1, 0, 0};  // not 1 x 2
  parts.explained_variance = {1};
  parts.explained_variance_ratio = {1};
  parts.spectrum = {1};
  parts.n_samples = 10;
  parts.total_variance = 1;
  auto r = PcaModel::Create(parts, "unit");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("unit: PCA components hold 3 values, expected 1 x 2"), std::string::npos);
  parts.components = {1, 0};
  EXPECT_TRUE(PcaModel::Create(parts, "unit").ok());
  parts.whiten = true;
  parts.explained_variance = {0};
  r = PcaModel::Create(parts, "unit");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot whiten"), std::string::npos);
}

}  // namespace
}  // namespace verger
