// findings.h — what `regauth netfuzz` writes for its findings: `findings.json` (the run and
// every finding, redacted), `report.txt` (findings listed by invariant), one `curl` reproducer
// per finding (`findings/<id>.sh`), and a suite directory `cases/` whose
// `cases/netfuzz-findings.json` holds one regression case per finding that the step vocabulary
// can state (cases/README.md), replayable with `regauth run --cases <out>/cases`.
//
// Usage:
//   FindingsWriter w(out_dir, source_cases_dir, &redactor);
//   w.Write(run, findings);
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "harness/netfuzz/invariants.h"
#include "harness/netfuzz/mutators.h"
#include "harness/netfuzz/request.h"
#include "harness/safety/redact.h"
#include "protocol/result.h"

namespace regauth::harness::netfuzz {

// Finding is one broken invariant, minimised.
struct Finding {
  std::string id;  // "F001"
  Violation violation;
  std::string seed_id;
  FuzzRequest request;               // the minimised request
  std::vector<Mutation> mutations;   // its mutations
  std::vector<Mutation> found_with;  // the mutations of the request that found it
  int64_t request_index = 0;         // the index of that request in the run
  Rendered wire;                     // the minimised request as sent
  Outcome outcome;                   // what came back
};

// RegressionCase returns the case (cases/README.md format) that replays `f`, or nullopt with
// the reason in `why` (raw requests, token damage forge_token cannot state, credentials whose
// damaged form would have to carry the secret).
std::optional<nlohmann::json> RegressionCase(const Finding& f, std::string* why);

// CurlReproducer returns a POSIX shell script that sends the finding's request (curl for HTTP,
// bash's /dev/tcp for raw bytes); secrets go through `redactor`.
std::string CurlReproducer(const Finding& f, const Redactor& redactor);

// FindingJson is a finding as findings.json lists it (redacted).
nlohmann::json FindingJson(const Finding& f, const Redactor& redactor);

// ReportText lists the findings by invariant, then the run's figures.
std::string ReportText(const nlohmann::json& findings_doc);

// WriteFindings writes findings.json, report.txt, findings/*.sh and cases/ into `out_dir`
// (`run` is the run's description; `source_cases_dir` supplies the profiles the replay needs).
protocol::Expected<void, std::string> WriteFindings(const std::string& out_dir,
                                                    const std::string& source_cases_dir,
                                                    nlohmann::json run,
                                                    const std::vector<Finding>& findings,
                                                    const Redactor& redactor);

}  // namespace regauth::harness::netfuzz
