// A small thread-safe HTTP client on libcurl. Many threads may call Perform()
// at once: each call borrows an easy handle from a pool (handles keep their
// live connections between calls) and all handles share one DNS cache, TLS
// session cache and connection cache through a CURLSH.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace verger {

struct HttpRequest {
  std::string method = "GET";  // GET, HEAD, PUT, POST, DELETE
  std::string url;             // fully encoded
  std::vector<std::pair<std::string, std::string>> headers;
  std::span<const uint8_t> body;  // borrowed; must outlive Perform()
  long connect_timeout_ms = 10000;
  long timeout_ms = 0;          // whole request; 0 = none (a stall is caught by low_speed_time_s)
  long low_speed_time_s = 60;   // abort when under 1 byte/s for this long
};

struct HttpResponse {
  long status = 0;  // 0 when the transfer failed (see curl_code)
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::vector<uint8_t> body;
  int curl_code = 0;            // CURLcode; 0 = transfer completed
  std::string transport_error;  // curl's message when curl_code != 0

  bool transferred() const { return curl_code == 0; }
  // First header named `name` (lower-case), or "".
  std::string Header(std::string_view name) const;
  std::string BodyText() const { return std::string(body.begin(), body.end()); }
};

class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Performs one request; never throws. Transport failures come back with
  // curl_code set, HTTP errors with their status. Thread-safe.
  HttpResponse Perform(const HttpRequest& req) const;

  // Whether a failed transfer is worth retrying (reset, timeout, refused...).
  static bool IsTransientTransportError(int curl_code);

 private:
  struct Shared;
  void* Acquire() const;
  void Release(void* handle) const;

  std::unique_ptr<Shared> shared_;
};

}  // namespace verger
