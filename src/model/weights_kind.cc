#include "model/weights_kind.h"

#include <cstring>
#include <filesystem>
#include <fstream>

namespace verger {

Result<WeightsKind> SniffWeights(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("weights " + path + ": cannot open");
  char head[8] = {};
  in.read(head, sizeof head);
  if (in.gcount() >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return WeightsKind::kTorchScript;
  if (in.gcount() == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0) return WeightsKind::kHdf5;
  if (std::filesystem::path(path).extension() == ".onnx") return WeightsKind::kOnnx;
  return WeightsKind::kUnknown;
}

}  // namespace verger
