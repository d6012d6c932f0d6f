// The extract job's orchestration at memory speed: real JPEGs from the shared
// fruits-360-10 set in an in-memory store (io/memory_store.h), a small
// deterministic backend whose features are a fixed function of the pixels,
// and faults injected into the output store (io/faulty_store.h). Covers
// partition planning, --resume (complete partitions kept, changed images
// recomputed), row reuse, marker validation, --max-errors, a failed write
// in the middle of a job, and corrupt markers, manifests and statistics.
#include <set>

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "core/file_util.h"
#include "engine/extract_job.h"
#include "engine/output_layout.h"
#include "engine/partition.h"
#include "engine/pca_job.h"
#include "io/faulty_store.h"
#include "io/memory_store.h"
#include "model/backend.h"

namespace verger {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Features of one image: the mean of each channel, and the mean of channel 0
// over the top half. Different fruit photos differ in these; equal pixels
// give equal rows.
class PixelMeansBackend final : public InferenceBackend {
 public:
  PixelMeansBackend(int width, int height) : w_(width), h_(height) {}
  Status Run(const float* input, int batch, float* output) override {
    const int64_t plane = int64_t{w_} * h_;
    for (int b = 0; b < batch; ++b) {
      const float* img = input + b * 3 * plane;
      float* row = output + b * kDim;
      for (int c = 0; c < 3; ++c) {
        double sum = 0;
        for (int64_t i = 0; i < plane; ++i) sum += img[c * plane + i];
        row[c] = static_cast<float>(sum / plane);
      }
      double top = 0;
      for (int64_t i = 0; i < plane / 2; ++i) top += img[i];
      row[3] = static_cast<float>(top / (plane / 2));
    }
    return Status::OK();
  }
  int64_t feature_dim() const override { return kDim; }
  std::string description() const override { return "pixel means (test backend)"; }
  // The id goes into the model hash and the manifest's spec: a kind that runs.
  BackendKind id() const override { return BackendKind::kOpenCv; }
  int default_batch() const override { return 3; }  // batches that straddle partitions

  static constexpr int64_t kDim = 4;

 private:
  int w_, h_;
};

fs::path SharedDir() {
  const char* env = std::getenv("VERGER_SHARED_DIR");
  return env ? fs::path(env) : fs::path(VERGER_TEST_SOURCE_DIR "/../shared");
}

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

// The first `n` photos (by name) of one fruits-360-10 class.
std::vector<std::vector<uint8_t>> Photos(const std::string& cls, size_t n) {
  std::vector<fs::path> names;
  for (const auto& e : fs::directory_iterator(SharedDir() / "datasets/fruits-360-10/Training" / cls))
    names.push_back(e.path());
  std::sort(names.begin(), names.end());
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < n && i < names.size(); ++i) {
    auto bytes = ReadFileBytes(names[i]);
    if (bytes.ok()) out.push_back(std::move(bytes).value());
  }
  return out;
}

class ExtractJobTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::is_directory(SharedDir() / "datasets/fruits-360-10/Training"))
      GTEST_SKIP() << "no fruits-360-10 under " << SharedDir() << " (set VERGER_SHARED_DIR)";
    SetBackendFactoryForTesting([](const ModelSpec& spec, const BackendOptions&)
                                    -> Result<std::unique_ptr<InferenceBackend>> {
      return std::unique_ptr<InferenceBackend>(new PixelMeansBackend(spec.input_width, spec.input_height));
    });
    name_ = ::testing::UnitTest::GetInstance()->current_test_info()->name();
    dir_ = fs::temp_directory_path() / ("verger-extract-job-" + name_ + "-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    WriteSpec("weights v1");
    input_ = Open("in");
    kiwi_ = Photos("Kiwi 1", 4);
    banana_ = Photos("Banana 1", 3);
    lemon_ = Photos("Lemon 1", 3);
    ASSERT_EQ(kiwi_.size() + banana_.size() + lemon_.size(), 10u);
    // Keys sort as: Banana 1/0..2, Kiwi 1/0..3, Lemon 1/0..2 -> partitions of 4: [B0 B1 B2 K0] [K1 K2 K3 L0] [L1 L2]
    for (size_t i = 0; i < banana_.size(); ++i) PutImage("Banana 1/" + std::to_string(i) + ".jpg", banana_[i]);
    for (size_t i = 0; i < kiwi_.size(); ++i) PutImage("Kiwi 1/" + std::to_string(i) + ".jpg", kiwi_[i]);
    for (size_t i = 0; i < lemon_.size(); ++i) PutImage("Lemon 1/" + std::to_string(i) + ".jpg", lemon_[i]);
  }
  void TearDown() override {
    SetBackendFactoryForTesting(nullptr);
    for (const char* b : {"in", "out", "fresh", "fresh-in"}) DropMemoryBucket(Bucket(b));
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  std::string Bucket(const std::string& what) const { return name_ + "-" + what; }
  std::string Uri(const std::string& what) const { return "mem://" + Bucket(what); }
  std::unique_ptr<ObjectStore> Open(const std::string& what) {
    StoreOptions create;
    create.create = true;
    auto s = OpenObjectStore(Uri(what), create);
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }
  void PutImage(const std::string& key, const std::vector<uint8_t>& bytes, ObjectStore* store = nullptr) {
    ASSERT_TRUE((store ? store : input_.get())->WriteAtomic(key, bytes).ok()) << key;
  }
  // A spec of 32x32 input whose weights file holds `weights` (the model hash follows it).
  void WriteSpec(const std::string& weights) {
    std::ofstream(dir_ / "pixels.bin") << weights;
    std::ofstream(dir_ / "pixels.json") << R"({"name": "pixels", "weights": "pixels.bin", "input_name": "x",
        "input_width": 32, "input_height": 32, "color_order": "rgb", "normalization": "torch",
        "feature_tensor": "f", "feature_dim": 4})";
  }
  ExtractOptions Options(const std::string& out = "out") const {
    ExtractOptions o;
    o.input = Uri("in");
    o.output = Uri(out);
    o.model = (dir_ / "pixels.json").string();
    o.formats = {"csv"};
    o.threads = 1;
    o.partition_size = 4;
    o.progress.mode = ProgressMode::kQuiet;
    return o;
  }
  Result<ExtractSummary> Extract(ExtractOptions o) { return RunExtract(o); }
  Result<ExtractSummary> Resume() {
    ExtractOptions o = Options();
    o.resume = true;
    return RunExtract(o);
  }
  // Every features table of an output, by key.
  std::map<std::string, std::vector<uint8_t>> Tables(const std::string& out = "out") {
    auto store = Open(out);
    std::map<std::string, std::vector<uint8_t>> tables;
    auto l = store->List("features/", nullptr);
    EXPECT_TRUE(l.ok());
    for (const auto& o : l->objects)
      if (o.key.find("/_") == std::string::npos) tables[o.key] = *store->Read(o.key);
    return tables;
  }
  // What a fresh run over the current input gives.
  std::map<std::string, std::vector<uint8_t>> FreshTables() {
    DropMemoryBucket(Bucket("fresh"));
    auto fresh = Extract(Options("fresh"));
    EXPECT_TRUE(fresh.ok()) << fresh.status().ToString();
    return Tables("fresh");
  }
  json ReadJsonAt(const std::string& key, const std::string& out = "out") {
    auto j = ReadJson(*Open(out), key);
    EXPECT_TRUE(j.ok()) << key << ": " << j.status().ToString();
    return j.ok() ? *j : json();
  }
  bool Has(const std::string& key, const std::string& out = "out") { return *Open(out)->Exists(key); }

  std::string name_;
  fs::path dir_;
  std::unique_ptr<ObjectStore> input_;
  std::vector<std::vector<uint8_t>> kiwi_, banana_, lemon_;
};

// ---- planning ----

TEST(PlanPartitions, CutsTheSortedListIntoFixedSizeRanges) {
  auto plan = PlanPartitions(10, 4);
  ASSERT_EQ(plan.size(), 3u);
  EXPECT_EQ(plan[0].begin, 0);
  EXPECT_EQ(plan[0].end, 4);
  EXPECT_EQ(plan[2].index, 2);
  EXPECT_EQ(plan[2].begin, 8);
  EXPECT_EQ(plan[2].end, 10);
  EXPECT_EQ(PlanPartitions(8, 4).size(), 2u) << "no empty last partition";
  EXPECT_TRUE(PlanPartitions(0, 4).empty());
  EXPECT_EQ(PlanPartitions(5, 0).size(), 1u) << "size 0 = one partition";
}

TEST_F(ExtractJobTest, PartitionsFollowKeyOrderAndRowsFollowThePixels) {
  // The same photo under a second key, in another label: its row must be equal.
  PutImage("Lemon 1/copy-of-kiwi-0.jpg", kiwi_[0]);
  auto s = Extract(Options());
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->listed, 11);
  EXPECT_EQ(s->ok, 11);
  EXPECT_EQ(s->failed, 0);
  EXPECT_EQ(s->partitions, 3);
  EXPECT_EQ(s->images_computed, 11);
  EXPECT_EQ(s->feature_dim, 4);
  EXPECT_EQ(s->backend_choice, "test backend");

  const std::vector<std::pair<std::string, std::string>> bounds = {
      {"Banana 1/0.jpg", "Kiwi 1/0.jpg"}, {"Kiwi 1/1.jpg", "Lemon 1/0.jpg"}, {"Lemon 1/1.jpg", "Lemon 1/copy-of-kiwi-0.jpg"}};
  for (int64_t i = 0; i < 3; ++i) {
    json m = ReadJsonAt(PartitionMarkerKey(i));
    EXPECT_EQ(m["index"], i);
    EXPECT_EQ(m["first_key"], bounds[i].first) << i;
    EXPECT_EQ(m["last_key"], bounds[i].second) << i;
    EXPECT_EQ(m["images"], i < 2 ? 4 : 3);
    EXPECT_EQ(m["rows"], i < 2 ? 4 : 3);
  }
  json manifest = ReadJsonAt(kManifestKey);
  EXPECT_EQ(manifest["images"]["ok"], 11);
  EXPECT_EQ(manifest["partitions"].size(), 3u);
  EXPECT_FALSE(Has(PartitionMarkerKey(3)));

  // Rows: read the tables back and compare per image.
  auto csv = MakeTableFormat("csv");
  ASSERT_TRUE(csv.ok());
  std::map<std::string, std::vector<float>> rows;
  for (const auto& [key, bytes] : Tables()) {
    auto t = (*csv)->Decode({bytes}, key);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    for (int64_t r = 0; r < t->rows(); ++r)
      rows[t->paths[r]] = std::vector<float>(t->values.begin() + r * 4, t->values.begin() + (r + 1) * 4);
  }
  ASSERT_EQ(rows.size(), 11u);
  EXPECT_EQ(rows["Lemon 1/copy-of-kiwi-0.jpg"], rows["Kiwi 1/0.jpg"]) << "same pixels, same row";
  EXPECT_NE(rows["Kiwi 1/0.jpg"], rows["Kiwi 1/1.jpg"]);
  EXPECT_NE(rows["Banana 1/0.jpg"], rows["Kiwi 1/0.jpg"]);
  EXPECT_EQ(Tables(), FreshTables()) << "a second run gives the same bytes";
}

// ---- --resume ----

TEST_F(ExtractJobTest, ResumeKeepsCompletePartitionsAndRecomputesAChangedImage) {
  ASSERT_TRUE(Extract(Options()).ok());
  auto after = Resume();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->partitions_reused, 3);
  EXPECT_EQ(after->images_computed, 0);
  EXPECT_EQ(after->images_reused, 10);

  // Kiwi 1/2.jpg (partition 1) now holds another photo.
  PutImage("Kiwi 1/2.jpg", lemon_[0]);
  after = Resume();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->partitions_reused, 2);
  EXPECT_EQ(after->images_computed, 1) << "only the changed image goes through the model";
  EXPECT_EQ(after->images_reused, 9);
  EXPECT_EQ(Tables(), FreshTables()) << "resumed output equals a fresh run's";
  EXPECT_TRUE(Has(kManifestKey));
}

TEST_F(ExtractJobTest, ResumeKeepsBoundariesWhenAKeySortsFirst) {
  ASSERT_TRUE(Extract(Options()).ok());
  // A key that sorts first would shift every image one place under a fresh
  // cut; --resume keeps the earlier boundaries (PartitionCutter), so the new
  // image joins partition 0 and the other partitions stay whole.
  PutImage("Apple 1/new.jpg", kiwi_[3]);
  auto after = Resume();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->listed, 11);
  EXPECT_EQ(after->partitions_reused, 2);
  EXPECT_EQ(after->images_computed, 1);
  EXPECT_EQ(after->images_reused, 10);
  // The same row for every image as a fresh run, in the files its history cut.
  auto rows = [](const std::map<std::string, std::vector<uint8_t>>& tables) {
    std::multiset<std::string> lines;
    for (const auto& [key, bytes] : tables) {
      std::string text(bytes.begin(), bytes.end());
      for (size_t start = text.find('\n') + 1, end; start < text.size(); start = end + 1) {
        end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        lines.insert(text.substr(start, end - start));
      }
    }
    return lines;
  };
  EXPECT_EQ(rows(Tables()), rows(FreshTables()));
  // No table or marker of the old plan is left to be read twice.
  json manifest = ReadJsonAt(kManifestKey);
  EXPECT_EQ(manifest["partitions"].size(), 3u);
  EXPECT_EQ(manifest["images"]["reused"], 10);
}

TEST_F(ExtractJobTest, ResumeListsTheInputOnceAndCountsFromTheMarkers) {
  // Counts the input objects the job lists, with the job alive to ask.
  auto objects_listed = [&](ExtractOptions o) -> int64_t {
    const std::string in_uri = Uri("in");
    FaultyObjectStore* input = nullptr;
    o.store.wrap = [&](std::unique_ptr<ObjectStore> s) -> std::unique_ptr<ObjectStore> {
      if (s->uri() != in_uri) return s;
      auto wrapped = std::make_unique<FaultyObjectStore>(std::move(s));
      input = wrapped.get();
      return wrapped;
    };
    auto job = ExtractJob::Create(o);
    EXPECT_TRUE(job.ok()) << job.status().ToString();
    if (!job.ok()) return -1;
    auto summary = (*job)->Run();
    EXPECT_TRUE(summary.ok()) << summary.status().ToString();
    EXPECT_EQ(summary->listed, 11);
    return input != nullptr ? input->objects_listed() : -1;
  };
  PutImage("Lemon 1/extra.jpg", lemon_[0]);
  // A fresh run counts the images (progress total), then streams them.
  EXPECT_EQ(objects_listed(Options()), 2 * 11);
  // --resume takes the count from the markers: one image to see that the
  // input is not empty, then the streamed pass.
  ExtractOptions resume = Options();
  resume.resume = true;
  EXPECT_EQ(objects_listed(resume), 1 + 11);
  // A new image past the markers' count is still found and computed.
  PutImage("Lemon 1/zz-new.jpg", kiwi_[1]);
  auto grown = Resume();
  ASSERT_TRUE(grown.ok()) << grown.status().ToString();
  EXPECT_EQ(grown->listed, 12);
  EXPECT_EQ(grown->images_computed, 1);
  EXPECT_EQ(Tables(), FreshTables());
}

TEST_F(ExtractJobTest, ResumeOfAnEmptiedInputIsRefusedBeforeTheOutputIsTouched) {
  ASSERT_TRUE(Extract(Options()).ok());
  for (const std::string key : {"Banana 1/0.jpg", "Banana 1/1.jpg", "Banana 1/2.jpg", "Kiwi 1/0.jpg", "Kiwi 1/1.jpg",
                                "Kiwi 1/2.jpg", "Kiwi 1/3.jpg", "Lemon 1/0.jpg", "Lemon 1/1.jpg", "Lemon 1/2.jpg"})
    ASSERT_TRUE(input_->Delete(key).ok()) << key;
  auto resumed = Resume();
  ASSERT_FALSE(resumed.ok());
  EXPECT_EQ(resumed.status().code(), StatusCode::kInvalidArgument) << resumed.status().ToString();
  EXPECT_NE(resumed.status().message().find("no .jpg"), std::string::npos) << resumed.status().ToString();
  EXPECT_TRUE(Has(kManifestKey)) << "the earlier output is left as it was";
}

TEST_F(ExtractJobTest, ResumeRecomputesEverythingForAnotherModel) {
  ASSERT_TRUE(Extract(Options()).ok());
  WriteSpec("weights v2");  // another model hash
  auto after = Resume();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->partitions_reused, 0);
  EXPECT_EQ(after->images_reused, 0);
  EXPECT_EQ(after->images_computed, 10);
  EXPECT_EQ(ReadJsonAt(PartitionMarkerKey(0))["model_sha256"], after->model_hash);
}

TEST_F(ExtractJobTest, MarkerWhoseFilesChangedIsNotTrusted) {
  ASSERT_TRUE(Extract(Options()).ok());
  auto out = Open("out");
  json marker = ReadJsonAt(PartitionMarkerKey(1));
  const std::string table = marker["files"][0]["key"];
  ASSERT_TRUE(out->WriteAtomic(table, Bytes("path,label\n")).ok());  // another size than recorded
  // A marker for other inputs (the hash differs) is not this partition's.
  json other = ReadJsonAt(PartitionMarkerKey(2));
  other["inputs_sha256"] = std::string(64, '0');
  ASSERT_TRUE(WriteJson(*out, PartitionMarkerKey(2), other).ok());
  auto after = Resume();
  ASSERT_TRUE(after.ok()) << after.status().ToString();
  EXPECT_EQ(after->partitions_reused, 1) << "only partition 0 is still whole";
  EXPECT_EQ(Tables(), FreshTables());
}

// ---- --max-errors ----

TEST_F(ExtractJobTest, MaxErrorsStopsWithoutAManifestAndCountsListedFailures) {
  PutImage("Kiwi 1/broken-a.jpg", Bytes("not a jpeg at all"));
  PutImage("Kiwi 1/broken-b.jpg", Bytes("\xFF\xD8\xFF truncated"));
  ExtractOptions o = Options();
  o.max_errors = 1;
  auto stopped = Extract(o);
  ASSERT_TRUE(stopped.ok()) << stopped.status().ToString();
  EXPECT_TRUE(stopped->max_errors_exceeded);
  EXPECT_FALSE(Has(kManifestKey)) << "a job stopped by --max-errors did not complete";
  auto errors = Open("out")->Read(kErrorsKey);
  ASSERT_TRUE(errors.ok());
  const std::string text(errors->begin(), errors->end());
  EXPECT_NE(text.find("Kiwi 1/broken-a.jpg"), std::string::npos) << text;

  o.max_errors = 2;
  o.overwrite = true;
  auto done = Extract(o);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_FALSE(done->max_errors_exceeded);
  EXPECT_EQ(done->ok, 10);
  EXPECT_EQ(done->failed, 2);
  EXPECT_TRUE(Has(kManifestKey));
  errors = Open("out")->Read(kErrorsKey);
  const std::string all(errors->begin(), errors->end());
  EXPECT_NE(all.find("Kiwi 1/broken-a.jpg"), std::string::npos);
  EXPECT_NE(all.find("Kiwi 1/broken-b.jpg"), std::string::npos);

  // --resume: broken-a (partition 1), now a photo, is a changed image;
  // broken-b fails again, retried though its partition is complete.
  PutImage("Kiwi 1/broken-a.jpg", kiwi_[0]);
  auto resumed = Resume();
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->partitions_reused, 1);
  EXPECT_EQ(resumed->retried, 1);
  EXPECT_EQ(resumed->retried_ok, 0);
  EXPECT_EQ(resumed->images_computed, 1);
  EXPECT_EQ(resumed->ok, 11);
  EXPECT_EQ(resumed->failed, 1);
}

// ---- failures of the output store ----

TEST_F(ExtractJobTest, FailedWriteMidJobLeavesNoManifestAndResumeCompletes) {
  ExtractOptions o = Options();
  const std::string out_uri = Uri("out");
  // The second partition's second table write fails (tables of partition 0:
  // Banana, Kiwi; of partition 1: Kiwi, Lemon).
  o.store.wrap = [out_uri](std::unique_ptr<ObjectStore> s) -> std::unique_ptr<ObjectStore> {
    if (s->uri() != out_uri) return s;
    return std::make_unique<FaultyObjectStore>(std::move(s), std::vector<Fault>{Fault{kStoreWrite, "features/*", 4}});
  };
  auto failed = Extract(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kIOError) << failed.status().ToString();
  EXPECT_NE(failed.status().message().find(out_uri + "/features/label=Lemon 1/part-00001.csv"), std::string::npos)
      << failed.status().ToString();
  EXPECT_FALSE(Has(kManifestKey));
  EXPECT_TRUE(Has(PartitionMarkerKey(0)));
  EXPECT_FALSE(Has(PartitionMarkerKey(1))) << "a partition is complete only once its marker is written";
  EXPECT_FALSE(Has(PartitionMarkerKey(2)));

  auto resumed = Resume();
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->partitions_reused, 1);
  EXPECT_EQ(resumed->ok, 10);
  EXPECT_TRUE(Has(kManifestKey));
  EXPECT_EQ(Tables(), FreshTables());
}

TEST_F(ExtractJobTest, UnreachableStoreSaysHowToGoOn) {
  ExtractOptions o = Options();
  const std::string out_uri = Uri("out");
  o.store.wrap = [out_uri](std::unique_ptr<ObjectStore> s) -> std::unique_ptr<ObjectStore> {
    if (s->uri() != out_uri) return s;
    return std::make_unique<FaultyObjectStore>(
        std::move(s), std::vector<Fault>{Fault{kStoreWrite, "_partitions/part-00002.json", 0, StatusCode::kUnavailable}});
  };
  auto failed = Extract(o);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(failed.status().message().find("2 of 3 partitions are complete"), std::string::npos)
      << failed.status().ToString();
  EXPECT_NE(failed.status().message().find("--resume"), std::string::npos);
  EXPECT_FALSE(Has(kManifestKey));
  auto resumed = Resume();
  ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
  EXPECT_EQ(resumed->partitions_reused, 2);
}

TEST_F(ExtractJobTest, UnreadableInputImageIsOneFailedImage) {
  ExtractOptions o = Options();
  const std::string in_uri = Uri("in");
  o.store.wrap = [in_uri](std::unique_ptr<ObjectStore> s) -> std::unique_ptr<ObjectStore> {
    if (s->uri() != in_uri) return s;
    return std::make_unique<FaultyObjectStore>(std::move(s),
                                               std::vector<Fault>{FailMatching(kStoreRead, "Lemon 1/1.jpg")});
  };
  auto s = Extract(o);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->ok, 9);
  EXPECT_EQ(s->failed, 1);
  json m = ReadJsonAt(PartitionMarkerKey(2));
  ASSERT_EQ(m["errors"].size(), 1u);
  EXPECT_EQ(m["errors"][0]["key"], "Lemon 1/1.jpg");
}

// ---- damaged files: a Corrupt status naming the file, never an exception ----

TEST_F(ExtractJobTest, CorruptMarkerStopsResumeNamingTheFile) {
  ASSERT_TRUE(Extract(Options()).ok());
  auto out = Open("out");
  ASSERT_TRUE(out->WriteAtomic(PartitionMarkerKey(1), Bytes("{\"index\": 1, \"rows\"")).ok());
  auto resumed = Resume();
  ASSERT_FALSE(resumed.ok());
  EXPECT_EQ(resumed.status().code(), StatusCode::kCorrupt) << resumed.status().ToString();
  EXPECT_NE(resumed.status().message().find(Uri("out") + "/_partitions/part-00001.json"), std::string::npos)
      << resumed.status().ToString();
  EXPECT_EQ(resumed.status().ToString().find('\n'), std::string::npos) << "one line";
}

TEST_F(ExtractJobTest, MarkerWithFieldsOfTheWrongTypeIsCorruptNotACrash) {
  ASSERT_TRUE(Extract(Options()).ok());
  auto out = Open("out");
  const std::vector<std::pair<std::string, json>> damage = {
      {"inputs_sha256", 5}, {"rows", "four"}, {"files", "none"}, {"errors", json::object()}, {"failed", -1}};
  for (const auto& [field, value] : damage) {
    json m = ReadJsonAt(PartitionMarkerKey(0));
    m[field] = value;
    ASSERT_TRUE(WriteJson(*out, PartitionMarkerKey(0), m).ok());
    Result<ExtractSummary> resumed = Status::Internal("not run");
    ASSERT_NO_THROW(resumed = Resume()) << field;
    ASSERT_FALSE(resumed.ok()) << field;
    EXPECT_EQ(resumed.status().code(), StatusCode::kCorrupt) << field << ": " << resumed.status().ToString();
    EXPECT_NE(resumed.status().message().find("_partitions/part-00000.json"), std::string::npos)
        << resumed.status().ToString();
    // Put back a whole run for the next damage.
    ExtractOptions o = Options();
    o.overwrite = true;
    ASSERT_TRUE(Extract(o).ok());
  }
}

TEST_F(ExtractJobTest, CorruptManifestIsCorruptNamingTheFile) {
  ExtractOptions o = Options();
  o.write_pca_stats = true;
  ASSERT_TRUE(Extract(o).ok());
  auto out = Open("out");
  json good = ReadJsonAt(kManifestKey);
  FitPcaOptions fit;
  fit.input = Uri("out");
  fit.pca.components = 2;
  auto fitted = RunFitPca(fit);
  ASSERT_TRUE(fitted.ok()) << fitted.status().ToString();
  EXPECT_EQ(fitted->stats_from_files, 3);

  for (const auto& [what, patch] : std::vector<std::pair<std::string, json>>{
           {"feature_dim a string", {{"feature_dim", "4"}}},
           {"formats not a list", {{"formats", "csv"}}},
           {"formats empty", {{"formats", json::array()}}},
           {"partitions not a list", {{"partitions", 3}}},
           {"a partition's rows a string", {{"partitions", {{{"index", 0}, {"rows", "x"}, {"files", json::array()}}}}}},
           {"a partition's pca_stats a number", {{"partitions", {{{"index", 0}, {"rows", 1}, {"files", json::array()}, {"pca_stats", 7}}}}}},
       }) {
    json bad = good;
    bad.merge_patch(patch);
    ASSERT_TRUE(WriteJson(*out, kManifestKey, bad).ok());
    Result<FitPcaSummary> r = Status::Internal("not run");
    ASSERT_NO_THROW(r = RunFitPca(fit)) << what;
    ASSERT_FALSE(r.ok()) << what;
    EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << what << ": " << r.status().ToString();
    EXPECT_NE(r.status().message().find(Uri("out") + "/manifest.json"), std::string::npos) << r.status().ToString();
  }
  ASSERT_TRUE(out->WriteAtomic(kManifestKey, Bytes("{\"kind\": \"features\", \"partitions\": [")).ok());
  auto r = RunFitPca(fit);
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  EXPECT_NE(r.status().message().find(Uri("out") + "/manifest.json"), std::string::npos) << r.status().ToString();
}

TEST_F(ExtractJobTest, TruncatedPcaStatsIsCorruptNamingTheFile) {
  ExtractOptions o = Options();
  o.write_pca_stats = true;
  ASSERT_TRUE(Extract(o).ok());
  auto out = Open("out");
  const std::string key = PcaStatsKey(1);
  auto bytes = out->Read(key);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  bytes->resize(bytes->size() - 9);
  ASSERT_TRUE(out->WriteAtomic(key, *bytes).ok());
  FitPcaOptions fit;
  fit.input = Uri("out");
  fit.pca.components = 2;
  auto r = RunFitPca(fit);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kCorrupt) << r.status().ToString();
  EXPECT_NE(r.status().message().find(Uri("out") + "/" + key), std::string::npos) << r.status().ToString();
  EXPECT_EQ(r.status().ToString().find('\n'), std::string::npos) << "one line";
}

}  // namespace
}  // namespace verger
