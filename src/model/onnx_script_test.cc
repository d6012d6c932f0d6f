#include "model/onnx_script.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace verger {
namespace {

using ::testing::HasSubstr;

OnnxNode Node(std::string name, std::string op, std::vector<std::string> in, std::vector<std::string> out) {
  OnnxNode n;
  n.name = std::move(name);
  n.op_type = std::move(op);
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  return n;
}

// x -> Relu (r) -> NonMaxSuppression (bad) -> Sigmoid (y)
OnnxGraphInfo Chain() {
  OnnxGraphInfo g;
  g.opset = 13;
  g.inputs.push_back({"x", {-1, 3, 8, 8}});
  g.nodes = {Node("relu", "Relu", {"x"}, {"r"}), Node("nms", "NonMaxSuppression", {"r"}, {"s"}),
             Node("sig", "Sigmoid", {"s"}, {"y"})};
  return g;
}

OnnxScriptOptions Options(const std::string& out) {
  return OnnxScriptOptions{.input_name = "x", .output_tensor = out, .who = "model m"};
}

TEST(OnnxScript, UnsupportedOpNamesNodeAndOp) {
  OnnxGraphInfo g = Chain();
  auto r = OnnxToTorchScript(g, Options("y"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(r.status().message(), HasSubstr("model m: ONNX node 'nms' (op NonMaxSuppression) is not supported"));
  EXPECT_THAT(r.status().message(), HasSubstr("QLinearConv"));  // lists what is supported
  EXPECT_THAT(r.status().message(), HasSubstr("--backend opencv"));
}

TEST(OnnxScript, CutsTheGraphAtTheFeatureTensor) {
  OnnxGraphInfo g = Chain();
  auto r = OnnxToTorchScript(g, Options("r"));  // the unsupported node lies beyond the cut
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_THAT(r->source, HasSubstr("torch.relu(x)"));
  EXPECT_THAT(r->source, ::testing::Not(HasSubstr("sigmoid")));
}

TEST(OnnxScript, UnknownTensorsAreNotFound) {
  OnnxGraphInfo g = Chain();
  auto r = OnnxToTorchScript(g, Options("nope"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr("'nope'"));
  OnnxGraphInfo g2 = Chain();
  auto opts = Options("r");
  opts.input_name = "data";
  EXPECT_EQ(OnnxToTorchScript(g2, opts).status().code(), StatusCode::kNotFound);
}

TEST(OnnxScript, UnsupportedAttributeValueNamesNode) {
  OnnxGraphInfo g = Chain();
  g.nodes = {Node("pool", "MaxPool", {"x"}, {"y"})};
  OnnxAttribute k;
  k.name = "kernel_shape";
  k.ints = {2, 2};
  OnnxAttribute order;
  order.name = "storage_order";
  order.i = 1;
  g.nodes[0].attributes = {k, order};
  auto r = OnnxToTorchScript(g, Options("y"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("ONNX node 'pool' (op MaxPool): storage_order 1"));
}

TEST(OnnxScript, InitializersBecomeParams) {
  OnnxGraphInfo g = Chain();
  OnnxTensor w;
  w.name = "w";
  w.data_type = kOnnxFloat;
  w.dims = {4, 3, 1, 1};
  w.data.resize(4 * 3 * 4);
  g.initializers.push_back(w);
  g.nodes = {Node("conv", "Conv", {"x", "w"}, {"y"})};
  auto r = OnnxToTorchScript(g, Options("y"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->params.size(), 1u);
  EXPECT_EQ(r->params[0].dims, (std::vector<int64_t>{4, 3, 1, 1}));
  EXPECT_THAT(r->source, HasSubstr("torch.conv2d(x, self." + r->params[0].name + ", None, [1, 1], [0, 0], [1, 1], 1)"));
}

}  // namespace
}  // namespace verger
