#include "model/data_dir.h"

#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

namespace verger {

std::string DataDir(const char* env_var, const std::string& subdir, const std::string& build_tree_default) {
  const char* env = std::getenv(env_var);
  if (env != nullptr && *env != '\0') return env;
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&DataDir), &info) != 0 && info.dli_fname != nullptr) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir = fs::weakly_canonical(fs::absolute(info.dli_fname, ec), ec).parent_path();
    // bin/ is one level below the prefix, the Python package four.
    for (int up = 0; up < 5 && dir.has_relative_path(); ++up, dir = dir.parent_path()) {
      const fs::path candidate = dir / kInstalledDataSubdir / subdir;
      if (fs::is_directory(candidate, ec)) return candidate.string();
    }
  }
  return build_tree_default;
}

}  // namespace verger
