// blobs.cc — blob GET/HEAD/DELETE over the distribution API (registry/handlers/blob.go,
// blobserver.go's http.ServeContent: ETag, If-None-Match, one byte range): the bytes are streamed
// from the store (HttpResponse::stream), never copied whole.
#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::BodySlice;
using net::HttpResponse;

using nlohmann::ordered_json;
using registry_detail::DigestCheck;
using registry_detail::Empty;
using registry_detail::EmptyObject;
using registry_detail::Err;
using registry_detail::GoAtoi;
using registry_detail::GoDigestValidate;
using registry_detail::GoHttpError;
using registry_detail::MethodNotAllowed;
using registry_detail::ServeError;
using registry_detail::TrimSpaceTab;
HttpResponse Registry::BlobRoute(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& digest = req.match.reference;
  if (GoDigestValidate(digest) != DigestCheck::kOk) {
    return ServeError(Err("DIGEST_INVALID", EmptyObject()));  // blobDispatcher, any method
  }
  const std::string& m = req.method();
  if (m == "DELETE") {
    if (!config_.delete_enabled) return ServeError(Err("UNSUPPORTED"));
    auto removed = config_.store->DeleteBlob(name, digest);
    if (!removed) {
      if (removed.error().code == StoreError::kBlobUnknown) return ServeError(Err("BLOB_UNKNOWN"));
      return ServeError(Err("UNKNOWN", EmptyObject()));
    }
    return Empty(202);
  }
  if (m != "GET" && m != "HEAD") return MethodNotAllowed(m, "DELETE, GET, HEAD");
  // The kCrossRepoBlobRead misbehaviour is consulted here and only here.
  const BlobScope scope = config_.misbehaviours.Has(Misbehaviour::kCrossRepoBlobRead)
                              ? BlobScope::kAnyRepository
                              : BlobScope::kRepository;
  auto blob = config_.store->ReadBlob(name, digest, scope);
  if (!blob) {
    if (blob.error().code == StoreError::kBlobUnknown) {
      return ServeError(Err("BLOB_UNKNOWN", ordered_json(digest)));
    }
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  const std::string etag = "\"" + blob->info.digest + "\"";
  HttpResponse r;
  r.AddHeader("Etag", etag);
  r.AddHeader("Cache-Control", "max-age=31536000");
  r.AddHeader("Docker-Content-Digest", blob->info.digest);
  // http.ServeContent: If-None-Match, then a single byte range.
  for (const std::string_view v : req.http->Headers("if-none-match")) {
    std::string_view rest = v;
    while (!rest.empty()) {
      const std::size_t comma = rest.find(',');
      std::string_view item = TrimSpaceTab(rest.substr(0, comma));
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
      if (item.substr(0, 2) == "W/") item.remove_prefix(2);
      if (item == "*" || item == etag) {
        r.status = 304;
        return r;
      }
    }
  }
  r.AddHeader("Accept-Ranges", "bytes");
  r.AddHeader("Content-Type", "application/octet-stream");
  const std::uint64_t size = blob->info.size;
  const std::string range = req.Header("range");
  if (!range.empty()) {
    std::optional<ByteRange> chosen;
    bool invalid = range.rfind("bytes=", 0) != 0;
    std::size_t valid_ranges = 0;
    std::string_view specs = invalid ? std::string_view() : std::string_view(range).substr(6);
    while (!invalid && !specs.empty()) {
      const std::size_t comma = specs.find(',');
      const std::string_view spec = TrimSpaceTab(specs.substr(0, comma));
      specs = comma == std::string_view::npos ? std::string_view() : specs.substr(comma + 1);
      if (spec.empty()) continue;
      const std::size_t dash = spec.find('-');
      if (dash == std::string_view::npos) {
        invalid = true;
        break;
      }
      const auto first = GoAtoi(TrimSpaceTab(spec.substr(0, dash)));
      const auto last = GoAtoi(TrimSpaceTab(spec.substr(dash + 1)));
      ByteRange br;
      if (TrimSpaceTab(spec.substr(0, dash)).empty()) {
        if (!last || *last < 0) {
          invalid = true;
          break;
        }
        const std::uint64_t n = std::min<std::uint64_t>(static_cast<std::uint64_t>(*last), size);
        br = {size - n, size == 0 ? 0 : size - 1};
        if (n == 0) continue;
      } else {
        if (!first || *first < 0) {
          invalid = true;
          break;
        }
        if (static_cast<std::uint64_t>(*first) >= size) continue;  // does not overlap
        br.first = static_cast<std::uint64_t>(*first);
        br.last = size - 1;
        if (!TrimSpaceTab(spec.substr(dash + 1)).empty()) {
          if (!last || *last < *first) {
            invalid = true;
            break;
          }
          br.last = std::min<std::uint64_t>(static_cast<std::uint64_t>(*last), size - 1);
        }
      }
      ++valid_ranges;
      chosen = br;
    }
    if (invalid || (valid_ranges == 0 && size > 0)) {
      // http.Error after blobserver set Content-Length to the blob size: Go 1.19 refuses a
      // longer error text, so the body is the text only when it fits (measured).
      const std::string text =
          std::string(invalid ? "invalid range" : "invalid range: failed to overlap") + "\n";
      HttpResponse bad = GoHttpError(416, "");
      bad.body = text.size() <= size ? text : "";
      if (!invalid) bad.AddHeader("Content-Range", "bytes */" + std::to_string(size));
      for (const char* h : {"Etag", "Cache-Control", "Docker-Content-Digest"}) {
        bad.AddHeader(h, std::string(*r.Header(h)));
      }
      return bad;
    }
    if (valid_ranges == 1 && chosen) {  // several ranges: served whole (no multipart here)
      r.status = 206;
      r.AddHeader("Content-Range", "bytes " + std::to_string(chosen->first) + "-" +
                                       std::to_string(chosen->last) + "/" + std::to_string(size));
      r.stream = std::make_shared<BodySlice>(blob->content, chosen->first,
                                             chosen->last - chosen->first + 1);
      return r;
    }
  }
  r.status = 200;
  r.stream = std::move(blob->content);  // streamed from the file, never held whole
  return r;
}

}  // namespace regauth::server
