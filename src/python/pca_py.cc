// PCA building blocks for cluster mode: per-partition statistics as bytes
// (PcaStats::Serialize), pairwise merges, the fit, and the per-partition
// projection + finishing step of `verger transform`.
#include <pybind11/numpy.h>

#include "engine/output_layout.h"
#include "engine/pca_job.h"
#include "python/py_common.h"
#include "reduce/pca_fit.h"
#include "reduce/pca_plots.h"
#include "sink/table.h"

namespace verger::python {

py::dict FitSummaryToPy(const PcaModel& model) {
  double explained = 0;
  for (double r : model.explained_variance_ratio()) explained += r;
  py::dict d;
  d["n_samples"] = model.n_samples();
  d["dim"] = model.dim();
  d["components"] = model.components();
  d["explained"] = explained;
  return d;
}

namespace {

using json = nlohmann::json;

std::vector<uint8_t> BytesIn(const py::bytes& b) {
  char* buf = nullptr;
  Py_ssize_t len = 0;
  PyBytes_AsStringAndSize(b.ptr(), &buf, &len);
  return std::vector<uint8_t>(buf, buf + len);
}

py::bytes BytesOut(const std::vector<uint8_t>& v) {
  return py::bytes(reinterpret_cast<const char*>(v.data()), v.size());
}

template <typename T>
py::array_t<T> Array(const std::vector<T>& v, std::vector<py::ssize_t> shape) {
  py::array_t<T> a(shape);
  std::copy(v.begin(), v.end(), a.mutable_data());
  return a;
}

std::vector<std::unique_ptr<TableFormat>> Formats(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<TableFormat>> out;
  for (const auto& n : names) out.push_back(Unwrap(MakeTableFormat(n)));
  return out;
}

}  // namespace

void BindPca(py::module_& m) {
  m.attr("SCATTER_MAX_POINTS") = kScatterMaxPoints;
  m.def(
      "read_features_manifest",
      [](const PyStore& s) { return ToPy(Unwrap(NoGil([&] { return ReadFeaturesManifest(*s.store); })).ToJson()); },
      py::arg("store"), "manifest.json of an extract/run output; NotFoundError if there is none");
  m.def(
      "partition_pca_stats",
      [](const PyStore& s, const py::object& partition, const std::string& format, int64_t dim) {
        auto p = RecordFromPy<PartitionMarker>(partition, "partition");
        auto fmt = Unwrap(MakeTableFormat(format));
        auto bytes = Unwrap(NoGil([&]() -> Result<std::vector<uint8_t>> {
          VERGER_ASSIGN_OR_RETURN(PcaStats st, PartitionPcaStats(*s.store, p, *fmt, dim));
          return st.Serialize();
        }));
        return BytesOut(bytes);
      },
      py::arg("store"), py::arg("partition"), py::arg("format"), py::arg("dim"),
      "Serialized PCA statistics of one partition (its marker): its .pcastats file, or computed from its tables");
  m.def(
      "merge_stats",
      [](const py::bytes& a, const py::bytes& b) {
        auto ab = BytesIn(a), bb = BytesIn(b);
        return BytesOut(Unwrap(NoGil([&]() -> Result<std::vector<uint8_t>> {
          VERGER_ASSIGN_OR_RETURN(PcaStats left, PcaStats::Deserialize(ab, "left PCA statistics"));
          VERGER_ASSIGN_OR_RETURN(PcaStats right, PcaStats::Deserialize(bb, "right PCA statistics"));
          VERGER_RETURN_IF_ERROR(left.Merge(right));
          return left.Serialize();
        })));
      },
      py::arg("left"), py::arg("right"), "left (+) right, as TreeMergeStats merges neighbours");
  m.def(
      "tree_merge_stats",
      [](const std::vector<py::bytes>& parts) {
        std::vector<std::vector<uint8_t>> raw;
        for (const auto& p : parts) raw.push_back(BytesIn(p));
        return BytesOut(Unwrap(NoGil([&]() -> Result<std::vector<uint8_t>> {
          std::vector<PcaStats> stats;
          for (size_t i = 0; i < raw.size(); ++i) {
            VERGER_ASSIGN_OR_RETURN(PcaStats s, PcaStats::Deserialize(raw[i], "PCA statistics " + std::to_string(i)));
            stats.push_back(std::move(s));
          }
          VERGER_ASSIGN_OR_RETURN(PcaStats merged, TreeMergeStats(std::move(stats)));
          return merged.Serialize();
        })));
      },
      py::arg("parts"), "TreeMergeStats of serialized statistics, in process (the reference for cluster merges)");
  m.def(
      "stats_info",
      [](const py::bytes& b) {
        PcaStats s = Unwrap(PcaStats::Deserialize(BytesIn(b), "PCA statistics"));
        return py::make_tuple(s.dim(), s.count(), Array(s.mean(), {static_cast<py::ssize_t>(s.dim())}));
      },
      py::arg("stats"), "(dim, count, mean) of serialized statistics");
  m.def(
      "fit_pca",
      [](PyStore& s, const py::bytes& stats, int64_t components, double variance, bool whiten,
         const std::string& source_hash) {
        auto raw = BytesIn(stats);
        PcaModel model = Unwrap(NoGil([&]() -> Result<PcaModel> {
          VERGER_RETURN_IF_ERROR(ValidatePcaChoice(PcaChoice{components, variance, whiten}));
          VERGER_ASSIGN_OR_RETURN(PcaStats merged, PcaStats::Deserialize(raw, "merged PCA statistics"));
          return FitAndWritePca(*s.store, merged, PcaChoice{components, variance, whiten}, source_hash);
        }));
        return FitSummaryToPy(model);
      },
      py::arg("store"), py::arg("stats"), py::kw_only(), py::arg("components") = 0, py::arg("variance") = 0.0,
      py::arg("whiten") = false, py::arg("source_hash") = "",
      "Fits PCA on merged statistics and writes pca/ under the store (as `verger fit-pca`)");
  m.def(
      "read_pca_model",
      [](const PyStore& s, const std::string& prefix) {
        PcaModel model = Unwrap(NoGil([&] { return ReadPcaModel(*s.store, prefix); }));
        const auto k = static_cast<py::ssize_t>(model.components()), d = static_cast<py::ssize_t>(model.dim());
        py::dict out;
        out["mean"] = Array(model.mean(), {d});
        out["components"] = Array(model.component_matrix(), {k, d});
        out["explained_variance"] = Array(model.explained_variance(), {k});
        out["explained_variance_ratio"] = Array(model.explained_variance_ratio(), {k});
        out["n_samples"] = model.n_samples();
        out["whiten"] = model.whiten();
        out["source_hash"] = model.source_hash();
        return out;
      },
      py::arg("store"), py::arg("prefix") = "pca/", "A fitted model as numpy arrays");
  m.def(
      "transform_partition",
      [](PyStore& s, const py::object& partition, const std::string& in_format,
         const std::vector<std::string>& out_formats, const std::string& source_hash, int64_t sample_stride,
         const std::string& model_prefix) {
        auto p = RecordFromPy<PartitionMarker>(partition, "partition");
        auto in = Unwrap(MakeTableFormat(in_format));
        auto outs = Formats(out_formats);
        ScatterSample sample;
        ReducedPartition reduced = Unwrap(NoGil([&]() -> Result<ReducedPartition> {
          VERGER_ASSIGN_OR_RETURN(PcaModel model, ReadPcaModel(*s.store, model_prefix));
          return TransformPartition(*s.store, p, *in, outs, model, source_hash, sample_stride, &sample);
        }));
        return py::make_tuple(ToPy(reduced.ToJson()), sample.pc1, sample.pc2, sample.labels);
      },
      py::arg("store"), py::arg("partition"), py::arg("in_format"), py::arg("out_formats"), py::arg("source_hash"),
      py::arg("sample_stride"), py::arg("model_prefix") = "pca/",
      "Projects one partition into reduced/ with the model under model_prefix; returns\n"
      "(reduced partition entry, scatter pc1, pc2, labels)");
  m.def(
      "finish_transform",
      [](PyStore& s, const py::object& manifest, const std::vector<std::string>& formats, const py::object& reduced,
         std::vector<float> pc1, std::vector<float> pc2, std::vector<std::string> labels, const std::string& model_prefix,
         const std::string& model_location) {
        auto man = RecordFromPy<FeaturesManifest>(manifest, "manifest");
        auto red = RecordsFromPy<ReducedPartition>(reduced, "reduced");
        ScatterSample sample{std::move(pc1), std::move(pc2), std::move(labels)};
        Check(NoGil([&]() -> Status {
          VERGER_ASSIGN_OR_RETURN(PcaModel model, ReadPcaModel(*s.store, model_prefix));
          return FinishTransform(*s.store, man, model, model_location, formats, red, sample);
        }));
      },
      py::arg("store"), py::arg("manifest"), py::arg("formats"), py::arg("reduced"), py::arg("pc1"), py::arg("pc2"),
      py::arg("labels"), py::arg("model_prefix") = "pca/", py::arg("model_location") = "pca/model.json",
      "Writes pca/scatter_pc1_pc2.svg and manifest.json (the features manifest plus pca and reduced), last");
}

}  // namespace verger::python
