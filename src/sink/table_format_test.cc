// One conformance suite run against every registered output format.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "sink/csv_format.h"
#include "sink/table.h"

namespace verger {
namespace {

FeatureTable RandomTable(int64_t rows, int64_t dim, const std::string& label) {
  FeatureTable t;
  t.label = label;
  t.dim = dim;
  std::mt19937 rng(42);
  std::normal_distribution<float> dist(0.f, 3.f);
  for (int64_t r = 0; r < rows; ++r) {
    t.paths.push_back(label + "/img, \"" + std::to_string(r) + "\".jpg");
    for (int64_t d = 0; d < dim; ++d) t.values.push_back(dist(rng));
  }
  if (!t.values.empty()) {
    t.values[0] = std::numeric_limits<float>::denorm_min();
    t.values.back() = 1e-38f;
  }
  return t;
}

class TableFormatConformance : public ::testing::TestWithParam<std::string> {};

TEST_P(TableFormatConformance, RoundTripsExactly) {
  auto format = MakeTableFormat(GetParam());
  ASSERT_TRUE(format.ok()) << format.status().ToString();
  for (auto [rows, dim] : {std::pair<int64_t, int64_t>{0, 3}, {1, 1}, {7, 1280}, {3, 4096}}) {
    FeatureTable in = RandomTable(rows, dim, "Banana 1, ripe=\"yes\" é");
    auto files = (*format)->Encode(in, "t");
    ASSERT_TRUE(files.ok()) << files.status().ToString();
    ASSERT_EQ(files->size(), (*format)->suffixes().size());
    std::vector<std::vector<uint8_t>> bytes;
    for (auto& f : *files) bytes.push_back(f.bytes);
    auto out = (*format)->Decode(bytes, "t");
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(out->rows(), rows);
    EXPECT_EQ(out->paths, in.paths);
    if (rows > 0) {
      EXPECT_EQ(out->dim, dim);
      EXPECT_EQ(out->label, in.label);
    }
    ASSERT_EQ(out->values.size(), in.values.size());
    for (size_t i = 0; i < in.values.size(); ++i) ASSERT_EQ(out->values[i], in.values[i]) << "value " << i;
  }
}

TEST_P(TableFormatConformance, RejectsGarbage) {
  auto format = MakeTableFormat(GetParam());
  ASSERT_TRUE(format.ok());
  std::vector<std::vector<uint8_t>> garbage((*format)->suffixes().size(), std::vector<uint8_t>{'x', '"', 'y'});
  auto out = (*format)->Decode(garbage, "bad-table");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("bad-table"), std::string::npos) << out.status().ToString();
}

INSTANTIATE_TEST_SUITE_P(AllFormats, TableFormatConformance, ::testing::ValuesIn(AvailableTableFormats()),
                         [](const auto& info) { return info.param; });

TEST(TableFormat, UnknownNameListsChoices) {
  auto f = MakeTableFormat("xlsx");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("csv"), std::string::npos);
}

TEST(Csv, HeaderAndShortestFloats) {
  CsvFormat csv;
  FeatureTable t;
  t.label = "Kiwi";
  t.dim = 2;
  t.paths = {"Kiwi/a.jpg"};
  t.values = {0.1f, 3.0f};
  auto files = csv.Encode(t, "t");
  ASSERT_TRUE(files.ok());
  std::string text(files->at(0).bytes.begin(), files->at(0).bytes.end());
  EXPECT_EQ(text, "path,label,dim_0,dim_1\nKiwi/a.jpg,Kiwi,0.1,3\n");
}

TEST(Csv, NonNumberNamesRowAndColumn) {
  CsvFormat csv;
  std::string text = "path,label,dim_0\na.jpg,A,1.5\nb.jpg,A,oops\n";
  auto out = csv.Decode({std::vector<uint8_t>(text.begin(), text.end())}, "f.csv");
  ASSERT_FALSE(out.ok());
  EXPECT_NE(out.status().message().find("row 2 column dim_0"), std::string::npos) << out.status().ToString();
}

}  // namespace
}  // namespace verger
