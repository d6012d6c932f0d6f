#include "engine/image_loader.h"

#include <chrono>

#include "core/file_util.h"
#include "image/normalize.h"
#include "image/resize.h"

namespace verger {
namespace {

int64_t NanosSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

ImageLoader::ImageLoader(const ObjectStore& store, const std::vector<ImageItem>& items, LoaderOptions options)
    : store_(store), items_(items), options_(options) {
  slots_.resize(static_cast<size_t>(std::max(1, options_.window)));
  for (auto& s : slots_) s.tensor.resize(static_cast<size_t>(tensor_size()));
  for (int i = 0; i < std::max(1, options_.io_threads); ++i) threads_.emplace_back([this] { IoLoop(); });
  for (int i = 0; i < std::max(1, options_.decode_threads); ++i) threads_.emplace_back([this] { DecodeLoop(); });
}

ImageLoader::~ImageLoader() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  io_cv_.notify_all();
  decode_cv_.notify_all();
  ready_cv_.notify_all();
  for (auto& t : threads_) t.join();
}

void ImageLoader::IoLoop() {
  const int64_t n = static_cast<int64_t>(items_.size());
  const int64_t window = static_cast<int64_t>(slots_.size());
  for (;;) {
    int64_t index;
    {
      std::unique_lock lock(mu_);
      io_cv_.wait(lock, [&] { return stop_ || next_fetch_ >= n || next_fetch_ < released_ + window; });
      if (stop_ || next_fetch_ >= n) return;
      index = next_fetch_++;
      Slot& slot = slots_[index % window];
      slot.index = index;
      slot.state = SlotState::kFetching;
    }
    const auto started = std::chrono::steady_clock::now();
    const ImageItem& item = items_[index];
    auto bytes = item.size > options_.max_file_bytes
                     ? Result<std::vector<uint8_t>>(Status::ResourceExhausted(
                           item.key + ": " + FileTooBigMessage(item.size, options_.max_file_bytes)))
                     : store_.ReadAtMost(item.key, options_.max_file_bytes);
    read_ns_ += NanosSince(started);
    {
      std::lock_guard lock(mu_);
      Slot& slot = slots_[index % window];
      if (bytes.ok()) {
        slot.bytes = std::move(bytes).value();
        slot.status = Status::OK();
      } else {
        slot.bytes.clear();
        slot.status = bytes.status();
      }
      slot.state = SlotState::kFetched;
      to_decode_.push(index);
    }
    decode_cv_.notify_one();
  }
}

void ImageLoader::DecodeLoop() {
  const int64_t window = static_cast<int64_t>(slots_.size());
  for (;;) {
    int64_t index;
    {
      std::unique_lock lock(mu_);
      decode_cv_.wait(lock, [&] { return stop_ || !to_decode_.empty(); });
      if (stop_) return;
      index = to_decode_.top();
      to_decode_.pop();
      slots_[index % window].state = SlotState::kDecoding;
    }
    // The slot is ours alone while kDecoding: no lock needed for its buffers.
    Slot& slot = slots_[index % window];
    const auto started = std::chrono::steady_clock::now();
    if (slot.status.ok()) slot.status = Preprocess(items_[index], slot.bytes, slot.tensor.data());
    decode_ns_ += NanosSince(started);
    slot.bytes = {};  // free compressed bytes early
    {
      std::lock_guard lock(mu_);
      slot.state = SlotState::kReady;
    }
    ready_cv_.notify_all();
  }
}

Status ImageLoader::Preprocess(const ImageItem& item, const std::vector<uint8_t>& bytes, float* dst) const {
  VERGER_ASSIGN_OR_RETURN(RgbImage img, DecodeImage(bytes, item.key, options_.decode));
  if (img.width != options_.width || img.height != options_.height)
    img = ResizeLikePillow(img, options_.width, options_.height, options_.filter);
  NormalizeToChw(img, options_.normalization, options_.color_order, dst);
  return Status::OK();
}

Status ImageLoader::Next(int64_t index, const float** tensor) {
  const int64_t window = static_cast<int64_t>(slots_.size());
  const auto started = std::chrono::steady_clock::now();
  std::unique_lock lock(mu_);
  Slot& slot = slots_[index % window];
  ready_cv_.wait(lock, [&] { return stop_ || (slot.index == index && slot.state == SlotState::kReady); });
  wait_ns_ += NanosSince(started);
  if (stop_) return Status::Cancelled("image loader stopped");
  *tensor = slot.tensor.data();
  return slot.status;
}

StageSeconds ImageLoader::Times() const {
  StageSeconds t;
  t.read = static_cast<double>(read_ns_.load()) * 1e-9;
  t.decode = static_cast<double>(decode_ns_.load()) * 1e-9;
  t.wait_for_input = static_cast<double>(wait_ns_) * 1e-9;
  return t;
}

void ImageLoader::Release(int64_t index) {
  {
    std::lock_guard lock(mu_);
    Slot& slot = slots_[index % static_cast<int64_t>(slots_.size())];
    slot.state = SlotState::kEmpty;
    slot.status = Status::OK();
    released_ = index + 1;
  }
  io_cv_.notify_all();
}

}  // namespace verger
