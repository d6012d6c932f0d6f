// Plain AWS value types shared by the signer, the credential chain and the
// S3 client.
#pragma once

#include <chrono>
#include <string>

namespace verger {

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;  // never logged, never in a Status message
  std::string session_token;      // empty for long-term keys
  // Where these came from, for messages: "environment", "profile 'x' in
  // /root/.aws/credentials", "instance role 'r' via IMDSv2".
  std::string source;
  // When temporary credentials stop working; max() for long-term keys.
  std::chrono::system_clock::time_point expiration = std::chrono::system_clock::time_point::max();
};

}  // namespace verger
