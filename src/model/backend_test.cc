#include "model/backend.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

namespace verger {
namespace {

using ::testing::HasSubstr;

// These tests are the OpenCV DNN backend's (backend_choice_test.cc covers "auto").
ModelSpec Builtin(const std::string& name) {
  auto s = LoadModelSpec(name);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  ModelSpec spec = s.ok() ? *s : ModelSpec{};
  spec.backend = BackendKind::kOpenCv;
  return spec;
}

std::unique_ptr<InferenceBackend> MustCreate(const ModelSpec& spec) {
  auto b = CreateBackend(spec, BackendOptions{.threads = 2});
  EXPECT_TRUE(b.ok()) << b.status().ToString();
  return b.ok() ? std::move(*b) : nullptr;
}

// Plausibly normalised inputs: uniform in [-2, 2], a different image each.
std::vector<float> RandomImages(int n, const ModelSpec& s, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  std::vector<float> v(size_t(n) * 3 * s.input_height * s.input_width);
  for (float& x : v) x = u(rng);
  return v;
}

// Runs N images as one batch and as N batches of one: rows must agree.
void ExpectBatchEqualsSingles(const ModelSpec& spec, int n) {
  auto b = MustCreate(spec);
  ASSERT_NE(b, nullptr);
  const int64_t d = b->feature_dim();
  const size_t per_image = size_t(3) * spec.input_height * spec.input_width;
  std::vector<float> in = RandomImages(n, spec, 7);
  std::vector<float> batched(n * d), single(n * d);
  ASSERT_TRUE(b->Run(in.data(), n, batched.data()).ok());
  for (int i = 0; i < n; ++i) ASSERT_TRUE(b->Run(in.data() + i * per_image, 1, single.data() + i * d).ok());
  float max_diff = 0, max_ref = 0;
  for (size_t i = 0; i < batched.size(); ++i) {
    ASSERT_TRUE(std::isfinite(batched[i]));
    max_diff = std::max(max_diff, std::abs(batched[i] - single[i]));
    max_ref = std::max(max_ref, std::abs(single[i]));
  }
  EXPECT_GT(max_ref, 0.f);
  EXPECT_LE(max_diff, 1e-5f * max_ref) << spec.name << " " << b->description();
  // Rows of different images must differ: the batch really holds N images.
  float row_diff = 0;
  for (int64_t j = 0; j < d; ++j) row_diff = std::max(row_diff, std::abs(batched[j] - batched[d + j]));
  EXPECT_GT(row_diff, 0.f);
}

TEST(Backend, BuiltinsGiveSpecDims) {
  for (const char* name : {"mobilenetv2", "squeezenet"}) {
    ModelSpec spec = Builtin(name);
    auto b = MustCreate(spec);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->feature_dim(), spec.feature_dim) << name;
    EXPECT_THAT(b->description(), HasSubstr("opencv-dnn 4."));
    EXPECT_THAT(b->description(), HasSubstr("2 threads"));
  }
  EXPECT_EQ(Builtin("mobilenetv2").feature_dim, 1280);
  EXPECT_EQ(Builtin("squeezenet").feature_dim, 512);
}

TEST(Backend, MobileNetV2BatchEqualsSingles) { ExpectBatchEqualsSingles(Builtin("mobilenetv2"), 5); }

// SqueezeNet's ONNX declares batch 1; OpenCV still runs batches of it.
TEST(Backend, SqueezeNetBatchEqualsSingles) { ExpectBatchEqualsSingles(Builtin("squeezenet"), 5); }

// The int8 classifier bakes batch 1 into a Reshape: the backend falls back
// to one image per pass, says so, and still returns right rows.
TEST(Backend, MobileNetV2ClassifierFallsBackToPerImage) {
  ModelSpec spec = Builtin("mobilenetv2");
  spec.feature_tensor = "output";
  spec.pooling = Pooling::kNone;
  spec.feature_dim = 1000;
  auto b = MustCreate(spec);
  ASSERT_NE(b, nullptr);
  EXPECT_THAT(b->description(), HasSubstr("one image per forward pass"));
  ExpectBatchEqualsSingles(spec, 3);
}

TEST(Backend, AvgPoolingIsTheMeanOfTheMap) {
  ModelSpec avg = Builtin("squeezenet");
  ModelSpec flat = avg;
  flat.pooling = Pooling::kNone;
  flat.feature_dim = 512 * 13 * 13;
  ModelSpec mx = avg;
  mx.pooling = Pooling::kMax;
  auto ba = MustCreate(avg), bf = MustCreate(flat), bm = MustCreate(mx);
  ASSERT_TRUE(ba && bf && bm);
  std::vector<float> in = RandomImages(1, avg, 3);
  std::vector<float> a(512), f(512 * 169), m(512);
  ASSERT_TRUE(ba->Run(in.data(), 1, a.data()).ok());
  ASSERT_TRUE(bf->Run(in.data(), 1, f.data()).ok());
  ASSERT_TRUE(bm->Run(in.data(), 1, m.data()).ok());
  for (int c = 0; c < 512; ++c) {
    double sum = 0;
    float hi = -INFINITY;
    for (int i = 0; i < 169; ++i) {
      sum += f[c * 169 + i];
      hi = std::max(hi, f[c * 169 + i]);
    }
    EXPECT_NEAR(a[c], sum / 169, 1e-5 * (1 + std::abs(sum / 169)));
    EXPECT_EQ(m[c], hi);
  }
}

TEST(Backend, UnknownTensorListsValidNames) {
  ModelSpec spec = Builtin("mobilenetv2");
  spec.feature_tensor = "no_such_tensor";
  auto b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(b.status().message(), HasSubstr("\"no_such_tensor\""));
  EXPECT_THAT(b.status().message(), HasSubstr("mobilenetv2-12-int8.onnx"));
  EXPECT_THAT(b.status().message(), HasSubstr("\"627\""));
  EXPECT_THAT(b.status().message(), HasSubstr("\"output\""));
  EXPECT_THAT(b.status().message(), ::testing::Not(HasSubstr("_quantized")));  // int8 tensors are no features
}

TEST(Backend, QuantizedTensorIsRefused) {
  ModelSpec spec = Builtin("mobilenetv2");
  spec.feature_tensor = "627_quantized";
  auto b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(b.status().message(), HasSubstr("DequantizeLinear"));
}

// OpenCV's layer names differ from tensor names: an unnamed node's tensor.
TEST(Backend, ReadsTensorOfUnnamedNode) {
  ModelSpec spec = Builtin("squeezenet");
  spec.feature_tensor = "conv10_2";  // Relu output, 1000x13x13
  spec.feature_dim = 1000;
  auto b = MustCreate(spec);
  ASSERT_NE(b, nullptr);
  std::vector<float> in = RandomImages(1, spec, 5), out(1000);
  ASSERT_TRUE(b->Run(in.data(), 1, out.data()).ok());
  EXPECT_GE(*std::min_element(out.begin(), out.end()), 0.f);  // after ReLU
}

TEST(Backend, WrongFeatureDimNamesTensorAndShape) {
  ModelSpec spec = Builtin("squeezenet");
  spec.feature_dim = 1000;
  auto b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("squeezenet"));
  EXPECT_THAT(b.status().message(), HasSubstr("\"fire9/concat_1\""));
  EXPECT_THAT(b.status().message(), HasSubstr("1x512x13x13"));
  EXPECT_THAT(b.status().message(), HasSubstr("feature_dim 1000"));
}

TEST(Backend, WrongInputNameOrSizeListsGraphInputs) {
  ModelSpec spec = Builtin("squeezenet");
  spec.input_name = "data";
  auto b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("\"data_0\" 1x3x224x224"));

  spec = Builtin("squeezenet");
  spec.input_width = 200;
  b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("expected Nx3x224x200"));
}

TEST(Backend, NotOnnxIsAnErrorNamingTheFile) {
  ModelSpec spec = Builtin("squeezenet");
  spec.weights = std::string(VERGER_DEFAULT_MODELS_DIR) + "/../README.md";
  auto b = CreateBackend(spec, {});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("README.md"));
}

TEST(Backend, RejectsEmptyBatch) {
  auto b = MustCreate(Builtin("squeezenet"));
  ASSERT_NE(b, nullptr);
  float out[512];
  EXPECT_EQ(b->Run(nullptr, 0, out).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace verger
