#include "reference_server/registry/registry.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/base64.h"
#include "protocol/error_body.h"
#include "protocol/jws.h"
#include "protocol/keys.h"
#include "protocol/test_support.h"

namespace regauth::server {
namespace {

// BodyOf is a response's body, plain or streamed (blob GETs stream from the store).
std::string BodyOf(const net::HttpResponse& r) {
  if (!r.stream) return r.body;
  return net::ReadAll(*r.stream).value_or("<unreadable stream>");
}

using nlohmann::json;

constexpr std::int64_t kNow = 1700000000;
constexpr char kRealm[] = "https://auth.example/token";
constexpr char kService[] = "test-registry";
constexpr char kIssuer[] = "test-issuer";
constexpr char kHost[] = "registry.test:5000";
constexpr char kBase[] = "http://registry.test:5000";
constexpr char kSchema2[] = "application/vnd.docker.distribution.manifest.v2+json";

std::string ReadTestdata(const std::string& name) {
  std::ifstream in(std::string(REGAUTH_SOURCE_DIR) + "/protocol/testdata/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Keys is the fixed test material of protocol/testdata (see its README): the RSA token signer
// and its self-signed certificate (the rootcertbundle), an attacker RSA key, and the x5c chain.
struct Keys {
  protocol::Key signer, other, leaf;
  protocol::Certificate signer_cert, root_cert, intermediate_cert, leaf_cert, rogue_leaf_cert,
      expired_leaf_cert;
  std::string kid;  // libtrust ID of the signer
};

const Keys& K() {
  static const Keys keys = [] {
    Keys k;
    k.signer = *protocol::LoadPrivateKeyPem(ReadTestdata("rsa2048.key.pem"));
    k.other = *protocol::LoadPrivateKeyPem(ReadTestdata("rsa2048_other.key.pem"));
    k.leaf = *protocol::LoadPrivateKeyPem(ReadTestdata("leaf.key.pem"));
    k.signer_cert = (*protocol::LoadCertificatesPem(ReadTestdata("rsa2048.crt.pem")))[0];
    k.root_cert = (*protocol::LoadCertificatesPem(ReadTestdata("ca_root.crt.pem")))[0];
    k.intermediate_cert =
        (*protocol::LoadCertificatesPem(ReadTestdata("ca_intermediate.crt.pem")))[0];
    k.leaf_cert = (*protocol::LoadCertificatesPem(ReadTestdata("leaf.crt.pem")))[0];
    k.rogue_leaf_cert = (*protocol::LoadCertificatesPem(ReadTestdata("rogue_leaf.crt.pem")))[0];
    k.expired_leaf_cert = (*protocol::LoadCertificatesPem(ReadTestdata("leaf_expired.crt.pem")))[0];
    k.kid = protocol::LibtrustKeyId(k.signer);
    return k;
  }();
  return keys;
}

// --- tokens ------------------------------------------------------------------------------------

json AccessEntry(const std::string& name, std::vector<std::string> actions,
                 const std::string& type = "repository") {
  return json{{"type", type}, {"name", name}, {"actions", std::move(actions)}};
}

json Claims(json access) {
  return json{
      {"iss", kIssuer},  {"sub", "alice"},  {"aud", kService}, {"exp", kNow + 300},
      {"nbf", kNow - 5}, {"iat", kNow - 5}, {"jti", "jti-1"},  {"access", std::move(access)}};
}

json Header() { return json{{"typ", "JWT"}, {"kid", K().kid}}; }

std::string Mint(const json& claims, const json& header = Header()) {
  auto t = protocol::SignCompact(header, claims, protocol::Alg::kRS256, K().signer);
  EXPECT_TRUE(t.has_value());
  return t ? *t : "";
}

// MintRaw signs verbatim header and claims texts with the signer (RS256), for duplicate members.
std::string MintRaw(std::string_view header_text, std::string_view claims_text,
                    const protocol::Key& key = K().signer) {
  const std::string unsigned_token = protocol::EncodeCompact(header_text, claims_text, "");
  const std::string input = unsigned_token.substr(0, unsigned_token.size() - 1);
  auto sig = protocol::SignBytes(protocol::Alg::kRS256, key, input);
  EXPECT_TRUE(sig.has_value());
  return input + "." + protocol::Base64UrlEncode(sig ? *sig : "");
}

std::string Token(const std::string& name, std::vector<std::string> actions) {
  return Mint(Claims(json::array({AccessEntry(name, std::move(actions))})));
}

std::string CatalogToken() {
  return Mint(Claims(json::array({AccessEntry("catalog", {"*"}, "registry")})));
}

// --- requests ----------------------------------------------------------------------------------

net::HttpRequest Req(std::string method, std::string target, std::optional<std::string> token = {},
                     std::string body = "",
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
  net::HttpRequest r;
  r.method = std::move(method);
  r.target = target;
  const std::size_t q = target.find('?');
  r.path = target.substr(0, q);
  r.query = q == std::string::npos ? "" : target.substr(q + 1);
  r.headers.emplace_back("Host", kHost);
  if (token) r.headers.emplace_back("Authorization", "Bearer " + *token);
  for (auto& h : headers) r.headers.push_back(std::move(h));
  r.body = std::move(body);
  r.remote_address = "127.0.0.1";
  return r;
}

std::string Hdr(const net::HttpResponse& r, std::string_view name) {
  auto v = r.Header(name);
  return v ? std::string(*v) : std::string("<none>");
}

// FirstCode returns the first error code of a registry error body ("" if none).
std::string FirstCode(const net::HttpResponse& r) {
  auto body = protocol::ParseErrorBody(r.body);
  if (!body || body->errors.empty()) return "";
  return body->errors[0].code;
}

// ChallengeError returns the error= value of the challenge, "" when absent, "<none>" when there
// is no challenge at all.
std::string ChallengeError(const net::HttpResponse& r) {
  auto v = r.Header("Www-Authenticate");
  if (!v) return "<none>";
  const std::size_t at = v->find(",error=\"");
  if (at == std::string_view::npos) return "";
  const std::string_view rest = v->substr(at + 8);
  return std::string(rest.substr(0, rest.find('"')));
}

// Target strips the scheme and host from an absolute Location.
std::string Target(const std::string& location) {
  EXPECT_EQ(location.rfind(kBase, 0), 0u) << location;
  return location.substr(std::string(kBase).size());
}

std::string Sha256(std::string_view data) { return ComputeDigest("sha256", data); }

// --- registries --------------------------------------------------------------------------------

std::function<std::string()> UuidCounter() {
  auto n = std::make_shared<std::atomic<int>>(0);
  return [n] { return "uuid-" + std::to_string(++*n); };
}

std::shared_ptr<Store> MemoryStore(StoreLimits limits = {}) {
  StoreOptions o;
  o.limits = limits;
  o.new_upload_id = UuidCounter();
  return std::shared_ptr<Store>(std::move(*Store::Open(std::move(o))));
}

protocol::TrustStore Trust() {
  return protocol::TrustStore::FromRoots({K().signer_cert, K().root_cert},
                                         protocol::KeyIdFormat::kLibtrust);
}

RegistryConfig Config(std::shared_ptr<Store> store = nullptr) {
  RegistryConfig c;
  c.store = store ? std::move(store) : MemoryStore();
  c.realm = kRealm;
  c.service = kService;
  c.issuer = kIssuer;
  c.trust = Trust();
  c.delete_enabled = true;
  c.clock = [] { return kNow; };
  c.upload_state_secret = "test-secret";
  return c;
}

// Push helpers drive the registry the way skopeo does: POST, then PUT to the Location.
std::string PushBlob(const Registry& r, const std::string& repo, const std::string& data,
                     const std::string& token) {
  net::HttpResponse start = r.Handle(Req("POST", "/v2/" + repo + "/blobs/uploads/", token));
  EXPECT_EQ(start.status, 202) << start.body;
  const std::string digest = Sha256(data);
  net::HttpResponse put =
      r.Handle(Req("PUT", Target(Hdr(start, "Location")) + "&digest=" + digest, token, data));
  EXPECT_EQ(put.status, 201) << put.body;
  return digest;
}

std::string Schema2(const std::string& config_digest, std::size_t config_size,
                    const std::vector<std::pair<std::string, std::size_t>>& layers) {
  json m = {{"schemaVersion", 2},
            {"mediaType", kSchema2},
            {"config",
             {{"mediaType", "application/vnd.docker.container.image.v1+json"},
              {"size", config_size},
              {"digest", config_digest}}},
            {"layers", json::array()}};
  for (const auto& [d, size] : layers) {
    m["layers"].push_back({{"mediaType", "application/vnd.docker.image.rootfs.diff.tar.gzip"},
                           {"size", size},
                           {"digest", d}});
  }
  return m.dump();
}

// PushImage pushes a config and a layer and tags a schema2 manifest; returns its digest.
std::string PushImage(const Registry& r, const std::string& repo, const std::string& tag,
                      const std::string& token, const std::string& layer = "layer-data") {
  const std::string config = "{\"architecture\":\"amd64\",\"repo\":\"" + repo + "\"}";
  const std::string cd = PushBlob(r, repo, config, token);
  const std::string ld = PushBlob(r, repo, layer, token);
  const std::string body = Schema2(cd, config.size(), {{ld, layer.size()}});
  net::HttpResponse put = r.Handle(
      Req("PUT", "/v2/" + repo + "/manifests/" + tag, token, body, {{"Content-Type", kSchema2}}));
  EXPECT_EQ(put.status, 201) << put.body;
  return Sha256(body);
}

// =============================================================================================
// Challenges: byte for byte what Debian's 2.8.2 sent (suite-anchors §C1; token-auth.md §1.2).

struct ChallengeCase {
  const char* label;
  std::string method;
  std::string target;
  std::function<std::string()> authorization;  // "" → no header
  std::string want_challenge;
  std::string want_body;
};
REGAUTH_PRINT_LABEL(ChallengeCase)

class RegistryChallengeTest : public ::testing::TestWithParam<ChallengeCase> {};

TEST_P(RegistryChallengeTest, MatchesDistribution28ByteForByte) {
  const ChallengeCase& c = GetParam();
  Registry registry(Config());
  net::HttpRequest req = Req(c.method, c.target);
  if (const std::string a = c.authorization(); !a.empty())
    req.headers.emplace_back("Authorization", a);
  net::HttpResponse r = registry.Handle(req);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Hdr(r, "Www-Authenticate"), c.want_challenge);
  EXPECT_EQ(r.body, c.want_body);
  EXPECT_EQ(Hdr(r, "Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(Hdr(r, "Docker-Distribution-Api-Version"), "registry/2.0");
}

const std::string kDetailPull =
    R"({"Type":"repository","Class":"","Name":"foo/bar","Action":"pull"})";
const std::string kDetailPush =
    R"({"Type":"repository","Class":"","Name":"foo/bar","Action":"push"})";
std::string Body(const std::string& detail) {
  return R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":)" +
         detail + "}]}\n";
}
std::string NoAuth() { return ""; }

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryChallengeTest,
    ::testing::Values(
        ChallengeCase{"base without token", "GET", "/v2/", NoAuth,
                      R"(Bearer realm="https://auth.example/token",service="test-registry")",
                      Body("null")},
        ChallengeCase{
            "pull without token", "GET", "/v2/foo/bar/tags/list", NoAuth,
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull")",
            Body("[" + kDetailPull + "]")},
        ChallengeCase{
            "push without token", "POST", "/v2/foo/bar/blobs/uploads/", NoAuth,
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull,push")",
            Body("[" + kDetailPull + "," + kDetailPush + "]")},
        ChallengeCase{
            "delete without token", "DELETE",
            "/v2/foo/bar/manifests/sha256:" + std::string(64, '0'), NoAuth,
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:delete")",
            Body(R"([{"Type":"repository","Class":"","Name":"foo/bar","Action":"delete"}])")},
        ChallengeCase{
            "catalog without token", "GET", "/v2/_catalog", NoAuth,
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="registry:catalog:*")",
            Body(R"([{"Type":"registry","Class":"","Name":"catalog","Action":"*"}])")},
        ChallengeCase{
            "mount without token", "POST",
            "/v2/foo/bar/blobs/uploads/?mount=sha256:" + std::string(64, '1') + "&from=other/repo",
            NoAuth,
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull,push repository:other/repo:pull")",
            Body("[" + kDetailPull + "," + kDetailPush +
                 R"(,{"Type":"repository","Class":"","Name":"other/repo","Action":"pull"}])")},
        ChallengeCase{
            "invalid token on base", "GET", "/v2/", [] { return std::string("Bearer a.b.c"); },
            R"(Bearer realm="https://auth.example/token",service="test-registry",error="invalid_token")",
            Body("null")},
        ChallengeCase{
            "invalid token on pull", "GET", "/v2/foo/bar/tags/list",
            [] {
              return "Bearer " + Mint(Claims(json::array()), json{{"kid", "nope"}});
            },
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull",error="invalid_token")",
            Body("[" + kDetailPull + "]")},
        ChallengeCase{
            "insufficient scope on push", "POST", "/v2/foo/bar/blobs/uploads/",
            [] { return "Bearer " + Token("foo/bar", {"pull"}); },
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull,push",error="insufficient_scope")",
            Body("[" + kDetailPull + "," + kDetailPush + "]")},
        ChallengeCase{
            "basic credentials are no token", "GET", "/v2/foo/bar/tags/list",
            [] { return std::string("Basic YWxpY2U6c2VjcmV0"); },
            R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull")",
            Body("[" + kDetailPull + "]")}),
    testing_support::LabelName());

// realm/service are written with Go's %q: a quote and a control byte come out as Go escapes.
TEST(RegistryChallenge, QuotesRealmAndServiceLikeGo) {
  RegistryConfig c = Config();
  c.realm = "https://auth.example/to\"ken\x01";
  c.service = "svc\xc3\xa9";
  Registry registry(std::move(c));
  net::HttpResponse r = registry.Handle(Req("GET", "/v2/"));
  EXPECT_EQ(Hdr(r, "Www-Authenticate"),
            "Bearer realm=\"https://auth.example/to\\\"ken\\x01\",service=\"svc\xc3\xa9\"");
}

// auth.token.autoredirect: the realm is built from the request's Host (v2.8.3 form).
TEST(RegistryChallenge, AutoRedirectRealmUsesTheHost) {
  RegistryConfig c = Config();
  c.auto_redirect = true;
  Registry registry(std::move(c));
  net::HttpResponse r = registry.Handle(Req("GET", "/v2/"));
  EXPECT_EQ(Hdr(r, "Www-Authenticate"),
            R"(Bearer realm="https://registry.test:5000/auth/token",service="test-registry")");
}

// =============================================================================================
// suite-anchors §C1: every row of the measured table, four columns each.

struct Cell {
  int status = 0;          // 0: not measured
  const char* error = "";  // challenge error= ("" none), only checked for 401
};

struct C1Row {
  const char* label;
  std::function<std::string()> authorization;  // the whole header value
  const char* repo;                            // the repository in the request paths
  std::vector<Cell> cells;  // /v2/, pull, push, delete; missing cells were not measured
};
REGAUTH_PRINT_LABEL(C1Row)

class RegistryC1Test : public ::testing::TestWithParam<C1Row> {};

void ExpectCell(const Registry& registry, const net::HttpRequest& req, const Cell& want,
                const std::string& column) {
  if (want.status == 0) return;
  net::HttpResponse r = registry.Handle(req);
  EXPECT_EQ(r.status, want.status) << column << ": " << r.body;
  if (want.status == 401) {
    EXPECT_EQ(ChallengeError(r), want.error) << column;
  }
}

TEST_P(RegistryC1Test, AnswersAsMeasuredOnDistribution282) {
  const C1Row& row = GetParam();
  Registry registry(Config());
  const std::string auth = row.authorization();
  const std::string repo = row.repo;
  auto with = [&](net::HttpRequest r) {
    r.headers.emplace_back("Authorization", auth);
    return r;
  };
  std::vector<Cell> cells = row.cells;
  cells.resize(4);
  ExpectCell(registry, with(Req("GET", "/v2/")), cells[0], "/v2/");
  ExpectCell(registry, with(Req("GET", "/v2/" + repo + "/tags/list")), cells[1], "pull");
  ExpectCell(registry, with(Req("POST", "/v2/" + repo + "/blobs/uploads/")), cells[2], "push");
  ExpectCell(registry,
             with(Req("DELETE", "/v2/" + repo + "/manifests/sha256:" + std::string(64, 'a'))),
             cells[3], "delete");
}

std::string B(const std::string& token) { return "Bearer " + token; }
json PullAccess() { return json::array({AccessEntry("foo/bar", {"pull"})}); }
json WithClaim(json claims, const std::string& key, json value) {
  claims[key] = std::move(value);
  return claims;
}
const Cell kOk200{200}, kNoData404{404}, kAccepted202{202}, kInvalid{401, "invalid_token"},
    kInsufficient{401, "insufficient_scope"}, kRequired{401, ""};

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryC1Test,
    ::testing::Values(
        C1Row{"valid pull",
              [] { return B(Mint(Claims(PullAccess()))); },
              "foo/bar",
              {kOk200, kNoData404, kInsufficient, kInsufficient}},
        C1Row{
            "aud array",
            [] { return B(Mint(WithClaim(Claims(PullAccess()), "aud", json::array({kService})))); },
            "foo/bar",
            {kInvalid, kInvalid, kInvalid, kInvalid}},
        C1Row{"aud other",
              [] { return B(Mint(WithClaim(Claims(PullAccess()), "aud", "other"))); },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"alg none empty sig",
              [] {
                return B(protocol::EncodeCompact(R"({"alg":"none","typ":"JWT"})",
                                                 Claims(PullAccess()).dump(), ""));
              },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"HS256 with the public PEM",
              [] {
                return B(*protocol::SignCompactHmac(Header(), Claims(PullAccess()),
                                                    protocol::Alg::kHS256,
                                                    protocol::PublicKeyPem(K().signer)));
              },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"unknown kid",
              [] {
                return B(
                    Mint(Claims(PullAccess()), json{{"kid", protocol::LibtrustKeyId(K().other)}}));
              },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"iss different case",
              [] { return B(Mint(WithClaim(Claims(PullAccess()), "iss", "Test-Issuer"))); },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"exp 30 s in the past",
              [] { return B(Mint(WithClaim(Claims(PullAccess()), "exp", kNow - 30))); },
              "foo/bar",
              {kOk200, kNoData404}},
        C1Row{"exp 120 s in the past",
              [] { return B(Mint(WithClaim(Claims(PullAccess()), "exp", kNow - 120))); },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"nbf 30 s in the future",
              [] { return B(Mint(WithClaim(Claims(PullAccess()), "nbf", kNow + 30))); },
              "foo/bar",
              {kOk200, kNoData404}},
        C1Row{"header dup alg ending none",
              [] {
                return B(MintRaw(
                    R"({"alg":"RS256","typ":"JWT","kid":")" + K().kid + R"(","alg":"none"})",
                    Claims(PullAccess()).dump()));
              },
              "foo/bar",
              {kInvalid, kInvalid}},
        C1Row{"claims dup aud good last",
              [] {
                std::string c =
                    Claims(json::array({AccessEntry("foo/bar", {"pull", "push"})})).dump();
                c.insert(1, R"("aud":"other",)");  // {"aud":"other",…,"aud":"test-registry",…}
                return B(MintRaw(R"({"alg":"RS256","typ":"JWT","kid":")" + K().kid + "\"}", c));
              },
              "foo/bar",
              {kOk200, kNoData404, kAccepted202}},
        C1Row{"actions star",
              [] { return B(Mint(Claims(json::array({AccessEntry("foo/bar", {"*"})})))); },
              "foo/bar",
              {kOk200, kNoData404, kAccepted202, Cell{404}}},
        C1Row{"name FOO/bar (case)",
              [] { return B(Mint(Claims(PullAccess()))); },
              "FOO/bar",
              {kOk200, kInsufficient}},
        C1Row{"access with class plugin",
              [] {
                json a = AccessEntry("foo/bar", {"pull"});
                a["class"] = "plugin";
                return B(Mint(Claims(json::array({a}))));
              },
              "foo/bar",
              {kOk200, kNoData404}},
        C1Row{"scheme bearer lower case",
              [] { return "bearer " + Mint(Claims(PullAccess())); },
              "foo/bar",
              {kOk200, kNoData404}},
        C1Row{"two spaces",
              [] { return "Bearer  " + Mint(Claims(PullAccess())); },
              "foo/bar",
              {kRequired, kRequired, kRequired, kRequired}},
        C1Row{"tab separator",
              [] { return "Bearer\t" + Mint(Claims(PullAccess())); },
              "foo/bar",
              {kRequired, kRequired}}),
    testing_support::LabelName());

// =============================================================================================
// suite-anchors §C3: hostile tokens end to end through Handle(). Each row also runs with a
// misbehaviour of the token service switched on, which routes verification through the planted
// verifier: with its own switches off it must agree with VerifyToken on every row.

struct HostileCase {
  const char* label;
  std::function<std::string()> authorization;
  std::string method;
  std::string target;
  int want_status;
  const char* want_error;  // for 401
};
REGAUTH_PRINT_LABEL(HostileCase)

class RegistryHostileTest : public ::testing::TestWithParam<std::tuple<HostileCase, bool>> {};

TEST_P(RegistryHostileTest, RejectsHostileTokensAndAcceptsTheGoodOnes) {
  const auto& [c, planted] = GetParam();
  RegistryConfig config = Config();
  if (planted) config.misbehaviours.Enable(Misbehaviour::kWrongKid);  // token-service switch
  Registry registry(std::move(config));
  net::HttpRequest req = Req(c.method, c.target);
  req.headers.emplace_back("Authorization", c.authorization());
  net::HttpResponse r = registry.Handle(req);
  EXPECT_EQ(r.status, c.want_status) << r.body;
  if (c.want_status == 401) {
    EXPECT_EQ(ChallengeError(r), c.want_error);
  }
}

std::string NoneToken(const std::string& alg, const std::string& signature = "") {
  return protocol::EncodeCompact(R"({"alg":")" + alg + R"(","typ":"JWT","kid":")" + K().kid + "\"}",
                                 Claims(PullAccess()).dump(), signature);
}

std::string X5cToken(const std::vector<protocol::Certificate>& chain) {
  json x5c = json::array();
  for (const auto& cert : chain) x5c.push_back(protocol::Base64Encode(cert.Der()));
  auto t = protocol::SignCompact(json{{"typ", "JWT"}, {"x5c", x5c}}, Claims(PullAccess()),
                                 protocol::Alg::kES256, K().leaf);
  return t ? *t : "";
}

std::string PaddedToken() {
  // Segments re-encoded with '=' padding; the signature covers the padded text as sent.
  auto pad = [](std::string_view text) {
    return protocol::Base64Encode(text, protocol::Base64Alphabet::kUrl, true);
  };
  std::string header = R"({"alg":"RS256","typ":"JWT","kid":")" + K().kid + "\"}";
  std::string claims = Claims(PullAccess()).dump();
  while (pad(header).back() != '=') header += " ";
  while (pad(claims).back() != '=') claims += " ";
  const std::string input = pad(header) + "." + pad(claims);
  auto sig = protocol::SignBytes(protocol::Alg::kRS256, K().signer, input);
  return input + "." + pad(*sig);
}

const std::string kTags = "/v2/foo/bar/tags/list";
std::vector<HostileCase> HostileCases() {
  const json pull = Claims(PullAccess());
  std::vector<HostileCase> v = {
      {"valid RS256", [=] { return B(Mint(pull)); }, "GET", "/v2/", 200, ""},
      {"alg none", [] { return B(NoneToken("none")); }, "GET", "/v2/", 401, "invalid_token"},
      {"alg None", [] { return B(NoneToken("None")); }, "GET", "/v2/", 401, "invalid_token"},
      {"alg NONE", [] { return B(NoneToken("NONE")); }, "GET", "/v2/", 401, "invalid_token"},
      {"alg nOnE", [] { return B(NoneToken("nOnE")); }, "GET", "/v2/", 401, "invalid_token"},
      {"alg none with a signature", [] { return B(NoneToken("none", std::string(256, 'x'))); },
       "GET", "/v2/", 401, "invalid_token"},
      {"alg none without the trailing dot",
       [] {
         const std::string t = NoneToken("none");
         return B(t.substr(0, t.size() - 1));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"HS256 keyed with the public PEM",
       [=] {
         return B(*protocol::SignCompactHmac(Header(), pull, protocol::Alg::kHS256,
                                             protocol::PublicKeyPem(K().signer)));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"HS256 keyed with the public DER",
       [=] {
         return B(*protocol::SignCompactHmac(Header(), pull, protocol::Alg::kHS256,
                                             protocol::SpkiDer(K().signer)));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"unknown kid",
       [=] {
         return B(*protocol::SignCompact(json{{"kid", protocol::LibtrustKeyId(K().other)}}, pull,
                                         protocol::Alg::kRS256, K().other));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"kid traversal",
       [=] {
         return B(Mint(pull, json{{"kid", "../../../../dev/null"}}));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"no kid jwk or x5c",
       [=] {
         return B(Mint(pull, json{{"typ", "JWT"}}));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"embedded jwk of an attacker with the trusted kid (CVE-2025-24976)",
       [=] {
         return B(*protocol::SignCompact(json{{"jwk", protocol::PublicJwk(K().other, K().kid)}},
                                         pull, protocol::Alg::kRS256, K().other));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"embedded jwk of the trusted key",
       [=] {
         return B(*protocol::SignCompact(json{{"jwk", protocol::PublicJwk(K().signer)}}, pull,
                                         protocol::Alg::kRS256, K().signer));
       },
       "GET", "/v2/", 200, ""},
      {"x5c chain to the trusted root",
       [] {
         return B(X5cToken({K().leaf_cert, K().intermediate_cert}));
       },
       "GET", "/v2/", 200, ""},
      {"x5c chain to an untrusted root", [] { return B(X5cToken({K().rogue_leaf_cert})); }, "GET",
       "/v2/", 401, "invalid_token"},
      {"x5c expired leaf",
       [] {
         return B(X5cToken({K().expired_leaf_cert, K().intermediate_cert}));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"signature of another key under the trusted kid",
       [=] { return B(*protocol::SignCompact(Header(), pull, protocol::Alg::kRS256, K().other)); },
       "GET", "/v2/", 401, "invalid_token"},
      {"empty signature",
       [=] {
         const std::string t = Mint(pull);
         return B(t.substr(0, t.rfind('.') + 1));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"exp 59 s ago", [=] { return B(Mint(WithClaim(pull, "exp", kNow - 59))); }, "GET", "/v2/",
       200, ""},
      {"exp 60 s ago", [=] { return B(Mint(WithClaim(pull, "exp", kNow - 60))); }, "GET", "/v2/",
       200, ""},
      {"exp 61 s ago", [=] { return B(Mint(WithClaim(pull, "exp", kNow - 61))); }, "GET", "/v2/",
       401, "invalid_token"},
      {"nbf in 59 s", [=] { return B(Mint(WithClaim(pull, "nbf", kNow + 59))); }, "GET", "/v2/",
       200, ""},
      {"nbf in 61 s", [=] { return B(Mint(WithClaim(pull, "nbf", kNow + 61))); }, "GET", "/v2/",
       401, "invalid_token"},
      {"no exp",
       [=] {
         json c = pull;
         c.erase("exp");
         return B(Mint(c));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"exp as a float", [=] { return B(Mint(WithClaim(pull, "exp", 1700000300.5))); }, "GET",
       "/v2/", 401, "invalid_token"},
      {"aud array", [=] { return B(Mint(WithClaim(pull, "aud", json::array({kService})))); }, "GET",
       "/v2/", 401, "invalid_token"},
      {"aud other", [=] { return B(Mint(WithClaim(pull, "aud", "other"))); }, "GET", "/v2/", 401,
       "invalid_token"},
      {"aud missing",
       [=] {
         json c = pull;
         c.erase("aud");
         return B(Mint(c));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"iss different case", [=] { return B(Mint(WithClaim(pull, "iss", "TEST-ISSUER"))); }, "GET",
       "/v2/", 401, "invalid_token"},
      {"dup aud, good last",
       [=] {
         std::string c = pull.dump();
         c.insert(1, R"("aud":"other",)");
         return B(MintRaw(R"({"alg":"RS256","kid":")" + K().kid + "\"}", c));
       },
       "GET", "/v2/", 200, ""},
      {"dup aud, good first",
       [=] {
         std::string c = pull.dump();
         c.insert(c.size() - 1, R"(,"aud":"other")");
         return B(MintRaw(R"({"alg":"RS256","kid":")" + K().kid + "\"}", c));
       },
       "GET", "/v2/", 401, "invalid_token"},
      {"padded base64url segments", [] { return B(PaddedToken()); }, "GET", "/v2/", 200, ""},
      {"64 KiB of dots", [] { return B(std::string(64 * 1024, '.')); }, "GET", "/v2/", 401,
       "invalid_token"},
      {"no Authorization", [] { return std::string(); }, "GET", "/v2/", 401, ""},
      {"two spaces", [=] { return "Bearer  " + Mint(pull); }, "GET", "/v2/", 401, ""},
      {"upper-case scheme", [=] { return "BEARER " + Mint(pull); }, "GET", "/v2/", 200, ""},
      {"trailing space (textproto trims)", [=] { return "Bearer " + Mint(pull) + " "; }, "GET",
       "/v2/", 200, ""},
      {"actions * allow push",
       [] { return B(Mint(Claims(json::array({AccessEntry("foo/bar", {"*"})})))); }, "POST",
       "/v2/foo/bar/blobs/uploads/", 202, ""},
      {"name case FOO/bar", [=] { return B(Mint(pull)); }, "GET", "/v2/FOO/bar/tags/list", 401,
       "insufficient_scope"},
      {"no glob in names",
       [] { return B(Mint(Claims(json::array({AccessEntry("foo/*", {"pull"})})))); }, "GET", kTags,
       401, "insufficient_scope"},
      {"class ignored",
       [] {
         json a = AccessEntry("foo/bar", {"pull"});
         a["class"] = "plugin";
         return B(Mint(Claims(json::array({a}))));
       },
       "GET", kTags, 404, ""},
      {"type must match",
       [] { return B(Mint(Claims(json::array({AccessEntry("foo/bar", {"pull"}, "registry")})))); },
       "GET", kTags, 401, "insufficient_scope"},
      {"pull alone cannot push", [=] { return B(Mint(pull)); }, "POST",
       "/v2/foo/bar/blobs/uploads/", 401, "insufficient_scope"},
      {"push alone cannot push (pull+push needed)", [] { return B(Token("foo/bar", {"push"})); },
       "POST", "/v2/foo/bar/blobs/uploads/", 401, "insufficient_scope"},
      {"push cannot delete (zot GHSA-qg67-7m6v-qg25)",
       [] {
         return B(Token("foo/bar", {"pull", "push"}));
       },
       "DELETE", "/v2/foo/bar/manifests/sha256:" + std::string(64, 'a'), 401, "insufficient_scope"},
      {"catalog needs registry:catalog:*", [=] { return B(Mint(pull)); }, "GET", "/v2/_catalog",
       401, "insufficient_scope"},
      {"catalog with registry:catalog:*", [] { return B(CatalogToken()); }, "GET", "/v2/_catalog",
       200, ""},
  };
  return v;
}

INSTANTIATE_TEST_SUITE_P(Table, RegistryHostileTest,
                         ::testing::Combine(::testing::ValuesIn(HostileCases()), ::testing::Bool()),
                         [](const ::testing::TestParamInfo<std::tuple<HostileCase, bool>>& p) {
                           std::string name;
                           for (const char c : std::string(std::get<0>(p.param).label)) {
                             name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
                           }
                           return name + (std::get<1>(p.param) ? "_planted_" : "_plain_") +
                                  std::to_string(p.index);
                         });

// =============================================================================================
// The push / pull / delete cycle.

class RegistryCycleTest : public ::testing::Test {
 protected:
  RegistryCycleTest() : registry_(Config()) {}
  Registry registry_;
  const std::string rw_ = Token("foo/bar", {"pull", "push"});
  const std::string all_ = Token("foo/bar", {"pull", "push", "delete"});
};

// Monolithic upload (POST ?digest= with the body; an extension over 2.8.2) then GET and HEAD.
TEST_F(RegistryCycleTest, MonolithicUploadThenPull) {
  const std::string data = "monolithic blob";
  const std::string d = Sha256(data);
  net::HttpResponse r =
      registry_.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/?digest=" + d, rw_, data));
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(Hdr(r, "Location"), std::string(kBase) + "/v2/foo/bar/blobs/" + d);
  EXPECT_EQ(Hdr(r, "Docker-Content-Digest"), d);
  for (const char* method : {"GET", "HEAD"}) {
    net::HttpResponse g = registry_.Handle(Req(method, "/v2/foo/bar/blobs/" + d, rw_));
    EXPECT_EQ(g.status, 200) << method;
    EXPECT_EQ(BodyOf(g), data) << method;  // the adapter drops the body of a HEAD
    EXPECT_EQ(Hdr(g, "Docker-Content-Digest"), d);
    EXPECT_EQ(Hdr(g, "Etag"), "\"" + d + "\"");
    EXPECT_EQ(Hdr(g, "Content-Type"), "application/octet-stream");
    EXPECT_EQ(Hdr(g, "Cache-Control"), "max-age=31536000");
    EXPECT_EQ(Hdr(g, "Accept-Ranges"), "bytes");
  }
}

// With monolithic_post off, 2.8.2's answer: the digest is ignored and a session opens.
TEST(RegistryUpload, MonolithicPostDisabledOpensASessionAs282Does) {
  RegistryConfig c = Config();
  c.monolithic_post = false;
  Registry registry(std::move(c));
  const std::string d = Sha256("x");
  net::HttpResponse r = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/?digest=" + d,
                                            Token("foo/bar", {"pull", "push"}), "x"));
  EXPECT_EQ(r.status, 202);
}

// Chunked upload: POST, PATCH ×2 with Content-Range, status GET, PUT ?digest=; headers as
// distribution's blobUploadResponse writes them.
TEST_F(RegistryCycleTest, ChunkedUploadWithContentRange) {
  net::HttpResponse start = registry_.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", rw_));
  ASSERT_EQ(start.status, 202);
  EXPECT_EQ(Hdr(start, "Docker-Upload-Uuid"), "uuid-1");
  EXPECT_EQ(Hdr(start, "Range"), "0-0");
  std::string loc = Hdr(start, "Location");
  EXPECT_EQ(loc.rfind(std::string(kBase) + "/v2/foo/bar/blobs/uploads/uuid-1?_state=", 0), 0u)
      << loc;

  net::HttpResponse p1 = registry_.Handle(
      Req("PATCH", Target(loc), rw_, "hello",
          {{"Content-Range", "0-4"}, {"Content-Type", "application/octet-stream"}}));
  ASSERT_EQ(p1.status, 202) << p1.body;
  EXPECT_EQ(Hdr(p1, "Range"), "0-4");
  loc = Hdr(p1, "Location");

  // A chunk that does not continue the upload: 416 RANGE_INVALID.
  net::HttpResponse skip =
      registry_.Handle(Req("PATCH", Target(loc), rw_, "xx", {{"Content-Range", "7-8"}}));
  EXPECT_EQ(skip.status, 416);
  EXPECT_EQ(FirstCode(skip), "RANGE_INVALID");
  net::HttpResponse garbled =
      registry_.Handle(Req("PATCH", Target(loc), rw_, "xx", {{"Content-Range", "bytes=5-6"}}));
  EXPECT_EQ(garbled.status, 416);

  net::HttpResponse p2 =
      registry_.Handle(Req("PATCH", Target(loc), rw_, " world", {{"Content-Range", "5-10"}}));
  ASSERT_EQ(p2.status, 202) << p2.body;
  EXPECT_EQ(Hdr(p2, "Range"), "0-10");
  loc = Hdr(p2, "Location");

  net::HttpResponse status = registry_.Handle(Req("GET", Target(loc), rw_));
  EXPECT_EQ(status.status, 204);
  EXPECT_EQ(Hdr(status, "Range"), "0-10");
  EXPECT_EQ(Hdr(status, "Docker-Upload-Uuid"), "uuid-1");

  const std::string d = Sha256("hello world");
  net::HttpResponse put = registry_.Handle(Req("PUT", Target(loc) + "&digest=" + d, rw_));
  ASSERT_EQ(put.status, 201) << put.body;
  EXPECT_EQ(Hdr(put, "Location"), std::string(kBase) + "/v2/foo/bar/blobs/" + d);
  net::HttpResponse g = registry_.Handle(Req("GET", "/v2/foo/bar/blobs/" + d, rw_));
  EXPECT_EQ(BodyOf(g), "hello world");
}

// 2.8.2 ignores Content-Range on PATCH; check_content_range=false reproduces that.
TEST(RegistryUpload, ContentRangeIgnoredWhenDisabledAs282Does) {
  RegistryConfig c = Config();
  c.check_content_range = false;
  Registry registry(std::move(c));
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  net::HttpResponse p = registry.Handle(
      Req("PATCH", Target(Hdr(start, "Location")), tok, "abc", {{"Content-Range", "9-99"}}));
  EXPECT_EQ(p.status, 202);
}

struct UploadErrorCase {
  const char* label;
  std::function<net::HttpRequest(const std::string& location, const std::string& token)> request;
  int want_status;
  std::string want_body;  // exact; "" → only the status
};
REGAUTH_PRINT_LABEL(UploadErrorCase)

class RegistryUploadErrorTest : public ::testing::TestWithParam<UploadErrorCase> {};

// The error answers of the upload routes, with distribution's codes and details.
TEST_P(RegistryUploadErrorTest, AnswersWithDistributionsErrors) {
  const UploadErrorCase& c = GetParam();
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  ASSERT_EQ(start.status, 202);
  net::HttpResponse r = registry.Handle(c.request(Target(Hdr(start, "Location")), tok));
  EXPECT_EQ(r.status, c.want_status) << r.body;
  if (!c.want_body.empty()) {
    EXPECT_EQ(r.body, c.want_body);
  }
}

std::string ErrBody(const std::string& code, const std::string& message,
                    const std::string& detail = "") {
  return R"({"errors":[{"code":")" + code + R"(","message":")" + message + "\"" +
         (detail.empty() ? "" : ",\"detail\":" + detail) + "}]}\n";
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryUploadErrorTest,
    ::testing::Values(
        UploadErrorCase{"digest mismatch",
                        [](const std::string& loc, const std::string& tok) {
                          return Req("PUT", loc + "&digest=" + Sha256("other"), tok, "data");
                        },
                        400,
                        ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content",
                                R"({"Digest":")" + Sha256("other") + R"(","Reason":{}})")},
        UploadErrorCase{"digest missing",
                        [](const std::string& loc, const std::string& tok) {
                          return Req("PUT", loc, tok, "data");
                        },
                        400,
                        ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content",
                                "\"digest missing\"")},
        UploadErrorCase{"digest unparsable",
                        [](const std::string& loc, const std::string& tok) {
                          return Req("PUT", loc + "&digest=sha256:abc", tok, "data");
                        },
                        400,
                        ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content",
                                "\"digest parsing failed\"")},
        UploadErrorCase{"no _state",
                        [](const std::string& loc, const std::string& tok) {
                          return Req("GET", loc.substr(0, loc.find('?')), tok);
                        },
                        404, ErrBody("BLOB_UPLOAD_INVALID", "blob upload invalid", "{}")},
        UploadErrorCase{"tampered _state",
                        [](const std::string& loc, const std::string& tok) {
                          std::string target = loc;
                          char& c = target[target.size() - 5];
                          c = c == 'A' ? 'B' : 'A';
                          return Req("GET", target, tok);
                        },
                        404, ""},
        UploadErrorCase{"uuid not the state's",
                        [](const std::string& loc, const std::string& tok) {
                          std::string target = loc;
                          target.replace(target.find("uuid-1"), 6, "uuid-9");
                          return Req("GET", target, tok);
                        },
                        404, ErrBody("BLOB_UPLOAD_INVALID", "blob upload invalid")},
        UploadErrorCase{"bad Content-Type on PATCH",
                        [](const std::string& loc, const std::string& tok) {
                          return Req("PATCH", loc, tok, "x", {{"Content-Type", "text/plain"}});
                        },
                        500, ErrBody("UNKNOWN", "unknown error", "{}")},
        UploadErrorCase{"no session on the bare route",
                        [](const std::string&, const std::string& tok) {
                          return Req("GET", "/v2/foo/bar/blobs/uploads/", tok);
                        },
                        404, ErrBody("BLOB_UPLOAD_UNKNOWN", "blob upload unknown to registry")},
        UploadErrorCase{"method not allowed",
                        [](const std::string& loc, const std::string& tok) {
                          net::HttpRequest r = Req("COPY", loc, tok);
                          return r;
                        },
                        405, "Method not allowed\n"}),
    testing_support::LabelName());

// After a failed commit 2.8's Cancel fails on the committed writer, so the session survives
// with the final chunk in it (measured): the old _state's offset no longer matches (and that
// cancels it), while a commit with an empty body can simply be retried.
TEST(RegistryUpload, DigestMismatchLeavesTheSessionAs282Does) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  const std::string loc = Target(Hdr(start, "Location"));
  net::HttpResponse put = registry.Handle(Req("PUT", loc + "&digest=" + Sha256("no"), tok, "yes"));
  EXPECT_EQ(put.status, 400);
  net::HttpResponse stale = registry.Handle(Req("GET", loc, tok));
  EXPECT_EQ(stale.status, 404);
  EXPECT_EQ(stale.body, ErrBody("BLOB_UPLOAD_INVALID", "blob upload invalid"));
  EXPECT_EQ(FirstCode(registry.Handle(Req("GET", loc, tok))), "BLOB_UPLOAD_UNKNOWN");

  net::HttpResponse s2 = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  net::HttpResponse patch = registry.Handle(Req("PATCH", Target(Hdr(s2, "Location")), tok, "abc"));
  const std::string loc2 = Target(Hdr(patch, "Location"));
  EXPECT_EQ(registry.Handle(Req("PUT", loc2 + "&digest=" + Sha256("zzz"), tok)).status, 400);
  EXPECT_EQ(registry.Handle(Req("PUT", loc2 + "&digest=" + Sha256("abc"), tok)).status, 201);
}

// A stale _state (an earlier offset) is refused and cancels the session, as in 2.8.
TEST(RegistryUpload, StaleStateCancelsTheSession) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  const std::string first = Target(Hdr(start, "Location"));
  net::HttpResponse p = registry.Handle(Req("PATCH", first, tok, "abc"));
  ASSERT_EQ(p.status, 202);
  net::HttpResponse stale = registry.Handle(Req("GET", first, tok));
  EXPECT_EQ(stale.status, 404);
  EXPECT_EQ(FirstCode(stale), "BLOB_UPLOAD_INVALID");
  net::HttpResponse gone = registry.Handle(Req("GET", Target(Hdr(p, "Location")), tok));
  EXPECT_EQ(FirstCode(gone), "BLOB_UPLOAD_UNKNOWN");
}

// Quay CVE-2026-32589: a session of team-a cannot be used through team-b's URL with team-b's
// token, even with team-a's valid _state.
TEST(RegistryUpload, SessionIsBoundToItsRepository) {
  Registry registry(Config());
  const std::string a = Token("team-a/app", {"pull", "push"});
  const std::string b = Token("team-b/app", {"pull", "push", "delete"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/team-a/app/blobs/uploads/", a));
  std::string target = Target(Hdr(start, "Location"));
  target.replace(target.find("team-a"), 6, "team-b");
  for (const char* method : {"GET", "PATCH", "PUT", "DELETE"}) {
    net::HttpResponse r = registry.Handle(Req(method, target + "&digest=" + Sha256(""), b));
    EXPECT_EQ(r.status, 404) << method;
    EXPECT_EQ(FirstCode(r), "BLOB_UPLOAD_INVALID") << method;
  }
  net::HttpResponse own = registry.Handle(Req("GET", Target(Hdr(start, "Location")), a));
  EXPECT_EQ(own.status, 204);
}

// DELETE of a session: 204 with its uuid, then it is unknown.
TEST(RegistryUpload, CancelClosesTheSession) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push", "delete"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  const std::string loc = Target(Hdr(start, "Location"));
  net::HttpResponse del = registry.Handle(Req("DELETE", loc, tok));
  EXPECT_EQ(del.status, 204);
  EXPECT_EQ(Hdr(del, "Docker-Upload-Uuid"), "uuid-1");
  EXPECT_EQ(FirstCode(registry.Handle(Req("GET", loc, tok))), "BLOB_UPLOAD_UNKNOWN");
}

// Too many open sessions: 429 TOOMANYREQUESTS (our limit; 2.8.2 has none).
TEST(RegistryUpload, TooManySessionsIs429) {
  StoreLimits limits;
  limits.max_upload_sessions = 1;
  Registry registry(Config(MemoryStore(limits)));
  const std::string tok = Token("foo/bar", {"pull", "push"});
  EXPECT_EQ(registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok)).status, 202);
  net::HttpResponse r = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(FirstCode(r), "TOOMANYREQUESTS");
}

// A blob over the size limit: 400 SIZE_INVALID and the session is cancelled.
TEST(RegistryUpload, BlobOverTheLimitIsRefused) {
  StoreLimits limits;
  limits.max_blob_bytes = 4;
  Registry registry(Config(MemoryStore(limits)));
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse start = registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", tok));
  net::HttpResponse r = registry.Handle(Req("PATCH", Target(Hdr(start, "Location")), tok, "12345"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(FirstCode(r), "SIZE_INVALID");
}

// Cross-repository mount: 201 with pull on `from`; without it the request needs that pull and
// is refused before the handler (suite-anchors §C4: "2.8.2 adds repository:B:pull"); a digest
// not in `from` falls back to an upload session (202).
TEST(RegistryMount, NeedsPullOnTheSourceRepository) {
  Registry registry(Config());
  const std::string src = Token("other/repo", {"pull", "push"});
  const std::string d = PushBlob(registry, "other/repo", "shared layer", src);
  const std::string target = "/v2/foo/bar/blobs/uploads/?mount=" + d + "&from=other/repo";

  const std::string with_pull = Mint(Claims(json::array(
      {AccessEntry("foo/bar", {"pull", "push"}), AccessEntry("other/repo", {"pull"})})));
  net::HttpResponse ok = registry.Handle(Req("POST", target, with_pull));
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Hdr(ok, "Location"), std::string(kBase) + "/v2/foo/bar/blobs/" + d);
  EXPECT_EQ(Hdr(ok, "Docker-Content-Digest"), d);
  EXPECT_EQ(BodyOf(registry.Handle(Req("GET", "/v2/foo/bar/blobs/" + d, with_pull))),
            "shared layer");

  net::HttpResponse no_pull =
      registry.Handle(Req("POST", target, Token("foo/bar", {"pull", "push"})));
  EXPECT_EQ(no_pull.status, 401);
  EXPECT_EQ(
      Hdr(no_pull, "Www-Authenticate"),
      R"(Bearer realm="https://auth.example/token",service="test-registry",scope="repository:foo/bar:pull,push repository:other/repo:pull",error="insufficient_scope")");

  const std::string missing =
      "/v2/foo/bar/blobs/uploads/?mount=" + Sha256("absent") + "&from=other/repo";
  EXPECT_EQ(registry.Handle(Req("POST", missing, with_pull)).status, 202);
}

// Go's r.FormValue also reads an urlencoded body: `from` in a POST body needs pull too.
TEST(RegistryMount, FromInAFormBodyIsAuthorizedLikeTheQuery) {
  Registry registry(Config());
  net::HttpResponse r =
      registry.Handle(Req("POST", "/v2/foo/bar/blobs/uploads/", Token("foo/bar", {"pull", "push"}),
                          "mount=sha256%3A" + std::string(64, '1') + "&from=secret%2Frepo",
                          {{"Content-Type", "application/x-www-form-urlencoded"}}));
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(Hdr(r, "Www-Authenticate").find("repository:secret/repo:pull"), std::string::npos);
}

// zot CVE-2024-39897: a blob is readable only through a repository that links it.
TEST(RegistryBlob, BlobOfAnotherRepositoryIsUnknown) {
  Registry registry(Config());
  const std::string d =
      PushBlob(registry, "team-b/app", "private layer", Token("team-b/app", {"pull", "push"}));
  net::HttpResponse r =
      registry.Handle(Req("GET", "/v2/team-a/app/blobs/" + d, Token("team-a/app", {"pull"})));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.body, ErrBody("BLOB_UNKNOWN", "blob unknown to registry", "\"" + d + "\""));
}

// http.ServeContent behaviour on blobs: If-None-Match → 304, a single range → 206, an
// unsatisfiable range → 416.
TEST(RegistryBlob, ConditionalAndRangeRequests) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  const std::string d = PushBlob(registry, "foo/bar", "hello world", tok);
  const std::string target = "/v2/foo/bar/blobs/" + d;
  net::HttpResponse nm =
      registry.Handle(Req("GET", target, tok, "", {{"If-None-Match", "\"" + d + "\""}}));
  EXPECT_EQ(nm.status, 304);
  EXPECT_EQ(nm.body, "");
  net::HttpResponse part = registry.Handle(Req("GET", target, tok, "", {{"Range", "bytes=6-"}}));
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(BodyOf(part), "world");
  EXPECT_EQ(Hdr(part, "Content-Range"), "bytes 6-10/11");
  net::HttpResponse suffix = registry.Handle(Req("GET", target, tok, "", {{"Range", "bytes=-5"}}));
  EXPECT_EQ(BodyOf(suffix), "world");
  // Go 1.19's http.Error cannot write a text longer than the Content-Length blobserver already
  // set, so these bodies are empty (measured); Content-Range only for "failed to overlap".
  net::HttpResponse beyond =
      registry.Handle(Req("GET", target, tok, "", {{"Range", "bytes=50-60"}}));
  EXPECT_EQ(beyond.status, 416);
  EXPECT_EQ(Hdr(beyond, "Content-Range"), "bytes */11");
  EXPECT_EQ(Hdr(beyond, "Docker-Content-Digest"), d);
  EXPECT_EQ(beyond.body, "");
  net::HttpResponse unit = registry.Handle(Req("GET", target, tok, "", {{"Range", "items=1-2"}}));
  EXPECT_EQ(unit.status, 416);
  EXPECT_EQ(Hdr(unit, "Content-Range"), "<none>");
  const std::string big = PushBlob(registry, "foo/bar", std::string(40, 'x'), tok);
  net::HttpResponse text =
      registry.Handle(Req("GET", "/v2/foo/bar/blobs/" + big, tok, "", {{"Range", "bytes=99-"}}));
  EXPECT_EQ(text.body, "invalid range: failed to overlap\n");
}

// Manifests by tag and digest, HEAD, If-None-Match, tags list.
TEST_F(RegistryCycleTest, ManifestByTagAndDigest) {
  const std::string digest = PushImage(registry_, "foo/bar", "latest", rw_);
  for (const std::string& ref : {std::string("latest"), digest}) {
    for (const char* method : {"GET", "HEAD"}) {
      net::HttpResponse r = registry_.Handle(
          Req(method, "/v2/foo/bar/manifests/" + ref, rw_, "", {{"Accept", kSchema2}}));
      EXPECT_EQ(r.status, 200) << method << " " << ref;
      EXPECT_EQ(Hdr(r, "Content-Type"), kSchema2);
      EXPECT_EQ(Hdr(r, "Docker-Content-Digest"), digest);
      EXPECT_EQ(Hdr(r, "Etag"), "\"" + digest + "\"");
      EXPECT_EQ(Sha256(r.body), digest);
    }
  }
  net::HttpResponse nm = registry_.Handle(Req("GET", "/v2/foo/bar/manifests/latest", rw_, "",
                                              {{"If-None-Match", "\"" + digest + "\""}}));
  EXPECT_EQ(nm.status, 304);
  net::HttpResponse tags = registry_.Handle(Req("GET", "/v2/foo/bar/tags/list", rw_));
  EXPECT_EQ(tags.status, 200);
  EXPECT_EQ(tags.body, "{\"name\":\"foo/bar\",\"tags\":[\"latest\"]}\n");
  EXPECT_EQ(Hdr(tags, "Content-Type"), "application/json; charset=utf-8");
}

// The manifest PUT answers: Location by digest, and the errors of bad manifests.
TEST_F(RegistryCycleTest, ManifestPutValidation) {
  const std::string config = "{}";
  const std::string cd = PushBlob(registry_, "foo/bar", config, rw_);
  const std::string missing = Sha256("never pushed");
  auto put = [&](const std::string& ref, const std::string& body, const std::string& type) {
    return registry_.Handle(
        Req("PUT", "/v2/foo/bar/manifests/" + ref, rw_, body, {{"Content-Type", type}}));
  };
  const std::string good = Schema2(cd, 2, {});
  net::HttpResponse ok = put("v1", good, kSchema2);
  ASSERT_EQ(ok.status, 201) << ok.body;
  EXPECT_EQ(Hdr(ok, "Location"), std::string(kBase) + "/v2/foo/bar/manifests/" + Sha256(good));
  EXPECT_EQ(Hdr(ok, "Docker-Content-Digest"), Sha256(good));

  net::HttpResponse unknown_layer = put("v2", Schema2(cd, 2, {{missing, 1}}), kSchema2);
  EXPECT_EQ(unknown_layer.status, 400);
  EXPECT_EQ(unknown_layer.body,
            ErrBody("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", "\"" + missing + "\""));
  // encoding/json's SyntaxError: Offset counts the bytes read through the bad one (measured).
  net::HttpResponse bad_json = put("v2", R"({"a":})", kSchema2);
  EXPECT_EQ(bad_json.body, ErrBody("MANIFEST_INVALID", "manifest invalid", R"({"Offset":6})"));
  EXPECT_EQ(put("v2", "[1,2", kSchema2).body,
            ErrBody("MANIFEST_INVALID", "manifest invalid", R"({"Offset":4})"));
  EXPECT_EQ(put("v2", "{bad", "text/plain").body,
            ErrBody("MANIFEST_INVALID", "manifest invalid", "{}"));  // the schema1 path
  // A tag the filesystem driver cannot store (':' from the route's digest form): the manifest
  // is stored, the tag is not, 500 UNKNOWN with the driver's error (measured).
  net::HttpResponse colon = put("sha256:abc", good, kSchema2);
  EXPECT_EQ(colon.status, 500);
  EXPECT_EQ(
      colon.body,
      ErrBody(
          "UNKNOWN", "unknown error",
          R"({"Path":"/docker/registry/v2/repositories/foo/bar/_manifests/tags/sha256:abc/index/sha256/)" +
              Sha256(good).substr(7) + R"(/link","DriverName":"filesystem"})"));
  net::HttpResponse colon_get =
      registry_.Handle(Req("GET", "/v2/foo/bar/manifests/sha256:abc", rw_));
  EXPECT_EQ(colon_get.status, 500);
  EXPECT_EQ(
      colon_get.body,
      ErrBody(
          "UNKNOWN", "unknown error",
          R"({"Path":"/docker/registry/v2/repositories/foo/bar/_manifests/tags/sha256:abc/current/link","DriverName":"filesystem"})"));
  EXPECT_EQ(put("v2", good, "application/json").status, 400);  // schema1 path
  EXPECT_EQ(put("v2", good, "application/vnd.oci.image.index.v1+json").status, 400);
  EXPECT_EQ(put(Sha256("x"), good, kSchema2).body,
            ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content"));
  json v1 = json::parse(good);
  v1["schemaVersion"] = 1;
  EXPECT_EQ(put("v2", v1.dump(), kSchema2).status, 500);  // "unrecognized manifest schema version"
  json bad_digest = json::parse(good);
  // go-digest checks the length before the characters: a bad format is DIGEST_INVALID (400), a
  // bad length ErrDigestInvalidLength, which PutManifest reports as UNKNOWN (500).
  bad_digest["config"]["digest"] = "sha256:" + std::string(64, 'X');
  net::HttpResponse bd = put("v2", bad_digest.dump(), kSchema2);
  EXPECT_EQ(bd.status, 400);
  EXPECT_EQ(FirstCode(bd), "DIGEST_INVALID");
  bad_digest["config"]["digest"] = "sha256:abc";
  EXPECT_EQ(put("v2", bad_digest.dump(), kSchema2).status, 500);
  net::HttpResponse huge = put("v2", std::string(4 * 1024 * 1024 + 1, ' '), kSchema2);
  EXPECT_EQ(huge.body,
            ErrBody("MANIFEST_INVALID", "manifest invalid", "\"http: request body too large\""));
  // A manifest list must reference manifests of this repository.
  json list = {{"schemaVersion", 2},
               {"mediaType", "application/vnd.docker.distribution.manifest.list.v2+json"},
               {"manifests",
                {{{"mediaType", kSchema2}, {"size", 1}, {"digest", Sha256(good)}},
                 {{"mediaType", kSchema2}, {"size", 1}, {"digest", missing}}}}};
  net::HttpResponse l = put("multi", list.dump(), list["mediaType"]);
  EXPECT_EQ(l.body,
            ErrBody("MANIFEST_BLOB_UNKNOWN", "blob unknown to registry", "\"" + missing + "\""));
  list["manifests"].erase(1);
  EXPECT_EQ(put("multi", list.dump(), list["mediaType"]).status, 201);
}

// An OCI manifest is hidden from clients that do not accept it (manifests.go GetManifest).
TEST_F(RegistryCycleTest, OciManifestNeedsAnAcceptHeader) {
  const std::string cd = PushBlob(registry_, "foo/bar", "{}", rw_);
  json m = {
      {"schemaVersion", 2},
      {"config",
       {{"mediaType", "application/vnd.oci.image.config.v1+json"}, {"size", 2}, {"digest", cd}}},
      {"layers", json::array()}};
  constexpr char kOci[] = "application/vnd.oci.image.manifest.v1+json";
  ASSERT_EQ(
      registry_
          .Handle(Req("PUT", "/v2/foo/bar/manifests/oci", rw_, m.dump(), {{"Content-Type", kOci}}))
          .status,
      201);
  net::HttpResponse hidden = registry_.Handle(Req("GET", "/v2/foo/bar/manifests/oci", rw_));
  EXPECT_EQ(hidden.status, 404);
  EXPECT_EQ(hidden.body,
            ErrBody("MANIFEST_UNKNOWN",
                    "OCI manifest found, but accept header does not support OCI manifests"));
  net::HttpResponse shown =
      registry_.Handle(Req("GET", "/v2/foo/bar/manifests/oci", rw_, "",
                           {{"Accept", std::string(kSchema2) + ", " + kOci}}));
  EXPECT_EQ(shown.status, 200);
  EXPECT_EQ(Hdr(shown, "Content-Type"), kOci);
}

// Unknown manifests and blobs: distribution's codes and details.
TEST_F(RegistryCycleTest, UnknownManifestAndBlobErrors) {
  net::HttpResponse tag = registry_.Handle(Req("GET", "/v2/foo/bar/manifests/nope", rw_));
  EXPECT_EQ(tag.status, 404);
  EXPECT_EQ(tag.body, ErrBody("MANIFEST_UNKNOWN", "manifest unknown", R"({"Tag":"nope"})"));
  const std::string zero = "sha256:" + std::string(64, '0');
  net::HttpResponse dig = registry_.Handle(Req("GET", "/v2/foo/bar/manifests/" + zero, rw_));
  EXPECT_EQ(dig.body, ErrBody("MANIFEST_UNKNOWN", "manifest unknown",
                              R"({"Name":"foo/bar","Revision":")" + zero + "\"}"));
  net::HttpResponse blob = registry_.Handle(Req("GET", "/v2/foo/bar/blobs/" + zero, rw_));
  EXPECT_EQ(blob.body, ErrBody("BLOB_UNKNOWN", "blob unknown to registry", "\"" + zero + "\""));
  net::HttpResponse bad = registry_.Handle(Req("GET", "/v2/foo/bar/blobs/sha256:abc", rw_));
  EXPECT_EQ(bad.body,
            ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content", "{}"));
  net::HttpResponse repo = registry_.Handle(Req("GET", "/v2/foo/bar/tags/list", rw_));
  EXPECT_EQ(repo.status, 404);
  EXPECT_EQ(repo.body, ErrBody("NAME_UNKNOWN", "repository name not known to registry",
                               R"({"name":"foo/bar"})"));
}

// Deletion with storage.delete.enabled: by digest 202 (tags go with it; the tag list becomes
// null), by tag 400 DIGEST_INVALID (2.8 has no delete-by-tag), blobs unlinked.
TEST_F(RegistryCycleTest, DeleteEnabled) {
  const std::string digest = PushImage(registry_, "foo/bar", "latest", all_);
  net::HttpResponse by_tag = registry_.Handle(Req("DELETE", "/v2/foo/bar/manifests/latest", all_));
  EXPECT_EQ(by_tag.status, 400);
  EXPECT_EQ(by_tag.body,
            ErrBody("DIGEST_INVALID", "provided digest did not match uploaded content"));
  net::HttpResponse del = registry_.Handle(Req("DELETE", "/v2/foo/bar/manifests/" + digest, all_));
  EXPECT_EQ(del.status, 202);
  EXPECT_EQ(del.body, "");
  EXPECT_EQ(registry_.Handle(Req("GET", "/v2/foo/bar/manifests/latest", all_)).status, 404);
  EXPECT_EQ(registry_.Handle(Req("GET", "/v2/foo/bar/tags/list", all_)).body,
            "{\"name\":\"foo/bar\",\"tags\":null}\n");
  net::HttpResponse again =
      registry_.Handle(Req("DELETE", "/v2/foo/bar/manifests/" + digest, all_));
  EXPECT_EQ(again.body, ErrBody("MANIFEST_UNKNOWN", "manifest unknown"));

  const std::string ld = Sha256("layer-data");
  EXPECT_EQ(registry_.Handle(Req("DELETE", "/v2/foo/bar/blobs/" + ld, all_)).status, 202);
  EXPECT_EQ(registry_.Handle(Req("GET", "/v2/foo/bar/blobs/" + ld, all_)).status, 404);
  EXPECT_EQ(registry_.Handle(Req("DELETE", "/v2/foo/bar/blobs/" + ld, all_)).body,
            ErrBody("BLOB_UNKNOWN", "blob unknown to registry"));
}

// storage.delete.enabled off (the default): every DELETE is 405 UNSUPPORTED, after auth.
TEST(RegistryDelete, DisabledAnswers405Unsupported) {
  RegistryConfig c = Config();
  c.delete_enabled = false;
  Registry registry(std::move(c));
  const std::string tok = Token("foo/bar", {"pull", "push", "delete"});
  const std::string digest = PushImage(registry, "foo/bar", "latest", tok);
  const std::string unsupported = ErrBody("UNSUPPORTED", "The operation is unsupported.");
  for (const std::string& target :
       {"/v2/foo/bar/manifests/" + digest, std::string("/v2/foo/bar/manifests/latest"),
        "/v2/foo/bar/blobs/" + Sha256("layer-data")}) {
    net::HttpResponse r = registry.Handle(Req("DELETE", target, tok));
    EXPECT_EQ(r.status, 405) << target;
    EXPECT_EQ(r.body, unsupported) << target;
  }
  EXPECT_EQ(registry.Handle(Req("GET", "/v2/foo/bar/manifests/latest", tok)).status, 200);
  // Authorization still comes first.
  net::HttpResponse no_delete =
      registry.Handle(Req("DELETE", "/v2/foo/bar/manifests/" + digest, Token("foo/bar", {"pull"})));
  EXPECT_EQ(no_delete.status, 401);
}

// Tag list pagination (`n`, `last`, Link) — an extension; off, 2.8.2 ignores both.
TEST(RegistryTags, PaginationWithLinkHeader) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  PushImage(registry, "foo/bar", "v1", tok);
  for (const char* tag : {"v2", "v3", "v4", "v5"}) {
    const std::string m = Schema2(Sha256("{\"architecture\":\"amd64\",\"repo\":\"foo/bar\"}"), 43,
                                  {{Sha256("layer-data"), 10}});
    ASSERT_EQ(registry
                  .Handle(Req("PUT", std::string("/v2/foo/bar/manifests/") + tag, tok, m,
                              {{"Content-Type", kSchema2}}))
                  .status,
              201);
  }
  net::HttpResponse p1 = registry.Handle(Req("GET", "/v2/foo/bar/tags/list?n=2", tok));
  EXPECT_EQ(p1.body, "{\"name\":\"foo/bar\",\"tags\":[\"v1\",\"v2\"]}\n");
  EXPECT_EQ(Hdr(p1, "Link"), "</v2/foo/bar/tags/list?last=v2&n=2>; rel=\"next\"");
  net::HttpResponse p3 = registry.Handle(Req("GET", "/v2/foo/bar/tags/list?n=2&last=v4", tok));
  EXPECT_EQ(p3.body, "{\"name\":\"foo/bar\",\"tags\":[\"v5\"]}\n");
  EXPECT_EQ(Hdr(p3, "Link"), "<none>");
  EXPECT_EQ(registry.Handle(Req("GET", "/v2/foo/bar/tags/list?n=5000", tok)).status, 400);

  RegistryConfig c = Config(registry.config().store);
  c.paginate_tags = false;
  Registry plain(std::move(c));
  net::HttpResponse all = plain.Handle(Req("GET", "/v2/foo/bar/tags/list?n=2&last=v4", tok));
  EXPECT_EQ(all.body, "{\"name\":\"foo/bar\",\"tags\":[\"v1\",\"v2\",\"v3\",\"v4\",\"v5\"]}\n");
}

// Catalog pagination and the CVE-2023-2253 bounds (catalog.go GetCatalog).
TEST(RegistryCatalog, PaginationAndBounds) {
  Registry registry(Config());
  for (const char* repo : {"a", "a/b", "a-b", "b"}) {
    PushBlob(registry, repo, "x", Token(repo, {"pull", "push"}));
  }
  const std::string tok = CatalogToken();
  net::HttpResponse p1 = registry.Handle(Req("GET", "/v2/_catalog?n=2", tok));
  EXPECT_EQ(p1.status, 200);
  EXPECT_EQ(p1.body, "{\"repositories\":[\"a\",\"a/b\"]}\n");
  EXPECT_EQ(Hdr(p1, "Link"), "</v2/_catalog?last=a%2Fb&n=2>; rel=\"next\"");
  net::HttpResponse p2 = registry.Handle(Req("GET", "/v2/_catalog?last=a%2Fb&n=2", tok));
  EXPECT_EQ(p2.body, "{\"repositories\":[\"a-b\",\"b\"]}\n");
  EXPECT_EQ(Hdr(p2, "Link"), "<none>");  // nothing follows (measured: no Link on the last page)
  net::HttpResponse p3 = registry.Handle(Req("GET", "/v2/_catalog?last=b&n=2", tok));
  EXPECT_EQ(p3.body, "{\"repositories\":[]}\n");
  EXPECT_EQ(Hdr(p3, "Link"), "<none>");

  const std::string all = "{\"repositories\":[\"a\",\"a/b\",\"a-b\",\"b\"]}\n";
  struct Bound {
    const char* n;
    int status;
    std::string body;
  };
  for (const Bound& b :
       {Bound{"1001", 400,
              ErrBody("PAGINATION_NUMBER_INVALID", "invalid number of results requested",
                      R"({"n":1001})")},
        Bound{"2147483648", 400,
              ErrBody("PAGINATION_NUMBER_INVALID", "invalid number of results requested",
                      R"({"n":2147483648})")},
        Bound{"1000", 200, all}, Bound{"-5", 200, all}, Bound{"abc", 200, all},
        Bound{"99999999999999999999", 200, all}, Bound{"0", 200, "{\"repositories\":[]}\n"}}) {
    net::HttpResponse r = registry.Handle(Req("GET", std::string("/v2/_catalog?n=") + b.n, tok));
    EXPECT_EQ(r.status, b.status) << b.n;
    EXPECT_EQ(r.body, b.body) << b.n;
  }
}

// =============================================================================================
// Routing as gorilla/mux routes distribution's paths.

struct RouteCase {
  const char* label;
  std::string method;
  std::string target;
  int want_status;
  std::string want_location;  // for 301
  std::string want_body;      // exact, when not empty
};
REGAUTH_PRINT_LABEL(RouteCase)

class RegistryRouteTest : public ::testing::TestWithParam<RouteCase> {};

TEST_P(RegistryRouteTest, RoutesLikeDistribution) {
  const RouteCase& c = GetParam();
  Registry registry(Config());
  net::HttpResponse r = registry.Handle(Req(c.method, c.target));
  EXPECT_EQ(r.status, c.want_status) << r.body;
  if (c.want_status == 301) {
    EXPECT_EQ(Hdr(r, "Location"), c.want_location);
  }
  if (!c.want_body.empty()) {
    EXPECT_EQ(r.body, c.want_body);
  }
  if (c.want_status != 400) {
    EXPECT_EQ(Hdr(r, "Docker-Distribution-Api-Version"), "registry/2.0");
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RegistryRouteTest,
    ::testing::Values(
        RouteCase{"v2 without slash", "GET", "/v2", 301, "/v2/",
                  "<a href=\"/v2/\">Moved Permanently</a>.\n\n"},
        RouteCase{"dot-dot is cleaned", "GET", "/v2/foo/../bar/tags/list", 301, "/v2/bar/tags/list",
                  ""},
        RouteCase{"double slash is cleaned", "GET", "/v2//foo/tags/list?n=1", 301,
                  "/v2/foo/tags/list?n=1", ""},
        RouteCase{"trailing slash on tags", "GET", "/v2/foo/tags/list/", 301, "/v2/foo/tags/list",
                  ""},
        RouteCase{"uploads without slash", "POST", "/v2/foo/blobs/uploads", 301,
                  "/v2/foo/blobs/uploads/", ""},
        RouteCase{"catalog with slash", "GET", "/v2/_catalog/", 301, "/v2/_catalog", ""},
        RouteCase{"upper-case path component", "GET", "/v2/foo/BAR/tags/list", 404, "",
                  "404 page not found\n"},
        RouteCase{"single upper-case component", "GET", "/v2/Foo/tags/list", 404, "", ""},
        RouteCase{"leading dash", "GET", "/v2/-foo/tags/list", 404, "", ""},
        RouteCase{"not a digest", "GET", "/v2/foo/blobs/latest", 404, "", ""},
        RouteCase{"unknown path", "GET", "/v1/", 404, "", "404 page not found\n"},
        RouteCase{"v3", "GET", "/v3/", 404, "", ""},
        RouteCase{"bad escape", "GET", "/v2/foo%zz/tags/list", 400, "", "400 Bad Request"},
        RouteCase{"upper-case domain routes", "GET", "/v2/FOO/bar/tags/list", 401, "", ""},
        RouteCase{"encoded slash is decoded", "GET", "/v2/foo%2Fbar/tags/list", 401, "", ""},
        RouteCase{"digest-looking tag routes", "GET", "/v2/foo/manifests/sha256:abc", 401, "", ""},
        RouteCase{"port in the name routes", "GET", "/v2/localhost:5000/foo/tags/list", 401, "",
                  ""}),
    testing_support::LabelName());

// registry.go alive("/"): the root is 200 with no body and no API version header.
TEST(RegistryRoute, RootIsAlive) {
  Registry registry(Config());
  net::HttpResponse r = registry.Handle(Req("GET", "/"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
  EXPECT_EQ(Hdr(r, "Cache-Control"), "no-cache");
  EXPECT_EQ(Hdr(r, "Docker-Distribution-Api-Version"), "<none>");
}

// The decoded name is what authorization sees.
TEST(RegistryRoute, PercentEncodedNameIsAuthorizedDecoded) {
  Registry registry(Config());
  net::HttpResponse r = registry.Handle(Req("GET", "/v2/foo%2Fbar/tags/list"));
  EXPECT_NE(Hdr(r, "Www-Authenticate").find("scope=\"repository:foo/bar:pull\""),
            std::string::npos);
}

// Names over 255 bytes route, are authorized, then fail reference.WithName; the dispatcher's
// error is no errcode, so 2.8.2 answers 500 UNKNOWN with the struct as detail (measured).
TEST(RegistryRoute, OverlongNameIsNameInvalidAfterAuth) {
  Registry registry(Config());
  const std::string name = std::string(200, 'a') + "/" + std::string(60, 'b');
  net::HttpResponse unauth = registry.Handle(Req("GET", "/v2/" + name + "/tags/list"));
  EXPECT_EQ(unauth.status, 401);
  net::HttpResponse r =
      registry.Handle(Req("GET", "/v2/" + name + "/tags/list", Token(name, {"pull"})));
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            ErrBody("UNKNOWN", "unknown error", R"({"Name":")" + name + R"(","Reason":{}})"));
}

// gorilla/handlers MethodHandler: 405 with Allow after authorization; OPTIONS 200. A method
// with no access record still needs a valid token (challenge without scope, detail null).
TEST(RegistryRoute, MethodNotAllowedAfterAuthorization) {
  Registry registry(Config());
  const std::string rw = Token("foo/bar", {"pull", "push"});
  net::HttpResponse patch = registry.Handle(Req("PATCH", "/v2/foo/bar/tags/list", rw));
  EXPECT_EQ(patch.status, 405);
  EXPECT_EQ(Hdr(patch, "Allow"), "GET");
  EXPECT_EQ(patch.body, "Method not allowed\n");
  EXPECT_EQ(Hdr(patch, "Content-Type"), "text/plain; charset=utf-8");
  net::HttpResponse options = registry.Handle(Req("OPTIONS", "/v2/foo/bar/manifests/latest", rw));
  EXPECT_EQ(options.status, 200);
  EXPECT_EQ(Hdr(options, "Allow"), "DELETE, GET, HEAD, PUT");
  net::HttpResponse anon = registry.Handle(Req("OPTIONS", "/v2/foo/bar/tags/list"));
  EXPECT_EQ(anon.status, 401);
  EXPECT_EQ(Hdr(anon, "Www-Authenticate"),
            R"(Bearer realm="https://auth.example/token",service="test-registry")");
  EXPECT_EQ(anon.body, Body("null"));
  net::HttpResponse head_catalog = registry.Handle(Req("HEAD", "/v2/_catalog", CatalogToken()));
  EXPECT_EQ(head_catalog.status, 405);
  net::HttpResponse base_post = registry.Handle(Req("POST", "/v2/", rw));
  EXPECT_EQ(base_post.status, 200);
  EXPECT_EQ(base_post.body, "{}");
}

// http.headers are added to every routed response (Debian's config: X-Content-Type-Options).
TEST(RegistryRoute, ExtraHeadersOnRoutedResponses) {
  RegistryConfig c = Config();
  c.extra_headers = {{"X-Content-Type-Options", "nosniff"}};
  Registry registry(std::move(c));
  EXPECT_EQ(Hdr(registry.Handle(Req("GET", "/v2/")), "X-Content-Type-Options"), "nosniff");
  net::HttpResponse ok = registry.Handle(Req("GET", "/v2/", Token("x", {"pull"})));
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(Hdr(ok, "X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(Hdr(ok, "Content-Type"), "application/json; charset=utf-8");
}

// Locations follow X-Forwarded-Proto/Host, and RFC 7239 Forwarded before them.
TEST(RegistryRoute, LocationsFollowForwardedHeaders) {
  Registry registry(Config());
  const std::string tok = Token("foo/bar", {"pull", "push"});
  net::HttpResponse x = registry.Handle(
      Req("POST", "/v2/foo/bar/blobs/uploads/", tok, "",
          {{"X-Forwarded-Proto", "https"}, {"X-Forwarded-Host", "public.example, inner"}}));
  EXPECT_EQ(Hdr(x, "Location").rfind("https://public.example/v2/foo/bar/blobs/uploads/", 0), 0u);
  net::HttpResponse f = registry.Handle(
      Req("POST", "/v2/foo/bar/blobs/uploads/", tok, "",
          {{"Forwarded", "proto=https;host=\"fwd.example:8443\""}, {"X-Forwarded-Host", "no"}}));
  EXPECT_EQ(Hdr(f, "Location").rfind("https://fwd.example:8443/v2/", 0), 0u);
}

// =============================================================================================
// Misbehaviours: every registry switch flips exactly the behaviour it names, and nothing else.

// Probe detects one switch: `request` provokes the bug it names, `exhibits` says whether the
// answer shows it. Comparing verdicts (not whole answers) keeps the switches independent: a
// probe of an insufficient-scope bug is also a 401 that insufficient-scope-403 turns into 403,
// but that is not the bug the probe looks for.
struct Probe {
  const char* misbehaviour;  // CLI name of the switch this probe detects
  std::function<net::HttpRequest(const std::string& foreign_upload)> request;
  std::function<bool(const net::HttpResponse&)> exhibits;
};

// Seed prepares the state the probes need and returns team-b's upload Location target.
std::string Seed(const Registry& r) {
  const std::string a = Token("team-a/app", {"pull", "push"});
  const std::string b = Token("team-b/app", {"pull", "push"});
  PushImage(r, "team-a/app", "v1", a);
  PushBlob(r, "team-b/app", "team-b secret layer", b);
  net::HttpResponse start = r.Handle(Req("POST", "/v2/team-b/app/blobs/uploads/", b));
  return Target(Hdr(start, "Location"));
}

bool Authorized(const net::HttpResponse& r) { return r.status != 401 && r.status != 403; }
std::function<bool(const net::HttpResponse&)> StatusIs(int status) {
  return [status](const net::HttpResponse& r) { return r.status == status; };
}

std::vector<Probe> Probes() {
  const json pull_a = Claims(json::array({AccessEntry("team-a/app", {"pull"})}));
  auto base = [](std::string token) {
    return [token](const std::string&) { return Req("GET", "/v2/", token); };
  };
  return {
      {"accept-alg-none",
       base(protocol::EncodeCompact(R"({"alg":"none","kid":")" + K().kid + "\"}", pull_a.dump(),
                                    "")),
       Authorized},
      {"ignore-audience", base(Mint(WithClaim(pull_a, "aud", "other-registry"))), Authorized},
      {"ignore-issuer", base(Mint(WithClaim(pull_a, "iss", "evil-issuer"))), Authorized},
      {"ignore-expiry", base(Mint(WithClaim(pull_a, "exp", kNow - 3600))), Authorized},
      {"ignore-signature",
       base(*protocol::SignCompact(Header(), pull_a, protocol::Alg::kRS256, K().other)),
       Authorized},
      {"trust-embedded-jwk",
       base(*protocol::SignCompact(json{{"jwk", protocol::PublicJwk(K().other, K().kid)}}, pull_a,
                                   protocol::Alg::kRS256, K().other)),
       Authorized},
      {"accept-hs256-public-key",
       base(*protocol::SignCompactHmac(Header(), pull_a, protocol::Alg::kHS256,
                                       protocol::PublicKeyPem(K().signer))),
       Authorized},
      {"push-implies-delete",
       [](const std::string&) {
         return Req("DELETE", "/v2/team-a/app/manifests/sha256:" + std::string(64, 'a'),
                    Token("team-a/app", {"pull", "push"}));
       },
       Authorized},
      {"push-without-pull",
       [](const std::string&) {
         return Req("POST", "/v2/team-a/app/blobs/uploads/", Token("team-a/app", {"push"}));
       },
       Authorized},
      {"insufficient-scope-403",
       [](const std::string&) {
         return Req("GET", "/v2/team-a/app/tags/list", Token("team-b/app", {"pull"}));
       },
       StatusIs(403)},
      {"no-challenge-on-invalid-token",
       [](const std::string&) { return Req("GET", "/v2/", std::string("a.b.c")); },
       [](const net::HttpResponse& r) { return !r.Header("Www-Authenticate").has_value(); }},
      {"cross-repo-blob-read",
       [](const std::string&) {
         return Req("GET", "/v2/team-a/app/blobs/" + Sha256("team-b secret layer"),
                    Token("team-a/app", {"pull"}));
       },
       StatusIs(200)},
      {"upload-session-any-repo",
       [](const std::string& foreign) {
         std::string target = foreign;
         target.replace(target.find("team-b"), 6, "team-a");
         return Req("GET", target, Token("team-a/app", {"pull"}));
       },
       StatusIs(204)},
      {"delete-ignores-disabled",
       [](const std::string&) {
         return Req("DELETE", "/v2/team-a/app/manifests/v1", Token("team-a/app", {"delete"}));
       },
       StatusIs(202)},
      {"unbounded-catalog",
       [](const std::string&) { return Req("GET", "/v2/_catalog?n=5000", CatalogToken()); },
       StatusIs(200)},
  };
}

// RunProbes returns, per probe, whether its bug shows on a registry with `m`.
std::map<std::string, bool> RunProbes(const Misbehaviours& m) {
  std::map<std::string, bool> out;
  for (const Probe& p : Probes()) {
    RegistryConfig c = Config();
    c.delete_enabled = false;
    c.misbehaviours = m;
    Registry registry(std::move(c));
    const std::string foreign = Seed(registry);
    out[p.misbehaviour] = p.exhibits(registry.Handle(p.request(foreign)));
  }
  return out;
}

class RegistryMisbehaviourTest : public ::testing::TestWithParam<MisbehaviourInfo> {};

TEST_P(RegistryMisbehaviourTest, FlipsExactlyTheBehaviourItNames) {
  const MisbehaviourInfo& info = GetParam();
  static const std::map<std::string, bool> baseline = RunProbes(Misbehaviours());
  ASSERT_EQ(baseline.count(std::string(info.name)), 1u) << "no probe for " << info.name;
  Misbehaviours m;
  m.Enable(info.id);
  const auto flipped = RunProbes(m);
  for (const auto& [name, shows] : baseline) {
    EXPECT_FALSE(shows) << "distribution itself shows " << name;
    EXPECT_EQ(flipped.at(name), name == info.name) << info.name << " vs probe " << name;
  }
}

std::vector<MisbehaviourInfo> RegistrySwitches() {
  std::vector<MisbehaviourInfo> out;
  for (const MisbehaviourInfo& info : AllMisbehaviours()) {
    if (info.component == "registry") out.push_back(info);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, RegistryMisbehaviourTest, ::testing::ValuesIn(RegistrySwitches()),
                         [](const ::testing::TestParamInfo<MisbehaviourInfo>& p) {
                           std::string name;
                           for (const char c : p.param.name) {
                             name.push_back(std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
                           }
                           return name;
                         });

// With every switch on, every probe shows its bug (no switch masks another).
TEST(RegistryMisbehaviour, AllSwitchesTogetherShowEveryBug) {
  Misbehaviours all;
  for (const MisbehaviourInfo& info : AllMisbehaviours()) {
    if (info.component == "registry") all.Enable(info.id);
  }
  const auto shown = RunProbes(all);
  EXPECT_EQ(shown.size(), RegistrySwitches().size());
  for (const auto& [name, shows] : shown) EXPECT_TRUE(shows) << name;
}

// Each registry switch is consulted at exactly one point of the registry's sources
// (reference_server/registry/*.cc; misbehaviour.h).
TEST(RegistryMisbehaviour, EachSwitchIsNamedOnceInTheSource) {
  std::stringstream ss;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(REGAUTH_SOURCE_DIR) +
                                                               "/reference_server/registry")) {
    if (entry.path().extension() != ".cc" || entry.path().stem().string().ends_with("_test")) {
      continue;
    }
    std::ifstream in(entry.path());
    ss << in.rdbuf();
  }
  const std::string source = ss.str();
  ASSERT_FALSE(source.empty());
  for (const MisbehaviourInfo& info : RegistrySwitches()) {
    std::string enumerator = "Misbehaviour::k";
    bool upper = true;
    for (const char c : info.name) {
      if (c == '-') {
        upper = true;
        continue;
      }
      enumerator.push_back(upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c)))
                                 : c);
      upper = false;
    }
    std::size_t count = 0;
    for (std::size_t at = source.find(enumerator); at != std::string::npos;
         at = source.find(enumerator, at + 1)) {
      const char next =
          at + enumerator.size() < source.size() ? source[at + enumerator.size()] : ' ';
      if (!std::isalnum(static_cast<unsigned char>(next))) ++count;
    }
    EXPECT_EQ(count, 1u) << enumerator;
  }
}

// =============================================================================================
// The directory backend through the registry: a restarted registry serves what was pushed.

TEST(RegistryDisk, SurvivesReopening) {
  const std::filesystem::path dir =
      std::filesystem::path(REGAUTH_BINARY_DIR) / "registry_test_tmp" / "reopen";
  std::filesystem::remove_all(dir);
  auto open = [&] {
    StoreOptions o;
    o.directory = dir.string();
    o.new_upload_id = UuidCounter();
    return std::shared_ptr<Store>(std::move(*Store::Open(o)));
  };
  const std::string tok = Token("team/app", {"pull", "push"});
  std::string digest;
  {
    Registry registry(Config(open()));
    digest = PushImage(registry, "team/app", "stable", tok);
  }
  Registry registry(Config(open()));
  net::HttpResponse m =
      registry.Handle(Req("GET", "/v2/team/app/manifests/stable", tok, "", {{"Accept", kSchema2}}));
  EXPECT_EQ(m.status, 200);
  EXPECT_EQ(Hdr(m, "Docker-Content-Digest"), digest);
  net::HttpResponse b =
      registry.Handle(Req("GET", "/v2/team/app/blobs/" + Sha256("layer-data"), tok));
  EXPECT_EQ(BodyOf(b), "layer-data");
  net::HttpResponse c = registry.Handle(Req("GET", "/v2/_catalog", CatalogToken()));
  EXPECT_EQ(c.body, "{\"repositories\":[\"team/app\"]}\n");
  std::filesystem::remove_all(dir);
}

// =============================================================================================
// Concurrency smoke test: several threads pushing and pulling through Handle().

TEST(RegistryConcurrency, ParallelPushAndPull) {
  Registry registry(Config());
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string repo = "team/app" + std::to_string(t);
      const std::string tok = Token(repo, {"pull", "push"});
      for (int i = 0; i < 10; ++i) {
        const std::string layer = repo + " layer " + std::to_string(i);
        const std::string digest = PushImage(registry, repo, "v" + std::to_string(i), tok, layer);
        net::HttpResponse m =
            registry.Handle(Req("GET", "/v2/" + repo + "/manifests/v" + std::to_string(i), tok, "",
                                {{"Accept", kSchema2}}));
        net::HttpResponse b =
            registry.Handle(Req("GET", "/v2/" + repo + "/blobs/" + Sha256(layer), tok));
        if (m.status != 200 || Hdr(m, "Docker-Content-Digest") != digest || BodyOf(b) != layer) {
          ++failures;
        }
        if (registry.Handle(Req("GET", "/v2/" + repo + "/tags/list", tok)).status != 200) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  net::HttpResponse c = registry.Handle(Req("GET", "/v2/_catalog", CatalogToken()));
  EXPECT_EQ(c.body,
            "{\"repositories\":[\"team/app0\",\"team/app1\",\"team/app2\",\"team/app3\"]}\n");
}

// In-process throughput of GET /v2/<repo>/tags/list with a valid RS256 token (reported, and
// every answer must be 200).
TEST(RegistryThroughput, TagsListWithRs256Token) {
  Registry registry(Config());
  const std::string tok = Token("team/app", {"pull", "push"});
  PushImage(registry, "team/app", "v1", tok);
  const net::HttpRequest req = Req("GET", "/v2/team/app/tags/list", tok);
  constexpr int kRequests = 2000;
  int ok = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kRequests; ++i) ok += registry.Handle(req).status == 200 ? 1 : 0;
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(ok, kRequests);
  std::cout << "[ THROUGHPUT ] GET /v2/<repo>/tags/list, RS256: "
            << static_cast<long>(kRequests / seconds) << " req/s (1 thread)\n";
  RecordProperty("requests_per_second", static_cast<int>(kRequests / seconds));
}

}  // namespace
}  // namespace regauth::server
