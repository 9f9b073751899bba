// scope_fuzzer — ParseScope and ParseScopeList in every dialect. Invariants: errors point inside
// the input; a kSpec success serialises back to the input and re-parses to an equal value;
// Normalize is idempotent and SameScopeSet(x, Normalize(x)); the strict options accept a subset
// of the defaults; a kSpec success without a port in the name is what GitLab's split(':', 3)
// extracts too (type written with its class, actions minus Ruby's dropped trailing empties),
// what docker_auth extracts (actions sorted) and what containers/image extracts.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz/fuzz_check.h"
#include "protocol/scope.h"

using namespace regauth::protocol;

namespace {

void CheckSets(const std::vector<ResourceScope>& list) {
  const auto n = Normalize(list);
  FUZZ_CHECK(Normalize(n) == n);
  FUZZ_CHECK(SameScopeSet(list, n));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  ScopeOptions opt[4];
  const ScopeDialect dialects[4] = {ScopeDialect::kSpec, ScopeDialect::kGitLab,
                                    ScopeDialect::kDockerAuth, ScopeDialect::kContainersImage};
  Result<ResourceScope, ScopeError> one[4];
  for (int i = 0; i < 4; ++i) {
    opt[i].dialect = dialects[i];
    one[i] = ParseScope(in, opt[i]);
    if (!one[i]) FUZZ_CHECK(one[i].error().offset <= size);
    auto list = ParseScopeList(in, opt[i]);
    if (!list) {
      FUZZ_CHECK(list.error().offset <= size);
    } else {
      CheckSets(*list);
    }
    if (i == 0 && list) {
      FUZZ_CHECK(SerializeScopeList(*list) == in);
      auto again = ParseScopeList(SerializeScopeList(*list));
      FUZZ_CHECK(again.has_value() && *again == *list);
    }
  }

  ScopeOptions strict;
  strict.allow_star_action = false;
  strict.allow_empty_action = false;
  auto s = ParseScope(in, strict);
  if (s) FUZZ_CHECK(one[0].has_value() && *one[0] == *s);
  if (!one[0]) return 0;

  const ResourceScope& spec = *one[0];
  FUZZ_CHECK(SerializeScope(spec) == in);
  auto again = ParseScope(SerializeScope(spec));
  FUZZ_CHECK(again.has_value() && *again == spec);

  const std::string typed =
      spec.resource_class.empty() ? spec.type : spec.type + "(" + spec.resource_class + ")";
  if (spec.name.find(':') == std::string::npos) {
    const ResourceScope& gitlab = *one[1];
    std::vector<std::string> ruby = spec.actions;
    while (!ruby.empty() && ruby.back().empty()) ruby.pop_back();
    FUZZ_CHECK(one[1].has_value() && gitlab.type == typed && gitlab.name == spec.name &&
               gitlab.actions == ruby);
    std::vector<std::string> sorted = spec.actions;
    std::sort(sorted.begin(), sorted.end());
    FUZZ_CHECK(one[2].has_value() && one[2]->type == spec.type && one[2]->name == spec.name &&
               one[2]->actions == sorted);
    FUZZ_CHECK(one[3].has_value() && one[3]->type == typed && one[3]->name == spec.name &&
               one[3]->actions == spec.actions);
  } else {
    // A port: docker_auth rejoins it, containers/image rejects it, GitLab cuts the name there.
    FUZZ_CHECK(one[2].has_value() && one[2]->name == spec.name);
    FUZZ_CHECK(!one[3].has_value() && one[3].error().code == ScopeError::kTooManyColons);
    FUZZ_CHECK(one[1].has_value() && one[1]->name == spec.name.substr(0, spec.name.find(':')));
  }
  return 0;
}
