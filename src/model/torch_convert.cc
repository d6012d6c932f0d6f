#include "model/torch_convert.h"

#include <spawn.h>
#include <sys/wait.h>

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

extern char** environ;

namespace verger {
namespace {

namespace fs = std::filesystem;

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

// Runs argv[0] with argv, waits; OK on exit status 0.
Status RunProcess(const std::vector<std::string>& args, const std::string& what) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], nullptr, nullptr, argv.data(), environ);
  if (rc != 0) return Status::IOError(what + ": cannot start " + args[0] + ": " + std::strerror(rc));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Status::IOError(what + ": waitpid: " + std::strerror(errno));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Status::Internal(what + ": " + args[1] + " failed (exit status " +
                            std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + "; its message is above)");
  }
  return Status::OK();
}

// A private temporary name per process and thread, renamed onto the cache entry when complete.
fs::path TempNameFor(const fs::path& out) {
  return out.string() + "." + std::to_string(getpid()) + "-" +
         std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()));
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
  const fs::path dir = TorchCacheDir();
  const fs::path out = dir / ("onnx-" + key.substr(0, 40) + ".pt");
  std::error_code ec;
  if (fs::is_regular_file(out, ec)) return out.string();
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(who + ": cannot create cache folder " + dir.string() + ": " + ec.message());
  const fs::path tmp = TempNameFor(out);
  Status imported = ImportOnnxToTorchScript(spec.weights, options, tmp.string());
  if (!imported.ok()) {
    fs::remove(tmp, ec);
    return imported;
  }
  fs::rename(tmp, out, ec);
  if (ec) return Status::IOError(who + ": cannot move converted model to " + out.string() + ": " + ec.message());
  return out.string();
}

}  // namespace

Result<WeightsKind> SniffWeights(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IOError("weights " + path + ": cannot open");
  char head[8] = {};
  in.read(head, sizeof head);
  if (in.gcount() >= 4 && std::memcmp(head, "PK\x03\x04", 4) == 0) return WeightsKind::kTorchScript;
  if (in.gcount() == 8 && std::memcmp(head, "\x89HDF\r\n\x1a\n", 8) == 0) return WeightsKind::kHdf5;
  if (fs::path(path).extension() == ".onnx") return WeightsKind::kOnnx;
  return WeightsKind::kUnknown;
}

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
  if (spec.precision == "int8") {
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
  const std::string digest = Sha256Hex(file->bytes());
  const fs::path dir = TorchCacheDir();
  const fs::path out = dir / ("vgg16-" + digest + ".pt");
  std::error_code ec;
  if (fs::is_regular_file(out, ec)) return out.string();
  fs::create_directories(dir, ec);
  if (ec) return Status::IOError(who + ": cannot create cache folder " + dir.string() + ": " + ec.message());
  const std::string script = EnvOr("VERGER_SCRIPTS_DIR", VERGER_SOURCE_SCRIPTS_DIR) + "/convert_vgg16.py";
  // A private temporary name per process: the script renames atomically onto it, we rename onto `out`.
  const fs::path tmp = dir / ("vgg16-" + digest + ".pt." + std::to_string(getpid()));
  VERGER_RETURN_IF_ERROR(
      RunProcess({EnvOr("VERGER_PYTHON", "/usr/bin/python3"), script, spec.weights, tmp.string()},
                 who + ": converting to TorchScript"));
  fs::rename(tmp, out, ec);
  if (ec) return Status::IOError(who + ": cannot move converted model to " + out.string() + ": " + ec.message());
  return out.string();
}

}  // namespace verger
