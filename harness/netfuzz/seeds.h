// seeds.h — the valid exchanges `regauth netfuzz` starts from, taken from the world and the
// target: a token request for every credential of the world (and an anonymous one), each
// credential's baseline grant (what the token endpoint grants it for every project and the
// catalog when asked plainly), and registry requests with tokens the target issued and — when
// the target's signing key is known — with forged tokens over a small image that setup pushes
// to two repositories (`netfuzz/a`, `netfuzz/b`), including the requests whose success would
// break repository isolation, the catalog bound or tag deletion.
//
// Usage:
//   auto seeds = BuildSeeds(ctx, client, token_url);
//   if (!seeds) return Fail(seeds.error());
//   for (const Seed& s : seeds->seeds) ...
#pragma once

#include <map>
#include <string>
#include <vector>

#include "harness/execute/steps.h"
#include "harness/netfuzz/mutators.h"
#include "harness/netfuzz/request.h"
#include "net/http_client.h"
#include "protocol/scope.h"

namespace regauth::harness::netfuzz {

// Seed is one valid request and a stable id ("token/<credential id>", "registry/blob-other").
struct Seed {
  std::string id;
  FuzzRequest request;
};

// SeedSet is what setup produced.
struct SeedSet {
  std::vector<Seed> seeds;
  // baseline: credential id ("" = anonymous) → the access the token endpoint granted it when
  // asked for pull, push and delete on every world project and for the catalog.
  std::map<std::string, std::vector<protocol::ResourceScope>> baseline;
  MutationEnv env;
  // issued_sources: (index of a seed using an issued token, the token request that issued it),
  // so the engine can re-issue tokens before they expire.
  std::vector<std::pair<std::size_t, FuzzRequest>> issued_sources;
  std::vector<std::string> notes;  // what setup could not do (e.g. no signing key: no forged seeds)
};

// kRepoA / kRepoB are the repositories setup pushes to.
inline constexpr std::string_view kRepoA = "netfuzz/a";
inline constexpr std::string_view kRepoB = "netfuzz/b";

// BuildSeeds performs setup against the target of `ctx` (token requests for the baselines; with
// a signing key, an image push and one open upload session) and returns the seeds. Errors: a
// message when the target refuses what setup needs (the push fails, the realm does not answer).
protocol::Expected<SeedSet, std::string> BuildSeeds(const RunContext& ctx, net::HttpClient& client);

// TokenFromResponse returns the token of a 200 token-endpoint answer ("" otherwise).
std::string TokenFromResponse(const net::ClientResponse& res);

// GrantedAccess decodes a token's "access" claim without verifying it (empty when it does not
// parse).
std::vector<protocol::ResourceScope> GrantedAccess(std::string_view token);

}  // namespace regauth::harness::netfuzz
