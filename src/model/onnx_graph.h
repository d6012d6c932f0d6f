// Just enough of an ONNX model's graph to map tensor names to nodes and to
// check inputs: a minimal protobuf wire-format reader (no libprotobuf, no
// generated code). Initializer payloads are skipped, never copied.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

struct OnnxValueInfo {
  std::string name;
  std::vector<int64_t> dims;  // -1 for a symbolic or unknown dim; empty if no shape
};

struct OnnxNode {
  std::string name;  // may be empty
  std::string op_type;
  std::vector<std::string> inputs, outputs;
};

struct OnnxGraphInfo {
  std::vector<OnnxValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<OnnxValueInfo> outputs;
  std::vector<OnnxNode> nodes;         // in graph order (topological)
};

// Parses ModelProto bytes; Corrupt naming `path_for_errors` on bad wire data.
Result<OnnxGraphInfo> ParseOnnxGraphInfo(std::span<const uint8_t> bytes, const std::string& path_for_errors);

// Maps the file and parses it.
Result<OnnxGraphInfo> ReadOnnxGraphInfo(const std::filesystem::path& path);

}  // namespace verger
