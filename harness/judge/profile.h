// profile.h — target profiles (cases/profiles/*.json): where implementations of the token flow
// are allowed to differ, recorded as data (token-auth.md §5, §6 items 1–25;
// suite-anchors.md §E "interop profiles that record divergence instead of failing").
//
// A profile says what "unauthorized", "forbidden" and "not found" look like on the wire for a
// kind of target, which token response members and claims it emits, and how its registry
// verifier behaves (insufficient_scope status, error= parameters, `*` wildcard, aud arrays,
// leeway, kid format, Authorization whitespace). One case then serves every profile: the judge
// (harness/judge/judge.h) reads the profile to turn an expectation into checks. Every value may be
// "unknown", which makes the checks that depend on it INFO instead of guessing. Per-check
// severity overrides ("severity": {"claims.nbf": "INFO", "token_response.*": "SHOULD"}) adjust
// what a failed check weighs; --strict turns SHOULD into MUST (JudgeContext::strict).
// A profile may "extends" another (deep merge, the child wins); LoadProfileDir resolves it.
//
// Usage:
//   auto profiles = LoadProfileDir("cases/profiles");
//   const Profile* p = FindProfile(*profiles, "gitlab");
//   p->OutcomeShapeOf("unauthorized").status;       // {401}
//   p->Lookup("registry.insufficient_scope_status");  // "401"
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"

namespace regauth::harness {

// kUnknown is the spelling of "the sources do not say" for every profile value.
inline constexpr std::string_view kUnknown = "unknown";

// OutcomeShape: what one outcome of the token endpoint looks like on the wire.
struct OutcomeShape {
  std::vector<int> status;       // any of; empty: unknown
  std::string body = "unknown";  // registry_error | empty | text | json | any | unknown
  std::string error_code;        // first errors[].code for registry_error bodies ("" unchecked)
  std::string www_authenticate = "unknown";  // absent | basic | bearer | any | unknown
  bool http_status_member = false;           // GitLab renders "http_status" in error bodies
  // forbidden only: a 200 token whose access is empty for the request is acceptable too
  // (spec-style servers intersect instead of refusing; token-auth.md §6 item 2).
  bool accept_empty_grant = false;
};

// Profile is a loaded profile. String enums keep their file spelling; "unknown" is always legal.
struct Profile {
  std::string name;
  std::string description;
  std::string file;
  nlohmann::json raw;  // the merged document (after "extends"), for Lookup

  // token_endpoint
  std::string post = "unknown";  // not_found | oauth2 | unknown: what POST to the realm does
  std::map<std::string, OutcomeShape> outcomes;  // granted|unauthorized|forbidden|not_found
  std::string denied_resources = "unknown";      // omitted | empty_actions | either | unknown
  std::map<std::string, std::string> members;    // member → required|absent|optional|unknown
  std::vector<std::string> accepted_findings;    // CheckTokenResponse codes the profile expects
  std::string offline_token = "unknown";         // ignored | refresh_token | unknown
  std::string account_mismatch = "unknown";      // ignored | bad_request | unknown

  // token (the JWT the endpoint issues)
  std::vector<std::string> algs;          // accepted "alg" values; empty: unknown
  std::string typ = "unknown";            // "JWT" | absent | any | unknown
  std::string kid_format = "unknown";     // libtrust | jwk_thumbprint | any | unknown
  std::optional<int64_t> nbf_offset_min;  // nbf − iat bounds (nullopt: unknown)
  std::optional<int64_t> nbf_offset_max;
  // exp − iat: "delay" = {d·60, d·60+1} with d the world's token_expire_delay_minutes
  // (token-auth.md §9), "range" = [lifetime_min, lifetime_max], "unknown".
  std::string lifetime = "unknown";
  int64_t lifetime_min = 0;
  int64_t lifetime_max = 0;
  std::string aud_form = "unknown";              // string | array | either | unknown
  std::string sub_anonymous = "unknown";         // absent | empty | any | unknown
  std::string sub_deploy_token = "unknown";      // absent | username | any | unknown
  std::string sub_job_without_user = "unknown";  // absent | any | unknown
  std::map<std::string, std::string> auth_type;  // subject kind → auth_type claim value
  std::string auth_type_mode = "unknown";        // expected | absent | any | unknown
  std::string meta = "unknown";                  // gitlab | absent | any | unknown
  std::string access_order = "unknown";          // request_order | any | unknown
  std::string jti = "unknown";                   // required | optional | unknown
  std::string user_info = "unknown";             // gitlab | any | unknown (nested `user` JWT)

  // registry (the resource server verifier); read with Lookup("registry.<key>") too
  nlohmann::json registry = nlohmann::json::object();

  // severity overrides: exact check ids and "prefix.*" patterns
  std::map<std::string, Severity> severity;

  // OutcomeShapeOf returns the shape of `outcome`, or an all-unknown shape.
  const OutcomeShape& OutcomeShapeOf(std::string_view outcome) const;
  // Lookup returns the value at a dotted path of `raw` as text (strings as-is, numbers in
  // decimal, booleans "true"/"false", arrays/objects as compact JSON), or nullopt when absent.
  std::optional<std::string> Lookup(std::string_view dotted_key) const;
  // LookupJson returns the JSON value at a dotted path, or nullptr when absent.
  const nlohmann::json* LookupJson(std::string_view dotted_key) const;
  // SeverityFor returns the override for `check_id` (exact match first, then the longest
  // "prefix.*" pattern), or nullopt.
  std::optional<Severity> SeverityFor(std::string_view check_id) const;
};

// ParseProfile validates a profile document (already merged with its base). Errors name `file`
// and a JSON pointer.
LoadResult<Profile> ParseProfile(const nlohmann::json& doc, const std::string& file);
// LoadProfileFile reads one profile without a base ("extends" is an error here);
// LoadProfileDir reads every *.json in `dir`, resolves "extends" (by profile name, cycles are
// errors), and checks that names are unique.
LoadResult<Profile> LoadProfileFile(const std::string& path);
LoadResult<std::vector<Profile>> LoadProfileDir(const std::string& dir);
// FindProfile returns the profile called `name`, or nullptr.
const Profile* FindProfile(const std::vector<Profile>& profiles, std::string_view name);

// MergeJson deep-merges `child` over `base` (objects merged member by member, everything else
// replaced); the result is what "extends" produces.
nlohmann::json MergeJson(const nlohmann::json& base, const nlohmann::json& child);

}  // namespace regauth::harness
