// The per-partition unit of `extract`: one loaded model, reused for every
// partition a process handles (a local run, or a cluster worker that caches
// it across tasks). A partition is processable on its own: its images in,
// its label tables + optional PCA statistics + completion marker out.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/image_listing.h"
#include "engine/job_records.h"
#include "image/decode.h"
#include "engine/model_loader.h"
#include "engine/progress.h"
#include "engine/stage_seconds.h"
#include "io/object_store.h"
#include "model/backend.h"
#include "model/model_spec.h"
#include "sink/table.h"

namespace verger {

// --max-file-bytes default: far above any photo, far below what a machine
// holds several of at once (the loader keeps a window of files in memory).
inline constexpr int64_t kDefaultMaxFileBytes = int64_t{256} << 20;

struct ExtractorConfig {
  std::string model = "mobilenetv2";  // built-in name or spec file
  std::string weights;                // replaces the spec's weights file
  // Non-empty: replace the spec's inference backend ("auto", "opencv",
  // "torch"), device ("cpu", "cuda") and precision ("fp32", "bf16", "int8").
  std::string backend, device, precision;
  int batch = 0;                      // images per forward pass; 0 = the backend's default_batch()
  int threads = 0;                    // 0 = all cores
  int io_concurrency = 0;             // 0 = the input store's preferred_io_concurrency()
  std::vector<std::string> formats = {"parquet"};
  int64_t max_pixels = kDefaultMaxPixels;         // decompression-bomb guard
  int64_t max_file_bytes = kDefaultMaxFileBytes;  // larger inputs are refused unread
  bool write_pca_stats = false;                   // per-partition PCA statistics (for `run`)
};

class RowReuse;  // engine/row_reuse.h

struct PartitionResult {
  std::optional<PartitionMarker> marker;  // what _partitions/part-NNNNN.json holds; none if stopped early
  int64_t ok = 0, failed = 0;
  int64_t reused = 0;               // of `ok`: rows copied from an earlier run (RowReuse)
  std::vector<ImageError> errors;   // this partition's bad images
  StageSeconds stages;              // where this partition's time went
};

class Extractor {
 public:
  // Loads the spec and the network once. Errors: configuration
  // (InvalidArgument/NotFound) naming the option or file.
  static Result<std::unique_ptr<Extractor>> Create(const ExtractorConfig& config);

  const ModelSpec& spec() const { return model_.spec; }
  const std::string& spec_hash() const { return model_.spec_hash; }
  int64_t feature_dim() const { return model_.backend->feature_dim(); }
  int threads() const { return model_.threads; }
  const ExtractorConfig& config() const { return config_; }
  std::string backend_description() const { return model_.backend->description(); }
  // Why this backend runs (InferenceBackend::choice), e.g. "auto: torch (ONNX imported)".
  const std::string& backend_choice() const { return model_.backend->choice(); }
  int batch() const { return model_.batch; }     // images per forward pass, after the backend's default

  // Extracts `items` (the partition's images, in key order) from `input`
  // into `output`: one table per label and format, then the PCA statistics
  // (if configured), then the marker — each written atomically, so a
  // partition whose marker exists is complete. `progress` may be null.
  // `stop_after_errors` >= 0 stops early once the partition alone has more
  // failures than that (nothing of the partition is written then, and
  // result.marker is empty). `reuse` (may be null) supplies rows of an
  // earlier run for unchanged images, which then skip decoding and the
  // model. A store that cannot be reached (Unavailable) fails the whole
  // partition, never one image. Not thread-safe: one partition at a time.
  Result<PartitionResult> RunPartition(const ObjectStore& input, ObjectStore& output,
                                       const std::vector<ImageItem>& items, int64_t partition_index,
                                       Progress* progress, int64_t stop_after_errors = -1,
                                       RowReuse* reuse = nullptr);

 private:
  Extractor() = default;
  ExtractorConfig config_;
  LoadedModel model_;
  std::vector<std::unique_ptr<TableFormat>> formats_;
  std::vector<float> batch_in_, batch_out_;
};

// Hash of a partition's inputs (keys, sizes, mtimes/ETags): a marker whose
// hash matches the current listing describes exactly these images.
std::string PartitionInputsHash(const std::vector<ImageItem>& items);

// Sizes of every object in a store, by key (one listing, for many checks).
Result<std::map<std::string, uint64_t>> ObjectSizes(const ObjectStore& store);

// The marker at PartitionMarkerKey(index) if it covers exactly `items`, was
// made by this extractor's model and formats (with PCA statistics if it
// writes them), and every file it lists is present in `sizes` with its
// recorded size; nullopt if there is none or it describes other work.
// Corrupt (naming the file and field) for a marker that does not parse.
Result<std::optional<PartitionMarker>> CompletePartition(const ObjectStore& output,
                                                         const std::map<std::string, uint64_t>& sizes,
                                                         const Extractor& extractor,
                                                         const std::vector<ImageItem>& items, int64_t partition_index);

}  // namespace verger
