// challenge_fuzzer — ParseChallenges strict and as distribution's Go client, both serialisers,
// the Bearer view, and ParseChallengeHeaders on the input split at '\n'. Invariants:
//  - errors point inside the input; the Go-client model fails only on limits;
//  - strict success: SerializeChallenges(kRfc9110) re-parses (strict) to an equal value;
//  - strict success ⇒ Go-client success, which yields a challenge iff the input starts with a
//    tchar, and then it is the first strict challenge with its scheme lower-cased and a prefix
//    of its params (the Go parser stops where strict RFC 9110 goes on: BWS, token68, empty
//    values, empty list elements; strict never has duplicates, so nothing is overwritten);
//  - a strict Bearer challenge Go-quoted re-parses strictly; the Go-client model reads back the
//    same realm/service/scope/error when every value is non-empty and Go quotes it exactly as
//    RFC 9110 does (only `"` and `\` escaped);
//  - strict headers = strict parse of the lines joined by ','; Go-client headers = the
//    concatenation of each line's Go-client parse.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "protocol/challenge.h"
#include "protocol/go_quote.h"

using namespace regauth::protocol;

namespace {

bool GoQuotesLikeRfc(const std::optional<std::string>& v) {
  if (!v) return true;
  std::string rfc = "\"";
  for (const char c : *v) rfc += (c == '"' || c == '\\') ? std::string{'\\', c} : std::string{c};
  return !v->empty() && GoQuote(*v) == rfc + "\"";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ChallengeOptions go, roomy;
  go.leniency = ChallengeLeniency::kDistributionClient;
  roomy.limits.max_bytes = roomy.limits.max_value_bytes = 1 << 20;
  ChallengeOptions go_roomy = roomy;
  go_roomy.leniency = ChallengeLeniency::kDistributionClient;

  auto strict = ParseChallenges(in);
  auto lenient = ParseChallenges(in, go);
  if (!lenient) {
    FUZZ_CHECK(lenient.error().offset <= size);
    FUZZ_CHECK(lenient.error().code == ChallengeError::kTooLarge ||
               lenient.error().code == ChallengeError::kTooManyParams);
  }
  if (!strict) FUZZ_CHECK(strict.error().offset <= size);
  if (strict) {
    FUZZ_CHECK(!strict->empty() && lenient.has_value());
    auto again = ParseChallenges(SerializeChallenges(*strict), roomy);
    FUZZ_CHECK(again.has_value() && *again == *strict);
    const bool starts_with_token = size > 0 && IsTchar(data[0]);
    FUZZ_CHECK(lenient->size() == (starts_with_token ? 1u : 0u));
    if (starts_with_token) {
      const Challenge& l = lenient->front();
      const Challenge& s = strict->front();
      FUZZ_CHECK(l.scheme == AsciiLower(s.scheme) && !l.token68);
      FUZZ_CHECK(l.params.size() <= s.params.size() &&
                 std::equal(l.params.begin(), l.params.end(), s.params.begin()));
    }
    for (const Challenge& c : *strict) {
      auto b = ToBearerChallenge(c);
      if (!b) continue;
      const std::string quoted = SerializeChallenge(FromBearerChallenge(*b), QuoteStyle::kGoQuoted);
      auto reparsed = ParseChallenges(quoted, roomy);
      FUZZ_CHECK(reparsed.has_value() && reparsed->size() == 1);
      FUZZ_CHECK(ToBearerChallenge(reparsed->front()).has_value());
      if (GoQuotesLikeRfc(b->realm) && GoQuotesLikeRfc(b->service) && GoQuotesLikeRfc(b->scope) &&
          GoQuotesLikeRfc(b->error) && GoQuotesLikeRfc(b->error_description) &&
          GoQuotesLikeRfc(b->error_uri)) {
        auto g = ParseChallenges(quoted, go_roomy);
        FUZZ_CHECK(g.has_value() && g->size() == 1);
        auto gb = ToBearerChallenge(g->front());
        FUZZ_CHECK(gb.has_value() && gb->realm == b->realm && gb->service == b->service &&
                   gb->scope == b->scope && gb->error == b->error);
      }
    }
  }

  std::vector<std::string_view> lines;
  for (std::size_t start = 0;;) {
    const std::size_t nl = in.find('\n', start);
    lines.push_back(in.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  auto strict_lines = ParseChallengeHeaders(lines);
  if (!strict_lines) FUZZ_CHECK(strict_lines.error().offset <= size);
  if (strict_lines) {
    std::string joined(in);
    std::replace(joined.begin(), joined.end(), '\n', ',');
    auto whole = ParseChallenges(joined);
    FUZZ_CHECK(whole.has_value() && *whole == *strict_lines);
  }
  auto go_lines = ParseChallengeHeaders(lines, go);
  if (!go_lines) FUZZ_CHECK(go_lines.error().offset <= size);
  if (go_lines) {
    std::vector<Challenge> concat;
    for (const std::string_view line : lines) {
      auto one = ParseChallenges(line, go);
      FUZZ_CHECK(one.has_value());
      concat.insert(concat.end(), one->begin(), one->end());
    }
    FUZZ_CHECK(concat == *go_lines);
  }
  return 0;
}
