// Planning and per-partition extraction: the pieces `verger run` composes,
// exposed so a Dask client can plan and workers can run partitions.
#include <map>

#include "engine/extract_job.h"
#include "engine/extractor.h"
#include "engine/image_listing.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "model/model_spec.h"
#include "python/py_common.h"

namespace verger::python {

namespace {

using json = nlohmann::json;

py::list ErrorsToPy(const std::vector<ImageError>& errors) {
  py::list out;
  for (const auto& e : errors) out.append(py::make_tuple(e.key, e.reason));
  return out;
}

}  // namespace

void BindExtract(py::module_& m) {
  {
    // The defaults of `verger extract`/`run`, so cluster mode's options follow the engine's.
    const ExtractOptions d;
    py::dict defaults;
    defaults["model"] = d.model;
    defaults["batch"] = d.batch;
    defaults["threads"] = d.threads;
    defaults["io_concurrency"] = d.io_concurrency;
    defaults["partition_size"] = d.partition_size;
    defaults["formats"] = d.formats;
    defaults["limit"] = d.limit;
    defaults["max_errors"] = d.max_errors;
    defaults["max_pixels"] = d.max_pixels;
    defaults["max_file_bytes"] = d.max_file_bytes;
    m.attr("EXTRACT_DEFAULTS") = defaults;
  }
  m.def(
      "list_images",
      [](const PyStore& input, int64_t limit) {
        ImageListing l = Unwrap(NoGil([&] { return ListImages(*input.store, limit); }));
        py::list problems;
        for (const auto& p : l.problems) problems.append(py::make_tuple(p.key, p.reason));
        return py::make_tuple(ItemsToPy(l.images), problems);
      },
      py::arg("input"), py::arg("limit") = 0,
      "(items, problems): images under the store sorted by key as (key, label, size, mtime_ns, etag) tuples\n"
      "(label = parent folder; limit > 0 keeps the first `limit`), and (key, reason) listing problems");
  m.def(
      "plan_partitions",
      [](int64_t image_count, int64_t partition_size) {
        std::vector<std::tuple<int64_t, int64_t, int64_t>> out;
        for (const auto& p : PlanPartitions(image_count, partition_size)) out.emplace_back(p.index, p.begin, p.end);
        return out;
      },
      py::arg("image_count"), py::arg("partition_size"),
      "[(index, begin, end)] over the sorted image list: a fresh job's plan");
  m.def(
      "plan_partitions",
      [](const std::vector<std::string>& keys, int64_t partition_size, const PyStore* output) {
        std::vector<PartitionBoundary> boundaries;
        if (output != nullptr) boundaries = Unwrap(NoGil([&] { return ReadPartitionBoundaries(*output->store); }));
        std::vector<std::tuple<int64_t, int64_t, int64_t>> out;
        for (const auto& p : PlanPartitions(
                 static_cast<int64_t>(keys.size()), [&](int64_t i) -> std::string_view { return keys[i]; },
                 partition_size, boundaries))
          out.emplace_back(p.index, p.begin, p.end);
        return out;
      },
      py::arg("keys"), py::arg("partition_size"), py::arg("output") = nullptr,
      "[(index, begin, end)] over the sorted keys; with `output` (--resume) the partitions of the earlier\n"
      "run there keep their boundaries and indices, as `verger run --resume` cuts them");
  m.def("partition_name", &PartitionName, py::arg("index"));
  m.def("partition_marker_key", &PartitionMarkerKey, py::arg("index"));
  m.def("pca_stats_key", &PcaStatsKey, py::arg("index"));
  m.def(
      "partition_inputs_hash", [](const std::vector<ItemTuple>& items) { return PartitionInputsHash(ItemsFromPy(items)); },
      py::arg("items"));

  py::class_<Extractor>(m, "Extractor",
                        "One loaded model and its output formats (engine/extractor.h). Not thread-safe: one\n"
                        "partition at a time per object.")
      .def(py::init([](const std::string& model, const std::string& weights, int batch, int threads,
                       int io_concurrency, std::vector<std::string> formats, int64_t max_pixels, bool write_pca_stats,
                       const std::string& backend, const std::string& device, const std::string& precision,
                       int64_t max_file_bytes) {
             ExtractorConfig c;
             c.model = model;
             c.weights = weights;
             c.backend = backend;
             c.device = device;
             c.precision = precision;
             c.batch = batch;
             c.threads = threads;
             c.io_concurrency = io_concurrency;
             c.formats = std::move(formats);
             c.max_pixels = max_pixels;
             c.max_file_bytes = max_file_bytes;
             c.write_pca_stats = write_pca_stats;
             return Unwrap(NoGil([&] { return Extractor::Create(c); }));
           }),
           py::arg("model") = ExtractorConfig{}.model, py::arg("weights") = "", py::arg("batch") = ExtractorConfig{}.batch,
           py::arg("threads") = 0, py::arg("io_concurrency") = 0, py::arg("formats") = ExtractorConfig{}.formats,
           py::arg("max_pixels") = ExtractorConfig{}.max_pixels, py::arg("write_pca_stats") = false,
           py::arg("backend") = "", py::arg("device") = "", py::arg("precision") = "",
           py::arg("max_file_bytes") = ExtractorConfig{}.max_file_bytes,
           "Loads the model (backend/device/precision: \"\" keeps the spec's; batch 0: the backend's default).\n"
           "Errors name the option or file.")
      .def_property_readonly("spec_hash", &Extractor::spec_hash)
      .def_property_readonly("feature_dim", &Extractor::feature_dim)
      .def_property_readonly("threads", &Extractor::threads)
      .def_property_readonly("backend", &Extractor::backend_description)
      .def_property_readonly("backend_choice", &Extractor::backend_choice,
                             "Why this backend runs, e.g. \"auto: torch (ONNX imported)\"")
      .def_property_readonly("batch", &Extractor::batch, "Images per forward pass (the backend's default if 0 was given)")
      .def_property_readonly("model_name", [](const Extractor& e) { return e.spec().name; })
      .def_property_readonly("spec_json", [](const Extractor& e) { return ModelSpecToJson(e.spec()); })
      .def(
          "run_partition",
          [](Extractor& e, const PyStore& input, PyStore& output, const std::vector<ItemTuple>& items, int64_t index,
             int64_t stop_after_errors) {
            auto cpp_items = ItemsFromPy(items);
            PartitionResult r = Unwrap(NoGil([&] {
              return e.RunPartition(*input.store, *output.store, cpp_items, index, nullptr, stop_after_errors);
            }));
            py::dict d;
            d["marker"] = r.marker ? ToPy(r.marker->ToJson()) : py::object(py::none());
            d["ok"] = r.ok;
            d["failed"] = r.failed;
            d["errors"] = ErrorsToPy(r.errors);
            d["stages"] = ToPy(r.stages.ToJson());
            return d;
          },
          py::arg("input"), py::arg("output"), py::arg("items"), py::arg("index"), py::arg("stop_after_errors") = -1,
          "Extracts one partition (tables, PCA statistics if configured, then its marker, each atomic).\n"
          "Returns {marker (None if stopped by stop_after_errors), ok, failed, errors: [(key, reason)],\n"
          "stages: {read, decode, wait_for_input, inference, write} busy seconds}.");

  m.def(
      "object_sizes",
      [](const PyStore& store) { return Unwrap(NoGil([&] { return ObjectSizes(*store.store); })); },
      py::arg("store"), "{key: size} of every object in the store");
  m.def(
      "partition_is_complete",
      [](const PyStore& output, const std::map<std::string, uint64_t>& sizes, const Extractor& e,
         const std::vector<ItemTuple>& items, int64_t index) -> py::object {
        auto cpp_items = ItemsFromPy(items);
        auto marker = Unwrap(NoGil([&] { return CompletePartition(*output.store, sizes, e, cpp_items, index); }));
        return marker ? ToPy(marker->ToJson()) : py::object(py::none());
      },
      py::arg("output"), py::arg("sizes"), py::arg("extractor"), py::arg("items"), py::arg("index"),
      "The partition's marker (without its per-image inputs) if it is complete and valid for these items, model "
      "and formats, else None");
  m.def(
      "prepare_output", [](PyStore& out, bool overwrite) { Check(NoGil([&] { return PrepareOutput(*out.store, overwrite); })); },
      py::arg("output"), py::arg("overwrite"));
  m.def(
      "write_errors_csv",
      [](PyStore& out, const std::vector<std::pair<std::string, std::string>>& errors) {
        std::vector<ImageError> e;
        for (const auto& [k, r] : errors) e.push_back({k, r});
        Check(NoGil([&] { return WriteErrorsCsv(*out.store, e); }));
      },
      py::arg("output"), py::arg("errors"));
  m.def(
      "remove_unreferenced",
      [](PyStore& out, const py::object& partitions) {
        auto p = RecordsFromPy<PartitionMarker>(partitions, "partitions");
        Check(NoGil([&] { return RemoveUnreferenced(*out.store, p); }));
      },
      py::arg("output"), py::arg("partitions"));
  m.def(
      "write_json",
      [](PyStore& out, const std::string& key, const py::object& value) {
        json v = FromPy(value);
        Check(NoGil([&] { return WriteJson(*out.store, key, v); }));
      },
      py::arg("store"), py::arg("key"), py::arg("value"));
  m.def(
      "read_json",
      [](const PyStore& s, const std::string& key) { return ToPy(Unwrap(NoGil([&] { return ReadJson(*s.store, key); }))); },
      py::arg("store"), py::arg("key"));
  m.def(
      "features_manifest",
      [](const Extractor& e, const py::object& partitions, const std::string& command_line, const std::string& input_uri,
         const std::string& output_uri, int64_t partition_size, int64_t listed, int64_t ok, int64_t failed,
         int64_t listing_problems, int64_t partitions_reused, double wall_s, double images_per_s,
         const std::string& backend, int64_t threads, const py::object& stage_seconds) {
        FeaturesManifestInfo info = ManifestInfoFor(e);
        info.command_line = command_line;
        info.input_uri = input_uri;
        info.output_uri = output_uri;
        if (!backend.empty()) info.backend = backend;
        info.partition_size = partition_size;
        if (threads > 0) info.threads = threads;
        info.listed = listed;
        info.ok = ok;
        info.failed = failed;
        info.listing_problems = listing_problems;
        info.partitions_reused = partitions_reused;
        info.wall_s = wall_s;
        info.images_per_s = images_per_s;
        if (!stage_seconds.is_none()) {
          const json st = FromPy(stage_seconds);
          for (auto [field, name] : {std::pair{&info.stages.read, "read"}, {&info.stages.decode, "decode"},
                                     {&info.stages.wait_for_input, "wait_for_input"},
                                     {&info.stages.inference, "inference"}, {&info.stages.write, "write"}})
            *field = st.value(name, 0.0);
        }
        return ToPy(BuildFeaturesManifest(info, RecordsFromPy<PartitionMarker>(partitions, "partitions")).ToJson());
      },
      py::arg("extractor"), py::arg("partitions"), py::kw_only(), py::arg("command_line"), py::arg("input_uri"),
      py::arg("output_uri"), py::arg("partition_size"), py::arg("listed"), py::arg("ok"), py::arg("failed"),
      py::arg("listing_problems"), py::arg("partitions_reused"), py::arg("wall_s"), py::arg("images_per_s"),
      py::arg("backend") = "", py::arg("threads") = 0, py::arg("stage_seconds") = py::none(),
      "manifest.json of a features job (as `verger extract` writes it) for these partition markers");
}

}  // namespace verger::python
