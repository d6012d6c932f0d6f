#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <fstream>

#include "engine/image_listing.h"
#include "engine/partition.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

TEST(ImageKeys, ExtensionsAndLabels) {
  EXPECT_TRUE(IsImageKey("a/b.JPG"));
  EXPECT_TRUE(IsImageKey("a/b.jpeg"));
  EXPECT_TRUE(IsImageKey("b.Png"));
  EXPECT_FALSE(IsImageKey("b.gif"));
  EXPECT_FALSE(IsImageKey("x.jpg/readme"));
  EXPECT_FALSE(IsImageKey("noext"));
  EXPECT_EQ(LabelForKey("Banana 1/0_100.jpg", "Training"), "Banana 1");
  EXPECT_EQ(LabelForKey("a/b/c.png", "root"), "b");
  EXPECT_EQ(LabelForKey("top.png", "Training"), "Training");
  EXPECT_EQ(RootLabel("/data/Training/"), "Training");
  EXPECT_EQ(RootLabel("s3://bucket/input"), "input");
}

TEST(Partitions, DeterministicCuts) {
  auto p = PlanPartitions(2500, 1000);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[2].begin, 2000);
  EXPECT_EQ(p[2].end, 2500);
  EXPECT_EQ(p[1].index, 1);
  EXPECT_TRUE(PlanPartitions(0, 1000).empty());
  EXPECT_EQ(PartitionName(42), "part-00042");
  EXPECT_EQ(TableBaseKey("features", "Banana 1", 3), "features/label=Banana 1/part-00003");
  EXPECT_EQ(TableBaseKey("features", "../etc", 0), "features/label=%2E.%2Fetc/part-00000");
}

// Keys "k00000", "k00010", ... (room between them for insertions).
std::vector<std::string> Keys(int n, int step = 10) {
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "k%05d", i * step);
    keys.push_back(buf);
  }
  return keys;
}

std::vector<PartitionRange> Plan(const std::vector<std::string>& keys, int64_t size,
                                 const std::vector<PartitionBoundary>& boundaries) {
  return PlanPartitions(
      static_cast<int64_t>(keys.size()), [&](int64_t i) -> std::string_view { return keys[i]; }, size, boundaries);
}

// The boundaries a run with this plan records in its markers.
std::vector<PartitionBoundary> Boundaries(const std::vector<std::string>& keys, const std::vector<PartitionRange>& p) {
  std::vector<PartitionBoundary> out;
  for (const auto& r : p) out.push_back({r.index, keys[r.begin], keys[r.end - 1]});
  return out;
}

// index -> keys of the partition.
std::map<int64_t, std::vector<std::string>> Members(const std::vector<std::string>& keys,
                                                    const std::vector<PartitionRange>& p) {
  std::map<int64_t, std::vector<std::string>> out;
  for (const auto& r : p) out[r.index].assign(keys.begin() + r.begin, keys.begin() + r.end);
  return out;
}

TEST(PartitionCutter, FreshPlanCutsByCount) {
  auto keys = Keys(2500);
  auto p = Plan(keys, 1000, {});
  ASSERT_EQ(p.size(), 3u);
  for (size_t i = 0; i < p.size(); ++i) {
    EXPECT_EQ(p[i].index, static_cast<int64_t>(i));
    EXPECT_EQ(p[i].begin, PlanPartitions(2500, 1000)[i].begin);
    EXPECT_EQ(p[i].end, PlanPartitions(2500, 1000)[i].end);
  }
}

TEST(PartitionCutter, InsertionsChangeOnlyThePartitionsTheyLandIn) {
  auto keys = Keys(5000);
  auto before = Plan(keys, 1000, {});
  // Three new keys in partition 1 (one after its last key), one in partition 3, one before every key.
  auto grown = keys;
  for (const char* k : {"k12345", "k12346", "k19995", "k33333", "a"}) grown.push_back(k);
  std::sort(grown.begin(), grown.end());
  auto after = Plan(grown, 1000, Boundaries(keys, before));
  auto old_members = Members(keys, before), new_members = Members(grown, after);
  ASSERT_EQ(new_members.size(), 5u);
  EXPECT_EQ(new_members[0].size(), 1001u);  // "a" joins the first partition
  EXPECT_EQ(new_members[1].size(), 1003u);
  EXPECT_EQ(new_members[2], old_members[2]);
  EXPECT_EQ(new_members[3].size(), 1001u);
  EXPECT_EQ(new_members[4], old_members[4]);
  // A fresh plan of the grown list shifts every later partition.
  EXPECT_NE(Members(grown, Plan(grown, 1000, {}))[4], old_members[4]);
}

TEST(PartitionCutter, InterruptedRunIsCutAsItWouldHaveBeen) {
  auto keys = Keys(4500);
  auto full = Plan(keys, 1000, {});
  // Markers of partitions 0 and 1 only: the rest is planned exactly as a whole run plans it.
  auto resumed = Plan(keys, 1000, {Boundaries(keys, full)[0], Boundaries(keys, full)[1]});
  ASSERT_EQ(resumed.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(resumed[i].index, full[i].index);
    EXPECT_EQ(resumed[i].begin, full[i].begin);
    EXPECT_EQ(resumed[i].end, full[i].end);
  }
}

TEST(PartitionCutter, GapInIndicesIsCutAsAFreshRunWould) {
  // A cluster run that wrote the markers of partitions 0, 1 and 3 only.
  auto keys = Keys(4500);
  auto full = Plan(keys, 1000, {});
  auto b = Boundaries(keys, full);
  auto resumed = Plan(keys, 1000, {b[0], b[1], b[3]});
  ASSERT_EQ(resumed.size(), full.size());
  for (size_t i = 0; i < full.size(); ++i) {
    EXPECT_EQ(resumed[i].index, full[i].index);
    EXPECT_EQ(resumed[i].begin, full[i].begin);
    EXPECT_EQ(resumed[i].end, full[i].end);
  }
}

TEST(PartitionCutter, GrownPastTwiceTheSizeIsCutWithAFreshIndex) {
  auto keys = Keys(3000);
  auto before = Plan(keys, 1000, {});
  auto grown = keys;
  for (int i = 0; i < 1500; ++i) {  // 1,500 new keys inside partition 1's range
    char buf[24];
    std::snprintf(buf, sizeof buf, "k%05d_%04d", 10000 + (i % 900) * 10, i);
    grown.push_back(buf);
  }
  std::sort(grown.begin(), grown.end());
  auto after = Plan(grown, 1000, Boundaries(keys, before));
  auto m = Members(grown, after);
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[1].size(), 2000u);  // grows to 2 x 1,000
  EXPECT_EQ(m[3].size(), 500u);   // the rest: a fresh index, after every earlier one
  EXPECT_EQ(m[2], Members(keys, before)[2]);
  EXPECT_EQ(m[0], Members(keys, before)[0]);
}

TEST(PartitionCutter, DeletedPartitionAndUnusableBoundaries) {
  auto keys = Keys(3000);
  auto before = Plan(keys, 1000, {});
  // Partition 1's images are all gone: 0 and 2 stay as they were, index 1 is unused.
  std::vector<std::string> rest(keys.begin(), keys.begin() + 1000);
  rest.insert(rest.end(), keys.begin() + 2000, keys.end());
  auto m = Members(rest, Plan(rest, 1000, Boundaries(keys, before)));
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0], Members(keys, before)[0]);
  EXPECT_EQ(m[2], Members(keys, before)[2]);
  // Overlapping or repeated boundaries are ignored whole: a fresh plan.
  auto bad = Boundaries(keys, before);
  bad[1].first_key = bad[0].last_key;
  PartitionCutter cutter(1000, bad);
  EXPECT_EQ(cutter.boundaries(), 0u);
  bad = Boundaries(keys, before);
  bad[2].index = 0;
  EXPECT_EQ(PartitionCutter(1000, bad).boundaries(), 0u);
  EXPECT_EQ(PartitionCutter(1000, Boundaries(keys, before)).boundaries(), 3u);
}

TEST(PartitionBoundaries, ReadFromMarkersSkippingWhatCannotBeTrusted) {
  fs::path root = fs::temp_directory_path() / ("verger_boundaries_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "_partitions");
  auto write = [&](const std::string& name, const std::string& text) { std::ofstream(root / "_partitions" / name) << text; };
  write("part-00000.json",
        R"({"inputs": [["a/1.jpg", 1, 2, ""]], "files": [{"key": "features/label=a/part-00000.csv"}], "index": 0,
            "first_key": "a/1.jpg", "errors": [], "last_key": "a/9.jpg"})");
  write("part-00001.json", R"({"index": 7, "first_key": "b/1.jpg", "last_key": "b/2.jpg"})");  // not its own name
  write("part-00002.json", R"({"index": 2, "first_key": "c/1.jpg")");                          // damaged
  write("part-00003.json", R"({"index": 3, "first_key": "d/1.jpg"})");                         // no last_key
  write("part-00004.json", R"({"index": "4", "first_key": "e/1.jpg", "last_key": "e/2.jpg"})");  // not a number
  write("part-00005.pcastats", "binary");
  auto store = OpenObjectStore(root.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto b = ReadPartitionBoundaries(**store);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  ASSERT_EQ(b->size(), 1u);
  EXPECT_EQ((*b)[0].index, 0);
  EXPECT_EQ((*b)[0].first_key, "a/1.jpg");
  EXPECT_EQ((*b)[0].last_key, "a/9.jpg");
  fs::remove_all(root);
}

TEST(ListImages, SortedLabelledAndProblemsReported) {
  fs::path root = fs::temp_directory_path() / ("verger_listing_" + std::to_string(::getpid())) / "Training";
  fs::remove_all(root.parent_path());
  fs::create_directories(root / "Kiwi");
  fs::create_directories(root / "Apple");
  fs::create_directories(root / "dir.jpg" / "Lime");
  for (auto p : {"Kiwi/b.jpg", "Kiwi/a.JPEG", "Apple/z.png", "Apple/notes.txt", "top.jpg", "dir.jpg/Lime/l.png"})
    std::ofstream(root / p) << "x";
  fs::create_directory_symlink(root, root / "Apple" / "loop");
  auto store = OpenObjectStore(root.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto listing = ListImages(**store, 0);
  ASSERT_TRUE(listing.ok()) << listing.status().ToString();
  std::vector<std::string> keys, labels;
  for (auto& i : listing->images) {
    keys.push_back(i.key);
    labels.push_back(i.label);
  }
  EXPECT_EQ(keys, (std::vector<std::string>{"Apple/z.png", "Kiwi/a.JPEG", "Kiwi/b.jpg", "dir.jpg/Lime/l.png", "top.jpg"}));
  EXPECT_EQ(labels, (std::vector<std::string>{"Apple", "Kiwi", "Kiwi", "Lime", "Training"}));
  bool dir_reported = false, loop_reported = false;
  for (auto& p : listing->problems) {
    if (p.key == "dir.jpg") dir_reported = p.reason.find("directory") != std::string::npos;
    if (p.key == "Apple/loop") loop_reported = p.reason.find("loop") != std::string::npos;
  }
  EXPECT_TRUE(dir_reported);
  EXPECT_TRUE(loop_reported);
  auto limited = ListImages(**store, 2);
  ASSERT_TRUE(limited.ok());
  EXPECT_EQ(limited->images.size(), 2u);
  fs::remove_all(root.parent_path());
}

// Streaming keeps rel's rules: a name that is not UTF-8 is a problem shown
// escaped (once), and --limit counts only the images handed on.
TEST(ListImagesEach, NonUtf8NamesAreProblemsAndLimitCountsImages) {
  fs::path root = fs::temp_directory_path() / ("verger_listing_each_" + std::to_string(::getpid())) / "in";
  fs::remove_all(root.parent_path());
  fs::create_directories(root / "Apple");
  for (auto p : {"Apple/a.jpg", "Apple/b\xff.jpg", "Apple/c.jpg", "Apple/d.jpg"}) std::ofstream(root / p) << "x";
  auto store = OpenObjectStore(root.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  std::vector<std::string> keys;
  std::vector<ListingProblem> problems;
  Status s = ListImagesEach(
      **store, 2,
      [&](ImageItem&& item) {
        keys.push_back(item.key);
        return Status::OK();
      },
      &problems);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(keys, (std::vector<std::string>{"Apple/a.jpg", "Apple/c.jpg"}));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_EQ(problems[0].key, "Apple/b\\xff.jpg");
  EXPECT_EQ(problems[0].reason, kNameNotUtf8);
  fs::remove_all(root.parent_path());
}

}  // namespace
}  // namespace verger
