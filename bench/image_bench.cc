// Image stage throughput: decode + Pillow-exact resize + normalise, in
// images/s on one core (items_per_second), on real fruits-360 photos
// (100x100 JPEG) and the large-sample photos (~130-900 px a side). Files are
// read into memory at start-up so disk speed does not count.
// Data: $VERGER_SHARED_DIR (default: <source>/../shared).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "image/decode.h"
#include "image/normalize.h"
#include "image/resize.h"

namespace {

namespace fs = std::filesystem;

fs::path SharedDir() {
  if (const char* env = std::getenv("VERGER_SHARED_DIR")) return env;
  return fs::path(VERGER_DEFAULT_MODELS_DIR).parent_path();
}

// Every *.jpg under `dir`, sorted, at most `limit` of them (spread across classes).
std::vector<std::vector<uint8_t>> LoadJpegs(const fs::path& dir, size_t limit) {
  std::vector<fs::path> paths;
  if (fs::exists(dir)) {
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
      if (e.is_regular_file() && e.path().extension() == ".jpg") paths.push_back(e.path());
    }
  }
  std::sort(paths.begin(), paths.end());
  std::vector<std::vector<uint8_t>> out;
  const size_t step = std::max<size_t>(1, paths.size() / std::max<size_t>(1, limit));
  for (size_t i = 0; i < paths.size() && out.size() < limit; i += step) {
    auto bytes = verger::ReadFileBytes(paths[i]);
    if (bytes.ok()) out.push_back(std::move(*bytes));
  }
  return out;
}

const std::vector<std::vector<uint8_t>>& Fruits() {
  static const auto files = LoadJpegs(SharedDir() / "datasets/fruits-360-10/Test", 500);
  return files;
}

const std::vector<std::vector<uint8_t>>& Large() {
  static const auto files = LoadJpegs(SharedDir() / "datasets/fruits-360-large-sample", 90);
  return files;
}

void RunPipeline(benchmark::State& state, const std::vector<std::vector<uint8_t>>& files, bool decode,
                 bool resize, bool normalize, verger::ResizeFilter filter) {
  if (files.empty()) {
    state.SkipWithError("no images found; set VERGER_SHARED_DIR");
    return;
  }
  // Pre-decoded (and, for normalise-only runs, pre-resized) inputs for the
  // stage-only variants.
  std::vector<verger::RgbImage> decoded;
  for (const auto& f : files) {
    auto img = *verger::DecodeImage(f, "bench");
    decoded.push_back(!decode && !resize ? verger::ResizeLikePillow(img, 224, 224, filter) : std::move(img));
  }
  std::vector<float> tensor(3 * 224 * 224);
  size_t i = 0;
  for (auto _ : state) {
    const size_t k = i++ % files.size();
    verger::RgbImage img;
    if (decode) {
      auto r = verger::DecodeImage(files[k], "bench");
      if (!r.ok()) {
        state.SkipWithError(r.status().ToString().c_str());
        return;
      }
      img = std::move(*r);
    }
    const verger::RgbImage& src = decode ? img : decoded[k];
    verger::RgbImage resized;
    if (resize) resized = verger::ResizeLikePillow(src, 224, 224, filter);
    const verger::RgbImage& final_img = resize ? resized : src;
    if (normalize) {
      tensor.resize(final_img.pixels.size());
      verger::NormalizeToChw(final_img, verger::Normalization::kCaffe, verger::ColorOrder::kBgr, tensor.data());
    }
    benchmark::DoNotOptimize(final_img.pixels.data());
    benchmark::DoNotOptimize(tensor.data());
  }
  state.SetItemsProcessed(state.iterations());  // items/s = images/s
}

using F = verger::ResizeFilter;
void BM_Fruits_DecodeResizeNormalize_Bilinear(benchmark::State& s) { RunPipeline(s, Fruits(), true, true, true, F::kBilinear); }
void BM_Fruits_DecodeResizeNormalize_Nearest(benchmark::State& s) { RunPipeline(s, Fruits(), true, true, true, F::kNearest); }
void BM_Fruits_DecodeOnly(benchmark::State& s) { RunPipeline(s, Fruits(), true, false, false, F::kBilinear); }
void BM_Fruits_ResizeOnly_Bilinear(benchmark::State& s) { RunPipeline(s, Fruits(), false, true, false, F::kBilinear); }
void BM_Fruits_ResizeOnly_Nearest(benchmark::State& s) { RunPipeline(s, Fruits(), false, true, false, F::kNearest); }
void BM_Fruits_NormalizeOnly224(benchmark::State& s) { RunPipeline(s, Fruits(), false, false, true, F::kBilinear); }
void BM_Large_DecodeResizeNormalize_Bilinear(benchmark::State& s) { RunPipeline(s, Large(), true, true, true, F::kBilinear); }
void BM_Large_DecodeOnly(benchmark::State& s) { RunPipeline(s, Large(), true, false, false, F::kBilinear); }
void BM_Large_ResizeOnly_Bilinear(benchmark::State& s) { RunPipeline(s, Large(), false, true, false, F::kBilinear); }

BENCHMARK(BM_Fruits_DecodeResizeNormalize_Bilinear);
BENCHMARK(BM_Fruits_DecodeResizeNormalize_Nearest);
BENCHMARK(BM_Fruits_DecodeOnly);
BENCHMARK(BM_Fruits_ResizeOnly_Bilinear);
BENCHMARK(BM_Fruits_ResizeOnly_Nearest);
BENCHMARK(BM_Fruits_NormalizeOnly224);
BENCHMARK(BM_Large_DecodeResizeNormalize_Bilinear);
BENCHMARK(BM_Large_DecodeOnly);
BENCHMARK(BM_Large_ResizeOnly_Bilinear);

}  // namespace

BENCHMARK_MAIN();
