#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
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
