#include "image/resize.h"

#include <gtest/gtest.h>

#include <vector>

namespace verger {
namespace {

// 5x3 test image; channel c of pixel (x, y) is (53x + 97y + 31c + 11xy) % 256.
RgbImage Source() {
  RgbImage img{5, 3, {}};
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 5; ++x)
      for (int c = 0; c < 3; ++c) img.pixels.push_back(static_cast<uint8_t>((x * 53 + y * 97 + c * 31 + x * y * 11) % 256));
  return img;
}

void ExpectPixels(const RgbImage& got, int w, int h, const std::vector<int>& want) {
  ASSERT_EQ(got.width, w);
  ASSERT_EQ(got.height, h);
  ASSERT_EQ(got.pixels.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(got.pixels[i], want[i]) << "byte " << i << " (x=" << (i / 3) % w << ", y=" << i / 3 / w << ")";
  }
}

// Expected values below came from Pillow 9.4 (Debian python3-pil) with:
//   src = np.array([[[(x*53+y*97+c*31+x*y*11) % 256 for c in range(3)] for x in range(5)]
//                   for y in range(3)], dtype=np.uint8)
//   np.asarray(Image.fromarray(src).resize((W, H), FILTER)).reshape(-1).tolist()

TEST(ResizeLikePillow, BilinearDownscaleAntialiases) {
  ExpectPixels(ResizeLikePillow(Source(), 2, 2, ResizeFilter::kBilinear), 2, 2,
               {89, 98, 129, 138, 147, 128, 115, 124, 104, 141, 99, 130});
}

TEST(ResizeLikePillow, BilinearUpscale) {
  ExpectPixels(ResizeLikePillow(Source(), 7, 4, ResizeFilter::kBilinear), 7, 4,
               {0,   31,  62,  30,  61,  92,  68,  99,  130, 106, 137, 168, 144, 175, 206, 182, 213,
                134, 212, 243, 18,  61,  92,  123, 95,  126, 157, 137, 123, 154, 180, 51,  82,  109,
                94,  125, 106, 137, 127, 140, 171, 106, 133, 164, 99,  118, 149, 139, 125, 110, 141,
                174, 45,  76,  108, 94,  125, 111, 100, 131, 150, 85,  116, 194, 225, 0,   91,  122,
                43,  34,  65,  96,  88,  119, 150, 142, 173, 204, 195, 116, 147, 238, 13,  44});
}

TEST(ResizeLikePillow, BilinearShrinkOneAxisGrowTheOther) {
  ExpectPixels(ResizeLikePillow(Source(), 3, 5, ResizeFilter::kBilinear), 3, 5,
               {23,  54,  85,  106, 137, 168, 189, 220, 105, 63, 94,  125, 131, 105, 136,
                141, 172, 116, 124, 155, 186, 168, 57,  88,  70, 101, 132, 119, 150, 94,
                120, 94,  125, 152, 95,  126, 116, 147, 32,  88, 119, 150, 206, 91,  122});
}

TEST(ResizeLikePillow, NearestDownscale) {
  ExpectPixels(ResizeLikePillow(Source(), 3, 2, ResizeFilter::kNearest), 3, 2,
               {0, 31, 62, 106, 137, 168, 212, 243, 18, 194, 225, 0, 88, 119, 150, 238, 13, 44});
}

TEST(ResizeLikePillow, NearestUpscale) {
  ExpectPixels(
      ResizeLikePillow(Source(), 8, 5, ResizeFilter::kNearest), 8, 5,
      {0,   31,  62,  0,   31,  62,  53,  84,  115, 106, 137, 168, 106, 137, 168, 159, 190, 221, 212, 243,
       18,  212, 243, 18,  0,   31,  62,  0,   31,  62,  53,  84,  115, 106, 137, 168, 106, 137, 168, 159,
       190, 221, 212, 243, 18,  212, 243, 18,  97,  128, 159, 97,  128, 159, 161, 192, 223, 225, 0,   31,
       225, 0,   31,  33,  64,  95,  97,  128, 159, 97,  128, 159, 194, 225, 0,   194, 225, 0,   13,  44,
       75,  88,  119, 150, 88,  119, 150, 163, 194, 225, 238, 13,  44,  238, 13,  44,  194, 225, 0,   194,
       225, 0,   13,  44,  75,  88,  119, 150, 88,  119, 150, 163, 194, 225, 238, 13,  44,  238, 13,  44});
}

TEST(ResizeLikePillow, SameSizeIsACopy) {
  const RgbImage src = Source();
  for (auto f : {ResizeFilter::kNearest, ResizeFilter::kBilinear}) {
    RgbImage out = ResizeLikePillow(src, 5, 3, f);
    EXPECT_EQ(out.pixels, src.pixels);
  }
}

TEST(ResizeLikePillow, UniformImageStaysUniform) {
  RgbImage src{13, 7, std::vector<uint8_t>(13 * 7 * 3, 0)};
  for (size_t i = 0; i < src.pixels.size(); i += 3) src.pixels[i] = 255, src.pixels[i + 1] = 77, src.pixels[i + 2] = 1;
  for (auto f : {ResizeFilter::kNearest, ResizeFilter::kBilinear}) {
    for (auto [w, h] : {std::pair{1, 1}, {224, 224}, {5, 40}}) {
      RgbImage out = ResizeLikePillow(src, w, h, f);
      for (size_t i = 0; i < out.pixels.size(); i += 3) {
        ASSERT_EQ(out.pixels[i], 255);
        ASSERT_EQ(out.pixels[i + 1], 77);
        ASSERT_EQ(out.pixels[i + 2], 1);
      }
    }
  }
}

TEST(ResizeLikePillow, RepeatedCallsWithCachedCoefficientsAgree) {
  const RgbImage src = Source();
  RgbImage first = ResizeLikePillow(src, 7, 4, ResizeFilter::kBilinear);
  for (int i = 0; i < 20; ++i) ResizeLikePillow(src, 3 + i, 2 + i, ResizeFilter::kBilinear);  // evict
  EXPECT_EQ(ResizeLikePillow(src, 7, 4, ResizeFilter::kBilinear).pixels, first.pixels);
}

TEST(ResizeLikePillow, NonPositiveTargetGivesEmptyImage) {
  RgbImage out = ResizeLikePillow(Source(), 0, 4, ResizeFilter::kBilinear);
  EXPECT_EQ(out.width, 0);
  EXPECT_TRUE(out.pixels.empty());
  EXPECT_TRUE(ResizeLikePillow(RgbImage{}, 4, 4, ResizeFilter::kNearest).pixels.empty());
}

}  // namespace
}  // namespace verger
