#include "reduce/pca_plots.h"

#include <gtest/gtest.h>

#include <set>
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
  EXPECT_NE(svg->find(">b&lt;&amp;&gt;&quot;&#39;<"), std::string::npos);
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

TEST(PcaPlots, ScatterAxesGiveTheShareOfVariance) {
  auto svg = ScatterSvg({0, 1, 2}, {2, 1, 0}, {"a", "b", "a"}, 0.4321, 0.1234);
  ASSERT_TRUE(svg.ok());
  EXPECT_NE(svg->find(">PC1 (43.2% of variance)<"), std::string::npos);
  EXPECT_NE(svg->find(">PC2 (12.3% of variance)<"), std::string::npos);
}

TEST(PcaPlots, ManyLabelsGetDistinctColoursAndAFullLegend) {
  const int labels_n = 150;
  std::vector<float> pc1, pc2;
  std::vector<std::string> labels;
  for (int i = 0; i < labels_n; ++i) {
    pc1.push_back(static_cast<float>(i));
    pc2.push_back(static_cast<float>(i % 7));
    labels.push_back("A rather long fruit variety name " + std::to_string(i));
  }
  auto svg = ScatterSvg(pc1, pc2, labels);
  ASSERT_TRUE(svg.ok());
  std::set<std::string> colours;
  for (int i = 0; i < labels_n; ++i) colours.insert(CategoryColour(i, labels_n));
  EXPECT_EQ(colours.size(), static_cast<size_t>(labels_n));
  for (const auto& l : labels) EXPECT_NE(svg->find(">" + l + "<"), std::string::npos) << l;
  EXPECT_EQ(svg->find("more</text>"), std::string::npos);
  // Every legend entry's text starts inside the picture's width.
  const size_t w_at = svg->find("width=\"") + 7;
  const double width = std::stod(svg->substr(w_at));
  for (size_t at = svg->find("font-size=\"12\">A rather"); at != std::string::npos;
       at = svg->find("font-size=\"12\">A rather", at + 1)) {
    const size_t x_at = svg->rfind("x=\"", at) + 3;
    const double x = std::stod(svg->substr(x_at));
    EXPECT_LT(x + 7.2 * 36, width + 1e-6);  // the longest name is 36 characters
  }
}

}  // namespace
}  // namespace verger
