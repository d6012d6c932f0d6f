// The built-in model table. Internal to the model library.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/model_spec.h"

namespace verger {

// The spec of built-in `name` with `weights` holding only the file name
// (LoadModelSpec resolves it), or nullopt if `name` is no built-in.
std::optional<ModelSpec> BuiltinSpec(const std::string& name);

// Folder holding the shipped networks: $VERGER_MODELS_DIR; else
// <prefix>/share/verger/models of the installation this code runs from;
// else (a build tree) the compile-time VERGER_DEFAULT_MODELS_DIR
// (DataDir).
std::string ModelsDir();

}  // namespace verger
