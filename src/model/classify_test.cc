// End-to-end sanity of preprocessing + backend on real photos: MobileNetV2's
// classifier output, requested through a spec, must recognise strawberries.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "core/file_util.h"
#include "image/decode.h"
#include "image/normalize.h"
#include "image/resize.h"
#include "model/backend.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

std::string SharedDir() {
  const char* env = std::getenv("VERGER_SHARED_DIR");
  return env != nullptr ? env : std::string(VERGER_DEFAULT_MODELS_DIR) + "/..";
}

// The first `n` photos of a class, sorted by name.
std::vector<fs::path> FirstPhotos(const std::string& cls, size_t n) {
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(fs::path(SharedDir()) / "datasets/fruits-360-10/Test" / cls)) {
    if (e.path().extension() == ".jpg") files.push_back(e.path());
  }
  std::sort(files.begin(), files.end());
  if (files.size() > n) files.resize(n);
  return files;
}

void ExpectTop1(const std::string& cls, int imagenet_class) {
  // The 1000 logits instead of the embedding, through a spec file whose
  // relative "weights" points at the shipped network.
  fs::path dir = fs::path(::testing::TempDir()) / "verger_classify_spec";
  fs::create_directories(dir);
  fs::path weights = fs::relative(fs::path(VERGER_DEFAULT_MODELS_DIR) / "mobilenetv2-12-int8.onnx", dir);
  std::string json = R"({"name": "mobilenetv2-logits", "weights": ")" + weights.string() + R"(",
      "input_name": "input", "color_order": "rgb", "normalization": "torch", "resize_filter": "bilinear",
      "feature_tensor": "output", "pooling": "none", "feature_dim": 1000})";
  ASSERT_TRUE(WriteFileAtomic(dir / "logits.json", json).ok());
  auto spec = LoadModelSpec((dir / "logits.json").string());
  ASSERT_TRUE(spec.ok()) << spec.status().ToString();
  auto backend = CreateBackend(*spec, BackendOptions{.threads = 2});
  ASSERT_TRUE(backend.ok()) << backend.status().ToString();

  std::vector<fs::path> photos = FirstPhotos(cls, 50);
  ASSERT_EQ(photos.size(), 50u) << cls;
  const size_t per_image = size_t(3) * spec->input_height * spec->input_width;
  std::vector<float> input(per_image * photos.size());
  for (size_t i = 0; i < photos.size(); ++i) {
    auto bytes = ReadFileBytes(photos[i]);
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    auto img = DecodeImage(*bytes, photos[i].string());
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    RgbImage resized = ResizeLikePillow(*img, spec->input_width, spec->input_height, spec->resize_filter);
    NormalizeToChw(resized, spec->normalization, spec->color_order, input.data() + i * per_image);
  }
  std::vector<float> logits(1000 * photos.size());
  ASSERT_TRUE((*backend)->Run(input.data(), static_cast<int>(photos.size()), logits.data()).ok());
  for (size_t i = 0; i < photos.size(); ++i) {
    const float* row = logits.data() + i * 1000;
    EXPECT_EQ(std::max_element(row, row + 1000) - row, imagenet_class) << photos[i];
  }
}

TEST(Classify, MobileNetV2RanksStrawberryFirst) { ExpectTop1("Strawberry 1", 949); }

TEST(Classify, MobileNetV2RanksLemonFirst) { ExpectTop1("Lemon 1", 951); }

}  // namespace
}  // namespace verger
