#include "model/backend_plugin.h"

#include <dlfcn.h>
#include <link.h>
#include <malloc.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>
#include <vector>

namespace verger {
namespace {

using Factory = decltype(&verger_create_backend);
using AbiFn = decltype(&verger_backend_plugin_abi);

std::string PluginFile(const std::string& name) { return "libverger_" + name + ".so"; }

// The folders the dynamic linker searches for a dlopen from this code
// (LD_LIBRARY_PATH, the calling object's RUNPATH, system folders), for
// error messages.
std::vector<std::string> LinkerSearchPath() {
  Dl_info info{};
  void* self = nullptr;
  if (dladdr(reinterpret_cast<void*>(&LinkerSearchPath), &info) != 0 && info.dli_fname != nullptr)
    self = dlopen(info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (self == nullptr) self = dlopen(nullptr, RTLD_LAZY);  // the executable
  std::vector<std::string> dirs;
  Dl_serinfo size{};
  if (self == nullptr || dlinfo(self, RTLD_DI_SERINFOSIZE, &size) != 0) return dirs;
  std::vector<char> buffer(size.dls_size);
  auto* info_list = reinterpret_cast<Dl_serinfo*>(buffer.data());
  *info_list = size;
  if (dlinfo(self, RTLD_DI_SERINFO, info_list) != 0) return dirs;
  for (unsigned i = 0; i < info_list->dls_cnt; ++i)
    dirs.push_back(std::filesystem::path(info_list->dls_serpath[i].dls_name).lexically_normal().string());
  return dirs;
}

// The first absolute folder of LinkerSearchPath() holding `file`, as an
// absolute path; else `file` itself, for the dynamic linker to search. The
// search is done here because a sanitizer runtime intercepts dlopen: the
// linker then searches the RUNPATH of the runtime library, not ours, and
// misses the plugins beside the build. Relative entries (an empty RUNPATH
// element means the working directory) are never searched here.
std::string FindOnSearchPath(const std::string& file) {
  std::error_code ec;
  for (const auto& dir : LinkerSearchPath()) {
    if (dir.empty() || dir[0] != '/') continue;
    const std::filesystem::path candidate = std::filesystem::path(dir) / file;
    if (std::filesystem::is_regular_file(candidate, ec)) return candidate.string();
  }
  return file;
}

Result<Factory> LoadFactory(const std::string& name) {
  static std::mutex mu;
  static std::map<std::string, Factory> loaded;
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = loaded.find(name); it != loaded.end()) return it->second;
  TuneProcessForInference();
  const std::string file = PluginFile(name);
  const char* dir = std::getenv("VERGER_PLUGIN_DIR");
  const bool explicit_dir = dir != nullptr && *dir != '\0';
  const std::string target = explicit_dir ? std::string(dir) + "/" + file : FindOnSearchPath(file);
  void* handle = dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* error = dlerror();
    const std::string why = error != nullptr ? error : "unknown error";  // copied: the next dl* call reuses it
    std::string searched;
    if (explicit_dir) {
      searched = std::string(dir) + " ($VERGER_PLUGIN_DIR)";
    } else {
      for (const auto& d : LinkerSearchPath()) searched += (searched.empty() ? "" : ", ") + d;
      if (searched.empty()) searched = "the dynamic linker's path";
    }
    return Status::Unsupported("backend " + name + ": cannot load its plugin " + file + " (searched " + searched +
                               "): " + why +
                               "; reinstall verger (scripts/setup) or set VERGER_PLUGIN_DIR to the folder holding " +
                               file);
  }
  auto abi = reinterpret_cast<AbiFn>(dlsym(handle, "verger_backend_plugin_abi"));
  auto factory = reinterpret_cast<Factory>(dlsym(handle, "verger_create_backend"));
  if (abi == nullptr || factory == nullptr || abi() != VERGER_BACKEND_PLUGIN_ABI) {
    Dl_info info{};
    std::string path = file;
    if (factory != nullptr && dladdr(reinterpret_cast<void*>(factory), &info) != 0 && info.dli_fname) path = info.dli_fname;
    dlclose(handle);
    return Status::Unsupported("backend " + name + ": " + path +
                               " is not a verger backend plugin of this version; rebuild and reinstall verger");
  }
  loaded[name] = factory;  // never unloaded: backends and their threads may outlive any caller
  return factory;
}

}  // namespace

void TuneProcessForInference() {
  static std::once_flag once;
  std::call_once(once, [] {
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    setenv("OMP_WAIT_POLICY", "PASSIVE", /*overwrite=*/0);
  });
}

Result<std::unique_ptr<InferenceBackend>> CreatePluginBackend(const std::string& name, const ModelSpec& spec,
                                                              const BackendOptions& options) {
  VERGER_ASSIGN_OR_RETURN(Factory factory, LoadFactory(name));
  Result<std::unique_ptr<InferenceBackend>> out = Status::Internal("backend " + name + ": plugin returned nothing");
  factory(spec, options, &out);
  return out;
}

}  // namespace verger
