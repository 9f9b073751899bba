// catalog.cc — the listing endpoints (registry/handlers/catalog.go, tags.go): /v2/_catalog with
// distribution's paging (the CVE-2023-2253 bound) and /v2/<name>/tags/list (with the pagination
// extension, RegistryConfig::paginate_tags).
#include <algorithm>
#include <string>
#include <vector>

#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::HttpResponse;

using nlohmann::ordered_json;
using registry_detail::EmptyObject;
using registry_detail::Err;
using registry_detail::FirstValue;
using registry_detail::GoAtoi;
using registry_detail::GoEscape;
using registry_detail::JsonString;
using registry_detail::MethodNotAllowed;
using registry_detail::ServeError;
HttpResponse Registry::Catalog(const RoutedRequest& req) const {
  if (req.method() != "GET") return MethodNotAllowed(req.method(), "GET");
  const std::string last = FirstValue(req.query, "last");
  const std::int64_t max = static_cast<std::int64_t>(config_.catalog_max_entries);
  // The CVE-2023-2253 bound; the kUnboundedCatalog misbehaviour removes it here and only here.
  const bool bounded = !config_.misbehaviours.Has(Misbehaviour::kUnboundedCatalog);
  std::int64_t entries = 100;  // defaultReturnedEntries
  if (const std::string n = FirstValue(req.query, "n"); !n.empty()) {
    if (auto parsed = GoAtoi(n)) {
      if (bounded && *parsed > max) {
        return ServeError(Err("PAGINATION_NUMBER_INVALID", ordered_json{{"n", *parsed}}));
      }
      if (*parsed >= 0) entries = *parsed;
    }
  }
  if (bounded && (entries < 0 || entries > max)) entries = max;
  RepositoryPage page;
  if (entries > 0) page = config_.store->ListRepositories(last, static_cast<std::size_t>(entries));
  HttpResponse r = HttpResponse::Json(200, "");
  if (page.more) {
    r.AddHeader("Link", "</v2/_catalog?last=" + GoEscape(page.names.back(), false) +
                            "&n=" + std::to_string(entries) + ">; rel=\"next\"");
  }
  r.body = "{\"repositories\":[";
  for (std::size_t i = 0; i < page.names.size(); ++i) {
    if (i != 0) r.body.push_back(',');
    r.body += JsonString(page.names[i]);
  }
  r.body += "]}\n";
  return r;
}

HttpResponse Registry::Tags(const RoutedRequest& req) const {
  if (req.method() != "GET") return MethodNotAllowed(req.method(), "GET");
  const std::string& name = req.match.name;
  auto tags = config_.store->ListTags(name);
  if (!tags) {
    if (tags.error().code == StoreError::kRepositoryUnknown) {
      return ServeError(Err("NAME_UNKNOWN", ordered_json{{"name", name}}));
    }
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  std::string link;
  bool null_tags = tags->empty();  // Go: a nil slice
  if (config_.paginate_tags) {
    const std::string last = FirstValue(req.query, "last");
    if (!last.empty()) {
      tags->erase(tags->begin(), std::upper_bound(tags->begin(), tags->end(), last));
    }
    if (const std::string n = FirstValue(req.query, "n"); !n.empty()) {
      if (auto parsed = GoAtoi(n)) {
        if (*parsed > static_cast<std::int64_t>(config_.catalog_max_entries)) {
          return ServeError(Err("PAGINATION_NUMBER_INVALID", ordered_json{{"n", *parsed}}));
        }
        if (*parsed >= 0 && static_cast<std::size_t>(*parsed) < tags->size()) {
          tags->resize(static_cast<std::size_t>(*parsed));
          if (!tags->empty()) {
            link = "</v2/" + name + "/tags/list?last=" + GoEscape(tags->back(), false) +
                   "&n=" + std::to_string(*parsed) + ">; rel=\"next\"";
          }
        }
      }
    }
  }
  HttpResponse r = HttpResponse::Json(200, "");
  if (!link.empty()) r.AddHeader("Link", link);
  r.body = "{\"name\":" + JsonString(name) + ",\"tags\":";
  if (null_tags) {
    r.body += "null";
  } else {
    r.body.push_back('[');
    for (std::size_t i = 0; i < tags->size(); ++i) {
      if (i != 0) r.body.push_back(',');
      r.body += JsonString((*tags)[i]);
    }
    r.body.push_back(']');
  }
  r.body += "}\n";
  return r;
}

}  // namespace regauth::server
