// ImageLoader under load: many items, a small window, more worker threads
// than slots, reads that fail or return garbage at known indices, and a
// consumer that stops half-way. Each item's outcome must be its own (no
// slot mix-ups), in order, with no hang. Built into engine_test; the tsan
// run (tests/reliability/sanitize) compiles it with -fsanitize=thread.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "core/file_util.h"
#include "engine/image_loader.h"

namespace verger {
namespace {

// A tiny real ObjectStore: image bytes by key from memory; keys "fail/..."
// fail to read (IOError), keys "junk/..." read as bytes that are no image.
class FlakyStore : public ObjectStore {
 public:
  std::map<std::string, std::vector<uint8_t>> objects;
  mutable std::atomic<int64_t> reads{0};  // Read calls, from any loader thread
  std::string uri() const override { return "mem://flaky"; }
  std::string Describe(std::string_view key) const override { return "mem://flaky/" + std::string(key); }
  Result<Listing> List(std::string_view, bool (*)(std::string_view)) const override { return Listing{}; }
  Result<std::vector<uint8_t>> Read(std::string_view key) const override {
    ++reads;
    if (key.rfind("fail/", 0) == 0) return Status::IOError(Describe(key) + ": injected read failure");
    if (key.rfind("junk/", 0) == 0) return std::vector<uint8_t>{'n', 'o', 'p', 'e'};
    auto it = objects.find(std::string(key));
    if (it == objects.end()) return Status::NotFound(Describe(key));
    return it->second;
  }
  Status WriteAtomic(std::string_view, std::span<const uint8_t>) override { return Status::Unsupported("read-only"); }
  Result<bool> Exists(std::string_view key) const override { return objects.count(std::string(key)) > 0; }
  Status Delete(std::string_view) override { return Status::Unsupported("read-only"); }
};

std::string Fixture(const char* cls) {
  const char* shared = std::getenv("VERGER_SHARED_DIR");
  std::filesystem::path dir = std::filesystem::path(shared ? shared : "../shared") / "datasets/fruits-360-10/Training" / cls;
  std::vector<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir)) names.push_back(e.path().string());
  std::sort(names.begin(), names.end());
  return names.at(0);
}

class LoaderStress : public ::testing::Test {
 protected:
  void SetUp() override {
    auto a = ReadFileBytes(Fixture("Kiwi 1"));
    auto b = ReadFileBytes(Fixture("Banana 1"));
    ASSERT_TRUE(a.ok() && b.ok());
    store_.objects["img/a.jpg"] = *a;
    store_.objects["img/b.jpg"] = *b;
    options_.width = options_.height = 32;
    // Reference sums of the two images' tensors, loaded one at a time.
    std::vector<ImageItem> two = {{"img/a.jpg", "img"}, {"img/b.jpg", "img"}};
    LoaderOptions one = options_;
    one.io_threads = one.decode_threads = one.window = 1;
    ImageLoader loader(store_, two, one);
    for (int i = 0; i < 2; ++i) {
      const float* t = nullptr;
      ASSERT_TRUE(loader.Next(i, &t).ok());
      ref_[i] = std::accumulate(t, t + loader.tensor_size(), 0.0);
      loader.Release(i);
    }
    ASSERT_NE(ref_[0], ref_[1]);
  }

  // Item i: every 7th fails to read, every 11th is junk, others alternate a/b.
  static std::string KeyFor(int i) {
    if (i % 7 == 3) return "fail/" + std::to_string(i) + ".jpg";
    if (i % 11 == 5) return "junk/" + std::to_string(i) + ".jpg";
    return i % 2 ? "img/b.jpg" : "img/a.jpg";
  }

  FlakyStore store_;
  LoaderOptions options_;
  double ref_[2] = {0, 0};
};

TEST_F(LoaderStress, ManyItemsSmallWindowInjectedFailures) {
  constexpr int kItems = 3000;
  std::vector<ImageItem> items;
  for (int i = 0; i < kItems; ++i) items.push_back({KeyFor(i), "x"});
  for (int window : {1, 2, 3, 8}) {
    LoaderOptions o = options_;
    o.window = window;
    o.io_threads = 4;
    o.decode_threads = 3;
    ImageLoader loader(store_, items, o);
    int ok = 0, expected_ok = 0;
    for (int i = 0; i < kItems; ++i) {
      if (i % 7 != 3 && i % 11 != 5) ++expected_ok;
      const float* t = nullptr;
      Status s = loader.Next(i, &t);
      if (i % 7 == 3) {
        EXPECT_EQ(s.code(), StatusCode::kIOError) << i;
        EXPECT_NE(s.message().find("injected"), std::string::npos) << s.message();
      } else if (i % 11 == 5) {
        EXPECT_EQ(s.code(), StatusCode::kUnsupported) << i << ": " << s.message();
      } else {
        ASSERT_TRUE(s.ok()) << i << ": " << s.message();
        EXPECT_EQ(std::accumulate(t, t + loader.tensor_size(), 0.0), ref_[i % 2]) << "item " << i << " window " << window;
      }
      if (s.ok()) ++ok;
      loader.Release(i);
    }
    // Every good item came back OK exactly once, none of the bad ones did.
    EXPECT_EQ(ok, expected_ok) << "window " << window;
  }
}

TEST_F(LoaderStress, ConsumerStopsEarly) {
  std::vector<ImageItem> items;
  for (int i = 0; i < 500; ++i) items.push_back({KeyFor(i), "x"});
  constexpr int kWindow = 4;
  for (int stop_at : {0, 1, 17, 250}) {
    store_.reads = 0;
    {
      LoaderOptions o = options_;
      o.window = kWindow;
      o.io_threads = 3;
      o.decode_threads = 2;
      ImageLoader loader(store_, items, o);
      for (int i = 0; i < stop_at; ++i) {
        const float* t = nullptr;
        Status s = loader.Next(i, &t);
        if (s.ok()) EXPECT_EQ(std::accumulate(t, t + loader.tensor_size(), 0.0), ref_[i % 2]) << "item " << i;
        loader.Release(i);
      }
      // Destructor with work in flight: must stop and join without a hang
      // (a hang fails the test by CTest's timeout).
    }
    // The window bounds the reads: nothing past the released items plus the
    // items in flight was ever fetched, however long the threads ran.
    EXPECT_GE(store_.reads.load(), stop_at) << "stop_at " << stop_at;
    EXPECT_LE(store_.reads.load(), stop_at + kWindow) << "stop_at " << stop_at;
  }
}

}  // namespace
}  // namespace verger
