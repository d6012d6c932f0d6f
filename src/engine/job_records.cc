#include "engine/job_records.h"

#include <type_traits>

#include "engine/output_layout.h"

namespace verger {

namespace {

using json = nlohmann::json;

// Reads typed fields of one JSON object; the first problem is kept as a
// Corrupt status naming the file and the field's path.
class Fields {
 public:
  Fields(const json& j, std::string_view where, std::string path) : j_(j), where_(where), path_(std::move(path)) {
    if (!j_.is_object()) Fail(path_.empty() ? "not a JSON object" : "not an object");
  }

  template <typename T>
  void Required(std::string_view key, T* out) {
    if (!status_.ok() || !j_.is_object()) return;
    auto it = j_.find(key);
    if (it == j_.end()) return FailAt(key, "missing");
    Get(*it, Path(key), out);
  }
  template <typename T>
  void Optional(std::string_view key, std::optional<T>* out) {
    if (!status_.ok() || !j_.is_object()) return;
    auto it = j_.find(key);
    if (it == j_.end()) return;
    T value{};
    Get(*it, Path(key), &value);
    if (status_.ok()) *out = std::move(value);
  }

  // A nested object, read by `read(Fields&)`.
  template <typename F>
  void Object(const json& v, const std::string& path, F&& read) {
    if (!status_.ok()) return;
    Fields sub(v, where_, path);
    if (sub.status_.ok()) read(sub);
    if (!sub.status_.ok()) status_ = sub.status_;
  }

  Status status() const { return status_; }
  std::string_view where() const { return where_; }

  void Get(const json& v, const std::string& path, std::string* out) {
    if (!v.is_string()) return FailPath(path, "not a string");
    *out = v.get<std::string>();
  }
  void Get(const json& v, const std::string& path, int64_t* out) {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return FailPath(path, "out of range");
      *out = static_cast<int64_t>(v.get<uint64_t>());
    } else if (v.is_number_integer()) {
      *out = v.get<int64_t>();
    } else {
      FailPath(path, "not an integer");
    }
  }
  void Get(const json& v, const std::string& path, uint64_t* out) {
    if (v.is_number_unsigned()) {
      *out = v.get<uint64_t>();
    } else if (v.is_number_integer() && v.get<int64_t>() >= 0) {
      *out = static_cast<uint64_t>(v.get<int64_t>());
    } else {
      FailPath(path, "not a non-negative integer");
    }
  }
  void Get(const json& v, const std::string& path, double* out) {
    if (!v.is_number()) return FailPath(path, "not a number");
    *out = v.get<double>();
  }
  void Get(const json& v, const std::string& path, bool* out) {
    if (!v.is_boolean()) return FailPath(path, "not true or false");
    *out = v.get<bool>();
  }
  void Get(const json& v, const std::string& path, json* out) {
    if (!v.is_object()) return FailPath(path, "not an object");
    *out = v;
  }
  template <typename T>
  void Get(const json& v, const std::string& path, std::vector<T>* out) {
    if (!v.is_array()) return FailPath(path, "not a list");
    out->clear();
    out->reserve(v.size());
    for (size_t i = 0; i < v.size() && status_.ok(); ++i) {
      T item{};
      Get(v[i], path + "[" + std::to_string(i) + "]", &item);
      out->push_back(std::move(item));
    }
  }
  void Get(const json& v, const std::string& path, MarkerFile* f) {
    Object(v, path, [&](Fields& r) {
      r.Required("key", &f->key);
      r.Required("label", &f->label);
      r.Required("rows", &f->rows);
      r.Required("bytes", &f->bytes);
      r.Optional("sha256", &f->sha256);
    });
  }
  void Get(const json& v, const std::string& path, MarkerInput* in) {
    // [key, size, mtime_ns, etag]
    if (!v.is_array() || v.size() != 4) return FailPath(path, "not a [key, size, mtime_ns, etag] list");
    Get(v[0], path + "[0]", &in->key);
    Get(v[1], path + "[1]", &in->size);
    Get(v[2], path + "[2]", &in->mtime_ns);
    Get(v[3], path + "[3]", &in->etag);
  }
  void Get(const json& v, const std::string& path, ImageError* e) {
    Object(v, path, [&](Fields& r) {
      r.Required("key", &e->key);
      r.Required("reason", &e->reason);
    });
  }
  void Get(const json& v, const std::string& path, StageSeconds* s) {
    Object(v, path, [&](Fields& r) {
      r.Required("read", &s->read);
      r.Required("decode", &s->decode);
      r.Required("wait_for_input", &s->wait_for_input);
      r.Required("inference", &s->inference);
      r.Required("write", &s->write);
      r.Required("list", &s->list);
    });
  }
  void Get(const json& v, const std::string& path, ManifestImages* m) {
    Object(v, path, [&](Fields& r) {
      r.Required("listed", &m->listed);
      r.Required("ok", &m->ok);
      r.Required("failed", &m->failed);
      r.Required("listing_problems", &m->listing_problems);
      r.Required("computed", &m->computed);
      r.Required("reused", &m->reused);
    });
  }
  void Get(const json& v, const std::string& path, TimelineEntry* t) {
    Object(v, path, [&](Fields& r) {
      r.Required("partition", &t->partition);
      r.Required("images", &t->images);
      r.Required("started_at", &t->started_at);
      r.Required("finished_at", &t->finished_at);
    });
  }
  void Get(const json& v, const std::string& path, ClusterInfo* c) {
    Object(v, path, [&](Fields& r) {
      r.Required("engine", &c->engine);
      r.Required("scheduler", &c->scheduler);
      r.Required("workers", &c->workers);
      r.Required("partitions_computed", &c->partitions_computed);
    });
  }
  void Get(const json& v, const std::string& path, PcaSection* p) {
    Object(v, path, [&](Fields& r) {
      r.Required("model", &p->model);
      r.Required("components", &p->components);
      r.Required("whiten", &p->whiten);
      r.Required("n_samples", &p->n_samples);
      r.Required("explained_variance_ratio_total", &p->explained_variance_ratio_total);
      r.Required("pictures", &p->pictures);
    });
  }
  void Get(const json& v, const std::string& path, LabelTally* t) {
    Object(v, path, [&](Fields& r) {
      r.Required("ok", &t->ok);
      r.Required("failed", &t->failed);
    });
  }
  template <typename T>
  void Get(const json& v, const std::string& path, std::map<std::string, T>* out) {
    if (!v.is_object()) return FailPath(path, "not an object");
    for (const auto& [k, item] : v.items()) {
      if (!status_.ok()) return;
      Get(item, path + "." + k, &(*out)[k]);
    }
  }
  void Get(const json& v, const std::string& path, std::pair<int64_t, int64_t>* retries) {  // store_retries
    Object(v, path, [&](Fields& r) {
      r.Required("input", &retries->first);
      r.Required("output", &retries->second);
    });
  }
  void Get(const json& v, const std::string& path, PartitionMarker* m) {
    Object(v, path, [&](Fields& r) { r.ReadMarker(m); });
  }
  void Get(const json& v, const std::string& path, ReducedPartition* p) {
    Object(v, path, [&](Fields& r) { r.ReadReduced(p); });
  }
  void Get(const json& v, const std::string& path, ReducedSection* s) {
    Object(v, path, [&](Fields& r) {
      r.Required("column_prefix", &s->column_prefix);
      r.Required("parquet_column", &s->parquet_column);
      r.Required("formats", &s->formats);
      r.Required("rows", &s->rows);
      r.Required("partitions", &s->partitions);
    });
  }

  void ReadMarker(PartitionMarker* m) {
    Required("index", &m->index);
    Required("name", &m->name);
    Required("first_key", &m->first_key);
    Required("last_key", &m->last_key);
    Required("images", &m->images);
    Required("inputs_sha256", &m->inputs_sha256);
    Optional("inputs", &m->inputs);
    Required("model_sha256", &m->model_sha256);
    Required("formats", &m->formats);
    Required("rows", &m->rows);
    Required("failed", &m->failed);
    Required("files", &m->files);
    Optional("errors", &m->errors);
    Optional("pca_stats", &m->pca_stats);
    if (status_.ok() && m->formats.empty()) FailAt("formats", "empty");
    for (const auto& [key, count] : {std::pair<const char*, int64_t>{"index", m->index}, {"images", m->images},
                                     {"rows", m->rows}, {"failed", m->failed}})
      if (status_.ok() && count < 0) FailAt(key, "negative");
  }
  void ReadReduced(ReducedPartition* p) {
    Required("index", &p->index);
    Required("name", &p->name);
    Required("rows", &p->rows);
    Required("files", &p->files);
  }

 private:
  std::string Path(std::string_view key) const { return path_.empty() ? std::string(key) : path_ + "." + std::string(key); }
  void FailAt(std::string_view key, const char* what) { FailPath(Path(key), what); }
  void FailPath(const std::string& path, const char* what) {
    if (status_.ok()) status_ = Status::Corrupt(std::string(where_) + ": " + path + ": " + what);
  }
  void Fail(const char* what) {
    if (status_.ok())
      status_ = Status::Corrupt(std::string(where_) + (path_.empty() ? "" : ": " + path_) + ": " + what);
  }

  const json& j_;
  std::string_view where_;
  std::string path_;
  Status status_;
};

json FileJson(const MarkerFile& f) {
  json j = {{"key", f.key}, {"label", f.label}, {"rows", f.rows}, {"bytes", f.bytes}};
  if (f.sha256) j["sha256"] = *f.sha256;
  return j;
}

json FilesJson(const std::vector<MarkerFile>& files) {
  json out = json::array();
  for (const auto& f : files) out.push_back(FileJson(f));
  return out;
}

}  // namespace

json JobCounts::LabelsJson() const {
  json out = json::object();
  for (const auto& [label, t] : labels) out[label] = {{"ok", t.ok}, {"failed", t.failed}};
  return out;
}

json JobCounts::ReasonsJson() const {
  json out = json::object();
  for (const auto& [kind, n] : error_reasons) out[kind] = n;
  return out;
}

Result<PartitionMarker> PartitionMarker::FromJson(const json& j, std::string_view where) {
  PartitionMarker m;
  Fields r(j, where, "");
  r.ReadMarker(&m);
  VERGER_RETURN_IF_ERROR(r.status());
  return m;
}

json PartitionMarker::ToJson() const {
  json j = {{"index", index},
            {"name", name},
            {"first_key", first_key},
            {"last_key", last_key},
            {"images", images},
            {"inputs_sha256", inputs_sha256},
            {"model_sha256", model_sha256},
            {"formats", formats},
            {"rows", rows},
            {"failed", failed},
            {"files", FilesJson(files)}};
  if (inputs) {
    json in = json::array();
    for (const auto& i : *inputs) in.push_back(json::array({i.key, i.size, i.mtime_ns, i.etag}));
    j["inputs"] = std::move(in);
  }
  if (errors) {
    json e = json::array();
    for (const auto& x : *errors) e.push_back({{"key", x.key}, {"reason", x.reason}});
    j["errors"] = std::move(e);
  }
  if (pca_stats) j["pca_stats"] = *pca_stats;
  return j;
}

PartitionMarker PartitionMarker::ManifestEntry() const {
  PartitionMarker m = *this;
  m.inputs.reset();
  m.errors.reset();
  return m;
}

Result<ReducedPartition> ReducedPartition::FromJson(const json& j, std::string_view where) {
  ReducedPartition p;
  Fields r(j, where, "");
  r.ReadReduced(&p);
  VERGER_RETURN_IF_ERROR(r.status());
  return p;
}

json ReducedPartition::ToJson() const {
  return {{"index", index}, {"name", name}, {"rows", rows}, {"files", FilesJson(files)}};
}

Result<FeaturesManifest> FeaturesManifest::FromJson(const json& j, std::string_view where) {
  FeaturesManifest m;
  Fields r(j, where, "");
  r.Optional("verger_version", &m.verger_version);
  r.Optional("kind", &m.kind);
  r.Optional("created", &m.created);
  r.Optional("command", &m.command);
  r.Optional("input", &m.input);
  r.Optional("output", &m.output);
  r.Optional("model", &m.model);
  r.Optional("model_sha256", &m.model_sha256);
  r.Optional("backend", &m.backend);
  r.Optional("backend_reason", &m.backend_reason);
  r.Required("feature_dim", &m.feature_dim);
  r.Optional("column_prefix", &m.column_prefix);
  r.Optional("preprocessing", &m.preprocessing);
  r.Required("formats", &m.formats);
  r.Optional("partition_size", &m.partition_size);
  r.Optional("batch", &m.batch);
  r.Optional("threads", &m.threads);
  r.Optional("vcpus", &m.vcpus);
  r.Optional("images", &m.images);
  r.Optional("errors_file", &m.errors_file);
  {
    std::optional<std::map<std::string, LabelTally>> labels;
    std::optional<std::map<std::string, int64_t>> reasons;
    r.Optional("labels", &labels);
    r.Optional("error_reasons", &reasons);
    if (labels || reasons) {
      m.counts.emplace();
      if (labels) m.counts->labels = std::move(*labels);
      if (reasons) m.counts->error_reasons = std::move(*reasons);
    }
  }
  r.Optional("partitions_reused", &m.partitions_reused);
  r.Required("partitions", &m.partitions);
  r.Optional("wall_time_s", &m.wall_time_s);
  r.Optional("images_per_s", &m.images_per_s);
  r.Optional("images_per_hour_per_vcpu", &m.images_per_hour_per_vcpu);
  r.Optional("stage_seconds", &m.stage_seconds);
  r.Optional("store_retries", &m.store_retries);
  r.Optional("timeline", &m.timeline);
  r.Optional("cluster", &m.cluster);
  r.Optional("pca", &m.pca);
  r.Optional("reduced", &m.reduced);
  VERGER_RETURN_IF_ERROR(r.status());
  if (m.formats.empty()) return Status::Corrupt(std::string(where) + ": formats: empty");
  return m;
}

json FeaturesManifest::ToJson() const {
  json j = json::object();
  auto put = [&](const char* key, const auto& field) {
    if (field) j[key] = *field;
  };
  put("verger_version", verger_version);
  put("kind", kind);
  put("created", created);
  put("command", command);
  put("input", input);
  put("output", output);
  put("model", model);
  put("model_sha256", model_sha256);
  put("backend", backend);
  put("backend_reason", backend_reason);
  j["feature_dim"] = feature_dim;
  put("column_prefix", column_prefix);
  put("preprocessing", preprocessing);
  j["formats"] = formats;
  put("partition_size", partition_size);
  put("batch", batch);
  put("threads", threads);
  put("vcpus", vcpus);
  if (images)
    j["images"] = {{"listed", images->listed}, {"ok", images->ok}, {"failed", images->failed},
                   {"listing_problems", images->listing_problems}, {"computed", images->computed},
                   {"reused", images->reused}};
  put("errors_file", errors_file);
  if (counts) {
    j["labels"] = counts->LabelsJson();
    j["error_reasons"] = counts->ReasonsJson();
  }
  put("partitions_reused", partitions_reused);
  json parts = json::array();
  for (const auto& p : partitions) parts.push_back(p.ToJson());
  j["partitions"] = std::move(parts);
  put("wall_time_s", wall_time_s);
  put("images_per_s", images_per_s);
  put("images_per_hour_per_vcpu", images_per_hour_per_vcpu);
  if (stage_seconds) j["stage_seconds"] = stage_seconds->ToJson();
  if (store_retries) j["store_retries"] = {{"input", store_retries->first}, {"output", store_retries->second}};
  if (timeline) {
    json t = json::array();
    for (const auto& e : *timeline)
      t.push_back({{"partition", e.partition}, {"images", e.images}, {"started_at", e.started_at},
                   {"finished_at", e.finished_at}});
    j["timeline"] = std::move(t);
  }
  if (cluster)
    j["cluster"] = {{"engine", cluster->engine}, {"scheduler", cluster->scheduler}, {"workers", cluster->workers},
                    {"partitions_computed", cluster->partitions_computed}};
  if (pca)
    j["pca"] = {{"model", pca->model},
                {"components", pca->components},
                {"whiten", pca->whiten},
                {"n_samples", pca->n_samples},
                {"explained_variance_ratio_total", pca->explained_variance_ratio_total},
                {"pictures", pca->pictures}};
  if (reduced) {
    json parts_r = json::array();
    for (const auto& p : reduced->partitions) parts_r.push_back(p.ToJson());
    j["reduced"] = {{"column_prefix", reduced->column_prefix},
                    {"parquet_column", reduced->parquet_column},
                    {"formats", reduced->formats},
                    {"rows", reduced->rows},
                    {"partitions", std::move(parts_r)}};
  }
  return j;
}

Result<PartitionMarker> ReadPartitionMarker(const ObjectStore& store, int64_t index, bool with_inputs) {
  const std::string key = PartitionMarkerKey(index);
  if (with_inputs) {
    VERGER_ASSIGN_OR_RETURN(json j, ReadJson(store, key));
    return PartitionMarker::FromJson(j, store.Describe(key));
  }
  VERGER_ASSIGN_OR_RETURN(auto bytes, store.Read(key));
  // The parser skips the value of the top-level "inputs" instead of building it.
  json j = json::parse(
      bytes.begin(), bytes.end(),
      [](int depth, json::parse_event_t event, json& parsed) {
        return !(depth == 1 && event == json::parse_event_t::key && parsed == "inputs");
      },
      /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::Corrupt(store.Describe(key) + ": not valid JSON");
  return PartitionMarker::FromJson(j, store.Describe(key));
}

Status WritePartitionMarker(ObjectStore& store, const PartitionMarker& marker) {
  return WriteJson(store, PartitionMarkerKey(marker.index), marker.ToJson());
}

Result<FeaturesManifest> ReadManifest(const ObjectStore& store, std::string_view key) {
  VERGER_ASSIGN_OR_RETURN(json j, ReadJson(store, key));
  return FeaturesManifest::FromJson(j, store.Describe(key));
}

Status WriteManifest(ObjectStore& store, std::string_view key, const FeaturesManifest& manifest) {
  return WriteJson(store, key, manifest.ToJson());
}

}  // namespace verger
