// Where things go under --output, and the helpers that keep an output
// folder consistent: a reader that sees manifest.json sees every file it
// lists; partitions appear whole or not at all.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/job_records.h"
#include "io/object_store.h"
#include "model/model_spec.h"
#include "sink/table.h"

namespace verger {

inline constexpr const char* kVergerVersion = VERGER_VERSION;  // project(VERSION) in CMakeLists.txt
inline constexpr std::string_view kFeaturesDataset = "features";
inline constexpr std::string_view kReducedDataset = "reduced";
inline constexpr const char* kManifestKey = "manifest.json";
inline constexpr const char* kErrorsKey = "errors.csv";
inline constexpr const char* kExplainedVarianceSvg = "pca/explained_variance.svg";
inline constexpr const char* kScatterSvg = "pca/scatter_pc1_pc2.svg";
// `run` keeps its features manifest here until fit and transform are done,
// so manifest.json (written last) never describes an unfinished job.
inline constexpr const char* kRunStateKey = "_state/features-manifest.json";
// The lease of the job writing an object-store output (engine/output_lock.h);
// not an output: never counted, never deleted by another job's cleanup.
inline constexpr const char* kLeaseKey = "_state/lease.json";

// "_partitions/part-00042.json": written after a partition's files, so its
// presence means the partition is complete.
std::string PartitionMarkerKey(int64_t partition);

// "features/_pca_stats/part-00042.pcastats": a partition's PCA statistics,
// next to its features (Hive readers skip folders starting with '_').
std::string PcaStatsKey(int64_t partition);

// Whether `key` is named the way verger names its outputs (tables and
// statistics of a partition, markers, pca/ files, manifest, errors.csv, the
// run state, and temporaries of those). Only such files are ever deleted.
bool IsVergerNamed(std::string_view key);

// AlreadyExists (exit 2) naming a few of the files in `listing` (of `out`)
// that lie inside verger's folders (features/, reduced/, pca/, _partitions/,
// _state/) but are not named as verger names its outputs, if there are any.
// Other files beside those folders are allowed, and left alone.
Status CheckOnlyVergerFiles(const ObjectStore& out, const Listing& listing);

// Refuses a non-empty output unless `overwrite`; with it, refuses an output
// holding foreign files in verger's folders (CheckOnlyVergerFiles), else
// deletes verger's outputs there (manifest first, so no manifest outlives
// its files) and leaves every other file alone.
Status PrepareOutput(ObjectStore& out, bool overwrite);
// PrepareOutput's refusal alone (AlreadyExists, naming --resume first when
// partition markers but no manifest show an unfinished run); OK for an
// empty listing or with `overwrite`.
Status RefuseNonEmptyOutput(const ObjectStore& out, const Listing& listing, bool overwrite);

// True for "<name>.tmp-<pid>-<n>", the temporary an atomic local write
// renames into place; a process killed mid-write leaves it behind.
bool IsAtomicWriteTemporary(std::string_view key);

// Deletes such leftovers of killed runs (--resume). Only the writer that
// made one could finish it, and that process is gone.
Status RemoveTemporaries(ObjectStore& out);

// (base key, label) of each label table the files of partition `index`
// (a marker's or a reduced entry's) list in `format`: base +
// format.suffixes()[i] are its files. Bases are derived from the labels, so
// one format's suffix inside another's (".csv" in ".keys.csv") cannot
// confuse them.
std::vector<std::pair<std::string, std::string>> PartitionTables(int64_t index, const std::vector<MarkerFile>& files,
                                                                 std::string_view dataset, const TableFormat& format);

// Keys partition entries name: their files and PCA statistics.
std::set<std::string> ListedKeys(const std::vector<PartitionMarker>& partitions);
std::set<std::string> ListedKeys(const std::vector<ReducedPartition>& partitions);

// Deletes every object under `prefix` that is not in `keep`: files of a
// dataset the new manifest does not list (an earlier format, partitioning
// or PCA model), so no stale table is read beside the new ones.
Status RemoveUnlisted(ObjectStore& out, std::string_view prefix, const std::set<std::string>& keep);

Status WriteJson(ObjectStore& out, std::string_view key, const nlohmann::json& value);
Result<nlohmann::json> ReadJson(const ObjectStore& store, std::string_view key);

// The preprocessing a spec implies, as recorded in manifests and metadata.
nlohmann::json PreprocessingJson(const ModelSpec& spec);

}  // namespace verger
