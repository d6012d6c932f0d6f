#include "model/data_dir.h"

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <filesystem>

namespace verger {

std::string DataDir(const char* env_var, const std::string& subdir, const std::string& build_tree_default) {
  const char* env = std::getenv(env_var);
  if (env != nullptr && *env != '\0') return env;
  namespace fs = std::filesystem;
  Dl_info info{};
  link_map* object = nullptr;
  if (dladdr1(reinterpret_cast<void*>(&DataDir), &info, reinterpret_cast<void**>(&object), RTLD_DL_LINKMAP) != 0 &&
      object != nullptr) {
    // The main program's link map has no name (dli_fname is then argv[0], maybe a bare name found on PATH).
    const fs::path file = object->l_name[0] == '\0' ? fs::path("/proc/self/exe") : fs::path(object->l_name);
    std::error_code ec;
    fs::path dir = fs::weakly_canonical(fs::absolute(file, ec), ec).parent_path();
    // bin/ is one level below the prefix, the Python package four.
    for (int up = 0; up < 5 && dir.has_relative_path(); ++up, dir = dir.parent_path()) {
      const fs::path candidate = dir / kInstalledDataSubdir / subdir;
      if (fs::is_directory(candidate, ec)) return candidate.string();
    }
  }
  return build_tree_default;
}

}  // namespace verger
