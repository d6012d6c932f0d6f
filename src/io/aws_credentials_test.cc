// The AWS credential chain against temporary files and environments, and
// IMDSv2 against a real HTTP server (tests/s3/imds_server.py) on 127.0.0.1.
#include "io/aws_credentials.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

namespace verger {
namespace {

namespace fs = std::filesystem;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [vars = vars](std::string_view n) -> std::optional<std::string> {
      auto it = vars.find(std::string(n));
      if (it == vars.end() || it->second.empty()) return std::nullopt;
      return it->second;
    };
  }
};

class TempHome {
 public:
  TempHome() {
    std::string tmpl = (fs::temp_directory_path() / "verger-aws-XXXXXX").string();
    if (mkdtemp(tmpl.data()) != nullptr) dir_ = tmpl;
    fs::create_directories(dir_ / ".aws");
  }
  ~TempHome() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void Write(const std::string& rel, const std::string& text) { std::ofstream(dir_ / rel) << text; }
  std::string path(const std::string& rel = "") const { return rel.empty() ? dir_.string() : (dir_ / rel).string(); }

 private:
  fs::path dir_;
};

CredentialChainOptions Opts(const FakeEnv& env) {
  CredentialChainOptions o;
  o.env = env.lookup();
  o.imds_timeout_ms = 300;
  o.imds_attempts = 1;
  return o;
}

TEST(AwsCredentialChain, EnvironmentComesFirst) {
  TempHome home;
  home.Write(".aws/credentials", "[default]\naws_access_key_id = FROMFILE\naws_secret_access_key = s\n");
  FakeEnv env{{{"HOME", home.path()},
               {"AWS_ACCESS_KEY_ID", "FROMENV"},
               {"AWS_SECRET_ACCESS_KEY", "envsecret"},
               {"AWS_SESSION_TOKEN", "tok"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = (*p)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "FROMENV");
  EXPECT_EQ(c->secret_access_key, "envsecret");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_EQ((*p)->source(), "environment");
}

TEST(AwsCredentialChain, DefaultProfileFromCredentialsFile) {
  TempHome home;
  home.Write(".aws/credentials",
             "# comment\n[other]\naws_access_key_id=OTHER\naws_secret_access_key=o\n\n"
             "[default]\r\nAWS_ACCESS_KEY_ID = DEFKEY  \r\naws_secret_access_key = def/secret+x=  \r\n"
             "aws_session_token = deftoken ; trailing comment\n");
  FakeEnv env{{{"HOME", home.path()}, {"AWS_ACCESS_KEY_ID", "onlyhalf"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  auto c = (*p)->Get();
  EXPECT_EQ(c->access_key_id, "DEFKEY");
  EXPECT_EQ(c->secret_access_key, "def/secret+x=");
  EXPECT_EQ(c->session_token, "deftoken");
  EXPECT_EQ((*p)->source(), "profile 'default' in " + home.path(".aws/credentials"));
}

TEST(AwsCredentialChain, NamedProfileFromConfigFileAndOverriddenPaths) {
  TempHome home;
  home.Write("creds", "[default]\naws_access_key_id=D\naws_secret_access_key=d\n");
  home.Write("conf", "[profile work]\nregion = eu-central-1\naws_access_key_id = WORKKEY\n"
                     "aws_secret_access_key = worksecret\n  nested = skipped\n");
  FakeEnv env{{{"HOME", "/nonexistent"},
               {"AWS_PROFILE", "work"},
               {"AWS_SHARED_CREDENTIALS_FILE", home.path("creds")},
               {"AWS_CONFIG_FILE", home.path("conf")}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "WORKKEY");
  EXPECT_EQ((*p)->source(), "profile 'work' in " + home.path("conf"));
  EXPECT_EQ(ResolveAwsRegion(env.lookup(), ""), "eu-central-1");
}

TEST(AwsCredentialChain, MissingNamedProfileIsAnErrorNamingIt) {
  TempHome home;
  home.Write(".aws/credentials", "[default]\naws_access_key_id=D\naws_secret_access_key=d\n");
  FakeEnv env{{{"HOME", home.path()}, {"AWS_PROFILE", "nope"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kNotFound);
  EXPECT_NE(p.status().message().find("'nope'"), std::string::npos) << p.status().message();
}

TEST(AwsCredentialChain, DelegatingProfilesAreUnsupported) {
  TempHome home;
  home.Write(".aws/config", "[profile sso]\nsso_start_url = https://x\nregion = us-west-2\n");
  FakeEnv env{{{"HOME", home.path()}, {"AWS_PROFILE", "sso"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kUnsupported) << p.status().ToString();
}

TEST(AwsCredentialChain, NothingFoundListsWhatWasTriedWithoutSecrets) {
  TempHome home;
  FakeEnv env{{{"HOME", home.path()}, {"AWS_SECRET_ACCESS_KEY", "very-secret-value"},
               {"AWS_EC2_METADATA_DISABLED", "TRUE"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kPermissionDenied);
  const std::string m = p.status().message();
  EXPECT_NE(m.find("environment"), std::string::npos) << m;
  EXPECT_NE(m.find("profile 'default'"), std::string::npos) << m;
  EXPECT_NE(m.find("AWS_EC2_METADATA_DISABLED"), std::string::npos) << m;
  EXPECT_EQ(m.find("very-secret-value"), std::string::npos) << m;
}

TEST(AwsRegionAndEndpoint, FollowTheAwsOrder) {
  TempHome home;
  home.Write(".aws/config", "[default]\nregion = ap-south-1\n");
  FakeEnv env{{{"HOME", home.path()}}};
  EXPECT_EQ(ResolveAwsRegion(env.lookup(), ""), "ap-south-1");
  EXPECT_EQ(ResolveAwsRegion(env.lookup(), "explicit-1"), "explicit-1");
  env.vars["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(ResolveAwsRegion(env.lookup(), ""), "us-west-1");
  env.vars["AWS_REGION"] = "eu-north-1";
  EXPECT_EQ(ResolveAwsRegion(env.lookup(), ""), "eu-north-1");
  FakeEnv bare{{{"HOME", "/nonexistent"}}};
  EXPECT_EQ(ResolveAwsRegion(bare.lookup(), ""), "us-east-1");

  EXPECT_EQ(ResolveS3Endpoint(bare.lookup(), ""), "");
  env.vars["AWS_ENDPOINT_URL"] = "http://generic:1";
  EXPECT_EQ(ResolveS3Endpoint(env.lookup(), ""), "http://generic:1");
  env.vars["AWS_ENDPOINT_URL_S3"] = "http://s3only:2";
  EXPECT_EQ(ResolveS3Endpoint(env.lookup(), ""), "http://s3only:2");
  EXPECT_EQ(ResolveS3Endpoint(env.lookup(), "http://flag:3"), "http://flag:3");
}

// Runs tests/s3/imds_server.py and stops it (by PID) when done.
class ImdsServer {
 public:
  explicit ImdsServer(int ttl_seconds) {
    fs::path script = fs::path(VERGER_TEST_SOURCE_DIR) / "tests/s3/imds_server.py";
    int fds[2];
    if (pipe(fds) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::string ttl = std::to_string(ttl_seconds);
      execl("/usr/bin/python3", "python3", script.c_str(), "--ttl", ttl.c_str(), "--lifetime", "60",
            static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    FILE* out = fdopen(fds[0], "r");
    int port = 0;
    if (out != nullptr && std::fscanf(out, "PORT %d", &port) == 1) endpoint_ = "http://127.0.0.1:" + std::to_string(port);
    if (out != nullptr) fclose(out);
  }
  ~ImdsServer() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  const std::string& endpoint() const { return endpoint_; }
  nlohmann::json Stats() const {
    HttpClient http;
    HttpRequest r;
    r.url = endpoint_ + "/__stats";
    return nlohmann::json::parse(http.Perform(r).BodyText());
  }

 private:
  pid_t pid_ = -1;
  std::string endpoint_;
};

TEST(AwsCredentialChain, InstanceRoleViaImdsV2) {
  ImdsServer imds(/*ttl_seconds=*/6 * 3600);
  ASSERT_FALSE(imds.endpoint().empty()) << "could not start tests/s3/imds_server.py";
  TempHome home;
  FakeEnv env{{{"HOME", home.path()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->source(), "instance role 'verger-test-role' via IMDSv2");
  auto c = (*p)->Get();
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->access_key_id, "ASIAIMDS0001");
  EXPECT_EQ(c->secret_access_key, "imds-secret-1");
  EXPECT_EQ(c->session_token, "imds-token-1");
  EXPECT_GT(c->expiration, std::chrono::system_clock::now() + std::chrono::hours(5));
  // Far from expiry: no new fetch.
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS0001");
  auto stats = imds.Stats();
  EXPECT_EQ(stats["token_puts"], 1);
  EXPECT_EQ(stats["cred_gets"], 1);
  EXPECT_EQ(stats["unauthorized"], 0) << "every GET carried the IMDSv2 token";
  // An ExpiredToken answer forces a refresh.
  (*p)->Invalidate();
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS0002");
}

TEST(AwsCredentialChain, InstanceRoleIsRefreshedBeforeExpiration) {
  ImdsServer imds(/*ttl_seconds=*/120);  // inside the 5-minute refresh window
  ASSERT_FALSE(imds.endpoint().empty());
  TempHome home;
  FakeEnv env{{{"HOME", home.path()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.endpoint()}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS0002");
  EXPECT_EQ((*p)->Get()->access_key_id, "ASIAIMDS0003");
  EXPECT_EQ((*p)->refreshes(), 2);
}

TEST(AwsCredentialChain, UnreachableMetadataServiceIsReported) {
  TempHome home;
  // A port nothing listens on: connection refused.
  FakeEnv env{{{"HOME", home.path()}, {"AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:9"}}};
  auto p = AwsCredentialsProvider::Resolve(Opts(env));
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.status().code(), StatusCode::kPermissionDenied);
  EXPECT_NE(p.status().message().find("instance metadata at http://127.0.0.1:9"), std::string::npos)
      << p.status().message();
}

}  // namespace
}  // namespace verger
