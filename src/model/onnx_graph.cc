#include "model/onnx_graph.h"

#include <set>

#include "model/mapped_file.h"

namespace verger {
namespace {

// Field numbers from onnx.proto (stable since ONNX 1.0).
constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphNode = 1, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr uint32_t kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4;
constexpr uint32_t kTensorName = 8;
constexpr uint32_t kValueInfoName = 1, kValueInfoType = 2;
constexpr uint32_t kTypeTensor = 1, kTensorTypeShape = 2, kShapeDim = 1, kDimValue = 1, kDimParam = 2;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// One protobuf message: iterate fields with Next(); length-delimited
// payloads come back as sub-spans.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : p_(b.data()), end_(b.data() + b.size()) {}

  bool done() const { return p_ >= end_ || failed_; }
  bool failed() const { return failed_; }

  // Reads the next field's key and value. For kVarint `varint` is set, for
  // kLengthDelimited `bytes`; fixed-width values are skipped.
  bool Next(uint32_t* field, uint32_t* wire, uint64_t* varint, std::span<const uint8_t>* bytes) {
    uint64_t key;
    if (!Varint(&key)) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    switch (*wire) {
      case kVarint: return Varint(varint);
      case kFixed64: return Skip(8);
      case kFixed32: return Skip(4);
      case kLengthDelimited: {
        uint64_t len;
        if (!Varint(&len) || len > uint64_t(end_ - p_)) return Fail();
        *bytes = {p_, static_cast<size_t>(len)};
        p_ += len;
        return true;
      }
      default: return Fail();  // groups (3, 4) are not used by ONNX
    }
  }

 private:
  bool Varint(uint64_t* out) {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return Fail();
      uint8_t b = *p_++;
      v |= uint64_t(b & 0x7f) << shift;
      if (!(b & 0x80)) {
        *out = v;
        return true;
      }
    }
    return Fail();
  }
  bool Skip(size_t n) {
    if (size_t(end_ - p_) < n) return Fail();
    p_ += n;
    return true;
  }
  bool Fail() {
    failed_ = true;
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
};

std::string Str(std::span<const uint8_t> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// Calls fn(field, wire, varint, bytes) for every field; false on bad wire data.
template <typename Fn>
bool ForEachField(std::span<const uint8_t> msg, Fn fn) {
  Reader r(msg);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    uint64_t varint = 0;
    std::span<const uint8_t> bytes;
    if (!r.Next(&field, &wire, &varint, &bytes)) return false;
    if (!fn(field, wire, varint, bytes)) return false;
  }
  return !r.failed();
}

bool ParseDims(std::span<const uint8_t> shape, std::vector<int64_t>* dims) {
  return ForEachField(shape, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (f != kShapeDim || w != kLengthDelimited) return true;
    int64_t d = -1;
    bool ok = ForEachField(b, [&](uint32_t df, uint32_t dw, uint64_t v, std::span<const uint8_t>) {
      if (df == kDimValue && dw == kVarint) d = static_cast<int64_t>(v);
      return true;
    });
    dims->push_back(d);
    return ok;
  });
}

bool ParseValueInfo(std::span<const uint8_t> msg, OnnxValueInfo* vi) {
  return ForEachField(msg, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (w != kLengthDelimited) return true;
    if (f == kValueInfoName) vi->name = Str(b);
    if (f != kValueInfoType) return true;
    return ForEachField(b, [&](uint32_t tf, uint32_t tw, uint64_t, std::span<const uint8_t> tb) {
      if (tf != kTypeTensor || tw != kLengthDelimited) return true;
      return ForEachField(tb, [&](uint32_t sf, uint32_t sw, uint64_t, std::span<const uint8_t> sb) {
        if (sf == kTensorTypeShape && sw == kLengthDelimited) return ParseDims(sb, &vi->dims);
        return true;
      });
    });
  });
}

bool ParseNode(std::span<const uint8_t> msg, OnnxNode* node) {
  return ForEachField(msg, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (w != kLengthDelimited) return true;
    if (f == kNodeInput) node->inputs.push_back(Str(b));
    if (f == kNodeOutput) node->outputs.push_back(Str(b));
    if (f == kNodeName) node->name = Str(b);
    if (f == kNodeOpType) node->op_type = Str(b);
    return true;
  });
}

}  // namespace

Result<OnnxGraphInfo> ParseOnnxGraphInfo(std::span<const uint8_t> bytes, const std::string& path_for_errors) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corrupt(path_for_errors + ": not a valid ONNX model (" + what + ")");
  };
  std::span<const uint8_t> graph;
  bool have_graph = false;
  if (!ForEachField(bytes, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
        if (f == kModelGraph && w == kLengthDelimited) {
          graph = b;
          have_graph = true;
        }
        return true;
      })) {
    return corrupt("bad protobuf wire data in ModelProto");
  }
  if (!have_graph) return corrupt("no graph");
  OnnxGraphInfo info;
  std::set<std::string> initializers;
  std::vector<OnnxValueInfo> declared_inputs;
  bool ok = ForEachField(graph, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (w != kLengthDelimited) return true;
    switch (f) {
      case kGraphNode: {
        OnnxNode n;
        if (!ParseNode(b, &n)) return false;
        info.nodes.push_back(std::move(n));
        return true;
      }
      case kGraphInitializer:
        return ForEachField(b, [&](uint32_t tf, uint32_t tw, uint64_t, std::span<const uint8_t> tb) {
          if (tf == kTensorName && tw == kLengthDelimited) initializers.insert(Str(tb));
          return true;
        });
      case kGraphInput:
      case kGraphOutput: {
        OnnxValueInfo vi;
        if (!ParseValueInfo(b, &vi)) return false;
        (f == kGraphInput ? declared_inputs : info.outputs).push_back(std::move(vi));
        return true;
      }
      default: return true;
    }
  });
  if (!ok) return corrupt("bad protobuf wire data in GraphProto");
  // Before IR version 4 initializers were also listed as graph inputs.
  for (auto& vi : declared_inputs) {
    if (!initializers.count(vi.name)) info.inputs.push_back(std::move(vi));
  }
  return info;
}

Result<OnnxGraphInfo> ReadOnnxGraphInfo(const std::filesystem::path& path) {
  VERGER_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return ParseOnnxGraphInfo(file.bytes(), path.string());
}

}  // namespace verger
