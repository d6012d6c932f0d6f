#include "reduce/pca_model.h"

#include <cblas.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "core/npy.h"

namespace verger {

namespace {

constexpr const char* kFormat = "verger-pca-model";
constexpr int kFormatVersion = 1;
// Rows per GEMM in Transform: large enough for BLAS-3 speed, small enough
// that the double scratch stays a few MiB.
constexpr int64_t kTransformBatch = 256;

struct FileField {
  const char* key;       // key under "files" in model.json
  const char* filename;  // default name written by Encode
};
constexpr FileField kMeanFile{"mean", "mean.npy"};
constexpr FileField kComponentsFile{"components", "components.npy"};
constexpr FileField kVarianceFile{"explained_variance", "explained_variance.npy"};
constexpr FileField kRatioFile{"explained_variance_ratio", "explained_variance_ratio.npy"};
constexpr FileField kSpectrumFile{"spectrum", "spectrum.npy"};

bool AllFinite(const std::vector<double>& v) {
  return std::all_of(v.begin(), v.end(), [](double x) { return std::isfinite(x); });
}

std::vector<uint8_t> Npy(const std::vector<double>& v, std::vector<int64_t> shape) {
  return EncodeNpy(NpyDtype::kFloat64, shape, v.data());
}

// Reads a float64 .npy named by model.json's "files" entry and checks its
// shape.
Result<std::vector<double>> ReadArray(const std::map<std::string, std::vector<uint8_t>>& files,
                                      const nlohmann::json& names, const FileField& field,
                                      const std::vector<int64_t>& shape, const std::string& what) {
  if (!names.contains(field.key) || !names[field.key].is_string())
    return Status::Corrupt(what + ": model.json has no file name for '" + field.key + "'");
  const std::string name = names[field.key].get<std::string>();
  auto it = files.find(name);
  if (it == files.end()) return Status::NotFound(what + ": PCA model file " + name + " is missing");
  VERGER_ASSIGN_OR_RETURN(NpyArray arr, DecodeNpy(it->second, what + "/" + name));
  if (arr.dtype != NpyDtype::kFloat64) return Status::Corrupt(what + "/" + name + ": expected float64 (<f8)");
  if (arr.shape != shape) {
    std::string want, got;
    for (int64_t s : shape) want += (want.empty() ? "" : ", ") + std::to_string(s);
    for (int64_t s : arr.shape) got += (got.empty() ? "" : ", ") + std::to_string(s);
    return Status::Corrupt(what + "/" + name + ": shape (" + got + "), model.json says (" + want + ")");
  }
  std::vector<double> out(static_cast<size_t>(arr.element_count()));
  std::memcpy(out.data(), arr.data.data(), out.size() * sizeof(double));
  return out;
}

Result<int64_t> JsonInt(const nlohmann::json& j, const char* key, const std::string& what) {
  if (!j.contains(key) || !j[key].is_number_integer())
    return Status::Corrupt(what + ": model.json field '" + key + "' missing or not an integer");
  return j[key].get<int64_t>();
}

Result<double> JsonNumber(const nlohmann::json& j, const char* key, const std::string& what) {
  if (!j.contains(key) || !j[key].is_number())
    return Status::Corrupt(what + ": model.json field '" + key + "' missing or not a number");
  return j[key].get<double>();
}

}  // namespace

PcaModel::PcaModel(PcaModelParts parts) : p_(std::move(parts)) {
  dim_ = static_cast<int64_t>(p_.mean.size());
  k_ = static_cast<int64_t>(p_.explained_variance.size());
}

Result<PcaModel> PcaModel::Create(PcaModelParts parts, const std::string& what) {
  const size_t d = parts.mean.size(), k = parts.explained_variance.size();
  if (d == 0) return Status::InvalidArgument(what + ": PCA model has an empty mean (dimension 0)");
  if (k == 0) return Status::InvalidArgument(what + ": PCA model has no components");
  if (parts.components.size() != k * d)
    return Status::InvalidArgument(what + ": PCA components hold " + std::to_string(parts.components.size()) +
                                   " values, expected " + std::to_string(k) + " x " + std::to_string(d));
  if (parts.explained_variance_ratio.size() != k)
    return Status::InvalidArgument(what + ": PCA explained_variance_ratio has " +
                                   std::to_string(parts.explained_variance_ratio.size()) + " values, expected " +
                                   std::to_string(k));
  if (parts.spectrum.size() < k)
    return Status::InvalidArgument(what + ": PCA spectrum has " + std::to_string(parts.spectrum.size()) +
                                   " values, fewer than the " + std::to_string(k) + " components");
  if (parts.n_samples < 2)
    return Status::InvalidArgument(what + ": PCA model fit on " + std::to_string(parts.n_samples) +
                                   " rows (needs at least 2)");
  if (!AllFinite(parts.mean) || !AllFinite(parts.components) || !AllFinite(parts.explained_variance) ||
      !AllFinite(parts.explained_variance_ratio) || !AllFinite(parts.spectrum) ||
      !std::isfinite(parts.total_variance) || !std::isfinite(parts.noise_variance))
    return Status::InvalidArgument(what + ": PCA model holds non-finite numbers");
  if (!(parts.total_variance > 0))
    return Status::InvalidArgument(what + ": PCA model total variance must be positive");
  if (parts.whiten) {
    for (size_t c = 0; c < k; ++c)
      if (!(parts.explained_variance[c] > 0))
        return Status::InvalidArgument(what + ": cannot whiten: component " + std::to_string(c) +
                                       " has zero variance");
  }
  return PcaModel(std::move(parts));
}

Status PcaModel::Transform(const float* rows, int64_t n, float* out) const {
  if (n < 0) return Status::InvalidArgument("PCA transform: negative row count " + std::to_string(n));
  if (n == 0) return Status::OK();
  if (rows == nullptr || out == nullptr) return Status::InvalidArgument("PCA transform: null rows or output");
  const int64_t d = dim_, k = k_;
  std::vector<double> centred(static_cast<size_t>(std::min(n, kTransformBatch) * d));
  std::vector<double> projected(static_cast<size_t>(std::min(n, kTransformBatch) * k));
  std::vector<double> scale(static_cast<size_t>(k));
  for (int64_t c = 0; c < k; ++c) scale[c] = std::sqrt(p_.explained_variance[c]);
  for (int64_t start = 0; start < n; start += kTransformBatch) {
    const int64_t b = std::min(kTransformBatch, n - start);
    for (int64_t r = 0; r < b; ++r) {
      const float* row = rows + (start + r) * d;
      double* dst = centred.data() + r * d;
      float probe = 0.0f;  // NaN iff the row holds NaN/Inf
      for (int64_t c = 0; c < d; ++c) {
        probe += row[c] * 0.0f;
        dst[c] = static_cast<double>(row[c]) - p_.mean[c];
      }
      if (probe != 0.0f) {
        for (int64_t c = 0; c < d; ++c)
          if (!std::isfinite(row[c]))
            return Status::Corrupt("PCA transform: row " + std::to_string(start + r) + " column " +
                                   std::to_string(c) + " is " + (std::isnan(row[c]) ? "NaN" : "Inf"));
      }
    }
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, static_cast<int>(b), static_cast<int>(k),
                static_cast<int>(d), 1.0, centred.data(), static_cast<int>(d), p_.components.data(),
                static_cast<int>(d), 0.0, projected.data(), static_cast<int>(k));
    float* dst = out + start * k;
    for (int64_t r = 0; r < b; ++r) {
      for (int64_t c = 0; c < k; ++c) {
        double v = projected[r * k + c];
        if (p_.whiten) v /= scale[c];  // divide, as sklearn does
        dst[r * k + c] = static_cast<float>(v);
      }
    }
  }
  return Status::OK();
}

Result<std::vector<std::pair<std::string, std::vector<uint8_t>>>> PcaModel::Encode() const {
  nlohmann::json files = {{kMeanFile.key, kMeanFile.filename},
                          {kComponentsFile.key, kComponentsFile.filename},
                          {kVarianceFile.key, kVarianceFile.filename},
                          {kRatioFile.key, kRatioFile.filename},
                          {kSpectrumFile.key, kSpectrumFile.filename}};
  nlohmann::json meta = {{"format", kFormat},
                         {"version", kFormatVersion},
                         {"dim", dim_},
                         {"components", k_},
                         {"spectrum_length", static_cast<int64_t>(p_.spectrum.size())},
                         {"n_samples", p_.n_samples},
                         {"whiten", p_.whiten},
                         {"total_variance", p_.total_variance},
                         {"noise_variance", p_.noise_variance},
                         {"source_hash", p_.source_hash},
                         {"files", files}};
  const std::string text = meta.dump(2) + "\n";
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  out.emplace_back(kMeanFile.filename, Npy(p_.mean, {dim_}));
  out.emplace_back(kComponentsFile.filename, Npy(p_.components, {k_, dim_}));
  out.emplace_back(kVarianceFile.filename, Npy(p_.explained_variance, {k_}));
  out.emplace_back(kRatioFile.filename, Npy(p_.explained_variance_ratio, {k_}));
  out.emplace_back(kSpectrumFile.filename, Npy(p_.spectrum, {static_cast<int64_t>(p_.spectrum.size())}));
  out.emplace_back(kModelJson, std::vector<uint8_t>(text.begin(), text.end()));
  return out;
}

Result<PcaModel> PcaModel::Decode(const std::map<std::string, std::vector<uint8_t>>& files, const std::string& what) {
  auto it = files.find(kModelJson);
  if (it == files.end()) return Status::NotFound(what + ": PCA model file model.json is missing");
  const nlohmann::json meta = nlohmann::json::parse(it->second.begin(), it->second.end(), nullptr, false);
  const std::string where = what + "/model.json";
  if (meta.is_discarded() || !meta.is_object()) return Status::Corrupt(where + ": not a JSON object");
  if (!meta.contains("format") || meta["format"] != kFormat)
    return Status::Corrupt(where + ": 'format' is not \"" + std::string(kFormat) + "\"");
  VERGER_ASSIGN_OR_RETURN(int64_t version, JsonInt(meta, "version", where));
  if (version != kFormatVersion)
    return Status::Unsupported(where + ": PCA model version " + std::to_string(version) + " (this build reads " +
                               std::to_string(kFormatVersion) + ")");
  VERGER_ASSIGN_OR_RETURN(int64_t dim, JsonInt(meta, "dim", where));
  VERGER_ASSIGN_OR_RETURN(int64_t k, JsonInt(meta, "components", where));
  VERGER_ASSIGN_OR_RETURN(int64_t spectrum_len, JsonInt(meta, "spectrum_length", where));
  if (dim < 1 || k < 1 || k > dim || spectrum_len < k || spectrum_len > dim)
    return Status::Corrupt(where + ": inconsistent dim " + std::to_string(dim) + ", components " +
                           std::to_string(k) + ", spectrum_length " + std::to_string(spectrum_len));
  PcaModelParts parts;
  VERGER_ASSIGN_OR_RETURN(parts.n_samples, JsonInt(meta, "n_samples", where));
  VERGER_ASSIGN_OR_RETURN(parts.total_variance, JsonNumber(meta, "total_variance", where));
  VERGER_ASSIGN_OR_RETURN(parts.noise_variance, JsonNumber(meta, "noise_variance", where));
  if (!meta.contains("whiten") || !meta["whiten"].is_boolean())
    return Status::Corrupt(where + ": 'whiten' missing or not a boolean");
  parts.whiten = meta["whiten"].get<bool>();
  if (!meta.contains("source_hash") || !meta["source_hash"].is_string())
    return Status::Corrupt(where + ": 'source_hash' missing or not a string");
  parts.source_hash = meta["source_hash"].get<std::string>();
  if (!meta.contains("files") || !meta["files"].is_object())
    return Status::Corrupt(where + ": 'files' missing or not an object");
  const nlohmann::json& names = meta["files"];
  VERGER_ASSIGN_OR_RETURN(parts.mean, ReadArray(files, names, kMeanFile, {dim}, what));
  VERGER_ASSIGN_OR_RETURN(parts.components, ReadArray(files, names, kComponentsFile, {k, dim}, what));
  VERGER_ASSIGN_OR_RETURN(parts.explained_variance, ReadArray(files, names, kVarianceFile, {k}, what));
  VERGER_ASSIGN_OR_RETURN(parts.explained_variance_ratio, ReadArray(files, names, kRatioFile, {k}, what));
  VERGER_ASSIGN_OR_RETURN(parts.spectrum, ReadArray(files, names, kSpectrumFile, {spectrum_len}, what));
  return Create(std::move(parts), what);
}

}  // namespace verger
