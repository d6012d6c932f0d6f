#include "io/faulty_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "io/memory_store.h"

namespace verger {
namespace {

std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }

class FaultyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    name_ = std::string("faulty-") + ::testing::UnitTest::GetInstance()->current_test_info()->name();
    StoreOptions create;
    create.create = true;
    auto base = OpenObjectStore("mem://" + name_, create);
    ASSERT_TRUE(base.ok()) << base.status().ToString();
    store_ = std::make_unique<FaultyObjectStore>(std::move(base).value());
  }
  void TearDown() override { DropMemoryBucket(name_); }
  bool Stored(const std::string& key) { return *store_->base().Exists(key); }

  std::string name_;
  std::unique_ptr<FaultyObjectStore> store_;
};

TEST_F(FaultyStoreTest, FailsOnlyTheNthWriteAndWritesNothingThen) {
  store_->Add(FailNthWrite(3));
  std::vector<StatusCode> codes;
  for (int i = 1; i <= 5; ++i) codes.push_back(store_->WriteAtomic("k" + std::to_string(i), Bytes("x")).code());
  EXPECT_EQ(codes, (std::vector<StatusCode>{StatusCode::kOk, StatusCode::kOk, StatusCode::kIOError, StatusCode::kOk,
                                            StatusCode::kOk}));
  EXPECT_TRUE(Stored("k2"));
  EXPECT_FALSE(Stored("k3")) << "a failed write must leave no object";
  EXPECT_TRUE(Stored("k4"));
  EXPECT_EQ(store_->injected(), 1);
  EXPECT_EQ(store_->seen(kStoreWrite), 5);
  EXPECT_EQ(store_->seen(kStoreRead), 0);
}

TEST_F(FaultyStoreTest, FailsTheNthReadWithTheGivenCodeNamingTheKey) {
  ASSERT_TRUE(store_->WriteAtomic("a/b.jpg", Bytes("jpg")).ok());
  store_->Add(FailNthRead(2, StatusCode::kUnavailable));
  EXPECT_TRUE(store_->Read("a/b.jpg").ok());
  auto second = store_->ReadAtMost("a/b.jpg", 100);  // ReadAtMost counts as a read
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(second.status().message().find("mem://" + name_ + "/a/b.jpg"), std::string::npos)
      << second.status().message();
  EXPECT_NE(second.status().message().find("injected"), std::string::npos);
  EXPECT_TRUE(store_->Read("a/b.jpg").ok()) << "only the 2nd read fails";
  // Writes are not reads.
  EXPECT_TRUE(store_->WriteAtomic("c", Bytes("c")).ok());
}

TEST_F(FaultyStoreTest, PatternFailsEveryMatchingOperationUntilCleared) {
  store_->Add(FailMatching(kStoreWrite | kStoreRead, "_partitions/*.json", StatusCode::kPermissionDenied));
  EXPECT_TRUE(store_->WriteAtomic("features/label=a/part-00000.parquet", Bytes("t")).ok());
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(store_->WriteAtomic("_partitions/part-0000" + std::to_string(i) + ".json", Bytes("m")).code(),
              StatusCode::kPermissionDenied);
  EXPECT_EQ(store_->Read("_partitions/part-00000.json").status().code(), StatusCode::kPermissionDenied);
  EXPECT_TRUE(store_->Exists("_partitions/part-00000.json").ok()) << "Exists is not watched";
  EXPECT_EQ(store_->injected(), 4);
  store_->Clear();
  EXPECT_TRUE(store_->WriteAtomic("_partitions/part-00000.json", Bytes("m")).ok());
  EXPECT_TRUE(Stored("_partitions/part-00000.json"));
}

TEST_F(FaultyStoreTest, ListExistsAndDeleteCanFail) {
  ASSERT_TRUE(store_->WriteAtomic("x/1", Bytes("1")).ok());
  store_->Add(FailMatching(kStoreList, "x/", StatusCode::kUnavailable));
  store_->Add(FailMatching(kStoreExists | kStoreDelete, "x/1"));
  EXPECT_EQ(store_->List("x/", nullptr).status().code(), StatusCode::kUnavailable);
  std::vector<ListingProblem> problems;
  int visited = 0;
  Status each = store_->ListEach(
      "x/", nullptr, [&](ObjectInfo&&) { return ++visited, Status::OK(); }, &problems);
  EXPECT_EQ(each.code(), StatusCode::kUnavailable);
  EXPECT_EQ(visited, 0);
  EXPECT_TRUE(store_->List("", nullptr).ok()) << "another prefix lists";
  EXPECT_EQ(store_->Exists("x/1").status().code(), StatusCode::kIOError);
  EXPECT_EQ(store_->Delete("x/1").code(), StatusCode::kIOError);
  EXPECT_TRUE(Stored("x/1")) << "a failed delete deletes nothing";
}

TEST_F(FaultyStoreTest, NthCountsFromWhenTheFaultIsAdded) {
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(store_->WriteAtomic("early" + std::to_string(i), Bytes("e")).ok());
  store_->Add(FailNthWrite(1));
  EXPECT_FALSE(store_->WriteAtomic("next", Bytes("n")).ok());
  EXPECT_TRUE(store_->WriteAtomic("after", Bytes("a")).ok());
}

TEST_F(FaultyStoreTest, ExactlyOneOfManyConcurrentWritesFails) {
  store_->Add(FailNthWrite(50));
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i)
        if (!store_->WriteAtomic("t" + std::to_string(t) + "/" + std::to_string(i), Bytes("v")).ok()) ++failed;
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(failed.load(), 1);
  EXPECT_EQ(store_->seen(kStoreWrite), 200);
  auto listed = store_->base().List("", nullptr);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->objects.size(), 199u);
}

TEST(FaultyStoreWrap, OpenObjectStoreAppliesTheWrapHook) {
  StoreOptions options;
  options.create = true;
  FaultyObjectStore* made = nullptr;
  options.wrap = [&](std::unique_ptr<ObjectStore> base) -> std::unique_ptr<ObjectStore> {
    auto f = std::make_unique<FaultyObjectStore>(std::move(base), std::vector<Fault>{FailNthWrite(1)});
    made = f.get();
    return f;
  };
  auto store = OpenObjectStore("mem://wrapped/p", options);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  ASSERT_EQ(store->get(), made);
  EXPECT_EQ((*store)->uri(), "mem://wrapped/p");
  EXPECT_EQ((*store)->WriteAtomic("k", Bytes("v")).code(), StatusCode::kIOError);
  EXPECT_TRUE((*store)->WriteAtomic("k", Bytes("v")).ok());
  DropMemoryBucket("wrapped");
}

}  // namespace
}  // namespace verger
