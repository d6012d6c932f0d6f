#include "image/normalize.h"

#include <array>
#include <cstddef>

namespace verger {

namespace {

// Keras computes on float32 arrays with Python-float constants, which NumPy
// casts to float32: every step below is one float32 operation, in Keras'
// order (no fused or reassociated forms: -ffp-contract=off).
template <int kMode>
void FillPlane(const uint8_t* rgb, size_t n, int channel, float* out, float sub, float div2) {
  const uint8_t* p = rgb + channel;
  for (size_t i = 0; i < n; ++i) {
    const float x = static_cast<float>(p[i * 3]);
    if constexpr (kMode == 0) {  // caffe
      out[i] = x - sub;
    } else if constexpr (kMode == 1) {  // torch
      out[i] = ((x / 255.0f) - sub) / div2;
    } else if constexpr (kMode == 2) {  // tf
      out[i] = (x / 127.5f) - 1.0f;
    } else {
      out[i] = x;
    }
  }
}

}  // namespace

void NormalizeToChw(const RgbImage& img, Normalization mode, ColorOrder order, float* dst) {
  const size_t n = static_cast<size_t>(img.width) * img.height;
  // Per colour (R, G, B) constants.
  static constexpr std::array<float, 3> kCaffeMean = {123.68f, 116.779f, 103.939f};
  static constexpr std::array<float, 3> kTorchMean = {0.485f, 0.456f, 0.406f};
  static constexpr std::array<float, 3> kTorchStd = {0.229f, 0.224f, 0.225f};
  for (int plane = 0; plane < 3; ++plane) {
    const int channel = order == ColorOrder::kRgb ? plane : 2 - plane;
    float* out = dst + static_cast<size_t>(plane) * n;
    const uint8_t* rgb = img.pixels.data();
    switch (mode) {
      case Normalization::kCaffe: FillPlane<0>(rgb, n, channel, out, kCaffeMean[channel], 1.0f); break;
      case Normalization::kTorch:
        FillPlane<1>(rgb, n, channel, out, kTorchMean[channel], kTorchStd[channel]);
        break;
      case Normalization::kTf: FillPlane<2>(rgb, n, channel, out, 0.0f, 1.0f); break;
      case Normalization::kNone: FillPlane<3>(rgb, n, channel, out, 0.0f, 1.0f); break;
    }
  }
}

}  // namespace verger
