#include "engine/job_records.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <fstream>

#include "engine/inspect.h"
#include "engine/output_layout.h"
#include "engine/pca_job.h"
#include "engine/report.h"
#include "engine/row_reuse.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// A marker as Extractor::RunPartition writes it (WriteJson: dump(2) + "\n").
const char* kMarker = R"({
  "errors": [
    {
      "key": "Kiwi/bad.jpg",
      "reason": "corrupt JPEG: Premature end of JPEG file"
    }
  ],
  "failed": 1,
  "files": [
    {
      "bytes": 18446744073709551615,
      "key": "features/label=Apple \u00e9/part-00003.csv",
      "label": "Apple \u00e9",
      "rows": 2,
      "sha256": "ab12"
    }
  ],
  "first_key": "Apple \u00e9/a.jpg",
  "formats": [
    "csv"
  ],
  "images": 3,
  "index": 3,
  "inputs": [
    [
      "Apple \u00e9/a.jpg",
      120,
      -5,
      ""
    ],
    [
      "Kiwi/bad.jpg",
      7,
      1700000000000000000,
      "\"etag\""
    ]
  ],
  "inputs_sha256": "in",
  "last_key": "Kiwi/bad.jpg",
  "model_sha256": "m",
  "name": "part-00003",
  "pca_stats": "features/_pca_stats/part-00003.pcastats",
  "rows": 2
}
)";

std::string Dump(const json& j) { return j.dump(2) + "\n"; }

TEST(PartitionMarker, RoundTripsByteForByte) {
  const json j = json::parse(kMarker);
  auto m = PartitionMarker::FromJson(j, "out/_partitions/part-00003.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(m->index, 3);
  EXPECT_EQ(m->files[0].bytes, UINT64_MAX);
  ASSERT_TRUE(m->inputs.has_value());
  EXPECT_EQ((*m->inputs)[0].mtime_ns, -5);
  EXPECT_EQ((*m->errors)[0].key, "Kiwi/bad.jpg");
  EXPECT_EQ(Dump(m->ToJson()), json::parse(kMarker).dump(2) + "\n");
  // As the manifest lists it: no per-image lists.
  json entry = m->ManifestEntry().ToJson();
  EXPECT_FALSE(entry.contains("inputs"));
  EXPECT_FALSE(entry.contains("errors"));
  EXPECT_EQ(entry["pca_stats"], "features/_pca_stats/part-00003.pcastats");
}

// Each kind of damage is one Corrupt line naming the file and the field.
TEST(PartitionMarker, DamageIsCorruptNamingFileAndField) {
  const std::string where = "out/_partitions/part-00003.json";
  struct Case {
    std::function<void(json&)> damage;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j = json::array(); }, "not a JSON object"},
      {[](json& j) { j.erase("inputs_sha256"); }, "inputs_sha256: missing"},
      {[](json& j) { j["index"] = "3"; }, "index: not an integer"},
      {[](json& j) { j["rows"] = 2.5; }, "rows: not an integer"},
      {[](json& j) { j["formats"] = json::array(); }, "formats: empty"},
      {[](json& j) { j["formats"] = json::array({1}); }, "formats[0]: not a string"},
      {[](json& j) { j["files"][0]["rows"] = "2"; }, "files[0].rows: not an integer"},
      {[](json& j) { j["files"][0]["bytes"] = -1; }, "files[0].bytes: not a non-negative integer"},
      {[](json& j) { j["files"][0].erase("label"); }, "files[0].label: missing"},
      {[](json& j) { j["files"] = json::object(); }, "files: not a list"},
      {[](json& j) { j["files"][0] = 7; }, "files[0]: not an object"},
      {[](json& j) { j["inputs"][1] = json::array({"k", 1}); }, "inputs[1]: not a [key, size, mtime_ns, etag] list"},
      {[](json& j) { j["inputs"][1][1] = "7"; }, "inputs[1][1]: not a non-negative integer"},
      {[](json& j) { j["errors"][0]["reason"] = nullptr; }, "errors[0].reason: not a string"},
      {[](json& j) { j["pca_stats"] = 5; }, "pca_stats: not a string"},
  };
  for (const auto& c : cases) {
    json j = json::parse(kMarker);
    c.damage(j);
    auto m = PartitionMarker::FromJson(j, where);
    ASSERT_FALSE(m.ok()) << c.field;
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << c.field;
    EXPECT_EQ(m.status().message(), where + ": " + c.field);
  }
}

// A features manifest after `run` (extract, fit, transform), cluster-made.
json FullManifest() {
  json marker = json::parse(kMarker);
  marker.erase("inputs");
  marker.erase("errors");
  return json{
      {"verger_version", "0.3.0"}, {"kind", "features"}, {"created", "2026-01-01T00:00:00Z"},
      {"command", "verger run ..."}, {"input", "/in/Training"}, {"output", "/out"},
      {"model", {{"name", "squeezenet"}, {"input_width", 224}}}, {"model_sha256", "m"},
      {"backend", "OpenCV DNN"}, {"backend_reason", "auto: opencv"}, {"feature_dim", 512},
      {"column_prefix", "dim_"}, {"preprocessing", {{"input_width", 224}}}, {"formats", json::array({"csv"})},
      {"partition_size", 1000}, {"batch", 16}, {"threads", 2}, {"vcpus", 2},
      {"images", {{"listed", 3}, {"ok", 2}, {"failed", 1}, {"listing_problems", 0}, {"computed", 2}, {"reused", 0}}},
      {"errors_file", "errors.csv"},
      {"labels", {{"Apple \u00e9", {{"ok", 2}, {"failed", 0}}}, {"Kiwi", {{"ok", 0}, {"failed", 1}}}}},
      {"error_reasons", {{"corrupt JPEG", 1}}}, {"partitions_reused", 0}, {"partitions", json::array({marker})},
      {"wall_time_s", 0.0}, {"images_per_s", 12.25}, {"images_per_hour_per_vcpu", 22050.0},
      {"stage_seconds", StageSeconds{0.1, 0.2, 0.0, 1.5, 0.01, 0.003}.ToJson()},
      {"store_retries", {{"input", 0}, {"output", 2}}},
      {"timeline", json::array({{{"partition", 3}, {"images", 3}, {"started_at", 1.7e9}, {"finished_at", 1.7e9 + 0.25}}})},
      {"cluster", {{"engine", "dask"}, {"scheduler", "tcp://127.0.0.1:1"}, {"workers", 2}, {"partitions_computed", 1}}},
      {"pca", {{"model", "pca/model.json"}, {"components", 2}, {"whiten", false}, {"n_samples", 2},
               {"explained_variance_ratio_total", 1.0}, {"pictures", json::array({"pca/explained_variance.svg"})}}},
      {"reduced", {{"column_prefix", "pc_"}, {"parquet_column", "pc"}, {"formats", json::array({"csv"})}, {"rows", 2},
                   {"partitions", json::array({{{"index", 3}, {"name", "part-00003"}, {"rows", 2},
                                    {"files", json::array({{{"key", "reduced/label=Apple \u00e9/part-00003.csv"},
                                                {"label", "Apple \u00e9"}, {"rows", 2}, {"bytes", 99}}})}}})}}}};
}

TEST(FeaturesManifest, RoundTripsByteForByte) {
  // Through text, as it comes from disk (non-negative numbers parse unsigned).
  const std::string text = Dump(FullManifest());
  auto m = FeaturesManifest::FromJson(json::parse(text), "out/manifest.json");
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  EXPECT_EQ(Dump(m->ToJson()), text);
  EXPECT_EQ(m->partitions.at(0).pca_stats, "features/_pca_stats/part-00003.pcastats");
  EXPECT_EQ(m->reduced->partitions.at(0).files.at(0).sha256, std::nullopt);
  // An extract-only manifest (no pca, reduced, cluster, timeline) stays without them.
  json extract_only = FullManifest();
  for (const char* k : {"pca", "reduced", "cluster", "timeline"}) extract_only.erase(k);
  auto e = FeaturesManifest::FromJson(extract_only, "out/manifest.json");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_EQ(Dump(e->ToJson()), Dump(extract_only));
}

TEST(FeaturesManifest, DamageIsCorruptNamingFileAndField) {
  const std::string where = "out/manifest.json";
  struct Case {
    std::function<void(json&)> damage;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](json& j) { j = "text"; }, "not a JSON object"},
      {[](json& j) { j.erase("partitions"); }, "partitions: missing"},
      {[](json& j) { j.erase("feature_dim"); }, "feature_dim: missing"},
      {[](json& j) { j["formats"] = json::array(); }, "formats: empty"},
      {[](json& j) { j["partitions"][0]["files"][0]["key"] = 1; }, "partitions[0].files[0].key: not a string"},
      {[](json& j) { j["partitions"][0].erase("index"); }, "partitions[0].index: missing"},
      {[](json& j) { j["images"]["ok"] = "2"; }, "images.ok: not an integer"},
      {[](json& j) { j["labels"]["Kiwi"]["failed"] = true; }, "labels.Kiwi.failed: not an integer"},
      {[](json& j) { j["stage_seconds"]["read"] = "fast"; }, "stage_seconds.read: not a number"},
      {[](json& j) { j["timeline"][0].erase("finished_at"); }, "timeline[0].finished_at: missing"},
      {[](json& j) { j["pca"]["whiten"] = 0; }, "pca.whiten: not true or false"},
      {[](json& j) { j["reduced"]["partitions"][0]["rows"] = nullptr; }, "reduced.partitions[0].rows: not an integer"},
      {[](json& j) { j["model"] = "squeezenet"; }, "model: not an object"},
      {[](json& j) { j["created"] = 5; }, "created: not a string"},
  };
  for (const auto& c : cases) {
    json j = FullManifest();
    c.damage(j);
    auto m = FeaturesManifest::FromJson(j, where);
    ASSERT_FALSE(m.ok()) << c.field;
    EXPECT_EQ(m.status().code(), StatusCode::kCorrupt) << c.field;
    EXPECT_EQ(m.status().message(), where + ": " + c.field);
  }
}

// The readers of an output (resume's row index, fit-pca, transform, inspect,
// report) meet a damaged marker or manifest with that one Corrupt line.
class DamagedOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() / ("verger_records_" + std::to_string(::getpid()) + "_" +
                                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "_partitions");
    auto s = OpenObjectStore(root_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override { fs::remove_all(root_); }
  void Put(const std::string& key, const std::string& text) { std::ofstream(root_ / key) << text; }

  fs::path root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(DamagedOutput, MarkerReadersSayCorruptAndNameTheFile) {
  json m = json::parse(kMarker);
  m["files"][0]["rows"] = "two";
  Put("_partitions/part-00003.json", m.dump());
  const std::string where = store_->Describe("_partitions/part-00003.json");
  auto read = ReadPartitionMarker(*store_, 3);
  ASSERT_EQ(read.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(read.status().message(), where + ": files[0].rows: not an integer");
  auto reuse = RowReuse::Load(*store_, "m", 4);
  ASSERT_EQ(reuse.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(reuse.status().message(), where + ": files[0].rows: not an integer");

  Put("_partitions/part-00003.json", "{\"index\": 3,");  // cut short
  reuse = RowReuse::Load(*store_, "m", 4);
  ASSERT_EQ(reuse.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(reuse.status().message(), where + ": not valid JSON");
  EXPECT_EQ(ReadPartitionMarker(*store_, 4).status().code(), StatusCode::kNotFound);
}

TEST_F(DamagedOutput, ManifestReadersSayCorruptAndNameTheFile) {
  json m = FullManifest();
  m["partitions"][0]["files"] = 3;
  Put("manifest.json", m.dump());
  const std::string expected = store_->Describe("manifest.json") + ": partitions[0].files: not a list";
  auto manifest = ReadFeaturesManifest(*store_);
  ASSERT_EQ(manifest.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(manifest.status().message(), expected);

  FitPcaOptions fit;
  fit.input = root_.string();
  auto fitted = RunFitPca(fit);
  ASSERT_EQ(fitted.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(fitted.status().message(), expected);

  TransformOptions tr;
  tr.input = root_.string();
  auto projected = RunTransform(tr);
  ASSERT_EQ(projected.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(projected.status().message(), expected);

  InspectOptions in;
  in.location = root_.string();
  auto inspected = InspectOutput(in);
  ASSERT_EQ(inspected.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(inspected.status().message(), expected);

  auto report = BuildReportHtml(*store_, nullptr);
  ASSERT_EQ(report.status().code(), StatusCode::kCorrupt);
  EXPECT_EQ(report.status().message(), expected);
}

}  // namespace
}  // namespace verger
