#include "harness/judge/profile.h"

#include <gtest/gtest.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::string Source(const char* rel) { return std::string(REGAUTH_SOURCE_DIR) + "/" + rel; }

const std::vector<Profile>& Shipped() {
  static const std::vector<Profile> profiles = [] {
    auto r = LoadProfileDir(Source("cases/profiles"));
    EXPECT_TRUE(r.has_value()) << (r ? "" : DescribeLoadError(r.error()));
    return std::move(*r);
  }();
  return profiles;
}

// The suite ships gitlab, distribution, distribution-v3, zot and harbor.
TEST(Profiles, ShipsTheFiveProfiles) {
  for (const char* name : {"gitlab", "distribution", "distribution-v3", "zot", "harbor"}) {
    EXPECT_NE(FindProfile(Shipped(), name), nullptr) << name;
  }
  EXPECT_EQ(FindProfile(Shipped(), "docker-hub"), nullptr);
}

// token-auth.md §3.1, §3.8, §9: what GitLab's endpoint looks like on the wire.
TEST(Profiles, GitLabMatchesTheSpecDigest) {
  const Profile* p = FindProfile(Shipped(), "gitlab");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->post, "not_found");
  EXPECT_EQ(p->OutcomeShapeOf("unauthorized").status, std::vector<int>{401});
  EXPECT_EQ(p->OutcomeShapeOf("unauthorized").www_authenticate, "absent");
  EXPECT_EQ(p->OutcomeShapeOf("forbidden").error_code, "DENIED");
  EXPECT_TRUE(p->OutcomeShapeOf("forbidden").http_status_member);
  EXPECT_EQ(p->denied_resources, "omitted");
  EXPECT_EQ(p->members.at("token"), "required");
  EXPECT_EQ(p->members.at("refresh_token"), "absent");
  EXPECT_EQ(p->algs, std::vector<std::string>{"RS256"});
  EXPECT_EQ(p->kid_format, "libtrust");
  EXPECT_EQ(p->nbf_offset_min, -5);
  EXPECT_EQ(p->lifetime, "delay");
  EXPECT_EQ(p->sub_anonymous, "absent");
  EXPECT_EQ(p->auth_type.at("job_token_without_user"), "ci");
  EXPECT_EQ(p->Lookup("registry.insufficient_scope_status"), "401");
  EXPECT_EQ(p->Lookup("registry.star_wildcard"), "true");
  EXPECT_EQ(p->Lookup("registry.no_such_key"), std::nullopt);
}

// "extends" deep-merges the base: distribution-v3 keeps distribution's endpoint and changes
// the verifier (token-auth.md §2.6).
TEST(Profiles, ExtendsMergesTheBase) {
  const Profile* v3 = FindProfile(Shipped(), "distribution-v3");
  ASSERT_NE(v3, nullptr);
  EXPECT_EQ(v3->post, "oauth2");
  EXPECT_EQ(v3->members.at("access_token"), "required");
  EXPECT_EQ(v3->Lookup("registry.aud_array"), "accepted");
  EXPECT_EQ(v3->Lookup("registry.kid_format"), "jwk_thumbprint");
  EXPECT_EQ(v3->Lookup("registry.leeway_seconds"), "60");
  EXPECT_EQ(v3->Lookup("registry.bad_signature_error"), "absent");
  EXPECT_EQ(v3->kid_format, "any");
  EXPECT_EQ(v3->name, "distribution-v3");
}

// Unknowns stay unknown (zot has no token endpoint of its own).
TEST(Profiles, ZotMarksUnknowns) {
  const Profile* zot = FindProfile(Shipped(), "zot");
  ASSERT_NE(zot, nullptr);
  EXPECT_EQ(zot->post, "unknown");
  EXPECT_TRUE(zot->OutcomeShapeOf("unauthorized").status.empty());
  EXPECT_EQ(zot->Lookup("registry.star_wildcard"), "false");
  EXPECT_EQ(zot->Lookup("registry.invalid_token_error_code"), "UNSUPPORTED");
}

// Severity overrides: exact ids first, then the longest "prefix.*".
TEST(Profiles, SeverityOverridesPreferExactThenLongestPrefix) {
  Json doc = Json::parse(R"({"name": "x", "severity": {"claims.*": "INFO", "claims.sub": "MUST",
                             "claims.meta.*": "SHOULD"}})");
  auto p = ParseProfile(doc, "x.json");
  ASSERT_TRUE(p.has_value()) << DescribeLoadError(p.error());
  EXPECT_EQ(p->SeverityFor("claims.sub"), Severity::kMust);
  EXPECT_EQ(p->SeverityFor("claims.aud"), Severity::kInfo);
  EXPECT_EQ(p->SeverityFor("claims.meta.project_id"), Severity::kShould);
  EXPECT_EQ(p->SeverityFor("access"), std::nullopt);
}

struct ErrorCase {
  const char* label;
  const char* doc;
  const char* pointer;
};
REGAUTH_PRINT_LABEL(ErrorCase)

class ProfileErrors : public ::testing::TestWithParam<ErrorCase> {};

// A profile is validated on load with a JSON pointer.
TEST_P(ProfileErrors, ReportsPointer) {
  auto p = ParseProfile(Json::parse(GetParam().doc), "p.json");
  ASSERT_FALSE(p.has_value());
  EXPECT_EQ(p.error().pointer, GetParam().pointer) << DescribeLoadError(p.error());
}

const ErrorCase kErrors[] = {
    {"missing name", R"({})", "/name"},
    {"unknown top member", R"({"name": "x", "tokens": {}})", "/tokens"},
    {"bad post", R"({"name": "x", "token_endpoint": {"post": "maybe"}})", "/token_endpoint/post"},
    {"unknown outcome", R"({"name": "x", "token_endpoint": {"outcomes": {"teapot": {}}}})",
     "/token_endpoint/outcomes/teapot"},
    {"bad status",
     R"({"name": "x", "token_endpoint": {"outcomes": {"granted": {"status": [99]}}}})",
     "/token_endpoint/outcomes/granted/status/0"},
    {"bad member", R"({"name": "x", "token_endpoint": {"members": {"tokn": "required"}}})",
     "/token_endpoint/members/tokn"},
    {"bad finding", R"({"name": "x", "token_endpoint": {"accepted_findings": ["nope"]}})",
     "/token_endpoint/accepted_findings/0"},
    {"nbf range inverted", R"({"name": "x", "token": {"nbf_minus_iat": {"min": 1, "max": 0}}})",
     "/token/nbf_minus_iat"},
    {"bad auth_type kind", R"({"name": "x", "token": {"auth_type": {"robot": "x"}}})",
     "/token/auth_type/robot"},
    {"unknown registry key", R"({"name": "x", "registry": {"leway": 60}})", "/registry/leway"},
    {"registry wrong type", R"({"name": "x", "registry": {"leeway_seconds": true}})",
     "/registry/leeway_seconds"},
    {"registry bad value", R"({"name": "x", "registry": {"aud_array": "maybe"}})",
     "/registry/aud_array"},
    {"severity bad", R"({"name": "x", "severity": {"claims.sub": "SHALL"}})",
     "/severity/claims.sub"},
    {"severity bad pattern", R"({"name": "x", "severity": {"claims*": "INFO"}})",
     "/severity/claims*"},
};

INSTANTIATE_TEST_SUITE_P(Table, ProfileErrors, ::testing::ValuesIn(kErrors),
                         testing_support::LabelName());

// A lone file that extends another needs its directory; merge semantics are deep.
TEST(Profiles, MergeJsonIsDeep) {
  Json base = Json::parse(R"({"a": {"b": 1, "c": 2}, "d": [1]})");
  Json child = Json::parse(R"({"a": {"c": 3}, "d": [2]})");
  EXPECT_EQ(MergeJson(base, child), Json::parse(R"({"a": {"b": 1, "c": 3}, "d": [2]})"));
  auto lone = LoadProfileFile(Source("cases/profiles/distribution-v3.json"));
  ASSERT_FALSE(lone.has_value());
  EXPECT_EQ(lone.error().pointer, "/extends");
  auto plain = LoadProfileFile(Source("cases/profiles/gitlab.json"));
  EXPECT_TRUE(plain.has_value());
}

}  // namespace
}  // namespace regauth::harness
