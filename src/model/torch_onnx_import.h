// The torch backend's ONNX importer: an ONNX graph, cut at one tensor,
// becomes a TorchScript file (the graph as TorchScript source, see
// onnx_script.h, with the initializers as module buffers). No Python.
// Internal to the model library: torch_convert.cc caches its output.
#pragma once

#include <string>

#include "core/status.h"
#include "model/onnx_script.h"

namespace verger {

// Reads `onnx_path`, translates it with `options` and saves the module
// (unfrozen: the backend freezes and optimises at load) to `out_path`.
// Errors name options.who; unsupported ops are Unsupported naming the node.
Status ImportOnnxToTorchScript(const std::string& onnx_path, const OnnxScriptOptions& options,
                               const std::string& out_path);

}  // namespace verger
