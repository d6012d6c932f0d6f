#include "model/opencv_layer_names.h"

#include <set>

namespace verger {
namespace {

std::string LayerNameOfNode(const OnnxNode& node) {
  if (!node.name.empty()) return "onnx_node!" + node.name;
  return node.outputs.empty() ? std::string() : "onnx_node_output_0!" + node.outputs[0];
}

// Quantized ops yield int8 tensors, useless as features: not suggested.
bool IsQuantizedOp(const std::string& op) {
  return op.rfind("QLinear", 0) == 0 || op == "QuantizeLinear" || op == "DynamicQuantizeLinear" ||
         op == "ConvInteger" || op == "MatMulInteger";
}

// Up to `n` float tensors nearest the graph's end that OpenCV can return.
// Int8 tensors (quantized ops and what reshapes them) are left out.
std::string ValidTensorExamples(const OnnxGraphInfo& graph, const std::set<std::string>& layers, size_t n) {
  std::set<std::string> int8;
  std::vector<std::string> readable;
  for (const auto& node : graph.nodes) {
    bool q = IsQuantizedOp(node.op_type) ||
             (node.op_type != "DequantizeLinear" && !node.inputs.empty() && int8.count(node.inputs[0]));
    if (node.outputs.empty()) continue;
    if (q) int8.insert(node.outputs.begin(), node.outputs.end());
    else if (layers.count(LayerNameOfNode(node))) readable.push_back("\"" + node.outputs[0] + "\"");
  }
  if (readable.size() > n) readable.erase(readable.begin(), readable.end() - n);
  std::string out;
  for (const auto& t : readable) out += (out.empty() ? "" : ", ") + t;
  return out;
}

}  // namespace

Result<std::string> OpenCvLayerForTensor(const OnnxGraphInfo& graph, const std::vector<std::string>& layer_names,
                                         const std::string& tensor, const std::string& who) {
  std::set<std::string> layers(layer_names.begin(), layer_names.end());
  for (const auto& out : graph.outputs) {
    if (out.name == tensor && layers.count(tensor)) return tensor;
  }
  auto not_found = [&](const std::string& why) {
    return Status::NotFound("model " + who + ": feature tensor \"" + tensor + "\" " + why +
                            "; tensors near the output that can be read: " + ValidTensorExamples(graph, layers, 8));
  };
  for (const auto& node : graph.nodes) {
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] != tensor) continue;
      if (i != 0) {
        return Status::Unsupported("model " + who + ": feature tensor \"" + tensor + "\" is output " +
                                   std::to_string(i) + " of " + node.op_type +
                                   " node; OpenCV DNN can only read a node's first output");
      }
      std::string layer = LayerNameOfNode(node);
      if (!layers.count(layer)) {
        return not_found("(output of " + node.op_type + " node \"" + node.name +
                         "\") was folded away by OpenCV's ONNX importer");
      }
      return layer;
    }
  }
  return not_found("is not produced by any node of the graph");
}

}  // namespace verger
