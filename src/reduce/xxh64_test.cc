#include "reduce/xxh64.h"

#include <gtest/gtest.h>

#include <string>

namespace verger {
namespace {

// Reference values from libxxhash 0.8.1's XXH64(data, size, 0).
TEST(Xxh64, MatchesLibxxhash) {
  EXPECT_EQ(Xxh64("", 0), 0xef46db3751d8e999ULL);
  EXPECT_EQ(Xxh64("a", 1), 0xd24ec4f1a98c6e5bULL);
  EXPECT_EQ(Xxh64("abc", 3), 0x44bc2cf5ad770999ULL);
  const std::string s42 = "0123456789abcdef0123456789abcdef0123456789";
  EXPECT_EQ(Xxh64(s42.data(), s42.size()), 0xa76190c3acf08a1cULL);
  std::string s771;
  for (int rep = 0; rep < 3; ++rep)
    for (int i = 0; i < 256; ++i) s771 += static_cast<char>(i);
  s771 += "xyz";
  EXPECT_EQ(Xxh64(s771.data(), s771.size()), 0xe921a1b45bd779f8ULL);
}

}  // namespace
}  // namespace verger
