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
  if (options.batch < 1 || options.batch > 4096) return Status::InvalidArgument("batch must be between 1 and 4096");
  if (options.threads < 0) return Status::InvalidArgument("threads must be >= 0 (0 = all cores)");
  if (options.max_pixels < 1) return Status::InvalidArgument("max_pixels must be positive");
  std::unique_ptr<Featurizer> f(new Featurizer());
  f->options_ = options;
  VERGER_ASSIGN_OR_RETURN(f->spec_, LoadModelSpec(options.model, options.weights));
  VERGER_ASSIGN_OR_RETURN(f->spec_hash_, ModelSpecHash(f->spec_));
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  f->threads_ = options.threads > 0 ? options.threads : cores;
  VERGER_ASSIGN_OR_RETURN(f->backend_, CreateBackend(f->spec_, BackendOptions{f->threads_}));
  const int64_t tensor = int64_t{3} * f->spec_.input_width * f->spec_.input_height;
  f->batch_in_.resize(static_cast<size_t>(options.batch * tensor));
  return f;
}

Status Featurizer::Features(const std::vector<FeaturizeInput>& inputs, float* out) {
  const int64_t n = static_cast<int64_t>(inputs.size());
  const int64_t tensor = int64_t{3} * spec_.input_width * spec_.input_height;
  const int64_t dim = feature_dim();
  DecodeOptions decode;
  decode.max_pixels = options_.max_pixels;
  for (int64_t start = 0; start < n; start += options_.batch) {
    const int64_t k = std::min<int64_t>(options_.batch, n - start);
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
        status[j] = Preprocess(spec_, decode, bytes, in, batch_in_.data() + j * tensor);
      }
    };
    const int64_t workers = std::min<int64_t>(threads_, k);
    std::vector<std::thread> pool;
    for (int64_t w = 1; w < workers; ++w) pool.emplace_back(work, w, workers);
    work(0, workers);
    for (auto& t : pool) t.join();
    for (int64_t j = 0; j < k; ++j)
      if (!status[j].ok()) return status[j].WithContext("input " + std::to_string(start + j));
    VERGER_RETURN_IF_ERROR(backend_->Run(batch_in_.data(), static_cast<int>(k), out + start * dim)
                               .WithContext("model '" + spec_.name + "' on the batch starting at " + inputs[start].name));
  }
  return Status::OK();
}

}  // namespace verger
