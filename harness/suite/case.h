// case.h — the runner's data model: a Case (what to send, what to expect) and a CaseResult
// (what happened and the verdict). Cases are data: they are loaded from cases/cases/*.json or
// expanded from cases/matrix/*.json over a world, never hard-coded in C++.
//
// A Case is a list of Steps from a small vocabulary (token_request, registry_request,
// docker_login_flow, forge_token, client_tool) whose parameters are JSON, plus a declarative
// expectation (JSON) that the judge evaluates under a Profile. The results document that the
// runner writes is specified in reports/results-schema.md; CaseResult maps onto one element of
// its "cases" array.
//
// Usage:
//   std::vector<Case> cases = ...;                 // matrix expansion + hand-written cases
//   CaseResult r = executor.Run(cases[i]);         // steps → exchanges → checks → verdict
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace regauth::harness {

// Layer says which component a case judges.
enum class Layer {
  kTokenEndpoint,  // the realm: credentials → token (GitLab's /jwt/auth rules, token spec)
  kRegistry,       // the resource server: token → allowed/denied, challenges, error bodies
  kFlow,           // end-to-end client flows (docker login forms, real clients)
  kClient,         // a registry client against a hostile stage (regauth clients; never in a
                   // case file: harness/clients/ makes these cases)
};
std::string_view LayerName(Layer layer);  // "token-endpoint", "registry", "flow", "client"
std::optional<Layer> ParseLayer(std::string_view name);

// Verdict of a case, ordered from best to worst for the purpose of "worst of".
enum class Verdict { kPass, kInformational, kNonStrict, kFail, kSkip, kError };
std::string_view VerdictName(Verdict v);  // "PASS", "INFORMATIONAL", "NON-STRICT", "FAIL", ...
std::optional<Verdict> ParseVerdict(std::string_view name);

// Severity of a single check: a failed MUST is FAIL, SHOULD is NON-STRICT, INFO is INFORMATIONAL.
enum class Severity { kMust, kShould, kInfo };
std::string_view SeverityName(Severity s);  // "MUST", "SHOULD", "INFO"
std::optional<Severity> ParseSeverity(std::string_view name);

// Dimensions place a case in the matrix (reports group and colour by them). Empty = not
// applicable. credential_kind uses the kind names of `regauth credentials` plus "anonymous".
struct Dimensions {
  std::string credential_kind;
  std::string credential_state;
  std::string scopes;      // token scopes joined with '+', sorted ("read_registry+write_registry")
  std::string role;        // none|guest|planner|reporter|developer|maintainer|owner|admin
  std::string visibility;  // public|internal|private
  std::string registry_access;  // enabled|private|disabled
  std::string relation;         // own|group|other|allowlisted|not-allowlisted|member|...
  std::string actions;          // requested actions joined with ',' in request order
  std::string login_form;       // CI login form for flow cases
  std::string client;           // client cases: the client (regauth clients)
  std::string scenario;         // client cases: the hostile scenario
};

// Outcome of a token request at the token endpoint (cases/README.md "Expectations").
enum class Outcome { kGranted, kUnauthorized, kForbidden, kNotFound, kAnyBut5xx };
std::string_view OutcomeName(Outcome o);  // "granted", "unauthorized", ...
std::optional<Outcome> ParseOutcome(std::string_view name);

// ---- expectations (cases/README.md "Expectations"), parsed at load by harness/suite/case_loader.h
// --

// AccessEntry: one expected resource of a token's access claim.
struct AccessEntry {
  std::string type;
  std::string name;
  std::vector<std::string> actions;  // as GitLab keeps them: request order, duplicates
};

// InformationalEntry: an action that may be present or absent; its presence is recorded.
struct InformationalEntry {
  std::string type;
  std::string name;
  std::string action;
  std::string reason;
};

// TokenExpectation: `layer: token-endpoint` (cases/README.md "Expectations").
struct TokenExpectation {
  Outcome outcome = Outcome::kGranted;
  // Outcome taken from a profile key instead ("token_endpoint.post": "not_found" |
  // "oauth2" ...): the judge maps the profile value through `outcome_by_value`.
  std::string outcome_profile_key;
  std::map<std::string, Outcome> outcome_by_value;
  std::vector<AccessEntry> access;
  std::vector<InformationalEntry> informational;
  // Response member expectations overriding the profile's: member → required|absent|optional.
  std::map<std::string, std::string> members;
  // Form of the judged response when it differs from the step's method (rare): "get"|"oauth2".
  std::string response_form;
};

// StatusExpectation: any of `any_of`, or the value of a profile key (a number or an array).
struct StatusExpectation {
  std::vector<int> any_of;
  std::string profile_key;
  bool present() const { return !any_of.empty() || !profile_key.empty(); }
};

// ChallengeExpectation: the WWW-Authenticate Bearer challenge of a registry answer.
struct ChallengeExpectation {
  bool required = true;           // a challenge must be present (false: "challenge": "absent")
  std::string error;              // "" unchecked, "absent" no error=, else the value
  std::string error_profile_key;  // the expected error= comes from a profile key
  std::optional<std::vector<std::string>> scope;  // compared as a scope set
};

// RegistryExpectation: `layer: registry`.
struct RegistryExpectation {
  StatusExpectation status;
  std::optional<ChallengeExpectation> challenge;
  bool challenge_absent = false;
  std::string error_code;  // first errors[].code of the body ("" unchecked)
  // implementation_defined: a profile key whose value selects one of `by_value`; "unknown" or an
  // unlisted value turns the checks into INFO.
  std::string impl_key;
  std::map<std::string, RegistryExpectation> by_value;
};

// FlowThen: the expected result of a later step of a flow case.
struct FlowThen {
  std::size_t step = 0;  // index into Case::steps
  std::string label;     // "pull", "push", "delete" or "outcome" (the member name used)
  bool allowed = true;
};

// FlowExpectation: `layer: flow`.
struct FlowExpectation {
  std::string login;  // "succeeds" | "fails" | "" (unchecked)
  std::vector<FlowThen> then;
};

struct Expectation {
  Layer layer = Layer::kTokenEndpoint;
  TokenExpectation token;
  RegistryExpectation registry;
  FlowExpectation flow;
};

// StepKind is the vocabulary cases are written in; each kind is one function in steps.cc.
enum class StepKind {
  kTokenRequest,     // GET (or POST form) to the realm, with/without Basic credentials
  kRegistryRequest,  // a request to the registry, with a token from an earlier step, a forged
                     // token, or none; optional Authorization header verbatim
  kDockerLoginFlow,  // GET /v2/ → 401 challenge → realm with docker's exact query → GET /v2/
  kForgeToken,       // build (and sign with the run's signing key) a possibly hostile JWT
  kClientTool,       // run a real client (docker login, skopeo copy/inspect/delete)
};
std::string_view StepKindName(StepKind k);  // "token_request", ...
std::optional<StepKind> ParseStepKind(std::string_view name);

// ---- steps (cases/README.md "Steps"): each kind is one type; its fields are declared once, in
// harness/suite/step_fields.cc, which parses, serialises and visits them. Defaults are the
// documented ones. Strings may hold ${…} references, resolved when the step runs.

// StringMap is a JSON object of strings, members sorted (as a parsed object keeps them).
using StringMap = std::map<std::string, std::string>;

// TokenRequestStep: GET (or POST form) to the realm.
struct TokenRequestStep {
  std::optional<std::string> credential;              // world credential id; nullopt: anonymous
  std::optional<std::string> mutate;                  // wrong_secret | wrong_username
  std::vector<std::string> scopes;                    // each one scope string
  std::string scope_encoding = "repeated";            // repeated | space_joined
  std::optional<std::string> service = "${service}";  // nullopt: the parameter is omitted
  StringMap query;                                    // extra query parameters
  std::string method = "GET";                         // GET | POST
  std::optional<StringMap> form;                      // POST: form fields
  std::optional<std::string> authorization;           // verbatim header instead of Basic

  friend bool operator==(const TokenRequestStep&, const TokenRequestStep&) = default;
};

// RequestBody: no body, a text, or a generated blob ({"blob": "layer"|"config"|"manifest"}).
struct RequestBody {
  std::optional<std::string> text;
  std::string blob;  // "" = not a blob
  bool empty() const { return !text && blob.empty(); }

  friend bool operator==(const RequestBody&, const RequestBody&) = default;
};

// HeaderSectionPad makes a registry_request's header section (request line through the empty
// line, as sent) exactly a given size, so a limit is tested at its value and one byte over.
struct HeaderSectionPad {
  // to: a profile key whose value is the size ("registry.max_header_section_bytes"; an "unknown"
  // or absent value makes the case SKIP), or a decimal byte count.
  std::string to;
  int64_t plus = 0;  // added to the size (+1: one byte over)
  // into: the header to add with the padding ("X-Regauth-Pad"), or "authorization": lengthen the
  // bearer token of `token` instead (the token then no longer verifies).
  std::string into = "X-Regauth-Pad";

  friend bool operator==(const HeaderSectionPad&, const HeaderSectionPad&) = default;
};

// RegistryRequestStep: one request to the registry.
struct RegistryRequestStep {
  std::string method = "GET";
  std::string path = "/v2/";                 // appended to ${registry}, or an absolute URL
  std::optional<std::string> token;          // a saved token name → Authorization: Bearer
  std::optional<std::string> authorization;  // a verbatim Authorization value
  StringMap headers;
  RequestBody body;
  std::optional<HeaderSectionPad> pad_header_section;

  friend bool operator==(const RegistryRequestStep&, const RegistryRequestStep&) = default;
};

// DockerLoginFlowStep: what `docker login --password-stdin` sends.
struct DockerLoginFlowStep {
  std::string credential;  // world credential id
  std::string username;    // -u; "": the credential's login username

  friend bool operator==(const DockerLoginFlowStep&, const DockerLoginFlowStep&) = default;
};

// ForgeTokenStep: a possibly hostile JWT built and signed by the runner.
struct ForgeTokenStep {
  std::optional<nlohmann::json> header;  // object; nullopt: the default header
  std::optional<nlohmann::json> claims;  // object; nullopt: the default claims
  std::optional<std::string> header_text;
  std::optional<std::string> claims_text;
  std::string sign_with = "signing_key";  // signing_key|attacker_key|hmac_with_public_pem|none
  std::string signature = "valid";        // valid|empty|strip_segment|zero_rs|flip_bit|der_ecdsa
  std::string encoding = "strict";        // strict | padded

  friend bool operator==(const ForgeTokenStep&, const ForgeTokenStep&) = default;
};

// ClientToolStep: run a real client.
struct ClientToolStep {
  std::string tool;  // docker | skopeo
  std::vector<std::string> args;
  std::string stdin_text;  // "stdin" in the file

  friend bool operator==(const ClientToolStep&, const ClientToolStep&) = default;
};

using StepParams = std::variant<TokenRequestStep, RegistryRequestStep, DockerLoginFlowStep,
                                ForgeTokenStep, ClientToolStep>;

struct Step {
  StepKind kind = StepKind::kTokenRequest;  // always the kind of `params`
  StepParams params;
  std::string save_as;  // name under which the step's product (a token) is kept for later steps

  template <typename T>
  const T& As() const {
    return std::get<T>(params);
  }
  template <typename T>
  T& As() {
    return std::get<T>(params);
  }
};

struct Selector;  // harness/suite/bind.h

// CaseBinding is one named selector of a hand-written case (`bind`, cases/README.md
// "Bindings"): the facts a world entity must have for the case to run. harness/suite/bind.h
// compiles and resolves it.
struct CaseBinding {
  std::string name;
  std::shared_ptr<const Selector> selector;
  std::string pointer;  // where it was declared (file and JSON pointer), for messages
};

// GitLabSource is one piece of GitLab's source a rule follows (a matrix rule's `gitlab_source`
// with its copy resolved, cases/README.md "Matrix files"): the file, the method, `rule { … }` or
// `condition(…)`, and the repository, commit and GitLab version of the copy read.
struct GitLabSource {
  std::string path;     // "app/policies/project_policy.rb"
  std::string symbol;   // "user_can_pull?", "rule { … }", with the deciding expression
  std::string repo;     // "gitlabhq/gitlabhq"
  std::string commit;   // the full commit (40 hex digits)
  std::string version;  // the GitLab version that copy stands for
  // Url is the file at that commit: https://github.com/<repo>/blob/<commit>/<path>.
  std::string Url() const { return "https://github.com/" + repo + "/blob/" + commit + "/" + path; }
  friend bool operator==(const GitLabSource&, const GitLabSource&) = default;
};

// GitLabSourcesJson renders [{path, symbol, repo, commit, version, url}] (results.json
// `gitlab_source`, `regauth run --list --format json`, `regauth show --format json`).
nlohmann::json GitLabSourcesJson(const std::vector<GitLabSource>& sources);

// GitLabSpecCitation is one context of GitLab's own RSpec that a matrix rule or a hand-written
// case reproduces over HTTP (`gitlab_spec`, cases/README.md "GitLab's RSpec"): the spec file,
// the RSpec describe/context/it chain joined with " > ", the line of its innermost block, and
// the copy read (`copy`, a key of the matrix's gitlab_copies). repo, commit and version are
// filled in when the copy is resolved (harness/suite/provenance.h); until then they are empty.
struct GitLabSpecCitation {
  std::string copy;     // "gitlabhq@de09f039"
  std::string file;     // "spec/requests/jwt_controller_spec.rb"
  std::string context;  // "JwtController > authenticating against container registry > …"
  int line = 0;         // 1-based line of the innermost context in that copy
  std::string repo;     // resolved from the copy
  std::string commit;
  std::string version;
  // Url is the line at that commit: https://github.com/<repo>/blob/<commit>/<file>#L<line>.
  std::string Url() const {
    return "https://github.com/" + repo + "/blob/" + commit + "/" + file + "#L" +
           std::to_string(line);
  }
  friend bool operator==(const GitLabSpecCitation&, const GitLabSpecCitation&) = default;
};

// GitLabSpecsJson renders [{file, context, line, copy, repo, commit, version, url}] (results.json
// `gitlab_spec`, `regauth run --list --format json`, `regauth show --format json`).
nlohmann::json GitLabSpecsJson(const std::vector<GitLabSpecCitation>& specs);

// Case is one conformance case.
struct Case {
  std::string id;  // stable, '/'-separated, keyed to its source: gitlab/…, registry/…, flow/…
  std::string title;  // one line, human readable
  Layer layer = Layer::kTokenEndpoint;
  std::vector<std::string> tags;  // e.g. "matrix", "bad-credentials", "hostile-token", "cve"
  std::string requirement;        // the requirement text checked
  std::string source;             // where it comes from: spec section, doc, CVE id
  // The GitLab code of the rules that decided a matrix case, first cited first (empty for
  // hand-written cases).
  std::vector<GitLabSource> gitlab_sources;
  // The contexts of GitLab's RSpec the case reproduces: a hand-written case's `gitlab_spec`, or
  // a matrix case's deciding rules' (deduplicated, first cited first).
  std::vector<GitLabSpecCitation> gitlab_specs;
  // The id of the requirement in cases/requirements.json when the case names it by reference
  // (harness/suite/requirements.h); "" when the case states its text (matrix cases do).
  std::string requirement_id;
  std::vector<std::string> profiles;  // profiles it applies to; empty = every profile
  std::vector<std::string> needs;     // "signing_key", "docker_cli", "skopeo", "registry", ...
  Dimensions dims;
  std::vector<Step> steps;
  nlohmann::json expect;    // declarative expectation as written (reports, CaseToJson)
  Expectation expectation;  // the same, typed: parsed at load (and again after binding)
  // World binding (hand-written cases): the selectors the case draws on; after binding, which
  // entity each bound name got (name, credential id or project path), or why the world cannot
  // run the case ("needs: …", the case is SKIP).
  std::vector<CaseBinding> bindings;
  std::vector<std::pair<std::string, std::string>> bound;
  std::string unmet;

  // Family is the first two '/'-separated segments of the id ("gitlab/job_token").
  std::string Family() const;
};

// CheckResult is one judged assertion of a case.
struct CheckResult {
  std::string id;  // "status", "access", "claim.aud", "challenge.error", ...
  Severity severity = Severity::kMust;
  bool passed = false;
  std::string expected;
  std::string observed;
  std::string message;
};

// RecordedRequest/RecordedResponse are redacted at capture time (harness/safety/redact.h).
struct RecordedRequest {
  std::string method;
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct RecordedResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};
struct Exchange {
  std::string step;  // StepKindName of the step that sent it
  RecordedRequest request;
  std::optional<RecordedResponse> response;  // absent when the request failed
  int64_t duration_ms = 0;
  std::optional<std::string> error;  // transport error, if any
};

// StepOutput is what one executed step leaves for later steps of the case and for the judge.
// `exchanges` are redacted copies for the report; the other members are raw observations that
// stay in memory (the judge verifies token signatures and parses bodies) and are never written.
struct StepOutput {
  StepKind kind = StepKind::kTokenRequest;
  std::vector<Exchange> exchanges;
  bool transport_error = false;  // the last request got no HTTP response
  // The last HTTP response of the step, unredacted.
  int status = 0;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string response_body;
  // A token the step obtained (token_request, docker_login_flow) or built (forge_token).
  std::optional<std::string> token;
  // client_tool: the process's exit status and output (secrets redacted).
  std::optional<int> exit_code;
  std::string output;
};

// TargetInfo is what the runner knows about the target after the sanity probe; steps substitute
// ${registry}, ${realm}, ... from it (cases/README.md "Steps").
struct TargetInfo {
  std::string kind;           // reference | distribution | black-box
  std::string registry_url;   // base URL without trailing '/'
  std::string registry_host;  // host:port
  std::string realm;          // token endpoint URL from the challenge
  std::string service;        // service from the challenge
  std::string issuer;         // the world's instance issuer
  std::string challenge;      // the raw WWW-Authenticate of the probe
};

// BaselineEntry is an expected non-PASS outcome from --baseline FILE.
struct BaselineEntry {
  Verdict expected = Verdict::kFail;
  std::string reason;
};

struct CaseResult {
  const Case* c = nullptr;  // the case; outlives the result within a run
  Verdict verdict = Verdict::kPass;
  Verdict expected_verdict = Verdict::kPass;
  std::optional<BaselineEntry> baseline;
  bool stale_baseline = false;  // baseline expected a failure and the case passed
  bool unexpected = false;      // verdict differs from the expectation (see results-schema.md)
  std::optional<std::string> skip_reason;
  std::optional<std::string> error;
  int64_t duration_ms = 0;
  std::vector<CheckResult> checks;
  std::vector<Exchange> exchanges;
};

}  // namespace regauth::harness
