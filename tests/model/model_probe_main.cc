// model_probe: loads a model spec, runs one batch of seeded random input
// through CreateBackend, and prints a JSON summary for script tests:
//   model_probe --model NAME|SPEC.json [--weights FILE] [--backend auto|opencv|torch] [--batch N]
//               [--seed S] [--range R] [--images LIST.txt] [--input IN.npy]
//               [--out FILE.npy]
// Input values are uniform in [-R, R] (default 2; use ~120 for caffe nets),
// or, with --images, the photos named one per line in LIST.txt (decoded,
// resized and normalised by the image library as the spec says), or, with
// --input, float32 N x 3 x H x W values as an N x (3*H*W) array.
// The batch also runs image by image: "max_rel_batch_diff" compares them.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "core/npy.h"
#include "image/decode.h"
#include "image/normalize.h"
#include "image/resize.h"
#include "model/backend.h"

namespace {

int Fail(const std::string& msg) {
  std::fprintf(stderr, "model_probe: %s\n", msg.c_str());
  return 1;
}

std::string JsonEscape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, weights, out_path, images, input_npy, backend_name;
  int batch = 4;
  unsigned seed = 1;
  double range = 2.0;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--model") model = next();
    else if (a == "--weights") weights = next();
    else if (a == "--backend") backend_name = next();
    else if (a == "--batch") batch = std::atoi(next().c_str());
    else if (a == "--seed") seed = static_cast<unsigned>(std::atoi(next().c_str()));
    else if (a == "--range") range = std::atof(next().c_str());
    else if (a == "--out") out_path = next();
    else if (a == "--images") images = next();
    else if (a == "--input") input_npy = next();
    else return Fail("unknown argument " + a);
  }
  if (model.empty() || batch <= 0) return Fail("usage: model_probe --model NAME [--weights F] [--batch N] ...");

  auto spec = verger::LoadModelSpec(model, weights);
  if (!spec.ok()) return Fail(spec.status().ToString());
  if (!backend_name.empty()) {
    auto kind = verger::ParseBackendKind(backend_name);
    if (!kind.ok()) return Fail(kind.status().ToString());
    spec->backend = *kind;
  }
  auto backend = verger::CreateBackend(*spec, verger::BackendOptions{.threads = 2});
  if (!backend.ok()) return Fail(backend.status().ToString());
  auto& b = **backend;

  const size_t per_image = size_t(3) * spec->input_height * spec->input_width;
  const int64_t d = b.feature_dim();
  std::vector<float> in;
  if (!input_npy.empty()) {
    auto bytes = verger::ReadFileBytes(input_npy);
    if (!bytes.ok()) return Fail(bytes.status().ToString());
    auto arr = verger::DecodeNpy(*bytes, input_npy);
    if (!arr.ok()) return Fail(arr.status().ToString());
    if (arr->dtype != verger::NpyDtype::kFloat32 || arr->shape.size() != 2 || arr->shape[0] <= 0 ||
        size_t(arr->shape[1]) != per_image)
      return Fail(input_npy + ": want float32 N x (3 * " + std::to_string(spec->input_height) + " * " +
                  std::to_string(spec->input_width) + ")");
    batch = static_cast<int>(arr->shape[0]);
    in.resize(per_image * batch);
    std::memcpy(in.data(), arr->data.data(), in.size() * sizeof(float));
  } else if (images.empty()) {
    in.resize(per_image * batch);
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(static_cast<float>(-range), static_cast<float>(range));
    for (float& x : in) x = u(rng);
  } else {
    auto list = verger::ReadFileText(images);
    if (!list.ok()) return Fail(list.status().ToString());
    std::vector<std::string> paths;
    for (size_t pos = 0; pos < list->size();) {
      size_t end = list->find('\n', pos);
      if (end == std::string::npos) end = list->size();
      if (end > pos) paths.push_back(list->substr(pos, end - pos));
      pos = end + 1;
    }
    batch = static_cast<int>(paths.size());
    if (batch == 0) return Fail(images + ": no image paths");
    in.resize(per_image * batch);
    for (int i = 0; i < batch; ++i) {
      auto bytes = verger::ReadFileBytes(paths[i]);
      if (!bytes.ok()) return Fail(bytes.status().ToString());
      auto img = verger::DecodeImage(*bytes, paths[i]);
      if (!img.ok()) return Fail(img.status().ToString());
      auto resized = verger::ResizeLikePillow(*img, spec->input_width, spec->input_height, spec->resize_filter);
      verger::NormalizeToChw(resized, spec->normalization, spec->color_order, in.data() + i * per_image);
    }
  }
  std::vector<float> out(batch * d), single(batch * d);
  if (auto st = b.Run(in.data(), batch, out.data()); !st.ok()) return Fail(st.ToString());
  for (int i = 0; i < batch; ++i) {
    if (auto st = b.Run(in.data() + i * per_image, 1, single.data() + i * d); !st.ok()) return Fail(st.ToString());
  }
  bool finite = true;
  int64_t nonzero = 0;
  float max_abs = 0, max_diff = 0, max_row_diff = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    finite = finite && std::isfinite(out[i]);
    nonzero += out[i] != 0;
    max_abs = std::max(max_abs, std::abs(out[i]));
    max_diff = std::max(max_diff, std::abs(out[i] - single[i]));
    if (i >= size_t(d)) max_row_diff = std::max(max_row_diff, std::abs(out[i] - out[i - d]));
  }
  if (!out_path.empty()) {
    auto bytes = verger::EncodeNpy(verger::NpyDtype::kFloat32, {batch, d}, out.data());
    if (auto st = verger::WriteFileAtomic(out_path, std::span<const uint8_t>(bytes)); !st.ok()) return Fail(st.ToString());
  }
  std::printf(
      "{\"model\": \"%s\", \"feature_dim\": %lld, \"rows\": %d, \"finite\": %s, \"nonzero\": %lld, "
      "\"max_abs\": %g, \"max_rel_batch_diff\": %g, \"max_row_diff\": %g, \"description\": \"%s\"}\n",
      JsonEscape(spec->name).c_str(), static_cast<long long>(d), batch, finite ? "true" : "false",
      static_cast<long long>(nonzero), max_abs, max_abs > 0 ? max_diff / max_abs : 0.0, max_row_diff,
      JsonEscape(b.description()).c_str());
  return 0;
}
