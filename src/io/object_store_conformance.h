// The ObjectStore contract as one parameterised GoogleTest suite, written
// once and run against every implementation: include this header in exactly
// one test source per binary and instantiate it, e.g.
//   INSTANTIATE_TEST_SUITE_P(Local, ObjectStoreConformance,
//                            ::testing::Values(ConformanceTarget{...}));
// Each test gets a fresh, empty store from target.make().
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "io/object_store.h"

namespace verger {

struct ConformanceTarget {
  std::string name;  // test-name suffix: letters, digits, '_'
  // A new, empty store (a unique root) for one test.
  std::function<std::unique_ptr<ObjectStore>()> make;
  // Removes what a test left behind; may be null.
  std::function<void(ObjectStore&)> cleanup;
  int many_keys = 1100;  // > 1,000 so S3 listings page
};

// Short names in ctest instead of a byte dump.
inline void PrintTo(const ConformanceTarget& t, std::ostream* os) { *os << t.name; }

inline std::string ConformanceName(const ::testing::TestParamInfo<ConformanceTarget>& info) {
  return info.param.name;
}

class ObjectStoreConformance : public ::testing::TestWithParam<ConformanceTarget> {
 protected:
  void SetUp() override {
    store_ = GetParam().make();
    ASSERT_NE(store_, nullptr);
  }
  void TearDown() override {
    if (store_ && GetParam().cleanup) GetParam().cleanup(*store_);
  }

  static std::vector<uint8_t> Bytes(std::string_view s) { return std::vector<uint8_t>(s.begin(), s.end()); }
  static std::vector<uint8_t> Pattern(size_t n, uint32_t seed) {
    std::vector<uint8_t> v(n);
    uint32_t x = seed * 2654435761u + 1;
    for (auto& b : v) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<uint8_t>(x);
    }
    return v;
  }
  void Put(const std::string& key, const std::vector<uint8_t>& data) {
    Status st = store_->WriteAtomic(key, data);
    ASSERT_TRUE(st.ok()) << key << ": " << st.ToString();
  }
  std::vector<std::string> Keys(std::string_view prefix, bool (*accept)(std::string_view) = nullptr) {
    auto l = store_->List(prefix, accept);
    EXPECT_TRUE(l.ok()) << l.status().ToString();
    std::vector<std::string> keys;
    if (!l.ok()) return keys;
    EXPECT_TRUE(l->problems.empty()) << l->problems.front().key << ": " << l->problems.front().reason;
    for (const auto& o : l->objects) keys.push_back(o.key);
    return keys;
  }

  std::unique_ptr<ObjectStore> store_;
};

TEST_P(ObjectStoreConformance, WriteThenReadReturnsTheSameBytes) {
  auto data = Pattern(300000, 1);
  data[7] = 0;  // binary-safe
  Put("a/blob.bin", data);
  Put("empty.bin", {});
  auto got = store_->Read("a/blob.bin");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, data);
  auto empty = store_->Read("empty.bin");
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_TRUE(empty->empty());
}

TEST_P(ObjectStoreConformance, ReadMissingIsNotFoundAndNamesTheKey) {
  auto got = store_->Read("no/such/key.jpg");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.status().code(), StatusCode::kNotFound) << got.status().ToString();
  EXPECT_NE(got.status().message().find("no/such/key.jpg"), std::string::npos) << got.status().message();
}

TEST_P(ObjectStoreConformance, OverwriteReplacesTheObject) {
  Put("k.txt", Bytes("first version, longer"));
  Put("k.txt", Bytes("second"));
  auto got = store_->Read("k.txt");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(*got, Bytes("second"));
  EXPECT_EQ(Keys(""), std::vector<std::string>{"k.txt"});
}

TEST_P(ObjectStoreConformance, ExistsAndDelete) {
  auto e = store_->Exists("x/y.jpg");
  ASSERT_TRUE(e.ok()) << e.status().ToString();
  EXPECT_FALSE(*e);
  Put("x/y.jpg", Bytes("y"));
  e = store_->Exists("x/y.jpg");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(*e);
  ASSERT_TRUE(store_->Delete("x/y.jpg").ok());
  e = store_->Exists("x/y.jpg");
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(*e);
  EXPECT_TRUE(store_->Delete("x/y.jpg").ok()) << "deleting a missing key is OK";
  EXPECT_EQ(store_->Read("x/y.jpg").status().code(), StatusCode::kNotFound);
}

TEST_P(ObjectStoreConformance, ListIsSortedRecursiveAndFiltered) {
  for (const char* k : {"b/2.jpg", "a/sub/3.png", "c.txt", "a/1.jpg", "ab.jpg"}) Put(k, Bytes(k));
  EXPECT_EQ(Keys(""), (std::vector<std::string>{"a/1.jpg", "a/sub/3.png", "ab.jpg", "b/2.jpg", "c.txt"}));
  EXPECT_EQ(Keys("a/"), (std::vector<std::string>{"a/1.jpg", "a/sub/3.png"}));
  EXPECT_EQ(Keys("a"), (std::vector<std::string>{"a/1.jpg", "a/sub/3.png", "ab.jpg"}));
  EXPECT_TRUE(Keys("zzz/").empty());
  auto jpg = [](std::string_view k) { return k.size() > 4 && k.substr(k.size() - 4) == ".jpg"; };
  EXPECT_EQ(Keys("", +jpg), (std::vector<std::string>{"a/1.jpg", "ab.jpg", "b/2.jpg"}));
  auto l = store_->List("", nullptr);
  ASSERT_TRUE(l.ok());
  for (const auto& o : l->objects) EXPECT_EQ(o.size, o.key.size()) << o.key;
}

TEST_P(ObjectStoreConformance, ListEachStreamsInKeyOrderAndStopsOnError) {
  // Folder and file names that sort differently from whole keys ('.' < '/' < '0').
  for (const char* k : {"a/x.jpg", "a.jpg", "a0.jpg", "a-b/y.jpg", "a/b/z.png", "b.jpg"}) Put(k, Bytes(k));
  std::vector<std::string> seen;
  std::vector<ListingProblem> problems;
  Status st = store_->ListEach(
      "", nullptr,
      [&](ObjectInfo&& o) {
        EXPECT_EQ(o.size, o.key.size()) << o.key;
        seen.push_back(o.key);
        return Status::OK();
      },
      &problems);
  ASSERT_TRUE(st.ok()) << st.ToString();
  EXPECT_TRUE(problems.empty());
  EXPECT_EQ(seen, (std::vector<std::string>{"a-b/y.jpg", "a.jpg", "a/b/z.png", "a/x.jpg", "a0.jpg", "b.jpg"}));
  EXPECT_EQ(seen, Keys(""));
  int calls = 0;
  st = store_->ListEach(
      "", nullptr, [&](ObjectInfo&&) { return ++calls == 2 ? Status::Cancelled("enough") : Status::OK(); },
      &problems);
  EXPECT_EQ(st.code(), StatusCode::kCancelled);
  EXPECT_EQ(calls, 2);
}

TEST_P(ObjectStoreConformance, KeysWithSpacesUnicodeAndPlus) {
  const std::vector<std::string> keys = {
      "dir with space/a b.jpg", "plus/a+b=c&d.jpg", "pct/100%25 50%.jpg", "quote/it's (1) ~x.jpg",
      "uni/\xC3\xBC\x62\x65r/\xE1\x88\xB4.jpg", "uni/\xE6\x97\xA5\xE6\x9C\xAC.jpg", "semi;colon,comma.jpg"};
  for (size_t i = 0; i < keys.size(); ++i) Put(keys[i], Bytes("#" + std::to_string(i) + keys[i]));
  std::vector<std::string> sorted = keys;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Keys(""), sorted);
  for (size_t i = 0; i < keys.size(); ++i) {
    auto got = store_->Read(keys[i]);
    ASSERT_TRUE(got.ok()) << keys[i] << ": " << got.status().ToString();
    EXPECT_EQ(*got, Bytes("#" + std::to_string(i) + keys[i]));
    auto e = store_->Exists(keys[i]);
    ASSERT_TRUE(e.ok());
    EXPECT_TRUE(*e) << keys[i];
  }
  EXPECT_EQ(Keys("plus/a+"), std::vector<std::string>{"plus/a+b=c&d.jpg"});
  EXPECT_EQ(Keys("dir with space/"), std::vector<std::string>{"dir with space/a b.jpg"});
}

TEST_P(ObjectStoreConformance, InvalidKeysAreRejected) {
  for (const char* k : {"../escape", "/abs", "a//b", "a/./b", ""}) {
    EXPECT_EQ(store_->Read(k).status().code(), StatusCode::kInvalidArgument) << k;
    EXPECT_EQ(store_->WriteAtomic(k, Bytes("x")).code(), StatusCode::kInvalidArgument) << k;
    EXPECT_EQ(store_->Exists(k).status().code(), StatusCode::kInvalidArgument) << k;
    EXPECT_EQ(store_->Delete(k).code(), StatusCode::kInvalidArgument) << k;
  }
}

TEST_P(ObjectStoreConformance, ListingPagesPastOneThousandKeys) {
  const int n = GetParam().many_keys;
  std::atomic<int> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) {
        char key[64];
        std::snprintf(key, sizeof key, "many/%05d.jpg", i);
        if (!store_->WriteAtomic(key, Bytes(key)).ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_EQ(failures.load(), 0);
  Put("other.txt", Bytes("o"));
  auto keys = Keys("many/");
  ASSERT_EQ(static_cast<int>(keys.size()), n);
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  EXPECT_EQ(std::adjacent_find(keys.begin(), keys.end()), keys.end()) << "duplicates across pages";
  EXPECT_EQ(keys.front(), "many/00000.jpg");
  char last[64];
  std::snprintf(last, sizeof last, "many/%05d.jpg", n - 1);
  EXPECT_EQ(keys.back(), last);
  EXPECT_EQ(static_cast<int>(Keys("").size()), n + 1);
}

TEST_P(ObjectStoreConformance, ConcurrentReadsSeeTheRightBytes) {
  const int objects = 24;
  std::vector<std::vector<uint8_t>> data;
  for (int i = 0; i < objects; ++i) {
    data.push_back(Pattern(1000 + i * 37000, i + 10));
    Put("c/" + std::to_string(i) + ".bin", data.back());
  }
  std::atomic<int> bad{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 12; ++t) {
    readers.emplace_back([&, t] {
      for (int r = 0; r < 3 * objects; ++r) {
        int i = (r * 7 + t) % objects;
        auto got = store_->Read("c/" + std::to_string(i) + ".bin");
        if (!got.ok() || *got != data[i]) ++bad;
      }
    });
  }
  for (auto& t : readers) t.join();
  EXPECT_EQ(bad.load(), 0);
}

TEST_P(ObjectStoreConformance, ReadersNeverSeeAPartialObject) {
  const auto a = std::vector<uint8_t>(3 << 20, 'a');
  const auto b = std::vector<uint8_t>((3 << 20) + 17, 'b');
  Put("atomic.bin", a);
  std::atomic<bool> done{false};
  std::atomic<int> reads{0}, partial{0}, errors{0};
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto got = store_->Read("atomic.bin");
        ++reads;
        if (!got.ok()) {
          ++errors;
          continue;
        }
        if (*got != a && *got != b) ++partial;
      }
    });
  }
  for (int w = 0; w < 12; ++w) {
    Status st = store_->WriteAtomic("atomic.bin", w % 2 ? a : b);
    EXPECT_TRUE(st.ok()) << st.ToString();
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(reads.load(), 0);
  EXPECT_EQ(partial.load(), 0);
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace verger
