// The signer against AWS's published Signature Version 4 test suite
// (aws-sig-v4-test-suite: AKIDEXAMPLE, 20150830T123600Z, us-east-1, service
// "service") and the S3 developer guide's worked examples (AKIAIOSFODNN7EXAMPLE,
// 20130524T000000Z, examplebucket). Intermediates are compared separately so a
// failure says which stage is wrong.
#include "io/sigv4.h"

#include <gtest/gtest.h>

namespace verger::sigv4 {
namespace {

const AwsCredentials kSuiteCreds{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "", "test"};
const AwsCredentials kS3Creds{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "", "test"};
constexpr char kSuiteDate[] = "20150830T123600Z";
constexpr char kS3Date[] = "20130524T000000Z";

struct Vector {
  const char* name;
  Request req;
  const char* canonical_request;
  const char* string_to_sign;
  const char* authorization;
};

Request SuiteRequest(std::string method, std::string uri, KeyValues query, KeyValues extra, std::string payload_hash) {
  Request r{std::move(method), std::move(uri), std::move(query), {}, std::move(payload_hash)};
  r.headers.emplace_back("Host", "example.amazonaws.com");
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.headers.emplace_back("X-Amz-Date", kSuiteDate);
  return r;
}

// Short names in ctest instead of a byte dump.
void PrintTo(const Vector& v, std::ostream* os) { *os << v.name; }

class SuiteTest : public ::testing::TestWithParam<Vector> {};

TEST_P(SuiteTest, MatchesPublishedVector) {
  const Vector& v = GetParam();
  Signed s = Sign(v.req, kSuiteCreds, kSuiteDate, "us-east-1", "service");
  EXPECT_EQ(s.canonical_request, v.canonical_request);
  EXPECT_EQ(s.string_to_sign, v.string_to_sign);
  EXPECT_EQ(s.authorization, v.authorization);
}

INSTANTIATE_TEST_SUITE_P(
    AwsSigV4TestSuite, SuiteTest,
    ::testing::Values(
        Vector{"get_vanilla", SuiteRequest("GET", "/", {}, {}, std::string(kEmptyPayloadHash)),
               "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;x-amz-date, "
               "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
        Vector{"get_vanilla_query_order_key_case",
               SuiteRequest("GET", "/", {{"Param2", "value2"}, {"Param1", "value1"}}, {},
                            std::string(kEmptyPayloadHash)),
               "GET\n/\nParam1=value1&Param2=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
               "host;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;x-amz-date, "
               "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
        Vector{"get_utf8", SuiteRequest("GET", UriEncode("/\xE1\x88\xB4", false), {}, {}, std::string(kEmptyPayloadHash)),
               "GET\n/%E1%88%B4\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "2a0a97d02205e45ce2e994789806b19270cfbbb0921b278ccf58f5249ac42102",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;x-amz-date, "
               "Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"},
        Vector{"get_header_value_trim",
               SuiteRequest("GET", "/", {}, {{"My-Header1", " value1"}, {"My-Header2", " \"a   b   c\""}},
                            std::string(kEmptyPayloadHash)),
               "GET\n/\n\nhost:example.amazonaws.com\nmy-header1:value1\nmy-header2:\"a b c\"\n"
               "x-amz-date:20150830T123600Z\n\nhost;my-header1;my-header2;x-amz-date\n"
               "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "a726db9b0df21c14f559d0a978e563112acb1b9e05476f0a6a1c7d68f28605c7",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=host;my-header1;my-header2;x-amz-date, "
               "Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
        Vector{"post_x_www_form_urlencoded",
               SuiteRequest("POST", "/", {}, {{"Content-Type", "application/x-www-form-urlencoded"}},
                            HexSha256(std::string_view("Param1=value1"))),
               "POST\n/\n\ncontent-type:application/x-www-form-urlencoded\nhost:example.amazonaws.com\n"
               "x-amz-date:20150830T123600Z\n\ncontent-type;host;x-amz-date\n"
               "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
               "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
               "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
               "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
               "SignedHeaders=content-type;host;x-amz-date, "
               "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"}),
    [](const ::testing::TestParamInfo<Vector>& info) { return std::string(info.param.name); });

Request S3Request(std::string method, std::string key, KeyValues query, KeyValues extra, std::string payload_hash) {
  // S3 encodes the object key once (no double encoding, '/' kept).
  Request r{std::move(method), "/" + UriEncode(key, false), std::move(query), {}, payload_hash};
  r.headers.emplace_back("Host", "examplebucket.s3.amazonaws.com");
  for (auto& h : extra) r.headers.push_back(std::move(h));
  r.headers.emplace_back("x-amz-content-sha256", payload_hash);
  r.headers.emplace_back("x-amz-date", kS3Date);
  return r;
}

TEST(SigV4S3, GetObjectExample) {
  Signed s = Sign(S3Request("GET", "test.txt", {}, {{"Range", "bytes=0-9"}}, std::string(kEmptyPayloadHash)),
                  kS3Creds, kS3Date, "us-east-1", "s3");
  EXPECT_EQ(s.canonical_request,
            "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\n"
            "x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
            "x-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(s.string_to_sign,
            "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n"
            "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972");
  EXPECT_EQ(s.signature, "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4S3, PutObjectExampleEncodesKeyOnce) {
  std::string body = "Welcome to Amazon S3.";
  std::string hash = HexSha256(std::string_view(body));
  ASSERT_EQ(hash, "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
  Signed s = Sign(S3Request("PUT", "test$file.text", {},
                            {{"Date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}},
                            hash),
                  kS3Creds, kS3Date, "us-east-1", "s3");
  EXPECT_NE(s.canonical_request.find("\n/test%24file.text\n"), std::string::npos) << s.canonical_request;
  EXPECT_EQ(HexSha256(s.canonical_request), "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d");
  EXPECT_EQ(s.signed_headers, "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class");
  EXPECT_EQ(s.signature, "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

TEST(SigV4S3, ListObjectsExampleSortsQuery) {
  Signed s = Sign(S3Request("GET", "", {{"prefix", "J"}, {"max-keys", "2"}}, {}, std::string(kEmptyPayloadHash)),
                  kS3Creds, kS3Date, "us-east-1", "s3");
  EXPECT_NE(s.canonical_request.find("\nmax-keys=2&prefix=J\n"), std::string::npos);
  EXPECT_EQ(s.signature, "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

TEST(SigV4S3, GetBucketLifecycleExampleEmptyValue) {
  Signed s = Sign(S3Request("GET", "", {{"lifecycle", ""}}, {}, std::string(kEmptyPayloadHash)), kS3Creds, kS3Date,
                  "us-east-1", "s3");
  EXPECT_NE(s.canonical_request.find("\nlifecycle=\n"), std::string::npos);
  EXPECT_EQ(s.signature, "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

TEST(SigV4S3, SessionTokenIsSentSignedAndUnsignedPayloadIsKept) {
  AwsCredentials creds = kS3Creds;
  creds.session_token = "SESSION/TOKEN+=";
  Request r = S3Request("GET", "test.txt", {}, {{"x-amz-security-token", creds.session_token}}, "UNSIGNED-PAYLOAD");
  Signed s = Sign(r, creds, kS3Date, "us-east-1", "s3");
  EXPECT_EQ(s.signed_headers, "host;x-amz-content-sha256;x-amz-date;x-amz-security-token");
  EXPECT_NE(s.canonical_request.find("x-amz-security-token:SESSION/TOKEN+=\n"), std::string::npos);
  EXPECT_EQ(s.canonical_request.substr(s.canonical_request.rfind('\n') + 1), "UNSIGNED-PAYLOAD");
  // The token changes the signature.
  EXPECT_NE(s.signature, Sign(S3Request("GET", "test.txt", {}, {}, "UNSIGNED-PAYLOAD"), kS3Creds, kS3Date,
                              "us-east-1", "s3")
                             .signature);
  EXPECT_EQ(s.authorization.find(creds.secret_access_key), std::string::npos);
}

TEST(SigV4Encoding, UriEncodeFollowsAwsRules) {
  EXPECT_EQ(UriEncode("abcXYZ019-_.~", true), "abcXYZ019-_.~");
  EXPECT_EQ(UriEncode("a b", true), "a%20b");
  EXPECT_EQ(UriEncode("a+b", true), "a%2Bb");
  EXPECT_EQ(UriEncode("a/b", false), "a/b");
  EXPECT_EQ(UriEncode("a/b", true), "a%2Fb");
  EXPECT_EQ(UriEncode("\xE1\x88\xB4", true), "%E1%88%B4");
  EXPECT_EQ(UriEncode("!*'()=&", true), "%21%2A%27%28%29%3D%26");
}

TEST(SigV4Encoding, UrlDecodeHandlesPlusAndBadEscapes) {
  EXPECT_EQ(UrlDecode("a+b%2Bc%20d", true), "a b+c d");
  EXPECT_EQ(UrlDecode("a+b", false), "a+b");
  EXPECT_EQ(UrlDecode("%E1%88%B4", true), "\xE1\x88\xB4");
  EXPECT_EQ(UrlDecode("100%", true), "100%");
  EXPECT_EQ(UrlDecode("%zz%4", true), "%zz%4");
}

TEST(SigV4Encoding, AmzDateIsUtc) {
  auto t = std::chrono::system_clock::from_time_t(1440938160);  // 2015-08-30T12:36:00Z
  EXPECT_EQ(AmzDate(t), "20150830T123600Z");
}

}  // namespace
}  // namespace verger::sigv4
