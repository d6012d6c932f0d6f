#include "model/torch_vgg16.h"

#include <torch/script.h>

#include <array>
#include <vector>

#include "model/keras_h5.h"

namespace verger {
namespace {

struct Block {
  int number, convs, channels;
};
// Keras VGG16: (block, convolutions, output channels).
constexpr std::array<Block, 5> kBlocks = {{{1, 2, 64}, {2, 2, 128}, {3, 3, 256}, {4, 3, 512}, {5, 3, 512}}};
constexpr int64_t kFc1In = 7 * 7 * 512, kFc = 4096;

// A fresh module type with a `training` flag (Module::eval() sets it on every submodule).
torch::jit::Module NewModule(const std::string& type_name) {
  torch::jit::Module m(c10::QualifiedName("__torch__.verger." + type_name));
  m.register_attribute("training", c10::BoolType::get(), false);
  return m;
}

// A view of the HDF5 values in their Keras shape, not owning them.
at::Tensor View(KerasTensor& t) { return torch::from_blob(t.values.data(), t.shape, torch::kFloat32); }

// An owned, contiguous copy of `t` in its current (e.g. permuted) layout: one
// copy per array keeps the peak memory of fc1 (411 MB) at twice its size.
at::Tensor Owned(const at::Tensor& t) { return t.clone(at::MemoryFormat::Contiguous); }

// A child holding `weight` and `bias` (owned tensors) under the names
// nn.Conv2d / nn.Linear use, so the state dict equals convert_vgg16.py's and
// that script can take this file as input (e.g. for --int8).
torch::jit::Module WeightBias(const std::string& type_name, const at::Tensor& weight, const at::Tensor& bias) {
  torch::jit::Module m = NewModule(type_name);
  m.register_parameter("weight", weight, false);
  m.register_parameter("bias", bias, false);
  return m;
}

// forward() as convert_vgg16.py's Vgg16Fc2 computes it: conv 3x3 pad 1 + ReLU,
// 2x2 max pools, flatten (C, H, W), fc1 + ReLU, fc2 + ReLU.
std::string ForwardSource(const std::vector<int>& conv_indices, const std::vector<int>& pool_after) {
  std::string src = "def forward(self, x):\n";
  size_t pool = 0;
  for (int idx : conv_indices) {
    const std::string conv = "getattr(self.features, \"" + std::to_string(idx) + "\")";
    src += "    x = torch.relu(torch.conv2d(x, " + conv + ".weight, " + conv + ".bias, [1, 1], [1, 1]))\n";
    if (pool < pool_after.size() && pool_after[pool] == idx) {
      src += "    x = torch.max_pool2d(x, [2, 2], [2, 2])\n";
      ++pool;
    }
  }
  src += "    x = torch.flatten(x, 1)\n"
         "    x = torch.relu(torch.linear(x, self.fc1.weight, self.fc1.bias))\n"
         "    return torch.relu(torch.linear(x, self.fc2.weight, self.fc2.bias))\n";
  return src;
}

// Builds the module from the weights and saves it; LibTorch may throw.
Status Build(const KerasH5File& h5, const std::string& out_path) {
  torch::NoGradGuard no_grad;
  torch::jit::Module model = NewModule("Vgg16Fc2");
  torch::jit::Module features = NewModule("Vgg16Features");
  // Indices as in convert_vgg16.py's nn.Sequential: conv, relu per convolution, then a pool.
  std::vector<int> conv_indices, pool_after;
  int index = 0;
  int64_t in_channels = 3;
  for (const Block& b : kBlocks) {
    for (int i = 1; i <= b.convs; ++i) {
      const std::string layer = "block" + std::to_string(b.number) + "_conv" + std::to_string(i);
      VERGER_ASSIGN_OR_RETURN(KerasLayerWeights w, h5.ReadLayer(layer, {3, 3, in_channels, b.channels}));
      features.register_module(std::to_string(index), WeightBias("Conv" + std::to_string(index),
                                                                 Owned(View(w.kernel).permute({3, 2, 0, 1})),  // HWIO -> OIHW
                                                                 Owned(View(w.bias))));
      conv_indices.push_back(index);
      index += 2;
      in_channels = b.channels;
    }
    pool_after.push_back(index - 2);
    ++index;
  }
  model.register_module("features", features);
  {
    VERGER_ASSIGN_OR_RETURN(KerasLayerWeights w, h5.ReadLayer("fc1", {kFc1In, kFc}));
    // Keras flattens block5_pool channels-last (H, W, C), LibTorch C, H, W,
    // and nn.Linear wants (out, in): weight[o][c*49 + h*7 + w] = kernel[h*3584 + w*512 + c][o].
    at::Tensor out_chw = Owned(View(w.kernel).reshape({7, 7, 512, kFc}).permute({3, 2, 0, 1}));
    model.register_module("fc1", WeightBias("Fc1", out_chw.reshape({kFc, kFc1In}), Owned(View(w.bias))));
  }
  {
    VERGER_ASSIGN_OR_RETURN(KerasLayerWeights w, h5.ReadLayer("fc2", {kFc, kFc}));
    model.register_module("fc2", WeightBias("Fc2", Owned(View(w.kernel).t()), Owned(View(w.bias))));
  }
  model.define(ForwardSource(conv_indices, pool_after));
  model.eval();
  model.save(out_path);
  return Status::OK();
}

}  // namespace

Status ConvertKerasVgg16(const std::string& h5_path, const std::string& out_path) {
  VERGER_ASSIGN_OR_RETURN(KerasH5File h5, KerasH5File::Open(h5_path));
  // LibTorch reports errors (out of memory, cannot write) by throwing.
  const std::string who = "weights " + h5_path + ": building or saving TorchScript " + out_path;
  try {
    return Build(h5, out_path);
  } catch (const c10::Error& e) {
    std::string m = e.what_without_backtrace();
    return Status::Internal(who + ": LibTorch: " + m.substr(0, m.find('\n')));
  } catch (const std::exception& e) {
    return Status::Internal(who + ": " + e.what());
  }
}

}  // namespace verger
