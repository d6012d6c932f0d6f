#include "engine/job_counts.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

using json = nlohmann::json;

TEST(ReasonKind, KeepsTheTextBeforeTheDetail) {
  EXPECT_EQ(ReasonKind("cannot decode JPEG: Premature end of JPEG file"), "cannot decode JPEG");
  EXPECT_EQ(ReasonKind("is a directory, not a file"), "is a directory, not a file");
  EXPECT_EQ(ReasonKind(""), "unknown");
}

TEST(CountByLabelAndReason, CountsEachLabelOnceAcrossFormatsAndAddsFailures) {
  // One partition written in two formats: the rows of a label count once.
  json partitions = json::array({json{
      {"files", json::array({json{{"key", "features/label=A/part-00000.csv"}, {"label", "A"}, {"rows", 3}},
                             json{{"key", "features/label=A/part-00000.parquet"}, {"label", "A"}, {"rows", 3}},
                             json{{"key", "features/label=B/part-00000.csv"}, {"label", "B"}, {"rows", 2}},
                             json{{"key", "features/label=B/part-00000.parquet"}, {"label", "B"}, {"rows", 2}}})},
      {"errors", json::array({json{{"key", "B/bad.jpg"}, {"reason", "cannot decode JPEG: truncated"}},
                              json{{"key", "C/x.png"}, {"reason", "cannot decode PNG: bad CRC"}}})}}});
  std::vector<ImageError> listing = {{"B/dir.jpg", "is a directory, not a file"}};
  json c = CountByLabelAndReason(partitions, listing, "root");
  EXPECT_EQ(c["labels"]["A"], (json{{"ok", 3}, {"failed", 0}}));
  EXPECT_EQ(c["labels"]["B"], (json{{"ok", 2}, {"failed", 2}}));
  EXPECT_EQ(c["labels"]["C"], (json{{"ok", 0}, {"failed", 1}}));
  EXPECT_EQ(c["error_reasons"]["cannot decode JPEG"], 1);
  EXPECT_EQ(c["error_reasons"]["cannot decode PNG"], 1);
  EXPECT_EQ(c["error_reasons"]["is a directory, not a file"], 1);
  EXPECT_EQ(FormatLabelCounts(c, 2), "A 3 ok; B 2 ok, 2 failed; ... (1 more)");
}

}  // namespace
}  // namespace verger
