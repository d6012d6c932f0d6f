// Finding the data an installation ships (models, helper scripts) without
// pointing into the build tree or the checkout.
#pragma once

#include <string>

namespace verger {

// Where an install puts its data, under its prefix.
inline constexpr const char* kInstalledDataSubdir = "share/verger";

// $<env_var> when set and non-empty; else <prefix>/share/verger/<subdir>
// of the installation holding this code (found from the program or shared
// object it is linked into: <prefix>/bin/verger, <prefix>/lib/*.so,
// <prefix>/lib/python3/dist-packages/verger/_verger*.so); else
// `build_tree_default` (running from a build tree).
std::string DataDir(const char* env_var, const std::string& subdir, const std::string& build_tree_default);

}  // namespace verger
