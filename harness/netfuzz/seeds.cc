#include "harness/netfuzz/seeds.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "net/oci_image.h"
#include "protocol/jws.h"
#include "protocol/jwt.h"
#include "protocol/token_response.h"

namespace regauth::harness::netfuzz {
namespace {

using Json = nlohmann::json;

// SplitUrl splits "http://h:p/path?q" into origin and path-with-query.
std::pair<std::string, std::string> SplitUrl(std::string_view url) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme == std::string_view::npos ? 0 : scheme + 3);
  if (slash == std::string_view::npos) return {std::string(url), "/"};
  return {std::string(url.substr(0, slash)), std::string(url.substr(slash))};
}

FuzzRequest TokenSeed(const RunContext& ctx, const std::string& scope) {
  FuzzRequest r;
  r.family = Family::kToken;
  auto [base, path] = SplitUrl(ctx.target->realm);
  r.base = base;
  r.path = path;
  r.query.emplace_back("service", ctx.target->service);
  if (!scope.empty()) r.query.emplace_back("scope", scope);
  return r;
}

void SetBasic(FuzzRequest& r, const protocol::Credential& c) {
  r.auth = AuthKind::kBasic;
  r.credential_id = c.id;
  r.basic_user = c.login_username;
  r.basic_password = c.secret;
}

Json AccessEntry(std::string_view repo, std::vector<std::string> actions) {
  return {{"type", "repository"}, {"name", repo}, {"actions", actions}};
}

FuzzRequest Forged(const RunContext& ctx, Json access) {
  FuzzRequest r;
  r.family = Family::kRegistry;
  r.base = ctx.target->registry_url;
  r.auth = AuthKind::kForged;
  const auto type = protocol::TypeOf(*ctx.signing_key);
  r.forge.header = Json{
      {"typ", "JWT"},
      {"alg", protocol::AlgName(protocol::DefaultAlgFor(type.value_or(protocol::KeyType::kRsa)))},
      {"kid", "${signing_kid}"}};
  r.forge.claims = Json{
      {"iss", "${issuer}"}, {"aud", "${service}"}, {"sub", "netfuzz"},           {"iat", "${now}"},
      {"nbf", "${now}"},    {"exp", "${now+300}"}, {"access", std::move(access)}};
  return r;
}

FuzzRequest Route(FuzzRequest r, std::string method, std::string repo, std::string route,
                  std::string path) {
  r.method = std::move(method);
  r.repo = std::move(repo);
  r.route = std::move(route);
  r.path = std::move(path);
  return r;
}

// Send performs one setup exchange; the error says which step failed.
protocol::Expected<net::ClientResponse, std::string> Send(net::HttpClient& client,
                                                          const FuzzRequest& r,
                                                          const RunContext& ctx,
                                                          std::string_view what) {
  auto wire = Render(r, RenderEnv{&ctx});
  if (!wire)
    return protocol::Unexpected("netfuzz setup: " + std::string(what) + ": " + wire.error());
  auto res = client.Send(wire->http);
  if (!res) {
    return protocol::Unexpected("netfuzz setup: " + std::string(what) + ": " +
                                std::string(net::CodeName(res.error().code)) + ": " +
                                res.error().message);
  }
  return *res;
}

// OpenUpload starts an upload session in kRepoA and returns its absolute Location.
protocol::Expected<std::string, std::string> OpenUpload(const RunContext& ctx,
                                                        net::HttpClient& client,
                                                        const FuzzRequest& with_token) {
  const std::string repo(kRepoA);
  FuzzRequest start = Route(with_token, "POST", repo, "upload", "/v2/" + repo + "/blobs/uploads/");
  auto res = Send(client, start, ctx, "start upload");
  if (!res) return protocol::Unexpected(res.error());
  auto location = res->Header("Location");
  if (res->status != 202 || !location) {
    return protocol::Unexpected("netfuzz setup: starting an upload answered " +
                                std::to_string(res->status));
  }
  std::string loc(*location);
  if (!loc.starts_with("http")) loc = ctx.target->registry_url + loc;
  return loc;
}

// Expect201 turns a setup answer other than 201 into an error naming `what`.
protocol::Expected<void, std::string> Expect201(
    const protocol::Expected<net::ClientResponse, std::string>& res, const std::string& what) {
  if (!res) return protocol::Unexpected(res.error());
  if (res->status != 201) {
    return protocol::Unexpected("netfuzz setup: " + what + " answered " +
                                std::to_string(res->status));
  }
  return {};
}

// PushImage pushes the tiny image to kRepoA with `with_token` (a forged token with push) and
// returns the Location of a further, open upload session.
protocol::Expected<std::string, std::string> PushImage(const RunContext& ctx,
                                                       net::HttpClient& client,
                                                       const FuzzRequest& with_token,
                                                       const net::OciImage& image) {
  const std::string repo(kRepoA);
  for (const net::OciBlob& blob : image.blobs) {
    if (blob.name == "manifest") continue;
    auto loc = OpenUpload(ctx, client, with_token);
    if (!loc) return protocol::Unexpected(loc.error());
    auto [base, target] = SplitUrl(*loc);
    FuzzRequest put = with_token;
    put.method = "PUT";
    put.base = base;
    const auto q = target.find('?');
    put.path = target.substr(0, q);
    put.raw_query = q == std::string::npos ? "" : target.substr(q + 1);
    put.query = {{"digest", blob.digest}};
    put.headers = {{"Content-Type", "application/octet-stream"}};
    put.body = blob.content;
    auto done =
        Expect201(Send(client, put, ctx, "upload " + blob.name), "uploading the " + blob.name);
    if (!done) return protocol::Unexpected(done.error());
  }
  const net::OciBlob* manifest = image.Blob("manifest");
  FuzzRequest put =
      Route(with_token, "PUT", repo, "manifest", "/v2/" + repo + "/manifests/netfuzz");
  put.headers = {{"Content-Type", manifest->media_type}};
  put.body = manifest->content;
  auto pushed = Expect201(Send(client, put, ctx, "push manifest"), "pushing the manifest");
  if (!pushed) return protocol::Unexpected(pushed.error());
  return OpenUpload(ctx, client, with_token);
}

void AddForgedSeeds(const RunContext& ctx, net::HttpClient& client, SeedSet& out) {
  const std::string a(kRepoA), b(kRepoB);
  const Json all = Json::array({AccessEntry(a, {"pull", "push", "delete"}),
                                AccessEntry(b, {"pull", "push", "delete"}),
                                {{"type", "registry"}, {"name", "catalog"}, {"actions", {"*"}}}});
  const net::OciImage image = net::BuildTinyImage("netfuzz");
  auto session = PushImage(ctx, client, Forged(ctx, all), image);
  if (!session) {
    out.notes.push_back(session.error() + "; registry seeds with forged tokens left out");
    return;
  }
  const std::string layer = image.Blob("layer")->digest;
  const std::string manifest = image.Blob("manifest")->digest;
  auto pull = [&](const std::string& repo) { return Forged(ctx, {AccessEntry(repo, {"pull"})}); };
  auto push = [&](const std::string& repo) {
    return Forged(ctx, {AccessEntry(repo, {"pull", "push"})});
  };
  auto del = [&](const std::string& repo) {
    return Forged(ctx, {AccessEntry(repo, {"pull", "push", "delete"})});
  };
  auto add = [&](std::string id, FuzzRequest r) {
    out.seeds.push_back({std::move(id), std::move(r)});
  };

  add("registry/tags", Route(pull(a), "GET", a, "tags", "/v2/" + a + "/tags/list"));
  FuzzRequest m = Route(pull(a), "GET", a, "manifest", "/v2/" + a + "/manifests/netfuzz");
  m.headers = {{"Accept", std::string(net::kOciManifestMediaType)}};
  add("registry/manifest", m);
  add("registry/blob", Route(pull(a), "GET", a, "blob", "/v2/" + a + "/blobs/" + layer));
  FuzzRequest other = Route(pull(b), "GET", b, "blob", "/v2/" + b + "/blobs/" + layer);
  other.guard = Guard{"repository-isolation",
                      "a blob pushed only to " + a + " must not be readable through " + b +
                          " (distribution links blobs per repository; zot CVE-2024-39897)"};
  add("registry/blob-other-repository", other);
  add("registry/upload-start", Route(push(a), "POST", a, "upload", "/v2/" + a + "/blobs/uploads/"));
  // The open session: valid under a, and replayed under b's path.
  auto [base, target] = SplitUrl(*session);
  const auto q = target.find('?');
  const std::string session_path = target.substr(0, q);
  const std::string state = q == std::string::npos ? "" : target.substr(q + 1);
  FuzzRequest own = Route(push(a), "GET", a, "upload_session", session_path);
  own.raw_query = state;
  add("registry/upload-session", own);
  const std::string prefix = "/v2/" + a + "/";
  FuzzRequest foreign = Route(push(b), "GET", b, "upload_session",
                              "/v2/" + b + "/" + session_path.substr(prefix.size()));
  foreign.raw_query = state;
  foreign.guard = Guard{"repository-isolation", "an upload session opened in " + a +
                                                    " must not be usable through " + b +
                                                    " (Quay CVE-2026-32589)"};
  add("registry/upload-session-other-repository", foreign);
  add("registry/delete-unknown-digest",
      Route(del(a), "DELETE", a, "manifest",
            "/v2/" + a + "/manifests/sha256:" + std::string(64, '0')));
  FuzzRequest tag = Route(del(a), "DELETE", a, "manifest", "/v2/" + a + "/manifests/netfuzz");
  tag.guard = Guard{"tag-delete",
                    "DELETE of a manifest by tag is not part of distribution 2.8's API (it needs "
                    "a digest: DIGEST_INVALID, or UNSUPPORTED with delete disabled; "
                    "CVE-2026-41888)"};
  add("registry/delete-by-tag", tag);
  (void)manifest;
  const Json catalog =
      Json::array({{{"type", "registry"}, {"name", "catalog"}, {"actions", {"*"}}}});
  FuzzRequest over = Route(Forged(ctx, catalog), "GET", "", "catalog", "/v2/_catalog");
  over.query = {{"n", "1001"}};
  over.guard = Guard{"catalog-bound",
                     "n above the catalog's bound (1000, distribution 2.8's catalog.maxentries "
                     "default) must be refused with PAGINATION_NUMBER_INVALID (CVE-2023-2253)"};
  add("registry/catalog-over-bound", over);
  FuzzRequest page = Route(Forged(ctx, catalog), "GET", "", "catalog", "/v2/_catalog");
  page.query = {{"n", "10"}};
  add("registry/catalog", page);
  add("registry/base", Route(Forged(ctx, Json::array()), "GET", "", "base", "/v2/"));
}

}  // namespace

std::string TokenFromResponse(const net::ClientResponse& res) {
  if (res.status != 200) return "";
  auto parsed = protocol::ParseTokenResponse(res.body, protocol::TokenResponseForm::kGet,
                                             protocol::TokenResponseOptions::GoClient());
  return parsed ? parsed->EffectiveToken() : "";
}

std::vector<protocol::ResourceScope> GrantedAccess(std::string_view token) {
  protocol::JwsOptions o;
  o.base64 = protocol::JwsBase64::kDistributionV28;
  o.allow_duplicate_members = true;
  o.limits = protocol::JwsLimits::Generous();
  auto jws = protocol::ParseCompactJws(token, o);
  if (!jws) return {};
  protocol::ClaimsParseOptions co;
  co.go_struct_decoding = true;
  co.allow_aud_array = true;
  protocol::JsonOptions jo;
  jo.allow_duplicate_keys = true;
  auto claims = protocol::ParseClaims(jws->payload, co, jo);
  if (!claims || !claims->access) return {};
  std::vector<protocol::ResourceScope> out;
  for (const protocol::Access& a : *claims->access) {
    out.push_back({a.type, a.resource_class.value_or(""), a.name, a.actions});
  }
  return out;
}

protocol::Expected<SeedSet, std::string> BuildSeeds(const RunContext& ctx,
                                                    net::HttpClient& client) {
  SeedSet out;
  const protocol::World& world = *ctx.world;
  out.env.service = ctx.target->service;
  out.env.issuer = ctx.target->issuer;
  out.env.repo_a = std::string(kRepoA);
  out.env.repo_b = std::string(kRepoB);
  for (const protocol::Project& p : world.Projects()) out.env.projects.push_back(p.path);
  for (const protocol::Credential& c : world.Credentials()) {
    out.env.usernames.push_back(c.login_username);
    out.env.other_basic.emplace_back(c.login_username, c.secret);
  }
  if (out.env.projects.empty()) out.env.projects.push_back(std::string(kRepoA));

  // Baselines: every project with every action, in chunks of 24 scopes (and the catalog). GitLab
  // refuses a whole request (403) when one scope asks to push to a protected path, so a refused
  // chunk is asked again scope by scope, and a refused scope action set by action set.
  std::vector<std::string> all_scopes;
  for (const std::string& p : out.env.projects) {
    all_scopes.push_back("repository:" + p + ":pull,push,delete,*");
  }
  all_scopes.push_back("registry:catalog:*");
  auto ask =
      [&](const protocol::Credential* c, const std::vector<std::string>& scopes,
          std::vector<protocol::ResourceScope>& granted) -> protocol::Expected<bool, std::string> {
    FuzzRequest r = TokenSeed(ctx, "");
    for (const std::string& scope : scopes) r.query.emplace_back("scope", scope);
    if (c) SetBasic(r, *c);
    auto res = Send(client, r, ctx, "baseline grant");
    if (!res) return protocol::Unexpected(res.error());
    if (res->status >= 500) {
      return protocol::Unexpected("netfuzz setup: the baseline token request for " +
                                  std::string(c ? c->id : "anonymous") + " answered " +
                                  std::to_string(res->status));
    }
    const std::string token = TokenFromResponse(*res);
    if (!token.empty()) ctx.redactor->AddSecret(token);
    for (auto& s : GrantedAccess(token)) granted.push_back(std::move(s));
    return res->status != 403;
  };
  auto baseline_of = [&](const protocol::Credential* c) -> protocol::Expected<void, std::string> {
    std::vector<protocol::ResourceScope>& granted = out.baseline[c ? c->id : ""];
    for (std::size_t i = 0; i < all_scopes.size(); i += 24) {
      const std::vector<std::string> chunk(
          all_scopes.begin() + static_cast<std::ptrdiff_t>(i),
          all_scopes.begin() + static_cast<std::ptrdiff_t>(std::min(i + 24, all_scopes.size())));
      auto whole = ask(c, chunk, granted);
      if (!whole) return protocol::Unexpected(whole.error());
      if (*whole) continue;
      for (const std::string& scope : chunk) {
        auto one = ask(c, {scope}, granted);
        if (!one) return protocol::Unexpected(one.error());
        if (*one) continue;
        const std::string resource = scope.substr(0, scope.rfind(':') + 1);
        for (const char* actions : {"pull,delete", "pull", "push", "delete", "*"}) {
          auto part = ask(c, {resource + actions}, granted);
          if (!part) return protocol::Unexpected(part.error());
        }
      }
    }
    return {};
  };
  if (auto s = baseline_of(nullptr); !s) return protocol::Unexpected(s.error());

  // Token seeds: anonymous, then every credential asking for pull and push on its own project
  // (or the first project of the world).
  out.seeds.push_back(
      {"token/anonymous", TokenSeed(ctx, "repository:" + out.env.projects[0] + ":pull")});
  struct Issued {
    std::string token, project, credential;
    FuzzRequest request;
  };
  std::vector<Issued> issued;
  for (const protocol::Credential& c : world.Credentials()) {
    if (auto s = baseline_of(&c); !s) return protocol::Unexpected(s.error());
    const protocol::Project* own = world.ProjectOf(c);
    const std::string project = own ? own->path : out.env.projects[0];
    FuzzRequest r = TokenSeed(ctx, "repository:" + project + ":pull,push");
    SetBasic(r, c);
    if (issued.size() < 8) {
      auto res = Send(client, r, ctx, "token for " + c.id);
      if (!res) return protocol::Unexpected(res.error());
      const std::string token = TokenFromResponse(*res);
      if (!token.empty()) ctx.redactor->AddSecret(token);
      if (!token.empty() && protocol::Covers(GrantedAccess(token), "repository", project, "pull")) {
        issued.push_back({token, project, c.id, r});
      }
    }
    out.seeds.push_back({"token/" + c.id, std::move(r)});
  }

  // Registry seeds with issued tokens.
  for (std::size_t i = 0; i < issued.size(); ++i) {
    FuzzRequest r;
    r.family = Family::kRegistry;
    r.base = ctx.target->registry_url;
    r.auth = AuthKind::kIssued;
    r.issued_token = issued[i].token;
    r.credential_id = issued[i].credential;
    r = Route(std::move(r), "GET", issued[i].project, "tags",
              "/v2/" + issued[i].project + "/tags/list");
    out.issued_sources.emplace_back(out.seeds.size(), issued[i].request);
    out.seeds.push_back({"registry/issued-" + issued[i].credential, std::move(r)});
  }
  if (ctx.signing_key) {
    AddForgedSeeds(ctx, client, out);
  } else {
    out.notes.push_back(
        "no signing key (black-box target without --signing-key): no forged-token "
        "seeds, no push, no isolation seeds");
  }

  // Raw seeds: the first token seed with credentials, the first registry seed, an anonymous /v2/.
  std::vector<Seed> raw;
  for (const Seed& s : out.seeds) {
    const bool token_with_cred =
        s.request.family == Family::kToken && s.request.auth == AuthKind::kBasic;
    const bool registry = s.request.family == Family::kRegistry;
    if ((token_with_cred && raw.empty()) || (registry && raw.size() == 1)) {
      Seed copy = s;
      copy.id = "raw/" + s.id;
      copy.request.family = Family::kRaw;
      raw.push_back(std::move(copy));
    }
  }
  FuzzRequest probe;
  probe.family = Family::kRaw;
  probe.base = ctx.target->registry_url;
  probe.path = "/v2/";
  probe.route = "base";
  raw.push_back({"raw/registry/anonymous-base", probe});
  for (Seed& s : raw) out.seeds.push_back(std::move(s));
  return out;
}

}  // namespace regauth::harness::netfuzz
