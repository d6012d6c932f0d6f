// Minimal NumPy .npy (format 1.0) reader/writer for dense little-endian
// float32 / float64 matrices: the on-disk form of features and PCA models,
// readable by numpy.load without verger.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

enum class NpyDtype { kFloat32, kFloat64 };

struct NpyArray {
  NpyDtype dtype = NpyDtype::kFloat32;
  std::vector<int64_t> shape;      // 1-D or 2-D, C order
  std::vector<uint8_t> data;       // raw little-endian elements
  int64_t element_count() const;
};

// Serialises a C-order array. `data` must hold product(shape) elements.
std::vector<uint8_t> EncodeNpy(NpyDtype dtype, const std::vector<int64_t>& shape, const void* data);

// Parses .npy bytes; `what` names the source in errors.
Result<NpyArray> DecodeNpy(const std::vector<uint8_t>& bytes, const std::string& what);

}  // namespace verger
