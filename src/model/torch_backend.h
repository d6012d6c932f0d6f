// LibTorch implementation of InferenceBackend (spec.backend == "torch").
// Internal to the model library: callers use CreateBackend().
//
// Loads a TorchScript module (or converts Keras VGG16 weights, see
// torch_convert.h), freezes it and, on the CPU, runs
// optimize_for_inference (oneDNN convolutions, folded batch norms). The
// module's forward(N x 3 x H x W float) output is the feature tensor:
// spec.input_name and spec.feature_tensor are not used to pick tensors.
// spec.device "cuda" is an Unsupported error naming the spec when this
// LibTorch has no CUDA or no GPU is visible. spec.precision "bf16" casts
// weights and inputs to bfloat16 (outputs are returned as float32).
// spec.precision "int8" needs an already-quantized module (checked at load:
// InvalidArgument otherwise, and for a quantized module under another
// precision) and selects LibTorch's process-wide oneDNN quantized engine.
// LibTorch's intra-op thread count is process-wide (at::set_num_threads).
#pragma once

#include <memory>

#include "model/backend.h"

namespace verger {

Result<std::unique_ptr<InferenceBackend>> CreateTorchBackend(const ModelSpec& spec, const BackendOptions& options);

}  // namespace verger
