// The features job for a cluster driver (verger.cluster): the engine's
// ExtractJob planned and finished on the client, partitions run on workers.
// Options cross into C++ once (OptionsFromPy), tasks and outcomes pickle
// as plain tuples, and Python never reads a marker or a manifest.
#include "engine/extract_job.h"
#include "engine/output_layout.h"
#include "engine/pca_job.h"
#include "python/py_common.h"
#include "reduce/pca_plots.h"

namespace verger::python {

namespace {

using json = nlohmann::json;

// Options of a job as the Python dict (verger.cluster.JobOptions as a
// dict) gives them; unknown keys are an error naming them.
struct JobSpec {
  ExtractOptions extract;
  PcaChoice pca;
};

JobSpec SpecFromPy(const py::dict& d) {
  JobSpec s;
  ExtractOptions& o = s.extract;
  for (auto [k, v] : d) {
    const std::string key = py::str(k);
    if (key == "input") o.input = v.cast<std::string>();
    else if (key == "output") o.output = v.cast<std::string>();
    else if (key == "model") o.model = v.cast<std::string>();
    else if (key == "weights") o.weights = v.cast<std::string>();
    else if (key == "backend") o.backend = v.cast<std::string>();
    else if (key == "device") o.device = v.cast<std::string>();
    else if (key == "precision") o.precision = v.cast<std::string>();
    else if (key == "batch") o.batch = v.cast<int>();
    else if (key == "threads") o.threads = v.cast<int>();
    else if (key == "io_concurrency") o.io_concurrency = v.cast<int>();
    else if (key == "partition_size") o.partition_size = v.cast<int64_t>();
    else if (key == "formats") o.formats = v.cast<std::vector<std::string>>();
    else if (key == "limit") o.limit = v.cast<int64_t>();
    else if (key == "overwrite") o.overwrite = v.cast<bool>();
    else if (key == "resume") o.resume = v.cast<bool>();
    else if (key == "max_errors") o.max_errors = v.cast<int64_t>();
    else if (key == "max_pixels") o.max_pixels = v.cast<int64_t>();
    else if (key == "max_file_bytes") o.max_file_bytes = v.cast<int64_t>();
    else if (key == "s3_endpoint") o.store.s3_endpoint = v.cast<std::string>();
    else if (key == "s3_region") o.store.s3_region = v.cast<std::string>();
    else if (key == "s3_path_style") o.store.s3_path_style = v.cast<bool>();
    else if (key == "command_line") o.command_line = v.cast<std::string>();
    else if (key == "components") s.pca.components = v.cast<int64_t>();
    else if (key == "variance") s.pca.variance = v.cast<double>();
    else if (key == "whiten") s.pca.whiten = v.cast<bool>();
    else ThrowStatus(Status::InvalidArgument("job option '" + key + "' is not one verger knows"));
  }
  // `run`'s job: statistics for the PCA, manifest.json only once transform is done.
  o.write_pca_stats = true;
  o.defer_manifest = true;
  o.progress.mode = ProgressMode::kQuiet;  // the driver shows progress
  return s;
}

py::tuple TaskState(const PartitionTask& t) { return py::make_tuple(t.index, ItemsToPy(t.items), t.stop_after_errors); }

PartitionTask TaskFromState(const py::tuple& t) {
  return {t[0].cast<int64_t>(), ItemsFromPy(t[1].cast<std::vector<ItemTuple>>()), t[2].cast<int64_t>()};
}

py::tuple OutcomeState(const PartitionOutcome& o) {
  std::vector<std::pair<std::string, std::string>> errors;
  for (const auto& e : o.errors) errors.emplace_back(e.key, e.reason);
  const StageSeconds& s = o.stages;
  return py::make_tuple(o.index, o.marker ? o.marker->ToJson().dump() : std::string(), o.ok, o.failed, o.reused,
                        errors, std::vector<double>{s.read, s.decode, s.wait_for_input, s.inference, s.write, s.list},
                        o.backend, o.threads, o.started_at, o.finished_at);
}

PartitionOutcome OutcomeFromState(const py::tuple& t) {
  PartitionOutcome o;
  o.index = t[0].cast<int64_t>();
  const auto marker = t[1].cast<std::string>();
  if (!marker.empty()) {
    const std::string where = "the outcome of " + PartitionMarkerKey(o.index);
    auto j = json::parse(marker, nullptr, /*allow_exceptions=*/false);
    o.marker = Unwrap(PartitionMarker::FromJson(j, where));
  }
  o.ok = t[2].cast<int64_t>();
  o.failed = t[3].cast<int64_t>();
  o.reused = t[4].cast<int64_t>();
  for (const auto& [k, r] : t[5].cast<std::vector<std::pair<std::string, std::string>>>()) o.errors.push_back({k, r});
  const auto s = t[6].cast<std::vector<double>>();
  if (s.size() == 6) o.stages = {s[0], s[1], s[2], s[3], s[4], s[5]};
  o.backend = t[7].cast<std::string>();
  o.threads = t[8].cast<int>();
  o.started_at = t[9].cast<double>();
  o.finished_at = t[10].cast<double>();
  return o;
}

// A worker's model and stores for one job's options: made once per
// process (verger.tasks caches it), then one partition at a time.
class Worker {
 public:
  explicit Worker(const py::dict& options) {
    const JobSpec spec = SpecFromPy(options);
    const ExtractOptions& o = spec.extract;
    extractor_ = Unwrap(NoGil([&] { return Extractor::Create(o); }));
    input_ = Unwrap(NoGil([&] { return OpenObjectStore(o.input, o.store); }));
    output_ = Unwrap(NoGil([&] { return OpenObjectStore(o.output, o.store); }));
  }
  PartitionOutcome Run(const PartitionTask& task) {
    return Unwrap(NoGil([&] { return RunPartitionTask(*extractor_, *input_, *output_, task); }));
  }
  const Extractor& extractor() const { return *extractor_; }

 private:
  std::unique_ptr<Extractor> extractor_;
  std::unique_ptr<ObjectStore> input_, output_;
};

// The reduced entry and scatter sample of one transformed partition.
struct TransformOutcome {
  ReducedPartition reduced;
  ScatterSample sample;
};

py::dict SummaryToPy(const ExtractSummary& s) {
  py::dict d;
  d["listed"] = s.listed;
  d["ok"] = s.ok;
  d["failed"] = s.failed;
  d["listing_problems"] = s.listing_problems;
  d["partitions"] = s.partitions;
  d["partitions_reused"] = s.partitions_reused;
  d["images_computed"] = s.images_computed;
  d["images_reused"] = s.images_reused;
  d["feature_dim"] = s.feature_dim;
  d["wall_s"] = s.wall_s;
  d["images_per_s"] = s.images_per_s;
  d["max_errors_exceeded"] = s.max_errors_exceeded;
  d["output_uri"] = s.output_uri;
  d["errors_uri"] = s.errors_uri;
  return d;
}

// The output store of a job's options, for worker tasks that need no model.
std::unique_ptr<ObjectStore> OutputOf(const py::dict& options) {
  const JobSpec spec = SpecFromPy(options);
  return Unwrap(NoGil([&] { return OpenObjectStore(spec.extract.output, spec.extract.store); }));
}

}  // namespace

void BindJob(py::module_& m) {
  py::class_<PartitionTask>(m, "PartitionTask", "One partition to compute (picklable: index, items, error budget)")
      .def_readonly("index", &PartitionTask::index)
      .def_property_readonly("images", [](const PartitionTask& t) { return t.items.size(); })
      .def(py::pickle(&TaskState, &TaskFromState));

  py::class_<PartitionOutcome>(m, "PartitionOutcome", "What a worker's partition gives the job (picklable)")
      .def_readonly("index", &PartitionOutcome::index)
      .def_readonly("ok", &PartitionOutcome::ok)
      .def_readonly("failed", &PartitionOutcome::failed)
      .def(py::pickle(&OutcomeState, &OutcomeFromState));

  py::class_<TransformOutcome>(m, "TransformOutcome", "A transformed partition (picklable)")
      .def_property_readonly("rows", [](const TransformOutcome& t) { return t.reduced.rows; })
      .def(py::pickle(
          [](const TransformOutcome& t) {
            return py::make_tuple(t.reduced.ToJson().dump(), t.sample.pc1, t.sample.pc2, t.sample.labels);
          },
          [](const py::tuple& t) {
            TransformOutcome o;
            auto j = json::parse(t[0].cast<std::string>(), nullptr, /*allow_exceptions=*/false);
            o.reduced = Unwrap(ReducedPartition::FromJson(j, "a transformed partition"));
            o.sample = {t[1].cast<std::vector<float>>(), t[2].cast<std::vector<float>>(),
                        t[3].cast<std::vector<std::string>>()};
            return o;
          }));

  py::class_<Worker>(m, "Worker", "A worker's loaded model and stores for one job's options")
      .def(py::init<const py::dict&>(), py::arg("options"))
      .def("run", &Worker::Run, py::arg("task"), "Runs one partition (tables, statistics, marker, each atomic)")
      .def_property_readonly("backend", [](const Worker& w) { return w.extractor().backend_description(); })
      .def_property_readonly("threads", [](const Worker& w) { return w.extractor().threads(); });

  py::class_<ExtractJob>(m, "ExtractJob",
                         "`verger run`'s job on the client of a cluster: plan, record outcomes, finalize, finish")
      .def(py::init([](const py::dict& options) {
             const JobSpec spec = SpecFromPy(options);
             Check(ValidatePcaChoice(spec.pca));
             return Unwrap(NoGil([&] { return ExtractJob::Create(spec.extract); }));
           }),
           py::arg("options"), "Checks the options (errors as `verger run`'s) and loads the client's model copy")
      .def(
          "plan", [](ExtractJob& j) { return Unwrap(NoGil([&] { return j.Plan(); })); },
          "Lists the input, prepares the output (--overwrite/--resume) and returns the partitions to compute")
      .def(
          "record",
          [](ExtractJob& j, PartitionOutcome o) {
            Check(NoGil([&] { return j.Record(std::move(o)); }));
            return !j.max_errors_exceeded();
          },
          py::arg("outcome"), "Takes one partition's outcome; False once --max-errors is exceeded")
      .def(
          "finalize",
          [](ExtractJob& j, const std::string& scheduler, int64_t workers, int64_t computed) {
            ClusterInfo c{"dask", scheduler, workers, computed};
            return SummaryToPy(Unwrap(NoGil([&] { return j.Finalize(c); })));
          },
          py::arg("scheduler"), py::arg("workers"), py::arg("partitions_computed"),
          "errors.csv, then the features manifest (the run state until finish_transform); a summary dict")
      .def_property_readonly("summary", [](const ExtractJob& j) { return SummaryToPy(j.summary()); },
                             "Counts so far (after plan: listed, partitions, reused partitions and rows)")
      .def_property_readonly("feature_dim", [](const ExtractJob& j) { return j.extractor().feature_dim(); })
      .def_property_readonly("spec_hash", [](const ExtractJob& j) { return j.extractor().spec_hash(); })
      .def(
          "scatter_stride",
          [](const ExtractJob& j) -> int64_t {
            return std::max<int64_t>(1, (j.summary().ok + kScatterMaxPoints - 1) / kScatterMaxPoints);
          },
          "Every how many rows a transform task samples for the scatter picture (as `verger transform`)")
      .def(
          "finish_transform",
          [](ExtractJob& j, const std::vector<TransformOutcome>& outcomes) {
            std::vector<ReducedPartition> reduced;
            ScatterSample sample;
            int64_t rows = 0;
            for (const auto& o : outcomes) {  // partition order, as the local transform samples rows
              reduced.push_back(o.reduced);
              rows += o.reduced.rows;
              sample.pc1.insert(sample.pc1.end(), o.sample.pc1.begin(), o.sample.pc1.end());
              sample.pc2.insert(sample.pc2.end(), o.sample.pc2.begin(), o.sample.pc2.end());
              sample.labels.insert(sample.labels.end(), o.sample.labels.begin(), o.sample.labels.end());
            }
            Check(NoGil([&]() -> Status {
              ObjectStore& out = j.output();
              VERGER_ASSIGN_OR_RETURN(PcaModel model, ReadPcaModel(out, "pca/"));
              VERGER_RETURN_IF_ERROR(FinishTransform(out, j.manifest(), model, "pca/model.json",
                                                     j.options().formats, reduced, sample));
              return out.Delete(kRunStateKey);  // manifest.json has it all now
            }));
            return rows;
          },
          py::arg("outcomes"),
          "Writes pca/scatter_pc1_pc2.svg and manifest.json (written last) from the transform outcomes; "
          "returns the rows projected");

  m.def(
      "run_stats_task",
      [](const py::dict& options, int64_t index, int64_t dim) {
        const JobSpec spec = SpecFromPy(options);
        auto out = OutputOf(options);
        auto fmt = Unwrap(MakeTableFormat(spec.extract.formats.at(0)));
        auto bytes = Unwrap(NoGil([&]() -> Result<std::vector<uint8_t>> {
          VERGER_ASSIGN_OR_RETURN(PartitionMarker marker, ReadPartitionMarker(*out, index));
          VERGER_ASSIGN_OR_RETURN(PcaStats st, PartitionPcaStats(*out, marker, *fmt, dim));
          return st.Serialize();
        }));
        return py::bytes(reinterpret_cast<const char*>(bytes.data()), bytes.size());
      },
      py::arg("options"), py::arg("index"), py::arg("dim"),
      "Serialized PCA statistics of partition `index` of the job's output (from its marker)");
  m.def(
      "run_fit_task",
      [](const py::dict& options, const py::bytes& stats, const std::string& source_hash) {
        const JobSpec spec = SpecFromPy(options);
        auto out = OutputOf(options);
        const std::string raw = stats;
        std::vector<uint8_t> bytes(raw.begin(), raw.end());
        PcaModel model = Unwrap(NoGil([&]() -> Result<PcaModel> {
          VERGER_ASSIGN_OR_RETURN(PcaStats merged, PcaStats::Deserialize(bytes, "merged PCA statistics"));
          return FitAndWritePca(*out, merged, spec.pca, source_hash);
        }));
        return FitSummaryToPy(model);
      },
      py::arg("options"), py::arg("stats"), py::arg("source_hash"),
      "Fits the job's PCA (its components/variance/whiten) on merged statistics and writes pca/");
  m.def(
      "run_transform_task",
      [](const py::dict& options, int64_t index, const std::string& source_hash, int64_t stride) {
        const JobSpec spec = SpecFromPy(options);
        auto out = OutputOf(options);
        const auto& names = spec.extract.formats;
        auto in = Unwrap(MakeTableFormat(names.at(0)));
        std::vector<std::unique_ptr<TableFormat>> outs;
        for (const auto& n : names) outs.push_back(Unwrap(MakeTableFormat(n)));
        TransformOutcome o;
        o.reduced = Unwrap(NoGil([&]() -> Result<ReducedPartition> {
          VERGER_ASSIGN_OR_RETURN(PcaModel model, ReadPcaModel(*out, "pca/"));
          VERGER_ASSIGN_OR_RETURN(PartitionMarker marker, ReadPartitionMarker(*out, index));
          return TransformPartition(*out, marker, *in, outs, model, source_hash, stride, &o.sample);
        }));
        return o;
      },
      py::arg("options"), py::arg("index"), py::arg("source_hash"), py::arg("stride"),
      "Projects partition `index` of the job's output with its pca/ model into reduced/");
}

}  // namespace verger::python
