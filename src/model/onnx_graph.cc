#include "model/onnx_graph.h"

#include <cstring>
#include <set>

#include "model/mapped_file.h"

namespace verger {
namespace {

// Field numbers from onnx.proto (stable since ONNX 1.0).
constexpr uint32_t kModelGraph = 7, kModelOpsetImport = 8;
constexpr uint32_t kOpsetDomain = 1, kOpsetVersion = 2;
constexpr uint32_t kGraphNode = 1, kGraphInitializer = 5, kGraphInput = 11, kGraphOutput = 12;
constexpr uint32_t kNodeInput = 1, kNodeOutput = 2, kNodeName = 3, kNodeOpType = 4, kNodeAttribute = 5,
                   kNodeDomain = 7;
constexpr uint32_t kAttrName = 1, kAttrF = 2, kAttrI = 3, kAttrS = 4, kAttrT = 5, kAttrFloats = 7, kAttrInts = 8,
                   kAttrType = 20;
constexpr uint32_t kTensorDims = 1, kTensorDataType = 2, kTensorFloatData = 4, kTensorInt32Data = 5,
                   kTensorInt64Data = 7, kTensorName = 8, kTensorRawData = 9, kTensorDoubleData = 10,
                   kTensorExternalData = 13, kTensorDataLocation = 14;
constexpr uint32_t kValueInfoName = 1, kValueInfoType = 2;
constexpr uint32_t kTypeTensor = 1, kTensorTypeShape = 2, kShapeDim = 1, kDimValue = 1;

enum WireType : uint32_t { kVarint = 0, kFixed64 = 1, kLengthDelimited = 2, kFixed32 = 5 };

// One protobuf message: iterate fields with Next(); length-delimited
// payloads come back as sub-spans.
class Reader {
 public:
  explicit Reader(std::span<const uint8_t> b) : p_(b.data()), end_(b.data() + b.size()) {}

  bool done() const { return p_ >= end_ || failed_; }
  bool failed() const { return failed_; }

  // Reads the next field's key and value. For kVarint, kFixed32 and kFixed64
  // `value` holds the value's bits, for kLengthDelimited `bytes` the payload.
  bool Next(uint32_t* field, uint32_t* wire, uint64_t* value, std::span<const uint8_t>* bytes) {
    uint64_t key;
    if (!Varint(&key)) return false;
    *field = static_cast<uint32_t>(key >> 3);
    *wire = static_cast<uint32_t>(key & 7);
    switch (*wire) {
      case kVarint: return Varint(value);
      case kFixed64: return Fixed(8, value);
      case kFixed32: return Fixed(4, value);
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

  bool Fixed(size_t n, uint64_t* out) {
    if (size_t(end_ - p_) < n) return Fail();
    uint64_t v = 0;
    std::memcpy(&v, p_, n);  // protobuf and every target here are little-endian
    *out = v;
    p_ += n;
    return true;
  }

 private:
  bool Fail() {
    failed_ = true;
    return false;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  bool failed_ = false;
};

std::string Str(std::span<const uint8_t> b) { return std::string(reinterpret_cast<const char*>(b.data()), b.size()); }

// Calls fn(field, wire, value, bytes) for every field; false on bad wire data.
template <typename Fn>
bool ForEachField(std::span<const uint8_t> msg, Fn fn) {
  Reader r(msg);
  while (!r.done()) {
    uint32_t field = 0, wire = 0;
    uint64_t value = 0;
    std::span<const uint8_t> bytes;
    if (!r.Next(&field, &wire, &value, &bytes)) return false;
    if (!fn(field, wire, value, bytes)) return false;
  }
  return !r.failed();
}

// A repeated scalar field arrives packed (one length-delimited run) or one
// value per key; calls fn(bits) for each value either way.
template <typename Fn>
bool ForEachRepeated(uint32_t wire, uint64_t value, std::span<const uint8_t> bytes, uint32_t element_wire, Fn fn) {
  if (wire != kLengthDelimited) {
    if (wire != element_wire) return false;
    fn(value);
    return true;
  }
  Reader r(bytes);
  while (!r.done()) {
    uint64_t v = 0;
    bool ok = element_wire == kVarint ? r.Varint(&v) : r.Fixed(element_wire == kFixed32 ? 4 : 8, &v);
    if (!ok) return false;
    fn(v);
  }
  return !r.failed();
}

float BitsToFloat(uint64_t bits) {
  uint32_t u = static_cast<uint32_t>(bits);
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

template <typename T>
void Append(std::vector<uint8_t>* out, T v) {
  const size_t at = out->size();
  out->resize(at + sizeof(T));
  std::memcpy(out->data() + at, &v, sizeof(T));
}

// Why a tensor could not be decoded, or "" on success.
std::string ParseTensor(std::span<const uint8_t> msg, bool with_data, OnnxTensor* t) {
  std::vector<uint8_t> floats, int32s, int64s, doubles;
  bool raw = false, external = false;
  bool ok = ForEachField(msg, [&](uint32_t f, uint32_t w, uint64_t v, std::span<const uint8_t> b) {
    switch (f) {
      case kTensorName: if (w == kLengthDelimited) t->name = Str(b); return true;
      case kTensorDims:
        return ForEachRepeated(w, v, b, kVarint, [&](uint64_t d) { t->dims.push_back(static_cast<int64_t>(d)); });
      case kTensorDataType: if (w == kVarint) t->data_type = static_cast<int32_t>(v); return true;
      case kTensorExternalData: external = true; return true;
      case kTensorDataLocation: if (w == kVarint && v == 1) external = true; return true;
      default: break;
    }
    if (!with_data) return true;
    switch (f) {
      case kTensorRawData:
        if (w != kLengthDelimited) return false;
        t->data.assign(b.begin(), b.end());
        raw = true;
        return true;
      case kTensorFloatData:
        return ForEachRepeated(w, v, b, kFixed32, [&](uint64_t x) { Append(&floats, BitsToFloat(x)); });
      case kTensorDoubleData:
        return ForEachRepeated(w, v, b, kFixed64, [&](uint64_t x) { Append(&doubles, x); });
      case kTensorInt32Data:
        return ForEachRepeated(w, v, b, kVarint, [&](uint64_t x) { Append(&int32s, static_cast<int32_t>(x)); });
      case kTensorInt64Data:
        return ForEachRepeated(w, v, b, kVarint, [&](uint64_t x) { Append(&int64s, static_cast<int64_t>(x)); });
      default: return true;
    }
  });
  if (!ok) return "bad protobuf wire data";
  if (!with_data) return "";
  if (external) return "its data is stored outside the .onnx file (external data), which is not supported";
  const size_t size = OnnxElementSize(t->data_type);
  if (size == 0) return "data type " + std::to_string(t->data_type) + " is not supported";
  if (!raw) {
    switch (t->data_type) {
      case kOnnxFloat: t->data = std::move(floats); break;
      case kOnnxDouble: t->data = std::move(doubles); break;
      case kOnnxInt64: t->data = std::move(int64s); break;
      default:  // int32_data carries every type of 4 bytes or fewer, one element per value
        for (size_t i = 0; i + 4 <= int32s.size(); i += 4) t->data.insert(t->data.end(), &int32s[i], &int32s[i] + size);
    }
  }
  if (t->data.size() != size_t(t->numel()) * size) {
    return "holds " + std::to_string(t->data.size()) + " bytes of data for " + std::to_string(t->numel()) +
           " elements of " + std::to_string(size) + " bytes";
  }
  return "";
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

// Why the attribute could not be read, or "".
std::string ParseAttribute(std::span<const uint8_t> msg, OnnxAttribute* a) {
  bool ok = ForEachField(msg, [&](uint32_t f, uint32_t w, uint64_t v, std::span<const uint8_t> b) {
    switch (f) {
      case kAttrName: if (w == kLengthDelimited) a->name = Str(b); return true;
      case kAttrType: if (w == kVarint) a->type = static_cast<int32_t>(v); return true;
      case kAttrF: if (w == kFixed32) a->f = BitsToFloat(v); return true;
      case kAttrI: if (w == kVarint) a->i = static_cast<int64_t>(v); return true;
      case kAttrS: if (w == kLengthDelimited) a->s = Str(b); return true;
      case kAttrFloats: return ForEachRepeated(w, v, b, kFixed32, [&](uint64_t x) { a->floats.push_back(BitsToFloat(x)); });
      case kAttrInts: return ForEachRepeated(w, v, b, kVarint, [&](uint64_t x) { a->ints.push_back(static_cast<int64_t>(x)); });
      case kAttrT:
        if (w != kLengthDelimited) return false;
        a->t = std::make_shared<OnnxTensor>();
        a->t_error = ParseTensor(b, true, a->t.get());
        if (a->t_error.empty()) return true;
        a->t = nullptr;  // only the importer needs the value: it reports t_error
        return a->t_error != "bad protobuf wire data";
      default: return true;
    }
  });
  return ok ? "" : "bad protobuf wire data in attribute " + a->name;
}

std::string ParseNode(std::span<const uint8_t> msg, OnnxNode* node) {
  std::string error;
  bool ok = ForEachField(msg, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (w != kLengthDelimited) return true;
    switch (f) {
      case kNodeInput: node->inputs.push_back(Str(b)); break;
      case kNodeOutput: node->outputs.push_back(Str(b)); break;
      case kNodeName: node->name = Str(b); break;
      case kNodeOpType: node->op_type = Str(b); break;
      case kNodeDomain: node->domain = Str(b); break;
      case kNodeAttribute: {
        OnnxAttribute a;
        error = ParseAttribute(b, &a);
        if (!error.empty()) return false;
        node->attributes.push_back(std::move(a));
        break;
      }
      default: break;
    }
    return true;
  });
  if (!error.empty()) return "node '" + node->name + "' (" + node->op_type + "): " + error;
  return ok ? "" : "bad protobuf wire data in NodeProto";
}

}  // namespace

size_t OnnxElementSize(int32_t data_type) {
  switch (data_type) {
    case kOnnxFloat: case kOnnxInt32: return 4;
    case kOnnxUint8: case kOnnxInt8: case kOnnxBool: return 1;
    case kOnnxUint16: case kOnnxInt16: case kOnnxFloat16: return 2;
    case kOnnxInt64: case kOnnxDouble: return 8;
    default: return 0;
  }
}

int64_t OnnxTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : dims) n *= d;
  return n;
}

std::vector<double> OnnxTensor::AsDoubles() const {
  const int64_t n = numel();
  std::vector<double> out(static_cast<size_t>(n));
  const uint8_t* p = data.data();
  auto get = [&](auto zero, int64_t i) {
    decltype(zero) v;
    std::memcpy(&v, p + i * sizeof v, sizeof v);
    return static_cast<double>(v);
  };
  for (int64_t i = 0; i < n; ++i) {
    switch (data_type) {
      case kOnnxFloat: out[i] = get(float{}, i); break;
      case kOnnxDouble: out[i] = get(double{}, i); break;
      case kOnnxUint8: case kOnnxBool: out[i] = get(uint8_t{}, i); break;
      case kOnnxInt8: out[i] = get(int8_t{}, i); break;
      case kOnnxUint16: out[i] = get(uint16_t{}, i); break;
      case kOnnxInt16: out[i] = get(int16_t{}, i); break;
      case kOnnxInt32: out[i] = get(int32_t{}, i); break;
      case kOnnxInt64: out[i] = get(int64_t{}, i); break;
      default: out[i] = 0;  // float16 is not decoded (callers check the type)
    }
  }
  return out;
}

std::vector<int64_t> OnnxTensor::AsInts() const {
  if (data_type == kOnnxInt64) {  // exact beyond 2^53
    std::vector<int64_t> out(data.size() / 8);
    std::memcpy(out.data(), data.data(), out.size() * 8);
    return out;
  }
  std::vector<int64_t> out;
  for (double d : AsDoubles()) out.push_back(static_cast<int64_t>(d));
  return out;
}

const OnnxAttribute* OnnxNode::Attr(const std::string& attr_name) const {
  for (const auto& a : attributes)
    if (a.name == attr_name) return &a;
  return nullptr;
}

Result<OnnxGraphInfo> ParseOnnxGraphInfo(std::span<const uint8_t> bytes, const std::string& path_for_errors,
                                         bool with_initializers) {
  auto corrupt = [&](const std::string& what) {
    return Status::Corrupt(path_for_errors + ": not a valid ONNX model (" + what + ")");
  };
  std::span<const uint8_t> graph;
  bool have_graph = false;
  OnnxGraphInfo info;
  if (!ForEachField(bytes, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
        if (f == kModelGraph && w == kLengthDelimited) {
          graph = b;
          have_graph = true;
        }
        if (f == kModelOpsetImport && w == kLengthDelimited) {
          std::string domain;
          int64_t version = 0;
          if (!ForEachField(b, [&](uint32_t of, uint32_t ow, uint64_t v, std::span<const uint8_t> ob) {
                if (of == kOpsetDomain && ow == kLengthDelimited) domain = Str(ob);
                if (of == kOpsetVersion && ow == kVarint) version = static_cast<int64_t>(v);
                return true;
              }))
            return false;
          if (domain.empty() || domain == "ai.onnx") info.opset = version;
        }
        return true;
      })) {
    return corrupt("bad protobuf wire data in ModelProto");
  }
  if (!have_graph) return corrupt("no graph");
  std::set<std::string> initializers;
  std::vector<OnnxValueInfo> declared_inputs;
  std::string error;
  bool unsupported = false;
  bool ok = ForEachField(graph, [&](uint32_t f, uint32_t w, uint64_t, std::span<const uint8_t> b) {
    if (w != kLengthDelimited) return true;
    switch (f) {
      case kGraphNode: {
        OnnxNode n;
        error = ParseNode(b, &n);
        if (!error.empty()) return false;
        info.nodes.push_back(std::move(n));
        return true;
      }
      case kGraphInitializer: {
        OnnxTensor t;
        error = ParseTensor(b, with_initializers, &t);
        if (!error.empty()) {
          unsupported = error.find("wire data") == std::string::npos;
          error = "initializer '" + t.name + "': " + error;
          return false;
        }
        initializers.insert(t.name);
        if (with_initializers) info.initializers.push_back(std::move(t));
        return true;
      }
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
  if (unsupported) return Status::Unsupported(path_for_errors + ": " + error);
  if (!ok) return corrupt(error.empty() ? "bad protobuf wire data in GraphProto" : error);
  // Before IR version 4 initializers were also listed as graph inputs.
  for (auto& vi : declared_inputs) {
    if (!initializers.count(vi.name)) info.inputs.push_back(std::move(vi));
  }
  return info;
}

Result<OnnxGraphInfo> ReadOnnxGraphInfo(const std::filesystem::path& path, bool with_initializers) {
  VERGER_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  return ParseOnnxGraphInfo(file.bytes(), path.string(), with_initializers);
}

}  // namespace verger
