#include "core/preprocess_types.h"

namespace verger {

Result<ResizeFilter> ParseResizeFilter(std::string_view s) {
  if (s == "nearest") return ResizeFilter::kNearest;
  if (s == "bilinear") return ResizeFilter::kBilinear;
  return Status::InvalidArgument("unknown resize filter '" + std::string(s) + "' (expected nearest or bilinear)");
}

Result<Normalization> ParseNormalization(std::string_view s) {
  if (s == "caffe") return Normalization::kCaffe;
  if (s == "torch") return Normalization::kTorch;
  if (s == "tf") return Normalization::kTf;
  if (s == "none") return Normalization::kNone;
  return Status::InvalidArgument("unknown normalization '" + std::string(s) +
                                 "' (expected caffe, torch, tf or none)");
}

Result<ColorOrder> ParseColorOrder(std::string_view s) {
  if (s == "rgb") return ColorOrder::kRgb;
  if (s == "bgr") return ColorOrder::kBgr;
  return Status::InvalidArgument("unknown colour order '" + std::string(s) + "' (expected rgb or bgr)");
}

std::string_view Name(ResizeFilter f) { return f == ResizeFilter::kNearest ? "nearest" : "bilinear"; }

std::string_view Name(Normalization n) {
  switch (n) {
    case Normalization::kCaffe: return "caffe";
    case Normalization::kTorch: return "torch";
    case Normalization::kTf: return "tf";
    case Normalization::kNone: return "none";
  }
  return "?";
}

std::string_view Name(ColorOrder c) { return c == ColorOrder::kRgb ? "rgb" : "bgr"; }

}  // namespace verger
