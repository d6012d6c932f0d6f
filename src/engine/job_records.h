// The records a features job leaves in its output, typed: the partition
// marker (_partitions/part-NNNNN.json) and the manifest (manifest.json, or
// kRunStateKey while `run` is between extract and transform). Each has one
// FromJson and one ToJson; no other code reads or builds their JSON, so the
// CLI, the Python module and the Dask driver cannot drift apart on them.
//
// FromJson never throws: a missing field or one of the wrong type is a
// Status::Corrupt naming `where` (the store's Describe(key)) and the field,
// e.g. "out/_partitions/part-00003.json: files[2].rows: not an integer".
// ToJson(FromJson(j)) == j for everything this version writes (the bytes on
// disk stay those of earlier builds of this version).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "engine/image_listing.h"
#include "engine/stage_seconds.h"
#include "io/object_store.h"

namespace verger {

struct ImageError {
  std::string key;
  std::string reason;
};

// One table file a partition wrote: features/label=<label>/part-N<suffix>.
struct MarkerFile {
  std::string key, label;
  int64_t rows = 0;
  uint64_t bytes = 0;
  std::optional<std::string> sha256;  // features tables; reduced tables record none
};

// One image of a partition as listed when it was computed (row reuse).
struct MarkerInput {
  std::string key;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  std::string etag;
};

// What a partition's marker holds; the manifest lists the same entries
// without `inputs` and `errors` (they grow with the images, not the partitions).
struct PartitionMarker {
  int64_t index = 0;
  std::string name, first_key, last_key;
  int64_t images = 0;                 // listed in the partition
  std::string inputs_sha256;          // PartitionInputsHash of its images
  std::optional<std::vector<MarkerInput>> inputs;
  std::string model_sha256;
  std::vector<std::string> formats;
  int64_t rows = 0, failed = 0;
  std::vector<MarkerFile> files;
  std::optional<std::vector<ImageError>> errors;
  std::optional<std::string> pca_stats;  // PcaStatsKey, when statistics were written

  static Result<PartitionMarker> FromJson(const nlohmann::json& j, std::string_view where);
  nlohmann::json ToJson() const;
  // This entry as the manifest keeps it (no inputs, no errors).
  PartitionMarker ManifestEntry() const;
};

// A partition of reduced/ (written by transform).
struct ReducedPartition {
  int64_t index = 0;
  std::string name;
  int64_t rows = 0;
  std::vector<MarkerFile> files;

  static Result<ReducedPartition> FromJson(const nlohmann::json& j, std::string_view where);
  nlohmann::json ToJson() const;
};

struct LabelTally {
  int64_t ok = 0, failed = 0;
};

// Rows and failures per label, failures per kind of reason (engine/job_counts.h).
struct JobCounts {
  std::map<std::string, LabelTally> labels;
  std::map<std::string, int64_t> error_reasons;
  nlohmann::json LabelsJson() const;   // {label: {"ok": n, "failed": m}}
  nlohmann::json ReasonsJson() const;  // {kind: n}
};

struct ManifestImages {
  int64_t listed = 0, ok = 0, failed = 0, listing_problems = 0, computed = 0, reused = 0;
};

struct TimelineEntry {  // when a computed partition ran (Unix seconds), for `verger report`
  int64_t partition = 0, images = 0;
  double started_at = 0, finished_at = 0;
};

struct ClusterInfo {  // a job run by verger-dask
  std::string engine, scheduler;
  int64_t workers = 0, partitions_computed = 0;
};

struct PcaSection {
  std::string model;  // where model.json is
  int64_t components = 0;
  bool whiten = false;
  int64_t n_samples = 0;
  double explained_variance_ratio_total = 0;
  std::vector<std::string> pictures;
};

struct ReducedSection {
  std::string column_prefix, parquet_column;
  std::vector<std::string> formats;
  int64_t rows = 0;
  std::vector<ReducedPartition> partitions;
};

// manifest.json of a features job. `partitions`, `feature_dim` and
// `formats` are required; the other fields are optional so an output of an
// unfinished or older job still reads, and are written back only if present.
struct FeaturesManifest {
  std::optional<std::string> verger_version, kind, created, command, input, output;
  std::optional<nlohmann::json> model;          // ModelSpecToJson (model/model_spec.h owns its shape)
  std::optional<std::string> model_sha256, backend, backend_reason;
  int64_t feature_dim = 0;
  std::optional<std::string> column_prefix;
  std::optional<nlohmann::json> preprocessing;  // PreprocessingJson (engine/output_layout.h)
  std::vector<std::string> formats;
  std::optional<int64_t> partition_size, batch, threads, vcpus;
  std::optional<ManifestImages> images;
  std::optional<std::string> errors_file;
  std::optional<JobCounts> counts;  // "labels" and "error_reasons"
  std::optional<int64_t> partitions_reused;
  std::vector<PartitionMarker> partitions;
  std::optional<double> wall_time_s, images_per_s, images_per_hour_per_vcpu;
  std::optional<StageSeconds> stage_seconds;
  std::optional<std::pair<int64_t, int64_t>> store_retries;  // input, output
  std::optional<std::vector<TimelineEntry>> timeline;
  std::optional<ClusterInfo> cluster;
  std::optional<PcaSection> pca;
  std::optional<ReducedSection> reduced;

  static Result<FeaturesManifest> FromJson(const nlohmann::json& j, std::string_view where);
  nlohmann::json ToJson() const;
};

// Reads and checks the marker of partition `index`: NotFound if there is
// none, Corrupt (naming the file and the field) if it does not parse.
// `with_inputs` false leaves `inputs` empty, unparsed: the per-image list is
// most of a marker's bytes, and checking a partition is complete needs only
// its hash.
Result<PartitionMarker> ReadPartitionMarker(const ObjectStore& store, int64_t index, bool with_inputs = true);
Status WritePartitionMarker(ObjectStore& store, const PartitionMarker& marker);

// manifest.json (or kRunStateKey); NotFound if absent, Corrupt if damaged.
Result<FeaturesManifest> ReadManifest(const ObjectStore& store, std::string_view key);
Status WriteManifest(ObjectStore& store, std::string_view key, const FeaturesManifest& manifest);

}  // namespace verger
