#include "engine/progress.h"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

namespace verger {
namespace {

ProgressSnapshot Halfway(int64_t failed) { return {"extract", 4814, 2407 - failed, failed, 80.0}; }

TEST(FormatProgressBar, FitsEveryWidthLeavingTheLastColumnFree) {
  for (int columns : {10, 20, 40, 60, 80, 120, 300}) {
    const std::string line = FormatProgressBar(Halfway(3), columns);
    EXPECT_LE(static_cast<int>(line.size()), columns - 1) << columns << ": " << line;
    EXPECT_NE(line.find("2407/4814"), std::string::npos) << columns << ": " << line;  // always kept
  }
}

TEST(FormatProgressBar, WideTerminalShowsEverything) {
  const std::string line = FormatProgressBar(Halfway(3), 120);
  for (const char* part : {"extract [", "]", "2407/4814", "50.0%", "img/s", "01:20 elapsed", "ETA 01:20", "3 failed"})
    EXPECT_NE(line.find(part), std::string::npos) << part << " missing in: " << line;
}

TEST(FormatProgressBar, NarrowTerminalDropsDetailsBeforeTheFailedCount) {
  const std::string line = FormatProgressBar(Halfway(3), 40);
  EXPECT_NE(line.find("3 failed"), std::string::npos) << line;
  EXPECT_EQ(line.find("img/s"), std::string::npos) << line;
  EXPECT_EQ(FormatProgressBar(Halfway(0), 120).find("failed"), std::string::npos);
}

TEST(FormatProgressLog, CarriesElapsedFailedAndEta) {
  EXPECT_EQ(FormatProgressLog(Halfway(3)),
            "extract 2407/4814 images (50.0%), 3 failed, 30.1 img/s, elapsed 01:20, ETA 01:20");
}

TEST(FormatProgressJson, IsOneObjectWithTheCounts) {
  auto j = nlohmann::json::parse(FormatProgressJson(Halfway(3), "2026-01-01T00:00:00Z"));
  EXPECT_EQ(j["event"], "progress");
  EXPECT_EQ(j["task"], "extract");
  EXPECT_EQ(j["done"], 2407);
  EXPECT_EQ(j["failed"], 3);
  EXPECT_EQ(j["total"], 4814);
  EXPECT_EQ(j["time"], "2026-01-01T00:00:00Z");
}

TEST(Iso8601UtcNow, HasTheIsoShape) {
  const std::string t = Iso8601UtcNow();
  ASSERT_EQ(t.size(), 20u);
  EXPECT_EQ(t[4], '-');
  EXPECT_EQ(t[10], 'T');
  EXPECT_EQ(t.back(), 'Z');
}

}  // namespace
}  // namespace verger
