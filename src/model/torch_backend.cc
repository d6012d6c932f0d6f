#include "model/torch_backend.h"

#include <torch/script.h>
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/csrc/jit/ir/ir.h>
#include <torch/cuda.h>
#include <torch/version.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <thread>

#include "model/torch_convert.h"
#include "model/torch_requantize_ops.h"

namespace verger {
namespace {

std::string ShapeString(const at::Tensor& t) {
  std::string s;
  for (int64_t i = 0; i < t.dim(); ++i) s += (i > 0 ? "x" : "") + std::to_string(t.size(i));
  return s.empty() ? "(scalar)" : s;
}

// True if some node of the (frozen, inlined) graph, nested blocks included,
// has an operator `kind` ("aten::conv2d") for which `match` holds.
template <typename Match>
bool HasOp(const torch::jit::Block* block, const Match& match) {
  for (const torch::jit::Node* node : block->nodes()) {
    if (match(std::string_view(node->kind().toQualString()))) return true;
    for (const torch::jit::Block* inner : node->blocks())
      if (HasOp(inner, match)) return true;
  }
  return false;
}

// Quantized operators: the file was made by post-training quantization
// (convert_vgg16.py --int8, FX convert_fx).
bool IsQuantizedOp(std::string_view kind) {
  return kind.starts_with("quantized::") || kind == "aten::quantize_per_tensor" || kind == "aten::quantize_per_channel";
}

// verger's own operators (torch_requantize_ops.cc): an int8 ONNX graph
// imported as exact integer levels.
bool IsVergerOp(std::string_view kind) { return kind.starts_with("verger::"); }

// LibTorch reports errors by throwing; the library speaks Status. Runs `fn`
// and turns any exception into Internal(`what`: first line of the message).
template <typename Fn>
Status Catching(const std::string& what, Fn&& fn) {
  try {
    fn();
    return Status::OK();
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    return Status::Internal(what + ": " + m.substr(0, m.find('\n')));
  } catch (const std::exception& e) {
    return Status::Internal(what + ": " + e.what());
  }
}

constexpr int kTorchDefaultBatch = 32;

class TorchBackend final : public InferenceBackend {
 public:
  TorchBackend(ModelSpec spec, std::string path, int threads)
      : spec_(std::move(spec)), path_(std::move(path)), threads_(threads),
        device_(spec_.device == Device::kCuda ? torch::kCUDA : torch::kCPU) {}

  Status Load() {
    const bool bf16 = spec_.precision == Precision::kBf16;
    const bool int8 = spec_.precision == Precision::kInt8;
    if (int8) {
      // Packed int8 weights are built for the engine current at load time.
      // oneDNN uses VNNI where the CPU has it; QNNPACK is for ARM phones.
      const auto& engines = at::globalContext().supportedQEngines();
      if (std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) == engines.end()) {
        return Status::Unsupported("model " + spec_.name + ": precision int8 needs LibTorch's oneDNN quantized engine, "
                                   "which this LibTorch (" TORCH_VERSION ") lacks; use --precision fp32 or bf16");
      }
      at::globalContext().setQEngine(at::QEngine::ONEDNN);
    }
    bool quantized = false;
    Status loaded = Catching("model " + spec_.name + ": LibTorch cannot load " + path_, [&] {
      c10::InferenceMode no_autograd;
      RegisterRequantizeOps();  // an imported int8 graph calls them
      torch::jit::Module m = torch::jit::load(path_, device_);
      m.eval();
      if (bf16) m.to(torch::kBFloat16);
      // Freezing inlines weights as constants so the optimiser can fold and
      // pre-pack them; optimize_for_inference converts fp32 CPU convolutions
      // to oneDNN with weights pre-reordered once instead of per call. In
      // LibTorch 1.13 that pass slows bf16 down (measured, docs/benchmarks.md):
      // bf16 convolutions already go to oneDNN without it.
      m = torch::jit::freeze(m);
      const torch::jit::Block* graph = m.get_method("forward").graph()->block();
      quantized = HasOp(graph, IsQuantizedOp);
      // optimize_for_inference converts to and from oneDNN's layout around
      // every operator it does not know, as verger's requantization: slower
      // (measured 2x on the int8 MobileNetV2) than ATen's channels-last path.
      levels_ = HasOp(graph, IsVergerOp);
      if (optimized() && !quantized && !levels_) m = torch::jit::optimize_for_inference(m);
      module_ = std::move(m);
    });
    VERGER_RETURN_IF_ERROR(loaded);
    // The precision is recorded in manifests: it must say what really runs.
    if (int8 && !quantized) {
      return Status::InvalidArgument("model " + spec_.name + ": precision int8, but " + path_ +
                                     " has no quantized operators; make an int8 model with scripts/convert_vgg16.py "
                                     "IN OUT.pt --int8 CALIBRATION_DIR (or PyTorch's convert_fx)");
    }
    if (!int8 && quantized) {
      return Status::InvalidArgument("model " + spec_.name + ": " + path_ + " is int8-quantized; run it with --precision "
                                     "int8 (spec field \"precision\"), not " + std::string(Name(spec_.precision)));
    }
    return Status::OK();
  }

  Status Run(const float* input, int batch, float* output) override {
    if (batch <= 0) return Status::InvalidArgument("model " + spec_.name + ": batch must be > 0, got " + std::to_string(batch));
    at::Tensor rows;
    VERGER_RETURN_IF_ERROR(Forward(input, batch, &rows));
    if (rows.dim() != 2 || rows.size(0) != batch || rows.size(1) != spec_.feature_dim) {
      return Status::Internal("model " + spec_.name + ": output came back as " + ShapeString(rows) + " for a batch of " +
                              std::to_string(batch));
    }
    std::memcpy(output, rows.data_ptr<float>(), sizeof(float) * batch * spec_.feature_dim);
    return Status::OK();
  }

  int64_t feature_dim() const override { return spec_.feature_dim; }
  BackendKind id() const override { return BackendKind::kTorch; }
  // oneDNN convolutions amortise weight reads over the batch: 32 was the
  // fastest of 8/16/32 for every fp32 network in bench/throughput.py
  // (docs/benchmarks.md).
  int default_batch() const override { return kTorchDefaultBatch; }

  std::string description() const override {
    return "libtorch " TORCH_VERSION " (" + std::string(Name(spec_.device)) + ", " + std::to_string(threads_) +
           " threads, " + std::string(Name(spec_.precision)) + ", frozen" +
           (levels_ ? ", int8 levels channels-last" : optimized() ? " + optimize_for_inference" : "") + ")";
  }

  // Dummy forward at batch 1: the output must pool to feature_dim values.
  Status VerifyShape() {
    std::vector<float> in(size_t(3) * spec_.input_height * spec_.input_width, 0.f);
    at::Tensor rows;
    VERGER_RETURN_IF_ERROR(Forward(in.data(), 1, &rows));
    if (rows.dim() != 2 || rows.size(0) != 1 || rows.size(1) != spec_.feature_dim) {
      return Status::InvalidArgument("model " + spec_.name + ": the TorchScript output of " + path_ + " has shape " +
                                     raw_shape_ + ", which gives " + std::to_string(rows.dim() == 2 ? rows.size(1) : 0) +
                                     " values per image with pooling " + std::string(Name(spec_.pooling)) +
                                     ", but the spec says feature_dim " + std::to_string(spec_.feature_dim));
    }
    return Status::OK();
  }

 private:
  bool optimized() const { return device_.is_cpu() && spec_.precision == Precision::kFp32; }

  // OpenMP keeps the thread count per thread: one that never called
  // at::set_num_threads (a Dask task thread, a thread of the caller's own)
  // would run every parallel region on all cores. Set once per thread.
  void UseThreadsOnThisThread() const {
    thread_local int applied = 0;
    if (applied == threads_) return;
    at::set_num_threads(threads_);
    applied = threads_;
  }

  // Runs the module and pools its output into a contiguous float32 CPU
  // batch x values tensor.
  Status Forward(const float* input, int batch, at::Tensor* rows) {
    return Catching("model " + spec_.name + ": LibTorch forward failed at batch " + std::to_string(batch), [&] {
      UseThreadsOnThisThread();
      c10::InferenceMode no_autograd;
      // The engine's buffer is only read: from_blob wraps it without a copy.
      at::Tensor x = torch::from_blob(const_cast<float*>(input), {batch, 3, spec_.input_height, spec_.input_width},
                                      torch::kFloat);
      if (!device_.is_cpu()) x = x.to(device_);
      if (spec_.precision == Precision::kBf16) x = x.to(torch::kBFloat16);
      // An int8 graph's activations stay channels-last from here on: ATen's
      // oneDNN convolutions take them without a reorder per call, and
      // requantization walks each pixel's channels in memory order.
      if (levels_) x = x.contiguous(at::MemoryFormat::ChannelsLast);
      torch::jit::IValue out_value = module_.forward({x});
      at::Tensor out = out_value.isTuple() ? out_value.toTuple()->elements()[0].toTensor() : out_value.toTensor();
      raw_shape_ = ShapeString(out);
      // Pooled in NCHW order, as every other graph: a mean over a
      // channels-last map sums in another order (1-ulp differences).
      if (levels_) out = out.contiguous();
      if (spec_.pooling != Pooling::kNone && out.dim() > 2) {
        std::vector<int64_t> spatial;
        for (int64_t d = 2; d < out.dim(); ++d) spatial.push_back(d);
        out = out.to(torch::kFloat);  // pool in float32, whatever the precision
        out = spec_.pooling == Pooling::kAvg ? out.mean(spatial) : out.amax(spatial);
      } else {
        out = out.flatten(1);
      }
      *rows = out.to(torch::kCPU, torch::kFloat).contiguous();
    });
  }

  ModelSpec spec_;
  std::string path_;
  int threads_;
  torch::Device device_;
  torch::jit::Module module_;
  bool levels_ = false;  // an imported int8 graph (IsVergerOp): not optimize_for_inference'd
  std::string raw_shape_;
};

}  // namespace

Result<std::unique_ptr<InferenceBackend>> CreateTorchBackend(const ModelSpec& spec, const BackendOptions& options) {
  if (spec.feature_dim <= 0) return Status::InvalidArgument("model " + spec.name + ": feature_dim must be > 0");
  if (spec.device == Device::kCuda && spec.precision == Precision::kInt8) {
    return Status::Unsupported("model " + spec.name + ": precision int8 runs on the CPU only (oneDNN); on cuda use "
                               "fp32 or bf16");
  }
  if (spec.device == Device::kCuda && !torch::cuda::is_available()) {
    return Status::Unsupported("model " + spec.name + ": device cuda requested, but this LibTorch (" TORCH_VERSION
                               ") has no CUDA support or sees no GPU; use --device cpu");
  }
  VERGER_ASSIGN_OR_RETURN(std::string path, TorchScriptFor(spec));
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  at::set_num_threads(threads);  // LibTorch's default here is 1 thread
  auto backend = std::make_unique<TorchBackend>(spec, path, threads);
  VERGER_RETURN_IF_ERROR(backend->Load());
  VERGER_RETURN_IF_ERROR(backend->VerifyShape());
  return std::unique_ptr<InferenceBackend>(std::move(backend));
}

}  // namespace verger
