// responses.h — the registry's answers as distribution writes them: the API version header, Go's
// net/http.Error text answers, gorilla/handlers' 405, and errcode.ServeJSON error envelopes
// (protocol/error_body.h), plus the filesystem driver's InvalidPathError detail. Internal to the
// registry (reference_server/registry/*.cc).
//
// Usage:
//   return registry_detail::ServeError(registry_detail::Err("BLOB_UNKNOWN", ordered_json(d)));
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_types.h"
#include "protocol/error_body.h"

namespace regauth::server {
namespace registry_detail {

// Header names as Go's net/http writes them (textproto.CanonicalMIMEHeaderKey), so the wire
// bytes match distribution's.
inline constexpr char kApiVersionHeader[] = "Docker-Distribution-Api-Version";
inline constexpr char kApiVersion[] = "registry/2.0";
inline constexpr char kJsonType[] = "application/json; charset=utf-8";
inline constexpr char kTextType[] = "text/plain; charset=utf-8";

// WithApiVersion puts `Docker-Distribution-Api-Version: registry/2.0` first.
net::HttpResponse WithApiVersion(net::HttpResponse r);
// GoHttpError is net/http.Error.
net::HttpResponse GoHttpError(int status, std::string_view text);
// MethodNotAllowed is gorilla/handlers MethodHandler for a method it does not map (OPTIONS: 200).
net::HttpResponse MethodNotAllowed(std::string_view method, std::string_view allow);
nlohmann::ordered_json EmptyObject();
// Err builds one error with the code's registered message unless `message` is given.
protocol::RegistryError Err(std::string_view code,
                            std::optional<nlohmann::ordered_json> detail = std::nullopt,
                            std::optional<std::string> message = std::nullopt);
// ServeErrors is errcode.ServeJSON: the status of the first error's code.
net::HttpResponse ServeErrors(const std::vector<protocol::RegistryError>& errors);
net::HttpResponse ServeError(protocol::RegistryError e);
// Empty is a response with `status` and nothing else.
net::HttpResponse Empty(int status);
// InvalidPathDetail is the filesystem driver's InvalidPathError as errcode marshals it.
nlohmann::ordered_json InvalidPathDetail(const std::string& path);

}  // namespace registry_detail

}  // namespace regauth::server
