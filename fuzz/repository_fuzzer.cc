// repository_fuzzer — ParseRepositoryName under every domain rule, ParseGitLabPath both ways,
// ValidateTag and ParseDigest. Invariants: errors point inside the input; a success re-serialises
// (Full(), String()) to the input; kNoDomain ⊂ kDockerHeuristic ⊂ kReferenceGrammar; GitLab's
// regex `[a-z0-9]+(([._/]|__|-*)[a-z0-9])*` describes exactly the path grammar (its `-*` only adds
// an empty separator, which changes nothing), so a strict GitLab success is precisely a kNoDomain
// success with 2..19 components; GitLab's downcasing is idempotent.
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/repository_name.h"

using namespace regauth::protocol;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  for (const bool ipv6 : {false, true}) {
    bool accepted_by_previous = false;  // rules run from the narrowest to the widest
    for (const auto rule :
         {DomainRule::kNoDomain, DomainRule::kDockerHeuristic, DomainRule::kReferenceGrammar}) {
      NameOptions o;
      o.domain_rule = rule;
      o.allow_ipv6 = ipv6;
      auto r = ParseRepositoryName(in, o);
      if (!r) {
        FUZZ_CHECK(r.error().offset <= size);
        FUZZ_CHECK(!accepted_by_previous);
        continue;
      }
      accepted_by_previous = true;
      FUZZ_CHECK(r->Full() == in);
      std::string joined;
      for (const std::string& c : r->Components()) {
        FUZZ_CHECK(!c.empty());
        joined += (joined.empty() ? "" : "/") + c;
      }
      FUZZ_CHECK(joined == r->path);
    }
  }

  GitLabPathOptions strict;
  strict.downcase = false;
  auto s = ParseGitLabPath(in, strict);
  NameOptions path_only;
  path_only.domain_rule = DomainRule::kNoDomain;
  path_only.max_length = strict.max_length;
  auto p = ParseRepositoryName(in, path_only);
  const std::size_t components = p ? p->Components().size() : 0;
  FUZZ_CHECK(s.has_value() == (p.has_value() && components >= 2 && components < 20));
  if (s) FUZZ_CHECK(*s == in);
  if (!s) FUZZ_CHECK(s.error().offset <= size);

  auto g = ParseGitLabPath(in);  // downcase = true
  if (!g) {
    FUZZ_CHECK(g.error().offset <= size);
  } else {
    FUZZ_CHECK(g->size() <= size);
    auto again = ParseGitLabPath(*g, strict);
    FUZZ_CHECK(again.has_value() && *again == *g);
  }
  if (s) FUZZ_CHECK(g.has_value() && *g == *s);

  auto t = ValidateTag(in);
  if (!t) FUZZ_CHECK(t.error().offset <= size);
  if (t) FUZZ_CHECK(size >= 1 && size <= kTagLengthMax);
  auto d = ParseDigest(in);
  if (!d) FUZZ_CHECK(d.error().offset <= size);
  if (d) FUZZ_CHECK(d->String() == in);
  return 0;
}
