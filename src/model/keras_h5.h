// Reader for Keras weight files (HDF5, Debian's libhdf5 C API), free of
// LibTorch so anything in the model library can use it. Reads both layouts
// Keras 2 writes: model.save_weights('x.h5') (layers at the root) and
// model.save('x.h5') (layers under /model_weights). Layout, as Keras'
// load_weights_from_hdf5_group reads it: attribute `layer_names` on the root
// group; per layer a group with attribute `weight_names` naming datasets
// relative to it (e.g. "fc1/kernel:0"); big attributes split as name0,
// name1, ... Conv2D kernels are HWIO, Dense kernels (in, out).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace verger {

// One weight array as Keras stores it, converted to float32, row-major.
struct KerasTensor {
  std::string dataset;          // HDF5 path in the file, e.g. /model_weights/fc1/fc1/kernel:0
  std::vector<int64_t> shape;
  std::vector<float> values;
};

// A Conv2D or Dense layer: its kernel (the weight of rank > 1) and bias (rank 1).
struct KerasLayerWeights {
  KerasTensor kernel;
  KerasTensor bias;
};

// An open Keras weights file. Move-only; closes the file when destroyed.
// Thread-safe (calls into HDF5 are serialised).
class KerasH5File {
 public:
  // InvalidArgument naming `path` when it is not HDF5 or has no
  // `layer_names` (not a Keras weights file); NotFound / IOError when it
  // cannot be opened.
  static Result<KerasH5File> Open(const std::string& path);

  KerasH5File(KerasH5File&& other) noexcept;
  KerasH5File& operator=(KerasH5File&& other) noexcept;
  KerasH5File(const KerasH5File&) = delete;
  KerasH5File& operator=(const KerasH5File&) = delete;
  ~KerasH5File();

  const std::string& path() const { return path_; }

  // Layer names in the file's (Keras model) order.
  const std::vector<std::string>& layer_names() const { return layer_names_; }

  // Reads `layer`'s kernel, which must have `kernel_shape`, and its bias of
  // kernel_shape.back() values. Errors name the file and the layer group or
  // dataset: NotFound for a missing layer or dataset, InvalidArgument for a
  // wrong shape, a non-float dataset, or a layer without exactly one kernel
  // and one bias.
  Result<KerasLayerWeights> ReadLayer(const std::string& layer, const std::vector<int64_t>& kernel_shape) const;

 private:
  KerasH5File(std::string path, int64_t file, std::string root, std::vector<std::string> layers)
      : path_(std::move(path)), file_(file), root_(std::move(root)), layer_names_(std::move(layers)) {}

  std::string path_;
  int64_t file_ = -1;   // hid_t
  std::string root_;    // "/" or "/model_weights/"
  std::vector<std::string> layer_names_;
};

// "(3, 3, 64, 128)": shapes in errors, written as NumPy/h5py print them.
std::string ShapeText(const std::vector<int64_t>& shape);

}  // namespace verger
