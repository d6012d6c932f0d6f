// Backend "auto" (CreateBackend) and EffectiveBackend: which backend runs and
// the reason recorded. The tiny-graph cases (an op LibTorch cannot import,
// .pt weights) are in tests/python/test_backend_choice.py, which also checks
// that `verger extract` and the Python Featurizer agree.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "model/backend.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::StartsWith;

ModelSpec Builtin(const std::string& name) {
  auto s = LoadModelSpec(name);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? *s : ModelSpec{};
}

fs::path WriteFile(const std::string& name, const std::string& bytes) {
  fs::path p = fs::path(::testing::TempDir()) / ("verger_backend_choice_" + name);
  std::ofstream(p, std::ios::binary) << bytes;
  return p;
}

TEST(BackendChoice, BuiltinsDefaultToAuto) {
  EXPECT_EQ(Builtin("mobilenetv2").backend, BackendKind::kAuto);
  EXPECT_EQ(Builtin("squeezenet").backend, BackendKind::kAuto);
}

TEST(BackendChoice, EffectiveBackendSendsTorchOnlyWeightsToTorch) {
  ModelSpec spec = Builtin("squeezenet");
  EXPECT_EQ(EffectiveBackend(spec), BackendKind::kAuto);  // ONNX: decided when torch tries to import it
  spec.backend = BackendKind::kOpenCv;
  EXPECT_EQ(EffectiveBackend(spec), BackendKind::kOpenCv);
  spec.weights = WriteFile("w.h5", std::string("\x89HDF\r\n\x1a\n", 8) + "rest").string();
  EXPECT_EQ(EffectiveBackend(spec), BackendKind::kTorch);
  spec.weights = WriteFile("w.pt", "PK\x03\x04rest").string();
  EXPECT_EQ(EffectiveBackend(spec), BackendKind::kTorch);
  spec.backend = BackendKind::kAuto;
  EXPECT_EQ(EffectiveBackend(spec), BackendKind::kAuto);  // auto tries torch first anyway
}

// Whichever backend wins today, the reason says it; on OpenCV it says why
// torch did not run the graph.
TEST(BackendChoice, AutoRecordsWhatRanAndWhy) {
  auto b = CreateBackend(Builtin("squeezenet"), BackendOptions{.threads = 2});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const std::string id(Name((*b)->id()));
  ASSERT_TRUE(id == "opencv" || id == "torch") << id;
  if (id == "opencv") {
    EXPECT_THAT((*b)->choice(), StartsWith("auto: opencv, because torch: "));
    EXPECT_THAT((*b)->choice(), ::testing::Not(HasSubstr("model squeezenet: ")));  // named once, not per line
  } else {
    EXPECT_EQ((*b)->choice(), "auto: torch (ONNX imported)");
  }
  EXPECT_EQ((*b)->default_batch(), id == "torch" ? 32 : 1);
}

TEST(BackendChoice, RequestedBackendIsRecordedAsRequested) {
  ModelSpec spec = Builtin("squeezenet");
  spec.backend = BackendKind::kOpenCv;
  auto b = CreateBackend(spec, BackendOptions{.threads = 2});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ((*b)->id(), BackendKind::kOpenCv);
  EXPECT_EQ((*b)->choice(), "opencv (requested)");
}

// OpenCV runs only cpu fp32: when torch cannot run an ONNX graph at another
// precision, the error gives both reasons instead of a silent fp32 run.
TEST(BackendChoice, AutoDoesNotFallBackToADifferentPrecision) {
  ModelSpec spec = Builtin("squeezenet");
  spec.precision = Precision::kBf16;
  auto b = CreateBackend(spec, BackendOptions{.threads = 2});
  if (b.ok()) {
    EXPECT_EQ((*b)->id(), BackendKind::kTorch);  // the ONNX importer ran it in bf16
    return;
  }
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(b.status().message(), HasSubstr("backend auto: torch cannot run it"));
  EXPECT_THAT(b.status().message(), HasSubstr("OpenCV DNN runs only device cpu, precision fp32 (got cpu, bf16)"));
}

// A broken TorchScript file is an error, not a reason to try OpenCV.
TEST(BackendChoice, AutoReturnsTorchErrorsOtherThanUnsupported) {
  ModelSpec spec = Builtin("squeezenet");
  spec.weights = WriteFile("broken.pt", "PK\x03\x04 not really a zip").string();
  auto b = CreateBackend(spec, BackendOptions{.threads = 1});
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(b.status().message(), HasSubstr("LibTorch cannot load"));
  EXPECT_THAT(b.status().message(), HasSubstr("broken.pt"));
}

// Backend, device and precision names are read in one place, which lists
// the valid ones and suggests the nearest.
TEST(BackendChoice, UnknownNamesListTheValidOnesAndSuggestTheNearest) {
  auto b = ParseBackendKind("tensorrt");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(b.status().message(), HasSubstr("(expected auto, opencv or torch)"));
  EXPECT_THAT(ParseBackendKind("trch").status().message(), HasSubstr("did you mean 'torch'?"));
  EXPECT_THAT(ParseDevice("cud").status().message(), HasSubstr("did you mean 'cuda'?"));
  EXPECT_THAT(ParsePrecision("bf61").status().message(), HasSubstr("(expected fp32, bf16 or int8); did you mean 'bf16'?"));
  for (const auto& n : BackendKindNames()) EXPECT_EQ(Name(*ParseBackendKind(n)), n);
  for (const auto& n : DeviceNames()) EXPECT_EQ(Name(*ParseDevice(n)), n);
  for (const auto& n : PrecisionNames()) EXPECT_EQ(Name(*ParsePrecision(n)), n);
  EXPECT_EQ(*ParseBackendKind("opencv"), BackendKind::kOpenCv);
  EXPECT_EQ(*ParsePrecision("int8"), Precision::kInt8);
}

}  // namespace
}  // namespace verger
