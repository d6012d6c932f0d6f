// Raw inference throughput of the LibTorch backend: images/s of
// InferenceBackend::Run on a ready batch (no decoding), per model, batch
// size and precision. bench/throughput.py runs this next to `verger extract`
// and a seed-style Python baseline. Configured by environment:
//   VERGER_TORCH_BENCH_SPECS       comma-separated model spec files (backend "torch")
//   VERGER_TORCH_BENCH_BATCHES     default "8,16,32"
//   VERGER_TORCH_BENCH_PRECISIONS  default "fp32"   (e.g. "fp32,bf16")
//   VERGER_TORCH_BENCH_THREADS     default 2
#include <benchmark/benchmark.h>
#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "model/backend.h"
#include "model/model_spec.h"

namespace {

using verger::InferenceBackend;

std::vector<std::string> Split(const char* env, const char* fallback) {
  std::vector<std::string> out;
  std::stringstream ss(env != nullptr && *env ? env : fallback);
  for (std::string item; std::getline(ss, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

struct Loaded {
  std::unique_ptr<InferenceBackend> backend;
  std::set<int> warm;  // batch sizes already run (oneDNN primitives, JIT profiling)
  verger::ModelSpec spec;
};

// One backend per (spec, precision), kept across repetitions: loading and
// first-run warm-up are not what is measured.
Loaded* Get(const std::string& spec_path, const std::string& precision, int threads, std::string* error) {
  static std::map<std::string, Loaded> cache;
  const std::string key = spec_path + "|" + precision;
  auto it = cache.find(key);
  if (it != cache.end()) return &it->second;
  auto spec = verger::LoadModelSpec(spec_path);
  if (!spec.ok()) return *error = spec.status().ToString(), nullptr;
  auto parsed = verger::ParsePrecision(precision);
  if (!parsed.ok()) return *error = parsed.status().ToString(), nullptr;
  spec->precision = *parsed;
  auto b = verger::CreateBackend(*spec, verger::BackendOptions{threads});
  if (!b.ok()) return *error = b.status().ToString(), nullptr;
  Loaded& l = cache[key];
  l.backend = std::move(b).value();
  l.spec = *spec;
  return &l;
}

void RunBackend(benchmark::State& state, std::string spec_path, std::string precision, int threads) {
  const int batch = static_cast<int>(state.range(0));
  std::string error;
  Loaded* l = Get(spec_path, precision, threads, &error);
  if (l == nullptr) return state.SkipWithError(error.c_str());
  const size_t per_image = size_t(3) * l->spec.input_width * l->spec.input_height;
  std::vector<float> in(per_image * batch), out(size_t(batch) * l->backend->feature_dim());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-2.f, 2.f);
  for (auto& v : in) v = u(rng);
  if (!l->warm.count(batch)) {
    for (int i = 0; i < 2; ++i) (void)l->backend->Run(in.data(), batch, out.data());
    l->warm.insert(batch);
  }
  for (auto _ : state) {
    verger::Status s = l->backend->Run(in.data(), batch, out.data());
    if (!s.ok()) return state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.SetLabel(l->backend->description());
}

}  // namespace

int main(int argc, char** argv) {
  // Same allocator settings as the verger CLI (src/cli/main.cc).
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  if (std::getenv("OMP_WAIT_POLICY") == nullptr && setenv("OMP_WAIT_POLICY", "PASSIVE", 1) == 0) {
    execv("/proc/self/exe", argv);  // as the CLI does: libgomp reads this only when it loads
  }
  const int threads = std::atoi(std::getenv("VERGER_TORCH_BENCH_THREADS") ? std::getenv("VERGER_TORCH_BENCH_THREADS") : "2");
  std::vector<int64_t> batches;
  for (const auto& b : Split(std::getenv("VERGER_TORCH_BENCH_BATCHES"), "8,16,32")) batches.push_back(std::stoll(b));
  for (const auto& spec : Split(std::getenv("VERGER_TORCH_BENCH_SPECS"), "")) {
    for (const auto& precision : Split(std::getenv("VERGER_TORCH_BENCH_PRECISIONS"), "fp32")) {
      std::string stem = spec.substr(spec.find_last_of('/') + 1);
      stem = stem.substr(0, stem.rfind('.'));
      auto* b = benchmark::RegisterBenchmark(("Torch/" + stem + "/" + precision).c_str(), RunBackend, spec, precision,
                                             threads);
      for (int64_t n : batches) b->Arg(n);
      b->ArgName("batch")->UseRealTime()->MinTime(2.0)->Unit(benchmark::kMillisecond);
    }
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
