#include "reference_server/server.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "protocol/base64.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/test_support.h"
#include "protocol/token_response.h"
#include "reference_server/registry/store.h"

namespace regauth::server {
namespace {

// A small world: dana (developer of acme) with a read+write registry PAT on the private
// acme/app, and a secret that also appears in a query string to check the logs.
constexpr const char* kWorld = R"({
  "name": "server-test",
  "users": [{"username": "dana"}],
  "groups": [{"path": "acme", "id": 1, "visibility": "private",
              "members": [{"user": "dana", "role": "developer"}]}],
  "projects": [{"id": 1, "path": "acme/app", "visibility": "private"}],
  "credentials": [
    {"id": "dana-pat", "kind": "personal_access_token", "user": "dana",
     "secret": "glpat-server-test-secret", "scopes": ["read_registry", "write_registry"]}
  ]
})";
constexpr const char* kSecret = "glpat-server-test-secret";

// TempDir: a fresh directory, removed at the end (protocol/test_support.h).
class TempDir : public testing_support::TempDir {
 public:
  TempDir() : testing_support::TempDir("regauth-server-test-") {}
};

std::string WriteWorld(const TempDir& dir) {
  const std::string path = dir.path() + "/world.json";
  std::ofstream(path) << kWorld;
  return path;
}

// CapturedLog collects every line the server logs.
struct CapturedLog {
  std::mutex mu;
  std::vector<std::string> lines;
  ServerLogSink Sink() {
    return [this](LogLevel level, std::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(std::string(Name(level)) + " " + std::string(line));
    };
  }
  std::string All() {
    std::lock_guard<std::mutex> lock(mu);
    std::string all;
    for (const std::string& l : lines) all += l + "\n";
    return all;
  }
};

ReferenceServerConfig BaseConfig(const TempDir& dir, CapturedLog* log) {
  ReferenceServerConfig c;
  c.world_path = WriteWorld(dir);
  c.state_dir = dir.path() + "/state";
  c.log = log->Sink();
  c.log_level = LogLevel::kDebug;
  c.threads = 2;
  return c;
}

std::string Basic(std::string_view user, std::string_view password) {
  return "Basic " + protocol::Base64Encode(std::string(user) + ":" + std::string(password));
}

// FetchToken asks the realm for `scope` with dana's PAT and returns the token ("" on failure).
std::string FetchToken(net::HttpClient& client, const std::string& realm,
                       const std::string& scope) {
  auto r = client.Send({"GET",
                        realm + "?service=container_registry&scope=" + scope,
                        {{"Authorization", Basic("dana", kSecret)}},
                        ""});
  if (!r || r->status != 200) {
    ADD_FAILURE() << "token request: " << (r ? std::to_string(r->status) : r.error().message);
    return "";
  }
  auto body = protocol::ParseTokenResponse(r->body, protocol::TokenResponseForm::kGet);
  if (!body) {
    ADD_FAILURE() << "token response does not parse: " << r->body;
    return "";
  }
  return body->EffectiveToken();
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 0777;
}

// The whole flow over real sockets (token-auth.md §1.1): /v2/ challenges with the server's own
// realm, the realm issues a token for dana's PAT, the registry accepts it.
TEST(ReferenceServer, IssuesTokensTheRegistryAccepts) {
  TempDir dir;
  CapturedLog log;
  auto server = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(server) << server.error();
  const ReferenceServer& s = **server;
  EXPECT_NE(s.token_port(), 0);
  EXPECT_NE(s.registry_port(), 0);
  EXPECT_EQ(s.realm(), s.token_url() + "/jwt/auth");

  net::HttpClient client;
  auto challenge = client.Send({"GET", s.registry_url() + "/v2/", {}, ""});
  ASSERT_TRUE(challenge) << challenge.error().message;
  EXPECT_EQ(challenge->status, 401);
  EXPECT_EQ(challenge->Header("WWW-Authenticate").value_or(""),
            "Bearer realm=\"" + s.realm() + "\",service=\"container_registry\"");

  const std::string token = FetchToken(client, s.realm(), "repository:acme/app:pull,push");
  ASSERT_FALSE(token.empty());
  auto base =
      client.Send({"GET", s.registry_url() + "/v2/", {{"Authorization", "Bearer " + token}}, ""});
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_EQ(base->status, 200);
  auto tags = client.Send({"GET",
                           s.registry_url() + "/v2/acme/app/tags/list",
                           {{"Authorization", "Bearer " + token}},
                           ""});
  ASSERT_TRUE(tags) << tags.error().message;
  EXPECT_EQ(tags->status, 404);  // authorized; NAME_UNKNOWN because nothing was pushed
  EXPECT_NE(tags->body.find("NAME_UNKNOWN"), std::string::npos) << tags->body;
}

// The rootcertbundle a registry needs is served at /jwt/certificate and written to the state
// directory; JWKS at /jwt/keys names the key with the kid the tokens carry.
TEST(ReferenceServer, ServesCertificateAndJwks) {
  TempDir dir;
  CapturedLog log;
  auto server = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(server) << server.error();
  const ReferenceServer& s = **server;
  net::HttpClient client;
  auto cert = client.Send({"GET", s.token_url() + "/jwt/certificate", {}, ""});
  ASSERT_TRUE(cert);
  EXPECT_EQ(cert->status, 200);
  EXPECT_EQ(cert->body, s.signing_cert_pem());
  auto on_disk = ReadFileLimited(s.signing_cert_path(), 1 << 20);
  ASSERT_TRUE(on_disk) << on_disk.error();
  EXPECT_EQ(*on_disk, s.signing_cert_pem());
  auto keys = client.Send({"GET", s.token_url() + "/jwt/keys", {}, ""});
  ASSERT_TRUE(keys);
  EXPECT_EQ(keys->status, 200);
  EXPECT_NE(keys->body.find("\"kid\":\"" + s.kid() + "\""), std::string::npos) << keys->body;
  // The kid is the libtrust fingerprint of the certificate's key (token-auth.md §1.6).
  auto chain = protocol::LoadCertificatesPem(s.signing_cert_pem());
  ASSERT_TRUE(chain);
  EXPECT_EQ(s.kid(), protocol::LibtrustKeyId((*chain)[0].PublicKey()));
}

// The state directory keeps the generated key (0600, RSA 2048 for RS256) and reuses it: a
// restart signs with the same key, so a registry's rootcertbundle stays valid.
TEST(ReferenceServer, RestartReusesTheKeyInTheStateDirectory) {
  TempDir dir;
  CapturedLog log;
  std::string key_pem, cert_pem, kid;
  {
    auto first = ReferenceServer::Start(BaseConfig(dir, &log));
    ASSERT_TRUE(first) << first.error();
    key_pem = (*first)->signing_key_pem();
    cert_pem = (*first)->signing_cert_pem();
    kid = (*first)->kid();
    (*first)->Stop();
  }
  const std::string state = dir.path() + "/state";
  EXPECT_EQ(ModeOf(state), 0700u);
  EXPECT_EQ(ModeOf(state + "/signing.key.pem"), 0600u);
  auto key = protocol::LoadPrivateKeyPem(*ReadFileLimited(state + "/signing.key.pem", 1 << 20));
  ASSERT_TRUE(key);
  EXPECT_EQ(protocol::TypeOf(*key), protocol::KeyType::kRsa);
  EXPECT_EQ(key->bits(), 2048);

  auto second = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(second) << second.error();
  EXPECT_EQ((*second)->signing_key_pem(), key_pem);
  EXPECT_EQ((*second)->signing_cert_pem(), cert_pem);
  EXPECT_EQ((*second)->kid(), kid);
  // And the restarted server still issues tokens that its registry accepts.
  net::HttpClient client;
  const std::string token = FetchToken(client, (*second)->realm(), "repository:acme/app:pull");
  auto base = client.Send(
      {"GET", (*second)->registry_url() + "/v2/", {{"Authorization", "Bearer " + token}}, ""});
  ASSERT_TRUE(base);
  EXPECT_EQ(base->status, 200);
}

// --tls-self-signed: both listeners speak HTTPS with a leaf issued by ca.crt.pem, which a client
// trusts as its CA file; the realm is https too.
TEST(ReferenceServer, SelfSignedTlsServesBothListenersOverHttps) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.tls_self_signed = true;
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_TRUE(server) << server.error();
  const ReferenceServer& s = **server;
  EXPECT_EQ(s.token_url().rfind("https://127.0.0.1:", 0), 0u) << s.token_url();
  EXPECT_EQ(s.registry_url().rfind("https://127.0.0.1:", 0), 0u) << s.registry_url();
  const std::string state = dir.path() + "/state";
  EXPECT_EQ(s.tls_ca_path(), state + "/ca.crt.pem");
  EXPECT_EQ(ModeOf(state + "/ca.key.pem"), 0600u);
  EXPECT_EQ(ModeOf(state + "/tls.key.pem"), 0600u);

  net::ClientOptions o;
  o.ca_file = s.tls_ca_path();
  net::HttpClient client(o);
  const std::string token = FetchToken(client, s.realm(), "repository:acme/app:pull");
  ASSERT_FALSE(token.empty());
  auto base =
      client.Send({"GET", s.registry_url() + "/v2/", {{"Authorization", "Bearer " + token}}, ""});
  ASSERT_TRUE(base) << base.error().message;
  EXPECT_EQ(base->status, 200);

  // Without the CA the certificate is not trusted.
  net::HttpClient untrusting;
  auto refused = untrusting.Send({"GET", s.token_url() + "/-/health", {}, ""});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, net::ClientErrorCode::kTls);

  // A restart keeps the CA users already trust.
  const std::string ca = s.tls_ca_pem();
  (*server)->Stop();
  ReferenceServerConfig again = BaseConfig(dir, &log);
  again.tls_self_signed = true;
  auto restarted = ReferenceServer::Start(std::move(again));
  ASSERT_TRUE(restarted) << restarted.error();
  EXPECT_EQ((*restarted)->tls_ca_pem(), ca);
}

struct KidModeCase {
  const char* label;
  KidMode mode;
  std::optional<protocol::Alg> alg;
};
REGAUTH_PRINT_LABEL(KidModeCase)

// Every kid mode and a non-RSA algorithm still give tokens the server's own registry accepts
// (thumbprint → the v3 verifier; x5c → the chain in the header; ES256 → a generated P-256 key).
const KidModeCase kKidModeCases[] = {
    {"libtrust", KidMode::kLibtrust, std::nullopt},
    {"thumbprint", KidMode::kThumbprint, std::nullopt},
    {"x5c", KidMode::kX5c, std::nullopt},
    {"es256 generated key", KidMode::kLibtrust, protocol::Alg::kES256},
    {"rs512", KidMode::kLibtrust, protocol::Alg::kRS512},
    {"eddsa thumbprint", KidMode::kThumbprint, protocol::Alg::kEdDSA},
};

class KidModeTest : public ::testing::TestWithParam<KidModeCase> {};

TEST_P(KidModeTest, RegistryAcceptsTheTokens) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.kid_mode = GetParam().mode;
  c.alg = GetParam().alg;
  c.state_dir.clear();  // in memory
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_TRUE(server) << server.error();
  net::HttpClient client;
  const std::string token = FetchToken(client, (*server)->realm(), "repository:acme/app:pull");
  ASSERT_FALSE(token.empty());
  auto tags = client.Send({"GET",
                           (*server)->registry_url() + "/v2/acme/app/tags/list",
                           {{"Authorization", "Bearer " + token}},
                           ""});
  ASSERT_TRUE(tags);
  EXPECT_EQ(tags->status, 404) << tags->body;  // authorized, nothing pushed
  if (GetParam().alg) {
    auto key = protocol::LoadPrivateKeyPem((*server)->signing_key_pem());
    ASSERT_TRUE(key);
    EXPECT_TRUE(protocol::AlgFitsKey(*GetParam().alg, *protocol::TypeOf(*key)));
  }
}

INSTANTIATE_TEST_SUITE_P(Table, KidModeTest, ::testing::ValuesIn(kKidModeCases),
                         testing_support::LabelName());

// STYLE.md: secrets never reach a log. A Basic header, a query-string token and a wrong password
// leave no trace in the access log or the decision lines, even at debug level.
TEST(ReferenceServer, LogsCarryNoSecretsAndNoQueryStrings) {
  TempDir dir;
  CapturedLog log;
  auto server = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(server) << server.error();
  net::HttpClient client;
  ASSERT_TRUE(
      client.Send({"GET",
                   (*server)->realm() + "?service=container_registry&private_token=" + kSecret,
                   {{"Authorization", Basic("dana", kSecret)}},
                   ""}));
  ASSERT_TRUE(client.Send({"GET",
                           (*server)->realm() + "?service=container_registry",
                           {{"Authorization", Basic(kSecret, "wrong-password-value")}},
                           ""}));
  ASSERT_TRUE(client.Send({"GET",
                           (*server)->registry_url() + "/v2/?token=" + kSecret,
                           {{"Authorization", "Bearer not-a-token-value"}},
                           ""}));
  (*server)->Stop();
  const std::string all = log.All();
  EXPECT_NE(all.find("access listener=token method=GET path=/jwt/auth status=200"),
            std::string::npos)
      << all;
  EXPECT_NE(all.find("access listener=registry method=GET path=/v2/ status=401"), std::string::npos)
      << all;
  for (const char* secret : {kSecret, "wrong-password-value", "not-a-token-value", "private_token",
                             "Basic ", "Bearer "}) {
    EXPECT_EQ(all.find(secret), std::string::npos) << secret << " in:\n" << all;
  }
}

// --ban-after: GitLab's failed-login IP ban (token_service.h IpBanConfig) is wired through; after
// N failures from one address even the right password gets 403 text/plain (token-auth.md §9).
TEST(ReferenceServer, BanAfterFailedLoginsRefusesTheAddress) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.ban_after_failures = 2;
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_TRUE(server) << server.error();
  net::HttpClient client;
  const std::string url = (*server)->realm() + "?service=container_registry";
  for (int i = 0; i < 2; ++i) {
    auto bad = client.Send({"GET", url, {{"Authorization", Basic("dana", "wrong")}}, ""});
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 401);
  }
  auto good = client.Send({"GET", url, {{"Authorization", Basic("dana", kSecret)}}, ""});
  ASSERT_TRUE(good);
  EXPECT_EQ(good->status, 403);
}

// --realm: the registry advertises the given realm instead of its own token URL.
TEST(ReferenceServer, RealmOverrideIsWhatTheRegistryAdvertises) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.realm_override = "https://gitlab.example.test/jwt/auth";
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_TRUE(server) << server.error();
  EXPECT_EQ((*server)->realm(), "https://gitlab.example.test/jwt/auth");
  net::HttpClient client;
  auto r = client.Send({"GET", (*server)->registry_url() + "/v2/", {}, ""});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->Header("WWW-Authenticate").value_or(""),
            "Bearer realm=\"https://gitlab.example.test/jwt/auth\",service=\"container_registry\"");
}

// storage.delete.enabled: on by default (Debian's config), off on request, and off whenever
// delete-ignores-disabled is planted, since that bug only shows with delete disabled.
TEST(ReferenceServer, RegistryDeleteFollowsConfigAndMisbehaviour) {
  struct Row {
    const char* label;
    bool delete_enabled;
    bool plant;
    int want_status;  // DELETE of an unknown manifest digest with a `*` token
  };
  const Row rows[] = {
      {"default: enabled", true, false, 404},
      {"disabled", false, false, 405},
      {"planted delete-ignores-disabled", true, true, 405},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    TempDir dir;
    CapturedLog log;
    ReferenceServerConfig c = BaseConfig(dir, &log);
    c.registry_delete_enabled = row.delete_enabled;
    if (row.plant) {
      auto m = ParseMisbehaviours({"delete-ignores-disabled"});
      ASSERT_TRUE(m);
      c.misbehaviours = *m;
    }
    // Signed by the server's own key with `*` on the repository, so only the registry's delete
    // switch decides.
    c.state_dir.clear();
    auto server = ReferenceServer::Start(std::move(c));
    ASSERT_TRUE(server) << server.error();
    auto key = protocol::LoadPrivateKeyPem((*server)->signing_key_pem());
    ASSERT_TRUE(key);
    const int64_t now = std::time(nullptr);
    nlohmann::json claims = {
        {"iss", "gitlab-issuer"},
        {"aud", "container_registry"},
        {"iat", now},
        {"nbf", now},
        {"exp", now + 300},
        {"access", {{{"type", "repository"}, {"name", "acme/app"}, {"actions", {"*"}}}}}};
    auto token = protocol::SignCompact({{"typ", "JWT"}, {"kid", (*server)->kid()}}, claims,
                                       protocol::Alg::kRS256, *key);
    ASSERT_TRUE(token);
    net::HttpClient client;
    auto r = client.Send(
        {"DELETE",
         (*server)->registry_url() + "/v2/acme/app/manifests/sha256:" + std::string(64, 'a'),
         {{"Authorization", "Bearer " + *token}},
         ""});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->status, row.want_status) << r->body;
  }
}

// The hardening values set here: the token listener refuses bodies over 64 KiB (413).
TEST(ReferenceServer, TokenListenerLimitsBodies) {
  TempDir dir;
  CapturedLog log;
  auto server = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(server) << server.error();
  net::HttpClient client;
  auto big = client.Send({"POST",
                          (*server)->realm(),
                          {{"Content-Type", "text/plain"}},
                          std::string(64 * 1024 + 1, 'a')});
  ASSERT_TRUE(big) << big.error().message;
  EXPECT_EQ(big->status, 413);
  net::HttpClient second;
  auto small = second.Send(
      {"POST", (*server)->realm(), {{"Content-Type", "text/plain"}}, std::string(1024, 'a')});
  ASSERT_TRUE(small) << small.error().message;
  EXPECT_EQ(small->status, 404);  // GitLab: POST /jwt/auth → 404
}

// HeldFilesUnder counts this process's descriptors on files under `dir` (a spilled request body
// still open shows as "<dir>/#123 (deleted)").
int HeldFilesUnder(const std::string& dir) {
  std::error_code ec;
  const std::string prefix = std::filesystem::canonical(dir, ec).string() + "/";
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    std::error_code lec;
    const auto target = std::filesystem::read_symlink(e.path(), lec);
    if (!lec && target.string().rfind(prefix, 0) == 0) ++n;
  }
  return n;
}

std::string Pattern(std::size_t n, unsigned seed) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + seed + i / 4093) & 0xff);
  return s;
}

// Blob bodies over 64 KiB reach the store through an anonymous spill file (net/http_server.h):
// a monolithic PUT, PATCH chunks on both sides of the threshold and a large final chunk each
// store exactly the bytes sent (digest verified by the store and again on GET), a wrong digest
// is still refused, and afterwards neither a file in the state directory's tmp/ nor an open
// descriptor on one is left.
TEST(ReferenceServer, LargeUploadBodiesAreSpilledAndLeaveNothingBehind) {
  TempDir dir;
  CapturedLog log;
  auto server = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(server) << server.error();
  const ReferenceServer& s = **server;
  net::HttpClient client;
  const std::string token = FetchToken(client, s.realm(), "repository:acme/app:pull,push");
  ASSERT_FALSE(token.empty());
  const std::vector<std::pair<std::string, std::string>> auth = {
      {"Authorization", "Bearer " + token}, {"Content-Type", "application/octet-stream"}};
  auto start = [&]() -> std::string {
    auto r = client.Send({"POST", s.registry_url() + "/v2/acme/app/blobs/uploads/", auth, ""});
    if (!r || r->status != 202) return "";
    return std::string(r->Header("Location").value_or(""));
  };
  auto absolute = [&](std::string loc) {
    return loc.starts_with("/") ? s.registry_url() + loc : loc;
  };

  // Monolithic: one 3 MiB PUT.
  const std::string whole = Pattern((3u << 20) + 5, 1);
  const std::string whole_digest = ComputeDigest("sha256", whole);
  std::string loc = start();
  ASSERT_FALSE(loc.empty());
  auto put = client.Send({"PUT", absolute(loc) + "&digest=" + whole_digest, auth, whole});
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->status, 201) << put->body;
  EXPECT_EQ(put->Header("Docker-Content-Digest").value_or(""), whole_digest);

  // Chunked: 1 MiB (spilled), 100 bytes (in memory), then a 200 KiB final chunk (spilled).
  const std::string a = Pattern(1u << 20, 2), b = Pattern(100, 3), c = Pattern(200u << 10, 4);
  const std::string chunked_digest = ComputeDigest("sha256", a + b + c);
  loc = start();
  ASSERT_FALSE(loc.empty());
  for (const std::string* part : {&a, &b}) {
    auto patch = client.Send({"PATCH", absolute(loc), auth, *part});
    ASSERT_TRUE(patch) << patch.error().message;
    ASSERT_EQ(patch->status, 202) << patch->body;
    loc = std::string(patch->Header("Location").value_or(""));
  }
  put = client.Send({"PUT", absolute(loc) + "&digest=" + chunked_digest, auth, c});
  ASSERT_TRUE(put) << put.error().message;
  EXPECT_EQ(put->status, 201) << put->body;

  // A large body that does not match its digest is refused.
  loc = start();
  ASSERT_FALSE(loc.empty());
  auto bad = client.Send({"PUT", absolute(loc) + "&digest=" + whole_digest, auth, a});
  ASSERT_TRUE(bad) << bad.error().message;
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("DIGEST_INVALID"), std::string::npos) << bad->body;

  for (const auto& [digest, content] :
       {std::pair{whole_digest, whole}, std::pair{chunked_digest, a + b + c}}) {
    auto get = client.Send({"GET",
                            s.registry_url() + "/v2/acme/app/blobs/" + digest,
                            {{"Authorization", "Bearer " + token}},
                            ""});
    ASSERT_TRUE(get) << get.error().message;
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(ComputeDigest("sha256", get->body), digest);
    EXPECT_TRUE(get->body == content);
  }

  const std::string tmp = dir.path() + "/state/registry/tmp";
  std::error_code ec;
  EXPECT_TRUE(std::filesystem::is_empty(tmp, ec)) << tmp;
  EXPECT_EQ(HeldFilesUnder(tmp), 0);
}

// Describe is the JSON line `regauth serve` prints: URLs, ports, names, no secret.
TEST(ReferenceServer, DescribeListsUrlsAndPortsWithoutSecrets) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.with_registry = false;
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_TRUE(server) << server.error();
  const nlohmann::json j = (*server)->Describe();
  EXPECT_EQ(j["token_url"], (*server)->token_url());
  EXPECT_EQ(j["token_port"], (*server)->token_port());
  EXPECT_EQ(j["realm"], (*server)->realm());
  EXPECT_TRUE(j["registry_url"].is_null());
  EXPECT_TRUE(j["registry_port"].is_null());
  EXPECT_EQ(j["service"], "container_registry");
  EXPECT_EQ(j["issuer"], "gitlab-issuer");
  EXPECT_EQ(j["alg"], "RS256");
  EXPECT_EQ(j["signing_cert"], dir.path() + "/state/signing.crt.pem");
  EXPECT_TRUE(j["tls_ca"].is_null());
  EXPECT_EQ(j.dump().find("PRIVATE KEY"), std::string::npos);
  EXPECT_EQ((*server)->registry_url(), "");
}

struct StartErrorCase {
  const char* label;
  std::function<void(ReferenceServerConfig&, const TempDir&)> mutate;
  const char* want;  // substring of the error
};
REGAUTH_PRINT_LABEL(StartErrorCase)

// Start fails with a message that names the problem (and never a secret).
const StartErrorCase kStartErrorCases[] = {
    {"missing world file",
     [](ReferenceServerConfig& c, const TempDir& d) { c.world_path = d.path() + "/none.json"; },
     "No such file"},
    {"world with an unknown member",
     [](ReferenceServerConfig& c, const TempDir& d) {
       c.world_path = d.path() + "/bad.json";
       std::ofstream(c.world_path) << R"({"name":"x","usres":[]})";
     },
     "/usres"},
    {"certificate without key",
     [](ReferenceServerConfig& c, const TempDir&) { c.signing_cert_pem = "x"; },
     "without its signing key"},
    {"unusable key",
     [](ReferenceServerConfig& c, const TempDir&) { c.signing_key_pem = "not a key"; }, "bad_pem"},
    {"symmetric alg",
     [](ReferenceServerConfig& c, const TempDir&) { c.alg = protocol::Alg::kHS256; },
     "not an asymmetric"},
    {"tls key without certificate",
     [](ReferenceServerConfig& c, const TempDir&) { c.tls_key_pem = "x"; }, "both"},
    // distribution 2.8 verifies RS*/PS*/ES* only: the server's own registry would reject every
    // token (issue 9, item 9).
    {"EdDSA with libtrust kids",
     [](ReferenceServerConfig& c, const TempDir&) { c.alg = protocol::Alg::kEdDSA; },
     "--kid-mode thumbprint"},
};

class StartErrorTest : public ::testing::TestWithParam<StartErrorCase> {};

TEST_P(StartErrorTest, ReportsTheProblem) {
  TempDir dir;
  CapturedLog log;
  ReferenceServerConfig c = BaseConfig(dir, &log);
  GetParam().mutate(c, dir);
  StartErrorKind kind = StartErrorKind::kRuntime;
  auto server = ReferenceServer::Start(std::move(c), &kind);
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().find(GetParam().want), std::string::npos) << server.error();
  EXPECT_EQ(kind, StartErrorKind::kConfiguration);  // `regauth serve` exits 2, not 1
}

INSTANTIATE_TEST_SUITE_P(Table, StartErrorTest, ::testing::ValuesIn(kStartErrorCases),
                         testing_support::LabelName());

// A registry port already in use fails the start, and the token listener it had opened is
// released again (its port can be bound by the next server).
TEST(ReferenceServer, BusyRegistryPortFailsAndReleasesTheTokenListener) {
  TempDir dir;
  CapturedLog log;
  auto first = ReferenceServer::Start(BaseConfig(dir, &log));
  ASSERT_TRUE(first) << first.error();
  // A token port known to be free: one the kernel just handed to a server that stopped.
  std::uint16_t token_port = 0;
  {
    TempDir probe;
    ReferenceServerConfig p = BaseConfig(probe, &log);
    p.with_registry = false;
    auto s = ReferenceServer::Start(p);
    ASSERT_TRUE(s) << s.error();
    token_port = (*s)->token_port();
  }
  TempDir other;
  ReferenceServerConfig c = BaseConfig(other, &log);
  c.token_listen.port = token_port;
  c.registry_listen.port = (*first)->registry_port();
  StartErrorKind kind = StartErrorKind::kConfiguration;
  auto second = ReferenceServer::Start(c, &kind);
  ASSERT_FALSE(second);
  EXPECT_NE(second.error().find("registry listener"), std::string::npos) << second.error();
  EXPECT_EQ(kind, StartErrorKind::kRuntime);  // `regauth serve` exits 1
  c.with_registry = false;
  auto third = ReferenceServer::Start(c);
  ASSERT_TRUE(third) << third.error();
  EXPECT_EQ((*third)->token_port(), token_port);
}

// A key in the state directory that does not fit --alg is an error, not a silent new key.
TEST(ReferenceServer, RefusesAlgThatDoesNotFitTheStoredKey) {
  TempDir dir;
  CapturedLog log;
  ASSERT_TRUE(ReferenceServer::Start(BaseConfig(dir, &log)));  // RSA key written
  ReferenceServerConfig c = BaseConfig(dir, &log);
  c.alg = protocol::Alg::kES256;
  auto server = ReferenceServer::Start(std::move(c));
  ASSERT_FALSE(server);
  EXPECT_NE(server.error().find("does not fit"), std::string::npos) << server.error();
}

struct ListenCase {
  const char* label;
  const char* text;
  std::optional<std::string> host;
  std::uint16_t port = 0;
};
REGAUTH_PRINT_LABEL(ListenCase)

// HOST:PORT with an IP literal; names are not resolved.
const ListenCase kListenCases[] = {
    {"ipv4", "127.0.0.1:5000", "127.0.0.1", 5000},
    {"ephemeral", "127.0.0.1:0", "127.0.0.1", 0},
    {"wildcard", "0.0.0.0:8080", "0.0.0.0", 8080},
    {"ipv6", "[::1]:443", "::1", 443},
    {"max port", "127.0.0.1:65535", "127.0.0.1", 65535},
    {"port too large", "127.0.0.1:65536", std::nullopt},
    {"no port", "127.0.0.1", std::nullopt},
    {"empty port", "127.0.0.1:", std::nullopt},
    {"name", "localhost:5000", std::nullopt},
    {"unbracketed ipv6", "::1:5000", std::nullopt},
    {"sign", "127.0.0.1:+80", std::nullopt},
};

class ListenTest : public ::testing::TestWithParam<ListenCase> {};

TEST_P(ListenTest, ParsesHostPort) {
  auto a = ParseListenAddress(GetParam().text);
  ASSERT_EQ(static_cast<bool>(a), GetParam().host.has_value()) << (a ? a->host : a.error());
  if (a) {
    EXPECT_EQ(a->host, *GetParam().host);
    EXPECT_EQ(a->port, GetParam().port);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, ListenTest, ::testing::ValuesIn(kListenCases),
                         testing_support::LabelName());

// --in-memory keeps blobs out of the state directory; without it they live in registry/.
TEST(ReferenceServer, StoreLocationFollowsInMemory) {
  TempDir dir;
  CapturedLog log;
  {
    ReferenceServerConfig c = BaseConfig(dir, &log);
    c.in_memory_store = true;
    ASSERT_TRUE(ReferenceServer::Start(std::move(c)));
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/state/registry"));
  }
  ASSERT_TRUE(ReferenceServer::Start(BaseConfig(dir, &log)));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() + "/state/registry"));
}

// The README's misbehaviour table is AllMisbehaviours() rendered (name, component, summary), so
// the documentation cannot drift from the switches the server has.
TEST(Readme, MisbehaviourTableListsAllMisbehaviours) {
  auto readme = ReadFileLimited(REGAUTH_SOURCE_DIR "/README.md", 1 << 20);
  ASSERT_TRUE(readme) << readme.error();
  const std::size_t section = readme->find("### Misbehaviours");
  ASSERT_NE(section, std::string::npos);
  std::string expected;
  for (const MisbehaviourInfo& m : AllMisbehaviours()) {
    std::string summary;
    for (char ch : m.summary) summary += ch == '|' ? std::string("\\|") : std::string(1, ch);
    expected +=
        "| `" + std::string(m.name) + "` | " + std::string(m.component) + " | " + summary + " |\n";
  }
  const std::size_t header = readme->find("|---|---|---|\n", section);
  ASSERT_NE(header, std::string::npos);
  const std::size_t start = header + std::string("|---|---|---|\n").size();
  EXPECT_EQ(readme->substr(start, expected.size()), expected);
  const std::size_t after = start + expected.size();
  EXPECT_TRUE(after >= readme->size() || (*readme)[after] != '|') << "extra rows in the README";
}

}  // namespace
}  // namespace regauth::server
