// mutators.h — the structure-aware mutations of `regauth netfuzz` (issue 11): each one edits a
// FuzzRequest (harness/netfuzz/request.h) the way an attacker would edit that part of the
// exchange, and is named so a finding can say which edits produced it.
//
// Families (README "regauth netfuzz"):
//   - Authorization: scheme case, spacing, tab, scheme swap, base64 damage (padding, alphabet,
//     invalid character, truncation, non-canonical bits), a duplicate Authorization line;
//   - Basic user/password: no colon, NUL, UTF-8, 64 KiB, empty parts, another credential's
//     username, upper-cased username, anonymous;
//   - scope: extra colons, comma lists, space-joined, %0a, `..`, upper case, a port in the name,
//     10,000 repeats, `repository(plugin)`, `*`, another project, the catalog, dropped;
//   - service/account mismatch, duplicate `scope`/`service`/`n` parameters;
//   - JWT surgery through the forge_token step: alg swaps (none, HS256 keyed with the public
//     PEM, ES256, PS256, wrong case), kid/jku/x5c/jwk injection, claims re-signed wrong (aud,
//     iss, exp, nbf, iat, access narrowed or moved), claims widened under the old signature,
//     segment damage, duplicate JSON members, huge tokens;
//   - raw: the request line and header block damaged (CL+TE, two Content-Lengths, chunk-size
//     overflow, bare LF, obs-fold, 100 headers, NUL, missing Host, leading CRLF, ...).
//
// Determinism: a mutation is (name, arg); applying it is a pure function of the request, the
// arg and the MutationEnv, so a run's request sequence depends only on --seed.
//
// Usage:
//   Mutation m{"alg_none", 0};
//   FuzzRequest r = seed.request;
//   if (Apply(m, env, r)) send(r);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "harness/netfuzz/request.h"

namespace regauth::harness::netfuzz {

// Mutation is one named edit; `arg` picks among variants (another credential, another project).
struct Mutation {
  std::string name;
  uint64_t arg = 0;
  friend bool operator==(const Mutation&, const Mutation&) = default;
};

// MutationEnv holds what mutations may draw from: world usernames and secrets of other
// credentials (for username swaps and duplicate headers), world project paths, the repositories
// netfuzz set up, the service and issuer.
struct MutationEnv {
  std::vector<std::string> usernames;
  std::vector<std::pair<std::string, std::string>> other_basic;  // (user, secret)
  std::vector<std::string> projects;
  std::string service;
  std::string issuer;
  std::string repo_a, repo_b;  // the repositories setup pushed to (seeds.h)
};

// MutationNames returns every mutation of a family, in a fixed order (the sweep order).
const std::vector<std::string>& MutationNames(Family family);

// Applies reports whether `name` can edit `r` (e.g. JWT surgery needs a forged token).
bool Applies(std::string_view name, const FuzzRequest& r);

// Apply edits `r` in place; false (and `r` unchanged) when the mutation does not apply.
bool Apply(const Mutation& m, const MutationEnv& env, FuzzRequest& r);

// Describe renders a mutation list as "alg_none, scope_upper#3".
std::string Describe(const std::vector<Mutation>& ms);

}  // namespace regauth::harness::netfuzz
