#include "engine/extract_job.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "engine/image_listing.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "engine/row_reuse.h"
#include "io/s3_store.h"
#include "sink/csv_format.h"

namespace verger {

namespace {

using json = nlohmann::json;

std::string Iso8601Now() {
  std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

}  // namespace

Status WriteErrorsCsv(ObjectStore& out, const std::vector<ImageError>& errors) {
  std::string text = "path,reason\n";
  for (const auto& e : errors) {
    AppendCsvField(text, e.key);
    text += ',';
    AppendCsvField(text, e.reason);
    text += '\n';
  }
  return out.WriteAtomic(kErrorsKey, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Status RemoveUnreferenced(ObjectStore& out, const json& partitions) {
  std::set<std::string> keep;
  for (const auto& p : partitions) {
    keep.insert(PartitionMarkerKey(p["index"].get<int64_t>()));
    for (const auto& f : p["files"]) keep.insert(f["key"].get<std::string>());
    if (p.contains("pca_stats")) keep.insert(p["pca_stats"].get<std::string>());
  }
  for (std::string_view prefix : {"features/", "_partitions/"}) {
    VERGER_ASSIGN_OR_RETURN(Listing listing, out.List(prefix));
    for (const auto& o : listing.objects)
      if (!keep.count(o.key)) VERGER_RETURN_IF_ERROR(out.Delete(o.key));
  }
  return Status::OK();
}

json FeaturesManifest(const FeaturesManifestInfo& info, json partitions) {
  // Per-partition error lists and per-image inputs live in the markers (and
  // errors.csv); the manifest keeps counts, so its size grows with the
  // partitions, not the images.
  for (auto& p : partitions) {
    p.erase("errors");
    p.erase("inputs");
  }
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  return json{
      {"verger_version", kVergerVersion},
      {"kind", "features"},
      {"created", Iso8601Now()},
      {"command", info.command_line},
      {"input", info.input_uri},
      {"output", info.output_uri},
      {"model", json::parse(ModelSpecToJson(info.spec))},
      {"model_sha256", info.spec_hash},
      {"backend", info.backend},
      {"feature_dim", info.feature_dim},
      {"column_prefix", "dim_"},
      {"preprocessing", PreprocessingJson(info.spec)},
      {"formats", info.formats},
      {"partition_size", info.partition_size},
      {"batch", info.batch},
      {"threads", info.threads},
      {"vcpus", cores},
      {"images", {{"listed", info.listed}, {"ok", info.ok}, {"failed", info.failed},
                  {"listing_problems", info.listing_problems}, {"computed", info.images_computed},
                  {"reused", info.images_reused}}},
      {"errors_file", kErrorsKey},
      {"partitions_reused", info.partitions_reused},
      {"partitions", partitions},
      {"wall_time_s", info.wall_s},
      {"images_per_s", info.images_per_s},
      {"stage_seconds", info.stages.ToJson()},
      {"images_per_hour_per_vcpu", info.images_per_s * 3600.0 / cores},
      {"store_retries", {{"input", info.input_retries}, {"output", info.output_retries}}},
  };
}

FeaturesManifestInfo ManifestInfoFor(const Extractor& e) {
  FeaturesManifestInfo info;
  info.spec = e.spec();
  info.spec_hash = e.spec_hash();
  info.backend = e.backend_description();
  info.feature_dim = e.feature_dim();
  info.formats = e.config().formats;
  info.batch = e.config().batch;
  info.threads = e.threads();
  return info;
}

ExtractorConfig ExtractorConfigFrom(const ExtractOptions& o) {
  ExtractorConfig c;
  c.model = o.model;
  c.weights = o.weights;
  c.backend = o.backend;
  c.device = o.device;
  c.precision = o.precision;
  c.batch = o.batch;
  c.threads = o.threads;
  c.io_concurrency = o.io_concurrency;
  c.formats = o.formats;
  c.max_pixels = o.max_pixels;
  c.write_pca_stats = o.write_pca_stats;
  return c;
}

Result<ExtractSummary> RunExtract(const ExtractOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.partition_size < 1) return Status::InvalidArgument("--partition-size must be at least 1");
  if (o.limit < 0) return Status::InvalidArgument("--limit must be >= 0 (0 = no limit)");
  if (o.resume && o.overwrite) return Status::InvalidArgument("give --resume or --overwrite, not both");
  VERGER_ASSIGN_OR_RETURN(auto extractor, Extractor::Create(ExtractorConfigFrom(o)));

  VERGER_ASSIGN_OR_RETURN(auto input, OpenObjectStore(o.input, o.store));
  // The image list is never held whole (memory stays flat at millions of
  // images): a first pass counts it for progress and so that an input
  // without images is refused before the output is touched; the second
  // streams it in key order and partitions are cut and processed as it goes.
  const auto list_started = std::chrono::steady_clock::now();
  int64_t expected = 0;
  std::vector<ListingProblem> ignored;
  VERGER_RETURN_IF_ERROR(ListImagesEach(
      *input, o.limit,
      [&](ImageItem&&) {
        ++expected;
        return Status::OK();
      },
      &ignored));
  ignored.clear();
  if (expected == 0)
    return Status::InvalidArgument(input->uri() + ": no .jpg, .jpeg or .png images found (label = parent folder)");
  double list_s = SecondsSince(list_started);  // the listing stage, completed below

  StoreOptions out_options = o.store;
  out_options.create = true;
  VERGER_ASSIGN_OR_RETURN(auto output, OpenObjectStore(o.output, out_options));
  std::map<std::string, uint64_t> existing;
  std::unique_ptr<RowReuse> reuse;
  bool reuse_loaded = false;
  if (o.resume) {
    // The old manifest no longer describes what is there once we start.
    VERGER_RETURN_IF_ERROR(output->Delete(kManifestKey));
    VERGER_RETURN_IF_ERROR(RemoveTemporaries(*output));
    VERGER_ASSIGN_OR_RETURN(existing, ObjectSizes(*output));
  } else {
    VERGER_RETURN_IF_ERROR(PrepareOutput(*output, o.overwrite));
  }

  std::vector<ImageError> errors;
  ExtractSummary summary;
  summary.feature_dim = extractor->feature_dim();
  summary.model_hash = extractor->spec_hash();
  summary.output_uri = output->uri();

  json partitions_json = json::array();
  int64_t processed_ok = 0;
  Progress progress("extract", expected, o.progress);
  std::vector<ImageItem> items;
  int64_t next_index = 0;
  double partitions_s = 0;  // streamed-pass time spent in partitions, not listing
  auto process = [&]() -> Status {
    const int64_t index = next_index++;
    ++summary.partitions;
    json marker;
    bool reused = false;
    if (o.resume) {
      VERGER_ASSIGN_OR_RETURN(reused, PartitionIsComplete(*output, existing, *extractor, items, index, &marker));
      // Read before the first partition is rewritten: the markers say which
      // rows of unchanged images an earlier run left, and where. Not read at
      // all when every partition is complete.
      if (!reused && !reuse_loaded) {
        reuse_loaded = true;
        VERGER_ASSIGN_OR_RETURN(reuse, RowReuse::Load(*output, extractor->spec_hash(), extractor->feature_dim()));
      }
    }
    int64_t ok = 0, failed = 0;
    if (reused) {
      ++summary.partitions_reused;
      ok = marker["rows"];
      summary.images_reused += ok;
      failed = marker["failed"];
      for (const auto& e : marker["errors"]) errors.push_back({e["key"], e["reason"]});
      progress.Advance(ok, failed);
    } else {
      const int64_t budget = o.max_errors < 0 ? -1 : std::max<int64_t>(0, o.max_errors - static_cast<int64_t>(errors.size()));
      const auto run_started = std::chrono::steady_clock::now();
      VERGER_ASSIGN_OR_RETURN(PartitionResult r, extractor->RunPartition(*input, *output, items, index, &progress, budget,
                                                                           reuse.get()));
      partitions_s += SecondsSince(run_started);
      ok = r.ok;
      summary.images_reused += r.reused;
      summary.images_computed += r.ok - r.reused;
      failed = r.failed;
      processed_ok += r.ok - r.reused;
      summary.stages += r.stages;
      errors.insert(errors.end(), r.errors.begin(), r.errors.end());
      marker = std::move(r.marker);
    }
    items.clear();
    summary.ok += ok;
    summary.failed += failed;
    if (o.max_errors >= 0 && static_cast<int64_t>(errors.size()) > o.max_errors) {
      summary.max_errors_exceeded = true;
      return Status::Cancelled("--max-errors exceeded");
    }
    // The per-image inputs stay in the marker only: kept here (and in the
    // manifest) they would grow with the collection.
    marker.erase("inputs");
    partitions_json.push_back(std::move(marker));
    return Status::OK();
  };
  std::vector<ListingProblem> problems;
  const auto stream_started = std::chrono::steady_clock::now();
  Status listed = ListImagesEach(
      *input, o.limit,
      [&](ImageItem&& item) -> Status {
        ++summary.listed;
        items.push_back(std::move(item));
        if (static_cast<int64_t>(items.size()) < o.partition_size) return Status::OK();
        return process();
      },
      &problems);
  if (listed.ok() && !items.empty()) listed = process();
  if (!summary.max_errors_exceeded) VERGER_RETURN_IF_ERROR(listed);
  progress.Finish();
  // Listing problems first, as a full listing reports them (sorted).
  std::sort(problems.begin(), problems.end(), [](const ListingProblem& a, const ListingProblem& b) { return a.key < b.key; });
  std::vector<ImageError> listing_errors;
  for (const auto& p : problems) listing_errors.push_back({p.key, p.reason});
  errors.insert(errors.begin(), listing_errors.begin(), listing_errors.end());
  // Listing time: the counting pass, and what the streamed pass did not
  // spend computing partitions (listing, cutting, --resume checks).
  list_s += SecondsSince(stream_started) - partitions_s;
  summary.stages.list = list_s;
  if (summary.max_errors_exceeded) {  // counts as the whole listing would have given them
    summary.listed = std::max(summary.listed, expected);
    summary.partitions = (summary.listed + o.partition_size - 1) / o.partition_size;
  }
  const int64_t n = summary.listed;
  VERGER_RETURN_IF_ERROR(WriteErrorsCsv(*output, errors));
  summary.wall_s = SecondsSince(t0);
  // Speed counts the images this run computed, not partitions it reused.
  summary.images_per_s = summary.wall_s > 0 ? processed_ok / summary.wall_s : 0;
  if (summary.max_errors_exceeded) return summary;  // no manifest: the job did not complete
  if (o.resume) {
    VERGER_RETURN_IF_ERROR(RemoveUnreferenced(*output, partitions_json));
    // Projections of the earlier features are stale; `transform` remakes them.
    VERGER_ASSIGN_OR_RETURN(Listing stale, output->List("reduced/"));
    for (const auto& obj : stale.objects) VERGER_RETURN_IF_ERROR(output->Delete(obj.key));
  }

  FeaturesManifestInfo info = ManifestInfoFor(*extractor);
  info.command_line = o.command_line;
  info.input_uri = input->uri();
  info.output_uri = output->uri();
  info.partition_size = o.partition_size;
  info.listed = n;
  info.ok = summary.ok;
  info.failed = summary.failed;
  info.listing_problems = static_cast<int64_t>(problems.size());
  info.partitions_reused = summary.partitions_reused;
  info.images_reused = summary.images_reused;
  info.images_computed = summary.images_computed;
  info.wall_s = summary.wall_s;
  info.images_per_s = summary.images_per_s;
  info.stages = summary.stages;
  info.input_retries = ObjectStoreRetries(*input);
  info.output_retries = ObjectStoreRetries(*output);
  summary.store_retries = info.input_retries + info.output_retries;
  json manifest = FeaturesManifest(info, std::move(partitions_json));
  VERGER_RETURN_IF_ERROR(WriteJson(*output, kManifestKey, manifest));
  return summary;
}

}  // namespace verger
