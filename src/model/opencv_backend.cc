#include "model/opencv_backend.h"

#include <algorithm>
#include <cmath>
#include <opencv2/core.hpp>
#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <thread>
#include <vector>

#include "model/onnx_graph.h"
#include "model/opencv_layer_names.h"

namespace verger {
namespace {

std::string ShapeString(const cv::Mat& m) {
  std::string s;
  for (int i = 0; i < m.dims; ++i) {
    if (i > 0) s += 'x';
    s += std::to_string(m.size[i]);
  }
  return s.empty() ? "(scalar)" : s;
}

std::string DimsString(const std::vector<int64_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i > 0) s += 'x';
    s += dims[i] < 0 ? std::string("?") : std::to_string(dims[i]);
  }
  return s;
}

// Values per image once `pooling` is applied to an N x ... tensor.
int64_t PooledDim(const cv::Mat& m, Pooling pooling) {
  if (m.dims < 2) return 0;
  if (pooling != Pooling::kNone) return m.size[1];
  int64_t n = 1;
  for (int i = 1; i < m.dims; ++i) n *= m.size[i];
  return n;
}

// Pools image `b` of `out` into `row` (feature_dim floats).
void PoolRow(const cv::Mat& out, int b, Pooling pooling, int64_t dim, float* row) {
  int64_t per_image = 1;
  for (int i = 1; i < out.dims; ++i) per_image *= out.size[i];
  const float* src = out.ptr<float>() + b * per_image;
  if (pooling == Pooling::kNone) {
    std::copy(src, src + per_image, row);
    return;
  }
  int64_t spatial = per_image / dim;
  for (int64_t c = 0; c < dim; ++c) {
    const float* p = src + c * spatial;
    if (pooling == Pooling::kAvg) {
      double sum = 0;
      for (int64_t i = 0; i < spatial; ++i) sum += p[i];
      row[c] = static_cast<float>(sum / double(spatial));
    } else {
      row[c] = *std::max_element(p, p + spatial);
    }
  }
}

constexpr int kOpenCvDefaultBatch = 1;

class OpenCvBackend final : public InferenceBackend {
 public:
  OpenCvBackend(ModelSpec spec, cv::dnn::Net net, std::string layer)
      : spec_(std::move(spec)), net_(std::move(net)), layer_(std::move(layer)) {}

  Status Run(const float* input, int batch, float* output) override {
    if (batch <= 0) return Status::InvalidArgument("model " + spec_.name + ": batch must be > 0, got " + std::to_string(batch));
    if (!per_image_) return Forward(input, batch, output);
    const size_t in_stride = size_t(3) * spec_.input_height * spec_.input_width;
    for (int b = 0; b < batch; ++b) {
      VERGER_RETURN_IF_ERROR(Forward(input + b * in_stride, 1, output + b * spec_.feature_dim));
    }
    return Status::OK();
  }

  int64_t feature_dim() const override { return spec_.feature_dim; }
  BackendKind id() const override { return BackendKind::kOpenCv; }
  // OpenCV DNN's CPU kernels gain little from bigger batches, and the
  // shipped int8 MobileNetV2 runs one image per pass anyway (per_image_);
  // 1 keeps the batch buffers and the latency of the first rows small.
  // Not yet measured against 8/16/32 on a quiet machine (bench/model_bench).
  int default_batch() const override { return kOpenCvDefaultBatch; }

  std::string description() const override {
    std::string d = "opencv-dnn " + std::string(CV_VERSION) + " (CPU, " + std::to_string(cv::getNumThreads()) + " threads";
    if (per_image_) d += ", one image per forward pass: this network cannot run batches in OpenCV";
    return d + ")";
  }

  // Dummy forward at batch 1: the tensor must pool to feature_dim values.
  Status VerifyShape() {
    std::vector<float> in(size_t(3) * spec_.input_height * spec_.input_width, 0.f);
    cv::Mat out;
    VERGER_RETURN_IF_ERROR(ForwardRaw(in.data(), 1, &out));
    int64_t got = PooledDim(out, spec_.pooling);
    if (out.dims < 2 || out.size[0] != 1 || got != spec_.feature_dim) {
      return Status::InvalidArgument("model " + spec_.name + ": feature tensor \"" + spec_.feature_tensor +
                                     "\" has shape " + ShapeString(out) + ", which gives " + std::to_string(got) +
                                     " values per image with pooling " + std::string(Name(spec_.pooling)) +
                                     ", but the spec says feature_dim " + std::to_string(spec_.feature_dim));
    }
    return Status::OK();
  }

  // Some ONNX graphs bake batch 1 into Reshape shapes (e.g. MobileNetV2's
  // int8 classifier). Run two different images as one batch and one by
  // one; if OpenCV fails or the rows differ, run one image per pass.
  void ProbeBatching() {
    const size_t n = size_t(3) * spec_.input_height * spec_.input_width;
    std::vector<float> in(2 * n);
    cv::Mat view(1, static_cast<int>(in.size()), CV_32F, in.data());
    cv::RNG rng(12345);
    rng.fill(view, cv::RNG::UNIFORM, -2.0, 2.0);
    const size_t d = static_cast<size_t>(spec_.feature_dim);
    std::vector<float> together(2 * d), apart(2 * d);
    if (!Forward(in.data(), 2, together.data()).ok() || !Forward(in.data(), 1, apart.data()).ok() ||
        !Forward(in.data() + n, 1, apart.data() + d).ok()) {
      per_image_ = true;
      return;
    }
    float max_diff = 0, max_ref = 0;
    for (size_t i = 0; i < 2 * d; ++i) {
      if (!std::isfinite(together[i])) {
        per_image_ = true;
        return;
      }
      max_diff = std::max(max_diff, std::abs(together[i] - apart[i]));
      max_ref = std::max(max_ref, std::abs(apart[i]));
    }
    per_image_ = max_diff > 1e-4f * max_ref;
  }

 private:
  Status ForwardRaw(const float* input, int batch, cv::Mat* out) {
    const int shape[4] = {batch, 3, spec_.input_height, spec_.input_width};
    // OpenCV only reads the blob during forward(); the const_cast never writes.
    cv::Mat blob(4, shape, CV_32F, const_cast<float*>(input));
    try {
      net_.setInput(blob, spec_.input_name);
      *out = net_.forward(layer_);
    } catch (const cv::Exception& e) {
      return Status::Internal("model " + spec_.name + ": OpenCV forward to tensor \"" + spec_.feature_tensor +
                              "\" failed at batch " + std::to_string(batch) + ": " + e.what());
    }
    if (out->depth() != CV_32F) {  // e.g. the int8 output of a QLinearConv
      return Status::Unsupported("model " + spec_.name + ": tensor \"" + spec_.feature_tensor +
                                 "\" is not float32 (quantized?); read its DequantizeLinear output instead");
    }
    if (!out->isContinuous()) *out = out->clone();
    return Status::OK();
  }

  Status Forward(const float* input, int batch, float* output) {
    cv::Mat out;
    VERGER_RETURN_IF_ERROR(ForwardRaw(input, batch, &out));
    if (out.dims < 2 || out.size[0] != batch || PooledDim(out, spec_.pooling) != spec_.feature_dim) {
      return Status::Internal("model " + spec_.name + ": tensor \"" + spec_.feature_tensor + "\" came back as " +
                              ShapeString(out) + " for a batch of " + std::to_string(batch));
    }
    for (int b = 0; b < batch; ++b) PoolRow(out, b, spec_.pooling, spec_.feature_dim, output + b * spec_.feature_dim);
    return Status::OK();
  }

  ModelSpec spec_;
  cv::dnn::Net net_;
  std::string layer_;
  bool per_image_ = false;
};

Status CheckInput(const ModelSpec& spec, const OnnxGraphInfo& graph) {
  std::string names;
  for (const auto& in : graph.inputs) {
    if (in.name != spec.input_name) {
      names += (names.empty() ? "\"" : ", \"") + in.name + "\" " + DimsString(in.dims);
      continue;
    }
    const auto& d = in.dims;
    if (d.empty()) return Status::OK();  // no declared shape: the dummy forward decides
    bool nhwc = d.size() == 4 && d[3] == 3 && d[1] != 3;
    bool ok = d.size() == 4 && (d[1] < 0 || d[1] == 3) && (d[2] < 0 || d[2] == spec.input_height) &&
              (d[3] < 0 || d[3] == spec.input_width);
    if (ok) return Status::OK();
    return Status::InvalidArgument(
        "model " + spec.name + ": graph input \"" + in.name + "\" of " + spec.weights + " is " + DimsString(d) +
        ", expected Nx3x" + std::to_string(spec.input_height) + "x" + std::to_string(spec.input_width) + " (NCHW)" +
        (nhwc ? "; it looks channels-last: re-export with tf2onnx --inputs-as-nchw (docs/models.md)" : ""));
  }
  return Status::InvalidArgument("model " + spec.name + ": " + spec.weights + " has no input named \"" +
                                 spec.input_name + "\"; its inputs: " + names);
}

}  // namespace

Result<std::unique_ptr<InferenceBackend>> CreateOpenCvBackend(const ModelSpec& spec, const BackendOptions& options) {
  if (spec.feature_dim <= 0) return Status::InvalidArgument("model " + spec.name + ": feature_dim must be > 0");
  auto graph = ReadOnnxGraphInfo(spec.weights);
  if (!graph.ok()) return graph.status().WithContext("model " + spec.name);
  VERGER_RETURN_IF_ERROR(CheckInput(spec, *graph));

  cv::setNumThreads(options.threads > 0 ? options.threads
                                        : static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromONNX(spec.weights);
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  } catch (const cv::Exception& e) {
    return Status::Unsupported("model " + spec.name + ": OpenCV cannot load " + spec.weights + ": " + e.what());
  }
  if (net.empty()) return Status::Unsupported("model " + spec.name + ": OpenCV loaded an empty network from " + spec.weights);
  VERGER_ASSIGN_OR_RETURN(std::string layer, OpenCvLayerForTensor(*graph, net.getLayerNames(), spec.feature_tensor,
                                                                  spec.name + " (" + spec.weights + ")"));
  auto backend = std::make_unique<OpenCvBackend>(spec, std::move(net), std::move(layer));
  VERGER_RETURN_IF_ERROR(backend->VerifyShape());
  backend->ProbeBatching();
  return std::unique_ptr<InferenceBackend>(std::move(backend));
}

}  // namespace verger
