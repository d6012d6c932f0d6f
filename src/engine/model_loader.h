// Loading the network for a job: spec, backend choice, hash. Extractor
// (`verger extract`/`run`, cluster workers) and Featurizer (Python) both
// load through here, so the same model and weights run on the same backend
// everywhere and hash alike.
#pragma once

#include <memory>
#include <string>

#include "core/status.h"
#include "model/backend.h"
#include "model/model_spec.h"

namespace verger {

struct ModelChoice {
  std::string model = "mobilenetv2";  // built-in name or spec file
  std::string weights;                // replaces the spec's weights file
  // Non-empty: replace the spec's backend ("auto", "opencv", "torch"),
  // device ("cpu", "cuda") and precision ("fp32", "bf16", "int8"); read by
  // ParseBackendKind/ParseDevice/ParsePrecision (model/model_spec.h).
  std::string backend, device, precision;
  int threads = 0;                    // 0 = all cores
  int batch = 0;                      // images per forward pass; 0 = the backend's default_batch()
};

struct LoadedModel {
  // spec.backend is the backend that runs (kOpenCv or kTorch), never
  // kAuto: it goes into the hash, so rows computed on different backends
  // (which differ in the last digits) are never mixed by --resume.
  ModelSpec spec;
  std::string spec_hash;
  int threads = 1;
  int batch = 1;                              // choice.batch, else backend->default_batch()
  std::unique_ptr<InferenceBackend> backend;  // backend->choice() says why it runs
};

// Errors: configuration (InvalidArgument/NotFound/Unsupported) naming the
// option or file.
Result<LoadedModel> LoadModel(const ModelChoice& choice);

}  // namespace verger
