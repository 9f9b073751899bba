#include "reference_server/token/credential_index.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cstring>

namespace regauth::server {

CredentialIndex::Digest CredentialIndex::Sha256(std::string_view bytes) {
  Digest out{};
  unsigned int len = 0;
  // EVP_Digest only fails on allocation failure; the all-zero digest it would leave behind
  // matches no real secret's digest with any meaningful probability, so the lookup just misses.
  if (EVP_Digest(bytes.data(), bytes.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != out.size()) {
    out.fill(0);
  }
  return out;
}

uint64_t CredentialIndex::Prefix(const Digest& digest) {
  uint64_t prefix = 0;
  std::memcpy(&prefix, digest.data(), sizeof(prefix));
  return prefix;
}

CredentialIndex::CredentialIndex(const protocol::World& world) {
  entries_.reserve(world.Credentials().size());
  for (const protocol::Credential& c : world.Credentials()) {
    if (c.secret.empty()) continue;
    entries_.push_back({Sha256(c.secret), &c});
    by_prefix_.emplace(Prefix(entries_.back().digest), entries_.size() - 1);
  }
}

const protocol::Credential* CredentialIndex::FindBySecret(std::string_view secret) const {
  if (secret.empty()) return nullptr;
  const Digest digest = Sha256(secret);
  const auto [begin, end] = by_prefix_.equal_range(Prefix(digest));
  for (auto it = begin; it != end; ++it) {
    const Entry& e = entries_[it->second];
    if (CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0) return e.credential;
  }
  return nullptr;
}

}  // namespace regauth::server
