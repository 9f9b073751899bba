#include "harness/suite/case.h"

#include <array>
#include <utility>

namespace regauth::harness {
namespace {

// Lookup tables shared by each Name/Parse pair, so a spelling is written once.
template <typename E, std::size_t N>
std::string_view NameIn(const std::array<std::pair<E, std::string_view>, N>& table, E value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> ParseIn(const std::array<std::pair<E, std::string_view>, N>& table,
                         std::string_view name) {
  for (const auto& [v, n] : table) {
    if (n == name) return v;
  }
  return std::nullopt;
}

constexpr std::array<std::pair<Layer, std::string_view>, 4> kLayers = {{
    {Layer::kTokenEndpoint, "token-endpoint"},
    {Layer::kRegistry, "registry"},
    {Layer::kFlow, "flow"},
    {Layer::kClient, "client"},
}};

constexpr std::array<std::pair<Verdict, std::string_view>, 6> kVerdicts = {{
    {Verdict::kPass, "PASS"},
    {Verdict::kInformational, "INFORMATIONAL"},
    {Verdict::kNonStrict, "NON-STRICT"},
    {Verdict::kFail, "FAIL"},
    {Verdict::kSkip, "SKIP"},
    {Verdict::kError, "ERROR"},
}};

constexpr std::array<std::pair<Severity, std::string_view>, 3> kSeverities = {{
    {Severity::kMust, "MUST"},
    {Severity::kShould, "SHOULD"},
    {Severity::kInfo, "INFO"},
}};

constexpr std::array<std::pair<StepKind, std::string_view>, 5> kStepKinds = {{
    {StepKind::kTokenRequest, "token_request"},
    {StepKind::kRegistryRequest, "registry_request"},
    {StepKind::kDockerLoginFlow, "docker_login_flow"},
    {StepKind::kForgeToken, "forge_token"},
    {StepKind::kClientTool, "client_tool"},
}};

}  // namespace

std::string_view LayerName(Layer layer) { return NameIn(kLayers, layer); }
std::optional<Layer> ParseLayer(std::string_view name) { return ParseIn(kLayers, name); }
std::string_view VerdictName(Verdict v) { return NameIn(kVerdicts, v); }
std::optional<Verdict> ParseVerdict(std::string_view name) { return ParseIn(kVerdicts, name); }
std::string_view SeverityName(Severity s) { return NameIn(kSeverities, s); }
std::optional<Severity> ParseSeverity(std::string_view name) { return ParseIn(kSeverities, name); }
std::string_view StepKindName(StepKind k) { return NameIn(kStepKinds, k); }
std::optional<StepKind> ParseStepKind(std::string_view name) { return ParseIn(kStepKinds, name); }

std::string Case::Family() const {
  const std::size_t first = id.find('/');
  if (first == std::string::npos) return id;
  const std::size_t second = id.find('/', first + 1);
  return id.substr(0, second);
}

std::string_view OutcomeName(Outcome o) {
  switch (o) {
    case Outcome::kGranted:
      return "granted";
    case Outcome::kUnauthorized:
      return "unauthorized";
    case Outcome::kForbidden:
      return "forbidden";
    case Outcome::kNotFound:
      return "not_found";
    case Outcome::kAnyBut5xx:
      return "any_but_5xx";
  }
  return "";
}

std::optional<Outcome> ParseOutcome(std::string_view name) {
  for (Outcome o : {Outcome::kGranted, Outcome::kUnauthorized, Outcome::kForbidden,
                    Outcome::kNotFound, Outcome::kAnyBut5xx}) {
    if (OutcomeName(o) == name) return o;
  }
  return std::nullopt;
}

nlohmann::json GitLabSourcesJson(const std::vector<GitLabSource>& sources) {
  nlohmann::json out = nlohmann::json::array();
  for (const GitLabSource& s : sources) {
    out.push_back({{"path", s.path},
                   {"symbol", s.symbol},
                   {"repo", s.repo},
                   {"commit", s.commit},
                   {"version", s.version},
                   {"url", s.Url()}});
  }
  return out;
}

nlohmann::json GitLabSpecsJson(const std::vector<GitLabSpecCitation>& specs) {
  nlohmann::json out = nlohmann::json::array();
  for (const GitLabSpecCitation& s : specs) {
    out.push_back({{"file", s.file},
                   {"context", s.context},
                   {"line", s.line},
                   {"copy", s.copy},
                   {"repo", s.repo},
                   {"commit", s.commit},
                   {"version", s.version},
                   {"url", s.Url()}});
  }
  return out;
}

}  // namespace regauth::harness
