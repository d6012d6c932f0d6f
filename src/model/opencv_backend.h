// OpenCV DNN implementation of InferenceBackend. Internal to the model
// library: callers use CreateBackend().
#pragma once

#include <memory>

#include "model/backend.h"

namespace verger {

Result<std::unique_ptr<InferenceBackend>> CreateOpenCvBackend(const ModelSpec& spec, const BackendOptions& options);

}  // namespace verger
