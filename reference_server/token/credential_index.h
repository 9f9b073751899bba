// credential_index.h — finds the world credential a presented secret belongs to, without
// comparing secrets byte by byte in variable time.
//
// The token service looks every Basic password up here (token-auth.md §3.2: each of GitLab's
// checks finds its token by the presented secret). The index is built once from a World: it
// stores the SHA-256 digest of every credential's secret, keyed by the digest's first 8 bytes.
// A lookup hashes the presented secret, finds the candidates sharing that prefix (timing can
// only reveal bits of a hash, never of a secret) and confirms the full 32-byte digest with
// CRYPTO_memcmp, which takes the same time whatever the bytes. Nothing here ever logs or copies
// a secret; the plaintext stays in the World.
//
// Usage:
//   CredentialIndex index(world);                  // once, at start-up
//   const Credential* c = index.FindBySecret(basic.password);
//   if (c == nullptr) ... // no credential has this secret
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "protocol/world.h"

namespace regauth::server {

// CredentialIndex maps secrets to the credentials of one World. The returned pointers point into
// that World's Credentials() vector: the World must outlive the index and must not be assigned
// to (a World held by std::shared_ptr<const World>, as the token service holds it, is safe).
// Lookups are const and thread-safe.
class CredentialIndex {
 public:
  // CredentialIndex() is an empty index (FindBySecret always returns nullptr).
  CredentialIndex() = default;
  // CredentialIndex(world) hashes every credential's secret. World secrets are unique (ParseWorld
  // checks), so a secret names at most one credential.
  explicit CredentialIndex(const protocol::World& world);

  // FindBySecret returns the credential whose secret equals `secret`, or nullptr. The empty
  // secret matches nothing. The comparison is on SHA-256 digests, confirmed in constant time.
  const protocol::Credential* FindBySecret(std::string_view secret) const;

  // size is the number of indexed credentials.
  std::size_t size() const { return entries_.size(); }

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest;
    const protocol::Credential* credential;
  };
  static Digest Sha256(std::string_view bytes);
  static uint64_t Prefix(const Digest& digest);

  std::vector<Entry> entries_;
  std::unordered_multimap<uint64_t, std::size_t> by_prefix_;  // digest prefix → entries_ index
};

}  // namespace regauth::server
