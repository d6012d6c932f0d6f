// The ObjectStore conformance suite and S3-specific checks against a live
// S3 endpoint (Ceph RGW in tests/s3/). Reads AWS_ENDPOINT_URL,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_REGION; creates its own
// bucket. With VERGER_S3_PROXY_ENDPOINT (tests/s3/faulty_proxy.py in front
// of the same gateway) the S3Faults tests run through the proxy.
// Not discovered by ctest: tests/s3/test_s3_*.py start the gateway and run it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>

#include "io/object_store_conformance.h"
#include "io/s3_store.h"

namespace verger {
namespace {

namespace fs = std::filesystem;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v == nullptr ? "" : v;
}

const std::string& Bucket() {
  static const std::string bucket = [] {
    std::random_device rd;
    return "verger-conf-" + std::to_string(getpid()) + "-" + std::to_string(rd() % 100000);
  }();
  return bucket;
}

S3Tuning FastRetries() {
  S3Tuning t;
  t.retry.base = std::chrono::milliseconds(10);
  t.retry.cap = std::chrono::milliseconds(200);
  return t;
}

std::unique_ptr<S3ObjectStore> OpenAt(const std::string& uri, const std::string& endpoint, S3Tuning tuning = FastRetries()) {
  StoreOptions opts;
  opts.s3_endpoint = endpoint;
  auto store = S3ObjectStore::Open(uri, opts, std::move(tuning));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  return store.ok() ? std::move(store).value() : nullptr;
}

void DeleteAll(ObjectStore& s) {
  auto l = s.List("", nullptr);
  if (!l.ok()) return;
  for (const auto& o : l->objects) (void)s.Delete(o.key);
}

// One bucket per run, created once.
class BucketEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    ASSERT_FALSE(Env("AWS_ENDPOINT_URL").empty()) << "set AWS_ENDPOINT_URL (and keys) to an S3 endpoint";
    auto store = OpenAt("s3://" + Bucket(), Env("AWS_ENDPOINT_URL"));
    ASSERT_NE(store, nullptr);
    Status st = store->CreateBucket();
    ASSERT_TRUE(st.ok()) << st.ToString();
  }
};

ConformanceTarget S3Target(std::string name, std::string endpoint_var) {
  ConformanceTarget t;
  t.name = std::move(name);
  t.make = [endpoint_var]() -> std::unique_ptr<ObjectStore> {
    static std::atomic<int> n{0};
    std::string uri = "s3://" + Bucket() + "/" + endpoint_var + "/t" + std::to_string(n++);
    return OpenAt(uri, Env(endpoint_var.c_str()));
  };
  t.cleanup = DeleteAll;
  return t;
}

INSTANTIATE_TEST_SUITE_P(RGW, ObjectStoreConformance, ::testing::Values(S3Target("RGW", "AWS_ENDPOINT_URL")),
                         ConformanceName);

TEST(S3Auth, WrongSecretIsPermissionDeniedAtOnceNamingTheSource) {
  S3Tuning t;  // default back-off: a retry would be visible in retries()
  std::string secret = "definitely-wrong-secret-value";
  t.env = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "AWS_SECRET_ACCESS_KEY") return secret;
    if (n == "AWS_PROFILE" || n == "AWS_SHARED_CREDENTIALS_FILE" || n == "AWS_CONFIG_FILE") return std::nullopt;
    std::string v = Env(std::string(n).c_str());
    if (v.empty()) return std::nullopt;
    return v;
  };
  auto store = OpenAt("s3://" + Bucket() + "/auth", Env("AWS_ENDPOINT_URL"), t);
  ASSERT_NE(store, nullptr);
  for (int op = 0; op < 3; ++op) {
    Status st = op == 0 ? store->Read("x.jpg").status()
                : op == 1 ? store->WriteAtomic("x.jpg", std::vector<uint8_t>{1, 2})
                          : store->List("", nullptr).status();
    EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
    EXPECT_NE(st.message().find("SignatureDoesNotMatch"), std::string::npos) << st.message();
    EXPECT_NE(st.message().find("credentials from environment"), std::string::npos) << st.message();
    EXPECT_EQ(st.message().find(secret), std::string::npos) << "secret leaked: " << st.message();
  }
  EXPECT_EQ(store->retries(), 0) << "authentication failures must not be retried";
}

TEST(S3Auth, UnknownAccessKeyIsPermissionDenied) {
  S3Tuning t = FastRetries();
  t.credentials = AwsCredentialsProvider::Static({"AKIDNOSUCHKEY0000000", "whatever", "", "test static keys", {}});
  auto store = OpenAt("s3://" + Bucket() + "/auth", Env("AWS_ENDPOINT_URL"), t);
  ASSERT_NE(store, nullptr);
  Status st = store->Read("x.jpg").status();
  EXPECT_EQ(st.code(), StatusCode::kPermissionDenied) << st.ToString();
  EXPECT_NE(st.message().find("InvalidAccessKeyId"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("test static keys"), std::string::npos) << st.message();
  EXPECT_EQ(store->retries(), 0);
}

TEST(S3Auth, ProfileFromSharedCredentialsFileWorks) {
  std::string dir = (fs::temp_directory_path() / ("verger-s3-home-" + std::to_string(getpid()))).string();
  fs::create_directories(dir + "/.aws");
  std::ofstream(dir + "/.aws/credentials") << "[rgw]\naws_access_key_id = " << Env("AWS_ACCESS_KEY_ID")
                                           << "\naws_secret_access_key = " << Env("AWS_SECRET_ACCESS_KEY") << "\n";
  std::ofstream(dir + "/.aws/config") << "[profile rgw]\nregion = " << Env("AWS_REGION") << "\n";
  S3Tuning t = FastRetries();
  t.env = [&](std::string_view n) -> std::optional<std::string> {
    if (n == "HOME") return dir;
    if (n == "AWS_PROFILE") return std::string("rgw");
    if (n == "AWS_EC2_METADATA_DISABLED") return std::string("true");
    return std::nullopt;
  };
  auto store = OpenAt("s3://" + Bucket() + "/profile", Env("AWS_ENDPOINT_URL"), t);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->credential_source(), "profile 'rgw' in " + dir + "/.aws/credentials");
  std::vector<uint8_t> data{'o', 'k'};
  ASSERT_TRUE(store->WriteAtomic("p.txt", data).ok());
  auto got = store->Read("p.txt");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  DeleteAll(*store);
  fs::remove_all(dir);
}

TEST(S3Store, MissingBucketListsAsNotFound) {
  auto store = OpenAt("s3://verger-no-such-bucket-" + std::to_string(getpid()), Env("AWS_ENDPOINT_URL"));
  ASSERT_NE(store, nullptr);
  auto l = store->List("", nullptr);
  EXPECT_EQ(l.status().code(), StatusCode::kNotFound) << l.status().ToString();
  EXPECT_NE(l.status().message().find("NoSuchBucket"), std::string::npos) << l.status().message();
  EXPECT_EQ(store->retries(), 0);
}

TEST(S3Store, LargeObjectsGoMultipartAndReadBackWhole) {
  S3Tuning t = FastRetries();
  t.multipart_threshold = 6 << 20;
  t.part_size = 5 << 20;
  auto store = OpenAt("s3://" + Bucket() + "/multipart", Env("AWS_ENDPOINT_URL"), t);
  ASSERT_NE(store, nullptr);
  std::vector<uint8_t> data((13 << 20) + 123);
  std::mt19937 rng(7);
  for (auto& b : data) b = static_cast<uint8_t>(rng());
  Status st = store->WriteAtomic("big/blob.bin", data);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto got = store->Read("big/blob.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_TRUE(*got == data);
  auto l = store->List("big/", nullptr);
  ASSERT_TRUE(l.ok());
  ASSERT_EQ(l->objects.size(), 1u);
  EXPECT_EQ(l->objects[0].size, data.size());
  EXPECT_TRUE(l->objects[0].etag.ends_with("-3")) << "multipart ETag has the part count: " << l->objects[0].etag;
  EXPECT_GT(l->objects[0].mtime_ns, 0);
  // A single-PUT object's ETag is its MD5 (32 hex digits, no quotes).
  ASSERT_TRUE(store->WriteAtomic("small.bin", std::vector<uint8_t>(10, 1)).ok());
  auto small = store->List("small", nullptr);
  ASSERT_TRUE(small.ok());
  ASSERT_EQ(small->objects.size(), 1u);
  EXPECT_EQ(small->objects[0].etag.size(), 32u) << small->objects[0].etag;
  DeleteAll(*store);
}

TEST(S3Store, KeysLookingLikeFoldersOrDotsAreReportedNotFatal) {
  // Write raw keys the store itself would refuse, through a store at the
  // bucket root, then list them through a prefixed store.
  auto root = OpenAt("s3://" + Bucket(), Env("AWS_ENDPOINT_URL"));
  ASSERT_NE(root, nullptr);
  ASSERT_TRUE(root->WriteAtomic("odd/good.jpg", std::vector<uint8_t>{1}).ok());
  ASSERT_TRUE(root->WriteAtomic("odd/folder/.keep", std::vector<uint8_t>{}).ok());
  S3Client::Call call;
  call.method = "PUT";
  call.bucket = Bucket();
  call.key = "odd/a//double-slash.jpg";
  call.what = "raw put";
  ASSERT_TRUE(root->client().Send(call).ok());
  call.key = "odd/folder-marker/";
  ASSERT_TRUE(root->client().Send(call).ok());
  auto odd = OpenAt("s3://" + Bucket() + "/odd", Env("AWS_ENDPOINT_URL"));
  auto l = odd->List("", nullptr);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  std::vector<std::string> keys;
  for (const auto& o : l->objects) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"folder/.keep", "good.jpg"}));
  ASSERT_EQ(l->problems.size(), 1u);
  EXPECT_EQ(l->problems[0].key, "a//double-slash.jpg");
  call.method = "DELETE";
  call.key = "odd/a//double-slash.jpg";
  (void)root->client().Send(call);
  call.key = "odd/folder-marker/";
  (void)root->client().Send(call);
  DeleteAll(*odd);
}

TEST(S3Store, VirtualHostedAddressingWorks) {
  // RGW runs with rgw_dns_name=localhost, and *.localhost is loopback.
  std::string ep = Env("AWS_ENDPOINT_URL");
  auto pos = ep.find("127.0.0.1");
  ASSERT_NE(pos, std::string::npos) << ep;
  ep.replace(pos, 9, "localhost");
  S3Tuning t = FastRetries();
  t.path_style = false;
  auto store = OpenAt("s3://" + Bucket() + "/vhost", ep, t);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->client().Url(Bucket(), "vhost/a b.jpg"),
            "http://" + Bucket() + "." + ep.substr(7) + "/vhost/a%20b.jpg");
  std::vector<uint8_t> data{'v', 'h'};
  Status st = store->WriteAtomic("a b.jpg", data);
  ASSERT_TRUE(st.ok()) << st.ToString();
  auto got = store->Read("a b.jpg");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  auto l = store->List("", nullptr);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_EQ(l->objects.size(), 1u);
  EXPECT_EQ(l->objects[0].key, "a b.jpg");
  DeleteAll(*store);
}

// Through tests/s3/faulty_proxy.py, which fails a share of requests with
// 503 SlowDown, an empty reply or a reset. Run only with the proxy.
TEST(S3Faults, ReadsWritesAndListsSurviveInjectedFaults) {
  std::string proxy = Env("VERGER_S3_PROXY_ENDPOINT");
  ASSERT_FALSE(proxy.empty()) << "run through tests/s3/test_s3_faults.py (needs VERGER_S3_PROXY_ENDPOINT)";
  auto store = OpenAt("s3://" + Bucket() + "/faults", proxy);
  ASSERT_NE(store, nullptr);
  const int n = 150;
  auto payload = [](int i) {
    std::vector<uint8_t> v(1000 + i * 211);
    for (size_t j = 0; j < v.size(); ++j) v[j] = static_cast<uint8_t>(i * 31 + j * 7);
    return v;
  };
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        std::string key = "obj " + std::to_string(i) + ".bin";
        Status st = store->WriteAtomic(key, payload(i));
        if (!st.ok()) {
          ++failed;
          ADD_FAILURE() << st.ToString();
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  threads.clear();
  ASSERT_EQ(failed.load(), 0);
  auto l = store->List("", nullptr);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(static_cast<int>(l->objects.size()), n);
  next = 0;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        auto got = store->Read("obj " + std::to_string(i) + ".bin");
        if (!got.ok()) {
          ++wrong;
          ADD_FAILURE() << got.status().ToString();
        } else if (*got != payload(i)) {
          ++wrong;
          ADD_FAILURE() << "wrong bytes for object " << i;
        }
        auto e = store->Exists("obj " + std::to_string(i) + ".bin");
        if (!e.ok() || !*e) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(store->retries(), 0) << "the proxy injected faults, so some requests must have been retried";
  std::printf("S3Faults: %lld retries for %d writes, %d reads, %d HEADs and a listing\n",
              static_cast<long long>(store->retries()), n, n, n);
  DeleteAll(*store);
}

}  // namespace
}  // namespace verger

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new verger::BucketEnvironment());
  return RUN_ALL_TESTS();
}
