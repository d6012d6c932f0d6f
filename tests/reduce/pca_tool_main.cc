// pca_tool: drives the reduce library the way the engine will, for the
// sklearn comparison test and the benchmark.
//
//   pca_tool fit IN.npy OUTDIR [--components K | --variance F] [--whiten]
//            [--partitions P] [--labels LABELS.txt]
//
// Splits the float32 rows of IN.npy into P contiguous partitions, builds
// PcaStats for each (round-tripping them through Serialize/Deserialize as
// the engine does through its store), merges them, fits, writes the model
// files, OUTDIR/projected.npy (float32, rows x K), explained_variance.svg
// and scatter_pc1_pc2.svg (labels: one line per row, optional), and prints
// stage timings and peak RSS as one JSON line. Rows are streamed from the
// file in chunks, so memory does not grow with the row count.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <regex>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "reduce/pca_fit.h"
#include "reduce/pca_plots.h"

namespace {

using verger::Status;

constexpr int64_t kChunkRows = 1024;

struct NpyReader {
  std::ifstream in;
  int64_t rows = 0, cols = 0;
  std::streamoff data_start = 0;
};

// Opens a C-order float32 2-D .npy and reads only its header.
Status OpenNpy(const std::string& path, NpyReader* r) {
  r->in.open(path, std::ios::binary);
  if (!r->in) return Status::IOError(path + ": cannot open");
  char pre[10];
  if (!r->in.read(pre, 10) || std::memcmp(pre, "\x93NUMPY", 6) != 0) return Status::Corrupt(path + ": not .npy");
  size_t header_len = static_cast<uint8_t>(pre[8]) | (static_cast<uint8_t>(pre[9]) << 8);
  r->data_start = 10;
  if (pre[6] != 1) {  // versions 2 and 3 have a 4-byte header length
    char more[2];
    if (!r->in.read(more, 2)) return Status::Corrupt(path + ": truncated header");
    header_len |= (static_cast<size_t>(static_cast<uint8_t>(more[0])) << 16) |
                  (static_cast<size_t>(static_cast<uint8_t>(more[1])) << 24);
    r->data_start = 12;
  }
  std::string header(header_len, '\0');
  if (!r->in.read(header.data(), static_cast<std::streamsize>(header_len)))
    return Status::Corrupt(path + ": truncated header");
  r->data_start += static_cast<std::streamoff>(header_len);
  std::smatch m;
  if (header.find("'<f4'") == std::string::npos || header.find("'fortran_order': False") == std::string::npos)
    return Status::Unsupported(path + ": need C-order float32 (<f4)");
  if (!std::regex_search(header, m, std::regex(R"('shape'\s*:\s*\(\s*(\d+)\s*,\s*(\d+)\s*\))")))
    return Status::Unsupported(path + ": need a 2-D array");
  r->rows = std::stoll(m[1]);
  r->cols = std::stoll(m[2]);
  return Status::OK();
}

Status ReadRows(NpyReader* r, int64_t first, int64_t n, std::vector<float>* out, const std::string& path) {
  out->resize(static_cast<size_t>(n * r->cols));
  r->in.seekg(r->data_start + static_cast<std::streamoff>(first * r->cols * 4));
  if (!r->in.read(reinterpret_cast<char*>(out->data()), static_cast<std::streamsize>(out->size() * 4)))
    return Status::IOError(path + ": short read at row " + std::to_string(first));
  return Status::OK();
}

std::string NpyHeader(int64_t rows, int64_t cols) {
  std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                  std::to_string(cols) + "), }";
  const size_t total = 10 + h.size() + 1;
  h.append((total + 63) / 64 * 64 - total, ' ');
  h += '\n';
  std::string out = std::string("\x93NUMPY\x01\x00", 8);
  out += static_cast<char>(h.size() & 0xff);
  out += static_cast<char>(h.size() >> 8);
  return out + h;
}

double Seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}

int Fail(const Status& s) {
  std::cerr << "pca_tool: " << s.ToString() << "\n";
  return 1;
}

int Usage() {
  std::cerr << "usage: pca_tool fit IN.npy OUTDIR [--components K | --variance F] [--whiten] [--partitions P] "
               "[--labels LABELS.txt]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4 || std::string(argv[1]) != "fit") return Usage();
  const std::string in_path = argv[2];
  const std::filesystem::path out_dir = argv[3];
  verger::PcaFitOptions opt;
  int64_t partitions = 1;
  std::string labels_path;
  for (int i = 4; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--components" && has_value) opt.components = std::stoll(argv[++i]);
    else if (a == "--variance" && has_value) opt.variance = std::stod(argv[++i]);
    else if (a == "--partitions" && has_value) partitions = std::stoll(argv[++i]);
    else if (a == "--labels" && has_value) labels_path = argv[++i];
    else if (a == "--whiten") opt.whiten = true;
    else return Usage();
  }
  opt.source_hash = "pca_tool:" + std::filesystem::path(in_path).filename().string();

  NpyReader reader;
  if (Status s = OpenNpy(in_path, &reader); !s.ok()) return Fail(s);
  const int64_t n = reader.rows, d = reader.cols;
  if (partitions < 1 || partitions > std::max<int64_t>(n, 1))
    return Fail(Status::InvalidArgument("--partitions must be in [1, rows]"));

  // Stats per partition, serialised and read back, merged as they arrive.
  auto t0 = std::chrono::steady_clock::now();
  double accumulate_s = 0, serialize_s = 0, merge_s = 0;
  verger::PcaStats total(d);
  std::vector<float> chunk;
  for (int64_t p = 0; p < partitions; ++p) {
    const int64_t lo = n * p / partitions, hi = n * (p + 1) / partitions;
    auto t = std::chrono::steady_clock::now();
    std::vector<uint8_t> bytes;
    {  // the partition's stats live only until serialised, as in the engine
      verger::PcaStats part(d);
      for (int64_t r = lo; r < hi; r += kChunkRows) {
        const int64_t m = std::min(kChunkRows, hi - r);
        if (Status s = ReadRows(&reader, r, m, &chunk, in_path); !s.ok()) return Fail(s);
        if (Status s = part.AddRows(chunk.data(), m); !s.ok())
          return Fail(s.WithContext(in_path + " partition " + std::to_string(p)));
      }
      part.scatter();  // folds the last partial block, so it counts as accumulation
      accumulate_s += Seconds(t);
      t = std::chrono::steady_clock::now();
      bytes = part.Serialize();
    }
    auto back = verger::PcaStats::Deserialize(bytes, "partition " + std::to_string(p));
    if (!back.ok()) return Fail(back.status());
    bytes = {};
    serialize_s += Seconds(t);
    t = std::chrono::steady_clock::now();
    if (Status s = total.Merge(*back); !s.ok()) return Fail(s);
    merge_s += Seconds(t);
  }
  auto t = std::chrono::steady_clock::now();
  auto model = verger::FitPca(total, opt);
  if (!model.ok()) return Fail(model.status());
  const double eig_s = Seconds(t);
  const double fit_s = Seconds(t0);

  auto files = model->Encode();
  if (!files.ok()) return Fail(files.status());
  for (const auto& [name, bytes] : *files)
    if (Status s = verger::WriteFileAtomic(out_dir / name, bytes); !s.ok()) return Fail(s);
  if (Status s = verger::WriteFileAtomic(out_dir / "explained_variance.svg", verger::ExplainedVarianceSvg(*model));
      !s.ok())
    return Fail(s);

  // Projection, streamed to projected.npy; PC1/PC2 kept only for the rows
  // the scatter plot draws.
  t = std::chrono::steady_clock::now();
  const int64_t k = model->components();
  std::vector<int64_t> plotted;
  for (int64_t j = 0; j < std::min(n, verger::kScatterMaxPoints); ++j)
    plotted.push_back(n <= verger::kScatterMaxPoints ? j : j * n / verger::kScatterMaxPoints);
  std::vector<std::string> all_labels, labels;
  if (!labels_path.empty()) {
    std::ifstream lf(labels_path);
    for (std::string line; std::getline(lf, line);) all_labels.push_back(line);
    if (static_cast<int64_t>(all_labels.size()) != n)
      return Fail(Status::InvalidArgument(labels_path + ": " + std::to_string(all_labels.size()) +
                                          " labels for " + std::to_string(n) + " rows"));
  }
  std::vector<float> pc1, pc2;
  const std::filesystem::path proj_path = out_dir / "projected.npy";
  const std::filesystem::path proj_tmp = out_dir / "projected.npy.tmp";
  std::ofstream proj(proj_tmp, std::ios::binary);
  const std::string header = NpyHeader(n, k);
  proj.write(header.data(), static_cast<std::streamsize>(header.size()));
  std::vector<float> out;
  size_t next_plot = 0;
  for (int64_t r = 0; r < n; r += kChunkRows) {
    const int64_t m = std::min(kChunkRows, n - r);
    if (Status s = ReadRows(&reader, r, m, &chunk, in_path); !s.ok()) return Fail(s);
    out.resize(static_cast<size_t>(m * k));
    if (Status s = model->Transform(chunk.data(), m, out.data()); !s.ok()) return Fail(s.WithContext(in_path));
    proj.write(reinterpret_cast<const char*>(out.data()), static_cast<std::streamsize>(out.size() * 4));
    for (; next_plot < plotted.size() && plotted[next_plot] < r + m; ++next_plot) {
      const int64_t row = plotted[next_plot] - r;
      pc1.push_back(out[row * k]);
      pc2.push_back(k > 1 ? out[row * k + 1] : 0.0f);
      if (!all_labels.empty()) labels.push_back(all_labels[plotted[next_plot]]);
    }
  }
  proj.close();
  if (!proj) return Fail(Status::IOError(proj_tmp.string() + ": write failed"));
  std::filesystem::rename(proj_tmp, proj_path);
  const double transform_s = Seconds(t);
  auto scatter = verger::ScatterSvg(pc1, pc2, labels);
  if (!scatter.ok()) return Fail(scatter.status());
  if (Status s = verger::WriteFileAtomic(out_dir / "scatter_pc1_pc2.svg", *scatter); !s.ok()) return Fail(s);

  // VmHWM, not getrusage: ru_maxrss survives exec and so can report the
  // parent's size when a big process forks this tool.
  double peak_mib = -1;
  std::ifstream status("/proc/self/status");
  for (std::string line; std::getline(status, line);)
    if (line.rfind("VmHWM:", 0) == 0) peak_mib = std::stod(line.substr(6)) / 1024.0;
  std::printf(
      "{\"rows\": %lld, \"dim\": %lld, \"components\": %lld, \"partitions\": %lld, \"accumulate_s\": %.4f, "
      "\"serialize_s\": %.4f, \"merge_s\": %.4f, \"eig_s\": %.4f, \"fit_s\": %.4f, \"transform_s\": %.4f, "
      "\"peak_rss_mib\": %.1f}\n",
      static_cast<long long>(n), static_cast<long long>(d), static_cast<long long>(k),
      static_cast<long long>(partitions), accumulate_s, serialize_s, merge_s, eig_s, fit_s, transform_s,
      peak_mib);
  return 0;
}
