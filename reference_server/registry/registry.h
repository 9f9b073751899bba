// registry.h — the reference registry: the subset of the distribution v2 HTTP API that token auth
// exercises, answering as Debian's docker-registry 2.8.2 answers (token-auth.md §1.2, §1.8, §2;
// suite-anchors.md §C1), over a Store (reference_server/registry/store.h).
//
// Request path, as distribution's App.ServeHTTP and dispatcher run it (registry/handlers/app.go,
// read at Debian's 2.8.2+ds1 sources):
//   1. Every response carries `Docker-Distribution-Api-Version: registry/2.0`.
//   2. Router (gorilla/mux with StrictSlash): the path is percent-decoded (a bad escape → Go's
//      bare 400), a path that path.Clean changes → 301 to the clean path, a trailing-slash
//      mismatch → 301, no route → 404 `404 page not found`. Routes, tried in distribution's order:
//        /v2/                                      base
//        /v2/<name>/tags/list                      tags
//        /v2/<name>/manifests/<tag|digest>         manifest
//        /v2/<name>/blobs/<digest>                 blob
//        /v2/<name>/blobs/uploads/                 blob-upload
//        /v2/<name>/blobs/uploads/<uuid>           blob-upload-chunk
//        /v2/_catalog                              catalog
//      <name> is reference.NameRegexp (any length here; > 255 fails after auth with a 500
//      UNKNOWN, as 2.8.2 answers). The bare root `/` answers 200 (registry.go alive).
//   3. Authorization (accesscontroller.go Authorized, §2.2–§2.5): the required access by method
//      (GET/HEAD pull; POST/PUT/PATCH pull+push; DELETE delete; a `from` form value adds pull on
//      that repository; catalog registry:catalog:*; base none); the token from
//      BearerTokenDistributionV28; VerifyToken with the profile; every item covered (Covers).
//      Failures: 401 + `Bearer realm=%q,service=%q[,scope=%q][,error=%q]` + UNAUTHORIZED body
//      whose detail lists the access records ("detail":null when there are none).
//   4. The handler, with gorilla/handlers' MethodHandler (405 + Allow for other methods, 200 for
//      OPTIONS) and distribution's error codes and headers.
//
// Deliberate extensions beyond 2.8.2, each a RegistryConfig switch (false gives 2.8.2 exactly):
// tag-list pagination (`n`/`last`), Content-Range checks on PATCH, and monolithic uploads
// (POST ?digest= with the body). Not modelled: schema1 manifests (always MANIFEST_INVALID) and
// the schema2 → schema1 rewrite for clients that do not accept schema2, the manifest-list
// platform pick for such clients, foreign-layer URL checks beyond "URLs make a layer unchecked",
// Go's case-insensitive JSON member matching in manifests, and multipart byte ranges.
//
// Files, one concern each (as distribution's registry/handlers/*.go): registry/router.cc (the
// request path: routing, dispatch), auth.cc, catalog.cc (catalog, tags), manifests.cc, blobs.cc,
// uploads.cc; go_compat.* (Go's text and digest behaviours), responses.* (error envelopes),
// routed_request.h (what handlers receive); store.h is the storage underneath.
//
// Misbehaviours (misbehaviour.h, component "registry") each flip one behaviour at one point of
// reference_server/registry/*.cc; grep for the enumerator.
//
// Usage:
//   RegistryConfig c;
//   c.store = std::move(*Store::Open(store_options));
//   c.realm = "https://gitlab.example/jwt/auth";
//   c.service = "container_registry";
//   c.issuer = "gitlab-issuer";
//   c.trust = protocol::TrustStore::FromRoots(*roots, protocol::KeyIdFormat::kLibtrust);
//   c.clock = [] { return UnixNow(); };
//   Registry registry(std::move(c));
//   net::HttpResponse resp = registry.Handle(request);   // from any thread
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_types.h"
#include "protocol/jwt.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/registry/store.h"

namespace regauth::server {

// Types private to the registry (reference_server/registry/routed_request.h), named here only so
// Registry's private methods can take them.
struct RoutedRequest;
struct AccessRecord;
struct AuthResult;

// RegistryConfig configures a Registry. Fields marked required must be set.
struct RegistryConfig {
  std::shared_ptr<Store> store;  // required
  // auth.token.realm: the challenge realm (the token endpoint URL).
  std::string realm;
  // auth.token.autoredirect: realm = "https://" + Host + "/auth/token" (2.8.3's form).
  bool auto_redirect = false;
  std::string service;  // auth.token.service: challenge service and the expected aud
  std::string issuer;   // auth.token.issuer
  // The rootcertbundle, indexed the way the profile's verifier names keys: build it with
  // protocol::TrustStore::FromRoots(roots, profile.kid_format) (libtrust for v2.8).
  protocol::TrustStore trust;
  // nullopt → VerifierProfile::DistributionV28(issuer, service).
  std::optional<protocol::VerifierProfile> profile;
  // storage.delete.enabled (default false, as distribution's): DELETE of manifests and blobs
  // answers 405 UNSUPPORTED when off.
  bool delete_enabled = false;
  Misbehaviours misbehaviours;
  // clock returns the current unix time in seconds. Required.
  std::function<std::int64_t()> clock;
  // log receives one line per refused request and per internal error. It never receives a token,
  // an Authorization value, a query string or a body. Optional.
  std::function<void(std::string_view)> log;
  // http.secret: the HMAC key of the upload `_state` parameter. "" → 32 random bytes (OpenSSL
  // RAND_bytes) at construction, as distribution generates one when none is configured.
  std::string upload_state_secret;
  // catalog.maxentries: `n` above it → 400 PAGINATION_NUMBER_INVALID (CVE-2023-2253 fix).
  std::size_t catalog_max_entries = 1000;
  // http.headers: extra headers on every routed response (Debian's default config adds
  // `X-Content-Type-Options: nosniff`).
  std::vector<std::pair<std::string, std::string>> extra_headers;
  // Extensions (see the file comment). 2.8.2 ignores `n`/`last` on tags/list, ignores
  // Content-Range on PATCH, and answers a POST with ?digest= by opening a session (202).
  bool paginate_tags = true;
  bool check_content_range = true;
  bool monolithic_post = true;
};

// Registry serves the distribution v2 API over a Store. Handle is const and thread-safe.
class Registry {
 public:
  explicit Registry(RegistryConfig config);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Handle answers one request. It never throws on input and never blocks on anything but the
  // store's lock and disk.
  net::HttpResponse Handle(const net::HttpRequest& request) const;

  const RegistryConfig& config() const { return config_; }

 private:
  AuthResult Authorize(const RoutedRequest& req, const std::vector<AccessRecord>& required) const;
  protocol::Result<protocol::Claims, protocol::TokenError> Verify(std::string_view token,
                                                                  std::int64_t now) const;
  protocol::Result<protocol::Claims, protocol::TokenError> VerifyPlanted(std::string_view token,
                                                                         std::int64_t now) const;
  net::HttpResponse Dispatch(RoutedRequest& req) const;
  net::HttpResponse Base(const RoutedRequest& req) const;
  net::HttpResponse Catalog(const RoutedRequest& req) const;
  net::HttpResponse Tags(const RoutedRequest& req) const;
  net::HttpResponse Manifest(const RoutedRequest& req) const;
  net::HttpResponse GetManifest(const RoutedRequest& req) const;
  net::HttpResponse PutManifest(const RoutedRequest& req) const;
  net::HttpResponse DeleteManifest(const RoutedRequest& req) const;
  net::HttpResponse BlobRoute(const RoutedRequest& req) const;
  net::HttpResponse UploadRoute(const RoutedRequest& req) const;
  net::HttpResponse StartUpload(const RoutedRequest& req) const;
  net::HttpResponse UploadCreatedResponse(const RoutedRequest& req, const UploadInfo& up,
                                          int status) const;
  net::HttpResponse BlobCreatedResponse(const RoutedRequest& req, const BlobInfo& blob) const;
  void Log(std::string_view line) const;

  RegistryConfig config_;
  protocol::VerifierProfile profile_;
  bool planted_verifier_ = false;  // some misbehaviour is on: verify with VerifyPlanted
};

}  // namespace regauth::server
