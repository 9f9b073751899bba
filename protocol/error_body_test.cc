#include "protocol/error_body.h"

#include <gtest/gtest.h>

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::protocol {
namespace {

using OJson = nlohmann::ordered_json;

struct ParseCase {
  const char* label;
  std::string body;
  // Success: the codes in order and the http_status; failure: exact code and offset.
  std::optional<std::vector<std::string>> want_codes = std::nullopt;
  std::optional<int64_t> want_status = std::nullopt;
  ErrorBodyError want_code = {};
  std::size_t want_offset = 0;
};
REGAUTH_PRINT_LABEL(ParseCase)

const ParseCase kParseCases[] = {
    // distribution v2.8 401 body (token-auth.md §1.8).
    {"distribution 401",
     R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":)"
     R"([{"Type":"repository","Class":"","Name":"foo/bar","Action":"pull"}]}]})",
     std::vector<std::string>{"UNAUTHORIZED"}},
    // distribution's /v2/ challenge: "detail":null.
    {"distribution v2 base",
     R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication )"
     R"(required","detail":null}]})",
     std::vector<std::string>{"UNAUTHORIZED"}},
    // token.md's documented example (message differs from the code's; no Class).
    {"token.md example",
     R"({"errors":[{"code":"UNAUTHORIZED","message":"access to the requested resource is not )"
     R"(authorized","detail":[{"Type":"repository","Name":"samalba/my-app","Action":"pull"},)"
     R"({"Type":"repository","Name":"samalba/my-app","Action":"push"}]}]})",
     std::vector<std::string>{"UNAUTHORIZED"}},
    // GitLab service results carry http_status (token-auth.md §3.4).
    {"gitlab denied",
     R"({"errors":[{"code":"DENIED","message":"access forbidden"}],)"
     R"("http_status":403})",
     std::vector<std::string>{"DENIED"}, 403},
    {"gitlab registry not enabled",
     R"({"errors":[{"code":"UNAVAILABLE","message":"registry not enabled"}],"http_status":404})",
     std::vector<std::string>{"UNAVAILABLE"}, 404},
    // GitLab's bad-credentials body (token-auth.md §3.1), no http_status.
    {"gitlab bad credentials",
     R"({"errors":[{"code":"UNAUTHORIZED","message":"HTTP Basic: Access denied. If a password )"
     R"(was provided for Git authentication, the password was incorrect or you're required to )"
     R"(use a token instead of a password."}]})",
     std::vector<std::string>{"UNAUTHORIZED"}},
    {"pagination capture",
     R"({"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":)"
     R"("invalid number of results requested","detail":{"n":100000}}]})",
     std::vector<std::string>{"PAGINATION_NUMBER_INVALID"}},
    {"several errors, unknown code kept",
     R"({"errors":[{"code":"DENIED"},{"code":"X_VENDOR","message":"m","extra":1}],"more":true})",
     std::vector<std::string>{"DENIED", "X_VENDOR"}},
    {"empty list", R"({"errors":[]})", std::vector<std::string>{}},
    {"negative status kept", R"({"errors":[],"http_status":-1})", std::vector<std::string>{}, -1},
    // Structure errors.
    {"api.md typo", R"({"errors:" [{"code":"UNAUTHORIZED"}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kNotJson, 11},
    {"docker_auth text", "Auth failed.", std::nullopt, std::nullopt, ErrorBodyError::kNotJson},
    {"harbor empty body", "", std::nullopt, std::nullopt, ErrorBodyError::kNotJson},
    {"byte order mark", "\xef\xbb\xbf{\"errors\":[]}", std::nullopt, std::nullopt,
     ErrorBodyError::kNotJson, 0},
    {"array top level", R"([{"code":"DENIED"}])", std::nullopt, std::nullopt,
     ErrorBodyError::kNotObject},
    {"missing errors", R"({"error":"denied"})", std::nullopt, std::nullopt,
     ErrorBodyError::kMissingErrors},
    {"errors object", R"({"errors":{"code":"DENIED"}})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorsType},
    {"errors null", R"({"errors":null})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorsType},
    {"entry string", R"({"errors":["DENIED"]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorEntry},
    {"entry without code", R"({"errors":[{"message":"m"}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorEntry},
    {"code number", R"({"errors":[{"code":401}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorEntry},
    {"code empty", R"({"errors":[{"code":""}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadErrorEntry},
    {"message number", R"({"errors":[{"code":"DENIED","message":5}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadFieldType},
    {"message null", R"({"errors":[{"code":"DENIED","message":null}]})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadFieldType},
    {"http_status string", R"({"errors":[],"http_status":"403"})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadFieldType},
    {"http_status float", R"({"errors":[],"http_status":403.0})", std::nullopt, std::nullopt,
     ErrorBodyError::kBadFieldType},
    {"http_status 2^64-1", R"({"errors":[],"http_status":18446744073709551615})", std::nullopt,
     std::nullopt, ErrorBodyError::kBadFieldType},
    {"duplicate errors", R"({"errors":[],"errors":[]})", std::nullopt, std::nullopt,
     ErrorBodyError::kDuplicateMember, 20},
    {"number overflow", R"({"errors":[],"x":1e400})", std::nullopt, std::nullopt,
     ErrorBodyError::kNumberOutOfRange, 22},
};

class ErrorBodyParseTest : public testing::TestWithParam<ParseCase> {};

TEST_P(ErrorBodyParseTest, ParsesOrFailsWithExactCode) {
  const ParseCase& c = GetParam();
  auto got = ParseErrorBody(c.body);
  if (c.want_codes) {
    ASSERT_TRUE(got.has_value()) << CodeName(got.error().code) << " " << got.error().reason;
    std::vector<std::string> codes;
    for (const auto& e : got->errors) codes.push_back(e.code);
    EXPECT_EQ(codes, *c.want_codes);
    EXPECT_EQ(got->http_status, c.want_status);
    EXPECT_TRUE(got->raw.is_object());
  } else {
    ASSERT_FALSE(got.has_value());
    EXPECT_EQ(CodeName(got.error().code), CodeName(c.want_code));
    EXPECT_EQ(got.error().offset, c.want_offset);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ErrorBodyParseTest, testing::ValuesIn(kParseCases),
                         testing_support::LabelName());

// detail: absent → nullopt, present null → JSON null (distribution's `/v2/`).
TEST(ErrorBodyParse, DistinguishesAbsentAndNullDetail) {
  auto absent = ParseErrorBody(R"({"errors":[{"code":"DENIED"}]})");
  ASSERT_TRUE(absent.has_value());
  EXPECT_FALSE(absent->errors[0].detail.has_value());
  EXPECT_FALSE(absent->errors[0].message.has_value());
  auto null = ParseErrorBody(R"({"errors":[{"code":"UNAUTHORIZED","detail":null}]})");
  ASSERT_TRUE(null.has_value());
  ASSERT_TRUE(null->errors[0].detail.has_value());
  EXPECT_TRUE(null->errors[0].detail->is_null());
}

TEST(ErrorBodyParse, EnforcesEntryAndByteLimits) {
  auto many = ParseErrorBody(R"({"errors":[{"code":"A"},{"code":"B"},{"code":"C"}]})", {}, 2);
  ASSERT_FALSE(many.has_value());
  EXPECT_EQ(many.error().code, ErrorBodyError::kTooLarge);
  JsonOptions small;
  small.limits.max_bytes = 4;
  auto big = ParseErrorBody(R"({"errors":[]})", small);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, ErrorBodyError::kTooLarge);
  EXPECT_EQ(big.error().offset, 4u);
}

// distribution registry/api/errcode/register.go and api/v2/errors.go (v2.8.3).
TEST(ErrorCodes, MatchDistributionRegistry) {
  struct Want {
    const char* code;
    const char* message;
    int status;
  };
  const Want wants[] = {
      {"UNAUTHORIZED", "authentication required", 401},
      {"DENIED", "requested access to the resource is denied", 403},
      {"UNSUPPORTED", "The operation is unsupported.", 405},
      {"TOOMANYREQUESTS", "too many requests", 429},
      {"UNAVAILABLE", "service unavailable", 503},
      {"UNKNOWN", "unknown error", 500},
      {"NAME_UNKNOWN", "repository name not known to registry", 404},
      {"NAME_INVALID", "invalid repository name", 400},
      {"TAG_INVALID", "manifest tag did not match URI", 400},
      {"MANIFEST_UNKNOWN", "manifest unknown", 404},
      {"MANIFEST_INVALID", "manifest invalid", 400},
      {"MANIFEST_UNVERIFIED", "manifest failed signature verification", 400},
      {"MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", 400},
      {"BLOB_UNKNOWN", "blob unknown to registry", 404},
      {"BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry", 404},
      {"BLOB_UPLOAD_INVALID", "blob upload invalid", 404},
      {"DIGEST_INVALID", "provided digest did not match uploaded content", 400},
      {"SIZE_INVALID", "provided length did not match content length", 400},
      {"PAGINATION_NUMBER_INVALID", "invalid number of results requested", 400},
      {"RANGE_INVALID", "invalid content range", 416},
  };
  for (const Want& w : wants) {
    const ErrorCodeInfo* info = LookupErrorCode(w.code);
    ASSERT_NE(info, nullptr) << w.code;
    EXPECT_EQ(info->message, w.message) << w.code;
    EXPECT_EQ(info->http_status, w.status) << w.code;
  }
  EXPECT_EQ(LookupErrorCode("unauthorized"), nullptr);
  EXPECT_EQ(LookupErrorCode("X_VENDOR"), nullptr);
  std::set<std::string_view> seen;
  for (const ErrorCodeInfo& info : KnownErrorCodes()) {
    EXPECT_TRUE(seen.insert(info.code).second) << info.code;
  }
  EXPECT_EQ(seen.size(), 21u);
}

RegistryError Err(std::string code, std::optional<std::string> message,
                  std::optional<OJson> detail = std::nullopt) {
  return RegistryError{std::move(code), std::move(message), std::move(detail)};
}

// Byte-for-byte distribution output: struct order, Class present, trailing newline.
TEST(ErrorBodySerialize, DistributionChallengeBody) {
  const OJson detail = OJson::array({AccessDetail("repository", "", "foo/bar", "pull")});
  EXPECT_EQ(SerializeErrorBody({Err("UNAUTHORIZED", "authentication required", detail)}),
            R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":)"
            R"([{"Type":"repository","Class":"","Name":"foo/bar","Action":"pull"}]}]})"
            "\n");
}

// distribution's /v2/: a typed-nil []auth.Access marshals as "detail":null.
TEST(ErrorBodySerialize, DistributionBaseRouteNullDetail) {
  EXPECT_EQ(SerializeErrorBody({Err("UNAUTHORIZED", std::nullopt, OJson(nullptr))}),
            R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required",)"
            R"("detail":null}]})"
            "\n");
}

// errcode.Errors.MarshalJSON fills an empty message from the code; `errors,omitempty`.
TEST(ErrorBodySerialize, DistributionDefaultsMessageAndOmitsEmptyList) {
  EXPECT_EQ(SerializeErrorBody({Err("DENIED", std::nullopt)}),
            R"({"errors":[{"code":"DENIED","message":"requested access to the resource is )"
            R"(denied"}]})"
            "\n");
  EXPECT_EQ(SerializeErrorBody({Err("X_VENDOR", "")}),
            R"({"errors":[{"code":"X_VENDOR","message":""}]})"
            "\n");
  EXPECT_EQ(SerializeErrorBody({}), "{}\n");
}

// GitLab renders its service hash: token-auth.md §3.1/§3.4.
TEST(ErrorBodySerialize, GitLabShape) {
  ErrorBodySerializeOptions gitlab;
  gitlab.style = ErrorBodyStyle::kGitLab;
  gitlab.http_status = 403;
  EXPECT_EQ(SerializeErrorBody({Err("DENIED", std::string(kGitLabAccessForbidden))}, gitlab),
            R"({"errors":[{"code":"DENIED","message":"access forbidden"}],"http_status":403})");
  gitlab.http_status.reset();
  EXPECT_EQ(SerializeErrorBody({Err("UNAUTHORIZED", std::nullopt)}, gitlab),
            R"({"errors":[{"code":"UNAUTHORIZED"}]})");
  EXPECT_EQ(SerializeErrorBody({}, gitlab), R"({"errors":[]})");
}

// Go's encodeState.string with HTML escaping; Ruby writes \b and \f short.
TEST(ErrorBodySerialize, EscapesLikeGoAndRuby) {
  const std::string message = std::string("<a&b>\"\\\n\r\t\b\f\x01\x7f") + "\xe2\x80\xa8" +
                              "\xe2\x80\xa9" + "\xc3\xa9" + "\xff" + "\xed\xa0\x80";
  const std::string go = SerializeErrorBody({Err("X", message)});
  EXPECT_EQ(go,
            "{\"errors\":[{\"code\":\"X\",\"message\":\"\\u003ca\\u0026b\\u003e\\\"\\\\\\n"
            "\\r\\t\\u0008\\u000c\\u0001\x7f\\u2028\\u2029\xc3\xa9\\ufffd\\ufffd\\ufffd"
            "\\ufffd\"}]}\n");
  ErrorBodySerializeOptions gitlab;
  gitlab.style = ErrorBodyStyle::kGitLab;
  const std::string rb = SerializeErrorBody({Err("X", std::string("\b\f<"))}, gitlab);
  EXPECT_EQ(rb, R"({"errors":[{"code":"X","message":"\b\f\u003c"}]})");
}

// Go's floatEncoder: fixed for 1e-6 <= |f| < 1e21, else exponent with e-0X cleaned up.
TEST(ErrorBodySerialize, NumbersLikeGo) {
  OJson detail = OJson::object();
  detail["a"] = 100000.0;
  detail["b"] = 1.5;
  detail["c"] = 1e-7;
  detail["d"] = 1e21;
  detail["e"] = -3;
  detail["f"] = static_cast<uint64_t>(18446744073709551615ull);
  detail["g"] = true;
  EXPECT_EQ(SerializeErrorBody({Err("X", "m", detail)}),
            R"({"errors":[{"code":"X","message":"m","detail":{"a":100000,"b":1.5,"c":1e-7,)"
            R"("d":1e+21,"e":-3,"f":18446744073709551615,"g":true}}]})"
            "\n");
}

// A real capture survives parse → distribution serialise byte-for-byte.
TEST(ErrorBodySerialize, ReproducesCapturedBodies) {
  const std::vector<std::string> captures = {
      R"({"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"invalid number of results )"
      R"(requested","detail":{"n":100000}}]})"
      "\n",
      R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})"
      "\n",
  };
  for (const std::string& capture : captures) {
    auto body = ParseErrorBody(capture);
    ASSERT_TRUE(body.has_value()) << capture;
    EXPECT_EQ(SerializeErrorBody(body->errors), capture);
  }
}

// Parse → GitLab-style serialise → parse keeps every entry and http_status (fuzz invariant).
TEST(ErrorBodySerialize, GitLabStyleRoundTripsParseVectors) {
  for (const ParseCase& c : kParseCases) {
    if (!c.want_codes) continue;
    auto first = ParseErrorBody(c.body);
    ASSERT_TRUE(first.has_value()) << c.label;
    ErrorBodySerializeOptions o;
    o.style = ErrorBodyStyle::kGitLab;
    o.http_status = first->http_status;
    auto second = ParseErrorBody(SerializeErrorBody(first->errors, o));
    ASSERT_TRUE(second.has_value()) << c.label;
    EXPECT_EQ(second->errors, first->errors) << c.label;
    EXPECT_EQ(second->http_status, first->http_status) << c.label;
  }
}

}  // namespace
}  // namespace regauth::protocol
