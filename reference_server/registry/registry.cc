// registry.cc — the Registry object: configuration defaults (the upload state secret) and the
// log. The request path lives beside it, one file per concern, as distribution's
// registry/handlers/*.go: router.cc (routing and dispatch), auth.cc, catalog.cc, manifests.cc,
// blobs.cc, uploads.cc.
#include "reference_server/registry/registry.h"

#include <openssl/rand.h>

#include <utility>

namespace regauth::server {

Registry::Registry(RegistryConfig config)
    : config_(std::move(config)),
      profile_(config_.profile
                   ? *config_.profile
                   : protocol::VerifierProfile::DistributionV28(config_.issuer, config_.service)) {
  if (config_.upload_state_secret.empty()) {
    unsigned char secret[32];
    if (RAND_bytes(secret, sizeof secret) == 1) {
      config_.upload_state_secret.assign(reinterpret_cast<const char*>(secret), sizeof secret);
    } else {
      config_.upload_state_secret = "regauth-fallback-upload-secret";
      Log("registry: RAND_bytes failed; using a fixed upload state secret");
    }
  }
  // Any misbehaviour at all routes verification through VerifyPlanted, which accepts exactly
  // what VerifyToken accepts while its own switches are off; so each switch is named once, at the
  // point it changes, and the normal server keeps the plain VerifyToken path.
  planted_verifier_ = config_.misbehaviours.Any();
}

Registry::~Registry() = default;

void Registry::Log(std::string_view line) const {
  if (config_.log) config_.log(line);
}

}  // namespace regauth::server
