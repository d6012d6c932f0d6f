// Keras VGG16 weights (.h5) -> verger's VGG16-to-fc2 TorchScript, in C++
// (no Python at run time). The module is the one scripts/convert_vgg16.py
// makes: N x 3 x 224 x 224 float32 NCHW (BGR, caffe-normalised) in, N x 4096
// (fc2 after its ReLU) out, with the same parameters, so both give the same
// numbers. Internal to the model library (the torch backend's converter).
#pragma once

#include <string>

#include "core/status.h"

namespace verger {

// Reads Keras VGG16 weights from `h5_path` (save_weights or whole-model
// .h5; include_top, the predictions layer is ignored) and saves the
// TorchScript module to `out_path` (overwritten; callers write a temporary
// name and rename). Errors name the file and the missing layer, dataset or
// wrong shape (keras_h5.h), or say LibTorch could not build or save it.
Status ConvertKerasVgg16(const std::string& h5_path, const std::string& out_path);

}  // namespace verger
