// Pillow 9.4 resize, re-implemented from the algorithm in libImaging
// Resample.c (BILINEAR) and Geometry.c (NEAREST). The floating-point
// expressions keep Pillow's operand order and types (float box, double
// maths) and this file is built with -ffp-contract=off, so every coefficient
// rounds exactly as in Pillow's build.
#include "image/resize.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace verger {

namespace {

// 8 bits of output, 2 bits of headroom (Pillow's PRECISION_BITS).
constexpr int kPrecisionBits = 32 - 8 - 2;

// Normalised fixed-point filter taps for one axis: output index i reads
// bounds[2i + 1] source samples starting at bounds[2i], weighted by
// taps[i * ksize ...].
struct AxisCoeffs {
  int in_size = 0;
  int out_size = 0;
  int ksize = 0;
  std::vector<int> bounds;
  std::vector<int32_t> taps;
};

double BilinearFilter(double x) {
  if (x < 0.0) x = -x;
  if (x < 1.0) return 1.0 - x;
  return 0.0;
}

// Pillow's precompute_coeffs + normalize_coeffs_8bpc for the whole source
// range, box (0, in_size).
std::shared_ptr<const AxisCoeffs> ComputeBilinearCoeffs(int in_size, int out_size) {
  auto c = std::make_shared<AxisCoeffs>();
  const float in0 = 0.0f;
  const float in1 = static_cast<float>(in_size);
  const double support_1 = 1.0;  // bilinear support

  double filterscale = static_cast<double>(in1 - in0) / out_size;
  const double scale = filterscale;
  if (filterscale < 1.0) filterscale = 1.0;
  const double support = support_1 * filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;

  c->in_size = in_size;
  c->out_size = out_size;
  c->ksize = ksize;
  c->bounds.resize(static_cast<size_t>(out_size) * 2);
  c->taps.assign(static_cast<size_t>(out_size) * ksize, 0);
  std::vector<double> k(ksize);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    double ww = 0.0;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    for (int x = 0; x < xmax; ++x) {
      const double w = BilinearFilter((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    int32_t* out = &c->taps[static_cast<size_t>(xx) * ksize];
    for (int x = 0; x < xmax; ++x) {
      out[x] = k[x] < 0 ? static_cast<int32_t>(-0.5 + k[x] * (1 << kPrecisionBits))
                        : static_cast<int32_t>(0.5 + k[x] * (1 << kPrecisionBits));
    }
    c->bounds[xx * 2] = xmin;
    c->bounds[xx * 2 + 1] = xmax;
  }
  return c;
}

// A few recent (in, out) pairs per thread: a pipeline resizes many images of
// one or a handful of sizes to one target size.
std::shared_ptr<const AxisCoeffs> BilinearCoeffs(int in_size, int out_size) {
  constexpr int kSlots = 8;
  thread_local std::array<std::shared_ptr<const AxisCoeffs>, kSlots> cache;
  thread_local int next_slot = 0;
  for (const auto& c : cache) {
    if (c && c->in_size == in_size && c->out_size == out_size) return c;
  }
  auto c = ComputeBilinearCoeffs(in_size, out_size);
  cache[next_slot] = c;
  next_slot = (next_slot + 1) % kSlots;
  return c;
}

inline uint8_t Clip8(uint32_t acc) {
  // Pillow: clip8_lookups[acc >> PRECISION_BITS], an arithmetic shift of an int.
  const int32_t v = static_cast<int32_t>(acc) >> kPrecisionBits;
  return static_cast<uint8_t>(v < 0 ? 0 : v > 255 ? 255 : v);
}

// One output row of the horizontal pass. `in` must be readable for
// xmin + K pixels for every output pixel: taps past xmax are zero, so a
// fixed trip count K (unrolled by the compiler) gives the same sums.
template <int K>
void HorizontalRowFixed(const uint8_t* in, const AxisCoeffs& c, uint8_t* out) {
  constexpr uint32_t kHalf = 1u << (kPrecisionBits - 1);
  for (int xx = 0; xx < c.out_size; ++xx) {
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    const uint8_t* p = in + static_cast<size_t>(c.bounds[xx * 2]) * 3;
    uint32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
    for (int x = 0; x < K; ++x) {
      const uint32_t w = static_cast<uint32_t>(k[x]);
      s0 += p[x * 3] * w;
      s1 += p[x * 3 + 1] * w;
      s2 += p[x * 3 + 2] * w;
    }
    out[xx * 3] = Clip8(s0);
    out[xx * 3 + 1] = Clip8(s1);
    out[xx * 3 + 2] = Clip8(s2);
  }
}

void HorizontalRowGeneric(const uint8_t* in, const AxisCoeffs& c, uint8_t* out) {
  constexpr uint32_t kHalf = 1u << (kPrecisionBits - 1);
  for (int xx = 0; xx < c.out_size; ++xx) {
    const int xmax = c.bounds[xx * 2 + 1];
    const int32_t* k = &c.taps[static_cast<size_t>(xx) * c.ksize];
    const uint8_t* p = in + static_cast<size_t>(c.bounds[xx * 2]) * 3;
    uint32_t s0 = kHalf, s1 = kHalf, s2 = kHalf;
    for (int x = 0; x < xmax; ++x, p += 3) {
      const uint32_t w = static_cast<uint32_t>(k[x]);
      s0 += p[0] * w;
      s1 += p[1] * w;
      s2 += p[2] * w;
    }
    out[xx * 3] = Clip8(s0);
    out[xx * 3 + 1] = Clip8(s1);
    out[xx * 3 + 2] = Clip8(s2);
  }
}

// Horizontal pass over source rows [row0, row0 + rows). Accumulates in
// uint32 (wrap-around, where Pillow's int would overflow identically).
void ResampleHorizontal(const uint8_t* src, int src_w, int row0, int rows, const AxisCoeffs& c, uint8_t* dst) {
  const size_t src_stride = static_cast<size_t>(src_w) * 3;
  const size_t dst_stride = static_cast<size_t>(c.out_size) * 3;
  // Small kernels (upscaling and mild shrinking) run unrolled over a copy of
  // the row padded with ksize zero pixels.
  using RowFn = void (*)(const uint8_t*, const AxisCoeffs&, uint8_t*);
  RowFn fixed = c.ksize == 3 ? HorizontalRowFixed<3> : c.ksize == 5 ? HorizontalRowFixed<5> : nullptr;
  thread_local std::vector<uint8_t> padded;
  if (fixed) padded.assign(src_stride + static_cast<size_t>(c.ksize) * 3, 0);
  for (int y = 0; y < rows; ++y) {
    const uint8_t* in = src + static_cast<size_t>(row0 + y) * src_stride;
    uint8_t* out = dst + static_cast<size_t>(y) * dst_stride;
    if (fixed) {
      std::memcpy(padded.data(), in, src_stride);
      fixed(padded.data(), c, out);
    } else {
      HorizontalRowGeneric(in, c, out);
    }
  }
}

// Vertical pass; `bounds` index rows of `src`, which starts at source row
// `row_offset` of the logical image. Row-at-a-time accumulation so the inner
// loop is a contiguous multiply-add the compiler vectorises; integer sums do
// not depend on the order of the taps.
void ResampleVertical(const uint8_t* src, int width, int row_offset, const AxisCoeffs& c, uint8_t* dst) {
  const size_t n = static_cast<size_t>(width) * 3;
  constexpr uint32_t kHalf = 1u << (kPrecisionBits - 1);
  thread_local std::vector<uint32_t> acc;
  acc.resize(n);
  for (int yy = 0; yy < c.out_size; ++yy) {
    const int ymin = c.bounds[yy * 2] - row_offset;
    const int ymax = c.bounds[yy * 2 + 1];
    const int32_t* k = &c.taps[static_cast<size_t>(yy) * c.ksize];
    uint32_t* a = acc.data();
    for (size_t i = 0; i < n; ++i) a[i] = kHalf;
    for (int y = 0; y < ymax; ++y) {
      const uint8_t* in = src + static_cast<size_t>(ymin + y) * n;
      const uint32_t w = static_cast<uint32_t>(k[y]);
      for (size_t i = 0; i < n; ++i) a[i] += in[i] * w;
    }
    uint8_t* out = dst + static_cast<size_t>(yy) * n;
    for (size_t i = 0; i < n; ++i) out[i] = Clip8(a[i]);
  }
}

RgbImage ResizeBilinear(const RgbImage& src, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  out.pixels.resize(static_cast<size_t>(width) * height * 3);
  const bool need_h = width != src.width;
  const bool need_v = height != src.height;
  auto hc = need_h ? BilinearCoeffs(src.width, width) : nullptr;
  auto vc = need_v ? BilinearCoeffs(src.height, height) : nullptr;
  if (!need_v) {
    ResampleHorizontal(src.pixels.data(), src.width, 0, src.height, *hc, out.pixels.data());
    return out;
  }
  if (!need_h) {
    ResampleVertical(src.pixels.data(), width, 0, *vc, out.pixels.data());
    return out;
  }
  // Horizontal pass only over the source rows the vertical pass reads.
  const int first = vc->bounds[0];
  const int last = vc->bounds[(height - 1) * 2] + vc->bounds[(height - 1) * 2 + 1];
  thread_local std::vector<uint8_t> tmp;
  tmp.resize(static_cast<size_t>(width) * (last - first) * 3);
  ResampleHorizontal(src.pixels.data(), src.width, first, last - first, *hc, tmp.data());
  ResampleVertical(tmp.data(), width, first, *vc, out.pixels.data());
  return out;
}

// Pillow's COORD(): truncation toward zero, but -1 for any negative value.
inline int Coord(double v) { return v < 0.0 ? -1 : static_cast<int>(v); }

RgbImage ResizeNearest(const RgbImage& src, int width, int height) {
  RgbImage out;
  out.width = width;
  out.height = height;
  // Pixels that map outside the source stay 0 (Pillow's fill=1).
  out.pixels.assign(static_cast<size_t>(width) * height * 3, 0);
  // _imaging.c _resize: box is float[4] = (0, 0, in_w, in_h).
  const float box[4] = {0.0f, 0.0f, static_cast<float>(src.width), static_cast<float>(src.height)};
  const double a0 = static_cast<double>(box[2] - box[0]) / width;
  const double a4 = static_cast<double>(box[3] - box[1]) / height;
  const double a2 = box[0];
  const double a5 = box[1];

  std::vector<int> xintab(width, 0);
  int xmin = width, xmax = 0;
  double xo = a2 + a0 * 0.5;
  for (int x = 0; x < width; ++x) {
    const int xin = Coord(xo);
    if (xin >= 0 && xin < src.width) {
      xmax = x + 1;
      if (x < xmin) xmin = x;
      xintab[x] = xin;
    }
    xo += a0;
  }
  const size_t src_stride = static_cast<size_t>(src.width) * 3;
  const size_t dst_stride = static_cast<size_t>(width) * 3;
  double yo = a5 + a4 * 0.5;
  int prev_yi = -1;
  const uint8_t* prev_row = nullptr;
  for (int y = 0; y < height; ++y) {
    const int yi = Coord(yo);
    uint8_t* o = out.pixels.data() + static_cast<size_t>(y) * dst_stride;
    if (yi >= 0 && yi < src.height) {
      if (yi == prev_yi) {
        std::memcpy(o, prev_row, dst_stride);  // upscaling repeats whole rows
      } else {
        const uint8_t* in = src.pixels.data() + static_cast<size_t>(yi) * src_stride;
        for (int x = xmin; x < xmax; ++x) std::memcpy(o + x * 3, in + static_cast<size_t>(xintab[x]) * 3, 3);
        prev_yi = yi;
        prev_row = o;
      }
    }
    yo += a4;
  }
  return out;
}

}  // namespace

RgbImage ResizeLikePillow(const RgbImage& src, int width, int height, ResizeFilter filter) {
  if (width <= 0 || height <= 0 || src.width <= 0 || src.height <= 0) return RgbImage{};
  if (width == src.width && height == src.height) return src;
  return filter == ResizeFilter::kNearest ? ResizeNearest(src, width, height) : ResizeBilinear(src, width, height);
}

}  // namespace verger
