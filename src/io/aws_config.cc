#include "io/aws_config.h"

#include <cstdlib>

#include "core/file_util.h"

namespace verger {

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

std::string HomeFile(const EnvLookup& env, const char* override_var, const char* rel) {
  if (auto v = env(override_var)) return *v;
  if (auto home = env("HOME")) return *home + "/.aws/" + rel;
  return "";
}

}  // namespace

EnvLookup ProcessEnv() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string(v);
  };
}

IniFile ParseIni(std::string_view text) {
  IniFile out;
  std::string section;
  bool in_section = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view raw = text.substr(pos, end - pos);
    pos = end + 1;
    bool indented = !raw.empty() && (raw.front() == ' ' || raw.front() == '\t');
    std::string_view line = Trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (line.front() == '[') {
      auto close = line.find(']');
      if (close == std::string_view::npos) {
        in_section = false;
        continue;
      }
      section = std::string(Trim(line.substr(1, close - 1)));
      in_section = true;
      out[section];
      continue;
    }
    if (!in_section || indented) continue;
    auto eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    std::string key(Trim(line.substr(0, eq)));
    for (char& c : key)
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    std::string_view value = Trim(line.substr(eq + 1));
    // Inline comments only after whitespace, as botocore does.
    for (size_t i = 1; i < value.size(); ++i) {
      if ((value[i] == '#' || value[i] == ';') && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = Trim(value.substr(0, i));
        break;
      }
    }
    out[section][key] = std::string(value);
  }
  return out;
}

std::string AwsProfileName(const EnvLookup& env) {
  if (auto p = env("AWS_PROFILE")) return *p;
  return "default";
}

std::string AwsCredentialsFilePath(const EnvLookup& env) {
  return HomeFile(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
}

std::string AwsConfigFilePath(const EnvLookup& env) { return HomeFile(env, "AWS_CONFIG_FILE", "config"); }

std::optional<std::map<std::string, std::string>> AwsConfigProfile(const EnvLookup& env, const std::string& profile) {
  std::string path = AwsConfigFilePath(env);
  if (path.empty()) return std::nullopt;
  auto text = ReadFileText(path);
  if (!text.ok()) return std::nullopt;
  IniFile ini = ParseIni(*text);
  auto it = ini.find("profile " + profile);
  if (it == ini.end() && profile == "default") it = ini.find("default");
  if (it == ini.end()) return std::nullopt;
  return it->second;
}

std::string ResolveAwsRegion(const EnvLookup& env, std::string_view explicit_region) {
  if (!explicit_region.empty()) return std::string(explicit_region);
  if (auto r = env("AWS_REGION")) return *r;
  if (auto r = env("AWS_DEFAULT_REGION")) return *r;
  if (auto cfg = AwsConfigProfile(env, AwsProfileName(env))) {
    if (auto it = cfg->find("region"); it != cfg->end() && !it->second.empty()) return it->second;
  }
  return "us-east-1";
}

std::string ResolveS3Endpoint(const EnvLookup& env, std::string_view explicit_endpoint) {
  if (!explicit_endpoint.empty()) return std::string(explicit_endpoint);
  if (auto e = env("AWS_ENDPOINT_URL_S3")) return *e;
  if (auto e = env("AWS_ENDPOINT_URL")) return *e;
  return "";
}

}  // namespace verger
