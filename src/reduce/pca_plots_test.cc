#include "reduce/pca_plots.h"

#include <gtest/gtest.h>

#include <string>

namespace verger {
namespace {

size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

TEST(PcaPlots, ExplainedVarianceChartHasBarsLineAndMarker) {
  std::vector<double> ratios = {0.5, 0.2, 0.1, 0.08, 0.05, 0.03, 0.02, 0.01, 0.005, 0.005};
  const std::string svg = ExplainedVarianceSvg(ratios, 3);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("Principal component"), std::string::npos);
  EXPECT_NE(svg.find("Explained variance ratio"), std::string::npos);
  EXPECT_NE(svg.find("K = 3 (80.0%)"), std::string::npos);
  EXPECT_NE(svg.find("cumulative"), std::string::npos);
  EXPECT_NE(svg.find("<polyline"), std::string::npos);
  // One bar per shown component: max(2K, 10) = 10 here, plus the legend swatch
  // and the background rectangle and plot frame.
  EXPECT_EQ(Count(svg, "<rect"), 10u + 3u);
  EXPECT_EQ(svg, ExplainedVarianceSvg(ratios, 3));  // deterministic
}

TEST(PcaPlots, ScatterColoursByLabelWithEscapedLegend) {
  std::vector<float> pc1 = {0, 1, 2, 3}, pc2 = {1, 0, -1, 2};
  std::vector<std::string> labels = {"apple", "b<&>\"'", "apple", "cherry"};
  auto svg = ScatterSvg(pc1, pc2, labels);
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">apple<"), std::string::npos);
  EXPECT_NE(svg->find(">b&lt;&amp;&gt;&quot;&apos;<"), std::string::npos);
  EXPECT_NE(svg->find(">cherry<"), std::string::npos);
  EXPECT_NE(svg->find(">PC1<"), std::string::npos);
  EXPECT_NE(svg->find(">PC2<"), std::string::npos);
  // 4 points + 3 legend swatches.
  EXPECT_EQ(Count(*svg, "<circle"), 7u);
}

TEST(PcaPlots, ScatterSamplesAtMost5000PointsAndChecksSizes) {
  const int n = 12345;
  std::vector<float> pc1(n), pc2(n);
  std::vector<std::string> labels(n);
  for (int i = 0; i < n; ++i) {
    pc1[i] = static_cast<float>(i % 97);
    pc2[i] = static_cast<float>(i % 89);
    labels[i] = i < n / 2 ? "first" : "second";
  }
  auto svg = ScatterSvg(pc1, pc2, labels);
  ASSERT_TRUE(svg.ok());
  EXPECT_EQ(Count(*svg, "<circle"), 5000u + 2u);
  EXPECT_NE(svg->find("5000 of 12345 rows"), std::string::npos);
  EXPECT_EQ(*svg, *ScatterSvg(pc1, pc2, labels));

  labels.pop_back();
  auto bad = ScatterSvg(pc1, pc2, labels);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace verger
