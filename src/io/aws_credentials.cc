#include "io/aws_credentials.h"
#include "core/json_field.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <ctime>
#include <optional>

#include "core/file_util.h"

namespace verger {

namespace {

// "2026-11-24T13:00:00Z" -> time point; nullopt if it does not parse.
std::optional<std::chrono::system_clock::time_point> ParseIso8601(const std::string& s) {
  std::tm tm{};
  if (strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) == nullptr) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

bool IsTrue(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string s = *v;
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s == "true" || s == "1";
}

std::string Outcome(const HttpResponse& r) {
  if (!r.transferred()) return r.transport_error;
  return "HTTP " + std::to_string(r.status);
}

HttpResponse ImdsCall(const HttpClient& http, const HttpRequest& req, int attempts) {
  HttpResponse r;
  for (int i = 0; i < std::max(attempts, 1); ++i) {
    r = http.Perform(req);
    if (r.transferred() && r.status < 500) break;
  }
  return r;
}

// Credentials from one section of a shared file; nullopt if it has no keys.
std::optional<AwsCredentials> FromSection(const std::map<std::string, std::string>& sec, std::string source) {
  auto k = sec.find("aws_access_key_id");
  auto s = sec.find("aws_secret_access_key");
  if (k == sec.end() || s == sec.end() || k->second.empty() || s->second.empty()) return std::nullopt;
  AwsCredentials c;
  c.access_key_id = k->second;
  c.secret_access_key = s->second;
  if (auto t = sec.find("aws_session_token"); t != sec.end()) c.session_token = t->second;
  c.source = std::move(source);
  return c;
}

bool Delegates(const std::map<std::string, std::string>& sec) {
  return sec.count("role_arn") || sec.count("sso_start_url") || sec.count("sso_session") ||
         sec.count("credential_process") || sec.count("web_identity_token_file");
}

}  // namespace

Result<AwsCredentials> FetchImdsCredentials(const HttpClient& http, const std::string& endpoint, long timeout_ms,
                                            int attempts) {
  std::string base = endpoint;
  while (!base.empty() && base.back() == '/') base.pop_back();
  HttpRequest req;
  req.connect_timeout_ms = timeout_ms;
  req.timeout_ms = timeout_ms;
  req.method = "PUT";
  req.url = base + "/latest/api/token";
  req.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}};
  HttpResponse tok = ImdsCall(http, req, attempts);
  if (!tok.transferred() || tok.status != 200)
    return Status::PermissionDenied("instance metadata at " + base + ": no IMDSv2 token (" + Outcome(tok) + ")");
  std::string token = tok.BodyText();

  req.method = "GET";
  req.headers = {{"X-aws-ec2-metadata-token", token}};
  req.url = base + "/latest/meta-data/iam/security-credentials/";
  HttpResponse roles = ImdsCall(http, req, attempts);
  if (!roles.transferred() || roles.status != 200)
    return Status::PermissionDenied("instance metadata at " + base + ": no instance role (" + Outcome(roles) + ")");
  std::string role = roles.BodyText();
  role = role.substr(0, role.find('\n'));
  while (!role.empty() && (role.back() == '\r' || role.back() == ' ')) role.pop_back();
  if (role.empty()) return Status::PermissionDenied("instance metadata at " + base + ": no instance role attached");

  req.url = base + "/latest/meta-data/iam/security-credentials/" + role;
  HttpResponse cr = ImdsCall(http, req, attempts);
  std::string where = "instance role '" + role + "' via IMDSv2";
  if (!cr.transferred() || cr.status != 200)
    return Status::PermissionDenied(where + ": cannot fetch credentials (" + Outcome(cr) + ")");
  auto j = nlohmann::json::parse(cr.BodyText(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object())
    return Status::PermissionDenied(where + ": credentials document is not JSON");
  if (JsonField(j, "Code", std::string("Success")) != "Success")
    return Status::PermissionDenied(where + ": metadata service says " + JsonField(j, "Code", std::string()));
  AwsCredentials c;
  c.access_key_id = JsonField(j, "AccessKeyId", std::string());
  c.secret_access_key = JsonField(j, "SecretAccessKey", std::string());
  c.session_token = JsonField(j, "Token", std::string());
  c.source = where;
  if (c.access_key_id.empty() || c.secret_access_key.empty())
    return Status::PermissionDenied(where + ": credentials document lacks AccessKeyId/SecretAccessKey");
  if (auto exp = ParseIso8601(JsonField(j, "Expiration", std::string()))) c.expiration = *exp;
  return c;
}

Result<std::shared_ptr<AwsCredentialsProvider>> AwsCredentialsProvider::Resolve(CredentialChainOptions options) {
  const EnvLookup& env = options.env;
  std::vector<std::string> tried;

  // 1. Environment.
  auto key = env("AWS_ACCESS_KEY_ID");
  auto secret = env("AWS_SECRET_ACCESS_KEY");
  if (key && secret) {
    AwsCredentials c;
    c.access_key_id = *key;
    c.secret_access_key = *secret;
    c.session_token = env("AWS_SESSION_TOKEN").value_or("");
    c.source = "environment";
    return Static(std::move(c));
  }
  tried.push_back(key || secret ? "environment (only one of AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY is set)"
                                : "environment (AWS_ACCESS_KEY_ID not set)");

  // 2. Shared credentials file, then config file.
  const std::string profile = AwsProfileName(env);
  const std::string cred_path = AwsCredentialsFilePath(env);
  const std::string conf_path = AwsConfigFilePath(env);
  bool found_profile = false;
  if (!cred_path.empty()) {
    if (auto text = ReadFileText(cred_path); text.ok()) {
      IniFile ini = ParseIni(*text);
      if (auto it = ini.find(profile); it != ini.end()) {
        found_profile = true;
        std::string where = "profile '" + profile + "' in " + cred_path;
        if (auto c = FromSection(it->second, where)) return Static(std::move(*c));
        tried.push_back(where + " (no aws_access_key_id/aws_secret_access_key)");
      }
    }
  }
  if (auto sec = AwsConfigProfile(env, profile)) {
    found_profile = true;
    std::string where = "profile '" + profile + "' in " + conf_path;
    if (auto c = FromSection(*sec, where)) return Static(std::move(*c));
    if (Delegates(*sec))
      return Status::Unsupported(where + ": delegating profiles (role_arn, sso, credential_process, web identity) "
                                 "are not supported; give aws_access_key_id/aws_secret_access_key or use the "
                                 "environment");
    tried.push_back(where + " (no aws_access_key_id/aws_secret_access_key)");
  }
  if (!found_profile) {
    std::string files = (cred_path.empty() ? std::string("~/.aws/credentials") : cred_path) + " nor " +
                        (conf_path.empty() ? std::string("~/.aws/config") : conf_path);
    if (env("AWS_PROFILE"))
      return Status::NotFound("AWS_PROFILE names profile '" + profile + "', which is in neither " + files);
    tried.push_back("profile '" + profile + "' (in neither " + files + ")");
  }

  // 3. Instance role via IMDSv2.
  if (IsTrue(env("AWS_EC2_METADATA_DISABLED"))) {
    tried.push_back("instance metadata (AWS_EC2_METADATA_DISABLED=true)");
  } else {
    std::string endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or("http://169.254.169.254");
    auto http = std::make_unique<HttpClient>();
    auto c = FetchImdsCredentials(*http, endpoint, options.imds_timeout_ms, options.imds_attempts);
    if (c.ok()) {
      std::shared_ptr<AwsCredentialsProvider> p(new AwsCredentialsProvider());
      p->creds_ = std::move(c).value();
      p->options_ = std::move(options);
      p->imds_endpoint_ = endpoint;
      p->http_ = std::move(http);
      return p;
    }
    tried.push_back(c.status().message());
  }
  std::string msg = "no AWS credentials found; tried: ";
  for (size_t i = 0; i < tried.size(); ++i) msg += (i ? "; " : "") + tried[i];
  return Status::PermissionDenied(msg);
}

std::shared_ptr<AwsCredentialsProvider> AwsCredentialsProvider::Static(AwsCredentials creds) {
  std::shared_ptr<AwsCredentialsProvider> p(new AwsCredentialsProvider());
  p->creds_ = std::move(creds);
  return p;
}

Result<AwsCredentials> AwsCredentialsProvider::Get() {
  std::lock_guard<std::mutex> lock(mu_);
  if (imds_endpoint_.empty()) return creds_;
  auto now = std::chrono::system_clock::now();
  bool due = invalid_ || (creds_.expiration != std::chrono::system_clock::time_point::max() &&
                          creds_.expiration - options_.refresh_before <= now);
  if (!due) return creds_;
  auto fresh = FetchImdsCredentials(*http_, imds_endpoint_, options_.imds_timeout_ms, options_.imds_attempts);
  if (fresh.ok()) {
    creds_ = std::move(fresh).value();
    invalid_ = false;
    ++refreshes_;
    return creds_;
  }
  if (creds_.expiration > now && !invalid_) return creds_;  // still usable; try again next time
  return fresh.status().WithContext("refreshing expired credentials");
}

void AwsCredentialsProvider::Invalidate() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!imds_endpoint_.empty()) invalid_ = true;
}

std::string AwsCredentialsProvider::source() const {
  std::lock_guard<std::mutex> lock(mu_);
  return creds_.source;
}

int64_t AwsCredentialsProvider::refreshes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return refreshes_;
}

}  // namespace verger
