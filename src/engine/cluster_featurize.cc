#include "engine/cluster_featurize.h"

#include <algorithm>
#include <thread>

#include "core/file_util.h"
#include "image/decode.h"
#include "image/normalize.h"
#include "image/resize.h"

namespace verger {

namespace {

// The ImageLoader's per-image steps, on bytes already in memory (encoded,
// or decoded pixels when `in` gives a size).
Status Preprocess(const ModelSpec& spec, const DecodeOptions& decode, std::span<const uint8_t> bytes,
                  const FeaturizeInput& in, float* dst) {
  RgbImage img;
  if (in.width > 0 && in.height > 0) {
    if (bytes.size() != size_t{3} * in.width * in.height)
      return Status::InvalidArgument(in.name + ": " + std::to_string(bytes.size()) + " bytes for a " +
                                     std::to_string(in.height) + "x" + std::to_string(in.width) + "x3 image");
    img.width = in.width;
    img.height = in.height;
    img.pixels.assign(bytes.begin(), bytes.end());
  } else {
    VERGER_ASSIGN_OR_RETURN(img, DecodeImage(bytes, in.name, decode));
  }
  if (img.width != spec.input_width || img.height != spec.input_height)
    img = ResizeLikePillow(img, spec.input_width, spec.input_height, spec.resize_filter);
  NormalizeToChw(img, spec.normalization, spec.color_order, dst);
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<Featurizer>> Featurizer::Create(const FeaturizerOptions& options) {
  if (options.max_pixels < 1) return Status::InvalidArgument("max_pixels must be positive");
  std::unique_ptr<Featurizer> f(new Featurizer());
  f->options_ = options;
  VERGER_ASSIGN_OR_RETURN(f->model_, LoadModel({options.model, options.weights, options.backend, options.device,
                                                options.precision, options.threads, options.batch}));
  const int64_t tensor = int64_t{3} * f->model_.spec.input_width * f->model_.spec.input_height;
  // Images decoded in parallel per round: at least one per thread, even
  // when the backend runs one image per forward pass.
  f->chunk_ = f->model_.batch * ((f->model_.threads + f->model_.batch - 1) / f->model_.batch);
  f->batch_in_.resize(static_cast<size_t>(f->chunk_ * tensor));
  return f;
}

Status Featurizer::Features(const std::vector<FeaturizeInput>& inputs, float* out) {
  const int64_t n = static_cast<int64_t>(inputs.size());
  const int64_t tensor = int64_t{3} * model_.spec.input_width * model_.spec.input_height;
  const int64_t dim = feature_dim();
  DecodeOptions decode;
  decode.max_pixels = options_.max_pixels;
  for (int64_t start = 0; start < n; start += chunk_) {
    const int64_t k = std::min<int64_t>(chunk_, n - start);
    std::vector<Status> status(static_cast<size_t>(k));
    auto work = [&](int64_t worker, int64_t workers) {
      for (int64_t j = worker; j < k; j += workers) {
        const FeaturizeInput& in = inputs[start + j];
        std::vector<uint8_t> owned;
        std::span<const uint8_t> bytes = in.bytes;
        if (bytes.empty()) {
          auto read = ReadFileBytes(in.path);
          if (!read.ok()) {
            status[j] = read.status();
            continue;
          }
          owned = std::move(read).value();
          bytes = owned;
        }
        status[j] = Preprocess(model_.spec, decode, bytes, in, batch_in_.data() + j * tensor);
      }
    };
    const int64_t workers = std::min<int64_t>(model_.threads, k);
    std::vector<std::thread> pool;
    for (int64_t w = 1; w < workers; ++w) pool.emplace_back(work, w, workers);
    work(0, workers);
    for (auto& t : pool) t.join();
    for (int64_t j = 0; j < k; ++j)
      if (!status[j].ok()) return status[j].WithContext("input " + std::to_string(start + j));
    for (int64_t b = 0; b < k; b += model_.batch) {
      const int64_t rows = std::min<int64_t>(model_.batch, k - b);
      VERGER_RETURN_IF_ERROR(model_.backend->Run(batch_in_.data() + b * tensor, static_cast<int>(rows), out + (start + b) * dim)
                                 .WithContext("model '" + model_.spec.name + "' on the batch starting at " +
                                              inputs[start + b].name));
    }
  }
  return Status::OK();
}

}  // namespace verger
