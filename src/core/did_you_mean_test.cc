#include "core/did_you_mean.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

TEST(EditDistance, CountsInsertionsDeletionsSubstitutions) {
  EXPECT_EQ(EditDistance("", ""), 0u);
  EXPECT_EQ(EditDistance("abc", ""), 3u);
  EXPECT_EQ(EditDistance("--modle", "--model"), 2u);  // a swap is two edits
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3u);
  EXPECT_EQ(EditDistance("torch", "torch"), 0u);
}

TEST(ClosestMatch, SuggestsNearOptionsAndCommands) {
  const std::vector<std::string> options = {"--input", "--output", "--model", "--weights", "--limit", "--sample"};
  EXPECT_EQ(ClosestMatch("--modle", options), "--model");
  EXPECT_EQ(ClosestMatch("--ouptut", options), "--output");
  EXPECT_EQ(ClosestMatch("--wieghts", options), "--weights");
  const std::vector<std::string> commands = {"extract", "fit-pca", "transform", "run", "inspect"};
  EXPECT_EQ(ClosestMatch("extrct", commands), "extract");
  EXPECT_EQ(ClosestMatch("fitpca", commands), "fit-pca");
  EXPECT_EQ(ClosestMatch("trans", commands), "transform");  // unique prefix
}

TEST(ClosestMatch, StaysQuietWhenNothingIsClose) {
  EXPECT_EQ(ClosestMatch("--colour-scheme", {"--input", "--output", "--model"}), "");
  EXPECT_EQ(ClosestMatch("", {"--input"}), "");
  EXPECT_EQ(ClosestMatch("--s3", {"--s3-endpoint", "--s3-region"}), "");  // ambiguous prefix, too far
  EXPECT_EQ(DidYouMeanSuffix("gpu", {"opencv", "torch"}), "");
  EXPECT_EQ(DidYouMeanSuffix("troch", {"opencv", "torch"}), "; did you mean 'torch'?");
}

}  // namespace
}  // namespace verger
