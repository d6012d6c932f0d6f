// verger::requantize_ and verger::requantize_dw_ (torch_requantize_ops.cc)
// against the ATen calls the importer emitted before them (mul_, round_,
// clamp_, and OpenCV's depthwise tie rule written with where/floor/sign), bit
// for bit, signed zeros included, in every memory layout they walk.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <ATen/core/dispatch/Dispatcher.h>

#include "model/torch_requantize_ops.h"

namespace verger {
namespace {

at::Tensor& CallRequantize(at::Tensor& x, const at::Tensor& m, double lo, double hi) {
  RegisterRequantizeOps();
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("verger::requantize_", "")
                       .typed<at::Tensor&(at::Tensor&, const at::Tensor&, double, double)>();
  return op.call(x, m, lo, hi);
}

at::Tensor& CallRequantizeDw(at::Tensor& x, const at::Tensor& m, double lo, double hi, int64_t col_lo, int64_t col_hi) {
  RegisterRequantizeOps();
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("verger::requantize_dw_", "")
                       .typed<at::Tensor&(at::Tensor&, const at::Tensor&, double, double, int64_t, int64_t)>();
  return op.call(x, m, lo, hi, col_lo, col_hi);
}

// Broadcasts one multiplier per channel (dim 1), or one for all.
std::vector<int64_t> MultiplierShape(const at::Tensor& x, const at::Tensor& m) {
  std::vector<int64_t> shape(x.dim(), 1);
  if (m.numel() > 1) shape[1] = m.numel();
  return shape;
}

at::Tensor Reference(const at::Tensor& x, const at::Tensor& m, double lo, double hi) {
  return x.clone().mul_(m.view(MultiplierShape(x, m))).round_().clamp_(lo, hi);
}

at::Tensor ReferenceDw(const at::Tensor& x, const at::Tensor& m, double lo, double hi, int64_t col_lo, int64_t col_hi) {
  const at::Tensor p = x.clone().mul_(m.view(MultiplierShape(x, m)));
  const at::Tensor col = torch::arange(x.size(-1));
  const at::Tensor away = torch::logical_and(torch::eq(p - torch::floor(p), 0.5),
                                             torch::logical_or(torch::lt(col, col_lo), torch::ge(col, col_hi)));
  return torch::where(away, torch::add(p, torch::sign(p), 0.5), torch::round(p)).clamp_(lo, hi);
}

// Integer levels as convolution sums give them, and halfway products: every
// multiplier is a power of two over a small odd number, so ties are common.
at::Tensor Levels(std::vector<int64_t> shape) {
  torch::manual_seed(11);
  return torch::randint(-3000, 3000, shape).to(torch::kFloat);
}

at::Tensor Multipliers(int64_t channels) {
  std::vector<float> m;
  for (int64_t c = 0; c < channels; ++c) m.push_back(c % 3 == 0 ? 0.5f : c % 3 == 1 ? 0.25f : 1.0f / 3.0f);
  return torch::tensor(m);
}

void ExpectSameBits(const at::Tensor& got, const at::Tensor& want) {
  ASSERT_EQ(got.sizes(), want.sizes());
  EXPECT_TRUE(torch::equal(got.contiguous().view(torch::kInt32), want.contiguous().view(torch::kInt32)))
      << "values differ: max |diff| " << (got - want).abs().max().item<float>();
}

TEST(TorchRequantizeOps, MatchesAtenInEveryLayout) {
  const at::Tensor m = Multipliers(6);
  const at::Tensor base = Levels({3, 6, 5, 7});
  for (auto [lo, hi] : {std::pair<double, double>{0, 255}, {-128, 127}, {-3, 4}}) {
    std::vector<std::pair<std::string, at::Tensor>> layouts = {
        {"nchw", base.clone()},
        {"channels-last", base.contiguous(at::MemoryFormat::ChannelsLast)},
        {"strided", base.transpose(2, 3).clone().transpose(2, 3)},  // neither: through a copy
    };
    for (auto& [name, x] : layouts) {
      SCOPED_TRACE(name + " [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
      at::Tensor want = Reference(x, m, lo, hi);
      at::Tensor& got = CallRequantize(x, m, lo, hi);
      EXPECT_EQ(got.data_ptr(), x.data_ptr()) << "in place";
      ExpectSameBits(got, want);
    }
  }
}

TEST(TorchRequantizeOps, OneMultiplierAndRankTwo) {
  at::Tensor x = Levels({4, 9});
  const at::Tensor one = torch::tensor({0.125f});
  ExpectSameBits(CallRequantize(x, one, -20, 20), Reference(Levels({4, 9}), one, -20, 20));
  at::Tensor y = Levels({4, 9});
  const at::Tensor per_column = Multipliers(9);
  ExpectSameBits(CallRequantize(y, per_column, 0, 255), Reference(Levels({4, 9}), per_column, 0, 255));
}

TEST(TorchRequantizeOps, NegativeZeroClampsAsAten) {
  // round(-0.25) is -0.0, and ATen's clamp keeps it, at 0 as below.
  for (double lo : {0.0, -1.0}) {
    at::Tensor x = torch::full({1, 2, 1, 3}, -1.0f);
    const at::Tensor m = torch::tensor({0.25f, 0.25f});
    at::Tensor want = Reference(x, m, lo, 10);
    ExpectSameBits(CallRequantize(x, m, lo, 10), want);
  }
}

TEST(TorchRequantizeOps, DepthwiseTiesRoundAwayOutsideTheColumnRange) {
  const at::Tensor m = Multipliers(5);
  const at::Tensor base = Levels({2, 5, 4, 40});
  for (auto [col_lo, col_hi] : {std::pair<int64_t, int64_t>{1, 33}, {0, 40}, {0, 0}, {40, 40}}) {
    for (bool channels_last : {false, true}) {
      SCOPED_TRACE("columns [" + std::to_string(col_lo) + ", " + std::to_string(col_hi) + ") " +
                   (channels_last ? "channels-last" : "nchw"));
      at::Tensor x = channels_last ? base.contiguous(at::MemoryFormat::ChannelsLast) : base.clone();
      at::Tensor want = ReferenceDw(x, m, 0, 255, col_lo, col_hi);
      ExpectSameBits(CallRequantizeDw(x, m, 0, 255, col_lo, col_hi), want);
    }
  }
  // The rule matters: ties in the away columns differ from ties to even.
  at::Tensor x = base.clone();
  at::Tensor away = CallRequantizeDw(x, m, -10000, 10000, 20, 20);
  at::Tensor even = Reference(base, m, -10000, 10000);
  EXPECT_FALSE(torch::equal(away, even));
}

TEST(TorchRequantizeOps, WrongMultiplierCountIsAnError) {
  at::Tensor x = Levels({1, 4, 2, 2});
  EXPECT_THROW(CallRequantize(x, Multipliers(3), 0, 255), c10::Error);
}

}  // namespace
}  // namespace verger
