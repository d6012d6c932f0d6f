// Inference backends: run a network on preprocessed batches and return one
// pooled feature row per image.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/status.h"
#include "model/model_spec.h"

namespace verger {

struct BackendOptions {
  // Compute threads; 0 = all cores. OpenCV's thread count is process-wide:
  // the last backend created sets it for every OpenCV call in the process.
  int threads = 0;
};

// One network instance. Not thread-safe: one caller at a time (the engine
// creates one per process).
class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;

  // input: batch x 3 x H x W float32 (NCHW, already normalised, H and W from
  // the spec); output: batch x feature_dim() floats, row-major. Both are
  // owned by the caller and only used during the call. Errors name the spec.
  virtual Status Run(const float* input, int batch, float* output) = 0;

  virtual int64_t feature_dim() const = 0;

  // Human-readable engine and mode, e.g. "opencv-dnn 4.6.0 (CPU, 2 threads)".
  virtual std::string description() const = 0;
};

// The backend that can run `spec`: "torch" when its weights are TorchScript
// or Keras HDF5 (only LibTorch reads those), else spec.backend. Reads the
// first bytes of the weights file; an unreadable file keeps spec.backend.
std::string EffectiveBackend(const ModelSpec& spec);

// Loads the spec's weights with its backend (only "opencv" today) and
// verifies, with a dummy forward pass, that the feature tensor exists
// (NotFound listing valid tensor names otherwise), that the input name and
// size match the graph, and that pooling yields spec.feature_dim values
// (InvalidArgument naming the spec, tensor and actual shape otherwise).
Result<std::unique_ptr<InferenceBackend>> CreateBackend(const ModelSpec& spec, const BackendOptions& options);

}  // namespace verger
