#include "model/onnx_script.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <sstream>

namespace verger {
namespace {

using Ints = std::vector<int64_t>;

// A float literal TorchScript reads as float (never as int).
std::string Float(double v) {
  if (std::isinf(v)) return v > 0 ? "float(\"inf\")" : "float(\"-inf\")";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  std::string s = buf;
  if (s.find_first_of(".en") == std::string::npos) s += ".0";
  return s;
}

std::string List(const Ints& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + std::to_string(v[i]);
  return s + "]";
}

OnnxTensor FloatTensor(Ints dims, const std::vector<float>& v) {
  OnnxTensor t;
  t.data_type = kOnnxFloat;
  t.dims = std::move(dims);
  t.data.resize(v.size() * 4);
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

OnnxTensor IntTensor(Ints dims, const Ints& v) {
  OnnxTensor t;
  t.data_type = kOnnxInt64;
  t.dims = std::move(dims);
  t.data.resize(v.size() * 8);
  std::memcpy(t.data.data(), v.data(), t.data.size());
  return t;
}

bool IsIntType(int32_t type) { return type != kOnnxFloat && type != kOnnxDouble && type != kOnnxFloat16; }

// How int8 kernels would store a tensor: q = clamp(round(x / scale) + zero_point, qmin, qmax).
struct QuantParams {
  double scale = 1;
  int64_t zero_point = 0, qmin = 0, qmax = 255;
};

// A tensor computed at run time.
struct Value {
  enum Kind { kTensor, kIntList, kInt } kind = kTensor;
  std::string expr;                  // TorchScript variable or expression
  // Set: the tensor holds integer levels q - zero_point (exact in float32), as int8 kernels would.
  std::optional<QuantParams> quant;
};

constexpr const char* kOps[] = {
    "Add", "AveragePool", "BatchNormalization", "Cast", "Clip", "Concat", "Constant", "Conv", "DequantizeLinear",
    "Div", "Dropout", "Flatten", "Gather", "Gemm", "GlobalAveragePool", "GlobalMaxPool", "HardSigmoid",
    "HardSwish", "Identity", "LeakyRelu", "MatMul", "MaxPool", "Mul", "Pad", "QLinearAdd", "QLinearConv",
    "QLinearGlobalAveragePool", "QLinearMatMul", "QuantizeLinear", "Relu", "Reshape", "Shape", "Sigmoid",
    "Softmax", "Squeeze", "Sub", "Tanh", "Transpose", "Unsqueeze"};

// Helper methods the generated forward may call (each defined once, on first use).
constexpr const char* kSamePadHelper = R"(
def _same_pad(self, x: Tensor, k: List[int], s: List[int], d: List[int], upper: bool, value: float) -> Tensor:
    pads: List[int] = []
    n = len(k)
    for i in range(n):
        j = n - 1 - i
        size = x.size(x.dim() - 1 - i)
        out = (size + s[j] - 1) // s[j]
        total = max((out - 1) * s[j] + (k[j] - 1) * d[j] + 1 - size, 0)
        if upper:
            pads += [total // 2, total - total // 2]
        else:
            pads += [total - total // 2, total // 2]
    return torch.constant_pad_nd(x, pads, value)
)";

constexpr const char* kReshapeHelper = R"(
def _reshape(self, x: Tensor, shape: List[int]) -> Tensor:
    s: List[int] = []
    for i in range(len(shape)):
        if shape[i] == 0:
            s.append(x.size(i))
        else:
            s.append(shape[i])
    return x.reshape(s)
)";

class Translator {
 public:
  Translator(OnnxGraphInfo& g, const OnnxScriptOptions& o) : g_(g), o_(o) {}

  Result<TorchScriptGraph> Run() {
    for (auto& t : g_.initializers) consts_[t.name] = std::move(t);
    g_.initializers.clear();
    bool input_found = false;
    for (const auto& in : g_.inputs) input_found |= in.name == o_.input_name;
    if (!input_found) return Status::NotFound(o_.who + ": the ONNX graph has no input '" + o_.input_name + "'");
    values_[o_.input_name] = Value{Value::kTensor, "x", std::nullopt};
    std::map<std::string, size_t> producer;
    for (size_t i = 0; i < g_.nodes.size(); ++i)
      for (const auto& out : g_.nodes[i].outputs) producer.emplace(out, i);
    if (o_.output_tensor != o_.input_name && !producer.count(o_.output_tensor) && !consts_.count(o_.output_tensor)) {
      return Status::NotFound(o_.who + ": the ONNX graph has no tensor '" + o_.output_tensor +
                              "' (feature_tensor must name a node output or a graph output)");
    }
    // Only the nodes the output depends on.
    std::vector<bool> needed(g_.nodes.size(), false);
    std::vector<std::string> stack{o_.output_tensor};
    while (!stack.empty()) {
      std::string t = stack.back();
      stack.pop_back();
      auto p = producer.find(t);
      if (p == producer.end() || needed[p->second]) continue;
      needed[p->second] = true;
      for (const auto& in : g_.nodes[p->second].inputs) stack.push_back(in);
    }
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (needed[i]) VERGER_RETURN_IF_ERROR(Node(g_.nodes[i]));
    }
    Value* out = Find(o_.output_tensor);
    if (out == nullptr && consts_.count(o_.output_tensor)) {
      return Status::Unsupported(o_.who + ": tensor '" + o_.output_tensor + "' is a constant of the graph, not computed from the input");
    }
    if (out == nullptr || out->kind != Value::kTensor) {
      return Status::Unsupported(o_.who + ": tensor '" + o_.output_tensor + "' is a shape, not an image tensor");
    }
    std::string result = out->expr;
    // A quantized tensor is read as its integers, as int8 kernels hold it.
    if (out->quant) result = "(" + result + " + " + Float(double(out->quant->zero_point)) + ")";
    TorchScriptGraph r;
    r.source = "def forward(self, x: Tensor) -> Tensor:\n" + body_ + "    return " + result + "\n";
    for (const auto& h : helpers_) r.source += h;
    r.params = std::move(params_);
    return r;
  }

 private:
  // ---- naming and errors ----
  std::string Label(const OnnxNode& n) const {
    return n.name.empty() ? "with output '" + (n.outputs.empty() ? std::string() : n.outputs[0]) + "'"
                          : "'" + n.name + "'";
  }
  Status Unsupported(const OnnxNode& n, const std::string& why = "") const {
    if (why.empty()) {
      return Status::Unsupported(o_.who + ": ONNX node " + Label(n) + " (op " + n.op_type + ") is not supported by the "
                                 "torch backend; supported: " + SupportedOnnxOps() + "; use --backend opencv");
    }
    return Status::Unsupported(o_.who + ": ONNX node " + Label(n) + " (op " + n.op_type + "): " + why +
                               ", which the torch backend does not support; use --backend opencv");
  }

  // ---- values ----
  Value* Find(const std::string& name) {
    auto it = values_.find(name);
    return it == values_.end() ? nullptr : &it->second;
  }
  const OnnxTensor* Const(const std::string& name) const {
    auto it = consts_.find(name);
    return it == consts_.end() ? nullptr : &it->second;
  }
  const OnnxTensor* ConstInput(const OnnxNode& n, size_t i) const {
    return i < n.inputs.size() && !n.inputs[i].empty() ? Const(n.inputs[i]) : nullptr;
  }
  bool HasInput(const OnnxNode& n, size_t i) const { return i < n.inputs.size() && !n.inputs[i].empty(); }

  // The module attribute holding a constant (float32 or int64), created on first use.
  std::string Param(const std::string& name) {
    auto it = param_of_.find(name);
    if (it != param_of_.end()) return it->second;
    const OnnxTensor& c = consts_.at(name);
    OnnxTensor p = c.data_type == kOnnxFloat || c.data_type == kOnnxInt64 ? c
                   : IsIntType(c.data_type)                                ? IntTensor(c.dims, c.AsInts())
                                                                            : DoublesToFloat(c);
    p.name = "p" + std::to_string(params_.size());
    params_.push_back(std::move(p));
    return param_of_[name] = "self." + params_.back().name;
  }
  static OnnxTensor DoublesToFloat(const OnnxTensor& c) {
    std::vector<double> d = c.AsDoubles();
    return FloatTensor(c.dims, std::vector<float>(d.begin(), d.end()));
  }
  std::string NewParam(OnnxTensor t) {
    std::string key(1, '\x01');  // no ONNX name starts with \x01
    key += std::to_string(synthetic_++);
    consts_[key] = std::move(t);
    return Param(key);
  }

  // A run-time tensor (quantized ones as float values) or a constant, as a tensor expression.
  Result<std::string> TensorArg(const OnnxNode& n, size_t i) {
    VERGER_ASSIGN_OR_RETURN(std::string e, RawArg(n, i));
    Value* v = Find(n.inputs[i]);
    if (v && v->quant) return "(" + e + " * " + Float(v->quant->scale) + ")";
    return e;
  }
  // As TensorArg, but quantized tensors stay integer levels (for ops that only move values).
  Result<std::string> RawArg(const OnnxNode& n, size_t i) {
    if (!HasInput(n, i)) return Unsupported(n, "input " + std::to_string(i) + " is missing");
    const std::string& name = n.inputs[i];
    if (Value* v = Find(name)) {
      if (v->kind == Value::kTensor) return v->expr;
      return "torch.tensor(" + v->expr + ")";
    }
    if (Const(name)) return Param(name);
    return NotComputed(n, name);
  }
  Status NotComputed(const OnnxNode& n, const std::string& name) const {
    for (const auto& node : g_.nodes) {
      for (size_t k = 1; k < node.outputs.size(); ++k) {
        if (node.outputs[k] == name) {
          return Unsupported(n, "its input '" + name + "' is output " + std::to_string(k) + " of node " + Label(node) +
                                    " (op " + node.op_type + ")");
        }
      }
    }
    return Status::NotFound(o_.who + ": ONNX node " + Label(n) + " (op " + n.op_type + ") reads tensor '" + name +
                            "', which is not computed from input '" + o_.input_name + "' (another graph input?)");
  }
  // A constant input as integers (axes, shapes, pads).
  std::optional<Ints> ConstInts(const OnnxNode& n, size_t i) const {
    const OnnxTensor* c = ConstInput(n, i);
    if (c == nullptr) return std::nullopt;
    return c->AsInts();
  }
  std::optional<double> ConstScalar(const OnnxNode& n, size_t i) const {
    const OnnxTensor* c = ConstInput(n, i);
    if (c == nullptr || c->numel() != 1 || c->data_type == kOnnxFloat16) return std::nullopt;
    return c->AsDoubles()[0];
  }

  // ---- attributes ----
  int64_t AttrInt(const OnnxNode& n, const char* name, int64_t def) const {
    const OnnxAttribute* a = n.Attr(name);
    return a ? a->i : def;
  }
  double AttrFloat(const OnnxNode& n, const char* name, double def) const {
    const OnnxAttribute* a = n.Attr(name);
    return a ? a->f : def;
  }
  Ints AttrInts(const OnnxNode& n, const char* name, Ints def = {}) const {
    const OnnxAttribute* a = n.Attr(name);
    return a ? a->ints : def;
  }
  std::string AttrString(const OnnxNode& n, const char* name, const std::string& def) const {
    const OnnxAttribute* a = n.Attr(name);
    return a ? a->s : def;
  }

  // ---- emission ----
  std::string Emit(const std::string& expr) {
    std::string var = "v";
    var += std::to_string(next_var_++);
    body_.append("    ").append(var).append(" = ").append(expr).append("\n");
    return var;
  }
  void Bind(const OnnxNode& n, Value v) {
    if (!n.outputs.empty()) values_[n.outputs[0]] = std::move(v);
  }
  void BindTensor(const OnnxNode& n, const std::string& expr, std::optional<QuantParams> q = std::nullopt) {
    Bind(n, Value{Value::kTensor, Emit(expr), q});
  }
  void Helper(const char* source) {
    if (std::find(helpers_.begin(), helpers_.end(), source) == helpers_.end()) helpers_.push_back(source);
  }

  // Quantization parameters from a (scale, zero point) pair of constant inputs.
  Result<QuantParams> Quant(const OnnxNode& n, size_t scale_input, size_t zp_input) const {
    auto scale = ConstScalar(n, scale_input);
    if (!scale) return Unsupported(n, "a per-axis or non-constant activation scale");
    QuantParams q;
    q.scale = *scale;
    if (const OnnxTensor* zp = ConstInput(n, zp_input)) {
      if (zp->numel() != 1) return Unsupported(n, "a per-axis activation zero point");
      q.zero_point = zp->AsInts()[0];
      if (zp->data_type == kOnnxInt8) q.qmin = -128, q.qmax = 127;
      else if (zp->data_type != kOnnxUint8) return Unsupported(n, "a zero point of ONNX type " + std::to_string(zp->data_type));
    }
    return q;
  }
  // Integer levels of `acc` (a fresh tensor) scaled by `multiplier` (a float32 tensor parameter of one
  // value or one per channel, dim 1): clamp(round(acc * multiplier), qmin - zp, qmax - zp), ties to even.
  // One pass, in place (torch_requantize_ops.cc): freezing cannot fold the multiplier into a
  // convolution's weights (which would round the products and move values across rounding boundaries).
  std::string Requantize(const std::string& acc, const std::string& multiplier, const QuantParams& q) const {
    return "verger.requantize_(" + acc + ", " + multiplier + ", " + LevelBounds(q) + ")";
  }
  static std::string LevelBounds(const QuantParams& q) {
    return Float(double(q.qmin - q.zero_point)) + ", " + Float(double(q.qmax - q.zero_point));
  }
  // A one-value multiplier parameter.
  std::string ScalarMultiplier(float m) { return NewParam(FloatTensor({1}, {m})); }
  // Integer levels (q - zero_point) of a quantized constant, per-tensor or along `axis`.
  Result<OnnxTensor> Levels(const OnnxNode& n, const OnnxTensor& q, const OnnxTensor* zp, int64_t axis) const {
    OnnxTensor ones = FloatTensor(zp ? zp->dims : Ints{}, std::vector<float>(zp ? zp->numel() : 1, 1.f));
    return Dequantize(n, q, &ones, zp, axis);
  }
  // Scale of a constant input, per-tensor.
  Result<double> Scale(const OnnxNode& n, size_t i) const {
    auto s = ConstScalar(n, i);
    if (!s) return Unsupported(n, "a per-axis or non-constant scale at input " + std::to_string(i));
    return *s;
  }
  // Float values of a constant quantized tensor: (q - zero_point) * scale,
  // per-tensor or along `axis`, each scale optionally multiplied by `extra_scale`.
  Result<OnnxTensor> Dequantize(const OnnxNode& n, const OnnxTensor& q, const OnnxTensor* scale, const OnnxTensor* zp,
                                int64_t axis, const std::vector<double>& extra_scale = {}) const {
    if (scale == nullptr) return Unsupported(n, "a non-constant scale");
    std::vector<double> s = scale->AsDoubles(), v = q.AsDoubles();
    std::vector<double> z = zp ? zp->AsDoubles() : std::vector<double>(s.size(), 0.0);
    if (z.size() != s.size()) return Unsupported(n, "scale and zero point of different lengths");
    const int64_t rank = int64_t(q.dims.size());
    if (axis < 0) axis += rank;
    int64_t inner = 1, channels = 1;
    if (s.size() > 1) {
      if (axis < 0 || axis >= rank || q.dims[axis] != int64_t(s.size())) return Unsupported(n, "a scale whose length does not match its axis");
      channels = q.dims[axis];
      for (int64_t d = axis + 1; d < rank; ++d) inner *= q.dims[d];
    }
    std::vector<float> out(v.size());
    for (size_t i = 0; i < v.size(); ++i) {
      const size_t c = s.size() > 1 ? (i / inner) % channels : 0;
      const double extra = extra_scale.empty() ? 1.0 : extra_scale[extra_scale.size() > 1 ? c : 0];
      out[i] = static_cast<float>((v[i] - z[c]) * s[c] * extra);
    }
    return FloatTensor(q.dims, out);
  }

  // ---- ops ----
  Status Node(const OnnxNode& n) {
    if (!n.domain.empty() && n.domain != "ai.onnx" && n.domain != "com.microsoft") return Unsupported(n);
    static const std::map<std::string, Status (Translator::*)(const OnnxNode&)> ops = {
        {"Conv", &Translator::Conv},
        {"QLinearConv", &Translator::QLinearConv},
        {"Gemm", &Translator::Gemm},
        {"MatMul", &Translator::MatMul},
        {"QLinearMatMul", &Translator::QLinearMatMul},
        {"BatchNormalization", &Translator::BatchNorm},
        {"MaxPool", &Translator::Pool},
        {"AveragePool", &Translator::Pool},
        {"GlobalAveragePool", &Translator::GlobalPool},
        {"GlobalMaxPool", &Translator::GlobalPool},
        {"QLinearGlobalAveragePool", &Translator::GlobalPool},
        {"Add", &Translator::Binary},
        {"Sub", &Translator::Binary},
        {"Mul", &Translator::Binary},
        {"Div", &Translator::Binary},
        {"QLinearAdd", &Translator::QLinearAdd},
        {"Relu", &Translator::Unary},
        {"Sigmoid", &Translator::Unary},
        {"Tanh", &Translator::Unary},
        {"HardSwish", &Translator::Unary},
        {"LeakyRelu", &Translator::Unary},
        {"HardSigmoid", &Translator::Unary},
        {"Clip", &Translator::Clip},
        {"Softmax", &Translator::Softmax},
        {"Concat", &Translator::Concat},
        {"Flatten", &Translator::Flatten},
        {"Reshape", &Translator::Reshape},
        {"Transpose", &Translator::Transpose},
        {"Squeeze", &Translator::Squeeze},
        {"Unsqueeze", &Translator::Unsqueeze},
        {"Pad", &Translator::Pad},
        {"Dropout", &Translator::Identity},
        {"Identity", &Translator::Identity},
        {"Cast", &Translator::Cast},
        {"Constant", &Translator::Constant},
        {"Shape", &Translator::Shape},
        {"Gather", &Translator::Gather},
        {"QuantizeLinear", &Translator::QuantizeLinear},
        {"DequantizeLinear", &Translator::DequantizeLinear},
    };
    auto it = ops.find(n.op_type);
    if (it == ops.end() || (n.domain == "com.microsoft" && n.op_type.rfind("QLinear", 0) != 0)) return Unsupported(n);
    if (n.outputs.empty()) return Unsupported(n, "no output");
    return (this->*(it->second))(n);
  }

  // Spatial padding for conv/pool: symmetric pads go to the op; others
  // (and auto_pad SAME_*) pad the input first. Returns the op's padding.
  Result<Ints> Padding(const OnnxNode& n, std::string* x, size_t spatial, const Ints& kernel, const Ints& strides,
                       const Ints& dilations, double pad_value) {
    const std::string auto_pad = AttrString(n, "auto_pad", "NOTSET");
    Ints zeros(spatial, 0);
    if (auto_pad == "VALID") return zeros;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      if (kernel.size() != spatial) return Unsupported(n, "auto_pad SAME without kernel_shape");
      Helper(kSamePadHelper);
      *x = Emit("self._same_pad(" + *x + ", " + List(kernel) + ", " + List(strides) + ", " + List(dilations) + ", " +
                (auto_pad == "SAME_UPPER" ? "True" : "False") + ", " + Float(pad_value) + ")");
      return zeros;
    }
    if (auto_pad != "NOTSET") return Unsupported(n, "auto_pad " + auto_pad);
    Ints pads = AttrInts(n, "pads", Ints(2 * spatial, 0));
    if (pads.size() != 2 * spatial) return Unsupported(n, "pads of length " + std::to_string(pads.size()));
    Ints begin(pads.begin(), pads.begin() + spatial), end(pads.begin() + spatial, pads.end());
    if (begin == end) return begin;
    Ints torch_pads;  // last dim first: (begin, end) pairs
    for (size_t i = spatial; i-- > 0;) torch_pads.insert(torch_pads.end(), {pads[i], pads[i + spatial]});
    *x = Emit("torch.constant_pad_nd(" + *x + ", " + List(torch_pads) + ", " + Float(pad_value) + ")");
    return zeros;
  }

  // Conv and QLinearConv after their weights are known.
  // `kernel`: the weights' spatial dims.
  Result<std::string> ConvExpr(const OnnxNode& n, std::string x, const std::string& w, const Ints& kernel,
                               const std::string& bias) {
    const size_t spatial = kernel.size();
    if (spatial < 1 || spatial > 3) return Unsupported(n, std::to_string(spatial) + "-d convolution");
    Ints strides = AttrInts(n, "strides", Ints(spatial, 1)), dilations = AttrInts(n, "dilations", Ints(spatial, 1));
    VERGER_ASSIGN_OR_RETURN(Ints padding, Padding(n, &x, spatial, kernel, strides, dilations, 0.0));
    return "torch.conv" + std::to_string(spatial) + "d(" + x + ", " + w + ", " + bias + ", " + List(strides) + ", " +
           List(padding) + ", " + List(dilations) + ", " + std::to_string(AttrInt(n, "group", 1)) + ")";
  }

  Status Conv(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    const OnnxTensor* w = ConstInput(n, 1);
    if (w == nullptr) return Unsupported(n, "non-constant weights");
    if (w->dims.size() < 3) return Unsupported(n, "weights of rank " + std::to_string(w->dims.size()));
    std::string bias = "None";
    if (HasInput(n, 2)) {
      VERGER_ASSIGN_OR_RETURN(bias, TensorArg(n, 2));
    }
    VERGER_ASSIGN_OR_RETURN(std::string e, ConvExpr(n, x, Param(n.inputs[1]), Ints(w->dims.begin() + 2, w->dims.end()), bias));
    BindTensor(n, e);
    return Status::OK();
  }

  // Integer levels of a quantized input (a QLinear op's input i, with its scale and zero point at i+1, i+2).
  Result<std::string> QuantizedArg(const OnnxNode& n, size_t i) {
    if (Const(n.inputs[i])) {
      VERGER_ASSIGN_OR_RETURN(OnnxTensor f, Levels(n, *Const(n.inputs[i]), ConstInput(n, i + 2), 1));
      return NewParam(std::move(f));
    }
    Value* v = Find(n.inputs[i]);
    if (v && v->kind == Value::kTensor && !v->quant) return Unsupported(n, "a float input where a quantized one belongs");
    return RawArg(n, i);
  }

  // x_scale * w_scale / y_scale in float32 operations, as OpenCV DNN's int8
  // layers compute it. The scales are float32 in the graph; the same ratio
  // computed in double and then rounded can be one ulp away, and a product
  // that lands exactly on .5 then rounds the other way: one flipped level
  // early in the network changes a tenth of the levels 30 layers later
  // (tests/torch/int8_tie_probe.py, docs/models.md).
  static float RequantMultiplier(double in_scale, double w_scale, double out_scale) {
    const float product = static_cast<float>(in_scale) * static_cast<float>(w_scale);
    return product / static_cast<float>(out_scale);
  }

  // Per-output-channel requantization multipliers x_scale * w_scale[c] / y_scale, shaped to broadcast
  // over an output of `rank` dims whose channels are at dim `axis`.
  std::string Multipliers(const OnnxNode& n, double in_scale, const OnnxTensor& w_scale, double out_scale, size_t rank,
                          size_t axis) {
    std::vector<double> ws = w_scale.AsDoubles();
    if (ws.size() == 1) return ScalarMultiplier(RequantMultiplier(in_scale, ws[0], out_scale));
    std::vector<float> m;
    for (double w : ws) m.push_back(RequantMultiplier(in_scale, w, out_scale));
    Ints dims(rank, 1);
    dims[axis] = int64_t(ws.size());
    return NewParam(FloatTensor(dims, m));
  }

  Status QLinearConv(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, QuantizedArg(n, 0));
    const OnnxTensor* w = ConstInput(n, 3);
    if (w == nullptr || w->dims.size() < 3 || !ConstInput(n, 4)) return Unsupported(n, "non-constant weights or scales");
    VERGER_ASSIGN_OR_RETURN(double x_scale, Scale(n, 1));
    VERGER_ASSIGN_OR_RETURN(QuantParams q, Quant(n, 6, 7));
    // Integer levels in, exact integer sums out (float32 holds integers up to 2^24 exactly).
    VERGER_ASSIGN_OR_RETURN(OnnxTensor wl, Levels(n, *w, ConstInput(n, 5), 0));
    std::string bias = "None";
    if (const OnnxTensor* b = ConstInput(n, 8)) {
      bias = NewParam(DoublesToFloat(*b));
    } else if (HasInput(n, 8)) {
      return Unsupported(n, "a non-constant bias");
    }
    const Ints kernel(w->dims.begin() + 2, w->dims.end());
    VERGER_ASSIGN_OR_RETURN(std::string e, ConvExpr(n, x, NewParam(std::move(wl)), kernel, bias));
    const std::string m = Multipliers(n, x_scale, *ConstInput(n, 4), q.scale, w->dims.size(), 1);
    if (IsOpenCvDepthwise3x3(n, *w)) {
      BindTensor(n, RequantizeLikeOpenCvDepthwise(n, x, e, m, q), q);
    } else {
      BindTensor(n, Requantize(e, m, q), q);
    }
    return Status::OK();
  }

  // ONNX leaves QLinearConv's rounding of halfway products open. OpenCV DNN
  // (4.6, AVX2) rounds them to even everywhere except in its 3x3 depthwise
  // kernel (fastDepthwiseConv, taken when the input is at least 18 wide and
  // padded by at most 1), whose scalar columns use std::round, ties away from
  // zero: the first column when padded on the left, the columns from outW1 on,
  // and every column when fewer than 32 remain for its 32-wide vector loop.
  // Following it makes the torch import of an int8 graph give OpenCV's features
  // bit for bit; one halfway product rounded the other way early in
  // MobileNetV2 changes a tenth of the levels 30 layers later.
  // tests/torch/int8_tie_probe.py checks the rule against every QLinearConv output.
  bool IsOpenCvDepthwise3x3(const OnnxNode& n, const OnnxTensor& w) const {
    const Ints pads = AttrInts(n, "pads", Ints(4, 0)), strides = AttrInts(n, "strides", Ints(2, 1));
    return w.dims.size() == 4 && w.dims[1] == 1 && w.dims[2] == 3 && w.dims[3] == 3 &&
           AttrInt(n, "group", 1) == w.dims[0] && AttrInts(n, "dilations", Ints(2, 1)) == Ints(2, 1) &&
           pads.size() == 4 && pads[0] == pads[2] && pads[1] == pads[3] && pads[0] <= 1 && pads[1] <= 1 &&
           strides.size() == 2 && (strides[1] == 1 || strides[1] == 2) && AttrString(n, "auto_pad", "NOTSET") == "NOTSET";
  }
  std::string RequantizeLikeOpenCvDepthwise(const OnnxNode& n, const std::string& x, const std::string& acc,
                                            const std::string& multiplier, const QuantParams& q) {
    const int64_t pad_l = AttrInts(n, "pads", Ints(4, 0))[1], stride = AttrInts(n, "strides", Ints(2, 1))[1];
    const std::string start = std::to_string(pad_l > 0 ? 1 : 0);
    const std::string p = Emit(acc);
    const std::string w_in = Emit(x + ".size(3)"), w_out = Emit(p + ".size(3)");
    const std::string w1 = Emit("min(" + w_out + ", (" + w_in + " - 2 + " + std::to_string(pad_l) + ") // " +
                                std::to_string(stride) + ")");
    // Columns [lo, hi) round ties to even; the others away from zero (none for inputs under 18 wide).
    const std::string lo = Emit("(0 if " + w_in + " < 18 else (" + start + " if " + w1 + " >= " + start + " + 32 else " +
                                w_out + "))");
    const std::string hi = Emit("(" + w_out + " if " + w_in + " < 18 else " + w1 + ")");
    return "verger.requantize_dw_(" + p + ", " + multiplier + ", " + LevelBounds(q) + ", " + lo + ", " + hi +
           ")";
  }

  // A 2-D constant transposed (for linear weights).
  static OnnxTensor Transposed(const OnnxTensor& t) {
    std::vector<double> v = t.AsDoubles();
    const int64_t r = t.dims[0], c = t.dims[1];
    std::vector<float> out(v.size());
    for (int64_t i = 0; i < r; ++i)
      for (int64_t j = 0; j < c; ++j) out[j * r + i] = float(v[i * c + j]);
    return FloatTensor({c, r}, out);
  }

  Status Gemm(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string a, TensorArg(n, 0));
    const double alpha = AttrFloat(n, "alpha", 1.0), beta = AttrFloat(n, "beta", 1.0);
    const bool trans_a = AttrInt(n, "transA", 0) != 0, trans_b = AttrInt(n, "transB", 0) != 0;
    if (trans_a) a = Emit(a + ".t()");
    const OnnxTensor* b = ConstInput(n, 1);
    const OnnxTensor* c = ConstInput(n, 2);
    if (b != nullptr && b->dims.size() == 2 && alpha == 1.0 && (!HasInput(n, 2) || (c != nullptr && beta == 1.0))) {
      // y = a W^T + c: one linear (addmm), which freezing and oneDNN handle best.
      std::string w = trans_b ? Param(n.inputs[1]) : NewParam(Transposed(*b));
      std::string bias = "None";
      if (c != nullptr) {
        const int64_t out = trans_b ? b->dims[0] : b->dims[1];
        std::vector<double> cv = c->AsDoubles();
        if (int64_t(cv.size()) != out && cv.size() != 1) return Unsupported(n, "a bias that is not one row");
        std::vector<float> row(out);
        for (int64_t i = 0; i < out; ++i) row[i] = float(cv.size() == 1 ? cv[0] : cv[i]);
        bias = NewParam(FloatTensor({out}, row));
      }
      BindTensor(n, "torch.linear(" + a + ", " + w + ", " + bias + ")");
      return Status::OK();
    }
    VERGER_ASSIGN_OR_RETURN(std::string bt, TensorArg(n, 1));
    std::string e = "torch.matmul(" + a + ", " + bt + (trans_b ? ".t()" : "") + ")";
    if (alpha != 1.0) e += " * " + Float(alpha);
    if (HasInput(n, 2)) {
      VERGER_ASSIGN_OR_RETURN(std::string ct, TensorArg(n, 2));
      e += " + " + ct + (beta != 1.0 ? " * " + Float(beta) : "");
    }
    BindTensor(n, e);
    return Status::OK();
  }

  Status MatMul(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string a, TensorArg(n, 0));
    const OnnxTensor* b = ConstInput(n, 1);
    if (b != nullptr && b->dims.size() == 2) {
      BindTensor(n, "torch.linear(" + a + ", " + NewParam(Transposed(*b)) + ")");
      return Status::OK();
    }
    VERGER_ASSIGN_OR_RETURN(std::string bt, TensorArg(n, 1));
    BindTensor(n, "torch.matmul(" + a + ", " + bt + ")");
    return Status::OK();
  }

  Status QLinearMatMul(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string a, QuantizedArg(n, 0));
    const OnnxTensor* b = ConstInput(n, 3);
    VERGER_ASSIGN_OR_RETURN(QuantParams q, Quant(n, 6, 7));
    VERGER_ASSIGN_OR_RETURN(double a_scale, Scale(n, 1));
    if (b == nullptr || b->dims.size() != 2 || !ConstInput(n, 4)) return Unsupported(n, "non-constant or non-2-d weights");
    // A per-column scale runs along axis 1 of the K x N weights.
    VERGER_ASSIGN_OR_RETURN(OnnxTensor bl, Levels(n, *b, ConstInput(n, 5), 1));
    const std::string e = "torch.linear(" + a + ", " + NewParam(Transposed(bl)) + ")";
    BindTensor(n, Requantize(e, Multipliers(n, a_scale, *ConstInput(n, 4), q.scale, 2, 1), q), q);
    return Status::OK();
  }

  Status QLinearAdd(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string a, QuantizedArg(n, 0));
    VERGER_ASSIGN_OR_RETURN(std::string b, QuantizedArg(n, 3));
    VERGER_ASSIGN_OR_RETURN(QuantParams q, Quant(n, 6, 7));
    VERGER_ASSIGN_OR_RETURN(double a_scale, Scale(n, 1));
    VERGER_ASSIGN_OR_RETURN(double b_scale, Scale(n, 4));
    // As OpenCV DNN adds: both inputs dequantized, summed, then multiplied by
    // 1 / C_scale, all in float32 (the same sum scaled by A_scale / C_scale and
    // B_scale / C_scale first rounds a few halfway sums the other way).
    const float inverse = 1.0f / static_cast<float>(q.scale);
    BindTensor(n, Requantize("(" + a + " * " + Float(static_cast<float>(a_scale)) + " + " + b + " * " +
                                 Float(static_cast<float>(b_scale)) + ")", ScalarMultiplier(inverse), q), q);
    return Status::OK();
  }

  Status BatchNorm(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    std::string p[4];
    for (int i = 0; i < 4; ++i) {
      if (!ConstInput(n, i + 1)) return Unsupported(n, "non-constant statistics");
      p[i] = Param(n.inputs[i + 1]);
    }
    BindTensor(n, "torch.batch_norm(" + x + ", " + p[0] + ", " + p[1] + ", " + p[2] + ", " + p[3] + ", False, 0.0, " +
                      Float(AttrFloat(n, "epsilon", 1e-5)) + ", False)");
    return Status::OK();
  }

  Status Pool(const OnnxNode& n) {
    const bool max = n.op_type == "MaxPool";
    VERGER_ASSIGN_OR_RETURN(std::string x, max ? RawArg(n, 0) : TensorArg(n, 0));
    Ints kernel = AttrInts(n, "kernel_shape");
    const size_t spatial = kernel.size();
    if (spatial < 1 || spatial > 3) return Unsupported(n, "kernel_shape of length " + std::to_string(spatial));
    if (max && AttrInt(n, "storage_order", 0) != 0) return Unsupported(n, "storage_order 1");
    Ints strides = AttrInts(n, "strides", Ints(spatial, 1)), dilations = AttrInts(n, "dilations", Ints(spatial, 1));
    const bool ceil = AttrInt(n, "ceil_mode", 0) != 0;
    const bool count_pad = AttrInt(n, "count_include_pad", 0) != 0;
    const std::string before = x;
    VERGER_ASSIGN_OR_RETURN(Ints padding, Padding(n, &x, spatial, kernel, strides, dilations, max ? -INFINITY : 0.0));
    if (!max && x != before && !count_pad) return Unsupported(n, "asymmetric or SAME padding without count_include_pad");
    if (!max && dilations != Ints(spatial, 1)) return Unsupported(n, "dilations in AveragePool");
    const std::string d = std::to_string(spatial) + "d(";
    std::optional<QuantParams> q = max ? QuantOf(n.inputs[0]) : std::nullopt;
    if (max) {
      BindTensor(n, "torch.max_pool" + d + x + ", " + List(kernel) + ", " + List(strides) + ", " + List(padding) + ", " +
                        List(dilations) + ", " + (ceil ? "True" : "False") + ")", q);
    } else {
      BindTensor(n, "torch.avg_pool" + d + x + ", " + List(kernel) + ", " + List(strides) + ", " + List(padding) + ", " +
                        (ceil ? "True" : "False") + ", " + (count_pad ? "True" : "False") + ")");
    }
    return Status::OK();
  }

  Status GlobalPool(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    if (n.op_type == "GlobalMaxPool") {
      BindTensor(n, "torch.amax(" + x + ", [2, 3], True)");
    } else if (n.op_type == "GlobalAveragePool") {
      BindTensor(n, "torch.adaptive_avg_pool2d(" + x + ", [1, 1])");
    } else {  // QLinearGlobalAveragePool: x, x_scale, x_zp, y_scale, y_zp
      if (AttrInt(n, "channels_last", 0) != 0) return Unsupported(n, "channels_last 1");
      VERGER_ASSIGN_OR_RETURN(QuantParams q, Quant(n, 3, 4));
      VERGER_ASSIGN_OR_RETURN(double x_scale, Scale(n, 1));
      VERGER_ASSIGN_OR_RETURN(std::string xl, QuantizedArg(n, 0));
      BindTensor(n, Requantize("torch.adaptive_avg_pool2d(" + xl + ", [1, 1])",
                               ScalarMultiplier(RequantMultiplier(x_scale, 1.0, q.scale)), q), q);
    }
    return Status::OK();
  }

  // Shape arithmetic (ints and int lists) stays in TorchScript ints.
  Status Binary(const OnnxNode& n) {
    static const std::map<std::string, std::string> sym = {{"Add", "+"}, {"Sub", "-"}, {"Mul", "*"}, {"Div", "/"}};
    Value* a = Find(n.inputs[0]);
    Value* b = HasInput(n, 1) ? Find(n.inputs[1]) : nullptr;
    auto int_scalar = [&](size_t i, Value* v) -> std::optional<std::string> {
      if (v != nullptr) return v->kind == Value::kInt ? std::optional(v->expr) : std::nullopt;
      const OnnxTensor* c = ConstInput(n, i);
      if (c && c->numel() == 1 && IsIntType(c->data_type)) return std::to_string(c->AsInts()[0]);
      return std::nullopt;
    };
    auto ia = int_scalar(0, a), ib = int_scalar(1, b);
    if (ia && ib && ((a && a->kind == Value::kInt) || (b && b->kind == Value::kInt))) {
      const std::string op = n.op_type == "Div" ? "//" : sym.at(n.op_type);
      Bind(n, Value{Value::kInt, Emit(*ia + " " + op + " " + *ib), std::nullopt});
      return Status::OK();
    }
    auto operand = [&](size_t i) -> Result<std::string> {
      const OnnxTensor* c = ConstInput(n, i);
      if (c && c->dims.empty() && !IsIntType(c->data_type)) return Float(c->AsDoubles()[0]);
      return TensorArg(n, i);
    };
    VERGER_ASSIGN_OR_RETURN(std::string x, operand(0));
    VERGER_ASSIGN_OR_RETURN(std::string y, operand(1));
    if (x.find_first_not_of("0123456789.e-+") == std::string::npos) {
      if (n.op_type == "Sub" || n.op_type == "Div") {
        BindTensor(n, std::string(n.op_type == "Sub" ? "torch.rsub(" : "torch.reciprocal(") + y +
                          (n.op_type == "Sub" ? ", " + x + ")" : ") * " + x));
        return Status::OK();
      }
      std::swap(x, y);
    }
    BindTensor(n, x + " " + sym.at(n.op_type) + " " + y);
    return Status::OK();
  }

  Status Unary(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    const std::string& op = n.op_type;
    std::string e;
    if (op == "Relu") e = "torch.relu(" + x + ")";
    else if (op == "Sigmoid") e = "torch.sigmoid(" + x + ")";
    else if (op == "Tanh") e = "torch.tanh(" + x + ")";
    else if (op == "HardSwish") e = "torch.hardswish(" + x + ")";
    else if (op == "LeakyRelu") e = "torch.leaky_relu(" + x + ", " + Float(AttrFloat(n, "alpha", 0.01)) + ")";
    else {  // HardSigmoid: max(0, min(1, alpha x + beta))
      const double alpha = AttrFloat(n, "alpha", 0.2), beta = AttrFloat(n, "beta", 0.5);
      e = std::abs(alpha - 1.0 / 6) < 1e-7 && beta == 0.5
              ? "torch.hardsigmoid(" + x + ")"
              : "torch.clamp(" + x + " * " + Float(alpha) + " + " + Float(beta) + ", 0.0, 1.0)";
    }
    BindTensor(n, e);
    return Status::OK();
  }

  Status Clip(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    std::optional<double> lo, hi;
    if (g_.opset != 0 && g_.opset < 11) {
      if (n.Attr("min")) lo = AttrFloat(n, "min", 0);
      if (n.Attr("max")) hi = AttrFloat(n, "max", 0);
    } else {
      if (HasInput(n, 1) && !(lo = ConstScalar(n, 1))) return Unsupported(n, "a non-constant min");
      if (HasInput(n, 2) && !(hi = ConstScalar(n, 2))) return Unsupported(n, "a non-constant max");
    }
    // LibTorch 1.13's optimize_for_inference fuses a convolution with the hardtanh or clamp after it into
    // oneDNN wrongly unless the bounds are (0, 6) (measured: tests/torch/test_onnx_ops.py): other bounds
    // go through minimum / maximum, which it leaves alone.
    if (lo && hi && *lo == 0 && *hi == 6) {
      BindTensor(n, "torch.hardtanh(" + x + ", 0.0, 6.0)");
    } else if (lo && hi) {
      BindTensor(n, "torch.maximum(torch.minimum(" + x + ", " + NewParam(FloatTensor({}, {float(*hi)})) + "), " +
                        NewParam(FloatTensor({}, {float(*lo)})) + ")");
    }
    else if (lo) BindTensor(n, *lo == 0 ? "torch.relu(" + x + ")" : "torch.maximum(" + x + ", " + NewParam(FloatTensor({}, {float(*lo)})) + ")");
    else if (hi) BindTensor(n, "torch.minimum(" + x + ", " + NewParam(FloatTensor({}, {float(*hi)})) + ")");
    else return Identity(n);
    return Status::OK();
  }

  Status Softmax(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    const bool legacy = g_.opset != 0 && g_.opset < 13;  // softmax over the dims from axis on, flattened
    const int64_t axis = AttrInt(n, "axis", legacy ? 1 : -1);
    if (!legacy || axis == -1) {
      BindTensor(n, "torch.softmax(" + x + ", " + std::to_string(axis) + ")");
    } else {
      BindTensor(n, "torch.softmax(torch.flatten(" + x + ", " + std::to_string(axis) + "), -1).reshape(" + x + ".size())");
    }
    return Status::OK();
  }

  // An int-list operand: a shape value, an int, or a constant 0-/1-d integer tensor.
  std::optional<std::string> IntListArg(const OnnxNode& n, size_t i) {
    if (Value* v = Find(n.inputs[i])) {
      if (v->kind == Value::kIntList) return v->expr;
      if (v->kind == Value::kInt) return "[" + v->expr + "]";
      return std::nullopt;
    }
    const OnnxTensor* c = ConstInput(n, i);
    if (c && IsIntType(c->data_type) && c->dims.size() <= 1) return List(c->AsInts());
    return std::nullopt;
  }

  Status Concat(const OnnxNode& n) {
    bool shape_like = false, all_ints = true;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      Value* v = Find(n.inputs[i]);
      if (v && v->kind != Value::kTensor) shape_like = true;
      if (!IntListArg(n, i)) all_ints = false;
    }
    if (shape_like && all_ints) {
      std::string e;
      for (size_t i = 0; i < n.inputs.size(); ++i) e += (i ? " + " : "") + *IntListArg(n, i);
      Bind(n, Value{Value::kIntList, Emit(e), std::nullopt});
      return Status::OK();
    }
    std::string list;
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      VERGER_ASSIGN_OR_RETURN(std::string t, TensorArg(n, i));
      list += (i ? ", " : "") + t;
    }
    BindTensor(n, "torch.cat([" + list + "], " + std::to_string(AttrInt(n, "axis", 0)) + ")");
    return Status::OK();
  }

  std::optional<QuantParams> QuantOf(const std::string& name) {
    Value* v = Find(name);
    return v ? v->quant : std::nullopt;
  }

  Status Flatten(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    const int64_t axis = AttrInt(n, "axis", 1);
    std::string e = axis == 0   ? x + ".reshape([1, -1])"
                    : axis == 1 ? "torch.flatten(" + x + ", 1)"
                                : "torch.flatten(torch.flatten(" + x + ", " + std::to_string(axis) + "), 0, " +
                                      std::to_string(axis > 0 ? axis - 1 : -2) + ")";
    BindTensor(n, e, QuantOf(n.inputs[0]));
    return Status::OK();
  }

  Status Reshape(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    std::optional<Ints> shape = ConstInts(n, 1);
    if (shape) {
      if (AttrInt(n, "allowzero", 0) != 0 && std::count(shape->begin(), shape->end(), 0)) return Unsupported(n, "allowzero 1");
      std::string list = "[";
      for (size_t i = 0; i < shape->size(); ++i)
        list += (i ? ", " : "") + ((*shape)[i] == 0 ? x + ".size(" + std::to_string(i) + ")" : std::to_string((*shape)[i]));
      BindTensor(n, x + ".reshape(" + list + "])", QuantOf(n.inputs[0]));
      return Status::OK();
    }
    std::optional<std::string> dyn = HasInput(n, 1) ? IntListArg(n, 1) : std::nullopt;
    if (!dyn) return Unsupported(n, "a shape computed from tensor values");
    Helper(kReshapeHelper);
    BindTensor(n, "self._reshape(" + x + ", " + *dyn + ")", QuantOf(n.inputs[0]));
    return Status::OK();
  }

  Status Transpose(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    if (!n.Attr("perm")) return Unsupported(n, "no perm attribute");
    BindTensor(n, "torch.permute(" + x + ", " + List(AttrInts(n, "perm")) + ")", QuantOf(n.inputs[0]));
    return Status::OK();
  }

  // Axes from the attribute (before opset 13) or the second input.
  Result<std::optional<Ints>> Axes(const OnnxNode& n) {
    if (n.Attr("axes")) return std::optional(AttrInts(n, "axes"));
    if (!HasInput(n, 1)) return std::optional<Ints>();
    std::optional<Ints> axes = ConstInts(n, 1);
    if (!axes) return Unsupported(n, "non-constant axes");
    return axes;
  }

  Status Squeeze(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    VERGER_ASSIGN_OR_RETURN(std::optional<Ints> axes, Axes(n));
    if (!axes) {
      BindTensor(n, "torch.squeeze(" + x + ")", QuantOf(n.inputs[0]));
      return Status::OK();
    }
    Ints a = *axes;
    const bool negative = std::all_of(a.begin(), a.end(), [](int64_t v) { return v < 0; });
    if (!negative && !std::all_of(a.begin(), a.end(), [](int64_t v) { return v >= 0; }))
      return Unsupported(n, "axes of mixed signs");
    // Later removals must not shift earlier ones: descending for >= 0, ascending for < 0.
    std::sort(a.begin(), a.end());
    if (!negative) std::reverse(a.begin(), a.end());
    std::string e = x;
    for (int64_t v : a) e = "torch.squeeze(" + e + ", " + std::to_string(v) + ")";
    BindTensor(n, e, QuantOf(n.inputs[0]));
    return Status::OK();
  }

  Status Unsqueeze(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::optional<Ints> axes, Axes(n));
    if (!axes) return Unsupported(n, "no axes");
    Value* v = Find(n.inputs[0]);
    if (v && v->kind == Value::kInt && *axes == Ints{0}) {
      Bind(n, Value{Value::kIntList, Emit("[" + v->expr + "]"), std::nullopt});
      return Status::OK();
    }
    if (const OnnxTensor* c = ConstInput(n, 0); c && !v && c->dims.empty() && *axes == Ints{0}) {
      OnnxTensor t = *c;  // a scalar constant becomes a 1-element list
      t.dims = {1};
      consts_[n.outputs[0]] = std::move(t);
      return Status::OK();
    }
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    Ints a = *axes;
    if (a.size() > 1 && !std::all_of(a.begin(), a.end(), [](int64_t i) { return i >= 0; }))
      return Unsupported(n, "several negative axes");
    std::sort(a.begin(), a.end());  // ascending: each axis indexes the output
    std::string e = x;
    for (int64_t i : a) e = "torch.unsqueeze(" + e + ", " + std::to_string(i) + ")";
    BindTensor(n, e, QuantOf(n.inputs[0]));
    return Status::OK();
  }

  Status Pad(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    const std::string mode = AttrString(n, "mode", "constant");
    std::optional<Ints> pads;
    double value = 0;
    if (n.Attr("pads")) {
      pads = AttrInts(n, "pads");
      value = AttrFloat(n, "value", 0);
    } else {
      pads = ConstInts(n, 1);
      if (!pads) return Unsupported(n, "non-constant pads");
      if (HasInput(n, 2)) {
        auto v = ConstScalar(n, 2);
        if (!v) return Unsupported(n, "a non-constant pad value");
        value = *v;
      }
      if (HasInput(n, 3)) return Unsupported(n, "an axes input");
    }
    const size_t rank = pads->size() / 2;
    Ints torch_pads;  // last dim first
    for (size_t i = rank; i-- > 0;) torch_pads.insert(torch_pads.end(), {(*pads)[i], (*pads)[i + rank]});
    if (mode == "constant") {
      BindTensor(n, "torch.constant_pad_nd(" + x + ", " + List(torch_pads) + ", " + Float(value) + ")");
      return Status::OK();
    }
    // reflect / edge pad the spatial dims only.
    if (rank < 3 || rank > 5 || (*pads)[0] || (*pads)[1] || (*pads)[rank] || (*pads)[rank + 1])
      return Unsupported(n, "mode " + mode + " on other than the spatial dims of a 3-d to 5-d tensor");
    torch_pads.resize(2 * (rank - 2));
    const std::string d = std::to_string(rank - 2) + "d(";
    if (mode == "reflect") BindTensor(n, "torch.reflection_pad" + d + x + ", " + List(torch_pads) + ")");
    else if (mode == "edge") BindTensor(n, "torch.replication_pad" + d + x + ", " + List(torch_pads) + ")");
    else return Unsupported(n, "mode " + mode);
    return Status::OK();
  }

  Status Identity(const OnnxNode& n) {
    if (Value* v = Find(n.inputs[0])) {
      Bind(n, *v);
    } else if (const OnnxTensor* c = ConstInput(n, 0)) {
      consts_[n.outputs[0]] = *c;
    } else {
      return NotComputed(n, n.inputs[0]);
    }
    return Status::OK();
  }

  Status Cast(const OnnxNode& n) {
    const int64_t to = AttrInt(n, "to", 0);
    Value* v = Find(n.inputs[0]);
    if ((v && v->kind != Value::kTensor) || (!v && ConstInput(n, 0))) {
      if (to != kOnnxInt64 && to != kOnnxInt32) return Unsupported(n, "a cast of a shape to type " + std::to_string(to));
      return Identity(n);
    }
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    if (to == kOnnxFloat) BindTensor(n, x + ".float()");
    else if (to == kOnnxInt64) BindTensor(n, x + ".long()");
    else if (to == kOnnxInt32) BindTensor(n, x + ".int()");
    else return Unsupported(n, "a cast to type " + std::to_string(to));
    return Status::OK();
  }

  Status Constant(const OnnxNode& n) {
    OnnxTensor t;
    if (const OnnxAttribute* a = n.Attr("value")) {
      if (!a->t) return Unsupported(n, "value tensor: " + a->t_error);
      t = *a->t;
    } else if (const OnnxAttribute* a = n.Attr("value_float")) {
      t = FloatTensor({}, {a->f});
    } else if (const OnnxAttribute* a = n.Attr("value_floats")) {
      t = FloatTensor({int64_t(a->floats.size())}, a->floats);
    } else if (const OnnxAttribute* a = n.Attr("value_int")) {
      t = IntTensor({}, {a->i});
    } else if (const OnnxAttribute* a = n.Attr("value_ints")) {
      t = IntTensor({int64_t(a->ints.size())}, a->ints);
    } else {
      return Unsupported(n, "a value other than a tensor, float(s) or int(s)");
    }
    consts_[n.outputs[0]] = std::move(t);
    return Status::OK();
  }

  Status Shape(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, RawArg(n, 0));
    std::string e = x + ".size()";
    if (n.Attr("start") || n.Attr("end")) {
      e += "[" + std::to_string(AttrInt(n, "start", 0)) + ":" + (n.Attr("end") ? std::to_string(AttrInt(n, "end", 0)) : "") + "]";
    }
    Bind(n, Value{Value::kIntList, Emit(e), std::nullopt});
    return Status::OK();
  }

  Status Gather(const OnnxNode& n) {
    const int64_t axis = AttrInt(n, "axis", 0);
    const OnnxTensor* idx = ConstInput(n, 1);
    if (idx == nullptr || !IsIntType(idx->data_type) || idx->dims.size() > 1) return Unsupported(n, "non-constant or multi-dimensional indices");
    Ints ix = idx->AsInts();
    Value* v = Find(n.inputs[0]);
    if (v && v->kind == Value::kIntList) {
      if (idx->dims.empty()) {
        Bind(n, Value{Value::kInt, Emit(v->expr + "[" + std::to_string(ix[0]) + "]"), std::nullopt});
      } else {
        std::string e = "[";
        for (size_t i = 0; i < ix.size(); ++i) e += (i ? ", " : "") + v->expr + "[" + std::to_string(ix[i]) + "]";
        Bind(n, Value{Value::kIntList, Emit(e + "]"), std::nullopt});
      }
      return Status::OK();
    }
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    if (idx->dims.empty()) {
      BindTensor(n, "torch.select(" + x + ", " + std::to_string(axis) + ", " + std::to_string(ix[0]) + ")");
    } else {
      BindTensor(n, "torch.index_select(" + x + ", " + std::to_string(axis) + ", " + NewParam(IntTensor(idx->dims, ix)) + ")");
    }
    return Status::OK();
  }

  Status QuantizeLinear(const OnnxNode& n) {
    VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));
    VERGER_ASSIGN_OR_RETURN(QuantParams q, Quant(n, 1, 2));
    BindTensor(n, Requantize("torch.div(" + x + ", " + Float(q.scale) + ")", ScalarMultiplier(1.0f), q), q);
    return Status::OK();
  }

  Status DequantizeLinear(const OnnxNode& n) {
    if (Value* v = Find(n.inputs[0]); v && v->quant) {
      VERGER_ASSIGN_OR_RETURN(std::string x, TensorArg(n, 0));  // levels times scale
      BindTensor(n, x);
      return Status::OK();
    }
    if (const OnnxTensor* c = ConstInput(n, 0)) {
      VERGER_ASSIGN_OR_RETURN(OnnxTensor f, Dequantize(n, *c, ConstInput(n, 1), ConstInput(n, 2), AttrInt(n, "axis", 1)));
      consts_[n.outputs[0]] = std::move(f);
      return Status::OK();
    }
    return Unsupported(n, "dequantizing a tensor that no QuantizeLinear or QLinear op produced");
  }

  OnnxGraphInfo& g_;
  const OnnxScriptOptions& o_;
  std::map<std::string, OnnxTensor> consts_;
  std::map<std::string, Value> values_;
  std::map<std::string, std::string> param_of_;
  std::vector<OnnxTensor> params_;
  std::vector<const char*> helpers_;
  std::string body_;
  int next_var_ = 0, synthetic_ = 0;
};

}  // namespace

std::string SupportedOnnxOps() {
  std::string s;
  for (const char* op : kOps) s += (s.empty() ? "" : ", ") + std::string(op);
  return s;
}

Result<TorchScriptGraph> OnnxToTorchScript(OnnxGraphInfo& graph, const OnnxScriptOptions& options) {
  return Translator(graph, options).Run();
}

}  // namespace verger
