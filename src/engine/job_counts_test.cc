#include "engine/job_counts.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

TEST(ReasonKind, KeepsTheTextBeforeTheDetail) {
  EXPECT_EQ(ReasonKind("cannot decode JPEG: Premature end of JPEG file"), "cannot decode JPEG");
  EXPECT_EQ(ReasonKind("is a directory, not a file"), "is a directory, not a file");
  EXPECT_EQ(ReasonKind(""), "unknown");
}

TEST(CountByLabelAndReason, CountsEachLabelOnceAcrossFormatsAndAddsFailures) {
  // One partition written in two formats: the rows of a label count once.
  PartitionMarker p;
  p.files = {{"features/label=A/part-00000.csv", "A", 3, 10, std::nullopt},
             {"features/label=A/part-00000.parquet", "A", 3, 10, std::nullopt},
             {"features/label=B/part-00000.csv", "B", 2, 10, std::nullopt},
             {"features/label=B/part-00000.parquet", "B", 2, 10, std::nullopt}};
  p.errors = std::vector<ImageError>{{"B/bad.jpg", "cannot decode JPEG: truncated"},
                                     {"C/x.png", "cannot decode PNG: bad CRC"}};
  std::vector<ImageError> listing = {{"B/dir.jpg", "is a directory, not a file"}};
  JobCounts c = CountByLabelAndReason({p}, listing, "root");
  EXPECT_EQ(c.labels["A"].ok, 3);
  EXPECT_EQ(c.labels["A"].failed, 0);
  EXPECT_EQ(c.labels["B"].ok, 2);
  EXPECT_EQ(c.labels["B"].failed, 2);
  EXPECT_EQ(c.labels["C"].ok, 0);
  EXPECT_EQ(c.labels["C"].failed, 1);
  EXPECT_EQ(c.error_reasons["cannot decode JPEG"], 1);
  EXPECT_EQ(c.error_reasons["cannot decode PNG"], 1);
  EXPECT_EQ(c.error_reasons["is a directory, not a file"], 1);
  EXPECT_EQ(FormatLabelCounts(c, 2), "A 3 ok; B 2 ok, 2 failed; ... (1 more)");
  EXPECT_EQ(FormatReasonCounts(c, 5), "cannot decode JPEG 1; cannot decode PNG 1; is a directory, not a file 1");
}

}  // namespace
}  // namespace verger
