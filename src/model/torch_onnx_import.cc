#include "model/torch_onnx_import.h"

#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/script.h>

#include <cstring>

#include "model/torch_requantize_ops.h"

namespace verger {
namespace {

at::Tensor ToTensor(const OnnxTensor& t) {
  const auto dtype = t.data_type == kOnnxInt64 ? torch::kLong : torch::kFloat;
  // Copied: the module outlives the parsed graph.
  at::Tensor out = torch::empty(t.dims, dtype);
  std::memcpy(out.data_ptr(), t.data.data(), t.data.size());
  return out;
}

// Resolves `verger.NAME(...)` in the generated source to the operators of
// torch_requantize_ops.cc (`torch.X` stays aten::X).
struct VergerOpsResolver : torch::jit::NativeResolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& f,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "verger") return std::make_shared<torch::jit::BuiltinModule>("verger");
    return NativeResolver::resolveValue(name, f, loc);
  }
};

}  // namespace

Status ImportOnnxToTorchScript(const std::string& onnx_path, const OnnxScriptOptions& options,
                               const std::string& out_path) {
  auto graph = ReadOnnxGraphInfo(onnx_path, /*with_initializers=*/true);
  if (!graph.ok()) return graph.status().WithContext(options.who);
  VERGER_ASSIGN_OR_RETURN(TorchScriptGraph script, OnnxToTorchScript(*graph, options));
  try {
    RegisterRequantizeOps();
    torch::jit::Module m("__torch__.verger.OnnxGraph");
    m.register_attribute("training", c10::BoolType::get(), false);  // eval()/freeze() read it
    for (const OnnxTensor& p : script.params) m.register_buffer(p.name, ToTensor(p));
    m.define(script.source, std::make_shared<VergerOpsResolver>());
    m.save(out_path);
  } catch (const c10::Error& e) {
    std::string msg = e.what_without_backtrace();
    return Status::Internal(options.who + ": importing ONNX " + onnx_path + " into LibTorch failed (an importer bug; "
                            "use --backend opencv): " + msg.substr(0, msg.find('\n')));
  } catch (const std::exception& e) {
    return Status::Internal(options.who + ": importing ONNX " + onnx_path + " into LibTorch failed: " + e.what());
  }
  return Status::OK();
}

}  // namespace verger
