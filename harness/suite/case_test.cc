#include "harness/suite/case.h"

#include <gtest/gtest.h>

namespace regauth::harness {
namespace {

// Every enumerator round-trips through its name (the spellings results-schema.md uses).
TEST(CaseNames, RoundTripEveryEnumerator) {
  for (Layer l : {Layer::kTokenEndpoint, Layer::kRegistry, Layer::kFlow}) {
    EXPECT_EQ(ParseLayer(LayerName(l)), l);
  }
  for (Verdict v : {Verdict::kPass, Verdict::kInformational, Verdict::kNonStrict, Verdict::kFail,
                    Verdict::kSkip, Verdict::kError}) {
    EXPECT_EQ(ParseVerdict(VerdictName(v)), v);
  }
  for (Severity s : {Severity::kMust, Severity::kShould, Severity::kInfo}) {
    EXPECT_EQ(ParseSeverity(SeverityName(s)), s);
  }
  for (StepKind k : {StepKind::kTokenRequest, StepKind::kRegistryRequest,
                     StepKind::kDockerLoginFlow, StepKind::kForgeToken, StepKind::kClientTool}) {
    EXPECT_EQ(ParseStepKind(StepKindName(k)), k);
  }
  EXPECT_EQ(VerdictName(Verdict::kNonStrict), "NON-STRICT");
  EXPECT_EQ(LayerName(Layer::kTokenEndpoint), "token-endpoint");
  EXPECT_FALSE(ParseVerdict("pass").has_value());  // case-sensitive, as the schema spells them
}

// results-schema.md: the family is the first two '/'-separated segments of the id.
TEST(CaseFamily, IsFirstTwoSegments) {
  Case c;
  c.id = "gitlab/job_token/job-101/acme/app/pull";
  EXPECT_EQ(c.Family(), "gitlab/job_token");
  c.id = "registry/hostile";
  EXPECT_EQ(c.Family(), "registry/hostile");
  c.id = "solo";
  EXPECT_EQ(c.Family(), "solo");
}

}  // namespace
}  // namespace regauth::harness
