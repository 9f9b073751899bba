// router.cc — the registry's front (distribution's App.ServeHTTP and dispatcher): path decoding,
// clean-path and trailing-slash redirects, route matching (routes.go), the URL base, and dispatch
// to a handler after authorization (registry.h "Request path").
#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "protocol/repository_name.h"
#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::HttpRequest;
using net::HttpResponse;
namespace registry_detail {
namespace {

bool StripSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

// MatchCore matches `core` (the path with any one trailing '/' removed) against the routes in
// distribution's order; each template is compared without its trailing slash, as mux's

}  // namespace

std::optional<RouteMatch> MatchCore(std::string_view core) {
  if (core == "/v2") return RouteMatch{Route::kBase, "", "", true};
  constexpr std::string_view kPrefix = "/v2/";
  if (core.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  const std::string_view rest = core.substr(kPrefix.size());
  {
    std::string_view name = rest;
    if (StripSuffix(&name, "/tags/list") && MatchesNameRegexp(name)) {
      return RouteMatch{Route::kTags, std::string(name), "", false};
    }
  }
  const std::size_t last_slash = rest.rfind('/');
  const std::string_view last =
      last_slash == std::string_view::npos ? std::string_view() : rest.substr(last_slash + 1);
  const std::string_view before =
      last_slash == std::string_view::npos ? std::string_view() : rest.substr(0, last_slash);
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/manifests") && MatchesNameRegexp(name) &&
        (MatchesTagRegexp(last) || MatchesGoDigestRegexp(last))) {
      return RouteMatch{Route::kManifest, std::string(name), std::string(last), false};
    }
  }
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/blobs") && MatchesNameRegexp(name) && MatchesGoDigestRegexp(last)) {
      return RouteMatch{Route::kBlob, std::string(name), std::string(last), false};
    }
  }
  {
    std::string_view name = rest;
    if (StripSuffix(&name, "/blobs/uploads") && MatchesNameRegexp(name)) {
      return RouteMatch{Route::kUpload, std::string(name), "", true};
    }
  }
  {
    std::string_view name = before;
    if (StripSuffix(&name, "/blobs/uploads") && MatchesNameRegexp(name) && MatchesUuid(last)) {
      return RouteMatch{Route::kUploadChunk, std::string(name), std::string(last), false};
    }
  }
  if (core == "/v2/_catalog") return RouteMatch{Route::kCatalog, "", "", false};
  return std::nullopt;
}

}  // namespace registry_detail

using nlohmann::ordered_json;
using protocol::AsciiLower;
using registry_detail::AppendAccessRecords;
using registry_detail::EmptyObject;
using registry_detail::Err;
using registry_detail::GoCleanPath;
using registry_detail::GoEscape;
using registry_detail::GoHttpError;
using registry_detail::GoUnescape;
using registry_detail::HtmlEscape;
using registry_detail::kTextType;
using registry_detail::MatchCore;
using registry_detail::MediaTypeOf;
using registry_detail::ParseGoQuery;
using registry_detail::Route;
using registry_detail::RouteMatch;
using registry_detail::ServeError;
using registry_detail::TrimSpaceTab;
using registry_detail::WithApiVersion;

constexpr std::size_t kMaxFormBytes = 10 << 20;  // Go's ParseForm body limit

HttpResponse Registry::Handle(const HttpRequest& http) const {
  // net/http: a request-target whose path has a bad escape never reaches the handler.
  auto decoded = GoUnescape(http.path, false);
  if (!decoded) {
    HttpResponse r;
    r.status = 400;
    r.AddHeader("Content-Type", kTextType);
    r.body = "400 Bad Request";
    return r;
  }
  // registry.go alive("/"): the root answers 200 before the app (no API version header).
  if (*decoded == "/") {
    HttpResponse r;
    r.status = 200;
    r.AddHeader("Cache-Control", "no-cache");
    return r;
  }
  // gorilla/mux Router.ServeHTTP: redirect to the clean path (query kept).
  const std::string clean = GoCleanPath(*decoded);
  const std::string query_suffix = http.query.empty() ? "" : "?" + http.query;
  if (clean != *decoded) {
    HttpResponse r;
    r.status = 301;
    r.AddHeader("Location", GoEscape(clean, true) + query_suffix);
    return WithApiVersion(std::move(r));
  }
  const bool has_slash = clean.size() > 1 && clean.back() == '/';
  const std::string_view core =
      has_slash ? std::string_view(clean).substr(0, clean.size() - 1) : std::string_view(clean);
  auto match = MatchCore(core);
  if (!match) return WithApiVersion(GoHttpError(404, "404 page not found"));
  if (has_slash != match->template_slash) {
    // StrictSlash: http.Redirect to the other form.
    const std::string target =
        GoEscape(match->template_slash ? std::string(core) + "/" : std::string(core), true) +
        query_suffix;
    HttpResponse r;
    r.status = 301;
    r.AddHeader("Location", target);
    if (http.method == "GET" || http.method == "HEAD") {
      r.AddHeader("Content-Type", "text/html; charset=utf-8");
    }
    if (http.method == "GET") {
      r.body = "<a href=\"" + HtmlEscape(target) + "\">Moved Permanently</a>.\n\n";
    }
    return WithApiVersion(std::move(r));
  }

  RoutedRequest req;
  req.http = &http;
  req.match = std::move(*match);
  req.query = ParseGoQuery(http.query);
  req.body = http.body;
  req.content = http.BodyContent();
  req.body_size = http.BodySize();
  req.now = config_.clock ? config_.clock() : 0;
  // A spilled body (net::HttpServerOptions::spill_body_over) that a handler parses whole: read
  // back what it may use, never more than its limit (a larger manifest is refused by its size).
  const auto read_back = [&](std::uint64_t limit) {
    if (!http.spilled_body) return;
    const net::BodySlice prefix(http.spilled_body, 0, std::min(limit, req.body_size));
    req.owned_body = std::make_shared<const std::string>(net::ReadAll(prefix).value_or(""));
    req.body = *req.owned_body;
  };
  // r.FormValue reads an urlencoded POST/PUT/PATCH body (and then the body is gone).
  if ((http.method == "POST" || http.method == "PUT" || http.method == "PATCH") &&
      MediaTypeOf(req.Header("content-type")) == "application/x-www-form-urlencoded" &&
      !req.match.name.empty()) {
    read_back(kMaxFormBytes);
    req.post_form = ParseGoQuery(req.body.substr(0, kMaxFormBytes));
    req.body = std::string_view();
    req.content = std::make_shared<net::StringViewBody>(std::string_view());
    req.body_size = 0;
  } else if (req.match.route == Route::kManifest && http.method == "PUT" &&
             req.body_size <= config_.store->limits().max_manifest_bytes) {
    read_back(req.body_size);
  }
  // NewURLBuilderFromRequest: scheme and host, with Forwarded / X-Forwarded-* overrides.
  std::string scheme = http.tls ? "https" : "http";
  std::string host = req.Header("host");
  if (const std::string fwd = req.Header("forwarded"); !fwd.empty()) {
    std::string_view first(fwd);
    first = first.substr(0, first.find(','));
    while (!first.empty()) {
      const std::size_t semi = first.find(';');
      std::string_view pair = TrimSpaceTab(first.substr(0, semi));
      first = semi == std::string_view::npos ? std::string_view() : first.substr(semi + 1);
      const std::size_t eq = pair.find('=');
      if (eq == std::string_view::npos) continue;
      std::string key;
      for (const char c : pair.substr(0, eq)) key.push_back(AsciiLower(c));
      std::string_view value = pair.substr(eq + 1);
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      if (key == "proto" && !value.empty()) scheme = std::string(value);
      if (key == "host" && !value.empty()) host = std::string(value);
    }
  } else {
    if (const std::string p = req.Header("x-forwarded-proto"); !p.empty()) scheme = p;
    if (const std::string h = req.Header("x-forwarded-host"); !h.empty()) {
      host = std::string(TrimSpaceTab(std::string_view(h).substr(0, h.find(','))));
    }
  }
  req.base_url = scheme + "://" + host;

  HttpResponse resp = Dispatch(req);
  // app.dispatcher adds http.headers before anything else.
  for (const auto& [k, v] : config_.extra_headers) resp.AddHeader(k, v);
  return WithApiVersion(std::move(resp));
}

HttpResponse Registry::Dispatch(RoutedRequest& req) const {
  const RouteMatch& route = req.match;
  std::vector<AccessRecord> required;
  if (!route.name.empty()) {
    AppendAccessRecords(&required, req.method(), route.name, config_.misbehaviours);
    if (const std::string from = req.FormValue("from"); !from.empty()) {
      // Mounting (or any request naming `from`) needs pull on the source repository.
      AppendAccessRecords(&required, "GET", from, config_.misbehaviours);
    }
  } else if (route.route == Route::kCatalog) {
    required.push_back({"registry", "catalog", "*"});
  }
  AuthResult auth = Authorize(req, required);
  if (!auth.ok) return std::move(auth.response);
  req.subject = std::move(auth.subject);

  if (!route.name.empty() && route.name.size() > protocol::kNameTotalLengthMax) {
    // reference.WithName fails with ErrNameTooLong; the dispatcher appends the plain
    // ErrRepositoryNameInvalid{Name, Reason}, which is no errcode, so ServeJSON makes it
    // UNKNOWN (500) with the struct as detail (measured on 2.8.2).
    ordered_json detail = {{"Name", route.name}, {"Reason", EmptyObject()}};
    return ServeError(Err("UNKNOWN", std::move(detail)));
  }
  switch (route.route) {
    case Route::kBase:
      return Base(req);
    case Route::kCatalog:
      return Catalog(req);
    case Route::kTags:
      return Tags(req);
    case Route::kManifest:
      return Manifest(req);
    case Route::kBlob:
      return BlobRoute(req);
    case Route::kUpload:
    case Route::kUploadChunk:
      return UploadRoute(req);
  }
  return ServeError(Err("UNKNOWN"));
}

HttpResponse Registry::Base(const RoutedRequest&) const {
  return HttpResponse::Json(200, "{}");  // apiBase, any method
}

}  // namespace regauth::server
