// Test helper for tests/parquet: writes deterministic random tables through
// the format registry, and times Encode for each output format.
//
//   parquet_tool write OUT_BASE ROWS DIM LABEL [COLUMN_PREFIX]
//       writes OUT_BASE.parquet and OUT_BASE.csv holding the same table
//   parquet_tool time ROWS DIM REPS
//       prints "<format> <median ms> <min ms> <bytes>" per format
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "sink/table.h"

namespace verger {
namespace {

// Values shaped like post-ReLU6 CNN features: half zeros, the rest in (0, 6).
FeatureTable MakeTable(int64_t rows, int64_t dim, const std::string& label, const std::string& prefix) {
  FeatureTable t;
  t.label = label;
  t.column_prefix = prefix;
  t.dim = dim;
  t.metadata = {{"model_spec_sha256", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
                {"preprocessing", "{\"mode\": \"tf\", \"size\": [224, 224]}"}};
  std::mt19937 rng(20261124);
  std::uniform_real_distribution<float> u(0.f, 6.f);
  for (int64_t r = 0; r < rows; ++r) {
    t.paths.push_back(label + "/img " + std::to_string(r) + " =%/é.jpg");
    for (int64_t d = 0; d < dim; ++d) t.values.push_back(u(rng) < 3.f ? 0.f : u(rng));
  }
  return t;
}

int Fail(const Status& s) {
  std::fprintf(stderr, "parquet_tool: %s\n", s.ToString().c_str());
  return 1;
}

int Write(const std::string& base, int64_t rows, int64_t dim, const std::string& label, const std::string& prefix) {
  FeatureTable t = MakeTable(rows, dim, label, prefix);
  for (const char* name : {"parquet", "csv"}) {
    auto format = MakeTableFormat(name);
    if (!format.ok()) return Fail(format.status());
    auto files = (*format)->Encode(t, base);
    if (!files.ok()) return Fail(files.status());
    for (const auto& f : *files) {
      Status s = WriteFileAtomic(base + f.suffix, f.bytes);
      if (!s.ok()) return Fail(s);
    }
  }
  return 0;
}

int Time(int64_t rows, int64_t dim, int reps) {
  FeatureTable t = MakeTable(rows, dim, "Banana 1", "dim_");
  for (const auto& name : AvailableTableFormats()) {
    auto format = MakeTableFormat(name);
    if (!format.ok()) return Fail(format.status());
    std::vector<double> ms;
    size_t bytes = 0;
    for (int i = 0; i < reps; ++i) {
      auto start = std::chrono::steady_clock::now();
      auto files = (*format)->Encode(t, "timed table");
      auto end = std::chrono::steady_clock::now();
      if (!files.ok()) return Fail(files.status());
      bytes = 0;
      for (const auto& f : *files) bytes += f.bytes.size();
      ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
    }
    std::sort(ms.begin(), ms.end());
    std::printf("%s %.2f %.2f %zu\n", name.c_str(), ms[ms.size() / 2], ms[0], bytes);
  }
  return 0;
}

}  // namespace
}  // namespace verger

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if ((args.size() == 5 || args.size() == 6) && args[0] == "write") {
    return verger::Write(args[1], std::atoll(args[2].c_str()), std::atoll(args[3].c_str()), args[4],
                         args.size() == 6 ? args[5] : "dim_");
  }
  if (args.size() == 4 && args[0] == "time") {
    return verger::Time(std::atoll(args[1].c_str()), std::atoll(args[2].c_str()), std::max(1, std::atoi(args[3].c_str())));
  }
  std::fprintf(stderr,
               "usage: parquet_tool write OUT_BASE ROWS DIM LABEL [COLUMN_PREFIX]\n"
               "       parquet_tool time ROWS DIM REPS\n");
  return 2;
}
