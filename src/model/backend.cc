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
    return CreatePluginBackend("opencv", spec, options);
  }
  return Status::Unsupported("model " + spec.name + ": unknown backend '" + spec.backend + "' (opencv or torch)");
}

}  // namespace verger
