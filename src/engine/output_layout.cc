#include "engine/output_layout.h"

#include <regex>

#include "core/utf8.h"
#include "engine/partition.h"

#include <algorithm>

namespace verger {

std::string PartitionMarkerKey(int64_t partition) { return "_partitions/" + PartitionName(partition) + ".json"; }

std::string PcaStatsKey(int64_t partition) {
  return std::string(kFeaturesDataset) + "/_pca_stats/" + PartitionName(partition) + ".pcastats";
}

bool IsVergerNamed(std::string_view key) {
  static const std::regex pattern = [] {
    std::string suffixes;  // of every table format, so a new format needs no edit here
    for (const auto& name : AvailableTableFormats()) {
      auto format = MakeTableFormat(name);
      if (!format.ok()) continue;
      for (const auto& s : (*format)->suffixes()) suffixes += (suffixes.empty() ? "" : "|") + std::regex_replace(
                                                    s, std::regex(R"([.])"), R"(\.)");
    }
    const std::string text =
        R"re(^(manifest\.json|errors\.csv|_state/features-manifest\.json|_partitions/part-[0-9]{5,}\.json)re"
        R"re(|features/_pca_stats/part-[0-9]{5,}\.pcastats)re"
        R"re(|(features|reduced)/label=[^/]+/part-[0-9]{5,}()re" + suffixes + R"re())re"
        R"re(|pca/model\.json|pca/(mean|components|explained_variance|explained_variance_ratio|spectrum)\.npy)re"
        R"re(|pca/(explained_variance|scatter_pc1_pc2)\.svg)(\.tmp-[0-9]+-[0-9]+)?$)re";
    return std::regex(text);
  }();
  return std::regex_match(key.begin(), key.end(), pattern);
}

Status CheckOnlyVergerFiles(const ObjectStore& out, const Listing& listing) {
  // Files beside verger's folders are the user's business (never deleted);
  // files inside them would be mistaken for, or deleted with, its outputs.
  auto in_verger_folder = [](std::string_view key) {
    for (std::string_view folder : {"features/", "reduced/", "pca/", "_partitions/", "_state/"})
      if (key.starts_with(folder)) return true;
    return false;
  };
  std::vector<std::string> foreign;
  for (const auto& obj : listing.objects)
    if (obj.key != kLeaseKey && in_verger_folder(obj.key) && !IsVergerNamed(obj.key)) foreign.push_back(obj.key);
  if (foreign.empty()) return Status::OK();
  std::string some;
  for (size_t i = 0; i < foreign.size() && i < 3; ++i) some += (i ? ", '" : "'") + EscapeNonUtf8(foreign[i]) + "'";
  if (foreign.size() > 3) some += " and " + std::to_string(foreign.size() - 3) + " more";
  return Status::AlreadyExists(out.uri() + ": holds " + std::to_string(foreign.size()) +
                               " files verger did not write inside its folders (" + some +
                               "); verger deletes only its own outputs, so it will not write here: move them away "
                               "or choose another output");
}

Status RefuseNonEmptyOutput(const ObjectStore& out, const Listing& listing, bool overwrite) {
  if (listing.objects.empty() || overwrite) return Status::OK();
  size_t markers = 0;
  for (const auto& obj : listing.objects) markers += obj.key.rfind("_partitions/", 0) == 0;
  const bool has_manifest =
      std::any_of(listing.objects.begin(), listing.objects.end(), [](const auto& o) { return o.key == kManifestKey; });
  if (markers > 0 && !has_manifest)
    return Status::AlreadyExists(out.uri() + ": holds " + std::to_string(markers) +
                                 " complete partitions of an unfinished run (no manifest.json); rerun the same "
                                 "command with --resume to finish it, or pass --overwrite to start again");
  return Status::AlreadyExists(out.uri() + ": output is not empty (" + std::to_string(listing.objects.size()) +
                               " files, e.g. '" + EscapeNonUtf8(listing.objects.front().key) +
                               "'); choose an empty location, --resume an earlier run there, or pass --overwrite "
                               "to replace verger's outputs there");
}

Status PrepareOutput(ObjectStore& out, bool overwrite) {
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List(""));
  std::erase_if(listing.objects, [](const ObjectInfo& o) { return o.key == kLeaseKey; });  // our own lock
  VERGER_RETURN_IF_ERROR(RefuseNonEmptyOutput(out, listing, overwrite));
  if (listing.objects.empty()) return Status::OK();
  VERGER_RETURN_IF_ERROR(CheckOnlyVergerFiles(out, listing));
  VERGER_RETURN_IF_ERROR(out.Delete(kManifestKey));
  for (const auto& obj : listing.objects)
    if (IsVergerNamed(obj.key)) VERGER_RETURN_IF_ERROR(out.Delete(obj.key));
  return Status::OK();
}

bool IsAtomicWriteTemporary(std::string_view key) {
  // core/file_util.cc WriteFileAtomic: "<name>.tmp-<pid>-<counter>".
  auto slash = key.rfind('/');
  std::string_view name = slash == std::string_view::npos ? key : key.substr(slash + 1);
  auto t = name.rfind(".tmp-");
  if (t == std::string_view::npos || t == 0) return false;
  std::string_view rest = name.substr(t + 5);
  auto dash = rest.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == rest.size()) return false;
  for (size_t i = 0; i < rest.size(); ++i)
    if (i != dash && (rest[i] < '0' || rest[i] > '9')) return false;
  return true;
}

Status RemoveTemporaries(ObjectStore& out) {
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List(""));
  for (const auto& obj : listing.objects)
    if (IsAtomicWriteTemporary(obj.key) && IsVergerNamed(obj.key)) VERGER_RETURN_IF_ERROR(out.Delete(obj.key));
  return Status::OK();
}

std::vector<std::pair<std::string, std::string>> PartitionTables(int64_t index, const std::vector<MarkerFile>& files,
                                                                 std::string_view dataset, const TableFormat& format) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string suffix = format.suffixes().front();
  for (const auto& f : files) {
    const std::string base = TableBaseKey(dataset, f.label, index);
    if (f.key == base + suffix) out.emplace_back(base, f.label);
  }
  return out;
}

std::set<std::string> ListedKeys(const std::vector<PartitionMarker>& partitions) {
  std::set<std::string> keys;
  for (const auto& p : partitions) {
    for (const auto& f : p.files) keys.insert(f.key);
    if (p.pca_stats) keys.insert(*p.pca_stats);
  }
  return keys;
}

std::set<std::string> ListedKeys(const std::vector<ReducedPartition>& partitions) {
  std::set<std::string> keys;
  for (const auto& p : partitions)
    for (const auto& f : p.files) keys.insert(f.key);
  return keys;
}

Status RemoveUnlisted(ObjectStore& out, std::string_view prefix, const std::set<std::string>& keep) {
  VERGER_ASSIGN_OR_RETURN(Listing listing, out.List(prefix));
  for (const auto& o : listing.objects)  // never a file verger did not write
    if (!keep.count(o.key) && IsVergerNamed(o.key)) VERGER_RETURN_IF_ERROR(out.Delete(o.key));
  return Status::OK();
}

Status WriteJson(ObjectStore& out, std::string_view key, const nlohmann::json& value) {
  std::string text;
  try {
    text = value.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {  // a string that is not UTF-8 (callers escape names first)
    return Status::Internal(out.Describe(key) + ": cannot encode as JSON: " + e.what());
  }
  return out.WriteAtomic(key, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<nlohmann::json> ReadJson(const ObjectStore& store, std::string_view key) {
  VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(key));
  auto parsed = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Status::Corrupt(store.Describe(key) + ": not valid JSON");
  return parsed;
}

nlohmann::json PreprocessingJson(const ModelSpec& spec) {
  return {{"input_width", spec.input_width},   {"input_height", spec.input_height},
          {"resize_filter", Name(spec.resize_filter)}, {"resize_semantics", "Pillow 9.4 Image.resize"},
          {"normalization", Name(spec.normalization)}, {"color_order", Name(spec.color_order)},
          {"convert", "Pillow convert('RGB')"}};
}

}  // namespace verger
