// Getting a TorchScript file for the torch backend: TorchScript weights are
// used as they are; ONNX graphs are imported in C++ (torch_onnx_import.h)
// and Keras VGG16 weights (.h5) converted in process (torch_vgg16.h), once,
// and cached; no Python at run time. Internal to the model library.
#pragma once

#include <string>

#include "core/status.h"
#include "model/model_spec.h"
#include "model/weights_kind.h"

namespace verger {

// Folder of converted models: $XDG_CACHE_HOME/verger, else ~/.cache/verger.
std::string TorchCacheDir();

// Path of a TorchScript file computing `spec`'s network. TorchScript
// weights: spec.weights itself. ONNX: <TorchCacheDir()>/onnx-<key>.pt (or, when that folder is not
// writable, <temp>/verger-cache-<uid>/...), the
// graph from spec.input_name to spec.feature_tensor imported in C++, keyed
// by the file's sha256, both tensor names and the importer version; an op
// the importer lacks is Unsupported naming the node. A VGG16 spec
// (feature_dim 4096) with .h5 weights: <TorchCacheDir()>/vgg16-<sha256 of
// the file>.pt, converted in process by ConvertKerasVgg16, written
// atomically (temporary name, then rename). Precision int8 needs a quantized TorchScript: .h5/ONNX weights
// are Unsupported (calibration is a deliberate step; the message says how).
// Anything else is Unsupported, naming the spec and the file.
// Thread-safe; concurrent conversions of one file both succeed.
Result<std::string> TorchScriptFor(const ModelSpec& spec);

}  // namespace verger
