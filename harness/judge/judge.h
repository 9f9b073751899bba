// judge.h — turns a case's declarative expectation (cases/README.md "Expectations"), the run's
// profile (harness/judge/profile.h) and what the steps observed (StepOutput) into graded checks.
//
// Every received header and body goes through the core parsers (protocol/): token responses
// (token_response.h), JWS/JWT (jws.h, jwt.h), WWW-Authenticate (challenge.h), scopes (scope.h)
// and registry error bodies (error_body.h). A parse failure of something the spec defines is
// itself a failed check whose message carries the parser's error code and byte offset.
//
// Check ids are stable (baselines name them): status, content_type, no_token, body.shape,
// body.error_code, body.http_status, www_authenticate, token_response.parse,
// token_response.<member>, token_response.<finding code>, jwt.parse, jwt.header.alg,
// jwt.header.typ, jwt.header.kid, jwt.header.kid_matches_key, jwt.signature, claims.parse,
// claims.iss, claims.aud, claims.aud_form, claims.exp, claims.lifetime, claims.nbf,
// claims.nbf_offset, claims.iat, claims.jti, claims.sub, claims.auth_type, claims.meta,
// access, access.claim, access.order, access.denied_shape, access.informational,
// challenge.parse, challenge.bearer, challenge.service, challenge.error, challenge.scope,
// challenge.absent, header.api_version, login, then.<step index>, transport, steps, expect.
//
// Severities: each check has a default (MUST for what the specs require or what breaks a
// client or registry, SHOULD for a profile's observed behaviour, INFO for implementation-defined
// observations), then the profile's "severity" overrides apply, then --strict turns SHOULD into
// MUST. A value the profile marks "unknown" never fails a check: it is recorded as a passed INFO
// check with the observed value, so profiles can be completed from real runs.
//
// Usage:
//   JudgeContext ctx{&target, &world, now_unix, strict, public_key};
//   std::vector<CheckResult> checks = Judge(c, profile, ctx, outputs);
//   Verdict v = WorstVerdict(checks, strict);   // harness/judge/baseline.h
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/judge/profile.h"
#include "harness/suite/case.h"
#include "protocol/keys.h"
#include "protocol/world.h"

namespace regauth::harness {

// JudgeContext is what the judge knows besides the case and the observations.
struct JudgeContext {
  const TargetInfo* target = nullptr;      // service, issuer (may be null in unit tests)
  const protocol::World* world = nullptr;  // credentials, users, projects (sub, meta, lifetime)
  int64_t now = 0;                         // Unix time at which the case ran
  bool strict = false;                     // --strict: SHOULD checks weigh as MUST
  // The public key the target signs tokens with (the reference target's key, or
  // --signing-key); absent in black-box runs, where jwt.signature is recorded "not verified".
  std::optional<protocol::Key> signing_key;
  // signing_kid_libtrust / signing_kid_thumbprint: signing_key's key ids when the caller has
  // them already (computed once per run); "" means the judge computes them.
  std::string signing_kid_libtrust;
  std::string signing_kid_thumbprint;
  int64_t clock_skew_seconds = 60;  // tolerated difference between our clock and the target's
};

// Judge evaluates `c` (its expectation for its layer) against `outputs` (outputs[i] is what
// c.steps[i] produced; a shorter vector means the later steps did not run). Never throws on
// hostile input; an expectation that does not parse yields one failed "expect" check (cases are
// validated on load, so this means an engine bug: the runner reports it as ERROR).
std::vector<CheckResult> Judge(const Case& c, const Profile& profile, const JudgeContext& ctx,
                               const std::vector<StepOutput>& outputs);

// Substitute replaces the ${registry}, ${registry_host}, ${realm}, ${service} and ${issuer}
// references of `text` from the target (the runner's step substitution does the rest; the
// judge needs these to know what was asked).
std::string Substitute(std::string_view text, const TargetInfo* target,
                       const protocol::World* world);

// IsLibtrustKeyId reports whether `kid` has the libtrust fingerprint form: 12 groups of 4
// RFC 4648 base32 characters joined by ':' (token-auth.md §1.6). IsJwkThumbprint reports
// whether it is 43 base64url characters (a SHA-256 RFC 7638 thumbprint).
bool IsLibtrustKeyId(std::string_view kid);
bool IsJwkThumbprint(std::string_view kid);

}  // namespace regauth::harness
