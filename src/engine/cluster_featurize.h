// In-memory featurisation for the Python API (verger.Featurizer): images
// given as local paths or encoded bytes, not a store listing, go through
// the same decode -> resize -> normalise steps as ImageLoader and the same
// backend as Extractor, and come back as one float32 row per image.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/status.h"
#include "image/decode.h"
#include "engine/model_loader.h"
#include "model/backend.h"
#include "model/model_spec.h"

namespace verger {

struct FeaturizerOptions {
  std::string model = "mobilenetv2";  // built-in name or spec file
  std::string weights;                // replaces the spec's weights file
  // Non-empty: replace the spec's backend, device and precision (as ExtractorConfig).
  std::string backend, device, precision;
  int batch = 0;                      // 0 = the backend's default_batch()
  int threads = 0;                    // decode workers and backend threads; 0 = all cores
  int64_t max_pixels = kDefaultMaxPixels;
};

// One image: `bytes` when non-empty, else the local file at `path`. `name`
// labels errors (the path, or e.g. "input[3]"). With width and height set,
// `bytes` are already decoded pixels: height x width x 3 RGB, row-major.
struct FeaturizeInput {
  std::string name;
  std::string path;
  std::span<const uint8_t> bytes;  // not owned; must outlive the call
  int width = 0, height = 0;       // > 0: `bytes` are decoded RGB pixels
};

class Featurizer {
 public:
  // Loads the spec and the network once, through LoadModel as Extractor
  // does (same backend for the same options). Errors as Extractor::Create.
  static Result<std::unique_ptr<Featurizer>> Create(const FeaturizerOptions& options);

  const ModelSpec& spec() const { return model_.spec; }
  const std::string& spec_hash() const { return model_.spec_hash; }
  int64_t feature_dim() const { return model_.backend->feature_dim(); }
  int threads() const { return model_.threads; }
  int batch() const { return model_.batch; }
  std::string backend_description() const { return model_.backend->description(); }
  const std::string& backend_choice() const { return model_.backend->choice(); }

  // Writes inputs.size() x feature_dim() floats, row-major, to `out`
  // (caller-owned). Stops at the first input that cannot be read or decoded
  // and returns its error, prefixed with "input <i>" and naming it; `out` is
  // then partially written. Not thread-safe: one call at a time.
  Status Features(const std::vector<FeaturizeInput>& inputs, float* out);

 private:
  Featurizer() = default;
  FeaturizerOptions options_;
  LoadedModel model_;
  int64_t chunk_ = 1;                // images decoded per round, a multiple of model_.batch
  std::vector<float> batch_in_;
};

}  // namespace verger
