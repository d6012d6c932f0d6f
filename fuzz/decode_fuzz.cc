// libFuzzer target: arbitrary bytes through the image half of the pipeline
// (sniff -> JPEG/PNG decode -> Pillow resize -> Keras normalisation), as the
// ImageLoader runs it. Must never crash, leak or allocate past max_pixels.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "image/decode.h"
#include "image/normalize.h"
#include "image/resize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  verger::DecodeOptions options;
  options.max_pixels = 4096 * 4096;  // keeps each run fast; the guard itself is under test
  auto img = verger::DecodeImage(std::span<const uint8_t>(data, size), "fuzz", options);
  if (!img.ok()) return 0;
  if (img->pixels.size() != static_cast<size_t>(img->width) * img->height * 3) __builtin_trap();
  // Cheap sizes, both filters, every normalisation: the code paths differ.
  const int w = 1 + (size % 37), h = 1 + ((size / 37) % 41);
  for (auto filter : {verger::ResizeFilter::kBilinear, verger::ResizeFilter::kNearest}) {
    verger::RgbImage small = verger::ResizeLikePillow(*img, w, h, filter);
    std::vector<float> chw(static_cast<size_t>(3) * w * h);
    verger::NormalizeToChw(small, verger::Normalization::kCaffe, verger::ColorOrder::kBgr, chw.data());
    verger::NormalizeToChw(small, verger::Normalization::kTorch, verger::ColorOrder::kRgb, chw.data());
  }
  return 0;
}
