#include "image/normalize.h"

#include <gtest/gtest.h>

#include <vector>

namespace verger {
namespace {

// One row of 4 pixels. R takes 0, 1, 128, 255; G and B hold fixed values so
// the plane order is visible.
RgbImage Row() {
  return RgbImage{4, 1, {0, 10, 20, 1, 10, 20, 128, 10, 20, 255, 10, 20}};
}

std::vector<float> Normalize(const RgbImage& img, Normalization mode, ColorOrder order) {
  std::vector<float> out(3 * img.width * img.height, -999.0f);
  NormalizeToChw(img, mode, order, out.data());
  return out;
}

TEST(NormalizeToChw, NoneIsRawValuesInPlanes) {
  auto out = Normalize(Row(), Normalization::kNone, ColorOrder::kRgb);
  EXPECT_EQ(out, (std::vector<float>{0, 1, 128, 255, 10, 10, 10, 10, 20, 20, 20, 20}));
  out = Normalize(Row(), Normalization::kNone, ColorOrder::kBgr);
  EXPECT_EQ(out, (std::vector<float>{20, 20, 20, 20, 10, 10, 10, 10, 0, 1, 128, 255}));
}

TEST(NormalizeToChw, CaffeSubtractsMeansPerColourNoScaling) {
  auto out = Normalize(Row(), Normalization::kCaffe, ColorOrder::kBgr);
  // Plane 0 is B: 20 - 103.939; plane 1 G: 10 - 116.779; plane 2 R: x - 123.68.
  EXPECT_FLOAT_EQ(out[0], -83.939f);
  EXPECT_FLOAT_EQ(out[4], -106.779f);
  EXPECT_FLOAT_EQ(out[8], -123.68f);
  EXPECT_FLOAT_EQ(out[9], -122.68f);
  EXPECT_FLOAT_EQ(out[10], 4.32f);
  EXPECT_FLOAT_EQ(out[11], 131.32f);
  // Same values in RGB order, just other planes.
  auto rgb = Normalize(Row(), Normalization::kCaffe, ColorOrder::kRgb);
  EXPECT_EQ(rgb[3], out[11]);
  EXPECT_EQ(rgb[8], out[0]);
}

TEST(NormalizeToChw, TorchScalesThenStandardises) {
  auto out = Normalize(Row(), Normalization::kTorch, ColorOrder::kRgb);
  // Hand computed: (x/255 - mean) / std, R mean 0.485 std 0.229.
  EXPECT_NEAR(out[0], (0.0 - 0.485) / 0.229, 1e-6);      // -2.1179039
  EXPECT_NEAR(out[2], (128 / 255.0 - 0.485) / 0.229, 1e-6);
  EXPECT_NEAR(out[3], (1.0 - 0.485) / 0.229, 1e-6);      // 2.2489083
  EXPECT_NEAR(out[4], (10 / 255.0 - 0.456) / 0.224, 1e-6);
  EXPECT_NEAR(out[8], (20 / 255.0 - 0.406) / 0.225, 1e-6);
  // Bit-exact against Keras' float32 NumPy arithmetic (x /= 255.; x -= m; x /= s
  // on a float32 array, values printed by NumPy 1.24).
  EXPECT_EQ(out[0], -2.117904f);
  EXPECT_EQ(out[1], -2.1007793f);
  EXPECT_EQ(out[2], 0.07406463f);
  EXPECT_EQ(out[3], 2.2489083f);
}

TEST(NormalizeToChw, TfMapsToMinusOneOne) {
  auto out = Normalize(Row(), Normalization::kTf, ColorOrder::kRgb);
  EXPECT_EQ(out[0], -1.0f);
  EXPECT_EQ(out[3], 1.0f);
  EXPECT_NEAR(out[2], 128 / 127.5 - 1, 1e-7);
  EXPECT_EQ(out[1], -0.99215686f);  // NumPy float32: x /= 127.5; x -= 1.
  EXPECT_EQ(out[2], 0.003921628f);
}

TEST(NormalizeToChw, WritesExactlyThreePlanes) {
  RgbImage img{2, 2, std::vector<uint8_t>(12, 7)};
  std::vector<float> out(13, -5.0f);
  NormalizeToChw(img, Normalization::kNone, ColorOrder::kRgb, out.data());
  for (int i = 0; i < 12; ++i) EXPECT_EQ(out[i], 7.0f);
  EXPECT_EQ(out[12], -5.0f);
}

}  // namespace
}  // namespace verger
