// Converting an RGB8 image into a network input tensor: Keras
// `preprocess_input` semantics, planar CHW float32.
#pragma once

#include "core/preprocess_types.h"
#include "image/decode.h"

namespace verger {

// Writes 3 * img.height * img.width floats at `dst` (caller-owned, not
// aliased with img) as planar CHW: channel planes in `order` (kRgb: R,G,B;
// kBgr: B,G,R), each plane row-major. Per value x in 0..255, computed in
// float32 in the same operation order as Keras/NumPy:
//   kCaffe: x - mean[c], means R 123.68, G 116.779, B 103.939, no scaling
//   kTorch: ((x / 255) - mean[c]) / std[c], mean (0.485, 0.456, 0.406),
//           std (0.229, 0.224, 0.225) for R, G, B
//   kTf:    x / 127.5 - 1
//   kNone:  x
// The mean/std follow the colour, whatever `order` says (Keras flips to BGR
// for caffe models and subtracts the BGR-ordered means).
// Thread safety: pure function of its inputs.
void NormalizeToChw(const RgbImage& img, Normalization mode, ColorOrder order, float* dst);

}  // namespace verger
