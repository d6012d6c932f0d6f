// LocalObjectStore and MemoryObjectStore against the shared ObjectStore
// conformance suite (one binary includes it once), plus OpenObjectStore's
// routing.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "io/local_store.h"
#include "io/memory_store.h"
#include "io/object_store_conformance.h"
#include "io/s3_store.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

ConformanceTarget LocalTarget() {
  ConformanceTarget t;
  t.name = "Local";
  t.make = []() -> std::unique_ptr<ObjectStore> {
    std::string tmpl = (fs::temp_directory_path() / "verger-io-XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) return nullptr;
    return std::make_unique<LocalObjectStore>(fs::path(tmpl));
  };
  t.cleanup = [](ObjectStore& s) {
    std::error_code ec;
    fs::remove_all(static_cast<LocalObjectStore&>(s).root(), ec);
  };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformance, ::testing::Values(LocalTarget()), ConformanceName);

ConformanceTarget MemoryTarget() {
  ConformanceTarget t;
  t.name = "Memory";
  t.make = []() -> std::unique_ptr<ObjectStore> {
    static std::atomic<int> next{0};
    StoreOptions create;
    create.create = true;
    auto store = OpenObjectStore("mem://conformance-" + std::to_string(next++) + "/some/prefix", create);
    return store.ok() ? std::move(store).value() : nullptr;
  };
  t.cleanup = [](ObjectStore& s) {
    const std::string uri = s.uri();  // mem://<name>/some/prefix
    DropMemoryBucket(uri.substr(6, uri.find('/', 6) - 6));
  };
  return t;
}

INSTANTIATE_TEST_SUITE_P(Memory, ObjectStoreConformance, ::testing::Values(MemoryTarget()), ConformanceName);

TEST(OpenObjectStore, RoutesS3UrisToTheS3Store) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret", 1);
  StoreOptions opts;
  opts.s3_endpoint = "http://127.0.0.1:9";
  opts.s3_region = "eu-west-3";
  auto store = OpenObjectStore("s3://my-bucket/some/prefix/", opts);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->uri(), "s3://my-bucket/some/prefix");
  EXPECT_EQ((*store)->Describe("a/b.jpg"), "s3://my-bucket/some/prefix/a/b.jpg");
  auto* s3 = dynamic_cast<S3ObjectStore*>(store->get());
  ASSERT_NE(s3, nullptr);
  EXPECT_EQ(s3->credential_source(), "environment");
  EXPECT_EQ(s3->client().config().region, "eu-west-3");
  EXPECT_TRUE(s3->client().config().path_style) << "custom endpoints default to path-style";
  EXPECT_EQ(s3->client().Url("my-bucket", "some/prefix/a b+.jpg"),
            "http://127.0.0.1:9/my-bucket/some/prefix/a%20b%2B.jpg");
  EXPECT_EQ((*store)->retries(), 0);
  EXPECT_EQ((*store)->preferred_io_concurrency(), 32) << "many requests in flight hide S3's latency";
  EXPECT_EQ((*store)->local_root(), nullptr);
}

TEST(OpenObjectStore, RejectsBadS3Locations) {
  ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
  ::setenv("AWS_SECRET_ACCESS_KEY", "not-a-real-secret", 1);
  EXPECT_EQ(OpenObjectStore("s3://", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://UPPER/x", {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(OpenObjectStore("s3://bucket/../x", {}).status().code(), StatusCode::kInvalidArgument);
  StoreOptions bad;
  bad.s3_endpoint = "ftp://host";
  EXPECT_EQ(OpenObjectStore("s3://bucket/x", bad).status().code(), StatusCode::kInvalidArgument);
  auto gs = OpenObjectStore("gs://bucket/x", {});
  EXPECT_EQ(gs.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(gs.status().message().find("mem://"), std::string::npos) << "the error lists every scheme";
}

TEST(OpenObjectStore, OpensLocalDirectories) {
  std::string tmpl = (fs::temp_directory_path() / "verger-io-XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  auto store = OpenObjectStore("file://" + tmpl + "/", {});
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ((*store)->uri(), tmpl);
  EXPECT_EQ((*store)->retries(), 0);
  EXPECT_EQ((*store)->preferred_io_concurrency(), 2);
  ASSERT_NE((*store)->local_root(), nullptr) << "a local output is locked with flock on a file there";
  EXPECT_EQ((*store)->local_root()->string(), tmpl);
  EXPECT_EQ(OpenObjectStore(tmpl + "/missing", {}).status().code(), StatusCode::kNotFound);
  StoreOptions create;
  create.create = true;
  EXPECT_TRUE(OpenObjectStore(tmpl + "/made/here", create).ok());
  fs::remove_all(tmpl);
}

}  // namespace
}  // namespace verger
