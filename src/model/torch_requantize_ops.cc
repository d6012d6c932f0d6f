// verger::requantize_ and verger::requantize_dw_: the requantization step of
// an int8 ONNX graph imported into LibTorch (onnx_script.cc), in one pass
// over the tensor. Written as three ATen calls (mul_, round_, clamp_), plus
// about ten for OpenCV's depthwise tie rule, each is a pass over every
// activation of the network, and LibTorch 1.13 without its LLVM fuser cannot
// merge them: those passes took more time than the convolutions.
//
// The arithmetic is the ATen calls' own, bit for bit: a float32 product, then
// round half to even (or, in requantize_dw_'s away columns, halfway values
// away from zero), then ATen's clamp (max then min, keeping a value equal to
// the bound, so -0.0 clamped at 0 stays -0.0). This file is compiled
// with -ffp-contract=off: a fused multiply-add would skip the product's
// rounding.
#include "model/torch_requantize_ops.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>
#include <torch/torch.h>

#include <cmath>
#include <mutex>

namespace verger {
namespace int8_ops {

// ATen's clamp_ (vec::clamp, _mm256_max_ps(lo, v) then _mm256_min_ps(hi, .)):
// a value equal to a bound is kept, so -0.0 clamped at 0 stays -0.0.
inline float ClampLikeAten(float v, float lo, float hi) {
  const float m = v < lo ? lo : v;
  return m > hi ? hi : m;
}

inline float RoundHalfEven(float v) { return std::nearbyint(v); }  // the default rounding mode, as round_()

inline float RoundHalfAway(float v) {
  return v - std::floor(v) == 0.5f ? v + std::copysign(0.5f, v) : std::nearbyint(v);
}

// The multiplier per channel (dim 1), or one for all.
const float* Multipliers(const at::Tensor& self, const at::Tensor& m, int64_t* count) {
  TORCH_CHECK(self.scalar_type() == at::kFloat && m.scalar_type() == at::kFloat && m.is_contiguous(),
              "verger requantize: float32 tensors expected");
  *count = m.numel();
  TORCH_CHECK(*count == 1 || (self.dim() >= 2 && *count == self.size(1)),
              "verger requantize: ", *count, " multipliers for a tensor of ", self.dim() >= 2 ? self.size(1) : 1,
              " channels");
  return m.data_ptr<float>();
}

// Calls visit(value pointer, channel, column) for every element, walking the
// tensor in memory order when it is contiguous or channels-last, else through
// a contiguous copy written back.
template <typename Visit>
void ForEach(at::Tensor& self, Visit&& visit) {
  const int64_t n = self.dim() >= 1 ? self.size(0) : 1, c = self.dim() >= 2 ? self.size(1) : 1;
  const int64_t w = self.dim() >= 3 ? self.size(self.dim() - 1) : 1;
  if (self.is_contiguous()) {
    const int64_t inner = c == 0 || n == 0 ? 0 : self.numel() / (n * c);
    float* p = self.data_ptr<float>();
    at::parallel_for(0, n * c, 1, [&](int64_t begin, int64_t end) {
      for (int64_t nc = begin; nc < end; ++nc) {
        float* row = p + nc * inner;
        const int64_t ch = nc % c;
        for (int64_t i = 0; i < inner; ++i) visit(row + i, ch, self.dim() >= 3 ? i % w : 0);
      }
    });
  } else if (self.dim() == 4 && self.is_contiguous(at::MemoryFormat::ChannelsLast)) {
    float* p = self.data_ptr<float>();
    const int64_t pixels = n * self.size(2) * w;
    at::parallel_for(0, pixels, 64, [&](int64_t begin, int64_t end) {
      for (int64_t px = begin; px < end; ++px) {
        float* pixel = p + px * c;
        const int64_t col = px % w;
        for (int64_t ch = 0; ch < c; ++ch) visit(pixel + ch, ch, col);
      }
    });
  } else {
    at::Tensor dense = self.contiguous();
    ForEach(dense, visit);
    self.copy_(dense);
  }
}

// clamp(round_half_even(self * multiplier), lo, hi), in place.
at::Tensor& Requantize(at::Tensor& self, const at::Tensor& multiplier, double lo, double hi) {
  int64_t count = 0;
  const float* m = Multipliers(self, multiplier, &count);
  const float l = static_cast<float>(lo), h = static_cast<float>(hi);
  if (count == 1 && self.is_non_overlapping_and_dense()) {  // one pass in memory order, vectorised
    float* p = self.data_ptr<float>();
    const float k = m[0];
    at::parallel_for(0, self.numel(), 4096, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) p[i] = ClampLikeAten(RoundHalfEven(p[i] * k), l, h);
    });
    return self;
  }
  const int64_t step = count == 1 ? 0 : 1;  // one multiplier, or one per channel
  ForEach(self, [&](float* v, int64_t ch, int64_t) { *v = ClampLikeAten(RoundHalfEven(*v * m[ch * step]), l, h); });
  return self;
}

// As Requantize, but halfway products in the columns outside [col_lo,
// col_hi) of the last dimension round away from zero: OpenCV 4.6's 3x3
// depthwise kernel (onnx_script.cc, RequantizeLikeOpenCvDepthwise).
at::Tensor& RequantizeDepthwise(at::Tensor& self, const at::Tensor& multiplier, double lo, double hi, int64_t col_lo,
                                int64_t col_hi) {
  int64_t count = 0;
  const float* m = Multipliers(self, multiplier, &count);
  const float l = static_cast<float>(lo), h = static_cast<float>(hi);
  const int64_t step = count == 1 ? 0 : 1;
  ForEach(self, [&](float* v, int64_t ch, int64_t col) {
    const float p = *v * m[ch * step];
    *v = ClampLikeAten(col < col_lo || col >= col_hi ? RoundHalfAway(p) : RoundHalfEven(p), l, h);
  });
  return self;
}

}  // namespace int8_ops

void RegisterRequantizeOps() {
  static std::once_flag once;
  std::call_once(once, [] {
    // A process can hold two copies of this code (a test binary linking the
    // backend's objects also loads the plugin): the first registers.
    if (c10::Dispatcher::singleton().findSchema({"verger::requantize_", ""}).has_value()) return;
    // Kept for the life of the process: destroying a Library deregisters its operators.
    static torch::Library* defs = nullptr;
    static torch::Library* cpu = nullptr;
    defs = new torch::Library(torch::Library::DEF, "verger", c10::nullopt, __FILE__, __LINE__);
    defs->def("requantize_(Tensor(a!) self, Tensor multiplier, float lo, float hi) -> Tensor(a!)");
    defs->def("requantize_dw_(Tensor(a!) self, Tensor multiplier, float lo, float hi, int col_lo, int col_hi) -> "
              "Tensor(a!)");
    cpu = new torch::Library(torch::Library::IMPL, "verger", c10::DispatchKey::CPU, __FILE__, __LINE__);
    cpu->impl("requantize_", int8_ops::Requantize);
    cpu->impl("requantize_dw_", int8_ops::RequantizeDepthwise);
  });
}

}  // namespace verger
