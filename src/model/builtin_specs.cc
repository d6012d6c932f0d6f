#include "model/builtin_specs.h"

#include "model/data_dir.h"

namespace verger {
namespace {

// MobileNetV2 1.0 (ONNX Model Zoo, int8). "627" is the DequantizeLinear
// output of the last 1x1 conv (1280x7x7), the classic embedding before
// the classifier's global average pool.
ModelSpec MobileNetV2() {
  ModelSpec s;
  s.name = "mobilenetv2";
  s.weights = "mobilenetv2-12-int8.onnx";
  s.input_name = "input";
  s.color_order = ColorOrder::kRgb;
  s.normalization = Normalization::kTorch;
  s.resize_filter = ResizeFilter::kBilinear;
  s.feature_tensor = "627";
  s.pooling = Pooling::kAvg;
  s.feature_dim = 1280;
  return s;
}

// SqueezeNet 1.1 (Caffe2 zoo). The ONNX graph names the last fire module's
// concat output "fire9/concat_1" (512x13x13); "fire9/concat" in the
// README is the Caffe blob name it was converted from.
ModelSpec SqueezeNet() {
  ModelSpec s;
  s.name = "squeezenet";
  s.weights = "squeezenet1.1-fp32.onnx";
  s.input_name = "data_0";
  s.color_order = ColorOrder::kBgr;
  s.normalization = Normalization::kCaffe;
  s.resize_filter = ResizeFilter::kBilinear;
  s.feature_tensor = "fire9/concat_1";
  s.pooling = Pooling::kAvg;
  s.feature_dim = 512;
  return s;
}

// Keras VGG16 exported to ONNX and cut at fc2 (docs/models.md); weights are
// never shipped. Keras' load_img resizes with NEAREST by default.
ModelSpec Vgg16() {
  ModelSpec s;
  s.name = "vgg16";
  s.weights = "";
  s.input_name = "input_1";
  s.color_order = ColorOrder::kBgr;
  s.normalization = Normalization::kCaffe;
  s.resize_filter = ResizeFilter::kNearest;
  s.feature_tensor = "fc2";
  s.pooling = Pooling::kNone;
  s.feature_dim = 4096;
  return s;
}

}  // namespace

std::optional<ModelSpec> BuiltinSpec(const std::string& name) {
  if (name == "mobilenetv2") return MobileNetV2();
  if (name == "squeezenet") return SqueezeNet();
  if (name == "vgg16") return Vgg16();
  return std::nullopt;
}

std::vector<std::string> BuiltinModelNames() { return {"mobilenetv2", "squeezenet", "vgg16"}; }

std::string ModelsDir() { return DataDir("VERGER_MODELS_DIR", "models", VERGER_DEFAULT_MODELS_DIR); }

}  // namespace verger
