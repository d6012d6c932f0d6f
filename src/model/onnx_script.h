// Translates an ONNX graph into TorchScript source: the torch backend's
// ONNX importer without LibTorch (torch_onnx_import.cc compiles the source
// into a module). The graph is cut at one tensor: only the nodes it depends
// on are translated.
//
// Quantized graphs (QuantizeLinear, QLinearConv, ...) run in float32 on
// integer levels: activations and weights hold q - zero_point (exact in
// float32), convolutions sum them exactly, and each requantization rounds
// and clamps as the int8 kernels do. docs/models.md says why (measured).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "model/onnx_graph.h"

namespace verger {

// Bumped whenever the generated code changes: part of the conversion cache key.
inline constexpr int kOnnxImporterVersion = 8;

struct OnnxScriptOptions {
  std::string input_name;     // graph input fed with the N x C x H x W batch
  std::string output_tensor;  // tensor returned by forward (any node output)
  std::string who;            // prefix of every error, e.g. "model resnet50"
};

struct TorchScriptGraph {
  // `def forward(self, x: Tensor) -> Tensor:` plus helper methods; weights
  // are referenced as self.<param name>.
  std::string source;
  // Module attributes the source reads: float32 or int64 tensors.
  std::vector<OnnxTensor> params;
};

// The ONNX ops the translation covers, sorted, comma-separated (for errors and docs).
std::string SupportedOnnxOps();

// `graph` must come with its initializers (ReadOnnxGraphInfo(path, true));
// they are moved out of it. An op or attribute value outside the supported
// set is Unsupported naming the node and the op; an unknown input or output
// tensor is NotFound.
Result<TorchScriptGraph> OnnxToTorchScript(OnnxGraphInfo& graph, const OnnxScriptOptions& options);

}  // namespace verger
