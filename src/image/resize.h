// Resizing bit-identical to Pillow 9.4's Image.resize((w, h), NEAREST |
// BILINEAR) with box=None and reducing_gap=None, i.e. what Keras' load_img
// does with target_size.
#pragma once

#include "core/preprocess_types.h"
#include "image/decode.h"

namespace verger {

// Returns `src` resized to width x height.
//  - Same size: a copy (Pillow returns im.copy()).
//  - kBilinear: Pillow's two-pass separable convolution (Resample.c): the
//    triangle filter's support is scaled by the shrink factor (antialiasing
//    when downscaling), double-precision coefficients normalised per output
//    pixel, then 22-bit fixed point with rounding; horizontal pass first,
//    8-bit clipped intermediate, then the vertical pass.
//  - kNearest: Pillow's affine nearest path (Geometry.c ImagingScaleAffine):
//    source coordinate accumulated in double from a/2 in steps of
//    a = in/out, truncated toward zero.
// A non-positive width/height or an empty `src` yields an empty image.
//
// Thread safety: safe to call concurrently. Filter coefficients are cached
// per thread, keyed by (source size, target size), so repeated resizes of
// same-sized images cost no coefficient setup.
RgbImage ResizeLikePillow(const RgbImage& src, int width, int height, ResizeFilter filter);

}  // namespace verger
