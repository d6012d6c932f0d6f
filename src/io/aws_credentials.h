// The AWS credential chain, in the SDKs' order:
//   1. environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (+ AWS_SESSION_TOKEN)
//   2. shared files: profile AWS_PROFILE (default "default") in
//      AWS_SHARED_CREDENTIALS_FILE (~/.aws/credentials), then in
//      AWS_CONFIG_FILE (~/.aws/config, "[profile x]" sections)
//   3. EC2/EMR instance role through IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT
//      (default http://169.254.169.254), unless AWS_EC2_METADATA_DISABLED=true;
//      refreshed before its Expiration.
// The source that answered is recorded for messages; secrets never are.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/status.h"
#include "io/aws_config.h"
#include "io/aws_types.h"
#include "io/http_client.h"

namespace verger {

struct CredentialChainOptions {
  EnvLookup env = ProcessEnv();
  long imds_timeout_ms = 1000;  // per request; the metadata service is local or absent
  int imds_attempts = 2;
  // Instance-role credentials are renewed this long before they expire.
  std::chrono::seconds refresh_before{300};
};

// Fetches instance-role credentials via IMDSv2 (token PUT, role list GET,
// role GET). `endpoint` like "http://169.254.169.254". PermissionDenied
// naming the step that failed. Thread-safe.
Result<AwsCredentials> FetchImdsCredentials(const HttpClient& http, const std::string& endpoint, long timeout_ms,
                                            int attempts);

class AwsCredentialsProvider {
 public:
  // Walks the chain now. PermissionDenied when no source has credentials
  // (the message lists what was tried and why each failed); NotFound when
  // AWS_PROFILE names a profile in neither file; Unsupported for profiles
  // that only delegate (role_arn, sso, credential_process).
  static Result<std::shared_ptr<AwsCredentialsProvider>> Resolve(CredentialChainOptions options = {});
  // Fixed credentials (tests, callers that resolved them elsewhere).
  static std::shared_ptr<AwsCredentialsProvider> Static(AwsCredentials creds);

  // The current credentials; instance-role ones are refreshed when within
  // refresh_before of expiring (a failed refresh keeps still-valid ones).
  // Thread-safe.
  Result<AwsCredentials> Get();
  // Makes the next Get() refresh refreshable credentials (after an
  // ExpiredToken answer); no effect on fixed ones. Thread-safe.
  void Invalidate();

  // "environment", "profile 'x' in /root/.aws/credentials",
  // "instance role 'r' via IMDSv2". Thread-safe.
  std::string source() const;
  // How many times instance-role credentials were renewed. Thread-safe.
  int64_t refreshes() const;

 private:
  AwsCredentialsProvider() = default;

  mutable std::mutex mu_;
  AwsCredentials creds_;
  CredentialChainOptions options_;
  std::string imds_endpoint_;  // set when the credentials came from IMDS
  std::unique_ptr<HttpClient> http_;
  bool invalid_ = false;
  int64_t refreshes_ = 0;
};

}  // namespace verger
