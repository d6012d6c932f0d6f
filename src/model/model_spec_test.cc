#include "model/model_spec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

namespace verger {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const char* kGood = R"({
  "name": "my-net", "weights": "nets/my.onnx", "input_name": "data",
  "input_width": 160, "input_height": 128, "color_order": "bgr",
  "normalization": "caffe", "resize_filter": "nearest",
  "feature_tensor": "pool5", "pooling": "max", "feature_dim": 512
})";

std::string ModelsDir() { return VERGER_DEFAULT_MODELS_DIR; }

// A fresh folder under the test's temp dir.
fs::path TempDir(const std::string& name) {
  fs::path p = fs::path(::testing::TempDir()) / ("verger_model_spec_" + name);
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

TEST(ModelSpec, ParsesEveryField) {
  auto s = ParseModelSpec(kGood, "/specs/a/my.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "my-net");
  EXPECT_EQ(s->weights, "/specs/a/nets/my.onnx");  // relative to the spec's folder
  EXPECT_EQ(s->format, "onnx");
  EXPECT_EQ(s->backend, BackendKind::kAuto);
  EXPECT_EQ(s->input_name, "data");
  EXPECT_EQ(s->input_width, 160);
  EXPECT_EQ(s->input_height, 128);
  EXPECT_EQ(s->color_order, ColorOrder::kBgr);
  EXPECT_EQ(s->normalization, Normalization::kCaffe);
  EXPECT_EQ(s->resize_filter, ResizeFilter::kNearest);
  EXPECT_EQ(s->feature_tensor, "pool5");
  EXPECT_EQ(s->pooling, Pooling::kMax);
  EXPECT_EQ(s->feature_dim, 512);
}

TEST(ModelSpec, DefaultsForOptionalFields) {
  auto s = ParseModelSpec(R"({"weights": "/abs/w.onnx", "input_name": "x", "color_order": "rgb",
                              "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
                          "/specs/plain.json");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->name, "plain");  // the file's stem
  EXPECT_EQ(s->weights, "/abs/w.onnx");
  EXPECT_EQ(s->input_width, 224);
  EXPECT_EQ(s->input_height, 224);
  EXPECT_EQ(s->resize_filter, ResizeFilter::kBilinear);
  EXPECT_EQ(s->pooling, Pooling::kAvg);
  EXPECT_EQ(s->normalization, Normalization::kTf);
}

TEST(ModelSpec, JsonRoundTripsAndSortsKeys) {
  auto s = ParseModelSpec(kGood, "/specs/a/my.json");
  ASSERT_TRUE(s.ok());
  std::string json = ModelSpecToJson(*s);
  EXPECT_EQ(json.find("{\"backend\":\"auto\",\"color_order\":\"bgr\","), 0u) << json;
  auto back = ParseModelSpec(json, "/elsewhere/x.json");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, *s);
  EXPECT_EQ(ModelSpecToJson(*back), json);
}

struct BadCase {
  const char* json;
  const char* expected;  // substring of the error
};

TEST(ModelSpec, RejectsBadDocumentsNamingFileAndField) {
  const BadCase cases[] = {
      {R"({"input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "field \"weights\" is required"},
      {R"({"weights": "w", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "field \"input_name\" is required"},
      {R"({"weights": "w", "input_name": "x", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "field \"color_order\" is required"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y"})",
       "field \"feature_dim\" is required"},
      {R"({"weights": 3, "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "field \"weights\" must be a string, got number"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": "7"})",
       "field \"feature_dim\" must be an integer, got string"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7.5})",
       "field \"feature_dim\" must be an integer"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 0})",
       "field \"feature_dim\" must be in [1,"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "input_width": -3})",
       "field \"input_width\" must be in [1, 8192], got -3"},
      {R"({"weights": "w", "input_name": "x", "color_order": "grb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "unknown colour order 'grb'"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "keras", "feature_tensor": "y", "feature_dim": 7})",
       "unknown normalization 'keras'"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "pooling": "sum"})",
       "unknown pooling 'sum'"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "resize_filter": "bicubic"})",
       "unknown resize filter 'bicubic'"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "format": "tflite"})",
       "field \"format\" must be \"onnx\""},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "backend": "tensorrt"})",
       "field \"backend\" is invalid: unknown backend 'tensorrt' (expected auto, opencv or torch)"},
      {R"({"weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7, "pool": "avg"})",
       "unknown field \"pool\""},
      {R"({"name": "", "weights": "w", "input_name": "x", "color_order": "rgb", "normalization": "tf", "feature_tensor": "y", "feature_dim": 7})",
       "field \"name\" must not be empty"},
      {R"(["weights"])", "expected a JSON object, got array"},
      {R"({"weights": "w",)", "not valid JSON"},
  };
  for (const auto& c : cases) {
    auto s = ParseModelSpec(c.json, "/specs/bad.json");
    ASSERT_FALSE(s.ok()) << c.json;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << c.json;
    EXPECT_THAT(s.status().message(), HasSubstr("/specs/bad.json")) << c.json;
    EXPECT_THAT(s.status().message(), HasSubstr(c.expected)) << c.json;
  }
}

TEST(ModelSpec, BuiltinNames) {
  EXPECT_EQ(BuiltinModelNames(), (std::vector<std::string>{"mobilenetv2", "squeezenet", "vgg16"}));
}

TEST(ModelSpec, BuiltinsResolveShippedWeights) {
  auto m = LoadModelSpec("mobilenetv2");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->weights, (fs::path(ModelsDir()) / "mobilenetv2-12-int8.onnx").lexically_normal().string());
  EXPECT_EQ(m->feature_tensor, "627");
  EXPECT_EQ(m->feature_dim, 1280);
  EXPECT_EQ(m->normalization, Normalization::kTorch);
  EXPECT_EQ(m->color_order, ColorOrder::kRgb);
  auto s = LoadModelSpec("squeezenet");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(fs::path(s->weights).filename(), "squeezenet1.1-fp32.onnx");
  EXPECT_EQ(s->input_name, "data_0");
  EXPECT_EQ(s->feature_dim, 512);
  EXPECT_EQ(s->normalization, Normalization::kCaffe);
  EXPECT_EQ(s->color_order, ColorOrder::kBgr);
}

TEST(ModelSpec, ModelsDirFromEnvironment) {
  fs::path empty = TempDir("empty_models");
  ASSERT_EQ(setenv("VERGER_MODELS_DIR", empty.c_str(), 1), 0);
  auto m = LoadModelSpec("squeezenet");
  unsetenv("VERGER_MODELS_DIR");
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr((empty / "squeezenet1.1-fp32.onnx").string()));
  EXPECT_THAT(m.status().message(), HasSubstr("VERGER_MODELS_DIR"));
}

TEST(ModelSpec, Vgg16WithoutWeightsSaysHowToGetThem) {
  auto v = LoadModelSpec("vgg16");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(v.status().message(), HasSubstr("vgg16"));
  EXPECT_THAT(v.status().message(), HasSubstr("--weights"));
  EXPECT_THAT(v.status().message(), HasSubstr("docs/models.md"));
  EXPECT_THAT(v.status().message(), HasSubstr("fc2"));
}

TEST(ModelSpec, Vgg16WithWeightsOverride) {
  fs::path dir = TempDir("vgg");
  std::ofstream(dir / "vgg16.onnx") << "x";
  auto v = LoadModelSpec("vgg16", (dir / "vgg16.onnx").string());
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->weights, (dir / "vgg16.onnx").string());
  EXPECT_EQ(v->feature_dim, 4096);
  EXPECT_EQ(v->pooling, Pooling::kNone);
  EXPECT_EQ(v->resize_filter, ResizeFilter::kNearest);
  EXPECT_EQ(v->feature_tensor, "fc2");

  auto missing = LoadModelSpec("vgg16", (dir / "nope.onnx").string());
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("nope.onnx"));
}

TEST(ModelSpec, SpecFileWithRelativeWeights) {
  fs::path dir = TempDir("specfile");
  fs::create_directories(dir / "nets");
  std::ofstream(dir / "nets" / "my.onnx") << "x";
  std::ofstream(dir / "my.json") << kGood;
  auto s = LoadModelSpec((dir / "my.json").string());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->weights, (dir / "nets" / "my.onnx").string());
  EXPECT_EQ(s->name, "my-net");

  fs::remove(dir / "nets" / "my.onnx");
  auto gone = LoadModelSpec((dir / "my.json").string());
  ASSERT_FALSE(gone.ok());
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(gone.status().message(), HasSubstr("my.json"));
  EXPECT_THAT(gone.status().message(), HasSubstr("nets/my.onnx"));
}

TEST(ModelSpec, UnknownNameListsBuiltins) {
  auto s = LoadModelSpec("resnet50");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(s.status().message(), HasSubstr("'resnet50'"));
  EXPECT_THAT(s.status().message(), HasSubstr("mobilenetv2, squeezenet, vgg16"));
}

TEST(ModelSpec, HashCoversWeightsBytesAndPreprocessingNotPath) {
  fs::path dir = TempDir("hash");
  std::ofstream(dir / "a.onnx") << "weights-1";
  std::ofstream(dir / "b.onnx") << "weights-1";
  std::ofstream(dir / "c.onnx") << "weights-2";
  auto spec = LoadModelSpec("vgg16", (dir / "a.onnx").string());
  ASSERT_TRUE(spec.ok());
  auto h = ModelSpecHash(*spec);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->size(), 64u);

  ModelSpec moved = *spec;
  moved.weights = (dir / "b.onnx").string();
  EXPECT_EQ(*ModelSpecHash(moved), *h);

  ModelSpec other_bytes = *spec;
  other_bytes.weights = (dir / "c.onnx").string();
  EXPECT_NE(*ModelSpecHash(other_bytes), *h);

  ModelSpec other_prep = *spec;
  other_prep.resize_filter = ResizeFilter::kBilinear;
  EXPECT_NE(*ModelSpecHash(other_prep), *h);

  ModelSpec missing = *spec;
  missing.weights = (dir / "gone.onnx").string();
  auto e = ModelSpecHash(missing);
  ASSERT_FALSE(e.ok());
  EXPECT_THAT(e.status().message(), HasSubstr("gone.onnx"));
}

}  // namespace
}  // namespace verger
