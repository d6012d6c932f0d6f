#include "model/backend.h"

#include "model/backend_plugin.h"
#include "model/weights_kind.h"

namespace verger {

std::string EffectiveBackend(const ModelSpec& spec) {
  auto kind = SniffWeights(spec.weights);
  if (kind.ok() && (*kind == WeightsKind::kTorchScript || *kind == WeightsKind::kHdf5)) return "torch";
  return spec.backend;
}

Result<std::unique_ptr<InferenceBackend>> CreateBackend(const ModelSpec& spec, const BackendOptions& options) {
  if (spec.backend == "torch") return CreatePluginBackend("torch", spec, options);
  if (spec.format != "onnx") {
    return Status::Unsupported("model " + spec.name + ": weights format '" + spec.format + "' needs backend torch");
  }
  if (spec.backend == "opencv") {
    if (spec.device != "cpu" || spec.precision != "fp32") {
      return Status::Unsupported("model " + spec.name + ": the opencv backend runs only device cpu, precision fp32 (got " +
                                 spec.device + ", " + spec.precision + "); use --backend torch");
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
  return Status::Unsupported("model " + spec.name + ": unknown backend '" + spec.backend + "' (opencv or torch)");
}

}  // namespace verger
