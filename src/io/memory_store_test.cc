// MemoryObjectStore beyond the conformance suite (object_store_test.cc): the
// process-wide registry of mem:// buckets and what --resume relies on.
#include "io/memory_store.h"

#include <gtest/gtest.h>

namespace verger {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

StoreOptions Create() {
  StoreOptions o;
  o.create = true;
  return o;
}

TEST(MemoryStore, StoresOnOneBucketShareItsObjects) {
  auto writer = OpenObjectStore("mem://shared-bucket/out", Create());
  ASSERT_TRUE(writer.ok()) << writer.status().ToString();
  ASSERT_TRUE((*writer)->WriteAtomic("a/b.bin", Bytes("hello")).ok());
  // Opened later by URI alone, as a job opens its input: no create needed.
  auto reader = OpenObjectStore("mem://shared-bucket/out/", {});
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  auto got = (*reader)->Read("a/b.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, Bytes("hello"));
  // The bucket root sees the prefix as part of the key; a sibling prefix sees nothing.
  auto root = OpenObjectStore("mem://shared-bucket", {});
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(*(*root)->Exists("out/a/b.bin"));
  auto sibling = OpenObjectStore("mem://shared-bucket/outer", {});
  ASSERT_TRUE(sibling.ok());
  auto listed = (*sibling)->List("", nullptr);
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->objects.empty()) << "prefix 'outer' must not match 'out/...'";
  DropMemoryBucket("shared-bucket");
}

TEST(MemoryStore, UriAndDescribeNameTheBucketAndPrefix) {
  auto store = OpenObjectStore("mem://names/p/q/", Create());
  ASSERT_TRUE(store.ok());
  EXPECT_EQ((*store)->uri(), "mem://names/p/q");
  EXPECT_EQ((*store)->Describe("x/y.jpg"), "mem://names/p/q/x/y.jpg");
  EXPECT_EQ((*store)->local_root(), nullptr);
  EXPECT_EQ((*store)->retries(), 0);
  auto missing = (*store)->Read("x/y.jpg");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("mem://names/p/q/x/y.jpg"), std::string::npos) << missing.status().message();
  DropMemoryBucket("names");
}

TEST(MemoryStore, UnknownBucketIsNotFoundUnlessCreated) {
  auto missing = OpenObjectStore("mem://never-made/x", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("mem://never-made/x"), std::string::npos);
  ASSERT_TRUE(OpenObjectStore("mem://now-made", Create()).ok());
  EXPECT_TRUE(OpenObjectStore("mem://now-made/any/prefix", {}).ok()) << "an unused prefix is fine, as on S3";
  DropMemoryBucket("now-made");
  EXPECT_EQ(OpenObjectStore("mem://now-made", {}).status().code(), StatusCode::kNotFound);
}

TEST(MemoryStore, DroppedBucketStaysUsableByOpenStoresAndRestartsEmpty) {
  auto held = OpenObjectStore("mem://dropped", Create());
  ASSERT_TRUE(held.ok());
  ASSERT_TRUE((*held)->WriteAtomic("k", Bytes("v")).ok());
  DropMemoryBucket("dropped");
  auto still = (*held)->Read("k");
  ASSERT_TRUE(still.ok());
  EXPECT_EQ(*still, Bytes("v"));
  auto fresh = OpenObjectStore("mem://dropped", Create());
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(*(*fresh)->Exists("k"));
  DropMemoryBucket("dropped");
}

TEST(MemoryStore, MalformedLocationsAreRejected) {
  for (const char* uri : {"mem://", "mem:///x", "mem://a b/x", "mem://x/../y", "mem://x/a//b", "mem://../x"}) {
    auto s = OpenObjectStore(uri, Create());
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << uri << ": " << s.status().ToString();
  }
}

TEST(MemoryStore, EtagFollowsTheBytesAndMtimeIsUnknown) {
  auto store = OpenObjectStore("mem://etags", Create());
  ASSERT_TRUE(store.ok());
  auto info = [&](const char* key) {
    auto l = (*store)->List(key, nullptr);
    EXPECT_TRUE(l.ok());
    EXPECT_EQ(l->objects.size(), 1u);
    return l->objects.empty() ? ObjectInfo{} : l->objects[0];
  };
  ASSERT_TRUE((*store)->WriteAtomic("a", Bytes("same")).ok());
  ASSERT_TRUE((*store)->WriteAtomic("b", Bytes("same")).ok());
  const ObjectInfo a = info("a");
  EXPECT_EQ(a.mtime_ns, 0);
  EXPECT_EQ(a.size, 4u);
  EXPECT_FALSE(a.etag.empty());
  EXPECT_EQ(a.etag, info("b").etag);
  ASSERT_TRUE((*store)->WriteAtomic("a", Bytes("same")).ok());
  EXPECT_EQ(info("a").etag, a.etag) << "rewriting the same bytes leaves the object unchanged";
  ASSERT_TRUE((*store)->WriteAtomic("a", Bytes("diff")).ok());
  EXPECT_NE(info("a").etag, a.etag);
  DropMemoryBucket("etags");
}

TEST(MemoryStore, ReadAtMostRefusesLargerObjects) {
  auto store = OpenObjectStore("mem://limits", Create());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->WriteAtomic("big.bin", std::vector<uint8_t>(1000, 7)).ok());
  auto refused = (*store)->ReadAtMost("big.bin", 999);
  EXPECT_EQ(refused.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.status().message().find("mem://limits/big.bin"), std::string::npos);
  auto ok = (*store)->ReadAtMost("big.bin", 1000);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->size(), 1000u);
  DropMemoryBucket("limits");
}

}  // namespace
}  // namespace verger
