// The numpy-facing API: Featurizer (images in memory or on disk -> N x D
// float32) and read_dataset (an output's tables back into numpy).
#include <pybind11/numpy.h>

#include "engine/cluster_featurize.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "engine/pca_job.h"
#include "python/py_common.h"
#include "sink/table.h"

namespace verger::python {

namespace {

using json = nlohmann::json;

py::array_t<float> Features(Featurizer& f, const py::sequence& items) {
  const size_t n = py::len(items);
  std::vector<FeaturizeInput> inputs(n);
  std::vector<py::buffer_info> views;  // keep buffers alive without the GIL
  views.reserve(n);
  py::object fspath = py::module_::import("os").attr("fspath");
  for (size_t i = 0; i < n; ++i) {
    py::handle item = items[i];
    if (py::isinstance<py::array>(item) && py::reinterpret_borrow<py::array>(item).ndim() == 3) {
      // A decoded image: H x W x 3 uint8 RGB (as numpy.asarray(PIL image) gives).
      auto a = py::reinterpret_borrow<py::array>(item);
      inputs[i].name = "input[" + std::to_string(i) + "] (" + std::to_string(a.shape(0)) + "x" +
                       std::to_string(a.shape(1)) + "x" + std::to_string(a.shape(2)) + " array)";
      if (a.dtype().kind() != 'u' || a.itemsize() != 1 || a.shape(2) != 3 || a.shape(0) < 1 || a.shape(1) < 1)
        throw py::type_error(inputs[i].name + ": decoded images must be height x width x 3 uint8 RGB arrays, got dtype " +
                             std::string(py::str(a.dtype())) + "; encoded files go in as bytes");
      auto contiguous = py::array_t<uint8_t, py::array::c_style>::ensure(a);
      views.push_back(contiguous.request());
      const auto& v = views.back();
      inputs[i].bytes = {static_cast<const uint8_t*>(v.ptr), static_cast<size_t>(v.size)};
      inputs[i].height = static_cast<int>(a.shape(0));
      inputs[i].width = static_cast<int>(a.shape(1));
    } else if (py::isinstance<py::str>(item) || py::hasattr(item, "__fspath__")) {
      inputs[i].path = py::str(fspath(item));
      inputs[i].name = inputs[i].path;
    } else if (PyObject_CheckBuffer(item.ptr())) {
      views.push_back(py::reinterpret_borrow<py::buffer>(item).request());
      const auto& v = views.back();
      inputs[i].bytes = {static_cast<const uint8_t*>(v.ptr), static_cast<size_t>(v.size * v.itemsize)};
      inputs[i].name = "input[" + std::to_string(i) + "] (" + std::to_string(inputs[i].bytes.size()) + " bytes)";
      if (inputs[i].bytes.empty())
        ThrowStatus(Status::Corrupt(inputs[i].name + ": empty image data"));
    } else {
      throw py::type_error("input " + std::to_string(i) +
                           ": expected a path (str/os.PathLike), encoded bytes or an HxWx3 uint8 array, got " +
                           std::string(py::str(item.get_type().attr("__name__"))));
    }
  }
  py::array_t<float> out({static_cast<py::ssize_t>(n), static_cast<py::ssize_t>(f.feature_dim())});
  float* data = out.mutable_data();
  Check(NoGil([&] { return f.Features(inputs, data); }));
  return out;
}

struct Dataset {
  std::vector<std::string> paths, labels;
  std::vector<float> values;
  int64_t dim = 0;
};

// The partitions of a dataset of an output: (index, files) in manifest
// order, its first format and its row width.
struct DatasetParts {
  FeaturesManifest manifest;
  std::vector<std::pair<int64_t, const std::vector<MarkerFile>*>> partitions;  // into manifest
  std::string format_name;
  int64_t dim = 0;
};

Status LoadDatasetParts(const ObjectStore& store, const std::string& dataset, DatasetParts* d) {
  VERGER_ASSIGN_OR_RETURN(d->manifest, ReadFeaturesManifest(store));
  const FeaturesManifest& manifest = d->manifest;
  if (dataset == "features") {
    for (const auto& p : manifest.partitions) d->partitions.emplace_back(p.index, &p.files);
    d->format_name = manifest.formats.front();
    d->dim = manifest.feature_dim;
  } else if (dataset == "reduced") {
    if (!manifest.reduced || !manifest.pca || manifest.reduced->formats.empty())
      return Status::NotFound(store.Describe(kManifestKey) + ": no reduced dataset; run `verger transform` first");
    for (const auto& p : manifest.reduced->partitions) d->partitions.emplace_back(p.index, &p.files);
    d->format_name = manifest.reduced->formats.front();
    d->dim = manifest.pca->components;
  } else {
    return Status::InvalidArgument("dataset '" + dataset + "': expected 'features' or 'reduced'");
  }
  return Status::OK();
}

// partition < 0: every partition; else only the one with that index.
Result<Dataset> ReadDataset(const ObjectStore& store, const std::string& dataset, int64_t partition) {
  DatasetParts parts;
  VERGER_RETURN_IF_ERROR(LoadDatasetParts(store, dataset, &parts));
  const std::string& format_name = parts.format_name;
  const auto& partitions = parts.partitions;
  Dataset d;
  d.dim = parts.dim;
  VERGER_ASSIGN_OR_RETURN(auto format, MakeTableFormat(format_name));
  for (const auto& [index, part_files] : partitions) {
    if (partition >= 0 && index != partition) continue;
    for (const auto& [base, label] : PartitionTables(index, *part_files, dataset, *format)) {
      std::vector<std::vector<uint8_t>> files;
      for (const auto& suffix : format->suffixes()) {
        VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(base + suffix));
        files.push_back(std::move(bytes));
      }
      VERGER_ASSIGN_OR_RETURN(FeatureTable t, format->Decode(files, store.Describe(base)));
      if (t.rows() > 0 && t.dim != d.dim)
        return Status::Corrupt(store.Describe(base) + ": rows of dimension " + std::to_string(t.dim) +
                               ", the manifest says " + std::to_string(d.dim));
      for (const auto& path : t.paths) {
        d.paths.push_back(path);
        d.labels.push_back(label);
      }
      d.values.insert(d.values.end(), t.values.begin(), t.values.end());
    }
  }
  return d;
}

}  // namespace

void BindFeaturize(py::module_& m) {
  py::class_<Featurizer>(m, "_Featurizer")
      .def(py::init([](const std::string& model, const std::string& weights, int batch, int threads,
                       int64_t max_pixels, const std::string& backend, const std::string& device,
                       const std::string& precision) {
             FeaturizerOptions o;
             o.model = model;
             o.weights = weights;
             o.backend = backend;
             o.device = device;
             o.precision = precision;
             o.batch = batch;
             o.threads = threads;
             o.max_pixels = max_pixels;
             return Unwrap(NoGil([&] { return Featurizer::Create(o); }));
           }),
           py::arg("model"), py::arg("weights"), py::arg("batch"), py::arg("threads"), py::arg("max_pixels"),
           py::arg("backend") = "", py::arg("device") = "", py::arg("precision") = "")
      .def_property_readonly("backend", &Featurizer::backend_description)
      .def_property_readonly("backend_choice", &Featurizer::backend_choice)
      .def_property_readonly("batch", &Featurizer::batch)
      .def_property_readonly("spec_json", [](const Featurizer& f) { return ModelSpecToJson(f.spec()); })
      .def_property_readonly("feature_dim", &Featurizer::feature_dim)
      .def_property_readonly("spec_hash", &Featurizer::spec_hash)
      .def_property_readonly("model_name", [](const Featurizer& f) { return f.spec().name; })
      .def_property_readonly("threads", &Featurizer::threads)
      .def("features", &Features, py::arg("images"));

  m.def(
      "read_dataset",
      [](const PyStore& s, const std::string& dataset, int64_t partition) {
        Dataset d = Unwrap(NoGil([&] { return ReadDataset(*s.store, dataset, partition); }));
        py::array_t<float> values({static_cast<py::ssize_t>(d.paths.size()), static_cast<py::ssize_t>(d.dim)});
        std::copy(d.values.begin(), d.values.end(), values.mutable_data());
        return py::make_tuple(d.paths, d.labels, values);
      },
      py::arg("store"), py::arg("dataset") = "features", py::arg("partition") = -1,
      "(paths, labels, N x D float32) of an output's features or reduced rows, in manifest order\n"
      "(partition, then label), read with the first format listed in the manifest; partition >= 0:\n"
      "only the partition with that index");
  m.def(
      "dataset_partitions",
      [](const PyStore& s, const std::string& dataset) {
        std::vector<int64_t> indices;
        Check(NoGil([&]() -> Status {
          DatasetParts parts;
          VERGER_RETURN_IF_ERROR(LoadDatasetParts(*s.store, dataset, &parts));
          for (const auto& [index, files] : parts.partitions) indices.push_back(index);
          return Status::OK();
        }));
        return indices;
      },
      py::arg("store"), py::arg("dataset") = "features", "Partition indices of an output's dataset, in manifest order");
}

}  // namespace verger::python
