// Signed, retried S3 REST calls over HttpClient. Knows addressing (virtual-
// hosted or path-style, AWS or a custom endpoint), SigV4, the retry policy
// and how S3 errors map to Status; knows nothing about ObjectStore.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/status.h"
#include "io/aws_credentials.h"
#include "io/http_client.h"
#include "io/sigv4.h"

namespace verger {

// Exponential back-off with full jitter: before retry n (1-based) sleep a
// uniform random time in [0, min(cap, base * 2^(n-1))].
struct S3RetryPolicy {
  int max_attempts = 8;
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{5000};
};

struct S3ClientConfig {
  std::string endpoint;  // "" = AWS (https://s3.<region>.amazonaws.com); else e.g. http://127.0.0.1:7480
  std::string region = "us-east-1";
  bool path_style = false;  // bucket in the path instead of the host name
  S3RetryPolicy retry;
  long connect_timeout_ms = 10000;
  long low_speed_time_s = 60;  // a transfer under 1 byte/s this long is a timeout
};

class S3Client {
 public:
  struct Call {
    std::string method;        // GET, HEAD, PUT, POST, DELETE
    std::string bucket;
    std::string key;           // raw object key ("" for bucket-level calls)
    sigv4::KeyValues query;    // raw names and values
    sigv4::KeyValues headers;  // extra headers to send and sign
    std::span<const uint8_t> body;
    std::string what;          // for messages, e.g. "s3://bucket/key"
  };

  // Validates the endpoint (scheme http or https, host, optional port).
  static Result<std::unique_ptr<S3Client>> Create(S3ClientConfig config,
                                                  std::shared_ptr<AwsCredentialsProvider> credentials);

  // Signs and sends `call`, retrying transient failures (transport resets
  // and timeouts, 5xx, 429, SlowDown, RequestTimeout, InternalError). A 2xx
  // answer comes back as the response. Errors name call.what, the method
  // and URL (never credentials), the HTTP status and the S3 <Code>:
  // NotFound for 404; PermissionDenied for 401/403 (no retries; the message
  // names the credential source); Unavailable for transport failures and
  // once retries are exhausted (the store, not the object, is the problem);
  // IOError for other failures. Thread-safe.
  Result<HttpResponse> Send(const Call& call) const;

  // URL of an object (or bucket when key is ""), fully encoded.
  std::string Url(const std::string& bucket, const std::string& key) const;
  const S3ClientConfig& config() const { return config_; }
  // Retries performed so far by all calls. Thread-safe.
  int64_t retries() const { return retries_.load(std::memory_order_relaxed); }
  AwsCredentialsProvider& credentials() const { return *credentials_; }

  // The <Code> of an S3 error body, or "" (HEAD answers have no body).
  static std::string ErrorCode(const HttpResponse& resp);

 private:
  S3Client(S3ClientConfig config, std::shared_ptr<AwsCredentialsProvider> credentials);
  // Host header value and canonical path for a bucket/key.
  std::string Host(const std::string& bucket) const;
  std::string Path(const std::string& bucket, const std::string& key) const;
  bool PathStyleFor(const std::string& bucket) const;

  S3ClientConfig config_;
  std::string scheme_;    // "http" / "https"
  std::string hostport_;  // endpoint host[:port], as sent in Host
  std::shared_ptr<AwsCredentialsProvider> credentials_;
  HttpClient http_;
  mutable std::atomic<int64_t> retries_{0};
};

}  // namespace verger
