// Preprocessing vocabulary shared by image (which implements it) and model
// (whose specs name it).
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace verger {

// Pillow resampling filters that Keras' load_img exposes.
enum class ResizeFilter { kNearest, kBilinear };

// Keras `preprocess_input` modes. kCaffe: subtract ImageNet means
// (R 123.68, G 116.779, B 103.939), no scaling; kTorch: /255 then ImageNet
// mean/std; kTf: scale to [-1, 1]; kNone: raw 0..255 values.
enum class Normalization { kCaffe, kTorch, kTf, kNone };

// Channel order of the network input tensor (Keras caffe models want BGR).
enum class ColorOrder { kRgb, kBgr };

Result<ResizeFilter> ParseResizeFilter(std::string_view s);
Result<Normalization> ParseNormalization(std::string_view s);
Result<ColorOrder> ParseColorOrder(std::string_view s);
std::string_view Name(ResizeFilter f);
std::string_view Name(Normalization n);
std::string_view Name(ColorOrder c);

}  // namespace verger
