// The LibTorch backend on small TorchScript networks built here: shapes,
// pooling, batching, precision and errors, against the unfrozen module.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/cuda.h>
#include <torch/script.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "model/backend.h"
#include "model/model_spec.h"

namespace verger {
namespace {

using ::testing::HasSubstr;
namespace fs = std::filesystem;

constexpr int kH = 16, kW = 12, kC = 4;

// conv 3x3 (3 -> 4, same padding) + ReLU, then x2 so outputs differ in scale.
torch::jit::Module SmallNet() {
  torch::manual_seed(7);
  torch::jit::Module m("SmallNet");
  m.register_parameter("w", torch::randn({kC, 3, 3, 3}), false);
  m.register_parameter("b", torch::randn({kC}), false);
  m.define(R"(
    def forward(self, x):
        return torch.relu(torch.conv2d(x, self.w, self.b, 1, 1)) * 2.0
  )");
  m.eval();
  return m;
}

std::string SavedSmallNet() {
  static const std::string path = [] {
    fs::path p = fs::temp_directory_path() / ("verger_torch_small_" + std::to_string(getpid()) + ".pt");
    SmallNet().save(p.string());
    return p.string();
  }();
  return path;
}

ModelSpec Spec(Pooling pooling, int64_t dim) {
  ModelSpec s;
  s.name = "small";
  s.weights = SavedSmallNet();
  s.format = "torchscript";
  s.backend = BackendKind::kTorch;
  s.input_name = "input";
  s.input_width = kW;
  s.input_height = kH;
  s.feature_tensor = "output";
  s.pooling = pooling;
  s.feature_dim = dim;
  return s;
}

std::vector<float> RandomImages(int n, unsigned seed) {
  torch::manual_seed(seed);
  at::Tensor t = torch::randn({n, 3, kH, kW});
  return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

// The plain (not frozen, not optimised) module's N x C x H x W output.
at::Tensor Reference(const std::vector<float>& images, int n) {
  at::Tensor x = torch::from_blob(const_cast<float*>(images.data()), {n, 3, kH, kW});
  torch::NoGradGuard g;
  return SmallNet().forward({x}).toTensor().contiguous();
}

TEST(TorchBackend, AvgMaxAndNonePoolingMatchTheModule) {
  const int n = 3;
  std::vector<float> images = RandomImages(n, 1);
  at::Tensor ref = Reference(images, n);
  for (Pooling p : {Pooling::kAvg, Pooling::kMax, Pooling::kNone}) {
    const int64_t dim = p == Pooling::kNone ? int64_t{kC} * kH * kW : kC;
    auto b = CreateBackend(Spec(p, dim), BackendOptions{2});
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_EQ((*b)->feature_dim(), dim);
    EXPECT_THAT((*b)->description(), HasSubstr("libtorch 1."));
    EXPECT_THAT((*b)->description(), HasSubstr("2 threads"));
    std::vector<float> out(n * dim);
    ASSERT_TRUE((*b)->Run(images.data(), n, out.data()).ok());
    for (int i = 0; i < n; ++i) {
      for (int64_t c = 0; c < (p == Pooling::kNone ? 1 : kC); ++c) {
        const float* map = ref.data_ptr<float>() + (int64_t(i) * kC + c) * kH * kW;
        if (p == Pooling::kNone) {
          for (int64_t k = 0; k < dim; ++k) ASSERT_NEAR(out[i * dim + k], map[k], 1e-4 * (1 + std::abs(map[k])));
          continue;
        }
        double sum = 0;
        float hi = map[0];
        for (int k = 0; k < kH * kW; ++k) sum += map[k], hi = std::max(hi, map[k]);
        const double want = p == Pooling::kAvg ? sum / (kH * kW) : hi;
        EXPECT_NEAR(out[i * dim + c], want, 1e-4 * (1 + std::abs(want))) << Name(p) << " image " << i << " c " << c;
      }
    }
  }
}

TEST(TorchBackend, BatchEqualsSingles) {
  const int n = 5;
  std::vector<float> images = RandomImages(n, 2);
  auto b = CreateBackend(Spec(Pooling::kAvg, kC), BackendOptions{2});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  std::vector<float> together(n * kC), apart(n * kC);
  ASSERT_TRUE((*b)->Run(images.data(), n, together.data()).ok());
  for (int i = 0; i < n; ++i) ASSERT_TRUE((*b)->Run(images.data() + i * 3 * kH * kW, 1, apart.data() + i * kC).ok());
  float max_diff = 0, max_ref = 0, row_diff = 0;
  for (int i = 0; i < n * kC; ++i) {
    max_diff = std::max(max_diff, std::abs(together[i] - apart[i]));
    max_ref = std::max(max_ref, std::abs(apart[i]));
  }
  for (int c = 0; c < kC; ++c) row_diff = std::max(row_diff, std::abs(apart[c] - apart[kC + c]));
  EXPECT_GT(max_ref, 0.f);
  EXPECT_LE(max_diff, 1e-5f * max_ref);
  EXPECT_GT(row_diff, 0.f);  // different images, different rows
}

TEST(TorchBackend, Bf16StaysCloseToFp32) {
  const int n = 4;
  std::vector<float> images = RandomImages(n, 3);
  ModelSpec spec = Spec(Pooling::kNone, int64_t{kC} * kH * kW);
  auto fp32 = CreateBackend(spec, BackendOptions{2});
  spec.precision = Precision::kBf16;
  auto bf16 = CreateBackend(spec, BackendOptions{2});
  ASSERT_TRUE(fp32.ok() && bf16.ok()) << bf16.status().ToString();
  EXPECT_THAT((*bf16)->description(), HasSubstr("bf16"));
  std::vector<float> a(n * spec.feature_dim), b(n * spec.feature_dim);
  ASSERT_TRUE((*fp32)->Run(images.data(), n, a.data()).ok());
  ASSERT_TRUE((*bf16)->Run(images.data(), n, b.data()).ok());
  double dot = 0, na = 0, nb = 0;
  bool identical = true;
  for (size_t i = 0; i < a.size(); ++i) dot += a[i] * b[i], na += a[i] * a[i], nb += b[i] * b[i], identical &= a[i] == b[i];
  EXPECT_GE(dot / std::sqrt(na * nb), 0.999);
  EXPECT_FALSE(identical);  // it really ran in bfloat16
}

TEST(TorchBackend, WrongFeatureDimNamesShape) {
  auto b = CreateBackend(Spec(Pooling::kAvg, 5), BackendOptions{1});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("1x4x16x12"));
  EXPECT_THAT(b.status().message(), HasSubstr("feature_dim 5"));
  EXPECT_THAT(b.status().message(), HasSubstr("small"));
}

TEST(TorchBackend, CudaRequestedWithoutCudaIsAClearError) {
  ModelSpec spec = Spec(Pooling::kAvg, kC);
  spec.device = Device::kCuda;
  auto b = CreateBackend(spec, BackendOptions{1});
  if (torch::cuda::is_available()) {
    ASSERT_TRUE(b.ok()) << b.status().ToString();
    EXPECT_THAT((*b)->description(), HasSubstr("cuda"));
    return;
  }
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(b.status().message(), HasSubstr("device cuda"));
  EXPECT_THAT(b.status().message(), HasSubstr("--device cpu"));
}

TEST(TorchBackend, NonVggHdf5IsRefusedNamingTheFile) {
  fs::path p = fs::temp_directory_path() / ("verger_torch_fake_" + std::to_string(getpid()) + ".h5");
  std::ofstream(p, std::ios::binary) << std::string("\x89HDF\r\n\x1a\n", 8) << "rest";
  ModelSpec spec = Spec(Pooling::kAvg, kC);
  spec.weights = p.string();
  auto b = CreateBackend(spec, BackendOptions{1});
  fs::remove(p);
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(b.status().message(), HasSubstr(p.string()));
  EXPECT_THAT(b.status().message(), HasSubstr("VGG16"));
}

TEST(TorchBackend, OpenCvRefusesReducedPrecision) {
  ModelSpec spec = Spec(Pooling::kAvg, kC);
  spec.backend = BackendKind::kOpenCv;
  spec.format = "onnx";
  spec.precision = Precision::kBf16;
  auto b = CreateBackend(spec, BackendOptions{1});
  ASSERT_FALSE(b.ok());
  EXPECT_THAT(b.status().message(), HasSubstr("--backend torch"));
}

TEST(TorchBackend, SpecFieldsParseAndRoundTrip) {
  const std::string doc = R"({"weights": "m.pt", "format": "torchscript", "backend": "torch", "device": "cuda",
      "precision": "bf16", "input_name": "x", "color_order": "rgb", "normalization": "torch",
      "feature_tensor": "y", "feature_dim": 7})";
  auto s = ParseModelSpec(doc, "/specs/t.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->backend, BackendKind::kTorch);
  EXPECT_EQ(s->device, Device::kCuda);
  EXPECT_EQ(s->precision, Precision::kBf16);
  auto back = ParseModelSpec(ModelSpecToJson(*s), "/x/y.json");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, *s);
  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"precision", "int4"}, {"device", "tpu"}}) {
    std::string bad = R"({"weights": "m.pt", "backend": "torch", "input_name": "x", "color_order": "rgb",
        "normalization": "torch", "feature_tensor": "y", "feature_dim": 7, ")" + field + R"(": ")" + value + R"("})";
    auto r = ParseModelSpec(bad, "/specs/bad.json");
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_THAT(r.status().message(), HasSubstr("\"" + field + "\""));
    EXPECT_THAT(r.status().message(), HasSubstr(value));
  }
  auto r = ParseModelSpec(R"({"weights": "m.pt", "format": "torchscript", "backend": "opencv", "input_name": "x",
      "color_order": "rgb", "normalization": "torch", "feature_tensor": "y", "feature_dim": 7})", "/specs/bad.json");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("\"backend\": \"torch\" or \"auto\""));
}

}  // namespace
}  // namespace verger
