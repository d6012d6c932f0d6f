// What a weights file holds, from its first bytes. Kept out of the backend
// plugins: choosing a backend must not load one.
#pragma once

#include <string>

#include "core/status.h"

namespace verger {

enum class WeightsKind { kTorchScript, kHdf5, kOnnx, kUnknown };

// Sniffs the first bytes of `path` (zip = TorchScript, HDF5 signature,
// else a protobuf = ONNX when the name ends in .onnx). IOError naming the
// path if it cannot be read.
Result<WeightsKind> SniffWeights(const std::string& path);

}  // namespace verger
