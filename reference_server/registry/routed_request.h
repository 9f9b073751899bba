// routed_request.h — what the registry's router hands its handlers: the matched route (routes.go,
// gorilla/mux StrictSlash), the parsed query and form (r.FormValue), the URL base
// (NewURLBuilderFromRequest), the clock and the verified subject; and the access records that
// authorization works with (auth.Access). Internal to the registry; the structs are named in
// registry.h so that Registry's private methods can take them.
//
// Usage:
//   net::HttpResponse Registry::Tags(const RoutedRequest& req) const {
//     const std::string& name = req.match.name;  const std::string n = req.FormValue("n"); ...
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"

namespace regauth::server {

namespace registry_detail {

enum class Route { kBase, kTags, kManifest, kBlob, kUpload, kUploadChunk, kCatalog };

struct RouteMatch {
  Route route = Route::kBase;
  std::string name;
  std::string reference;        // manifest reference, blob digest or upload uuid
  bool template_slash = false;  // the route template ends with '/'
};

// MatchCore matches `core` (the path with any one trailing '/' removed) against the routes in
// distribution's order; each template is compared without its trailing slash, as mux's
// StrictSlash pattern `…[/]?$` does.
std::optional<RouteMatch> MatchCore(std::string_view core);

}  // namespace registry_detail

// RoutedRequest is one routed request with the values the handlers read.
struct RoutedRequest {
  const net::HttpRequest* http = nullptr;
  registry_detail::RouteMatch match;
  registry_detail::GoValues query;      // r.URL.Query()
  registry_detail::GoValues post_form;  // r.PostForm (urlencoded POST/PUT/PATCH bodies)
  // body is the request body when it is in memory: the HTTP request's own, or for a manifest PUT
  // whose body was spilled to a file, a copy read back (manifests are bounded by
  // max_manifest_bytes). Blob uploads read `content`, which streams a spilled body from its file;
  // body_size is the body's size wherever it is.
  std::string_view body;
  std::shared_ptr<const net::BodySource> content;
  std::uint64_t body_size = 0;
  std::shared_ptr<const std::string> owned_body;  // what `body` views when it was read back
  std::string base_url;                           // scheme://host of NewURLBuilderFromRequest
  std::int64_t now = 0;
  std::string subject;  // the verified token's `sub` (upload sessions are counted per subject)

  const std::string& method() const { return http->method; }
  // FormValue is r.FormValue: the body's form values first, then the query's.
  std::string FormValue(std::string_view name) const {
    for (const auto& [k, v] : post_form) {
      if (k == name) return v;
    }
    return registry_detail::FirstValue(query, name);
  }
  std::string Header(std::string_view name) const {
    auto v = http->Header(name);
    return v ? std::string(*v) : std::string();
  }
};

// AccessRecord is one auth.Access record (Class is always "" for records the registry builds).
struct AccessRecord {
  std::string type;
  std::string name;
  std::string action;
};

namespace registry_detail {

// AppendAccessRecords is app.go appendAccessRecords: the access `method` needs on `repo` (auth.cc).
void AppendAccessRecords(std::vector<AccessRecord>* records, std::string_view method,
                         const std::string& repo, const Misbehaviours& m);

}  // namespace registry_detail

struct AuthResult {
  bool ok = false;
  net::HttpResponse response;  // when !ok
  std::string subject;         // when ok: the token's `sub` ("" without a token)
};

}  // namespace regauth::server
