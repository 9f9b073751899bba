#include "reference_server/registry/responses.h"

#include <utility>

namespace regauth::server::registry_detail {

using net::HttpResponse;

using nlohmann::ordered_json;
using protocol::RegistryError;

HttpResponse WithApiVersion(HttpResponse r) {
  r.headers.insert(r.headers.begin(), {kApiVersionHeader, kApiVersion});
  return r;
}

// GoHttpError is net/http.Error.
HttpResponse GoHttpError(int status, std::string_view text) {
  HttpResponse r;
  r.status = status;
  r.AddHeader("Content-Type", kTextType);
  r.AddHeader("X-Content-Type-Options", "nosniff");
  r.body = std::string(text) + "\n";
  return r;
}

// MethodNotAllowed is gorilla/handlers MethodHandler for a method it does not map.
HttpResponse MethodNotAllowed(std::string_view method, std::string_view allow) {
  if (method == "OPTIONS") {
    HttpResponse r;
    r.status = 200;
    r.AddHeader("Allow", std::string(allow));
    return r;
  }
  HttpResponse r = GoHttpError(405, "Method not allowed");  // gorilla/handlers' text
  r.AddHeader("Allow", std::string(allow));
  return r;
}

ordered_json EmptyObject() { return ordered_json::object(); }

RegistryError Err(std::string_view code, std::optional<ordered_json> detail,
                  std::optional<std::string> message) {
  RegistryError e;
  e.code = std::string(code);
  if (message) {
    e.message = std::move(message);
  } else if (const auto* info = protocol::LookupErrorCode(code)) {
    e.message = std::string(info->message);
  }
  e.detail = std::move(detail);
  return e;
}

// ServeErrors is errcode.ServeJSON: the status of the first error's code.
HttpResponse ServeErrors(const std::vector<RegistryError>& errors) {
  int status = 500;
  if (!errors.empty()) {
    if (const auto* info = protocol::LookupErrorCode(errors[0].code)) status = info->http_status;
  }
  return HttpResponse::Json(status, protocol::SerializeErrorBody(errors));
}

HttpResponse ServeError(RegistryError e) { return ServeErrors({std::move(e)}); }

HttpResponse Empty(int status) {
  HttpResponse r;
  r.status = status;
  return r;
}

ordered_json InvalidPathDetail(const std::string& path) {
  return ordered_json{{"Path", "/docker/registry/v2/repositories/" + path},
                      {"DriverName", "filesystem"}};
}

}  // namespace regauth::server::registry_detail
