#include "engine/inspect.h"

#include <algorithm>
#include "core/json_field.h"

#include <cstdio>

#include <nlohmann/json.hpp>

#include "engine/output_layout.h"
#include "sink/table.h"

namespace verger {

namespace {

using json = nlohmann::json;

std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

Result<std::string> InspectOutput(const InspectOptions& o) {
  if (o.dataset != "features" && o.dataset != "reduced")
    return Status::InvalidArgument("--dataset must be features or reduced, not '" + o.dataset + "'");
  VERGER_ASSIGN_OR_RETURN(auto store, OpenObjectStore(o.location, o.store));
  auto manifest_r = ReadManifest(*store, kManifestKey);
  if (!manifest_r.ok()) {
    if (manifest_r.status().code() == StatusCode::kNotFound)
      return Status::NotFound(store->Describe(kManifestKey) +
                              ": no manifest (not a verger output, or its job has not finished)");
    return manifest_r.status();
  }
  const FeaturesManifest& m = *manifest_r;
  std::string out;
  out += "location:      " + store->uri() + "\n";
  out += "created:       " + m.created.value_or("?") + " by verger " + m.verger_version.value_or("?") + "\n";
  out += "input:         " + m.input.value_or("?") + "\n";
  if (m.model)
    out += "model:         " + JsonField(*m.model, "name", "?") + " (" + m.backend.value_or("?") + "), sha256 " +
           m.model_sha256.value_or("").substr(0, 16) + "...\n";
  if (m.backend_reason)
    out += "backend:       " + *m.backend_reason + ", batch " + std::to_string(m.batch.value_or(0)) + "\n";
  out += "features:      " + std::to_string(m.feature_dim) + "-d, formats " + json(m.formats).dump() + "\n";
  if (m.images) {
    const ManifestImages& i = *m.images;
    out += "images:        " + std::to_string(i.listed) + " listed, " + std::to_string(i.ok) + " ok, " +
           std::to_string(i.failed) + " failed (see " + m.errors_file.value_or("errors.csv") + ")\n";
  }
  int64_t largest = 0;  // a re-run lets a partition grow past --partition-size (PartitionCutter)
  for (const auto& p : m.partitions) largest = std::max(largest, p.images);
  out += "partitions:    " + std::to_string(m.partitions.size()) + " of up to " +
         std::to_string(m.partition_size.value_or(0)) + " images";
  if (largest > m.partition_size.value_or(0))
    out += " (the largest " + std::to_string(largest) + ": --resume lets a partition grow to twice the size)";
  out += "\n";
  out += "speed:         " + Fmt("%.1f images/s", m.images_per_s.value_or(0.0)) + ", " +
         Fmt("%.0f images per hour per vCPU", m.images_per_hour_per_vcpu.value_or(0.0)) + "\n";
  if (m.pca) {
    const PcaSection& p = *m.pca;
    out += "pca:           " + std::to_string(p.components) + " components explaining " +
           Fmt("%.2f%%", 100 * p.explained_variance_ratio_total) + " of the variance (" + p.model + ")\n";
  }

  // (index, files) of each partition of the dataset asked for.
  std::vector<std::pair<int64_t, const std::vector<MarkerFile>*>> parts;
  std::string format_name;
  if (o.dataset == "features") {
    for (const auto& p : m.partitions) parts.emplace_back(p.index, &p.files);
    format_name = m.formats.front();
  } else {
    if (!m.reduced)
      return Status::NotFound(store->uri() + ": no reduced table yet; run `verger transform` (or `verger run`)");
    for (const auto& p : m.reduced->partitions) parts.emplace_back(p.index, &p.files);
    if (m.reduced->formats.empty()) return Status::Corrupt(store->Describe(kManifestKey) + ": reduced.formats: empty");
    format_name = m.reduced->formats.front();
  }
  VERGER_ASSIGN_OR_RETURN(auto format, MakeTableFormat(format_name));
  for (const auto& [index, part_files] : parts) {
    for (const auto& [base, label] : PartitionTables(index, *part_files, o.dataset, *format)) {
      const std::string key = base + format->suffixes().front();
      std::vector<std::vector<uint8_t>> files;
      for (const auto& s : format->suffixes()) {
        VERGER_ASSIGN_OR_RETURN(auto bytes, store->Read(base + s));
        files.push_back(std::move(bytes));
      }
      VERGER_ASSIGN_OR_RETURN(FeatureTable t, format->Decode(files, store->Describe(base)));
      out += "\n" + o.dataset + " table " + key + " (" + std::to_string(t.rows()) + " rows x " +
             std::to_string(t.dim) + " values):\n";
      for (int64_t r = 0; r < std::min(o.rows, t.rows()); ++r) {
        out += "  " + t.paths[r] + "  [";
        for (int64_t d = 0; d < std::min(o.columns, t.dim); ++d)
          out += (d ? ", " : "") + Fmt("%.6g", t.values[r * t.dim + d]);
        if (t.dim > o.columns) out += ", ...";
        out += "]\n";
      }
      return out;
    }
  }
  out += "\n(no " + o.dataset + " rows)\n";
  return out;
}

}  // namespace verger
