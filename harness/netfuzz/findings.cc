#include "harness/netfuzz/findings.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "harness/netfuzz/seeds.h"
#include "harness/suite/case_loader.h"
#include "net/oci_image.h"

namespace regauth::harness::netfuzz {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;

constexpr std::string_view kTokenPlaceholder = "${token:t}";

// What each invariant demands, for the case's `requirement` and the report.
const std::map<std::string, std::string, std::less<>>& Requirements() {
  static const std::map<std::string, std::string, std::less<>> m = {
      {"no-5xx", "No request, however malformed, makes the target answer 5xx."},
      {"no-drop", "A well-formed request is answered; no reset, close or hang past the timeout."},
      {"grant-widening", "No request grants more than the same credential's baseline grant."},
      {"token-verifier",
       "The registry accepts no token that the reference verifier (distribution 2.8) rejects."},
      {"scope-overreach",
       "The registry accepts no request that the token's access does not cover (GET/HEAD pull, "
       "POST/PUT/PATCH pull and push, DELETE delete)."},
      {"challenge",
       "A registry refusal is 401 with a Bearer challenge that parses and names a realm."},
      {"error-body",
       "Error answers parse as registry error envelopes; token answers as token "
       "responses."},
      {"repository-isolation",
       "Blobs and upload sessions of one repository are not reachable through another."},
      {"tag-delete", "DELETE of a manifest by tag is refused (distribution 2.8 needs a digest)."},
      {"catalog-bound", "A catalog page size above the bound is refused (CVE-2023-2253)."},
      {"liveness", "The target keeps answering /v2/ and its token endpoint."},
  };
  return m;
}

const std::vector<int>& Non5xx() {
  static const std::vector<int> v = {200, 201, 202, 204, 206, 301, 302, 303, 307, 308, 400, 401,
                                     403, 404, 405, 406, 411, 413, 414, 415, 416, 429, 431};
  return v;
}

std::string Replace(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) return s;
  for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
    s.replace(at, from.size(), to);
  }
  return s;
}

Json ForgeStep(const ForgeTokenStep& forge, std::string save_as) {
  Step s;
  s.kind = StepKind::kForgeToken;
  s.params = forge;
  s.save_as = std::move(save_as);
  return StepToJson(s);
}

Json Registry(std::string method, std::string path, std::optional<std::string> token,
              Json extra = Json::object()) {
  Json j = {{"step", "registry_request"}, {"method", std::move(method)}, {"path", std::move(path)}};
  if (token) j["token"] = *token;
  for (auto& [k, v] : extra.items()) j[k] = v;
  return j;
}

// SetupSteps pushes what the finding's request relies on into kRepoA with a forged token.
std::vector<Json> SetupSteps(const FuzzRequest& r, const std::string& layer) {
  std::vector<Json> steps;
  const std::string a(kRepoA), b(kRepoB);
  const bool needs_layer = Target(r).find(layer) != std::string::npos;
  const bool needs_manifest =
      r.route == "manifest" && (r.path.ends_with("/manifests/netfuzz") || r.method == "GET");
  const bool needs_session = r.route == "upload_session";
  if (!needs_layer && !needs_manifest && !needs_session) return steps;
  ForgeTokenStep admin;
  admin.claims =
      Json{{"iss", "${issuer}"},
           {"aud", "${service}"},
           {"sub", "netfuzz"},
           {"iat", "${now}"},
           {"nbf", "${now}"},
           {"exp", "${now+300}"},
           {"access",
            Json::array({{{"type", "repository"}, {"name", a}, {"actions", {"pull", "push"}}},
                         {{"type", "repository"}, {"name", b}, {"actions", {"pull", "push"}}}})}};
  steps.push_back(ForgeStep(admin, "setup"));
  auto push_blob = [&](const std::string& blob) {
    steps.push_back(
        Registry("POST", "/v2/" + a + "/blobs/uploads/", "setup", {{"save_as", "up-" + blob}}));
    steps.push_back(Registry(
        "PUT", "${location:up-" + blob + "}&digest=${digest:" + blob + "}", "setup",
        {{"headers", {{"Content-Type", "application/octet-stream"}}}, {"body", {{"blob", blob}}}}));
  };
  if (needs_layer || needs_manifest) push_blob("layer");
  if (needs_manifest) {
    push_blob("config");
    steps.push_back(
        Registry("PUT", "/v2/" + a + "/manifests/netfuzz", "setup",
                 {{"headers", {{"Content-Type", std::string(net::kOciManifestMediaType)}}},
                  {"body", {{"blob", "manifest"}}}}));
  }
  if (needs_session) {
    steps.push_back(
        Registry("POST", "/v2/" + a + "/blobs/uploads/", "setup", {{"save_as", "session"}}));
  }
  return steps;
}

std::optional<Json> RegistryExpectation(const Finding& f) {
  const std::string& inv = f.violation.invariant;
  if (inv == "token-verifier") return Json{{"status", {401}}};
  if (inv == "scope-overreach") return Json{{"status", {401}}};
  if (inv == "challenge") {
    if (f.violation.detail.find("403") != std::string::npos) {
      return Json{{"status", {401}}, {"challenge", {{"error", "insufficient_scope"}}}};
    }
    return Json{{"status", {401}},
                {"challenge", {{"error", {{"profile", "registry.invalid_token_error"}}}}}};
  }
  if (inv == "repository-isolation") {
    if (f.request.route == "blob") return Json{{"status", {404}}, {"error_code", "BLOB_UNKNOWN"}};
    return Json{{"status", {400, 404}}};
  }
  if (inv == "tag-delete") return Json{{"status", {400, 405}}};
  if (inv == "catalog-bound") {
    return Json{{"status", {400}}, {"error_code", "PAGINATION_NUMBER_INVALID"}};
  }
  return Json{{"status", Non5xx()}};
}

// Quote returns `s` as one shell word: single-quoted when printable, else $(printf '...').
std::string Quote(std::string_view s) {
  bool printable = true;
  for (unsigned char c : s) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable) return "'" + Replace(std::string(s), "'", "'\\''") + "'";
  std::string out = "\"$(printf '";
  char buf[8];
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\' && c != '%') {
      out.push_back(static_cast<char>(c));
    } else {
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    }
  }
  return out + "')\"";
}

}  // namespace

std::optional<Json> RegressionCase(const Finding& f, std::string* why) {
  const FuzzRequest& r = f.request;
  const std::string& inv = f.violation.invariant;
  const std::string layer = net::BuildTinyImage("netfuzz").Blob("layer")->digest;
  Json c = {
      {"id", "netfuzz/" + inv + "/" + f.id},
      {"title", f.violation.invariant + ": " + f.violation.detail},
      {"tags", {"netfuzz", inv}},
      {"requirement", Requirements().at(inv)},
      {"source", "regauth netfuzz, seed " + f.seed_id + ", mutations: " + Describe(f.mutations)}};
  if (r.family == Family::kRaw) {
    *why = "raw requests have no step kind (see the curl reproducer)";
    return std::nullopt;
  }
  if (r.extra_authorization) {
    *why = "two Authorization lines cannot be stated in a case (see the curl reproducer)";
    return std::nullopt;
  }
  Json steps = Json::array();
  if (r.family == Family::kToken) {
    if (inv != "no-5xx" && inv != "no-drop") {
      *why = inv +
             " is judged against the credential's baseline grant, which a case states "
             "per matrix rule, not per request";
      return std::nullopt;
    }
    Json t = {{"step", "token_request"}};
    if (r.auth == AuthKind::kBasic && r.auth_edits.empty() && !r.auth_override) {
      t["credential"] = r.credential_id;
    } else if (r.auth != AuthKind::kNone || r.auth_override) {
      *why = "the damaged Authorization value carries a world secret (see the curl reproducer)";
      return std::nullopt;
    }
    Json scopes = Json::array();
    Json query = Json::object();
    bool service = false;
    for (const auto& [k, v] : r.query) {
      if (k == "scope") {
        scopes.push_back(v);
      } else if (k == "service" && !service) {
        t["service"] = v;
        service = true;
      } else {
        query[k] = v;
      }
    }
    if (!service) t["service"] = nullptr;
    t["scopes"] = scopes;
    if (!query.empty()) t["query"] = query;
    steps.push_back(t);
    c["layer"] = "token-endpoint";
    c["steps"] = steps;
    c["expect"] = {{"outcome", "any_but_5xx"}};
    return c;
  }
  // Registry requests.
  for (Json& s : SetupSteps(r, layer)) steps.push_back(std::move(s));
  std::optional<std::string> token;
  if (r.auth == AuthKind::kForged) {
    if (!r.token_edits.empty()) {
      *why = "the token was damaged after signing (" + r.token_edits.front().substr(0, 24) +
             "), which forge_token cannot state";
      return std::nullopt;
    }
    steps.push_back(ForgeStep(r.forge, "t"));
    c["needs"] = {"signing_key"};
    token = "t";
  } else if (r.auth == AuthKind::kIssued) {
    *why = "the request used a token the target issued during the run";
    return std::nullopt;
  }
  Json extra = Json::object();
  if (!r.auth_edits.empty() || r.auth_override) {
    std::string value = r.auth_override.value_or("Bearer " + std::string(kTokenPlaceholder));
    for (const std::string& e : r.auth_edits) value = ApplyAuthEdit(std::move(value), e);
    if (r.auth_override || value.find(kTokenPlaceholder) == std::string::npos) {
      *why = "the Authorization edit damages the token itself";
      return std::nullopt;
    }
    extra["authorization"] = value;
    token.reset();
  }
  if (!r.headers.empty()) {
    Json h = Json::object();
    for (const auto& [k, v] : r.headers) h[k] = v;
    extra["headers"] = h;
  }
  if (!r.body.empty()) extra["body"] = r.body;
  std::string path = Replace(Target(r), layer, "${digest:layer}");
  if (r.route == "upload_session") {
    const auto uploads = path.find("/blobs/uploads/");
    path =
        path.substr(0, uploads) + "/blobs/uploads/${upload_uuid:session}?${location_query:session}";
  }
  steps.push_back(Registry(r.method, path, token, extra));
  c["layer"] = "registry";
  c["steps"] = steps;
  c["expect"] = *RegistryExpectation(f);
  return c;
}

std::string CurlReproducer(const Finding& f, const Redactor& redactor) {
  std::ostringstream s;
  const bool raw = f.request.family == Family::kRaw;
  s << (raw ? "#!/bin/bash\n" : "#!/bin/sh\n");
  s << "# regauth netfuzz finding " << f.id << " (" << f.violation.invariant
    << "): " << redactor.Redact(f.violation.detail) << "\n";
  s << "# seed " << f.seed_id << "; mutations: " << Describe(f.mutations) << "\n";
  bool redacted = false;
  auto clean = [&](const std::string& v) {
    std::string out = redactor.Redact(v);
    if (out != v) redacted = true;
    return out;
  };
  std::string body;
  if (raw) {
    const std::string url = f.wire.http.url;
    const auto host_start = url.find("://") + 3;
    const auto host_end = url.find('/', host_start);
    std::string hostport = url.substr(host_start, host_end - host_start);
    const auto colon = hostport.rfind(':');
    body +=
        "exec 3<>/dev/tcp/" + hostport.substr(0, colon) + "/" + hostport.substr(colon + 1) + "\n";
    body += "printf '%s' " + Quote(clean(f.wire.raw)) + " >&3\n";
    body += "timeout 10 cat <&3\n";
  } else {
    body += "curl -sS -i --path-as-is -X " + Quote(f.wire.http.method) +
            " -H 'Accept:' -H 'User-Agent:'";
    for (const auto& [k, v] : f.wire.http.headers)
      body += " \\\n  -H " + Quote(k + ": " + clean(v));
    if (!f.wire.http.body.empty()) body += " \\\n  --data-binary " + Quote(f.wire.http.body);
    body += " \\\n  " + Quote(clean(f.wire.http.url)) + "\n";
  }
  if (redacted) {
    s << "# Secrets of the world (or of tokens the target issued) are redacted below; put them\n"
         "# back from the world file (regauth credentials) before running this.\n";
  }
  s << body;
  return s.str();
}

Json FindingJson(const Finding& f, const Redactor& redactor) {
  auto mutations = [](const std::vector<Mutation>& ms) {
    Json a = Json::array();
    for (const Mutation& m : ms) a.push_back({{"name", m.name}, {"arg", m.arg}});
    return a;
  };
  Json headers = Json::array();
  for (const auto& [k, v] : f.wire.http.headers) {
    std::string value = redactor.Redact(v);
    if (value.size() > 512)
      value = value.substr(0, 512) + "… (" + std::to_string(v.size()) + " bytes)";
    headers.push_back({k, value});
  }
  Json response = Json::object();
  if (f.outcome.response) response["status"] = f.outcome.response->status;
  if (f.outcome.error) response["transport_error"] = net::CodeName(f.outcome.error->code);
  if (f.outcome.raw) {
    response["raw"] = net::CodeName(f.outcome.raw->outcome);
    if (f.outcome.raw->status != 0) response["status"] = f.outcome.raw->status;
  }
  return {{"id", f.id},
          {"invariant", f.violation.invariant},
          {"detail", redactor.Redact(f.violation.detail)},
          {"seed", f.seed_id},
          {"family", FamilyName(f.request.family)},
          {"mutations", mutations(f.mutations)},
          {"found_with", mutations(f.found_with)},
          {"request_index", f.request_index},
          {"request",
           {{"method", f.wire.http.method},
            {"url", redactor.Redact(f.wire.http.url).substr(0, 1024)},
            {"headers", headers}}},
          {"response", response},
          {"reproducer", "findings/" + f.id + ".sh"}};
}

std::string ReportText(const Json& doc) {
  std::ostringstream s;
  const Json& run = doc["run"];
  s << "regauth netfuzz — " << run.value("target", "") << " " << run.value("registry", "")
    << ", seed " << run.value("seed", 0) << "\n";
  s << doc.value("requests_sent", 0) << " requests in " << doc.value("duration_s", 0.0) << " s ("
    << doc.value("requests_per_second", 0.0) << " requests/s), " << doc["findings"].size()
    << " finding(s)\n\n";
  for (const std::string& inv : InvariantNames()) {
    std::vector<const Json*> of;
    for (const Json& f : doc["findings"]) {
      if (f.value("invariant", "") == inv) of.push_back(&f);
    }
    if (of.empty()) continue;
    s << inv << " (" << of.size() << ")\n";
    for (const Json* f : of) {
      s << "  " << f->value("id", "") << "  " << f->value("detail", "") << "\n";
      s << "        seed " << f->value("seed", "") << ", mutations:";
      if ((*f)["mutations"].empty()) s << " none";
      for (const Json& m : (*f)["mutations"]) s << " " << m.value("name", "");
      s << "\n        reproducer " << f->value("reproducer", "");
      if (f->contains("case")) s << ", case " << (*f)["case"].get<std::string>();
      s << "\n";
    }
    s << "\n";
  }
  for (const Json& n : doc.value("notes", Json::array()))
    s << "note: " << n.get<std::string>() << "\n";
  return s.str();
}

protocol::Expected<void, std::string> WriteFindings(const std::string& out_dir,
                                                    const std::string& source_cases_dir, Json doc,
                                                    const std::vector<Finding>& findings,
                                                    const Redactor& redactor) {
  std::error_code ec;
  fs::create_directories(fs::path(out_dir) / "findings", ec);
  if (ec) return protocol::Unexpected("cannot create " + out_dir + "/findings: " + ec.message());
  Json list = Json::array();
  Json cases = Json::array();
  for (const Finding& f : findings) {
    Json j = FindingJson(f, redactor);
    std::string why;
    if (auto c = RegressionCase(f, &why)) {
      j["case"] = (*c)["id"];
      cases.push_back(*c);
    } else {
      j["case_not_written"] = why;
    }
    list.push_back(j);
    std::ofstream sh(fs::path(out_dir) / "findings" / (f.id + ".sh"));
    sh << CurlReproducer(f, redactor);
    if (!sh) return protocol::Unexpected("cannot write the reproducer of " + f.id);
    fs::permissions(fs::path(out_dir) / "findings" / (f.id + ".sh"), fs::perms::owner_exec,
                    fs::perm_options::add, ec);
  }
  doc["findings"] = list;
  if (!cases.empty()) {
    const fs::path suite = fs::path(out_dir) / "cases";
    fs::create_directories(suite / "cases", ec);
    fs::copy(fs::path(source_cases_dir) / "profiles", suite / "profiles",
             fs::copy_options::recursive | fs::copy_options::overwrite_existing, ec);
    if (ec) return protocol::Unexpected("cannot copy the profiles into " + suite.string());
    std::ofstream cf(suite / "cases" / "netfuzz-findings.json");
    cf << Json{{"defaults", {{"tags", {"netfuzz"}}}}, {"cases", cases}}.dump(2) << "\n";
    if (!cf) return protocol::Unexpected("cannot write " + (suite / "cases").string());
  }
  std::ofstream out(fs::path(out_dir) / "findings.json");
  out << doc.dump(2) << "\n";
  std::ofstream report(fs::path(out_dir) / "report.txt");
  report << ReportText(doc);
  if (!out || !report) return protocol::Unexpected("cannot write findings.json in " + out_dir);
  return {};
}

}  // namespace regauth::harness::netfuzz
