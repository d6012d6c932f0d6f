// AWS Signature Version 4 (header form), written against the published rules
// and checked against AWS's test-suite vectors (sigv4_test.cc).
// Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "io/aws_types.h"

namespace verger::sigv4 {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// SHA-256 of the empty string, the payload hash of a body-less request.
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

// RFC 3986 percent-encoding as AWS defines it: A-Z a-z 0-9 - _ . ~ stay,
// everything else becomes %XX (upper-case hex) of each UTF-8 byte; '/'
// stays unless encode_slash.
std::string UriEncode(std::string_view s, bool encode_slash);

// Decodes %XX escapes; with plus_is_space also '+' -> ' ' (the form encoding
// S3 uses for keys in encoding-type=url listings). Invalid escapes are kept
// verbatim.
std::string UrlDecode(std::string_view s, bool plus_is_space);

// "20150830T123600Z" for a point in time (UTC).
std::string AmzDate(std::chrono::system_clock::time_point t);

std::string HexSha256(std::span<const uint8_t> bytes);
std::string HexSha256(std::string_view text);

struct Request {
  std::string method;         // "GET", "PUT", ...
  std::string canonical_uri;  // already URI-encoded path, e.g. UriEncode("/a b", false)
  KeyValues query;            // raw (decoded) names and values; encoded and sorted here
  KeyValues headers;          // as sent; must include "host" and "x-amz-date"
  std::string payload_hash;   // hex SHA-256 of the body, or "UNSIGNED-PAYLOAD"
};

struct Signed {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signed_headers;  // "host;x-amz-date"
  std::string signature;       // lower-case hex
  std::string authorization;   // the Authorization header value
};

// Canonical query string: names and values UriEncode'd (slash too), sorted
// by name then value, joined with '&'. Also what S3Client puts on the wire.
std::string CanonicalQuery(const KeyValues& query);

// Signs `req` at `amz_date` (must equal the x-amz-date header) for `region`
// and `service` (e.g. "s3"). Header names are lower-cased, values trimmed
// with inner runs of spaces collapsed, repeated names joined with ','.
Signed Sign(const Request& req, const AwsCredentials& creds, std::string_view amz_date,
            std::string_view region, std::string_view service);

}  // namespace verger::sigv4
