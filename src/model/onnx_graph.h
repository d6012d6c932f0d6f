// An ONNX model's graph read with a minimal protobuf wire-format reader (no
// libprotobuf, no generated code): tensor names, nodes with their
// attributes, graph inputs/outputs, the default-domain opset and, on
// request, the initializers' data (what the torch backend's importer needs).
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

struct OnnxValueInfo {
  std::string name;
  std::vector<int64_t> dims;  // -1 for a symbolic or unknown dim; empty if no shape
};

// TensorProto.DataType values used here.
enum OnnxDataType : int32_t {
  kOnnxFloat = 1, kOnnxUint8 = 2, kOnnxInt8 = 3, kOnnxUint16 = 4, kOnnxInt16 = 5, kOnnxInt32 = 6,
  kOnnxInt64 = 7, kOnnxBool = 9, kOnnxFloat16 = 10, kOnnxDouble = 11,
};

// Bytes per element of a data type; 0 for types this reader does not decode.
size_t OnnxElementSize(int32_t data_type);

struct OnnxTensor {
  std::string name;
  int32_t data_type = 0;
  std::vector<int64_t> dims;  // empty = scalar
  // Elements packed little-endian at OnnxElementSize(data_type) bytes each,
  // whichever TensorProto field (raw_data or a typed field) held them.
  std::vector<uint8_t> data;

  int64_t numel() const;
  // Elements converted to double / int64 (any numeric type).
  std::vector<double> AsDoubles() const;
  std::vector<int64_t> AsInts() const;
};

struct OnnxAttribute {
  enum Type : int32_t { kFloat = 1, kInt = 2, kString = 3, kTensor = 4, kGraph = 5, kFloats = 6, kInts = 7, kStrings = 8 };
  std::string name;
  int32_t type = 0;
  float f = 0;
  int64_t i = 0;
  std::string s;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::shared_ptr<OnnxTensor> t;  // kTensor (e.g. Constant's value); null if it could not be decoded:
  std::string t_error;            // why not
};

struct OnnxNode {
  std::string name;  // may be empty
  std::string op_type;
  std::string domain;  // "" = ai.onnx
  std::vector<std::string> inputs, outputs;  // an empty input name = optional input left out
  std::vector<OnnxAttribute> attributes;

  const OnnxAttribute* Attr(const std::string& attr_name) const;
};

struct OnnxGraphInfo {
  std::vector<OnnxValueInfo> inputs;   // graph inputs that are not initializers
  std::vector<OnnxValueInfo> outputs;
  std::vector<OnnxNode> nodes;         // in graph order (topological)
  int64_t opset = 0;                   // version of the default ("" / ai.onnx) domain; 0 if not declared
  std::vector<OnnxTensor> initializers;  // only with `with_initializers`
};

// Parses ModelProto bytes; Corrupt naming `path_for_errors` on bad wire
// data. Without `with_initializers` initializer payloads are skipped, never
// copied; with it they are decoded, and an initializer stored outside the
// file (external data) or of an undecodable type is Unsupported naming it.
Result<OnnxGraphInfo> ParseOnnxGraphInfo(std::span<const uint8_t> bytes, const std::string& path_for_errors,
                                         bool with_initializers = false);

// Maps the file and parses it.
Result<OnnxGraphInfo> ReadOnnxGraphInfo(const std::filesystem::path& path, bool with_initializers = false);

}  // namespace verger
