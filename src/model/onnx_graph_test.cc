#include "model/onnx_graph.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
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

namespace verger {
namespace {

// Hand-written protobuf wire bytes, to reach every TensorProto field layout.
struct Pb {
  std::string b;
  void Key(uint32_t field, uint32_t wire) { Raw(uint64_t(field) << 3 | wire); }
  void Raw(uint64_t v) {
    do {
      b += char((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v);
  }
  Pb& Int(uint32_t field, int64_t v) { Key(field, 0); Raw(uint64_t(v)); return *this; }
  Pb& Str(uint32_t field, const std::string& s) { Key(field, 2); Raw(s.size()); b += s; return *this; }
  Pb& Msg(uint32_t field, const Pb& m) { return Str(field, m.b); }
  Pb& Float(uint32_t field, float f) {
    Key(field, 5);
    b.append(reinterpret_cast<const char*>(&f), 4);
    return *this;
  }
  Pb& PackedInts(uint32_t field, const std::vector<int64_t>& v) {
    Pb p;
    for (int64_t x : v) p.Raw(uint64_t(x));
    return Str(field, p.b);
  }
  Pb& PackedFloats(uint32_t field, const std::vector<float>& v) {
    return Str(field, std::string(reinterpret_cast<const char*>(v.data()), v.size() * 4));
  }
  std::span<const uint8_t> bytes() const { return {reinterpret_cast<const uint8_t*>(b.data()), b.size()}; }
};

Pb Tensor(const std::string& name, int32_t type, const std::vector<int64_t>& dims) {
  Pb t;
  t.Str(8, name).Int(2, type).PackedInts(1, dims);
  return t;
}

// ModelProto{opset_import{"" v}, graph{initializer..., node...}}.
Pb Model(const std::vector<Pb>& initializers, const std::vector<Pb>& nodes, int64_t opset = 13) {
  Pb g;
  for (const auto& n : nodes) g.Msg(1, n);
  for (const auto& t : initializers) g.Msg(5, t);
  Pb m;
  m.Int(1, 7).Msg(8, Pb().Str(1, "com.microsoft").Int(2, 1)).Msg(8, Pb().Int(2, opset)).Msg(7, g);
  return m;
}

TEST(OnnxGraph, DecodesInitializersFromEveryField) {
  const float raw[] = {1.5f, -2.f, 3.f, 0.25f};
  Pb raw_t = Tensor("raw", kOnnxFloat, {2, 2});
  raw_t.Str(9, std::string(reinterpret_cast<const char*>(raw), sizeof raw));
  Pb floats = Tensor("floats", kOnnxFloat, {3});
  floats.PackedFloats(4, {0.5f, 1.f, -1.f});
  Pb unpacked = Tensor("unpacked", kOnnxFloat, {2});
  unpacked.Float(4, 7.f).Float(4, 8.f);
  Pb int64s = Tensor("int64s", kOnnxInt64, {2});
  int64s.PackedInts(7, {-1, int64_t(1) << 40});
  Pb int8s = Tensor("int8s", kOnnxInt8, {3});
  int8s.PackedInts(5, {-128, 0, 127});  // int32_data carries small types
  Pb uint8s = Tensor("uint8s", kOnnxUint8, {});
  uint8s.PackedInts(5, {200});
  Pb int32s = Tensor("int32s", kOnnxInt32, {2});
  int32s.PackedInts(5, {-108921, 11872});
  Pb m = Model({raw_t, floats, unpacked, int64s, int8s, uint8s, int32s}, {});
  auto g = ParseOnnxGraphInfo(m.bytes(), "m.onnx", /*with_initializers=*/true);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->initializers.size(), 7u);
  std::map<std::string, const OnnxTensor*> by;
  for (const auto& t : g->initializers) by[t.name] = &t;
  EXPECT_EQ(by["raw"]->dims, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(by["raw"]->AsDoubles(), (std::vector<double>{1.5, -2, 3, 0.25}));
  EXPECT_EQ(by["floats"]->AsDoubles(), (std::vector<double>{0.5, 1, -1}));
  EXPECT_EQ(by["unpacked"]->AsDoubles(), (std::vector<double>{7, 8}));
  EXPECT_EQ(by["int64s"]->AsInts(), (std::vector<int64_t>{-1, int64_t(1) << 40}));
  EXPECT_EQ(by["int8s"]->AsInts(), (std::vector<int64_t>{-128, 0, 127}));
  EXPECT_EQ(by["int8s"]->data.size(), 3u);
  EXPECT_EQ(by["uint8s"]->AsInts(), (std::vector<int64_t>{200}));
  EXPECT_EQ(by["int32s"]->AsInts(), (std::vector<int64_t>{-108921, 11872}));
  EXPECT_EQ(g->opset, 13);
  // Without with_initializers only the names are kept (payloads never copied).
  auto light = ParseOnnxGraphInfo(m.bytes(), "m.onnx");
  ASSERT_TRUE(light.ok());
  EXPECT_TRUE(light->initializers.empty());
}

TEST(OnnxGraph, ExternalDataAndShortPayloadsAreErrorsNamingTheTensor) {
  Pb ext = Tensor("big_weight", kOnnxFloat, {1000});
  ext.Msg(13, Pb().Str(1, "location").Str(2, "weights.bin")).Int(14, 1);
  auto g = ParseOnnxGraphInfo(Model({ext}, {}).bytes(), "/m/ext.onnx", true);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), StatusCode::kUnsupported);
  EXPECT_THAT(g.status().message(), ::testing::AllOf(::testing::HasSubstr("/m/ext.onnx"), ::testing::HasSubstr("big_weight"),
                                                     ::testing::HasSubstr("external data")));
  EXPECT_TRUE(ParseOnnxGraphInfo(Model({ext}, {}).bytes(), "/m/ext.onnx").ok());  // names only: fine
  Pb shorter = Tensor("short", kOnnxFloat, {4});
  shorter.Str(9, std::string(8, '\0'));
  auto s = ParseOnnxGraphInfo(Model({shorter}, {}).bytes(), "/m/s.onnx", true);
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.status().message(), ::testing::HasSubstr("short"));
}

TEST(OnnxGraph, NodeAttributesAndDomain) {
  Pb value = Tensor("", kOnnxInt64, {2});
  value.PackedInts(7, {3, -4});
  Pb node;
  node.Str(1, "x").Str(1, "").Str(2, "y").Str(3, "n1").Str(4, "QLinearAdd").Str(7, "com.microsoft");
  node.Msg(5, Pb().Str(1, "group").Int(20, 2).Int(3, 32));
  node.Msg(5, Pb().Str(1, "pads").Int(20, 7).PackedInts(8, {1, 1, 0, 2}));
  node.Msg(5, Pb().Str(1, "alpha").Int(20, 1).Float(2, 0.2f));
  node.Msg(5, Pb().Str(1, "scales").Int(20, 6).PackedFloats(7, {0.5f, 2.f}));
  node.Msg(5, Pb().Str(1, "auto_pad").Int(20, 3).Str(4, "SAME_UPPER"));
  node.Msg(5, Pb().Str(1, "value").Int(20, 4).Msg(5, value));
  auto g = ParseOnnxGraphInfo(Model({}, {node}, 11).bytes(), "n.onnx");
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  ASSERT_EQ(g->nodes.size(), 1u);
  const OnnxNode& n = g->nodes[0];
  EXPECT_EQ(n.domain, "com.microsoft");
  EXPECT_EQ(n.inputs, (std::vector<std::string>{"x", ""}));  // a left-out optional input stays in place
  EXPECT_EQ(n.Attr("group")->i, 32);
  EXPECT_EQ(n.Attr("pads")->ints, (std::vector<int64_t>{1, 1, 0, 2}));
  EXPECT_FLOAT_EQ(n.Attr("alpha")->f, 0.2f);
  EXPECT_EQ(n.Attr("scales")->floats, (std::vector<float>{0.5f, 2.f}));
  EXPECT_EQ(n.Attr("auto_pad")->s, "SAME_UPPER");
  ASSERT_NE(n.Attr("value")->t, nullptr);
  EXPECT_EQ(n.Attr("value")->t->AsInts(), (std::vector<int64_t>{3, -4}));
  EXPECT_EQ(n.Attr("missing"), nullptr);
  EXPECT_EQ(g->opset, 11);
}

// Values checked against python3-onnx's numpy_helper on the shipped file.
TEST(OnnxGraph, MobileNetV2Initializers) {
  auto g = ReadOnnxGraphInfo(Model("mobilenetv2-12-int8.onnx"), true);
  ASSERT_TRUE(g.ok()) << g.status().ToString();
  EXPECT_EQ(g->opset, 12);
  EXPECT_EQ(g->initializers.size(), 348u);
  std::map<std::string, const OnnxTensor*> by;
  for (const auto& t : g->initializers) by[t.name] = &t;
  ASSERT_TRUE(by.count("475_quantized") && by.count("input_zero_point") && by.count("476_quantized") &&
              by.count("input_scale"));
  EXPECT_EQ(by["475_quantized"]->data_type, kOnnxInt8);
  EXPECT_EQ(by["475_quantized"]->dims, (std::vector<int64_t>{32, 3, 3, 3}));
  auto w = by["475_quantized"]->AsInts();
  EXPECT_EQ(std::vector<int64_t>(w.begin(), w.begin() + 4), (std::vector<int64_t>{45, -15, 50, 111}));
  EXPECT_EQ(by["input_zero_point"]->AsInts(), (std::vector<int64_t>{114}));
  EXPECT_FLOAT_EQ(float(by["input_scale"]->AsDoubles()[0]), 0.01865845f);
  auto b = by["476_quantized"]->AsInts();
  EXPECT_EQ(std::vector<int64_t>(b.begin(), b.begin() + 4), (std::vector<int64_t>{-108921, 11872, 7344, 5310}));
  auto conv = std::find_if(g->nodes.begin(), g->nodes.end(), [](const OnnxNode& n) { return n.name == "Conv_2_quant"; });
  ASSERT_NE(conv, g->nodes.end());
  EXPECT_EQ(conv->Attr("group")->i, 32);
  EXPECT_EQ(conv->Attr("strides")->ints, (std::vector<int64_t>{1, 1}));
}

}  // namespace
}  // namespace verger
