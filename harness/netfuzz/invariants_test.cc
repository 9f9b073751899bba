// invariants_test.cc — each netfuzz invariant flags the answer it names and passes a correct one.
#include "harness/netfuzz/invariants.h"

#include <gtest/gtest.h>

namespace regauth::harness::netfuzz {
namespace {

net::ClientResponse Answer(int status, std::string body = "",
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::ClientResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::vector<std::string> Names(const std::vector<Violation>& v) {
  std::vector<std::string> out;
  for (const Violation& x : v) out.push_back(x.invariant);
  return out;
}

FuzzRequest Registry(std::string method = "GET", std::string route = "tags") {
  FuzzRequest r;
  r.family = Family::kRegistry;
  r.method = std::move(method);
  r.route = std::move(route);
  r.repo = "netfuzz/a";
  return r;
}

Rendered WithAuthorization(std::string value) {
  Rendered w;
  w.http.url = "http://127.0.0.1:1/v2/netfuzz/a/tags/list";
  w.http.headers = {{"Authorization", std::move(value)}};
  return w;
}

const char kUnauthorized[] =
    R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]})";

TEST(NetfuzzInvariants, AcceptedMeansPastAuthorization) {
  EXPECT_TRUE(RegistryAccepted(200, ""));
  EXPECT_TRUE(RegistryAccepted(202, ""));
  EXPECT_TRUE(RegistryAccepted(404, R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"x"}]})"));
  EXPECT_FALSE(RegistryAccepted(401, kUnauthorized));
  EXPECT_FALSE(RegistryAccepted(404, "404 page not found"));
  EXPECT_FALSE(RegistryAccepted(429, R"({"errors":[{"code":"TOOMANYREQUESTS","message":"x"}]})"));
}

TEST(NetfuzzInvariants, RequiredAccessFollowsDistributionsRouteTable) {
  using A = std::array<std::string, 3>;
  EXPECT_EQ(RequiredAccess("GET", "blob", "r"), (std::vector<A>{{"repository", "r", "pull"}}));
  EXPECT_EQ(RequiredAccess("POST", "upload", "r"),
            (std::vector<A>{{"repository", "r", "pull"}, {"repository", "r", "push"}}));
  EXPECT_EQ(RequiredAccess("DELETE", "manifest", "r"),
            (std::vector<A>{{"repository", "r", "delete"}}));
  EXPECT_EQ(RequiredAccess("GET", "catalog", ""), (std::vector<A>{{"registry", "catalog", "*"}}));
  EXPECT_TRUE(RequiredAccess("GET", "base", "").empty());
}

TEST(NetfuzzInvariants, FiveHundredAndDropsAreFindings) {
  InvariantContext ic;
  Outcome five;
  five.response = Answer(500);
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer x"), five, ic)),
            (std::vector<std::string>{"no-5xx"}));
  Outcome drop;
  drop.error = net::ClientError{net::ClientErrorCode::kNetwork, "reset"};
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer x"), drop, ic)),
            (std::vector<std::string>{"no-drop"}));
  // Our own failure (curl refused the request) is not the target's.
  Outcome ours;
  ours.error = net::ClientError{net::ClientErrorCode::kInvalidRequest, "bad header"};
  EXPECT_TRUE(Check(Registry(), WithAuthorization("Bearer x"), ours, ic).empty());
  // A raw request may be closed, never left hanging.
  FuzzRequest raw = Registry();
  raw.family = Family::kRaw;
  Outcome closed;
  closed.raw = net::RawResult{net::RawOutcome::kClosed, 0, ""};
  EXPECT_TRUE(Check(raw, {}, closed, ic).empty());
  Outcome hang;
  hang.raw = net::RawResult{net::RawOutcome::kTimeout, 0, ""};
  EXPECT_EQ(Names(Check(raw, {}, hang, ic)), (std::vector<std::string>{"no-drop"}));
}

TEST(NetfuzzInvariants, RegistryRefusalsNeedAChallengeAnd401) {
  InvariantContext ic;
  Outcome bare;
  bare.response = Answer(401, kUnauthorized, {{"Content-Type", "application/json"}});
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer x"), bare, ic)),
            (std::vector<std::string>{"challenge"}));
  Outcome good;
  good.response = Answer(401, kUnauthorized,
                         {{"Content-Type", "application/json"},
                          {"WWW-Authenticate", R"(Bearer realm="http://h/jwt/auth",service="s")"}});
  EXPECT_TRUE(Check(Registry(), WithAuthorization("Bearer x"), good, ic).empty());
  Outcome forbidden;
  forbidden.response = Answer(403, kUnauthorized, {{"Content-Type", "application/json"}});
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer x"), forbidden, ic)),
            (std::vector<std::string>{"challenge"}));
}

TEST(NetfuzzInvariants, AcceptanceWithoutATokenIsAFinding) {
  InvariantContext ic;
  Outcome ok;
  ok.response = Answer(200, "{}");
  // Two spaces: distribution 2.8 sees no token at all.
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer  x"), ok, ic)),
            (std::vector<std::string>{"token-verifier"}));
}

TEST(NetfuzzInvariants, GuardedSeedsMustNotSucceed) {
  InvariantContext ic;
  FuzzRequest r = Registry("GET", "catalog");
  r.repo.clear();
  r.guard = Guard{"catalog-bound", "n above the bound"};
  Outcome ok;
  ok.response = Answer(200, R"({"repositories":[]})");
  // Without the target's key the token is not verified; the guard still holds.
  EXPECT_EQ(Names(Check(r, WithAuthorization("Bearer x.y.z"), ok, ic)),
            (std::vector<std::string>{"catalog-bound"}));
  Outcome refused;
  refused.response =
      Answer(400, R"({"errors":[{"code":"PAGINATION_NUMBER_INVALID","message":"x"}]})",
             {{"Content-Type", "application/json"}});
  EXPECT_TRUE(Check(r, WithAuthorization("Bearer x.y.z"), refused, ic).empty());
}

TEST(NetfuzzInvariants, ErrorBodiesMustParse) {
  InvariantContext ic;
  Outcome bad;
  bad.response = Answer(404, "{\"errors\":", {{"Content-Type", "application/json"}});
  EXPECT_EQ(Names(Check(Registry(), WithAuthorization("Bearer x"), bad, ic)),
            (std::vector<std::string>{"error-body"}));
}

}  // namespace
}  // namespace regauth::harness::netfuzz
