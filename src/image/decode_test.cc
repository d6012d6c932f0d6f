#include "image/decode.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <new>
#include <string>
#include <vector>

#include "core/file_util.h"

// Largest single operator-new request while `g_track_alloc` is set: shows
// that an oversized header is refused before the pixel buffer is allocated.
namespace {
std::atomic<bool> g_track_alloc{false};
std::atomic<size_t> g_max_alloc{0};
}  // namespace

void* operator new(size_t n) {
  if (g_track_alloc.load(std::memory_order_relaxed)) {
    size_t prev = g_max_alloc.load();
    while (n > prev && !g_max_alloc.compare_exchange_weak(prev, n)) {
    }
  }
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, size_t) noexcept { std::free(p); }

namespace verger {
namespace {

std::filesystem::path SharedDir() {
  const char* env = std::getenv("VERGER_SHARED_DIR");
  return env ? env : VERGER_DEFAULT_MODELS_DIR "/..";
}

// The first photo (by name) of one fruits-360-10 class: a real 100x100 JPEG.
std::vector<uint8_t> FruitJpeg() {
  auto dir = SharedDir() / "datasets/fruits-360-10/Test/Apple Braeburn 1";
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  EXPECT_FALSE(files.empty()) << dir;
  auto bytes = ReadFileBytes(files.at(0));
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return *bytes;
}

// 2x2 RGB PNG written by Pillow 9.4: pixels (255,0,0) (0,255,0) / (0,0,255) (10,20,30).
const std::vector<uint8_t> kTinyPng = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x08, 0x02, 0x00, 0x00, 0x00, 0xfd, 0xd4, 0x9a,
    0x73, 0x00, 0x00, 0x00, 0x16, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xc0,
    0xf0, 0x9f, 0x81, 0x81, 0x81, 0xe1, 0x3f, 0x97, 0x88, 0x1c, 0x00, 0x1a, 0x58, 0x03, 0x3a, 0x82,
    0xe0, 0xab, 0x53, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

// Offset of the first SOF0/SOF2 marker segment in a JPEG.
size_t FindSof(const std::vector<uint8_t>& jpg) {
  for (size_t i = 2; i + 9 < jpg.size(); ++i) {
    if (jpg[i] == 0xFF && (jpg[i + 1] == 0xC0 || jpg[i + 1] == 0xC2)) return i;
  }
  ADD_FAILURE() << "no SOF marker";
  return 0;
}

// Rewrites the frame size in the SOF header (height then width, big-endian).
std::vector<uint8_t> WithJpegSize(std::vector<uint8_t> jpg, int width, int height) {
  size_t sof = FindSof(jpg);
  jpg[sof + 5] = static_cast<uint8_t>(height >> 8);
  jpg[sof + 6] = static_cast<uint8_t>(height);
  jpg[sof + 7] = static_cast<uint8_t>(width >> 8);
  jpg[sof + 8] = static_cast<uint8_t>(width);
  return jpg;
}

TEST(DecodeImage, DecodesRealJpeg) {
  auto img = DecodeImage(FruitJpeg(), "apple.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 100);
  EXPECT_EQ(img->height, 100);
  ASSERT_EQ(img->pixels.size(), 100u * 100 * 3);
  // Fruits-360 photos sit on a white background and show a (non-white) fruit.
  EXPECT_GE(img->pixels[0], 240);
  EXPECT_LT(*std::min_element(img->pixels.begin(), img->pixels.end()), 128);
}

TEST(DecodeImage, DecodesPngSniffedNotFromName) {
  auto img = DecodeImage(kTinyPng, "misnamed.jpg");
  ASSERT_TRUE(img.ok()) << img.status().ToString();
  EXPECT_EQ(img->width, 2);
  EXPECT_EQ(img->height, 2);
  EXPECT_EQ(img->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30}));
}

TEST(DecodeImage, TruncatedJpegIsCorruptAtEveryCut) {
  const auto jpg = FruitJpeg();
  // Pillow raises "image file is truncated" for all of these, even when only
  // the EOI marker is missing.
  for (size_t keep : {size_t{3}, size_t{4}, size_t{20}, size_t{200}, jpg.size() / 2, jpg.size() - 10,
                      jpg.size() - 2}) {
    std::vector<uint8_t> cut(jpg.begin(), jpg.begin() + keep);
    auto img = DecodeImage(cut, "cut.jpg");
    ASSERT_FALSE(img.ok()) << "kept " << keep << " bytes";
    EXPECT_EQ(img.status().code(), StatusCode::kCorrupt) << img.status().ToString();
    EXPECT_NE(img.status().message().find("cut.jpg"), std::string::npos) << img.status().message();
  }
  std::vector<uint8_t> half(jpg.begin(), jpg.begin() + jpg.size() / 2);
  EXPECT_NE(DecodeImage(half, "cut.jpg").status().message().find("Premature end of JPEG file"), std::string::npos);
}

TEST(DecodeImage, GarbageInsideJpegIsCorruptNotACrash) {
  auto jpg = FruitJpeg();
  size_t sof = FindSof(jpg);
  jpg[sof + 9] = 7;  // 7 components: libjpeg rejects the frame header
  auto img = DecodeImage(jpg, "bad.jpg");
  EXPECT_FALSE(img.ok());
  auto zeros = FruitJpeg();
  std::fill(zeros.begin() + 3, zeros.end(), 0);  // keep the FF D8 FF signature
  EXPECT_EQ(DecodeImage(zeros, "zeros.jpg").status().code(), StatusCode::kCorrupt);
}

TEST(DecodeImage, EmptyInputIsUnsupported) {
  auto img = DecodeImage({}, "empty.jpg");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(img.status().message().find("empty.jpg"), std::string::npos);
  EXPECT_NE(img.status().message().find("empty file (0 bytes)"), std::string::npos) << img.status().message();
}

TEST(DecodeImage, TextIsUnsupportedAndSaysText) {
  std::string text = "<html><body>403 Forbidden</body></html>\n";
  auto img = DecodeImage(std::span(reinterpret_cast<const uint8_t*>(text.data()), text.size()), "s3://b/k.jpg");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(img.status().message().find("s3://b/k.jpg"), std::string::npos);
  EXPECT_NE(img.status().message().find("text file"), std::string::npos) << img.status().message();
  EXPECT_NE(img.status().message().find("<html>"), std::string::npos) << img.status().message();
}

TEST(DecodeImage, OtherFormatsAreNamed) {
  std::vector<uint8_t> gif = {'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0, 0, 0};
  auto img = DecodeImage(gif, "x.gif");
  EXPECT_EQ(img.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(img.status().message().find("GIF image"), std::string::npos) << img.status().message();
  std::vector<uint8_t> binary = {0x00, 0x01, 0xFE, 0x7F, 0x80};
  EXPECT_NE(DecodeImage(binary, "x.bin").status().message().find("00 01 FE 7F 80"), std::string::npos);
}

TEST(DecodeImage, PngWithBadCrcIsCorrupt) {
  auto png = kTinyPng;
  png[29] ^= 0xFF;  // first byte of the IHDR CRC
  auto img = DecodeImage(png, "crc.png");
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kCorrupt);
  EXPECT_NE(img.status().message().find("crc.png"), std::string::npos);
  EXPECT_NE(img.status().message().find("CRC"), std::string::npos) << img.status().message();
}

TEST(DecodeImage, PngWithBadDeflateDataOrTruncatedIsCorrupt) {
  auto png = kTinyPng;
  png[43] ^= 0x55;  // inside the zlib stream of IDAT
  EXPECT_EQ(DecodeImage(png, "z.png").status().code(), StatusCode::kCorrupt);
  for (size_t keep : {size_t{8}, size_t{20}, size_t{40}, size_t{50}}) {  // IDAT data spans bytes 41..62
    std::vector<uint8_t> cut(kTinyPng.begin(), kTinyPng.begin() + keep);
    auto img = DecodeImage(cut, "cut.png");
    EXPECT_EQ(img.status().code(), StatusCode::kCorrupt) << keep << ": " << img.status().ToString();
    EXPECT_NE(img.status().message().find("cut.png"), std::string::npos);
  }
}

TEST(DecodeImage, PngCompleteRowsWithoutTrailerDecodeLikePillow) {
  // Pillow stops reading once every row is inflated: a missing IEND (and
  // even a missing IDAT CRC) is not an error there, so not here either.
  for (size_t drop : {size_t{12}, size_t{16}}) {
    std::vector<uint8_t> cut(kTinyPng.begin(), kTinyPng.end() - drop);
    auto img = DecodeImage(cut, "short.png");
    ASSERT_TRUE(img.ok()) << img.status().ToString();
    EXPECT_EQ(img->pixels, (std::vector<uint8_t>{255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30}));
  }
}

TEST(DecodeImage, HugeJpegHeaderRefusedBeforeAllocating) {
  auto jpg = WithJpegSize(FruitJpeg(), 30000, 30000);
  g_max_alloc = 0;
  g_track_alloc = true;
  auto img = DecodeImage(jpg, "bomb.jpg");
  g_track_alloc = false;
  ASSERT_FALSE(img.ok());
  EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted) << img.status().ToString();
  EXPECT_NE(img.status().message().find("bomb.jpg"), std::string::npos);
  EXPECT_NE(img.status().message().find("900000000"), std::string::npos) << img.status().message();
  EXPECT_LT(g_max_alloc.load(), size_t{1} << 20);  // nowhere near 30000*30000*3
}

TEST(DecodeImage, HugePngHeaderRefused) {
  auto png = kTinyPng;
  png[16] = 0x00, png[17] = 0x01, png[18] = 0x00, png[19] = 0x00;  // width 65536
  png[20] = 0x00, png[21] = 0x01, png[22] = 0x00, png[23] = 0x00;  // height 65536
  EXPECT_EQ(DecodeImage(png, "bomb.png").status().code(), StatusCode::kResourceExhausted);
}

// fuzz/decode_fuzz found width * height overflowing int64 for PNG headers
// near 2^32 x 2^32 (signed overflow: UB, and the bomb guard let it through).
TEST(DecodeImage, PngDimensionsNearUint32MaxDoNotOverflowTheBombGuard) {
  auto png = kTinyPng;
  png[16] = 0xC4, png[17] = 0xFF, png[18] = 0xFF, png[19] = 0xFF;  // width 3305111551
  png[20] = 0xFF, png[21] = 0x00, png[22] = 0x00, png[23] = 0x00;  // height 4278190080
  auto img = DecodeImage(png, "overflow.png");
  EXPECT_EQ(img.status().code(), StatusCode::kResourceExhausted) << img.status().ToString();
  EXPECT_NE(img.status().message().find("14139895450781614080 pixels"), std::string::npos) << img.status().message();
}

TEST(DecodeImage, MaxPixelsIsConfigurable) {
  const auto jpg = FruitJpeg();  // 100x100
  EXPECT_EQ(DecodeImage(jpg, "a.jpg", DecodeOptions{9999}).status().code(), StatusCode::kResourceExhausted);
  EXPECT_TRUE(DecodeImage(jpg, "a.jpg", DecodeOptions{10000}).ok());
}

TEST(DecodeImage, ZeroSizedHeadersAreInvalidArgument) {
  auto jpg = DecodeImage(WithJpegSize(FruitJpeg(), 100, 0), "flat.jpg");
  EXPECT_EQ(jpg.status().code(), StatusCode::kInvalidArgument) << jpg.status().ToString();
  EXPECT_NE(jpg.status().message().find("flat.jpg"), std::string::npos);
  auto png = kTinyPng;
  png[20] = png[21] = png[22] = png[23] = 0;  // height 0
  auto img = DecodeImage(png, "flat.png");
  EXPECT_EQ(img.status().code(), StatusCode::kInvalidArgument) << img.status().ToString();
  EXPECT_NE(img.status().message().find("flat.png"), std::string::npos);
}

}  // namespace
}  // namespace verger
