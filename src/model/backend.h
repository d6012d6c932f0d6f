// Inference backends: run a network on preprocessed batches and return one
// pooled feature row per image.
#pragma once

#include <cstdint>
#include <functional>
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

// One network instance. Not thread-safe: one caller at a time (each
// Extractor and Featurizer owns one, loaded by LoadModel in
// engine/model_loader.h).
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

  // kOpenCv or kTorch, never kAuto: the backend that runs (what
  // ModelSpec::backend becomes once "auto" is resolved).
  virtual BackendKind id() const = 0;

  // Images per forward pass that run fastest on this backend, used when the
  // caller gives none (measured, docs/benchmarks.md): LibTorch gains from
  // batching, OpenCV DNN does not.
  virtual int default_batch() const = 0;

  // Why this backend runs, one line for summaries and manifests, e.g.
  // "auto: torch (ONNX imported)" or "auto: opencv, because torch: ONNX node
  // 'x' (op Foo) is not supported". Set by CreateBackend; LoadModel replaces
  // it when the weights, not the spec, decided the backend.
  const std::string& choice() const { return choice_; }
  void set_choice(std::string choice) { choice_ = std::move(choice); }

 private:
  std::string choice_;
};

// The backend to ask CreateBackend for when the user named none: kTorch
// when spec.backend is kOpenCv but the weights are TorchScript or Keras
// HDF5 (only LibTorch reads those), else spec.backend (kAuto stays kAuto:
// which backend runs an ONNX graph is only known once torch tried to import
// it). Reads the first bytes of the weights file; an unreadable file keeps
// spec.backend.
BackendKind EffectiveBackend(const ModelSpec& spec);

// Loads the spec's weights with spec.backend and verifies, with a dummy
// forward pass, that the feature tensor exists (NotFound listing valid
// tensor names otherwise), that the input name and size match the graph,
// and that pooling yields spec.feature_dim values (InvalidArgument naming
// the spec, tensor and actual shape otherwise).
// Backend "auto" tries torch first. If torch answers Unsupported (an
// operator it cannot import, weights it cannot read, no LibTorch) and the
// weights are ONNX, OpenCV DNN runs them instead, and choice() says why;
// any other torch error (a corrupt file, a shape that does not match the
// spec) is returned as it is.
Result<std::unique_ptr<InferenceBackend>> CreateBackend(const ModelSpec& spec, const BackendOptions& options);

// While set, CreateBackend returns what `factory` makes for every spec
// (choice() "test backend") instead of loading the weights; null restores
// the real backends. For tests only: the engine's unit tests run whole jobs
// on a small deterministic backend, with no model file or plugin. Not
// thread-safe: set it before any job starts.
using BackendFactory =
    std::function<Result<std::unique_ptr<InferenceBackend>>(const ModelSpec& spec, const BackendOptions& options)>;
void SetBackendFactoryForTesting(BackendFactory factory);

}  // namespace verger
