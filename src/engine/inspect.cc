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
  auto manifest_r = ReadJson(*store, kManifestKey);
  if (!manifest_r.ok()) {
    if (manifest_r.status().code() == StatusCode::kNotFound)
      return Status::NotFound(store->Describe(kManifestKey) +
                              ": no manifest (not a verger output, or its job has not finished)");
    return manifest_r.status();
  }
  const json& m = *manifest_r;
  std::string out;
  out += "location:      " + store->uri() + "\n";
  out += "created:       " + JsonField(m, "created", "?") + " by verger " + JsonField(m, "verger_version", "?") + "\n";
  out += "input:         " + JsonField(m, "input", "?") + "\n";
  if (m.contains("model"))
    out += "model:         " + JsonField(m["model"], "name", "?") + " (" + JsonField(m, "backend", "?") + "), sha256 " +
           JsonField(m, "model_sha256", "").substr(0, 16) + "...\n";
  if (m.contains("backend_reason"))
    out += "backend:       " + JsonField(m, "backend_reason", "") + ", batch " + std::to_string(JsonField(m, "batch", 0)) + "\n";
  out += "features:      " + std::to_string(JsonField(m, "feature_dim", 0)) + "-d, formats " + JsonField(m, "formats", json::array()).dump() + "\n";
  if (m.contains("images")) {
    const json& i = m["images"];
    out += "images:        " + std::to_string(JsonField(i, "listed", 0)) + " listed, " + std::to_string(JsonField(i, "ok", 0)) +
           " ok, " + std::to_string(JsonField(i, "failed", 0)) + " failed (see " + JsonField(m, "errors_file", "errors.csv") +
           ")\n";
  }
  int64_t largest = 0;  // a re-run lets a partition grow past --partition-size (PartitionCutter)
  for (const auto& p : JsonField(m, "partitions", json::array())) largest = std::max(largest, JsonField(p, "images", int64_t{0}));
  out += "partitions:    " + std::to_string(JsonField(m, "partitions", json::array()).size()) + " of up to " +
         std::to_string(JsonField(m, "partition_size", 0)) + " images";
  if (largest > JsonField(m, "partition_size", int64_t{0}))
    out += " (the largest " + std::to_string(largest) + ": --resume lets a partition grow to twice the size)";
  out += "\n";
  out += "speed:         " + Fmt("%.1f images/s", JsonField(m, "images_per_s", 0.0)) + ", " +
         Fmt("%.0f images per hour per vCPU", JsonField(m, "images_per_hour_per_vcpu", 0.0)) + "\n";
  if (m.contains("pca")) {
    const json& p = m["pca"];
    out += "pca:           " + std::to_string(JsonField(p, "components", 0)) + " components explaining " +
           Fmt("%.2f%%", 100 * JsonField(p, "explained_variance_ratio_total", 0.0)) + " of the variance (" +
           JsonField(p, "model", "") + ")\n";
  }

  const json* parts = nullptr;
  std::string format_name;
  if (o.dataset == "features") {
    parts = &m["partitions"];
    format_name = m["formats"][0];
  } else {
    if (!m.contains("reduced"))
      return Status::NotFound(store->uri() + ": no reduced table yet; run `verger transform` (or `verger run`)");
    parts = &m["reduced"]["partitions"];
    format_name = m["reduced"]["formats"][0];
  }
  VERGER_ASSIGN_OR_RETURN(auto format, MakeTableFormat(format_name));
  for (const auto& p : *parts) {
    for (const auto& [base, label] : PartitionTables(p, o.dataset, *format)) {
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
