// s3_copy SRC DST [--create-bucket] [--threads N]
// Copies every object under SRC to DST (same keys). Each side is a local
// folder or s3://bucket/prefix, opened with OpenObjectStore; endpoint,
// region and credentials come from the AWS environment. --create-bucket
// creates DST's bucket first. Used by the end-to-end S3 tests to stage
// inputs on a gateway and to fetch outputs back.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "io/object_store.h"
#include "io/s3_store.h"

namespace {

int Fail(const verger::Status& st) {
  std::fprintf(stderr, "s3_copy: %s\n", st.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: s3_copy SRC DST [--create-bucket] [--threads N]\n");
    return 2;
  }
  bool create_bucket = false;
  int threads = 8;
  for (int i = 3; i < argc; ++i) {
    if (std::strcmp(argv[i], "--create-bucket") == 0) {
      create_bucket = true;
    } else if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "s3_copy: unknown argument %s\n", argv[i]);
      return 2;
    }
  }
  auto src = verger::OpenObjectStore(argv[1], {});
  if (!src.ok()) return Fail(src.status());
  verger::StoreOptions create;
  create.create = true;
  auto dst = verger::OpenObjectStore(argv[2], create);
  if (!dst.ok()) return Fail(dst.status());
  if (create_bucket) {
    auto* s3 = dynamic_cast<verger::S3ObjectStore*>(dst->get());
    if (s3 == nullptr) return Fail(verger::Status::InvalidArgument("--create-bucket needs an s3:// destination"));
    verger::Status st = s3->CreateBucket();
    if (!st.ok()) return Fail(st);
  }
  auto listing = (*src)->List("", nullptr);
  if (!listing.ok()) return Fail(listing.status());
  for (const auto& p : listing->problems) std::fprintf(stderr, "s3_copy: skipped %s: %s\n", p.key.c_str(), p.reason.c_str());
  std::atomic<size_t> next{0};
  std::atomic<int> failed{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (size_t i = next++; i < listing->objects.size(); i = next++) {
        const std::string& key = listing->objects[i].key;
        auto data = (*src)->Read(key);
        verger::Status st = data.ok() ? (*dst)->WriteAtomic(key, *data) : data.status();
        if (!st.ok()) {
          Fail(st);
          ++failed;
        }
      }
    });
  }
  for (auto& t : pool) t.join();
  std::printf("copied %zu objects from %s to %s (%lld retries)\n", listing->objects.size() - failed.load(),
              (*src)->uri().c_str(), (*dst)->uri().c_str(),
              static_cast<long long>((*src)->retries() + (*dst)->retries()));
  return failed.load() == 0 ? 0 : 1;
}
