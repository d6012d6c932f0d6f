// Declarative description of a feature-extraction network: which weights,
// how to preprocess its input, which tensor to read and how to pool it.
// Specs come from the built-ins (BuiltinModelNames()) or from JSON spec
// files (format in docs/models.md). All functions here are pure or read
// files only; they are thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/preprocess_types.h"
#include "core/status.h"

namespace verger {

// How an NCHW feature tensor becomes one row per image: mean or max over
// the spatial dims (H x W), or kNone = flatten everything after the batch dim.
enum class Pooling { kAvg, kMax, kNone };

Result<Pooling> ParsePooling(std::string_view s);  // "avg", "max", "none"

std::string_view Name(Pooling p);

// The inference backend a spec asks for. kAuto: torch if it can run the
// weights, else opencv (CreateBackend); a backend that runs is never kAuto.
enum class BackendKind { kAuto, kOpenCv, kTorch };
enum class Device { kCpu, kCuda };  // kCuda: torch built against a CUDA LibTorch
// kBf16: weights and activations in bfloat16 (torch); kInt8: an already
// quantized TorchScript (torch, oneDNN, CPU only) or ONNX graph.
enum class Precision { kFp32, kBf16, kInt8 };

// The one place these names are read (spec files, CLI options, the Python
// API): InvalidArgument naming the accepted values, with a did-you-mean
// for a near miss ("trch" -> "torch").
Result<BackendKind> ParseBackendKind(std::string_view s);
Result<Device> ParseDevice(std::string_view s);
Result<Precision> ParsePrecision(std::string_view s);
std::string_view Name(BackendKind b);  // "auto", "opencv", "torch"
std::string_view Name(Device d);       // "cpu", "cuda"
std::string_view Name(Precision p);    // "fp32", "bf16", "int8"
// Every name the parsers accept, in the order above (for option validators).
const std::vector<std::string>& BackendKindNames();
const std::vector<std::string>& DeviceNames();
const std::vector<std::string>& PrecisionNames();

struct ModelSpec {
  std::string name;                 // "mobilenetv2", or the spec file's "name"
  std::string weights;              // absolute path of the weights file
  std::string format = "onnx";      // "onnx", or "torchscript" (backend "torch" only)
  BackendKind backend = BackendKind::kAuto;
  Device device = Device::kCpu;
  Precision precision = Precision::kFp32;
  std::string input_name;           // graph input, e.g. "input", "data_0"
  int input_width = 224, input_height = 224;
  ColorOrder color_order = ColorOrder::kRgb;
  Normalization normalization = Normalization::kNone;
  ResizeFilter resize_filter = ResizeFilter::kBilinear;
  std::string feature_tensor;       // ONNX tensor name to read (e.g. "627"), or a graph output
  Pooling pooling = Pooling::kAvg;
  int64_t feature_dim = 0;          // values per image after pooling; verified by CreateBackend
};

// Resolves NAME, a built-in ("mobilenetv2", "squeezenet", "vgg16") or the
// path of a JSON spec file. Built-ins find their weights in
// $VERGER_MODELS_DIR, else in VERGER_DEFAULT_MODELS_DIR. A non-empty
// `weights_override` replaces the weights file (relative: against the
// current directory). The weights file must exist: NotFound otherwise,
// naming the spec and the path; vgg16 without an override is
// InvalidArgument explaining how to obtain the file. An unknown name that
// is no readable file is NotFound listing the built-ins.
Result<ModelSpec> LoadModelSpec(const std::string& name_or_path, const std::string& weights_override = "");

// Parses a JSON spec document. `spec_path` names the document in errors,
// and a relative "weights" resolves against its folder. Does not touch the
// weights file. Errors (InvalidArgument) name spec_path and the field.
Result<ModelSpec> ParseModelSpec(const std::string& json_text, const std::string& spec_path);

// Canonical JSON (sorted keys, every field, no whitespace): parses back
// with ParseModelSpec to an equal spec. Goes into manifests.
std::string ModelSpecToJson(const ModelSpec& spec);

// Identity of "this network, preprocessed this way": sha256 of the
// canonical JSON in which "weights" is replaced by "sha256:<digest of the
// weights file>", so one network hashes alike wherever its file lies.
// Reads the whole weights file; errors name it.
Result<std::string> ModelSpecHash(const ModelSpec& spec);

// Built-in names, sorted.
std::vector<std::string> BuiltinModelNames();

bool operator==(const ModelSpec& a, const ModelSpec& b);

}  // namespace verger
