#include "engine/image_sample.h"

#include <map>

#include <gtest/gtest.h>

namespace verger {
namespace {

std::vector<ImageItem> Listing(const std::map<std::string, int>& per_label) {
  std::vector<ImageItem> out;
  for (const auto& [label, n] : per_label)
    for (int i = 0; i < n; ++i) {
      char name[32];
      std::snprintf(name, sizeof name, "/%05d.jpg", i);
      out.push_back({label + name, label});
    }
  return out;  // labels in map order, keys sorted within: key order overall
}

std::map<std::string, int> CountByLabel(const std::vector<ImageItem>& items) {
  std::map<std::string, int> c;
  for (const auto& i : items) ++c[i.label];
  return c;
}

TEST(SampleByLabel, IsProportionalToLabelSizes) {
  auto images = Listing({{"a", 500}, {"b", 300}, {"c", 200}});
  auto s = SampleByLabel(images, 100, 0);
  ASSERT_EQ(s.size(), 100u);
  EXPECT_EQ(CountByLabel(s), (std::map<std::string, int>{{"a", 50}, {"b", 30}, {"c", 20}}));
}

TEST(SampleByLabel, GivesEveryLabelOneWhenNAllows) {
  auto images = Listing({{"big", 1000}, {"tiny1", 2}, {"tiny2", 1}});
  auto s = SampleByLabel(images, 10, 0);
  auto c = CountByLabel(s);
  ASSERT_EQ(s.size(), 10u);
  EXPECT_GE(c["tiny1"], 1);
  EXPECT_EQ(c["tiny2"], 1);
}

TEST(SampleByLabel, IsDeterministicSortedAndSeedDependent) {
  auto images = Listing({{"a", 400}, {"b", 400}});
  auto s1 = SampleByLabel(images, 50, 7), s2 = SampleByLabel(images, 50, 7), s3 = SampleByLabel(images, 50, 8);
  ASSERT_EQ(s1.size(), 50u);
  for (size_t i = 0; i < s1.size(); ++i) EXPECT_EQ(s1[i].key, s2[i].key);
  for (size_t i = 1; i < s1.size(); ++i) EXPECT_LT(s1[i - 1].key, s1[i].key);
  bool differs = false;
  for (size_t i = 0; i < s1.size(); ++i) differs |= s1[i].key != s3[i].key;
  EXPECT_TRUE(differs);
  // A sample, not the first keys of each label.
  EXPECT_NE(s1[24].key, "a/00024.jpg");
}

TEST(SampleByLabel, KeepsEverythingWhenNIsLarge) {
  auto images = Listing({{"a", 3}, {"b", 2}});
  EXPECT_EQ(SampleByLabel(images, 5, 0).size(), 5u);
  EXPECT_EQ(SampleByLabel(images, 100, 0).size(), 5u);
}

}  // namespace
}  // namespace verger
