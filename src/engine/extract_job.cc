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
  const int64_t retries = input.retries() + output.retries();
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

namespace {

Status CheckListingOptions(const ExtractOptions& o) {
  if (o.limit < 0) return Status::InvalidArgument("--limit must be >= 0 (0 = no limit)");
  if (o.sample < 0) return Status::InvalidArgument("--sample must be >= 0 (0 = every image)");
  return Status::OK();
}

// Whether the input holds at least one image; lists only up to the first.
Result<bool> HasAnyImage(const ObjectStore& input) {
  bool found = false;
  std::vector<ListingProblem> ignored;
  Status s = ListImagesEach(
      input, /*limit=*/0,
      [&](ImageItem&&) {
        found = true;
        return Status::Cancelled("an image found");  // stops the listing
      },
      &ignored);
  if (!found) VERGER_RETURN_IF_ERROR(s);
  return found;
}

}  // namespace

Result<ImageListing> ListJobImages(const ObjectStore& input, const ExtractOptions& o) {
  VERGER_RETURN_IF_ERROR(CheckListingOptions(o));
  VERGER_ASSIGN_OR_RETURN(ImageListing listing, ListImages(input, o.limit));
  if (listing.images.empty()) return NoImagesFound(input);
  if (o.sample > 0) listing.images = SampleByLabel(listing.images, o.sample, o.seed);
  return listing;
}

Result<PartitionOutcome> RunPartitionTask(Extractor& extractor, const ObjectStore& input, ObjectStore& output,
                                          const PartitionTask& task, Progress* progress, RowReuse* reuse) {
  PartitionOutcome out;
  out.index = task.index;
  out.started_at = UnixSeconds();
  VERGER_ASSIGN_OR_RETURN(PartitionResult r, extractor.RunPartition(input, output, task.items, task.index, progress,
                                                                     task.stop_after_errors, reuse));
  out.finished_at = UnixSeconds();
  out.marker = std::move(r.marker);
  out.ok = r.ok;
  out.failed = r.failed;
  out.reused = r.reused;
  out.errors = std::move(r.errors);
  out.stages = r.stages;
  out.backend = extractor.backend_description();
  out.threads = extractor.threads();
  return out;
}

Status CheckExtractOptions(const ExtractOptions& o) {
  if (o.partition_size < 1) return Status::InvalidArgument("--partition-size must be at least 1");
  VERGER_RETURN_IF_ERROR(CheckListingOptions(o));
  if (o.resume && o.overwrite) return Status::InvalidArgument("give --resume or --overwrite, not both");
  return Status::OK();
}

Result<std::unique_ptr<ExtractJob>> ExtractJob::Create(const ExtractOptions& o) {
  std::unique_ptr<ExtractJob> job(new ExtractJob());
  job->t0_ = std::chrono::steady_clock::now();
  job->o_ = o;
  VERGER_RETURN_IF_ERROR(CheckExtractOptions(o));
  VERGER_ASSIGN_OR_RETURN(job->extractor_, Extractor::Create(o));
  VERGER_ASSIGN_OR_RETURN(job->input_, OpenObjectStore(o.input, o.store));
  return job;
}

Status ExtractJob::OpenOutput() {
  StoreOptions out_options = o_.store;
  out_options.create = true;
  VERGER_ASSIGN_OR_RETURN(output_, OpenObjectStore(o_.output, out_options));
  VERGER_ASSIGN_OR_RETURN(lock_, OutputLock::Acquire(*output_, o_.write_pca_stats ? "run" : "extract"));
  if (o_.resume) {
    {
      VERGER_ASSIGN_OR_RETURN(Listing present, output_->List(""));
      VERGER_RETURN_IF_ERROR(CheckOnlyVergerFiles(*output_, present));  // before deleting anything
    }
    // The old manifest no longer describes what is there once we start.
    VERGER_RETURN_IF_ERROR(output_->Delete(kManifestKey));
    VERGER_RETURN_IF_ERROR(output_->Delete(kRunStateKey));
    VERGER_RETURN_IF_ERROR(RemoveTemporaries(*output_));
    VERGER_ASSIGN_OR_RETURN(existing_, ObjectSizes(*output_));
    VERGER_ASSIGN_OR_RETURN(boundaries_, ReadPartitionBoundaries(*output_));
  } else {
    VERGER_RETURN_IF_ERROR(PrepareOutput(*output_, o_.overwrite));
  }
  summary_.feature_dim = extractor_->feature_dim();
  summary_.model_hash = extractor_->spec_hash();
  summary_.output_uri = output_->uri();
  summary_.backend = extractor_->backend_description();
  summary_.backend_choice = extractor_->backend_choice();
  summary_.batch = extractor_->batch();
  return Status::OK();
}

Result<std::optional<PartitionMarker>> ExtractJob::Reusable(const std::vector<ImageItem>& items, int64_t index,
                                                            std::set<std::string>* retrying) {
  if (!o_.resume) return std::optional<PartitionMarker>();
  VERGER_ASSIGN_OR_RETURN(auto marker, CompletePartition(*output_, existing_, *extractor_, items, index));
  // Failed images are always retried (the file may be fixed, the outage
  // over): the partition is rewritten, its good rows copied (RowReuse).
  if (marker && marker->failed > 0) {
    if (retrying && marker->errors)
      for (const auto& e : *marker->errors) retrying->insert(e.key);
    marker.reset();
  }
  return marker;
}

int64_t ExtractJob::failures_so_far() const {
  int64_t n = static_cast<int64_t>(problems_.size());
  for (const auto& [index, errors] : errors_) n += static_cast<int64_t>(errors.size());
  return n;
}

int64_t ExtractJob::ErrorBudget() const {
  return o_.max_errors < 0 ? -1 : std::max<int64_t>(0, o_.max_errors - failures_so_far());
}

void ExtractJob::AcceptComplete(PartitionMarker marker) {
  ++summary_.partitions_reused;
  summary_.ok += marker.rows;
  summary_.images_reused += marker.rows;
  summary_.failed += marker.failed;
  if (marker.errors) errors_[marker.index] = *marker.errors;
  marker.inputs.reset();  // grows with the images: the marker keeps it, not the job
  markers_[marker.index] = std::move(marker);
}

Status ExtractJob::Record(PartitionOutcome outcome) {
  if (max_errors_exceeded_) return Status::OK();  // late results of a stopped job
  const int64_t index = outcome.index;
  summary_.ok += outcome.ok;
  summary_.failed += outcome.failed;
  summary_.images_reused += outcome.reused;
  summary_.images_computed += outcome.ok - outcome.reused;
  summary_.stages += outcome.stages;
  if (backend_.empty()) backend_ = outcome.backend;
  if (threads_ == 0) threads_ = outcome.threads;
  timeline_.push_back({index, outcome.ok + outcome.failed - outcome.reused, outcome.started_at, outcome.finished_at});
  errors_[index] = std::move(outcome.errors);
  VERGER_RETURN_IF_ERROR(lock_->Confirm());  // still ours (S3 lease renewed)
  if (o_.max_errors >= 0 && failures_so_far() > o_.max_errors) {
    max_errors_exceeded_ = true;
    return Status::OK();
  }
  if (!outcome.marker) return Status::Internal(PartitionName(index) + ": stopped early with errors to spare");
  // The per-image inputs stay in the marker only: kept here (and in the
  // manifest) they would grow with the collection.
  outcome.marker->inputs.reset();
  markers_[index] = std::move(*outcome.marker);
  return Status::OK();
}

Result<std::vector<PartitionTask>> ExtractJob::Plan() {
  VERGER_ASSIGN_OR_RETURN(ImageListing listing, ListJobImages(*input_, o_));
  problems_ = std::move(listing.problems);
  summary_.listed = static_cast<int64_t>(listing.images.size());
  VERGER_RETURN_IF_ERROR(OpenOutput());
  std::vector<PartitionTask> todo;
  const auto& images = listing.images;
  for (const auto& range : PlanPartitions(
           summary_.listed, [&](int64_t i) -> std::string_view { return images[static_cast<size_t>(i)].key; },
           o_.partition_size, boundaries_)) {
    ++summary_.partitions;
    std::vector<ImageItem> items(listing.images.begin() + range.begin, listing.images.begin() + range.end);
    VERGER_ASSIGN_OR_RETURN(auto complete, Reusable(items, range.index, nullptr));
    if (complete) {
      AcceptComplete(std::move(*complete));
    } else {
      todo.push_back({range.index, std::move(items), -1});
    }
  }
  // Each task may fail at most what is left once the complete partitions
  // and the listing are counted.
  for (auto& t : todo) t.stop_after_errors = ErrorBudget();
  return todo;
}

Result<ExtractSummary> ExtractJob::Run() {
  const auto list_started = std::chrono::steady_clock::now();
  const ExtractOptions& o = o_;
  ObjectStore& input = *input_;
  int64_t expected = 0;
  // --sample draws from every key (stratified by label), so then the list is
  // held whole (ListJobImages) and partitions are cut from it.
  std::optional<ImageListing> sampled;
  // Otherwise the image list is never held whole (memory stays flat at
  // millions of images): it is streamed in key order and partitions are cut
  // and processed as it goes. A first pass counts it for progress, except on
  // --resume, where the earlier run's markers give the count (a re-run of an
  // unchanged collection would otherwise spend half its time listing twice);
  // either way an input without images is refused before the output is
  // touched.
  const auto count_images = [&]() -> Status {
    expected = 0;
    std::vector<ListingProblem> ignored;
    return ListImagesEach(
        input, o.limit,
        [&](ImageItem&&) {
          ++expected;
          return Status::OK();
        },
        &ignored);
  };
  if (o.sample > 0) {
    VERGER_ASSIGN_OR_RETURN(sampled, ListJobImages(input, o));
    expected = static_cast<int64_t>(sampled->images.size());
  } else if (o.resume) {
    VERGER_ASSIGN_OR_RETURN(const bool any, HasAnyImage(input));
    if (!any) return NoImagesFound(input);
  } else {
    VERGER_RETURN_IF_ERROR(count_images());
    if (expected == 0) return NoImagesFound(input);
  }
  double list_s = SecondsSince(list_started);  // the listing stage, completed below
  VERGER_RETURN_IF_ERROR(OpenOutput());
  if (o.resume && !sampled) {
    const auto count_started = std::chrono::steady_clock::now();
    const bool recorded = !boundaries_.empty() && std::all_of(boundaries_.begin(), boundaries_.end(),
                                                               [](const PartitionBoundary& b) { return b.images >= 0; });
    if (recorded) {
      expected = 0;
      for (const auto& b : boundaries_) expected += b.images;
      if (o.limit > 0) expected = std::min(expected, o.limit);
    } else {
      VERGER_RETURN_IF_ERROR(count_images());  // nothing (usable) to resume from
    }
    list_s += SecondsSince(count_started);
  }
  const int64_t planned_partitions = std::max<int64_t>((expected + o.partition_size - 1) / o.partition_size,
                                                       static_cast<int64_t>(boundaries_.size()));

  std::unique_ptr<RowReuse> reuse;
  bool reuse_loaded = false;
  Progress progress("extract", expected, o.progress);
  // Ctrl-C: finished partitions stay (markers), no manifest; --resume continues.
  auto interrupted = [&] {
    progress.Finish();
    return InterruptedStatus(static_cast<int64_t>(markers_.size()), planned_partitions);
  };
  std::vector<ImageItem> items;
  PartitionCutter cutter(o.partition_size, boundaries_);
  double partitions_s = 0;  // streamed-pass time spent in partitions, not listing
  auto process = [&](int64_t index) -> Status {
    if (InterruptRequested()) return interrupted();
    ++summary_.partitions;
    std::set<std::string> retrying;  // images that failed in the earlier run of a complete partition
    VERGER_ASSIGN_OR_RETURN(auto complete, Reusable(items, index, &retrying));
    if (complete) {
      progress.Advance(complete->rows, complete->failed);
      AcceptComplete(std::move(*complete));
      VERGER_RETURN_IF_ERROR(lock_->Confirm());
    } else {
      // Read before the first partition is rewritten: the markers say which
      // rows of unchanged images an earlier run left, and where. Not read at
      // all when every partition is complete.
      if (o.resume && !reuse_loaded) {
        reuse_loaded = true;
        VERGER_ASSIGN_OR_RETURN(reuse, RowReuse::Load(*output_, extractor_->spec_hash(), extractor_->feature_dim()));
        reuse->UseSizes(&existing_);
      }
      const auto run_started = std::chrono::steady_clock::now();
      auto run = RunPartitionTask(*extractor_, input, *output_, PartitionTask{index, items, ErrorBudget()}, &progress,
                                  reuse.get());
      partitions_s += SecondsSince(run_started);
      if (!run.ok()) {
        if (run.status().code() == StatusCode::kCancelled) return interrupted();
        progress.Finish();
        return StoppedJob(run.status(), markers_.size(), static_cast<size_t>(planned_partitions), input, *output_);
      }
      if (!retrying.empty()) {
        summary_.retried += static_cast<int64_t>(retrying.size());
        int64_t still_failing = 0;
        for (const auto& e : run->errors) still_failing += retrying.count(e.key);
        summary_.retried_ok += static_cast<int64_t>(retrying.size()) - still_failing;
      }
      VERGER_RETURN_IF_ERROR(Record(std::move(run).value()));
    }
    items.clear();
    if (max_errors_exceeded_) return Status::Cancelled("--max-errors exceeded");
    return Status::OK();
  };
  // A partition is processed once the next key starts another (or the listing ends).
  auto add_image = [&](ImageItem&& item) -> Status {
    ++summary_.listed;
    if (summary_.listed > progress.total()) progress.SetTotal(summary_.listed);  // more than the markers recorded
    const int64_t index = cutter.index();
    if (cutter.Add(item.key) && !items.empty()) VERGER_RETURN_IF_ERROR(process(index));
    items.push_back(std::move(item));
    return Status::OK();
  };
  const auto stream_started = std::chrono::steady_clock::now();
  Status listed;
  if (sampled) {
    problems_ = std::move(sampled->problems);
    for (auto& item : sampled->images) {
      listed = add_image(std::move(item));
      if (!listed.ok()) break;
    }
    sampled.reset();
  } else {
    listed = ListImagesEach(input, o.limit, add_image, &problems_);
  }
  if (listed.ok() && !items.empty()) listed = process(cutter.index());
  if (!max_errors_exceeded_) VERGER_RETURN_IF_ERROR(listed);
  progress.Finish();
  // Listing time: the counting pass, and what the streamed pass did not
  // spend computing partitions (listing, cutting, --resume checks).
  list_s += SecondsSince(stream_started) - partitions_s;
  summary_.stages.list = list_s;
  if (max_errors_exceeded_) {  // counts as the whole listing would have given them
    summary_.listed = std::max(summary_.listed, expected);
    summary_.partitions = planned_partitions;
  }
  return Finalize(std::nullopt);
}

Result<ExtractSummary> ExtractJob::Finalize(std::optional<ClusterInfo> cluster) {
  VERGER_RETURN_IF_ERROR(lock_->Confirm());
  ExtractSummary& summary = summary_;
  summary.max_errors_exceeded = max_errors_exceeded_;
  // Listing problems first, as a full listing reports them (sorted), then
  // each partition's failures in partition order.
  std::sort(problems_.begin(), problems_.end(),
            [](const ListingProblem& a, const ListingProblem& b) { return a.key < b.key; });
  std::vector<ImageError> listing_errors;
  for (const auto& p : problems_) listing_errors.push_back({p.key, p.reason});
  std::vector<ImageError> errors = listing_errors;
  for (const auto& [index, part] : errors_) errors.insert(errors.end(), part.begin(), part.end());
  VERGER_RETURN_IF_ERROR(WriteErrorsCsv(*output_, errors));
  summary.errors_uri = output_->Describe(kErrorsKey);
  // One errors.csv row per failure, listing problems included.
  summary.listing_problems = static_cast<int64_t>(problems_.size());
  summary.failed = static_cast<int64_t>(errors.size());
  summary.wall_s = SecondsSince(t0_);
  // Speed counts the images this run computed, not partitions or rows it reused.
  summary.images_per_s = summary.wall_s > 0 ? summary.images_computed / summary.wall_s : 0;
  if (max_errors_exceeded_) return summary;  // no manifest: the job did not complete

  std::vector<PartitionMarker> partitions;
  partitions.reserve(markers_.size());
  for (auto& [index, m] : markers_) partitions.push_back(m);
  if (static_cast<int64_t>(partitions.size()) != summary.partitions)
    return Status::Internal(output_->uri() + ": " + std::to_string(partitions.size()) + " of " +
                            std::to_string(summary.partitions) + " partitions recorded at the end of the job");
  if (o_.resume || cluster) {
    // Outputs of an earlier plan, or of tasks killed and run again, go before the manifest.
    VERGER_RETURN_IF_ERROR(RemoveUnreferenced(*output_, partitions));
    if (o_.resume) {
      // Projections of the earlier features are stale; `transform` remakes them.
      VERGER_ASSIGN_OR_RETURN(Listing stale, output_->List("reduced/"));
      for (const auto& obj : stale.objects)
        if (IsVergerNamed(obj.key)) VERGER_RETURN_IF_ERROR(output_->Delete(obj.key));
    }
  }

  FeaturesManifestInfo info = ManifestInfoFor(*extractor_);
  if (cluster) {  // what ran on the workers
    if (!backend_.empty()) info.backend = backend_;
    if (threads_ > 0) info.threads = threads_;
  }
  info.command_line = o_.command_line;
  info.input_uri = input_->uri();
  info.output_uri = output_->uri();
  info.partition_size = o_.partition_size;
  info.listed = summary.listed;
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
  info.input_retries = input_->retries();
  info.output_retries = output_->retries();
  summary.store_retries = info.input_retries + info.output_retries;
  manifest_ = BuildFeaturesManifest(info, partitions);
  // Per-partition timing of a cluster job is spread over machines: not recorded.
  if (cluster) {
    manifest_.cluster = std::move(cluster);
  } else {
    std::sort(timeline_.begin(), timeline_.end(),
              [](const TimelineEntry& a, const TimelineEntry& b) { return a.partition < b.partition; });
    manifest_.timeline = timeline_;
  }
  summary.counts = manifest_.counts;
  VERGER_RETURN_IF_ERROR(WriteManifest(*output_, o_.defer_manifest ? kRunStateKey : kManifestKey, manifest_));
  return summary;
}

Result<ExtractSummary> RunExtract(const ExtractOptions& o) {
  VERGER_ASSIGN_OR_RETURN(auto job, ExtractJob::Create(o));
  return job->Run();
}

}  // namespace verger
