// steps.h — test fixture: a typed Step from the JSON a case file would hold, through the real
// loader (harness/suite/case_loader.h), so tests state steps the way cases do.
//
// Usage:
//   Step s = test_support::MakeStep(StepKind::kTokenRequest, {{"credential", "job-101"}}, "t");
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "harness/suite/case_loader.h"

namespace regauth::harness::test_support {

// MakeStep parses `params` as the parameters of a `kind` step; a load error fails the test.
inline Step MakeStep(StepKind kind, nlohmann::json params, std::string save_as = "") {
  params["step"] = std::string(StepKindName(kind));
  if (!save_as.empty()) params["save_as"] = save_as;
  auto step = ParseStep(params, "test", "");
  EXPECT_TRUE(step.has_value()) << (step ? "" : DescribeLoadError(step.error()));
  return step ? std::move(*step) : Step{};
}

}  // namespace regauth::harness::test_support
