#include "model/keras_h5.h"

#include <hdf5.h>

#include <cstring>
#include <mutex>
#include <type_traits>
#include <utility>

namespace verger {
namespace {

static_assert(std::is_same_v<hid_t, int64_t>, "KerasH5File keeps the file's hid_t as int64_t");

// Debian's libhdf5 is built thread-safe; the lock also keeps the error-stack
// silencing below race-free if a build is not. Recursive: a failing Open
// closes the file (destructor) while it holds the lock.
std::recursive_mutex& Hdf5Mutex() {
  static std::recursive_mutex m;
  return m;
}

// Holds the HDF5 lock and silences HDF5's own error-stack printing (errors
// come back as Status) for the duration of one public call.
class Hdf5Call {
 public:
  Hdf5Call() : lock_(Hdf5Mutex()) {
    H5Eget_auto2(H5E_DEFAULT, &old_fn_, &old_data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Hdf5Call() { H5Eset_auto2(H5E_DEFAULT, old_fn_, old_data_); }
  Hdf5Call(const Hdf5Call&) = delete;
  Hdf5Call& operator=(const Hdf5Call&) = delete;

 private:
  std::lock_guard<std::recursive_mutex> lock_;
  H5E_auto2_t old_fn_ = nullptr;
  void* old_data_ = nullptr;
};

// Closes an HDF5 identifier with its matching H5?close.
class Handle {
 public:
  Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~Handle() {
    if (id_ >= 0) close_(id_);
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool ok() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// The strings of one attribute (fixed-length or variable-length, any rank).
Result<std::vector<std::string>> ReadStringAttribute(hid_t loc, const std::string& name, const std::string& where) {
  Handle attr(H5Aopen(loc, name.c_str(), H5P_DEFAULT), H5Aclose);
  if (!attr.ok()) return Status::Corrupt(where + ": cannot read attribute " + name);
  Handle type(H5Aget_type(attr.get()), H5Tclose);
  Handle space(H5Aget_space(attr.get()), H5Sclose);
  if (!type.ok() || !space.ok() || H5Tget_class(type.get()) != H5T_STRING) {
    return Status::InvalidArgument(where + ": attribute " + name + " is not an array of strings");
  }
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  std::vector<std::string> out;
  if (n <= 0) return out;
  Handle mem(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_cset(mem.get(), H5Tget_cset(type.get()));  // HDF5 converts no ASCII <-> UTF-8; h5py writes UTF-8
  if (H5Tis_variable_str(type.get()) > 0) {
    H5Tset_size(mem.get(), H5T_VARIABLE);
    std::vector<char*> ptrs(static_cast<size_t>(n), nullptr);
    if (H5Aread(attr.get(), mem.get(), ptrs.data()) < 0) return Status::Corrupt(where + ": cannot read attribute " + name);
    for (char* p : ptrs) out.emplace_back(p != nullptr ? p : "");
    H5Dvlen_reclaim(mem.get(), space.get(), H5P_DEFAULT, ptrs.data());
    return out;
  }
  const size_t width = H5Tget_size(type.get());
  H5Tset_size(mem.get(), width);
  H5Tset_strpad(mem.get(), H5T_STR_NULLPAD);  // NumPy's "S" strings fill all `width` bytes, no terminator
  std::vector<char> buf(size_t(n) * width);
  if (H5Aread(attr.get(), mem.get(), buf.data()) < 0) return Status::Corrupt(where + ": cannot read attribute " + name);
  for (hssize_t i = 0; i < n; ++i) {
    const char* s = buf.data() + size_t(i) * width;
    out.emplace_back(s, strnlen(s, width));
  }
  return out;
}

// Keras' load_attributes_from_hdf5_group: `name`, or name0, name1, ... when
// the list was too big for one object header. Empty when there is none.
Result<std::vector<std::string>> ReadKerasListAttribute(hid_t loc, const std::string& name, const std::string& where) {
  if (H5Aexists(loc, name.c_str()) > 0) return ReadStringAttribute(loc, name, where);
  std::vector<std::string> all;
  for (int i = 0;; ++i) {
    const std::string chunk = name + std::to_string(i);
    if (H5Aexists(loc, chunk.c_str()) <= 0) break;
    VERGER_ASSIGN_OR_RETURN(std::vector<std::string> part, ReadStringAttribute(loc, chunk, where));
    all.insert(all.end(), part.begin(), part.end());
  }
  return all;
}

Result<KerasTensor> ReadDataset(hid_t group, const std::string& name, const std::string& path,
                                const std::string& group_path) {
  KerasTensor t;
  t.dataset = group_path + "/" + name;
  Handle ds(H5Dopen2(group, name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.ok()) {
    return Status::NotFound("weights " + path + ": dataset " + t.dataset + " (listed in weight_names of " + group_path +
                            ") is missing: the file is damaged or was not written by Keras");
  }
  Handle type(H5Dget_type(ds.get()), H5Tclose);
  Handle space(H5Dget_space(ds.get()), H5Sclose);
  if (!type.ok() || !space.ok() || H5Tget_class(type.get()) != H5T_FLOAT) {
    return Status::InvalidArgument("weights " + path + ": dataset " + t.dataset + " does not hold floating-point numbers");
  }
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) return Status::Corrupt("weights " + path + ": dataset " + t.dataset + ": unreadable shape");
  std::vector<hsize_t> dims(static_cast<size_t>(rank));
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  size_t count = 1;
  for (hsize_t d : dims) {
    t.shape.push_back(int64_t(d));
    count *= size_t(d);
  }
  t.values.resize(count);
  if (count > 0 && H5Dread(ds.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, t.values.data()) < 0) {
    return Status::Corrupt("weights " + path + ": cannot read dataset " + t.dataset + " (truncated or damaged file?)");
  }
  return t;
}

Status CheckShape(const KerasTensor& t, const std::vector<int64_t>& want, const std::string& path) {
  if (t.shape == want) return Status::OK();
  return Status::InvalidArgument("weights " + path + ": dataset " + t.dataset + " has shape " + ShapeText(t.shape) +
                                 ", expected " + ShapeText(want) + ": these are not the weights of the expected network");
}

}  // namespace

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i) s += (i > 0 ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

Result<KerasH5File> KerasH5File::Open(const std::string& path) {
  Hdf5Call call;
  const std::string who = "weights " + path;
  const htri_t is_hdf5 = H5Fis_hdf5(path.c_str());
  if (is_hdf5 < 0) return Status::NotFound(who + ": cannot open (missing or unreadable)");
  if (is_hdf5 == 0) return Status::InvalidArgument(who + ": not an HDF5 file (Keras .h5 weights were expected)");
  const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file < 0) return Status::IOError(who + ": HDF5 cannot open it (damaged or truncated?)");
  KerasH5File out(path, file, "/", {});  // owns `file` from here on
  // A whole-model file (model.save) keeps the weights in a subgroup.
  if (H5Lexists(file, "model_weights", H5P_DEFAULT) > 0) out.root_ = "/model_weights/";
  Handle root(H5Gopen2(file, out.root_.c_str(), H5P_DEFAULT), H5Gclose);
  if (!root.ok()) return Status::Corrupt(who + ": cannot open group " + out.root_);
  VERGER_ASSIGN_OR_RETURN(out.layer_names_, ReadKerasListAttribute(root.get(), "layer_names", who + ": group " + out.root_));
  if (out.layer_names_.empty()) {
    return Status::InvalidArgument(who + ": group " + out.root_ +
                                   " has no 'layer_names' attribute: not a Keras weights file (write one with "
                                   "model.save_weights('x.h5') or model.save('x.h5'))");
  }
  return out;
}

Result<KerasLayerWeights> KerasH5File::ReadLayer(const std::string& layer, const std::vector<int64_t>& kernel_shape) const {
  Hdf5Call call;
  const std::string group_path = root_ + layer;
  bool listed = false;
  for (const auto& n : layer_names_) listed = listed || n == layer;
  Handle group(listed ? H5Gopen2(file_, group_path.c_str(), H5P_DEFAULT) : -1, H5Gclose);
  if (!group.ok()) {
    return Status::NotFound("weights " + path_ + ": layer " + layer + " (group " + group_path + ") is " +
                            (listed ? "listed in layer_names but missing" : "not in the file") +
                            ": these are not the weights of the expected network");
  }
  VERGER_ASSIGN_OR_RETURN(std::vector<std::string> names,
                          ReadKerasListAttribute(group.get(), "weight_names", "weights " + path_ + ": group " + group_path));
  KerasLayerWeights w;
  int kernels = 0, biases = 0;
  for (const auto& name : names) {
    VERGER_ASSIGN_OR_RETURN(KerasTensor t, ReadDataset(group.get(), name, path_, group_path));
    if (t.shape.size() == 1) {
      ++biases;
      w.bias = std::move(t);
    } else if (t.shape.size() > 1) {
      ++kernels;
      w.kernel = std::move(t);
    }
  }
  if (kernels != 1 || biases != 1) {
    return Status::InvalidArgument("weights " + path_ + ": layer " + layer + " (group " + group_path + ") has " +
                                   std::to_string(kernels) + " kernel(s) and " + std::to_string(biases) +
                                   " bias(es) in weight_names; expected one of each");
  }
  VERGER_RETURN_IF_ERROR(CheckShape(w.kernel, kernel_shape, path_));
  VERGER_RETURN_IF_ERROR(CheckShape(w.bias, {kernel_shape.empty() ? 0 : kernel_shape.back()}, path_));
  return w;
}

KerasH5File::KerasH5File(KerasH5File&& other) noexcept
    : path_(std::move(other.path_)), file_(std::exchange(other.file_, -1)), root_(std::move(other.root_)),
      layer_names_(std::move(other.layer_names_)) {}

KerasH5File& KerasH5File::operator=(KerasH5File&& other) noexcept {
  std::swap(path_, other.path_);
  std::swap(file_, other.file_);
  std::swap(root_, other.root_);
  std::swap(layer_names_, other.layer_names_);
  return *this;  // `other` closes what this held
}

KerasH5File::~KerasH5File() {
  if (file_ >= 0) {
    Hdf5Call call;
    H5Fclose(file_);
    file_ = -1;
  }
}

}  // namespace verger
