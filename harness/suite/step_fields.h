// step_fields.h — the parameters of each step kind, declared once (a table of name, C++ member
// and allowed values per kind in step_fields.cc), and the three things done with them: parse a
// step object of a case file into its typed struct (harness/suite/case.h), write it back as JSON,
// and visit the strings it holds (${…} substitution, world binding, credential scans). The JSON
// Schema of case files (cases/schema/case-file.schema.json) states the same parameters; the
// schema agreement test checks both reject the same broken files.
//
// Usage:
//   StepParams p;
//   if (!ParseStepParams(reader, StepKind::kTokenRequest, object, "/cases/0/steps/0", &p)) ...
//   VisitStepStrings(p, [](std::string& s) { s = Substitute(s); });
//   nlohmann::json j = StepParamsToJson(p);
#pragma once

#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "harness/suite/case.h"
#include "harness/suite/data_file.h"

namespace regauth::harness {

// MakeParams returns the default parameters of `kind`.
StepParams MakeParams(StepKind kind);

// StepParamNames lists the parameters of `kind` in declaration order.
std::vector<std::string_view> StepParamNames(StepKind kind);

// ParseStepParams reads the parameters of a `kind` step from `object` (members "step",
// "save_as" and "$…" are skipped). An unknown parameter, a wrong type or a value outside a
// parameter's enum records an error in `r` naming the JSON pointer; absent parameters keep their
// defaults.
bool ParseStepParams(DataReader& r, StepKind kind, const nlohmann::json& object,
                     const std::string& pointer, StepParams* out);

// StepParamsToJson writes the parameters that differ from their defaults.
nlohmann::json StepParamsToJson(const StepParams& params);

// VisitJsonStrings calls `fn` on every string of `value` (member values and array elements,
// recursively; member names are literal), as mutable or const references as `value` is.
template <typename J, typename Fn>
void VisitJsonStrings(J& value, const Fn& fn) {
  if (value.is_string()) {
    if constexpr (std::is_const_v<J>) {
      fn(value.template get_ref<const std::string&>());
    } else {
      fn(value.template get_ref<std::string&>());
    }
  } else if (value.is_array() || value.is_object()) {
    for (auto& child : value) VisitJsonStrings(child, fn);
  }
}

// VisitStepStrings calls `fn` on every free-text string of the parameters (enum-valued
// parameters are not visited: they hold no references): strings, optional strings, list
// elements, map values, the strings inside forge_token's header/claims objects, a text body.
void VisitStepStrings(StepParams& params, const std::function<void(std::string&)>& fn);
void VisitStepStrings(const StepParams& params, const std::function<void(const std::string&)>& fn);

}  // namespace regauth::harness
