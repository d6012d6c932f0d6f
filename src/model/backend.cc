#include "model/backend.h"

#include "model/opencv_backend.h"

namespace verger {

Result<std::unique_ptr<InferenceBackend>> CreateBackend(const ModelSpec& spec, const BackendOptions& options) {
  if (spec.format != "onnx") {
    return Status::Unsupported("model " + spec.name + ": weights format '" + spec.format + "' (only onnx)");
  }
  if (spec.backend == "opencv") return CreateOpenCvBackend(spec, options);
  return Status::Unsupported("model " + spec.name + ": unknown backend '" + spec.backend + "' (only opencv)");
}

}  // namespace verger
