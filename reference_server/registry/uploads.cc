// uploads.cc — blob upload sessions over the distribution API (registry/handlers/blobupload.go,
// hmac.go): POST (with cross-repository mount and monolithic ?digest= uploads), the HMAC'd
// `_state` parameter, PATCH with Content-Range, PUT ?digest= to complete, GET/HEAD status and
// DELETE; the store's errors mapped to distribution's codes (TOOMANYREQUESTS for a quota).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <charconv>
#include <string>
#include <utility>

#include "protocol/base64.h"
#include "protocol/json.h"
#include "protocol/rfc3339.h"
#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::HttpResponse;

using nlohmann::ordered_json;
using protocol::Fail;
using protocol::Result;
using registry_detail::DigestCheck;
using registry_detail::Empty;
using registry_detail::EmptyObject;
using registry_detail::Err;
using registry_detail::GoDigestValidate;
using registry_detail::GoEscape;
using registry_detail::JsonString;
using registry_detail::MethodNotAllowed;
using registry_detail::Route;
using registry_detail::SameBytes;
using registry_detail::ServeError;
namespace {

std::string HmacSha256(std::string_view key, std::string_view message) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
           reinterpret_cast<const unsigned char*>(message.data()), message.size(), out,
           &len) == nullptr) {
    return "";
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

struct UploadState {
  std::string name;
  std::string uuid;
  std::int64_t offset = 0;
};

std::string PackUploadState(std::string_view secret, const UploadInfo& up) {
  // json.Marshal(blobUploadState): fields in struct order; StartedAt as RFC 3339.
  std::string json = "{\"Name\":" + JsonString(up.repository) + ",\"UUID\":" + JsonString(up.id) +
                     ",\"Offset\":" + std::to_string(up.offset) +
                     ",\"StartedAt\":" + JsonString(protocol::FormatRfc3339Utc(up.started_at)) +
                     "}";
  return protocol::Base64Encode(HmacSha256(secret, json) + json, protocol::Base64Alphabet::kUrl,
                                true);
}

// UnpackUploadState returns the state, or the `detail` distribution attaches to
// BLOB_UPLOAD_INVALID: base64.CorruptInputError marshals as its offset, every other error as {}.
Result<UploadState, int> UnpackUploadState(std::string_view secret, std::string_view token,
                                           ordered_json* detail) {
  protocol::Base64Options o;
  o.alphabet = protocol::Base64Alphabet::kUrl;
  o.allow_non_canonical = true;
  o.ignore_newlines = true;
  auto raw = protocol::Base64Decode(token, o);
  if (!raw) {
    *detail = static_cast<std::int64_t>(raw.error().offset);
    return Fail(0, 0, "bad base64");
  }
  *detail = EmptyObject();
  constexpr std::size_t kMacSize = 32;
  if (raw->size() < kMacSize) return Fail(0, 0, "invalid secret");
  const std::string_view mac = std::string_view(*raw).substr(0, kMacSize);
  const std::string_view message = std::string_view(*raw).substr(kMacSize);
  if (!SameBytes(mac, HmacSha256(secret, message))) return Fail(0, 0, "invalid secret");
  protocol::JsonOptions jo;
  jo.allow_duplicate_keys = true;  // Go: last wins
  auto doc = protocol::ParseJson(message, jo);
  if (!doc || !(doc->is_object() || doc->is_null())) return Fail(0, 0, "bad json");
  UploadState s;
  if (doc->is_object()) {
    for (auto it = doc->begin(); it != doc->end(); ++it) {
      const auto& v = it.value();
      if (it.key() == "Name" && !v.is_null()) {
        if (!v.is_string()) return Fail(0, 0, "bad json");
        s.name = v.get<std::string>();
      } else if (it.key() == "UUID" && !v.is_null()) {
        if (!v.is_string()) return Fail(0, 0, "bad json");
        s.uuid = v.get<std::string>();
      } else if (it.key() == "Offset" && !v.is_null()) {
        if (!v.is_number_integer()) return Fail(0, 0, "bad json");
        s.offset = v.get<std::int64_t>();
      } else if (it.key() == "StartedAt" && !v.is_null()) {
        if (!v.is_string() || !protocol::ParseRfc3339(v.get<std::string>())) {
          return Fail(0, 0, "bad json");
        }
      }
    }
  }
  return s;
}

// ParseContentRange accepts "first-last" (the upload Content-Range of the distribution API).
std::optional<ByteRange> ParseContentRange(std::string_view v) {
  const std::size_t dash = v.find('-');
  if (dash == std::string_view::npos || dash == 0 || dash + 1 == v.size()) return std::nullopt;
  ByteRange r;
  const auto a = std::from_chars(v.data(), v.data() + dash, r.first);
  const auto b = std::from_chars(v.data() + dash + 1, v.data() + v.size(), r.last);
  if (a.ec != std::errc() || a.ptr != v.data() + dash || b.ec != std::errc() ||
      b.ptr != v.data() + v.size()) {
    return std::nullopt;
  }
  return r;
}

HttpResponse StoreFailure(StoreError code) {
  switch (code) {
    case StoreError::kUploadUnknown:
      return ServeError(Err("BLOB_UPLOAD_UNKNOWN"));
    case StoreError::kRangeInvalid:
      return ServeError(Err("RANGE_INVALID"));
    case StoreError::kBlobTooLarge:
      return ServeError(
          Err("SIZE_INVALID", std::nullopt, "blob exceeds the registry's size limit"));
    case StoreError::kTooManyUploads:
    case StoreError::kUploadSpaceExhausted:
      return ServeError(Err("TOOMANYREQUESTS"));
    case StoreError::kInvalidDigest:
    case StoreError::kUnsupportedDigest:
      return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
    default:
      return ServeError(Err("UNKNOWN", EmptyObject()));
  }
}

}  // namespace

HttpResponse Registry::UploadCreatedResponse(const RoutedRequest& req, const UploadInfo& up,
                                             int status) const {
  // blobUploadResponse: Location with a fresh _state, Range, Docker-Upload-UUID.
  HttpResponse r;
  r.status = status;
  const std::string state = PackUploadState(config_.upload_state_secret, up);
  r.AddHeader("Docker-Upload-Uuid", up.id);
  r.AddHeader("Location", req.base_url + "/v2/" + req.match.name + "/blobs/uploads/" + up.id +
                              "?_state=" + GoEscape(state, false));
  r.AddHeader("Range", "0-" + std::to_string(up.offset > 0 ? up.offset - 1 : 0));
  return r;
}

HttpResponse Registry::BlobCreatedResponse(const RoutedRequest& req, const BlobInfo& blob) const {
  HttpResponse r;
  r.status = 201;
  r.AddHeader("Location", req.base_url + "/v2/" + req.match.name + "/blobs/" + blob.digest);
  r.AddHeader("Docker-Content-Digest", blob.digest);
  return r;
}

HttpResponse Registry::StartUpload(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string from = req.FormValue("from");
  const std::string mount = req.FormValue("mount");
  if (!mount.empty() && !from.empty() && GoDigestValidate(mount) == DigestCheck::kOk) {
    // createBlobMountOption + linkedBlobStore.mount: any failure falls back to an upload.
    if (auto mounted = config_.store->MountBlob(name, from, mount)) {
      return BlobCreatedResponse(req, *mounted);
    }
  }
  if (config_.monolithic_post) {
    if (const std::string digest = req.FormValue("digest"); !digest.empty()) {
      if (GoDigestValidate(digest) != DigestCheck::kOk) {
        return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
      }
      auto blob = config_.store->PutBlob(name, digest, *req.content);
      if (!blob) {
        if (blob.error().code == StoreError::kDigestMismatch) {
          return ServeError(
              Err("DIGEST_INVALID", ordered_json{{"Digest", digest}, {"Reason", EmptyObject()}}));
        }
        return StoreFailure(blob.error().code);
      }
      return BlobCreatedResponse(req, *blob);
    }
  }
  auto up = config_.store->StartUpload(name, req.now, req.subject);
  if (!up) return StoreFailure(up.error().code);
  return UploadCreatedResponse(req, *up, 202);
}

HttpResponse Registry::UploadRoute(const RoutedRequest& req) const {
  const std::string& m = req.method();
  const std::string& name = req.match.name;
  constexpr std::string_view kAllow = "DELETE, GET, HEAD, PATCH, POST, PUT";
  const bool known_method =
      m == "GET" || m == "HEAD" || m == "POST" || m == "PATCH" || m == "PUT" || m == "DELETE";
  if (req.match.route == Route::kUpload) {
    if (m == "POST") return StartUpload(req);
    if (!known_method) return MethodNotAllowed(m, kAllow);
    return ServeError(Err("BLOB_UPLOAD_UNKNOWN"));  // no session on the bare upload route
  }
  // blobUploadDispatcher with a uuid: the _state checks run before the method is looked at.
  const std::string& uuid = req.match.reference;
  ordered_json detail;
  auto state = UnpackUploadState(config_.upload_state_secret, req.FormValue("_state"), &detail);
  if (!state) return ServeError(Err("BLOB_UPLOAD_INVALID", std::move(detail)));
  // The kUploadSessionAnyRepo misbehaviour is consulted here and only here: it drops both the
  // _state name check and the store's repository binding (Quay CVE-2026-32589).
  const UploadBinding binding = config_.misbehaviours.Has(Misbehaviour::kUploadSessionAnyRepo)
                                    ? UploadBinding::kAnyRepository
                                    : UploadBinding::kSameRepository;
  if (binding == UploadBinding::kSameRepository && state->name != name) {
    Log("registry: upload state for another repository: " + name);
    return ServeError(Err("BLOB_UPLOAD_INVALID"));
  }
  if (state->uuid != uuid) return ServeError(Err("BLOB_UPLOAD_INVALID"));
  auto up = config_.store->GetUpload(uuid, name, binding, req.now);
  if (!up) return ServeError(Err("BLOB_UPLOAD_UNKNOWN", EmptyObject()));
  if (static_cast<std::int64_t>(up->offset) != state->offset) {
    (void)config_.store->CancelUpload(uuid, name, binding);  // distribution cancels it too
    return ServeError(Err("BLOB_UPLOAD_INVALID"));
  }

  if (m == "GET" || m == "HEAD") {
    HttpResponse r = UploadCreatedResponse(req, *up, 204);
    return r;
  }
  if (m == "POST") return StartUpload(req);
  if (m == "DELETE") {
    (void)config_.store->CancelUpload(uuid, name, binding);
    HttpResponse r = Empty(204);
    r.AddHeader("Docker-Upload-Uuid", uuid);
    return r;
  }
  if (m == "PATCH") {
    const std::string ct = req.Header("content-type");
    if (!ct.empty() && ct != "application/octet-stream") {
      return ServeError(Err("UNKNOWN", EmptyObject()));  // "bad Content-Type"
    }
    std::optional<ByteRange> range;
    if (config_.check_content_range) {
      if (const std::string cr = req.Header("content-range"); !cr.empty()) {
        range = ParseContentRange(cr);
        if (!range) return ServeError(Err("RANGE_INVALID"));
      }
    }
    auto appended = config_.store->AppendUpload(uuid, name, binding, *req.content, range, req.now);
    if (!appended) return StoreFailure(appended.error().code);
    return UploadCreatedResponse(req, *appended, 202);
  }
  if (m == "PUT") {
    const std::string digest = req.FormValue("digest");
    if (digest.empty()) return ServeError(Err("DIGEST_INVALID", ordered_json("digest missing")));
    if (GoDigestValidate(digest) != DigestCheck::kOk) {
      return ServeError(Err("DIGEST_INVALID", ordered_json("digest parsing failed")));
    }
    auto blob = config_.store->CompleteUpload(uuid, name, binding, *req.content, digest, req.now);
    if (!blob) {
      if (blob.error().code == StoreError::kDigestMismatch) {
        return ServeError(
            Err("DIGEST_INVALID", ordered_json{{"Digest", digest}, {"Reason", EmptyObject()}}));
      }
      return StoreFailure(blob.error().code);
    }
    return BlobCreatedResponse(req, *blob);
  }
  return MethodNotAllowed(m, kAllow);
}

}  // namespace regauth::server
