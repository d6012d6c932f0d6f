// `verger extract`: images -> feature tables, one partition at a time.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/extractor.h"
#include "engine/job_records.h"
#include "engine/output_lock.h"
#include "engine/partition.h"
#include "engine/progress.h"
#include "io/object_store.h"

namespace verger {

// A job's options: what makes its Extractor (model, backend, batch, threads,
// formats, input guards: ExtractorConfig, declared once there) and what the
// job itself does with the stores.
struct ExtractOptions : ExtractorConfig {
  std::string input;                      // local folder or s3://bucket/prefix
  std::string output;                     // local folder or s3://bucket/prefix
  int64_t partition_size = 1000;
  int64_t limit = 0;                      // 0 = all images; else the first N keys in order
  int64_t sample = 0;                     // 0 = all; else N images stratified by label (SampleByLabel)
  uint64_t seed = 0;                      // of --sample
  bool overwrite = false;
  bool resume = false;                    // keep complete partitions and unchanged images' rows of an
                                          // earlier run (RowReuse), compute the rest
  int64_t max_errors = -1;                // -1 = unlimited
  bool defer_manifest = false;            // `run`: features manifest to kRunStateKey, not manifest.json
  StoreOptions store;
  Progress::Options progress;
  std::string command_line;               // recorded in the manifest
};

struct ExtractSummary {
  // `failed` counts every errors.csv row: images that could not be used and
  // `listing_problems` (entries that could not be listed as images, names
  // that are not UTF-8).
  int64_t listed = 0, ok = 0, failed = 0, listing_problems = 0;
  int64_t partitions = 0;
  int64_t partitions_reused = 0;          // complete partitions kept by --resume
  // Of `ok`: rows kept from an earlier run (whole partitions or single
  // unchanged images, --resume) and rows the model computed in this run.
  int64_t images_reused = 0, images_computed = 0;
  // --resume: images listed as failed in an earlier run's complete
  // partitions, recomputed now, and how many of them now have a row.
  int64_t retried = 0, retried_ok = 0;
  int64_t feature_dim = 0;
  double wall_s = 0, images_per_s = 0;
  bool max_errors_exceeded = false;
  int64_t store_retries = 0;              // requests the input and output stores retried (S3)
  StageSeconds stages;                    // of the partitions computed in this run
  std::optional<JobCounts> counts;        // CountByLabelAndReason (engine/job_counts.h); none past --max-errors
  std::string errors_uri;                 // where errors.csv went
  std::string model_hash;
  std::string output_uri;
  std::string backend, backend_choice;    // what ran (description) and why (InferenceBackend::choice)
  int batch = 0;                          // images per forward pass that ran
};

// What manifest.json says about a features job (shared with cluster mode).
struct FeaturesManifestInfo {
  std::string command_line, input_uri, output_uri;
  ModelSpec spec;
  std::string spec_hash, backend;
  std::string backend_reason;             // why this backend runs, e.g. "auto: torch (ONNX imported)"
  int64_t feature_dim = 0;
  std::vector<std::string> formats;
  int64_t partition_size = 0, batch = 0, threads = 0;
  int64_t listed = 0, ok = 0, failed = 0, listing_problems = 0, partitions_reused = 0;
  int64_t images_reused = 0, images_computed = 0;
  double wall_s = 0, images_per_s = 0;
  StageSeconds stages;
  int64_t input_retries = 0, output_retries = 0;
  std::vector<ImageError> listing_errors;  // listing problems, counted by reason
};
// The manifest of a features job over `partitions` (markers, in index
// order): their counts, and their entries without per-image lists.
FeaturesManifest BuildFeaturesManifest(const FeaturesManifestInfo& info, const std::vector<PartitionMarker>& partitions);

// The fields of FeaturesManifestInfo that come from the extractor (spec,
// hash, backend and why, dimension, formats, batch, threads); the caller fills in
// locations and counts.
FeaturesManifestInfo ManifestInfoFor(const Extractor& extractor);

// errors.csv: path,reason for every image or listing entry not used.
Status WriteErrorsCsv(ObjectStore& out, const std::vector<ImageError>& errors);

// After a resumed run: deletes files under features/ and _partitions/ that
// no partition in `partitions` references, so no row appears twice when
// the plan changed.
Status RemoveUnreferenced(ObjectStore& out, const std::vector<PartitionMarker>& partitions);

// The image list a job works on: listed, then --limit, then --sample.
Result<ImageListing> ListJobImages(const ObjectStore& input, const ExtractOptions& options);

// InvalidArgument for options no job can run with (partition size, --limit,
// --sample, --resume with --overwrite).
Status CheckExtractOptions(const ExtractOptions& options);

// One partition to compute, as the job hands it to whoever runs it (this
// process, or a cluster worker that got it by value).
struct PartitionTask {
  int64_t index = 0;
  std::vector<ImageItem> items;   // the partition's images, in key order
  int64_t stop_after_errors = -1; // Extractor::RunPartition's early stop (--max-errors)
};

// What running a PartitionTask gives back to the job.
struct PartitionOutcome {
  int64_t index = 0;
  std::optional<PartitionMarker> marker;  // as written; none if stopped by stop_after_errors
  int64_t ok = 0, failed = 0, reused = 0;  // reused: of ok, rows copied from an earlier run
  std::vector<ImageError> errors;
  StageSeconds stages;
  std::string backend;                     // what ran (InferenceBackend::description)
  int threads = 0;
  double started_at = 0, finished_at = 0;  // Unix seconds
};

class RowReuse;

// Runs one task with a loaded model (a worker keeps one per options and
// runs many tasks with it). `progress` and `reuse` may be null.
Result<PartitionOutcome> RunPartitionTask(Extractor& extractor, const ObjectStore& input, ObjectStore& output,
                                          const PartitionTask& task, Progress* progress = nullptr,
                                          RowReuse* reuse = nullptr);

// One features job, whichever driver runs it:
// - local (`verger extract`, `verger run`): Create, then Run, which streams
//   the listing and computes partitions in this process as they are cut;
// - a cluster (verger-dask): Create and Plan on the client, RunPartitionTask
//   on workers, Record for each outcome on the client, then Finalize.
// Either way the output is opened and locked, resumed or prepared, and
// finished (errors.csv, manifest) by the same code.
class ExtractJob {
 public:
  // Checks the options and loads the model (the client's copy: hash,
  // dimension, formats, for the resume checks and the manifest).
  static Result<std::unique_ptr<ExtractJob>> Create(const ExtractOptions& options);

  // Local: the whole job. Errors as RunExtract.
  Result<ExtractSummary> Run();

  // Cluster: lists the input (held whole), opens and prepares the output,
  // keeps complete partitions of an earlier run (--resume) and returns the
  // partitions left to compute, each with its share of --max-errors.
  Result<std::vector<PartitionTask>> Plan();
  // Takes one outcome (any order). Afterwards max_errors_exceeded() says
  // whether the job must stop.
  Status Record(PartitionOutcome outcome);
  bool max_errors_exceeded() const { return max_errors_exceeded_; }
  // errors.csv, then (unless --max-errors was exceeded) removes files no
  // partition references and writes the manifest (kRunStateKey with
  // defer_manifest). `cluster`: recorded in the manifest, with the backend
  // and threads the workers reported.
  Result<ExtractSummary> Finalize(std::optional<ClusterInfo> cluster);

  const Extractor& extractor() const { return *extractor_; }
  const ExtractOptions& options() const { return o_; }
  const ExtractSummary& summary() const { return summary_; }  // so far
  const FeaturesManifest& manifest() const { return manifest_; }  // after Finalize
  ObjectStore& output() { return *output_; }                    // after Plan or Run

 private:
  ExtractJob() = default;
  Status OpenOutput();
  // With --resume: the marker of a complete partition without failures
  // (failed images are always retried; their keys go to `retrying`).
  Result<std::optional<PartitionMarker>> Reusable(const std::vector<ImageItem>& items, int64_t index,
                                                  std::set<std::string>* retrying);
  void AcceptComplete(PartitionMarker marker);
  int64_t failures_so_far() const;
  int64_t ErrorBudget() const;

  ExtractOptions o_;
  std::chrono::steady_clock::time_point t0_;
  std::unique_ptr<Extractor> extractor_;
  std::unique_ptr<ObjectStore> input_, output_;
  std::unique_ptr<OutputLock> lock_;
  std::map<std::string, uint64_t> existing_;  // --resume: object sizes found at the start
  std::vector<PartitionBoundary> boundaries_;  // --resume: the earlier run's, kept (PartitionCutter)
  std::vector<ListingProblem> problems_;
  std::map<int64_t, PartitionMarker> markers_;          // by index; no per-image inputs
  std::map<int64_t, std::vector<ImageError>> errors_;   // by index
  std::vector<TimelineEntry> timeline_;
  std::string backend_;
  int threads_ = 0;
  bool max_errors_exceeded_ = false;
  ExtractSummary summary_;
  FeaturesManifest manifest_;
};

// Runs the whole job. Returns an error Status for configuration problems
// (InvalidArgument/NotFound/AlreadyExists/PermissionDenied) and failures
// that stop the job; bad images never do, unless --max-errors is exceeded
// (summary.max_errors_exceeded, with errors.csv written and no manifest).
Result<ExtractSummary> RunExtract(const ExtractOptions& options);

}  // namespace verger
