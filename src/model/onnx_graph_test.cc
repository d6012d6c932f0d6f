#include "model/onnx_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

namespace verger {
namespace {

std::string Model(const std::string& file) { return std::string(VERGER_DEFAULT_MODELS_DIR) + "/" + file; }

bool Produces(const OnnxGraphInfo& g, const std::string& node_name, const std::string& tensor) {
  return std::any_of(g.nodes.begin(), g.nodes.end(), [&](const OnnxNode& n) {
    return n.name == node_name && !n.outputs.empty() && n.outputs[0] == tensor;
  });
}

TEST(OnnxGraph, MobileNetV2InputsOutputsAndNodes) {
  auto g = ReadOnnxGraphInfo(Model("mobilenetv2-12-int8.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->inputs.size(), 1u);  // initializers are not inputs
  EXPECT_EQ(g->inputs[0].name, "input");
  EXPECT_EQ(g->inputs[0].dims, (std::vector<int64_t>{-1, 3, 224, 224}));  // symbolic batch
  ASSERT_EQ(g->outputs.size(), 1u);
  EXPECT_EQ(g->outputs[0].name, "output");
  EXPECT_EQ(g->outputs[0].dims, (std::vector<int64_t>{-1, 1000}));
  EXPECT_TRUE(Produces(*g, "627_DequantizeLinear", "627"));
}

TEST(OnnxGraph, SqueezeNetDeclaresBatchOneAndUnnamedNodes) {
  auto g = ReadOnnxGraphInfo(Model("squeezenet1.1-fp32.onnx"));
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->inputs.size(), 1u);
  EXPECT_EQ(g->inputs[0].name, "data_0");
  EXPECT_EQ(g->inputs[0].dims, (std::vector<int64_t>{1, 3, 224, 224}));
  EXPECT_EQ(g->outputs[0].name, "softmaxout_1");
  EXPECT_TRUE(Produces(*g, "", "fire9/concat_1"));
  auto concat = std::find_if(g->nodes.begin(), g->nodes.end(),
                             [](const OnnxNode& n) { return !n.outputs.empty() && n.outputs[0] == "fire9/concat_1"; });
  ASSERT_NE(concat, g->nodes.end());
  EXPECT_EQ(concat->op_type, "Concat");
  EXPECT_EQ(concat->inputs, (std::vector<std::string>{"fire9/expand1x1_2", "fire9/expand3x3_2"}));
}

TEST(OnnxGraph, CorruptBytesNameThePath) {
  const uint8_t junk[] = {0x3a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};  // field 7, absurd length
  auto g = ParseOnnxGraphInfo(junk, "/x/junk.onnx");
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kCorrupt);
  EXPECT_THAT(g.status().message(), ::testing::HasSubstr("/x/junk.onnx"));
  auto missing = ReadOnnxGraphInfo("/nonexistent/m.onnx");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace verger
