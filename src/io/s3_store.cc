#include "io/s3_store.h"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <limits>
#include <set>

#include "core/file_util.h"
#include "io/s3_xml.h"

namespace verger {

namespace {

bool ValidBucketName(std::string_view b) {
  if (b.size() < 3 || b.size() > 63) return false;
  for (char c : b)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_')) return false;
  return true;
}

// "2026-11-24T07:11:00.123Z" -> ns since the epoch; 0 if it does not parse.
int64_t ParseLastModified(const std::string& s) {
  std::tm tm{};
  const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr) return 0;
  int64_t ns = static_cast<int64_t>(timegm(&tm)) * 1000000000LL;
  if (*rest == '.') {
    int64_t scale = 100000000LL;
    for (++rest; *rest >= '0' && *rest <= '9' && scale > 0; ++rest, scale /= 10) ns += (*rest - '0') * scale;
  }
  return ns;
}

std::string StripQuotes(std::string s) {
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

std::string_view BodyView(const HttpResponse& r) {
  return std::string_view(reinterpret_cast<const char*>(r.body.data()), r.body.size());
}

std::span<const uint8_t> AsBytes(const std::string& s) {
  return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

}  // namespace

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(std::string_view uri, const StoreOptions& options,
                                                           S3Tuning tuning) {
  std::string u(uri);
  if (u.rfind("s3://", 0) != 0) return Status::InvalidArgument(u + ": not an s3:// location");
  std::string rest = u.substr(5);
  auto slash = rest.find('/');
  std::string bucket = rest.substr(0, slash);
  std::string prefix = slash == std::string::npos ? "" : rest.substr(slash + 1);
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!ValidBucketName(bucket))
    return Status::InvalidArgument(u + ": '" + bucket + "' is not a valid bucket name (3-63 of a-z 0-9 . - _)");
  if (!prefix.empty()) {
    Status st = ValidateKey(prefix);
    if (!st.ok()) return Status::InvalidArgument(u + ": bad prefix: " + st.message());
  }
  if (tuning.part_size == 0 || tuning.max_keys <= 0)
    return Status::InvalidArgument(u + ": multipart part size and page size must be > 0");
  if (!tuning.env) tuning.env = ProcessEnv();

  S3ClientConfig cfg;
  cfg.endpoint = ResolveS3Endpoint(tuning.env, options.s3_endpoint);
  cfg.region = ResolveAwsRegion(tuning.env, options.s3_region);
  // Custom endpoints (RGW, MinIO) rarely have wildcard DNS: path-style.
  cfg.path_style = tuning.path_style.value_or(options.s3_path_style || !cfg.endpoint.empty());
  cfg.retry = tuning.retry;
  if (!tuning.credentials) {
    CredentialChainOptions chain;
    chain.env = tuning.env;
    auto creds = AwsCredentialsProvider::Resolve(chain);
    if (!creds.ok()) return creds.status().WithContext(u);
    tuning.credentials = std::move(creds).value();
  }
  auto client = S3Client::Create(cfg, tuning.credentials);
  if (!client.ok()) return client.status().WithContext(u);

  std::unique_ptr<S3ObjectStore> store(new S3ObjectStore());
  store->bucket_ = std::move(bucket);
  store->prefix_ = std::move(prefix);
  store->root_ = store->prefix_.empty() ? "" : store->prefix_ + "/";
  store->tuning_ = std::move(tuning);
  store->client_ = std::move(client).value();
  return store;
}

std::string S3ObjectStore::uri() const { return "s3://" + bucket_ + (prefix_.empty() ? "" : "/" + prefix_); }

std::string S3ObjectStore::Describe(std::string_view key) const { return "s3://" + bucket_ + "/" + ObjectKey(key); }

Result<Listing> S3ObjectStore::List(std::string_view prefix, bool (*accept)(std::string_view)) const {
  return ListFromEach(prefix, accept);
}

// ListObjectsV2 returns keys in UTF-8 binary (bytewise) order, page after
// page; each page is sorted again in case a compatible store is sloppier,
// and handed over before the next is fetched.
Status S3ObjectStore::ListEach(std::string_view prefix, bool (*accept)(std::string_view), const ObjectVisitor& visit,
                               std::vector<ListingProblem>* problems) const {
  const std::string full = root_ + std::string(prefix);
  std::string token;
  std::set<std::string> seen_tokens;
  for (int page = 1;; ++page) {
    S3Client::Call call;
    call.method = "GET";
    call.bucket = bucket_;
    call.query = {{"list-type", "2"}, {"encoding-type", "url"}, {"max-keys", std::to_string(tuning_.max_keys)}};
    if (!full.empty()) call.query.emplace_back("prefix", full);
    if (!token.empty()) call.query.emplace_back("continuation-token", token);
    call.what = "listing s3://" + bucket_ + "/" + full;
    VERGER_ASSIGN_OR_RETURN(HttpResponse resp, client_->Send(call));
    const std::string_view body = BodyView(resp);
    const bool url_encoded = s3xml::Text(body, "EncodingType") == "url";
    std::vector<ObjectInfo> page_objects;
    for (std::string_view c : s3xml::Elements(body, "Contents")) {
      std::string raw = s3xml::Text(c, "Key");
      // Keys come form-encoded: '+' is a space, a real '+' is %2B.
      std::string key = url_encoded ? sigv4::UrlDecode(raw, /*plus_is_space=*/true) : raw;
      if (key.compare(0, root_.size(), root_) != 0) {
        problems->push_back({key, "outside the prefix " + root_ + " that was listed"});
        continue;
      }
      std::string rel = key.substr(root_.size());
      if (rel.empty() || rel.back() == '/') continue;  // folder markers made by consoles
      if (accept != nullptr && !accept(rel)) continue;
      Status valid = ValidateKey(rel);
      if (!valid.ok()) {
        problems->push_back({rel, "cannot be addressed as an object key: " + valid.message()});
        continue;
      }
      ObjectInfo info;
      info.key = std::move(rel);
      info.size = std::strtoull(s3xml::Text(c, "Size").c_str(), nullptr, 10);
      info.etag = StripQuotes(s3xml::Text(c, "ETag"));
      info.mtime_ns = ParseLastModified(s3xml::Text(c, "LastModified"));
      page_objects.push_back(std::move(info));
    }
    std::sort(page_objects.begin(), page_objects.end(),
              [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
    for (auto& o : page_objects) VERGER_RETURN_IF_ERROR(visit(std::move(o)));
    if (s3xml::Text(body, "IsTruncated") != "true") break;
    token = s3xml::Text(body, "NextContinuationToken");
    if (token.empty() || !seen_tokens.insert(token).second) {
      problems->push_back({std::string(prefix), "listing stopped after page " + std::to_string(page) +
                                                       ": truncated answer without a new continuation token"});
      break;
    }
  }
  return Status::OK();
}

S3Client::Call S3ObjectStore::ObjectCall(const char* method, std::string_view key) const {
  S3Client::Call call;
  call.method = method;
  call.bucket = bucket_;
  call.key = ObjectKey(key);
  call.what = Describe(key);
  return call;
}

Result<std::vector<uint8_t>> S3ObjectStore::Read(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  S3Client::Call call = ObjectCall("GET", key);
  VERGER_ASSIGN_OR_RETURN(HttpResponse resp, client_->Send(call));
  return std::move(resp.body);
}

Result<std::vector<uint8_t>> S3ObjectStore::ReadAtMost(std::string_view key, uint64_t max_bytes) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  if (max_bytes == std::numeric_limits<uint64_t>::max()) return Read(key);
  S3Client::Call call = ObjectCall("GET", key);
  // One byte more than allowed tells "too big" from "exactly the limit".
  call.headers = {{"range", "bytes=0-" + std::to_string(max_bytes)}};
  auto resp = client_->Send(call);
  if (!resp.ok()) {
    // A range on an empty object is unsatisfiable (416): the object is empty.
    if (resp.status().message().find("InvalidRange") != std::string::npos) return std::vector<uint8_t>{};
    return resp.status();
  }
  if (resp->body.size() > max_bytes) {
    // Content-Range: bytes 0-N/TOTAL names the full size.
    const std::string range = resp->Header("content-range");
    const auto slash = range.rfind('/');
    const uint64_t total = slash == std::string::npos ? resp->body.size()
                                                      : std::strtoull(range.c_str() + slash + 1, nullptr, 10);
    return Status::ResourceExhausted(Describe(key) + ": " + FileTooBigMessage(total, max_bytes));
  }
  return std::move(resp->body);
}

Status S3ObjectStore::WriteAtomic(std::string_view key, std::span<const uint8_t> data) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  // A PUT is atomic in S3: readers see the old object or the new one.
  if (data.size() > tuning_.multipart_threshold) return MultipartUpload(key, data);
  S3Client::Call call = ObjectCall("PUT", key);
  call.body = data;
  call.headers = {{"content-type", "application/octet-stream"}};
  return client_->Send(call).status();
}

Status S3ObjectStore::MultipartUpload(std::string_view key, std::span<const uint8_t> data) {
  const std::string what = Describe(key);
  const std::string object_key = ObjectKey(key);
  S3Client::Call call;
  call.bucket = bucket_;
  call.key = object_key;
  call.method = "POST";
  call.query = {{"uploads", ""}};
  call.headers = {{"content-type", "application/octet-stream"}};
  call.what = what + " (start multipart upload)";
  VERGER_ASSIGN_OR_RETURN(HttpResponse init, client_->Send(call));
  const std::string upload_id = s3xml::Text(BodyView(init), "UploadId");
  if (upload_id.empty()) return Status::IOError(what + ": multipart upload started without an UploadId");

  // Nothing becomes visible until Complete; on failure, free the parts.
  auto abort = [&](const Status& cause) {
    S3Client::Call a;
    a.method = "DELETE";
    a.bucket = bucket_;
    a.key = object_key;
    a.query = {{"uploadId", upload_id}};
    a.what = what + " (abort multipart upload)";
    Status st = client_->Send(a).status();
    if (!st.ok()) return Status(cause.code(), cause.message() + "; abort also failed: " + st.message());
    return cause;
  };

  std::string complete = "<CompleteMultipartUpload>";
  int number = 0;
  for (uint64_t off = 0; off < data.size(); off += tuning_.part_size) {
    ++number;
    S3Client::Call p;
    p.method = "PUT";
    p.bucket = bucket_;
    p.key = object_key;
    p.query = {{"partNumber", std::to_string(number)}, {"uploadId", upload_id}};
    p.body = data.subspan(off, std::min<uint64_t>(tuning_.part_size, data.size() - off));
    p.what = what + " (part " + std::to_string(number) + ")";
    auto resp = client_->Send(p);
    if (!resp.ok()) return abort(resp.status());
    std::string etag = resp->Header("etag");
    if (etag.empty()) return abort(Status::IOError(p.what + ": no ETag in the answer"));
    complete += "<Part><PartNumber>" + std::to_string(number) + "</PartNumber><ETag>" + s3xml::Escape(etag) +
                "</ETag></Part>";
  }
  complete += "</CompleteMultipartUpload>";
  S3Client::Call c;
  c.method = "POST";
  c.bucket = bucket_;
  c.key = object_key;
  c.query = {{"uploadId", upload_id}};
  c.headers = {{"content-type", "application/xml"}};
  c.body = AsBytes(complete);
  c.what = what + " (complete multipart upload)";
  auto done = client_->Send(c);
  if (!done.ok()) return abort(done.status());
  // S3 may answer 200 and still report an error in the body.
  std::string code = S3Client::ErrorCode(*done);
  if (!code.empty()) return abort(Status::IOError(c.what + ": " + code));
  return Status::OK();
}

Result<bool> S3ObjectStore::Exists(std::string_view key) const {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  S3Client::Call call = ObjectCall("HEAD", key);
  auto resp = client_->Send(call);
  if (resp.ok()) return true;
  if (resp.status().code() == StatusCode::kNotFound) return false;
  return resp.status();
}

Status S3ObjectStore::Delete(std::string_view key) {
  VERGER_RETURN_IF_ERROR(ValidateKey(key));
  S3Client::Call call = ObjectCall("DELETE", key);
  auto resp = client_->Send(call);
  if (!resp.ok() && resp.status().code() == StatusCode::kNotFound &&
      resp.status().message().find("NoSuchKey") != std::string::npos)
    return Status::OK();
  return resp.status();
}

Status S3ObjectStore::CreateBucket() {
  S3Client::Call call;
  call.method = "PUT";
  call.bucket = bucket_;
  call.what = "s3://" + bucket_ + " (create bucket)";
  std::string body;
  if (client_->config().region != "us-east-1") {
    body = "<CreateBucketConfiguration><LocationConstraint>" + s3xml::Escape(client_->config().region) +
           "</LocationConstraint></CreateBucketConfiguration>";
    call.body = AsBytes(body);
  }
  auto resp = client_->Send(call);
  if (!resp.ok() && resp.status().message().find("BucketAlreadyOwnedByYou") != std::string::npos) return Status::OK();
  return resp.status();
}

}  // namespace verger
