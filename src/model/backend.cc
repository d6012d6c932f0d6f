#include "model/backend.h"

#include "model/backend_plugin.h"
#include "model/weights_kind.h"

namespace verger {
namespace {

// A library error's message without the "model NAME: " prefix every
// backend error starts with: the reason line names the model once.
std::string WithoutModelPrefix(const ModelSpec& spec, const Status& s) {
  const std::string prefix = "model " + spec.name + ": ";
  std::string m = s.message();
  return m.rfind(prefix, 0) == 0 ? m.substr(prefix.size()) : m;
}

Result<std::unique_ptr<InferenceBackend>> CreateOpenCv(const ModelSpec& spec, const BackendOptions& options) {
  if (spec.format != "onnx") {
    return Status::Unsupported("model " + spec.name + ": weights format '" + spec.format + "' needs backend torch");
  }
  if (spec.device != Device::kCpu || spec.precision != Precision::kFp32) {
    return Status::Unsupported("model " + spec.name + ": the opencv backend runs only device cpu, precision fp32 (got " +
                               std::string(Name(spec.device)) + ", " + std::string(Name(spec.precision)) +
                               "); use --backend torch");
  }
  auto backend = CreatePluginBackend("opencv", spec, options);
  if (backend.ok() || backend.status().code() != StatusCode::kCorrupt) return backend;
  // Weights that are none of the formats we know (a junk .pt, an empty
  // .h5) are more than "not a valid ONNX model": say what was tried.
  auto kind = SniffWeights(spec.weights);
  if (!kind.ok() || *kind != WeightsKind::kUnknown) return backend;
  return Status::InvalidArgument("model " + spec.name + ": weights " + spec.weights +
                                 " is in no format verger reads: tried TorchScript (.pt: no zip header), Keras "
                                 "HDF5 (.h5: no HDF5 signature) and ONNX (.onnx: does not parse as an ONNX model); "
                                 "give a file in one of these formats (docs/models.md)");
}

// What "auto: torch (...)" says about how LibTorch got the network.
std::string TorchRoute(WeightsKind kind) {
  switch (kind) {
    case WeightsKind::kTorchScript: return "TorchScript weights";
    case WeightsKind::kHdf5: return "Keras HDF5 converted";
    case WeightsKind::kOnnx: return "ONNX imported";
    case WeightsKind::kUnknown: break;
  }
  return "weights loaded";
}

Result<std::unique_ptr<InferenceBackend>> CreateAuto(const ModelSpec& spec, const BackendOptions& options) {
  VERGER_ASSIGN_OR_RETURN(WeightsKind kind, SniffWeights(spec.weights));
  // int8 graphs too: the torch import runs them as exact integer levels with
  // OpenCV DNN's arithmetic (the same features, bit for bit) and measured
  // 1.5x OpenCV's int8 kernels on an AVX2 CPU (docs/models.md).
  ModelSpec as_torch = spec;
  as_torch.backend = BackendKind::kTorch;
  auto torch = CreatePluginBackend("torch", as_torch, options);
  if (torch.ok()) {
    (*torch)->set_choice("auto: torch (" + TorchRoute(kind) + ")");
    return torch;
  }
  // Only "torch cannot do this" falls back; a broken file or a spec that
  // does not fit the graph would fail on OpenCV too, less clearly.
  const bool onnx = spec.format == "onnx" && kind != WeightsKind::kTorchScript && kind != WeightsKind::kHdf5;
  if (torch.status().code() != StatusCode::kUnsupported || !onnx) return torch.status();
  const std::string why_not_torch = WithoutModelPrefix(spec, torch.status());
  if (spec.device != Device::kCpu || spec.precision != Precision::kFp32) {
    return Status::Unsupported("model " + spec.name + ": backend auto: torch cannot run it (" + why_not_torch +
                               "), and OpenCV DNN runs only device cpu, precision fp32 (got " +
                               std::string(Name(spec.device)) + ", " + std::string(Name(spec.precision)) + ")");
  }
  ModelSpec as_opencv = spec;
  as_opencv.backend = BackendKind::kOpenCv;
  auto opencv = CreateOpenCv(as_opencv, options);
  if (!opencv.ok()) return opencv.status().WithContext("backend auto (torch first: " + why_not_torch + "), then opencv");
  (*opencv)->set_choice("auto: opencv, because torch: " + why_not_torch);
  return opencv;
}

}  // namespace

BackendKind EffectiveBackend(const ModelSpec& spec) {
  if (spec.backend != BackendKind::kOpenCv) return spec.backend;
  auto kind = SniffWeights(spec.weights);
  if (kind.ok() && (*kind == WeightsKind::kTorchScript || *kind == WeightsKind::kHdf5)) return BackendKind::kTorch;
  return spec.backend;
}

static BackendFactory& TestFactory() {
  static BackendFactory* factory = new BackendFactory();
  return *factory;
}

void SetBackendFactoryForTesting(BackendFactory factory) { TestFactory() = std::move(factory); }

Result<std::unique_ptr<InferenceBackend>> CreateBackend(const ModelSpec& spec, const BackendOptions& options) {
  if (TestFactory()) {
    auto made = TestFactory()(spec, options);
    if (made.ok()) (*made)->set_choice("test backend");
    return made;
  }
  if (spec.backend == BackendKind::kAuto) return CreateAuto(spec, options);
  auto created = spec.backend == BackendKind::kTorch ? CreatePluginBackend("torch", spec, options)
                                                     : CreateOpenCv(spec, options);
  if (created.ok()) (*created)->set_choice(std::string(Name(spec.backend)) + " (requested)");
  return created;
}

}  // namespace verger
