#include "harness/inspect/inspect.h"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

struct InspectCase {
  const char* label;
  const char* kind;
  std::string input;
  std::vector<std::string> lenient;
  int want_exit;
  const char* want_code;  // error code when want_exit == 1
  std::size_t want_offset;
  const char* want_pointer;  // a JSON pointer into the output that must exist (success cases)
  nlohmann::json want_value;
};
REGAUTH_PRINT_LABEL(InspectCase)

// Each kind: a success with one telling field, a typed failure with its exact code and offset.
const InspectCase kCases[] = {
    {"challenge distribution capture",
     "challenge",
     R"(Bearer realm="https://auth.example.test/token",service="registry",scope="repository:foo/bar:pull")",
     {},
     0,
     "",
     0,
     "/bearer/scope",
     "repository:foo/bar:pull"},
    {"challenge two headers",
     "challenge",
     "Basic realm=\"x\"\nBearer realm=\"y\"",
     {},
     0,
     "",
     0,
     "/challenges/1/scheme",
     "Bearer"},
    {"challenge unterminated",
     "challenge",
     R"(Bearer realm="x)",
     {},
     1,
     "unterminated_quoted_string",
     13,
     nullptr,
     nullptr},
    {"challenge go client stops at empty value",
     "challenge",
     R"(Bearer realm="r",scope="",service="s")",
     {"distribution-client"},
     0,
     "",
     0,
     "/challenges/0/params",
     nlohmann::json{{"realm", "r"}}},
    // RFC 7617 §2 example.
    {"authorization basic",
     "authorization",
     "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==",
     {},
     0,
     "",
     0,
     "/password",
     "open sesame"},
    {"authorization two spaces v28 rejects",
     "authorization",
     "Bearer  abc",
     {},
     0,
     "",
     0,
     "/distribution_v28_accepts_bearer",
     false},
    {"authorization bad base64",
     "authorization",
     "Basic QWx",
     {},
     1,
     "bad_base64",
     9,
     nullptr,
     nullptr},
    {"scope port in name",
     "scope",
     "repository:localhost:5000/foo:pull",
     {},
     0,
     "",
     0,
     "/scopes/0/name",
     "localhost:5000/foo"},
    {"scope gitlab split at port",
     "scope",
     "repository:localhost:5000/foo:pull",
     {"gitlab"},
     0,
     "",
     0,
     "/scopes/0/name",
     "localhost"},
    {"scope missing actions",
     "scope",
     "repository:foo",
     {},
     1,
     "missing_name",
     14,
     nullptr,
     nullptr},
    {"repository traversal", "repository", "foo/../bar", {}, 1, "dot_segment", 4, nullptr, nullptr},
    {"repository gitlab downcases",
     "repository",
     "Acme/App",
     {"gitlab"},
     0,
     "",
     0,
     "/path",
     "acme/app"},
    {"jwt segment count", "jwt", "a.b", {}, 1, "segment_count", 3, nullptr, nullptr},
    {"token response gitlab",
     "token-response",
     R"({"token":"abc"})",
     {},
     0,
     "",
     0,
     "/effective_expires_in",
     60},
    {"token response no token",
     "token-response",
     R"({"expires_in":60})",
     {},
     1,
     "no_token",
     0,
     nullptr,
     nullptr},
    {"error body",
     "error-body",
     R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})",
     {},
     0,
     "",
     0,
     "/errors/0/known/http_status",
     403},
    {"unknown kind", "header", "x", {}, 2, "", 0, nullptr, nullptr},
    {"unknown lenient mode", "scope", "repository:a/b:pull", {"zot"}, 2, "", 0, nullptr, nullptr},
};

class InspectTest : public testing::TestWithParam<InspectCase> {};

TEST_P(InspectTest, ParsesOrReportsTypedError) {
  const InspectCase& c = GetParam();
  InspectRequest req;
  req.kind = c.kind;
  req.input = c.input;
  req.lenient = c.lenient;
  const InspectOutcome out = Inspect(req);
  ASSERT_EQ(out.exit_code, c.want_exit) << out.json.dump();
  EXPECT_EQ(out.json["ok"], c.want_exit == 0);
  if (c.want_exit == 1) {
    EXPECT_EQ(out.json["error"]["code"], c.want_code) << out.json.dump();
    EXPECT_EQ(out.json["error"]["offset"], c.want_offset) << out.json.dump();
  }
  if (c.want_pointer != nullptr) {
    const nlohmann::json::json_pointer ptr(c.want_pointer);
    ASSERT_TRUE(out.json.contains(ptr)) << out.json.dump();
    EXPECT_EQ(out.json[ptr], c.want_value) << out.json.dump();
  }
}

INSTANTIATE_TEST_SUITE_P(Table, InspectTest, testing::ValuesIn(kCases),
                         testing_support::LabelName());

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A token signed with the test key verifies with its certificate and reports the libtrust kid.
TEST(InspectJwt, VerifiesWithKeyAndReportsLibtrustKid) {
  const std::string dir = std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/";
  auto key = protocol::LoadPrivateKeyPem(ReadFile(dir + "rsa2048.key.pem"));
  ASSERT_TRUE(key.has_value());
  auto token = protocol::SignCompact({{"typ", "JWT"}, {"kid", protocol::LibtrustKeyId(*key)}},
                                     {{"iss", "gitlab-issuer"}, {"exp", 2000000000}},
                                     protocol::Alg::kRS256, *key);
  ASSERT_TRUE(token.has_value());
  InspectRequest req;
  req.kind = "jwt";
  req.input = *token;
  req.key_pem = ReadFile(dir + "rsa2048.crt.pem");
  const InspectOutcome out = Inspect(req);
  ASSERT_EQ(out.exit_code, 0) << out.json.dump();
  EXPECT_EQ(out.json["verified"], true);
  EXPECT_EQ(out.json["kid_libtrust"], protocol::LibtrustKeyId(*key));
  EXPECT_EQ(out.json["kid_matches"], true);
}

// alg none never verifies, whatever key is given.
TEST(InspectJwt, AlgNoneNeverVerifies) {
  const std::string dir = std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/";
  InspectRequest req;
  req.kind = "jwt";
  req.input = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.";  // {"alg":"none"}.{"sub":"x"}.
  req.key_pem = ReadFile(dir + "rsa2048.pub.pem");
  const InspectOutcome out = Inspect(req);
  EXPECT_EQ(out.exit_code, 1) << out.json.dump();
  EXPECT_EQ(out.json["verified"], false);
  EXPECT_EQ(out.json["verify_error"], "alg_not_allowed");
}

// A key was given, so a signature that does not verify with it is a rejection (exit 1): a script
// must be able to rely on the exit code, not only on "verified" in the JSON (issue 9, item 8).
TEST(InspectJwt, FailedVerificationExitsOne) {
  const std::string dir = std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/";
  auto key = protocol::LoadPrivateKeyPem(ReadFile(dir + "rsa2048.key.pem"));
  ASSERT_TRUE(key.has_value());
  auto token = protocol::SignCompact({{"typ", "JWT"}}, {{"sub", "x"}}, protocol::Alg::kRS256, *key);
  ASSERT_TRUE(token.has_value());
  InspectRequest req;
  req.kind = "jwt";
  req.input = *token;
  req.key_pem = ReadFile(dir + "rsa2048_other.pub.pem");
  const InspectOutcome other = Inspect(req);
  EXPECT_EQ(other.exit_code, 1) << other.json.dump();
  EXPECT_EQ(other.json["ok"], true);  // it parsed; the JSON still shows header and claims
  EXPECT_EQ(other.json["verified"], false);
  req.key_pem = ReadFile(dir + "rsa2048.pub.pem");
  EXPECT_EQ(Inspect(req).exit_code, 0);
  req.key_pem.reset();  // no key: nothing to verify, parsing decides
  EXPECT_EQ(Inspect(req).exit_code, 0);
}

}  // namespace
}  // namespace regauth::harness
