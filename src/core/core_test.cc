#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "core/file_util.h"
#include "core/hash.h"
#include "core/hive.h"
#include "core/markup.h"
#include "core/npy.h"
#include "core/preprocess_types.h"
#include "core/status.h"
#include "core/utf8.h"

namespace verger {
namespace {

Result<int> Half(int x) {
  if (x % 2) return Status::InvalidArgument("odd: " + std::to_string(x));
  return x / 2;
}

Result<int> Quarter(int x) {
  VERGER_ASSIGN_OR_RETURN(int h, Half(x));
  VERGER_ASSIGN_OR_RETURN(int q, Half(h));
  return q;
}

TEST(Status, MacrosPropagate) {
  EXPECT_EQ(*Quarter(8), 2);
  auto r = Quarter(6);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().ToString(), "InvalidArgument: odd: 3");
  EXPECT_EQ(r.status().WithContext("file.jpg").message(), "file.jpg: odd: 3");
}

TEST(Status, ResultFromOkStatusIsAnError) {
  Result<int> r{Status::OK()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(Hive, EscapesLikeSparkAndRoundTrips) {
  EXPECT_EQ(EscapePartitionValue("Banana 1"), "Banana 1");
  EXPECT_EQ(EscapePartitionValue("a/b=c%d"), "a%2Fb%3Dc%25d");
  EXPECT_EQ(EscapePartitionValue(".."), "%2E.");
  EXPECT_EQ(EscapePartitionValue("Pomme é"), "Pomme é");
  for (const std::string& s : std::vector<std::string>{"", "..", "a/../b", "x=y", "100%", std::string("nul\0byte", 8), "tab\there", "Ünïcödé ☃"}) {
    std::string e = EscapePartitionValue(s);
    EXPECT_EQ(e.find('/'), std::string::npos) << e;
    EXPECT_NE(e, "..");
    EXPECT_EQ(e.find('\0'), std::string::npos);
    auto back = UnescapePartitionValue(e);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, s);
  }
  EXPECT_FALSE(UnescapePartitionValue("abc%2").ok());
  EXPECT_FALSE(UnescapePartitionValue("abc%zz").ok());
}

TEST(Npy, RoundTripsAndNumpyHeader) {
  float data[6] = {1, 2, 3, 4, 5, 6.5f};
  auto bytes = EncodeNpy(NpyDtype::kFloat32, {2, 3}, data);
  EXPECT_EQ(bytes.size() % 64, 24u % 64);  // header padded to 64, payload 24 bytes
  std::string header(bytes.begin() + 10, bytes.begin() + 10 + (bytes[8] | bytes[9] << 8));
  EXPECT_NE(header.find("'shape': (2, 3)"), std::string::npos) << header;
  auto arr = DecodeNpy(bytes, "x.npy");
  ASSERT_TRUE(arr.ok());
  EXPECT_EQ(arr->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(std::memcmp(arr->data.data(), data, sizeof data), 0);
  double v[2] = {1.5, -2};
  auto b1 = EncodeNpy(NpyDtype::kFloat64, {2}, v);
  auto a1 = DecodeNpy(b1, "v.npy");
  ASSERT_TRUE(a1.ok());
  EXPECT_EQ(a1->shape, (std::vector<int64_t>{2}));
  bytes.pop_back();
  auto bad = DecodeNpy(bytes, "cut.npy");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cut.npy"), std::string::npos);
}

TEST(Hash, Sha256KnownAnswer) {
  EXPECT_EQ(Sha256Hex(std::string_view("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(FileUtil, AtomicWriteLeavesNoTemporaries) {
  auto dir = std::filesystem::temp_directory_path() / ("verger_core_test_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(WriteFileAtomic(dir / "a" / "b.txt", std::string_view("hello")).ok());
  ASSERT_TRUE(WriteFileAtomic(dir / "a" / "b.txt", std::string_view("world")).ok());
  EXPECT_EQ(*ReadFileText(dir / "a" / "b.txt"), "world");
  int n = 0;
  for (auto& e : std::filesystem::directory_iterator(dir / "a")) { (void)e; ++n; }
  EXPECT_EQ(n, 1);
  auto missing = ReadFileBytes(dir / "nope");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("nope"), std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST(PreprocessTypes, ParseAndName) {
  EXPECT_EQ(*ParseNormalization("caffe"), Normalization::kCaffe);
  EXPECT_EQ(Name(*ParseResizeFilter("nearest")), "nearest");
  EXPECT_EQ(Name(*ParseColorOrder("bgr")), "bgr");
  auto bad = ParseNormalization("imagenet");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("caffe, torch, tf"), std::string::npos);
}

TEST(Utf8, ValidatesWellFormedSequencesOnly) {
  EXPECT_TRUE(IsUtf8(""));
  EXPECT_TRUE(IsUtf8("Banana 1/caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x8D\x8C.jpg"));
  EXPECT_FALSE(IsUtf8("A/\xff\xfe.jpg"));
  EXPECT_FALSE(IsUtf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(IsUtf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(IsUtf8("\xC3"));              // truncated
  EXPECT_FALSE(IsUtf8("\xF4\x90\x80\x80"));  // above U+10FFFF
}

TEST(Utf8, EscapesInvalidBytesAndOnlyThem) {
  EXPECT_EQ(EscapeNonUtf8("caf\xC3\xA9\\x.jpg"), "caf\xC3\xA9\\x.jpg");  // valid names are kept as they are
  EXPECT_EQ(EscapeNonUtf8("A/\xff\xfe.jpg"), "A/\\xff\\xfe.jpg");
  // Backslashes are doubled in an escaped name, so "\xff" the text and 0xFF the byte differ.
  EXPECT_EQ(EscapeNonUtf8("a\\xff\xff"), "a\\\\xff\\xff");
  EXPECT_EQ(EscapeNonUtf8("\xC3\xA9\xC3"), "\xC3\xA9\\xc3");
  EXPECT_TRUE(IsUtf8(EscapeNonUtf8("\x80\xC0\xAF\xED\xA0\x80")));
}

TEST(Markup, EscapesEntitiesAndControlCharacters) {
  EXPECT_EQ(EscapeMarkup("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&#39;");
  EXPECT_EQ(EscapeMarkup(std::string("x\x01y\tz\n", 6)), "x y\tz\n");
  EXPECT_EQ(EscapeMarkup("Äpfel 1"), "Äpfel 1");  // UTF-8 passes through
}

}  // namespace
}  // namespace verger
