#include "core/json_field.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

using json = nlohmann::json;

TEST(JsonField, ReturnsTheFieldWhenItHasTheRightType) {
  const json j = {{"s", "x"}, {"i", -3}, {"u", 7}, {"d", 1.5}, {"b", true}, {"a", json::array({1})}};
  EXPECT_EQ(JsonField(j, "s", ""), "x");
  EXPECT_EQ(JsonField(j, "i", int64_t{0}), -3);
  EXPECT_EQ(JsonField(j, "u", uint64_t{0}), 7u);
  EXPECT_DOUBLE_EQ(JsonField(j, "d", 0.0), 1.5);
  EXPECT_DOUBLE_EQ(JsonField(j, "i", 0.0), -3.0);  // an integer is a number
  EXPECT_TRUE(JsonField(j, "b", false));
  EXPECT_EQ(JsonField(j, "a", json::array()).size(), 1u);
}

TEST(JsonField, WrongTypeMissingOrNotAnObjectGivesTheFallback) {
  const json j = {{"s", 1}, {"i", "3"}, {"u", -1}, {"d", "1.5"}, {"a", "not an array"}, {"o", json::array()}};
  EXPECT_EQ(JsonField(j, "s", "fb"), "fb");
  EXPECT_EQ(JsonField(j, "i", int64_t{9}), 9);
  EXPECT_EQ(JsonField(j, "u", uint64_t{9}), 9u);  // negative is not unsigned
  EXPECT_DOUBLE_EQ(JsonField(j, "d", 2.0), 2.0);
  EXPECT_TRUE(JsonField(j, "a", json::array()).is_array());
  EXPECT_TRUE(JsonField(j, "o", json::object()).is_object());
  EXPECT_EQ(JsonField(j, "missing", "fb"), "fb");
  EXPECT_EQ(JsonField(json("text"), "s", "fb"), "fb");
  EXPECT_EQ(JsonField(json::array({1, 2}), "s", int64_t{4}), 4);
  EXPECT_EQ(JsonField(json(), "s", "fb"), "fb");
}

}  // namespace
}  // namespace verger
