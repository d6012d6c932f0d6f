// Getting a TorchScript file for the torch backend: TorchScript weights are
// used as they are; Keras VGG16 weights (.h5) are converted once in process
// (torch_vgg16.h, no Python) and a Keras-exported VGG16 ONNX by
// scripts/convert_vgg16.py, both cached. Internal to the model library.
#pragma once

#include <string>

#include "core/status.h"
#include "model/model_spec.h"
#include "model/weights_kind.h"

namespace verger {

// Folder of converted models: $XDG_CACHE_HOME/verger, else ~/.cache/verger.
std::string TorchCacheDir();

// Path of a TorchScript file computing `spec`'s network. TorchScript
// weights: spec.weights itself. A VGG16 spec (feature_dim 4096) with .h5 or
// ONNX weights: <TorchCacheDir()>/vgg16-<sha256 of the file>.pt, created
// atomically (temporary name, then rename): from .h5 by ConvertKerasVgg16;
// from ONNX by running /usr/bin/python3 (or $VERGER_PYTHON) on
// convert_vgg16.py from $VERGER_SCRIPTS_DIR, else the installation's
// share/verger/scripts, else the source tree's scripts/ (DataDir). Precision int8 needs a quantized TorchScript: .h5/ONNX weights
// are Unsupported (calibration is a deliberate step; the message says how).
// Anything else is Unsupported, naming the spec and the file.
// Thread-safe; concurrent conversions of one file both succeed.
Result<std::string> TorchScriptFor(const ModelSpec& spec);

}  // namespace verger
