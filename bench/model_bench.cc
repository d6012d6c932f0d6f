// Raw OpenCV-DNN inference speed (images/s) of the built-in networks at
// batch 1, 8, 16 and 32 with 2 threads: preprocessing and I/O excluded.
// Models come from $VERGER_MODELS_DIR (else the shipped folder); VGG16 from
// $VERGER_VGG16_ONNX (e.g. made by scripts/make_vgg16_onnx.py), skipped with
// a note when unset. items_per_second is wall-clock throughput; the
// cpu_ms_per_image counter is CPU time of all threads per image, which
// stays meaningful when other processes share the cores.
#include <benchmark/benchmark.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/backend.h"

namespace {

constexpr int kThreads = 2;

double ProcessCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + 1e-9 * double(ts.tv_nsec);
}

// One backend per model, created on first use and kept for every batch size.
verger::InferenceBackend* Backend(const std::string& model, const std::string& weights, verger::ModelSpec* spec) {
  static std::map<std::string, std::pair<verger::ModelSpec, std::unique_ptr<verger::InferenceBackend>>> cache;
  auto it = cache.find(model);
  if (it == cache.end()) {
    auto s = verger::LoadModelSpec(model, weights);
    if (!s.ok()) return nullptr;
    s->backend = verger::BackendKind::kOpenCv;  // this benchmark is OpenCV DNN's; built-ins default to auto
    auto b = verger::CreateBackend(*s, verger::BackendOptions{.threads = kThreads});
    if (!b.ok()) {
      std::fprintf(stderr, "%s\n", b.status().ToString().c_str());
      return nullptr;
    }
    it = cache.emplace(model, std::make_pair(*s, std::move(*b))).first;
  }
  *spec = it->second.first;
  return it->second.second.get();
}

void BM_Inference(benchmark::State& state, std::string model, std::string weights) {
  const int batch = static_cast<int>(state.range(0));
  verger::ModelSpec spec;
  verger::InferenceBackend* b = Backend(model, weights, &spec);
  if (b == nullptr) {
    state.SkipWithError(("cannot load model " + model).c_str());
    return;
  }
  std::vector<float> in(size_t(batch) * 3 * spec.input_height * spec.input_width);
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (float& x : in) x = u(rng);
  std::vector<float> out(size_t(batch) * b->feature_dim());
  // OpenCV re-plans the net when the batch size changes: not part of the steady state.
  if (!b->Run(in.data(), batch, out.data()).ok()) {
    state.SkipWithError("inference failed");
    return;
  }
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    if (!b->Run(in.data(), batch, out.data()).ok()) {
      state.SkipWithError("inference failed");
      return;
    }
    benchmark::DoNotOptimize(out.data());
  }
  const double images = double(state.iterations()) * batch;
  state.SetItemsProcessed(static_cast<int64_t>(images));
  state.counters["cpu_ms_per_image"] = 1e3 * (ProcessCpuSeconds() - cpu0) / images;
  state.SetLabel(b->description());
}

void Register(const std::string& model, const std::string& weights) {
  benchmark::RegisterBenchmark(("BM_Inference/" + model).c_str(), BM_Inference, model, weights)
      ->ArgName("batch")
      ->Arg(1)
      ->Arg(8)
      ->Arg(16)
      ->Arg(32)
      ->Unit(benchmark::kMillisecond)
      ->MinTime(1.0)
      ->UseRealTime();
}

}  // namespace

int main(int argc, char** argv) {
  if (std::getenv("VERGER_MODELS_DIR") == nullptr) {
    setenv("VERGER_MODELS_DIR", VERGER_DEFAULT_MODELS_DIR, 1);  // the shipped /work/shared/models
  }
  Register("mobilenetv2", "");
  Register("squeezenet", "");
  const char* vgg = std::getenv("VERGER_VGG16_ONNX");
  if (vgg != nullptr && *vgg != '\0') {
    Register("vgg16", vgg);
  } else {
    std::fprintf(stderr,
                 "note: VERGER_VGG16_ONNX is not set: skipping vgg16 (make one with "
                 "scripts/make_vgg16_onnx.py /tmp/vgg16.onnx)\n");
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
