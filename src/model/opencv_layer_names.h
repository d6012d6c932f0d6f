// Maps ONNX tensor names to the layer names OpenCV DNN gives them: OpenCV
// names layers after nodes, not tensors. Internal to the model library.
#pragma once

#include <string>
#include <vector>

#include "core/status.h"
#include "model/onnx_graph.h"

namespace verger {

// The OpenCV layer whose output 0 is `tensor`, given the net's layer names.
// OpenCV 4.6's ONNX importer names a node's layer "onnx_node!<node name>",
// or "onnx_node_output_0!<first output>" when the node is unnamed, and adds
// a layer named after each graph output. So "627" in MobileNetV2 is layer
// "onnx_node!627_DequantizeLinear" and SqueezeNet's "fire9/concat_1" is
// "onnx_node_output_0!fire9/concat_1".
// NotFound (naming `who`, the tensor and a few valid tensor names) when the
// tensor does not exist or OpenCV folded its node away at import;
// Unsupported when it is a node's second or later output.
Result<std::string> OpenCvLayerForTensor(const OnnxGraphInfo& graph, const std::vector<std::string>& layer_names,
                                         const std::string& tensor, const std::string& who);

}  // namespace verger
