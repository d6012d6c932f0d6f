// ObjectStore over S3 (AWS or any S3-compatible endpoint such as Ceph RGW or
// MinIO), for locations s3://bucket/prefix. Keys are relative to prefix.
// Credentials come from the AWS chain (aws_credentials.h), region and
// endpoint from StoreOptions, then the AWS environment (aws_config.h).
//
// Thread safety: every method may be called from many threads at once; all
// share one pool of HTTP connections.
// Not-found behaviour: Read -> NotFound; Exists -> false; Delete -> OK;
// List -> NotFound only if the bucket does not exist (an unused prefix lists
// as empty).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "io/aws_config.h"
#include "io/aws_credentials.h"
#include "io/object_store.h"
#include "io/s3_client.h"

namespace verger {

// Knobs beyond StoreOptions, mostly for tests.
struct S3Tuning {
  // Objects larger than this are sent as a multipart upload (aborted on
  // failure); smaller ones as one PUT. S3 wants parts >= 5 MiB but the last.
  uint64_t multipart_threshold = 64ull << 20;
  uint64_t part_size = 16ull << 20;
  int max_keys = 1000;             // ListObjectsV2 page size (S3 caps it at 1,000)
  std::optional<bool> path_style;  // default: StoreOptions.s3_path_style, or true for custom endpoints
  S3RetryPolicy retry;
  // Null: resolve the AWS credential chain from `env` when opening.
  std::shared_ptr<AwsCredentialsProvider> credentials;
  EnvLookup env;  // null: the process environment
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Parses s3://bucket[/prefix], resolves region, endpoint and credentials.
  // No network call is made except for instance-role credentials.
  // InvalidArgument for a malformed URI or endpoint; the credential chain's
  // errors otherwise.
  static Result<std::unique_ptr<S3ObjectStore>> Open(std::string_view uri, const StoreOptions& options,
                                                     S3Tuning tuning = {});

  std::string uri() const override;
  std::string Describe(std::string_view key) const override;
  Result<Listing> List(std::string_view prefix, bool (*accept)(std::string_view key)) const override;
  Status ListEach(std::string_view prefix, bool (*accept)(std::string_view key), const ObjectVisitor& visit,
                  std::vector<ListingProblem>* problems) const override;
  Result<std::vector<uint8_t>> Read(std::string_view key) const override;
  // A ranged GET of at most max_bytes + 1 bytes.
  Result<std::vector<uint8_t>> ReadAtMost(std::string_view key, uint64_t max_bytes) const override;
  Status WriteAtomic(std::string_view key, std::span<const uint8_t> data) override;
  Result<bool> Exists(std::string_view key) const override;
  Status Delete(std::string_view key) override;

  // Creates the bucket; OK if this account already owns it. For tests and
  // setup tools.
  Status CreateBucket();

  int64_t retries() const override { return client_->retries(); }
  // Many requests in flight hide the network's latency.
  int preferred_io_concurrency() const override { return 32; }
  // Where the credentials came from, e.g. "environment".
  std::string credential_source() const { return client_->credentials().source(); }
  const std::string& bucket() const { return bucket_; }
  const std::string& prefix() const { return prefix_; }
  const S3Client& client() const { return *client_; }

 private:
  S3ObjectStore() = default;
  std::string ObjectKey(std::string_view key) const { return root_ + std::string(key); }
  // A request on one object of this store, named for errors by Describe(key).
  S3Client::Call ObjectCall(const char* method, std::string_view key) const;
  Status MultipartUpload(std::string_view key, std::span<const uint8_t> data);

  std::string bucket_;
  std::string prefix_;  // without trailing '/'
  std::string root_;    // prefix_ + "/", or "" at the bucket root
  S3Tuning tuning_;
  std::unique_ptr<S3Client> client_;
};

}  // namespace verger
