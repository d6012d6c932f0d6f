// The reader -> decode/preprocess half of the pipeline (DALI-style): I/O
// threads fetch bytes, decode threads turn them into normalised CHW tensors,
// and one consumer takes items strictly in key order. At most `window` items
// are in flight, so memory stays flat however many images there are, and
// I/O and decoding overlap inference.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

#include "core/preprocess_types.h"
#include "engine/image_listing.h"
#include "engine/stage_seconds.h"
#include "image/decode.h"
#include "io/object_store.h"

namespace verger {

struct LoaderOptions {
  int io_threads = 2;      // concurrent store reads (S3 GETs in flight)
  int decode_threads = 2;  // CPU workers for decode + resize + normalise
  int window = 64;         // items in flight (bytes or tensors)
  int width = 224, height = 224;
  ResizeFilter filter = ResizeFilter::kBilinear;
  Normalization normalization = Normalization::kTorch;
  ColorOrder color_order = ColorOrder::kRgb;
  DecodeOptions decode;
  // Files larger than this fail unread (by their listed size) or, if they
  // grew since, as soon as the read passes it.
  uint64_t max_file_bytes = std::numeric_limits<uint64_t>::max();
};

class ImageLoader {
 public:
  // `store` and `items` must outlive the loader. Threads start immediately.
  ImageLoader(const ObjectStore& store, const std::vector<ImageItem>& items, LoaderOptions options);
  ~ImageLoader();  // stops and joins all threads
  ImageLoader(const ImageLoader&) = delete;
  ImageLoader& operator=(const ImageLoader&) = delete;

  // Waits for item `index`; indices must be taken in order 0, 1, 2, ... with
  // Release(index) before asking for index + window. On OK, *tensor points at
  // 3 x height x width floats valid until Release(index). A non-OK status is
  // this image's own failure (unreadable, corrupt, ...), not the loader's.
  // Only one consumer thread may call Next/Release.
  Status Next(int64_t index, const float** tensor);
  void Release(int64_t index);

  int64_t tensor_size() const { return int64_t{3} * options_.width * options_.height; }

  // Busy seconds so far: read and decode (summed over worker threads) and
  // the consumer's waits in Next(); the other fields are 0. Consumer thread.
  StageSeconds Times() const;

 private:
  enum class SlotState { kEmpty, kFetching, kFetched, kDecoding, kReady };
  struct Slot {
    int64_t index = -1;
    SlotState state = SlotState::kEmpty;
    std::vector<uint8_t> bytes;
    std::vector<float> tensor;
    Status status;
  };

  void IoLoop();
  void DecodeLoop();
  Status Preprocess(const ImageItem& item, const std::vector<uint8_t>& bytes, float* dst) const;

  const ObjectStore& store_;
  const std::vector<ImageItem>& items_;
  const LoaderOptions options_;

  std::mutex mu_;
  std::condition_variable io_cv_, decode_cv_, ready_cv_;
  std::vector<Slot> slots_;
  int64_t next_fetch_ = 0;
  int64_t released_ = 0;  // every index below this has been released
  std::priority_queue<int64_t, std::vector<int64_t>, std::greater<>> to_decode_;
  bool stop_ = false;
  std::atomic<int64_t> read_ns_{0}, decode_ns_{0};
  int64_t wait_ns_ = 0;  // consumer only
  std::vector<std::thread> threads_;
};

}  // namespace verger
