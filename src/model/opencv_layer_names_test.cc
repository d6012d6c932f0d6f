#include "model/opencv_layer_names.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace verger {
namespace {

using ::testing::HasSubstr;

// conv (named) -> relu (unnamed) -> split (2 outputs) -> graph output "out".
OnnxGraphInfo Graph() {
  OnnxGraphInfo g;
  g.inputs = {{"x", {-1, 3, 8, 8}}};
  g.outputs = {{"out", {-1, 4}}};
  // name, op_type, domain ("" = ai.onnx), inputs, outputs
  g.nodes = {{"conv1", "Conv", "", {"x", "w"}, {"c1"}},
             {"", "Relu", "", {"c1"}, {"r1"}},
             {"split", "Split", "", {"r1"}, {"s0", "s1"}},
             {"", "Shape", "", {"s0"}, {"shape"}},
             {"fc", "Gemm", "", {"s0"}, {"out"}}};
  return g;
}

const std::vector<std::string> kLayers = {"onnx_node!conv1", "onnx_node_output_0!r1", "onnx_node!split",
                                          "onnx_node!fc", "out"};

TEST(OpenCvLayerNames, MapsNamedUnnamedAndOutputTensors) {
  EXPECT_EQ(*OpenCvLayerForTensor(Graph(), kLayers, "c1", "m"), "onnx_node!conv1");
  EXPECT_EQ(*OpenCvLayerForTensor(Graph(), kLayers, "r1", "m"), "onnx_node_output_0!r1");
  EXPECT_EQ(*OpenCvLayerForTensor(Graph(), kLayers, "s0", "m"), "onnx_node!split");
  EXPECT_EQ(*OpenCvLayerForTensor(Graph(), kLayers, "out", "m"), "out");
}

TEST(OpenCvLayerNames, SecondOutputIsUnsupported) {
  auto r = OpenCvLayerForTensor(Graph(), kLayers, "s1", "m");
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("output 1 of Split"));
}

TEST(OpenCvLayerNames, FoldedOrUnknownTensorIsNotFoundWithSuggestions) {
  auto folded = OpenCvLayerForTensor(Graph(), kLayers, "shape", "m (f.onnx)");
  EXPECT_EQ(folded.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(folded.status().message(), HasSubstr("folded away"));
  EXPECT_THAT(folded.status().message(), HasSubstr("m (f.onnx)"));
  auto unknown = OpenCvLayerForTensor(Graph(), kLayers, "nope", "m");
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("\"c1\", \"r1\", \"s0\", \"out\""));
}

}  // namespace
}  // namespace verger
