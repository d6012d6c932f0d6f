// Reading the AWS shared files (~/.aws/credentials and ~/.aws/config) and
// resolving region and endpoint the way the AWS CLI and SDKs do.
// Pure functions of their inputs; thread-safe.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace verger {

// Looks up an environment variable; tests pass their own.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;
// The process environment (getenv); unset and empty both read as nullopt.
EnvLookup ProcessEnv();

// section -> key -> value. Keys are lower-cased; values trimmed. Comment
// lines start with '#' or ';'. Indented lines (nested settings) are skipped.
using IniFile = std::map<std::string, std::map<std::string, std::string>>;
IniFile ParseIni(std::string_view text);

// The active profile name: AWS_PROFILE, else "default".
std::string AwsProfileName(const EnvLookup& env);
// AWS_SHARED_CREDENTIALS_FILE, else $HOME/.aws/credentials ("" if no HOME).
std::string AwsCredentialsFilePath(const EnvLookup& env);
// AWS_CONFIG_FILE, else $HOME/.aws/config ("" if no HOME).
std::string AwsConfigFilePath(const EnvLookup& env);

// The settings of `profile` in the config file ("[profile x]", or "[default]"
// for "default"); nullopt if the file or section is missing.
std::optional<std::map<std::string, std::string>> AwsConfigProfile(const EnvLookup& env, const std::string& profile);

// Region: `explicit_region` if set, else AWS_REGION, AWS_DEFAULT_REGION, the
// profile's "region" in the config file, else "us-east-1".
std::string ResolveAwsRegion(const EnvLookup& env, std::string_view explicit_region);

// S3 endpoint override: `explicit_endpoint` if set, else AWS_ENDPOINT_URL_S3,
// else AWS_ENDPOINT_URL, else "" (use AWS's own endpoints).
std::string ResolveS3Endpoint(const EnvLookup& env, std::string_view explicit_endpoint);

}  // namespace verger
