// manifests.cc — manifests over the distribution API (registry/handlers/manifests.go;
// manifest/{schema2,ocischema,manifestlist}; registry/storage/*handler.go): GET/HEAD by tag or
// digest with the Accept checks, PUT with 2.8.2's parsing and reference verification, DELETE.
#include <string>
#include <utility>
#include <vector>

#include "protocol/json.h"
#include "reference_server/registry/go_compat.h"
#include "reference_server/registry/registry.h"
#include "reference_server/registry/responses.h"
#include "reference_server/registry/routed_request.h"

namespace regauth::server {

using net::HttpResponse;

using nlohmann::ordered_json;
using protocol::RegistryError;
using registry_detail::DigestCheck;
using registry_detail::DigestPathOf;
using registry_detail::Empty;
using registry_detail::EmptyObject;
using registry_detail::Err;
using registry_detail::FilesystemPathSafe;
using registry_detail::GoDigestValidate;
using registry_detail::InvalidPathDetail;
using registry_detail::MediaTypeOf;
using registry_detail::MethodNotAllowed;
using registry_detail::ServeError;
using registry_detail::ServeErrors;
using registry_detail::TrimSpaceTab;
namespace {

constexpr std::string_view kMediaSchema2 = "application/vnd.docker.distribution.manifest.v2+json";
constexpr std::string_view kMediaSchema1 = "application/vnd.docker.distribution.manifest.v1+json";
constexpr std::string_view kMediaManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
constexpr std::string_view kMediaOciManifest = "application/vnd.oci.image.manifest.v1+json";
constexpr std::string_view kMediaOciIndex = "application/vnd.oci.image.index.v1+json";
constexpr std::string_view kMediaForeignLayer =
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

// GoField reads a member as Go's struct decoding would: absent or null → nullptr; otherwise the
// value, with `ok` false on a JSON type that Go could not decode into the field.
const nlohmann::json* Member(const nlohmann::json& obj, const char* name) {
  const auto it = obj.find(name);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

bool StringField(const nlohmann::json& obj, const char* name, std::string* out) {
  const auto* v = Member(obj, name);
  if (v == nullptr) return true;
  if (!v->is_string()) return false;
  *out = v->get<std::string>();
  return true;
}

bool IntField(const nlohmann::json& obj, const char* name, std::int64_t* out) {
  const auto* v = Member(obj, name);
  if (v == nullptr) return true;
  if (v->is_number_unsigned()) {
    if (v->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) return false;
    *out = static_cast<std::int64_t>(v->get<std::uint64_t>());
    return true;
  }
  if (!v->is_number_integer()) return false;
  *out = v->get<std::int64_t>();
  return true;
}

struct Descriptor {
  std::string media_type;
  std::string digest;
  std::vector<std::string> urls;
};

bool ReadDescriptor(const nlohmann::json& v, Descriptor* d) {
  if (v.is_null()) return true;
  if (!v.is_object()) return false;
  std::int64_t size = 0;
  if (!StringField(v, "mediaType", &d->media_type) || !StringField(v, "digest", &d->digest) ||
      !IntField(v, "size", &size)) {
    return false;
  }
  if (const auto* urls = Member(v, "urls")) {
    if (!urls->is_array()) return false;
    for (const auto& u : *urls) {
      if (u.is_null()) {
        d->urls.emplace_back();
      } else if (u.is_string()) {
        d->urls.push_back(u.get<std::string>());
      } else {
        return false;
      }
    }
  }
  if (const auto* ann = Member(v, "annotations")) {
    if (!ann->is_object()) return false;
    for (const auto& a : *ann) {
      if (!a.is_string() && !a.is_null()) return false;
    }
  }
  if (const auto* platform = Member(v, "platform"); platform && !platform->is_object()) {
    return false;
  }
  return true;
}

bool ReadDescriptorList(const nlohmann::json& obj, const char* name, std::vector<Descriptor>* out) {
  const auto* list = Member(obj, name);
  if (list == nullptr) return true;
  if (!list->is_array()) return false;
  for (const auto& v : *list) {
    Descriptor d;
    if (!ReadDescriptor(v, &d)) return false;
    out->push_back(std::move(d));
  }
  return true;
}

enum class ManifestKind { kSchema2, kManifestList, kOciManifest, kOciIndex };

struct ParsedManifest {
  ManifestKind kind = ManifestKind::kSchema2;
  std::string payload_media_type;  // what GET sends as Content-Type (Payload())
  std::int64_t schema_version = 0;
  std::vector<Descriptor> references;  // config + layers, or manifests
};

// ParseManifest is distribution.UnmarshalManifest for the four registered non-schema1 types.
// Anything else would go to the schema1 handler, which only takes signed schema1 manifests;
// those are not modelled, so every other Content-Type is MANIFEST_INVALID (`detail` {}).
// `detail` receives what distribution attaches to MANIFEST_INVALID: encoding/json's SyntaxError
// marshals as {"Offset":N} (N counts the bytes read up to and including the bad one, or the
// whole input at a premature end; measured on 2.8.2). N is derived from nlohmann's error
// position, which agrees with Go's except inside a literal (`{nul}`: nlohmann stops later).
// Every other error gives {} here (2.8's UnmarshalTypeError detail is not modelled).
std::optional<ParsedManifest> ParseManifest(std::string_view content_type, std::string_view body,
                                            std::size_t max_bytes, ordered_json* detail) {
  ParsedManifest m;
  *detail = EmptyObject();
  protocol::JsonOptions jo;
  jo.allow_duplicate_keys = true;  // Go encoding/json: last wins
  jo.limits.max_bytes = max_bytes;
  jo.limits.max_depth = 128;
  const std::string type = MediaTypeOf(content_type);
  const bool registered = type == kMediaSchema2 || type == kMediaManifestList ||
                          type == kMediaOciManifest || type == kMediaOciIndex;
  auto doc = protocol::ParseJson(body, jo);
  if (!doc) {
    if (registered && doc.error().code == protocol::JsonError::kSyntax) {
      const std::size_t at = doc.error().offset;
      (*detail)["Offset"] = static_cast<std::int64_t>(at >= body.size() ? body.size() : at + 1);
    }
    return std::nullopt;
  }
  if (type == kMediaSchema2) {
    m.kind = ManifestKind::kSchema2;
  } else if (type == kMediaManifestList) {
    m.kind = ManifestKind::kManifestList;
  } else if (type == kMediaOciManifest) {
    m.kind = ManifestKind::kOciManifest;
  } else if (type == kMediaOciIndex) {
    m.kind = ManifestKind::kOciIndex;
  } else {
    return std::nullopt;
  }
  nlohmann::json obj = doc->is_null() ? nlohmann::json::object() : std::move(*doc);
  if (!obj.is_object()) return std::nullopt;
  std::string media_type;
  if (!IntField(obj, "schemaVersion", &m.schema_version) ||
      !StringField(obj, "mediaType", &media_type)) {
    return std::nullopt;
  }
  const bool has_manifests = Member(obj, "manifests") != nullptr;
  const bool has_config_or_layers =
      Member(obj, "config") != nullptr || Member(obj, "layers") != nullptr;
  switch (m.kind) {
    case ManifestKind::kSchema2:
    case ManifestKind::kOciManifest: {
      if (m.kind == ManifestKind::kSchema2 && media_type != kMediaSchema2) return std::nullopt;
      if (m.kind == ManifestKind::kOciManifest &&
          (has_manifests || (!media_type.empty() && media_type != kMediaOciManifest))) {
        return std::nullopt;
      }
      Descriptor config;
      if (const auto* c = Member(obj, "config"); c && !ReadDescriptor(*c, &config)) {
        return std::nullopt;
      }
      m.references.push_back(std::move(config));
      if (!ReadDescriptorList(obj, "layers", &m.references)) return std::nullopt;
      m.payload_media_type = m.kind == ManifestKind::kSchema2 ? kMediaSchema2 : kMediaOciManifest;
      break;
    }
    case ManifestKind::kManifestList:
    case ManifestKind::kOciIndex:
      if (m.kind == ManifestKind::kManifestList && media_type != kMediaManifestList) {
        return std::nullopt;
      }
      if (m.kind == ManifestKind::kOciIndex &&
          (has_config_or_layers || (!media_type.empty() && media_type != kMediaOciIndex))) {
        return std::nullopt;
      }
      if (!ReadDescriptorList(obj, "manifests", &m.references)) return std::nullopt;
      m.payload_media_type = media_type.empty() ? std::string(kMediaOciIndex) : media_type;
      break;
  }
  return m;
}

bool IsOciLayer(std::string_view t) {
  return t == "application/vnd.oci.image.layer.v1.tar" ||
         t == "application/vnd.oci.image.layer.v1.tar+gzip" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar" ||
         t == "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
}

// ReferenceErrors appends the errors PutManifest reports for one failed reference: the
// verification error (if it is not ErrBlobUnknown) mapped as PutManifest maps it, then
// MANIFEST_BLOB_UNKNOWN with the digest.
void AppendReferenceErrors(std::vector<RegistryError>* errs, DigestCheck check, bool other_error,
                           const std::string& digest) {
  if (check == DigestCheck::kInvalidFormat) {
    errs->push_back(Err("DIGEST_INVALID"));
  } else if (check != DigestCheck::kOk || other_error) {
    errs->push_back(Err("UNKNOWN"));                 // errcode.ErrorCodeUnknown
    errs->push_back(Err("UNKNOWN", EmptyObject()));  // the raw error, WithDetail(err)
  }
  errs->push_back(Err("MANIFEST_BLOB_UNKNOWN", ordered_json(digest)));
}

}  // namespace

HttpResponse Registry::Manifest(const RoutedRequest& req) const {
  const std::string& m = req.method();
  if (m == "GET" || m == "HEAD") return GetManifest(req);
  if (m == "PUT") return PutManifest(req);
  if (m == "DELETE") return DeleteManifest(req);
  return MethodNotAllowed(m, "DELETE, GET, HEAD, PUT");
}

HttpResponse Registry::GetManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  bool accepts_oci_manifest = false;
  bool accepts_oci_index = false;
  for (const std::string_view accept : req.http->Headers("accept")) {
    std::string_view rest = accept;
    while (true) {
      const std::size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      item = TrimSpaceTab(item.substr(0, item.find(';')));
      accepts_oci_manifest = accepts_oci_manifest || item == kMediaOciManifest;
      accepts_oci_index = accepts_oci_index || item == kMediaOciIndex;
      if (comma == std::string_view::npos) break;
      rest = rest.substr(comma + 1);
    }
  }
  std::string digest = reference;
  if (GoDigestValidate(reference) != DigestCheck::kOk) {
    if (!FilesystemPathSafe(reference)) {
      return ServeError(Err(
          "UNKNOWN", InvalidPathDetail(name + "/_manifests/tags/" + reference + "/current/link")));
    }
    auto resolved = config_.store->ResolveTag(name, reference);
    if (!resolved) return ServeError(Err("MANIFEST_UNKNOWN", ordered_json{{"Tag", reference}}));
    digest = std::move(*resolved);
  }
  for (const std::string_view v : req.http->Headers("if-none-match")) {
    if (v == digest || v == "\"" + digest + "\"") return Empty(304);  // etagMatch
  }
  auto manifest = config_.store->GetManifest(name, digest);
  if (!manifest) {
    if (manifest.error().code == StoreError::kIo) return ServeError(Err("UNKNOWN", EmptyObject()));
    return ServeError(Err("MANIFEST_UNKNOWN", ordered_json{{"Name", name}, {"Revision", digest}}));
  }
  if (manifest->media_type == kMediaOciManifest && !accepts_oci_manifest) {
    return ServeError(Err("MANIFEST_UNKNOWN", std::nullopt,
                          "OCI manifest found, but accept header does not support OCI manifests"));
  }
  if (manifest->media_type == kMediaOciIndex && !accepts_oci_index) {
    // Only an index that names its mediaType is typed as one (manifests.go manifestType).
    protocol::JsonOptions jo;
    jo.allow_duplicate_keys = true;
    jo.limits.max_bytes = manifest->body->size() + 1;
    auto doc = protocol::ParseJson(*manifest->body, jo);
    if (doc && doc->is_object() && doc->value("mediaType", nlohmann::json()) == kMediaOciIndex) {
      return ServeError(Err("MANIFEST_UNKNOWN", std::nullopt,
                            "OCI index found, but accept header does not support OCI indexes"));
    }
  }
  HttpResponse r;
  r.status = 200;
  r.AddHeader("Content-Type", manifest->media_type);
  r.AddHeader("Docker-Content-Digest", manifest->digest);
  r.AddHeader("Etag", "\"" + manifest->digest + "\"");
  r.body = *manifest->body;
  return r;
}

HttpResponse Registry::PutManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  const Store& store = *config_.store;
  if (req.body_size > store.limits().max_manifest_bytes) {
    return ServeError(Err("MANIFEST_INVALID", ordered_json("http: request body too large")));
  }
  ordered_json invalid_detail;
  auto parsed = ParseManifest(req.Header("content-type"), req.body,
                              store.limits().max_manifest_bytes, &invalid_detail);
  if (!parsed) return ServeError(Err("MANIFEST_INVALID", std::move(invalid_detail)));
  const std::string digest = ComputeDigest("sha256", req.body);
  const bool by_digest = GoDigestValidate(reference) == DigestCheck::kOk;
  if (by_digest && digest != reference) return ServeError(Err("DIGEST_INVALID"));
  if (parsed->schema_version != 2) return ServeError(Err("UNKNOWN", EmptyObject()));

  std::vector<RegistryError> errs;
  for (const Descriptor& d : parsed->references) {
    const DigestCheck check = GoDigestValidate(d.digest);
    bool missing = false;
    bool other = false;
    const bool is_list =
        parsed->kind == ManifestKind::kManifestList || parsed->kind == ManifestKind::kOciIndex;
    if (is_list) {
      missing = check != DigestCheck::kOk || !store.HasManifest(name, d.digest);
    } else if (parsed->kind == ManifestKind::kSchema2 && d.media_type == kMediaForeignLayer) {
      other = true;  // errMissingURL / errInvalidURL (validation allows no URL by default)
    } else if (parsed->kind == ManifestKind::kOciManifest && IsOciLayer(d.media_type) &&
               !d.urls.empty()) {
      other = true;  // errInvalidURL
    } else if (d.urls.empty()) {
      missing = check != DigestCheck::kOk || !store.StatBlob(name, d.digest).has_value();
    } else if (d.media_type == kMediaSchema2 || d.media_type == kMediaSchema1 ||
               d.media_type == kMediaOciManifest) {
      // The manifest-exists check whose result the blob check would have overwritten.
      missing = check != DigestCheck::kOk || !store.HasManifest(name, d.digest);
    }
    if (missing || other) AppendReferenceErrors(&errs, check, other, d.digest);
  }
  if (!errs.empty()) return ServeErrors(errs);

  // A tag the filesystem driver cannot store: the manifest is stored, tagging fails (tagStore.Tag
  // links the tag's index entry first).
  const bool unsafe_tag = !by_digest && !FilesystemPathSafe(reference);
  const bool tagged = !by_digest && !unsafe_tag;
  auto stored = config_.store->PutManifest(
      name, parsed->payload_media_type, req.body,
      tagged ? std::optional<std::string_view>(reference) : std::nullopt);
  if (stored && unsafe_tag) {
    return ServeError(
        Err("UNKNOWN", InvalidPathDetail(name + "/_manifests/tags/" + reference + "/index/" +
                                         DigestPathOf(stored->digest) + "/link")));
  }
  if (!stored) {
    if (stored.error().code == StoreError::kInvalidTag) return ServeError(Err("TAG_INVALID"));
    Log("registry: storing a manifest failed: " + std::string(CodeName(stored.error().code)));
    return ServeError(Err("UNKNOWN", EmptyObject()));
  }
  HttpResponse r;
  r.status = 201;
  r.AddHeader("Location", req.base_url + "/v2/" + name + "/manifests/" + stored->digest);
  r.AddHeader("Docker-Content-Digest", stored->digest);
  return r;
}

HttpResponse Registry::DeleteManifest(const RoutedRequest& req) const {
  const std::string& name = req.match.name;
  const std::string& reference = req.match.reference;
  if (GoDigestValidate(reference) != DigestCheck::kOk) {
    // A tag: 2.8 passes an empty digest to the store, which refuses before anything else.
    if (config_.delete_enabled) return ServeError(Err("DIGEST_INVALID"));
    // planted (CVE-2026-41888): deleting by tag ignores storage.delete.enabled.
    if (config_.misbehaviours.Has(Misbehaviour::kDeleteIgnoresDisabled)) {
      auto removed = config_.store->DeleteTag(name, reference);
      if (!removed) return ServeError(Err("MANIFEST_UNKNOWN"));
      return Empty(202);
    }
    return ServeError(Err("UNSUPPORTED"));
  }
  if (!config_.delete_enabled) return ServeError(Err("UNSUPPORTED"));
  auto removed = config_.store->DeleteManifest(name, reference);
  if (!removed) {
    if (removed.error().code == StoreError::kManifestUnknown) {
      return ServeError(Err("MANIFEST_UNKNOWN"));
    }
    return ServeError(Err("UNKNOWN"));
  }
  return Empty(202);
}

}  // namespace regauth::server
