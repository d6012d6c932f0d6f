#include "engine/extract_job.h"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <optional>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "engine/image_listing.h"
#include "engine/image_sample.h"
#include "engine/interrupt.h"
#include "engine/job_counts.h"
#include "engine/output_layout.h"
#include "engine/output_lock.h"
#include "engine/partition.h"
#include "engine/row_reuse.h"
#include "io/s3_store.h"
#include "sink/csv_format.h"

namespace verger {

namespace {

using json = nlohmann::json;

// A job stopped by `cause` after `complete` of `total` partitions: says what
// is kept, how the stores' retries went, and how to go on.
Status StoppedJob(const Status& cause, size_t complete, size_t total, const ObjectStore& input,
                  const ObjectStore& output) {
  if (cause.code() != StatusCode::kUnavailable) return cause;
  const int64_t retries = ObjectStoreRetries(input) + ObjectStoreRetries(output);
  return Status::Unavailable(cause.message() + "; " + std::to_string(retries) +
                             " storage requests were retried, the last without success; " + std::to_string(complete) +
                             " of " + std::to_string(total) +
                             " partitions are complete and kept: run the same command with --resume once the "
                             "store is back");
}

Status NoImagesFound(const ObjectStore& input) {
  return Status::InvalidArgument(input.uri() + ": no .jpg, .jpeg or .png images found (label = parent folder)");
}

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
    // Keys reach here escaped already (ListImages); this keeps the file
    // UTF-8 whatever a reason quotes.
    AppendCsvField(text, EscapeNonUtf8(e.key));
    text += ',';
    AppendCsvField(text, EscapeNonUtf8(e.reason));
    text += '\n';
  }
  return out.WriteAtomic(kErrorsKey, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Status RemoveUnreferenced(ObjectStore& out, const std::vector<PartitionMarker>& partitions) {
  std::set<std::string> keep = ListedKeys(partitions);
  for (const auto& p : partitions) keep.insert(PartitionMarkerKey(p.index));
  for (std::string_view prefix : {"features/", "_partitions/"}) VERGER_RETURN_IF_ERROR(RemoveUnlisted(out, prefix, keep));
  return Status::OK();
}

FeaturesManifest BuildFeaturesManifest(const FeaturesManifestInfo& info,
                                       const std::vector<PartitionMarker>& partitions) {
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  FeaturesManifest m;
  m.verger_version = kVergerVersion;
  m.kind = "features";
  m.created = Iso8601Now();
  m.command = EscapeNonUtf8(info.command_line);
  m.input = EscapeNonUtf8(info.input_uri);
  m.output = EscapeNonUtf8(info.output_uri);
  m.model = json::parse(ModelSpecToJson(info.spec));
  m.model_sha256 = info.spec_hash;
  m.backend = info.backend;
  m.backend_reason = info.backend_reason;
  m.feature_dim = info.feature_dim;
  m.column_prefix = "dim_";
  m.preprocessing = PreprocessingJson(info.spec);
  m.formats = info.formats;
  m.partition_size = info.partition_size;
  m.batch = info.batch;
  m.threads = info.threads;
  m.vcpus = cores;
  m.images = ManifestImages{info.listed, info.ok, info.failed, info.listing_problems, info.images_computed,
                            info.images_reused};
  m.errors_file = kErrorsKey;
  m.counts = CountByLabelAndReason(partitions, info.listing_errors, RootLabel(info.input_uri));
  m.partitions_reused = info.partitions_reused;
  // Per-partition error lists and per-image inputs live in the markers (and
  // errors.csv); the manifest keeps counts, so its size grows with the
  // partitions, not the images.
  m.partitions.reserve(partitions.size());
  for (const auto& p : partitions) m.partitions.push_back(p.ManifestEntry());
  m.wall_time_s = info.wall_s;
  m.images_per_s = info.images_per_s;
  m.stage_seconds = info.stages;
  m.images_per_hour_per_vcpu = info.images_per_s * 3600.0 / cores;
  m.store_retries = std::pair{info.input_retries, info.output_retries};
  return m;
}

FeaturesManifestInfo ManifestInfoFor(const Extractor& e) {
  FeaturesManifestInfo info;
  info.spec = e.spec();
  info.spec_hash = e.spec_hash();
  info.backend = e.backend_description();
  info.feature_dim = e.feature_dim();
  info.formats = e.config().formats;
  info.backend_reason = e.backend_choice();
  info.batch = e.batch();
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
  c.max_file_bytes = o.max_file_bytes;
  c.write_pca_stats = o.write_pca_stats;
  return c;
}

namespace {

Status CheckListingOptions(const ExtractOptions& o) {
  if (o.limit < 0) return Status::InvalidArgument("--limit must be >= 0 (0 = no limit)");
  if (o.sample < 0) return Status::InvalidArgument("--sample must be >= 0 (0 = every image)");
  return Status::OK();
}

}  // namespace

Result<ImageListing> ListJobImages(const ObjectStore& input, const ExtractOptions& o) {
  VERGER_RETURN_IF_ERROR(CheckListingOptions(o));
  VERGER_ASSIGN_OR_RETURN(ImageListing listing, ListImages(input, o.limit));
  if (listing.images.empty()) return NoImagesFound(input);
  if (o.sample > 0) listing.images = SampleByLabel(listing.images, o.sample, o.seed);
  return listing;
}

Result<ExtractSummary> RunExtract(const ExtractOptions& o) {
  const auto t0 = std::chrono::steady_clock::now();
  if (o.partition_size < 1) return Status::InvalidArgument("--partition-size must be at least 1");
  VERGER_RETURN_IF_ERROR(CheckListingOptions(o));
  if (o.resume && o.overwrite) return Status::InvalidArgument("give --resume or --overwrite, not both");
  VERGER_ASSIGN_OR_RETURN(auto extractor, Extractor::Create(ExtractorConfigFrom(o)));

  VERGER_ASSIGN_OR_RETURN(auto input, OpenObjectStore(o.input, o.store));
  const auto list_started = std::chrono::steady_clock::now();
  int64_t expected = 0;
  // --sample draws from every key (stratified by label), so then the list is
  // held whole (ListJobImages) and partitions are cut from it.
  std::optional<ImageListing> sampled;
  if (o.sample > 0) {
    VERGER_ASSIGN_OR_RETURN(sampled, ListJobImages(*input, o));
    expected = static_cast<int64_t>(sampled->images.size());
  } else {
    // Otherwise the image list is never held whole (memory stays flat at
    // millions of images): a first pass counts it for progress and so that
    // an input without images is refused before the output is touched; the
    // second streams it in key order and partitions are cut and processed
    // as it goes.
    std::vector<ListingProblem> ignored;
    VERGER_RETURN_IF_ERROR(ListImagesEach(
        *input, o.limit,
        [&](ImageItem&&) {
          ++expected;
          return Status::OK();
        },
        &ignored));
    if (expected == 0) return NoImagesFound(*input);
  }
  const int64_t planned_partitions = (expected + o.partition_size - 1) / o.partition_size;
  double list_s = SecondsSince(list_started);  // the listing stage, completed below

  StoreOptions out_options = o.store;
  out_options.create = true;
  VERGER_ASSIGN_OR_RETURN(auto output, OpenObjectStore(o.output, out_options));
  VERGER_ASSIGN_OR_RETURN(auto lock, OutputLock::Acquire(*output, o.write_pca_stats ? "run" : "extract"));
  std::map<std::string, uint64_t> existing;
  std::unique_ptr<RowReuse> reuse;
  bool reuse_loaded = false;
  if (o.resume) {
    {
      VERGER_ASSIGN_OR_RETURN(Listing present, output->List(""));
      VERGER_RETURN_IF_ERROR(CheckOnlyVergerFiles(*output, present));  // before deleting anything
    }
    // The old manifest no longer describes what is there once we start.
    VERGER_RETURN_IF_ERROR(output->Delete(kManifestKey));
    VERGER_RETURN_IF_ERROR(output->Delete(kRunStateKey));
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
  summary.backend = extractor->backend_description();
  summary.backend_choice = extractor->backend_choice();
  summary.batch = extractor->batch();

  std::vector<PartitionMarker> partitions;
  std::vector<TimelineEntry> timeline;  // when each computed partition ran, for images/s over time (verger report)
  int64_t processed_ok = 0;
  Progress progress("extract", expected, o.progress);
  // Ctrl-C: finished partitions stay (markers), no manifest; --resume continues.
  auto interrupted = [&] {
    progress.Finish();
    return InterruptedStatus(static_cast<int64_t>(partitions.size()), planned_partitions);
  };
  std::vector<ImageItem> items;
  int64_t next_index = 0;
  double partitions_s = 0;  // streamed-pass time spent in partitions, not listing
  std::vector<ListingProblem> problems;
  // Listing problems count against --max-errors like failed images (those
  // the listing has met so far when streaming).
  auto failures_so_far = [&] { return static_cast<int64_t>(errors.size() + problems.size()); };
  auto process = [&]() -> Status {
    if (InterruptRequested()) return interrupted();
    const int64_t index = next_index++;
    ++summary.partitions;
    std::optional<PartitionMarker> marker;
    bool reused = false;
    std::set<std::string> retrying;  // images that failed in the earlier run of a complete partition
    if (o.resume) {
      VERGER_ASSIGN_OR_RETURN(marker, CompletePartition(*output, existing, *extractor, items, index));
      reused = marker.has_value();
      // Failed images are always retried (the file may be fixed, the outage
      // over): the partition is rewritten, its good rows copied (RowReuse).
      if (reused && marker->failed > 0) {
        reused = false;
        if (marker->errors)
          for (const auto& e : *marker->errors) retrying.insert(e.key);
      }
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
      ok = marker->rows;
      summary.images_reused += ok;
      failed = marker->failed;
      if (marker->errors) errors.insert(errors.end(), marker->errors->begin(), marker->errors->end());
      progress.Advance(ok, failed);
    } else {
      const double started_at = UnixSeconds();
      const int64_t budget = o.max_errors < 0 ? -1 : std::max<int64_t>(0, o.max_errors - failures_so_far());
      const auto run_started = std::chrono::steady_clock::now();
      auto run = extractor->RunPartition(*input, *output, items, index, &progress, budget, reuse.get());
      partitions_s += SecondsSince(run_started);
      if (!run.ok()) {
        if (run.status().code() == StatusCode::kCancelled) return interrupted();
        progress.Finish();
        return StoppedJob(run.status(), partitions.size(), static_cast<size_t>(planned_partitions), *input, *output);
      }
      PartitionResult r = std::move(run).value();
      ok = r.ok;
      summary.images_reused += r.reused;
      summary.images_computed += r.ok - r.reused;
      failed = r.failed;
      if (!retrying.empty()) {
        summary.retried += static_cast<int64_t>(retrying.size());
        int64_t still_failing = 0;
        for (const auto& e : r.errors) still_failing += retrying.count(e.key);
        summary.retried_ok += static_cast<int64_t>(retrying.size()) - still_failing;
      }
      processed_ok += r.ok - r.reused;
      summary.stages += r.stages;
      errors.insert(errors.end(), r.errors.begin(), r.errors.end());
      marker = std::move(r.marker);
      timeline.push_back({index, r.ok + r.failed - r.reused, started_at, UnixSeconds()});
    }
    items.clear();
    summary.ok += ok;
    summary.failed += failed;
    VERGER_RETURN_IF_ERROR(lock->Confirm());  // still ours (S3 lease renewed)
    if (o.max_errors >= 0 && failures_so_far() > o.max_errors) {
      summary.max_errors_exceeded = true;
      return Status::Cancelled("--max-errors exceeded");
    }
    // The per-image inputs stay in the marker only: kept here (and in the
    // manifest) they would grow with the collection.
    if (!marker) return Status::Internal(PartitionName(index) + ": stopped early with errors to spare");
    marker->inputs.reset();
    partitions.push_back(std::move(*marker));
    return Status::OK();
  };
  auto add_image = [&](ImageItem&& item) -> Status {
    ++summary.listed;
    items.push_back(std::move(item));
    if (static_cast<int64_t>(items.size()) < o.partition_size) return Status::OK();
    return process();
  };
  const auto stream_started = std::chrono::steady_clock::now();
  Status listed;
  if (sampled) {
    problems = std::move(sampled->problems);
    for (auto& item : sampled->images) {
      listed = add_image(std::move(item));
      if (!listed.ok()) break;
    }
    sampled.reset();
  } else {
    listed = ListImagesEach(*input, o.limit, add_image, &problems);
  }
  if (listed.ok() && !items.empty()) listed = process();
  if (!summary.max_errors_exceeded) VERGER_RETURN_IF_ERROR(listed);
  progress.Finish();
  VERGER_RETURN_IF_ERROR(lock->Confirm());
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
    summary.partitions = planned_partitions;
  }
  const int64_t n = summary.listed;
  VERGER_RETURN_IF_ERROR(WriteErrorsCsv(*output, errors));
  summary.errors_uri = output->Describe(kErrorsKey);
  // One errors.csv row per failure, listing problems included.
  summary.listing_problems = static_cast<int64_t>(problems.size());
  summary.failed = static_cast<int64_t>(errors.size());
  summary.wall_s = SecondsSince(t0);
  // Speed counts the images this run computed, not partitions it reused.
  summary.images_per_s = summary.wall_s > 0 ? processed_ok / summary.wall_s : 0;
  if (summary.max_errors_exceeded) return summary;  // no manifest: the job did not complete
  if (o.resume) {
    VERGER_RETURN_IF_ERROR(RemoveUnreferenced(*output, partitions));
    // Projections of the earlier features are stale; `transform` remakes them.
    VERGER_ASSIGN_OR_RETURN(Listing stale, output->List("reduced/"));
    for (const auto& obj : stale.objects)
      if (IsVergerNamed(obj.key)) VERGER_RETURN_IF_ERROR(output->Delete(obj.key));
  }

  FeaturesManifestInfo info = ManifestInfoFor(*extractor);
  info.command_line = o.command_line;
  info.input_uri = input->uri();
  info.output_uri = output->uri();
  info.partition_size = o.partition_size;
  info.listed = n;
  info.ok = summary.ok;
  info.failed = summary.failed - summary.listing_problems;  // the manifest counts listing problems apart
  info.listing_problems = summary.listing_problems;
  info.listing_errors = std::move(listing_errors);
  info.partitions_reused = summary.partitions_reused;
  info.images_reused = summary.images_reused;
  info.images_computed = summary.images_computed;
  info.wall_s = summary.wall_s;
  info.images_per_s = summary.images_per_s;
  info.stages = summary.stages;
  info.input_retries = ObjectStoreRetries(*input);
  info.output_retries = ObjectStoreRetries(*output);
  summary.store_retries = info.input_retries + info.output_retries;
  FeaturesManifest manifest = BuildFeaturesManifest(info, partitions);
  manifest.timeline = std::move(timeline);
  summary.counts = manifest.counts;
  VERGER_RETURN_IF_ERROR(WriteManifest(*output, o.defer_manifest ? kRunStateKey : kManifestKey, manifest));
  return summary;
}

}  // namespace verger
