#include "model/torch_convert.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>
#include <vector>

#include "core/hash.h"
#include "model/mapped_file.h"
#include "model/torch_onnx_import.h"
#include "model/torch_vgg16.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// A private temporary name per process and thread, renamed onto the cache entry when complete.
fs::path TempNameFor(const fs::path& out) {
  return out.string() + "." + std::to_string(getpid()) + "-" +
         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
}

// <TorchCacheDir()>/<name>: returned at once when there, else made by
// `convert(temporary path)` and renamed into place, so the cache never holds
// half a model and concurrent conversions of one file both succeed.
Result<std::string> Cached(const std::string& name, const std::string& who,
                           const std::function<Status(const std::string&)>& convert) {
  fs::path dir = TorchCacheDir();
  std::error_code ec;
  if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  fs::create_directories(dir, ec);
  if (ec || access(dir.c_str(), W_OK) != 0) {
    // A home without a writable cache (a service account, a read-only
    // home): a private folder in the temporary directory instead.
    const fs::path fallback = fs::temp_directory_path(ec) / ("verger-cache-" + std::to_string(getuid()));
    std::error_code ec2;
    fs::create_directories(fallback, ec2);
    struct stat st {};
    // Ours alone: /tmp is shared, and a folder another user made could hand us their model files.
    if (ec2 || access(fallback.c_str(), W_OK) != 0 || lstat(fallback.c_str(), &st) != 0 || st.st_uid != getuid() ||
        !S_ISDIR(st.st_mode))
      return Status::IOError(who + ": cannot create cache folder " + dir.string() + " (nor " + fallback.string() +
                             "); set XDG_CACHE_HOME to a writable folder");
    dir = fallback;
    if (fs::is_regular_file(dir / name, ec)) return (dir / name).string();
  }
  const fs::path out = dir / name;
  const fs::path tmp = TempNameFor(out);
  Status made = convert(tmp.string());
  if (!made.ok()) {
    fs::remove(tmp, ec);
    return made;
  }
  fs::rename(tmp, out, ec);
  if (ec) return Status::IOError(who + ": cannot move converted model to " + out.string() + ": " + ec.message());
  return out.string();
}

// The spec's ONNX graph through the importer, cached per weights digest,
// graph cut and importer version.
Result<std::string> ImportedOnnx(const ModelSpec& spec, const std::string& who) {
  auto file = MappedFile::Open(spec.weights);
  if (!file.ok()) return file.status().WithContext(who);
  OnnxScriptOptions options;
  options.input_name = spec.input_name;
  options.output_tensor = spec.feature_tensor;
  options.who = "model " + spec.name;
  const std::string key = Sha256Hex(Sha256Hex(file->bytes()) + "\n" + spec.input_name + "\n" + spec.feature_tensor +
                                    "\nimporter " + std::to_string(kOnnxImporterVersion));
  return Cached("onnx-" + key.substr(0, 40) + ".pt", who,
                [&](const std::string& tmp) { return ImportOnnxToTorchScript(spec.weights, options, tmp); });
}

}  // namespace

std::string TorchCacheDir() {
  std::string base = EnvOr("XDG_CACHE_HOME", "");
  if (base.empty()) base = EnvOr("HOME", "/tmp") + "/.cache";
  return base + "/verger";
}

Result<std::string> TorchScriptFor(const ModelSpec& spec) {
  VERGER_ASSIGN_OR_RETURN(WeightsKind kind, SniffWeights(spec.weights));
  if (kind == WeightsKind::kTorchScript) return spec.weights;
  const std::string who = "model " + spec.name + ": weights " + spec.weights;
  if (kind == WeightsKind::kUnknown) {
    return Status::Unsupported(who + " is neither TorchScript (.pt), Keras HDF5 (.h5) nor ONNX (.onnx)");
  }
  if (spec.precision == Precision::kInt8) {
    return Status::Unsupported(who + ": precision int8 needs a quantized TorchScript, calibrated on photos like yours: "
                               "scripts/convert_vgg16.py " + spec.weights +
                               " vgg16-int8.pt --int8 CALIBRATION_DIR, then --weights vgg16-int8.pt");
  }
  if (kind == WeightsKind::kOnnx) return ImportedOnnx(spec, who);
  if (spec.feature_dim != 4096 || spec.input_width != 224 || spec.input_height != 224) {
    return Status::Unsupported(who + ": the torch backend converts only Keras VGG16 (fc2, 4096-d, 224x224) from "
                               "HDF5; export other networks to TorchScript (torch.jit.script(model).save(...))");
  }
  auto file = MappedFile::Open(spec.weights);
  if (!file.ok()) return file.status().WithContext(who);
  return Cached("vgg16-" + Sha256Hex(file->bytes()) + ".pt", who, [&](const std::string& tmp) {
    return ConvertKerasVgg16(spec.weights, tmp).WithContext("model " + spec.name);  // in process: no Python
  });
}

}  // namespace verger
