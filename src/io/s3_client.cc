#include "io/s3_client.h"

#include <algorithm>
#include <random>
#include <thread>

#include "io/s3_xml.h"

namespace verger {

namespace {

bool RetryableCode(const std::string& code) {
  return code == "SlowDown" || code == "RequestTimeout" || code == "InternalError" || code == "ServiceUnavailable" ||
         code == "Throttling" || code == "ThrottlingException" || code == "RequestLimitExceeded" ||
         code == "OperationAborted";
}

bool ExpiredTokenCode(const std::string& code) {
  return code == "ExpiredToken" || code == "TokenRefreshRequired" || code == "RequestExpired";
}

std::chrono::milliseconds Backoff(const S3RetryPolicy& p, int retry) {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  long long ceiling = p.base.count();
  for (int i = 1; i < retry && ceiling < p.cap.count(); ++i) ceiling *= 2;
  ceiling = std::max<long long>(std::min<long long>(ceiling, p.cap.count()), 0);
  std::uniform_int_distribution<long long> dist(0, ceiling);
  return std::chrono::milliseconds(dist(rng));
}

std::string Outcome(const HttpResponse& r) {
  if (!r.transferred()) return "transfer failed: " + r.transport_error;
  std::string code = S3Client::ErrorCode(r);
  std::string out = "HTTP " + std::to_string(r.status);
  if (!code.empty()) out += " " + code;
  std::string_view body(reinterpret_cast<const char*>(r.body.data()), r.body.size());
  std::string msg = code.empty() ? "" : s3xml::Text(body, "Message");
  if (!msg.empty()) out += " (" + msg + ")";
  return out;
}

}  // namespace

std::string S3Client::ErrorCode(const HttpResponse& resp) {
  std::string_view body(reinterpret_cast<const char*>(resp.body.data()), resp.body.size());
  if (body.find("<Error") == std::string_view::npos) return "";
  auto err = s3xml::Elements(body, "Error");
  return err.empty() ? "" : s3xml::Text(err.front(), "Code");
}

S3Client::S3Client(S3ClientConfig config, std::shared_ptr<AwsCredentialsProvider> credentials)
    : config_(std::move(config)), credentials_(std::move(credentials)) {}

Result<std::unique_ptr<S3Client>> S3Client::Create(S3ClientConfig config,
                                                   std::shared_ptr<AwsCredentialsProvider> credentials) {
  std::unique_ptr<S3Client> c(new S3Client(std::move(config), std::move(credentials)));
  std::string ep = c->config_.endpoint;
  if (ep.empty()) {
    c->scheme_ = "https";
    c->hostport_ = "s3." + c->config_.region + ".amazonaws.com";
  } else {
    auto sep = ep.find("://");
    c->scheme_ = sep == std::string::npos ? "https" : ep.substr(0, sep);
    std::string rest = sep == std::string::npos ? ep : ep.substr(sep + 3);
    while (!rest.empty() && rest.back() == '/') rest.pop_back();
    if (c->scheme_ != "http" && c->scheme_ != "https")
      return Status::InvalidArgument("S3 endpoint '" + ep + "': scheme must be http:// or https://");
    if (rest.empty() || rest.find('/') != std::string::npos || rest.find('@') != std::string::npos ||
        rest.find('?') != std::string::npos)
      return Status::InvalidArgument("S3 endpoint '" + ep + "': give scheme://host[:port] with no path or user");
    // Default ports are left out of Host, as curl does.
    if (c->scheme_ == "http" && rest.ends_with(":80")) rest.resize(rest.size() - 3);
    if (c->scheme_ == "https" && rest.ends_with(":443")) rest.resize(rest.size() - 4);
    c->hostport_ = rest;
  }
  return c;
}

bool S3Client::PathStyleFor(const std::string& bucket) const {
  // Dotted bucket names break TLS wildcard certificates when virtual-hosted.
  return config_.path_style || bucket.empty() || (scheme_ == "https" && bucket.find('.') != std::string::npos);
}

std::string S3Client::Host(const std::string& bucket) const {
  return PathStyleFor(bucket) ? hostport_ : bucket + "." + hostport_;
}

std::string S3Client::Path(const std::string& bucket, const std::string& key) const {
  std::string enc = sigv4::UriEncode(key, /*encode_slash=*/false);
  if (PathStyleFor(bucket)) return "/" + bucket + (key.empty() ? "" : "/" + enc);
  return "/" + enc;
}

std::string S3Client::Url(const std::string& bucket, const std::string& key) const {
  return scheme_ + "://" + Host(bucket) + Path(bucket, key);
}

Result<HttpResponse> S3Client::Send(const Call& call) const {
  const std::string payload_hash = sigv4::HexSha256(call.body);
  const std::string host = Host(call.bucket);
  const std::string path = Path(call.bucket, call.key);
  const std::string query = sigv4::CanonicalQuery(call.query);
  const std::string url = scheme_ + "://" + host + path + (query.empty() ? "" : "?" + query);
  const std::string where = call.what + " (" + call.method + " " + url + ")";
  bool refreshed = false;
  HttpResponse resp;
  for (int attempt = 1; attempt <= config_.retry.max_attempts; ++attempt) {
    if (attempt > 1) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      std::this_thread::sleep_for(Backoff(config_.retry, attempt - 1));
    }
    VERGER_ASSIGN_OR_RETURN(AwsCredentials creds, credentials_->Get());
    const std::string amz_date = sigv4::AmzDate(std::chrono::system_clock::now());
    sigv4::Request sreq;
    sreq.method = call.method;
    sreq.canonical_uri = path;
    sreq.query = call.query;
    sreq.payload_hash = payload_hash;
    sreq.headers = {{"host", host}, {"x-amz-date", amz_date}, {"x-amz-content-sha256", payload_hash}};
    if (!creds.session_token.empty()) sreq.headers.emplace_back("x-amz-security-token", creds.session_token);
    for (const auto& h : call.headers) sreq.headers.push_back(h);
    const sigv4::Signed sig = sigv4::Sign(sreq, creds, amz_date, config_.region, "s3");

    HttpRequest hreq;
    hreq.method = call.method;
    hreq.url = url;
    hreq.body = call.body;
    hreq.connect_timeout_ms = config_.connect_timeout_ms;
    hreq.low_speed_time_s = config_.low_speed_time_s;
    for (const auto& h : sreq.headers)
      if (h.first != "host") hreq.headers.push_back(h);  // curl sends Host from the URL
    hreq.headers.emplace_back("Authorization", sig.authorization);
    resp = http_.Perform(hreq);

    if (!resp.transferred()) {
      if (HttpClient::IsTransientTransportError(resp.curl_code)) continue;
      // No answer at all: nothing here is about this one object.
      return Status::Unavailable(where + ": " + Outcome(resp));
    }
    if (resp.status >= 200 && resp.status < 300) return resp;
    const std::string code = ErrorCode(resp);
    if ((resp.status == 400 || resp.status == 403) && ExpiredTokenCode(code) && !refreshed) {
      // Temporary credentials ran out between our refresh and the call.
      credentials_->Invalidate();
      refreshed = true;
      continue;
    }
    if (resp.status == 401 || resp.status == 403)
      return Status::PermissionDenied(where + ": " + Outcome(resp) + "; credentials from " + creds.source);
    if (resp.status == 404) return Status::NotFound(where + ": " + Outcome(resp));
    if (resp.status >= 500 || resp.status == 429 || RetryableCode(code)) continue;
    return Status::IOError(where + ": " + Outcome(resp));
  }
  // Only connection failures, 5xx and throttling are retried: once they
  // outlast the retries, the store is down for every object, not this one.
  return Status::Unavailable(where + ": store unreachable, gave up after " +
                             std::to_string(config_.retry.max_attempts) + " attempts; last: " + Outcome(resp));
}

}  // namespace verger
