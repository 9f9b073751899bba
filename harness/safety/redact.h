// redact.h — keeps secrets out of every report, transcript and log the suite writes
// (STYLE.md "Secrets never reach a log or a report unredacted"; suite-anchors.md §E must-have 6:
// "per-case HTTP transcripts (Authorization/token redacted, as the OCI redactWriter does)").
//
// A Redactor knows the run's secrets: the world's passwords and tokens, and every token the run
// obtains. Redaction happens AT CAPTURE TIME: the runner passes each header value, URL, body and
// error message of an exchange through a Redactor before it stores the Exchange, so no
// unredacted copy exists in memory for a report writer, a log line or a crash dump to leak.
// Register a token (AddSecret) as soon as it is parsed, before anything else sees it.
//
// Two mechanisms, applied together on the original text in one pass:
//   1. Known secrets. Every registered secret is replaced wherever it occurs, in its raw,
//      percent-encoded (%20 and '+' for space, upper- and lower-case hex) and JSON-escaped
//      spellings. A JWT secret is registered by its signature only, so its header and claims
//      stay readable as evidence (they are not usable without the signature).
//   2. Structure. Authorization credentials (Basic shows the username only; a Bearer JWT keeps
//      header and claims), JSON `token`/`access_token`/`refresh_token`/... fields, sensitive URL
//      query and form parameters (`password`, `private_token`, ...), URL userinfo passwords,
//      cookie values; and, by default, the signature of anything JWT-shaped ("eyJ….….sig") even
//      when the token was never registered (for example inside the response that delivers it).
// Overlapping or nested matches merge into one marker, so no fragment of a secret survives next
// to a marker (secrets "abcd" and "cdef" in "abcdef" give one «redacted»). When one match
// contains all the others its replacement wins (a Basic credential keeps "user=").
//
// Public tokens: a token the suite forged itself (forge_token: alg none, an attacker key, a
// flipped bit, …) is not a secret of the target, and replaying it is the point of recording it.
// AddPublicToken exempts it, byte for byte, from the structural rules (a Bearer value, a JSON
// token member, the JWT-shape safety net), so results.json keeps it whole and `regauth replay`
// can send it again. Registered secrets are still replaced inside it.
//
// Short secrets: a secret shorter than kMinSecretLength (4) bytes is NOT replaced as a
// substring. It would match ordinary text (and the markers themselves) and destroy the evidence,
// and a secret that short cannot be protected by redaction anyway. The structural rules still
// hide it where it is known to be a secret (a Basic password, a `password=` parameter). Worlds
// should use longer secrets; Redactor::ignored_short_secrets() lets the runner warn.
//
// Usage:
//   Redactor r;
//   r.AddBasicCredential("alice", world_password);   // password + base64("alice:" + password)
//   r.AddSecret(token_response.token);               // as soon as it is parsed
//   exchange.request_headers.emplace_back(name, r.RedactHeaderValue(name, value));
//   exchange.url = r.RedactUrl(url);
//   exchange.response_body = r.RedactBody(content_type, body);
//   r.RedactAuthorizationHeader("Basic YWxpY2U6czNjcmV0")  → "Basic «redacted user=alice»"
//   r.RedactAuthorizationHeader("Bearer eyJh….eyJz….sig") → "Bearer
//   eyJh….eyJz….«redacted-signature»"
#pragma once

#include <cstddef>
#include <cstdint>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace regauth::harness {
namespace redact_internal {
struct Span;  // one replacement over the input text (redact.cc)
}  // namespace redact_internal

// kRedacted replaces a secret; kRedactedSignature replaces only a JWT's signature segment.
inline constexpr std::string_view kRedacted = "«redacted»";
inline constexpr std::string_view kRedactedSignature = "«redacted-signature»";
// kMinSecretLength is the shortest secret replaced as a substring (see the header comment).
inline constexpr std::size_t kMinSecretLength = 4;

// RedactorOptions selects the structural rules that are not tied to a registered secret.
struct RedactorOptions {
  // Mask the signature of every JWT-shaped substring ("eyJ" header, payload, signature of at
  // least 16 base64url characters), registered or not. Turn off only for a report whose forged
  // tokens (attacker keys, not secrets) must be shown whole.
  bool mask_unknown_jwt_signatures = true;
};

// Redactor rewrites text so that no registered secret and no structurally-known credential
// survives. Thread-safe: AddSecret may run while other threads redact. Every Redact* function
// is total: any bytes in, bytes out (non-UTF-8 input is passed through outside the markers).
class Redactor {
 public:
  Redactor() = default;
  explicit Redactor(RedactorOptions options) : options_(options) {}
  Redactor(const Redactor&) = delete;
  Redactor& operator=(const Redactor&) = delete;

  // AddSecret registers `secret` (a password, a token). Empty secrets are ignored; secrets
  // shorter than kMinSecretLength are only counted (ignored_short_secrets). A JWT-shaped secret
  // registers its signature segment, so redaction keeps its header and claims.
  void AddSecret(std::string_view secret);
  // AddBasicCredential registers `password` and the base64 of "user:password" (padded and
  // unpadded, standard and URL alphabets), which is how the pair appears in a Basic header or a
  // docker config.json `auth` field.
  void AddBasicCredential(std::string_view user, std::string_view password);
  // AddPublicToken registers a token that is NOT a secret (one the suite forged): wherever it
  // occurs whole — a Bearer credential, a JSON token member, a JWT-shaped substring — it is kept
  // as it is. Tokens shorter than kMinSecretLength are ignored (nothing to exempt).
  void AddPublicToken(std::string_view token);
  // pattern_count is the number of byte strings searched for (all spellings of all secrets).
  std::size_t pattern_count() const;
  // ignored_short_secrets counts the non-empty secrets too short to be replaced as substrings.
  std::size_t ignored_short_secrets() const;

  // Redact replaces every registered secret (and, by default, JWT signatures) in free text.
  std::string Redact(std::string_view text) const;

  // RedactAuthorizationHeader rewrites an Authorization (or Proxy-Authorization) value, keeping
  // the scheme and separator exactly as sent (case, spaces, TAB are evidence):
  //   Basic <b64 of user:pass>   → Basic «redacted user=alice»   (user escaped, ≤ 64 bytes)
  //   Basic <anything else>      → Basic «redacted»
  //   Bearer <JWT>               → Bearer <header>.<payload>.«redacted-signature»
  //   Bearer <other>, <scheme> x → <scheme> «redacted»;   a value with no space → «redacted»
  //   a scheme alone ("Bearer")  → unchanged
  std::string RedactAuthorizationHeader(std::string_view value) const;

  // RedactHeaderValue dispatches on the field name: Authorization/Proxy-Authorization as above,
  // Cookie/Set-Cookie values masked, Location/Content-Location as URLs, anything else Redact.
  std::string RedactHeaderValue(std::string_view name, std::string_view value) const;

  // RedactUrl masks a userinfo password, the values of sensitive query parameters (password,
  // token, access_token, refresh_token, id_token, private_token, job_token, client_secret,
  // secret, api_key; names compared percent-decoded and case-insensitively), and secrets.
  std::string RedactUrl(std::string_view url) const;
  // RedactForm does the same for an application/x-www-form-urlencoded body or a bare query.
  std::string RedactForm(std::string_view form) const;

  // RedactJsonTokenFields masks string values of token-bearing members at any depth (names
  // compared JSON-unescaped and case-insensitively, as Go's encoding/json matches them):
  //   token, access_token, id_token, registrytoken → a JWT keeps header.payload and gets
  //     «redacted-signature»; anything else → «redacted»;
  //   refresh_token, identitytoken, password, client_secret, secret, private_token → «redacted»;
  //   auth (docker config.json) → «redacted user=…» like a Basic credential.
  // It scans lexically and needs no valid JSON: duplicate keys and broken documents are
  // redacted as they are, byte for byte outside the markers (they are evidence).
  std::string RedactJsonTokenFields(std::string_view body) const;

  // RedactBody picks by media type: JSON (…json, or a body starting with '{' or '[') →
  // RedactJsonTokenFields; application/x-www-form-urlencoded → RedactForm; else Redact.
  std::string RedactBody(std::string_view content_type, std::string_view body) const;

 private:
  struct Pattern {
    std::string text;
    bool signature;  // replacement is kRedactedSignature
  };

  void AddPatternLocked(std::string text, bool signature);
  bool IsPublicToken(std::string_view token) const;
  void FindSecrets(std::string_view text, std::vector<redact_internal::Span>& out) const;
  std::string BasicReplacement(std::string_view credential) const;

  RedactorOptions options_;
  mutable std::shared_mutex mu_;
  std::vector<Pattern> patterns_;
  std::unordered_set<std::string> known_;
  std::unordered_set<std::string> public_tokens_;
  std::unordered_map<std::uint32_t, std::vector<std::size_t>> by_prefix_;  // first 4 bytes
  // prefix_filter_: one bit per hashed 4-byte prefix of any pattern (kPrefixFilterBits), tested
  // before by_prefix_ so that most text positions cost a shift and a load, not a hash lookup.
  std::vector<std::uint64_t> prefix_filter_;
  std::size_t ignored_short_ = 0;
};

}  // namespace regauth::harness
