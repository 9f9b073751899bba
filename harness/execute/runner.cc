#include "harness/execute/runner.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iomanip>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "harness/execute/executor.h"
#include "harness/execute/steps.h"
#include "harness/judge/baseline.h"
#include "harness/judge/profile.h"
#include "harness/report/results_json.h"
#include "harness/report/transcript.h"
#include "harness/safety/redact.h"
#include "harness/select/selection.h"
#include "harness/suite/data_file.h"
#include "harness/suite/load.h"
#include "net/oci_image.h"
#include "protocol/keys.h"
#include "protocol/world.h"
#include "reports/evidence.h"
#include "reports/merge.h"
#include "reports/output.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int64_t UnixMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Timestamp(int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

// Usage prints a configuration error and returns exit code 2.
int Usage(const RunIo& io, const std::string& message) {
  io.err << "regauth run: " << message << "\n";
  return kExitUsage;
}

// FirstFailure summarises why a case is unexpected, for its one-line report.
std::string FirstFailure(const CaseResult& r) {
  if (r.stale_baseline) {
    return "stale baseline entry: expected " + std::string(VerdictText(r.expected_verdict)) +
           ", the case passed";
  }
  if (r.error) return *r.error;
  if (r.skip_reason) return *r.skip_reason;
  for (const auto& c : r.checks) {
    if (c.passed) continue;
    std::string s = c.id + ": expected " + c.expected + ", observed " + c.observed;
    if (!c.message.empty()) s += " (" + c.message + ")";
    return s.size() > 300 ? s.substr(0, 300) + "…" : s;
  }
  return "expected " + std::string(VerdictText(r.expected_verdict));
}

// kVerboseBodyBytes: -v shows this much of each body (results.json has them whole).
constexpr std::size_t kVerboseBodyBytes = 2048;

// Progress draws the bar and prints unexpected results as they arrive.
class Progress {
 public:
  Progress(const RunIo& io, bool bar, bool verbose) : io_(io), bar_(bar), verbose_(verbose) {}

  void OnResult(const ExecutedCase& e, std::size_t done, std::size_t total) {
    const CaseResult& r = e.result;
    if (r.verdict == Verdict::kFail) ++failed_;
    if (r.verdict == Verdict::kError) ++errors_;
    if (r.unexpected) {
      ++unexpected_;
      ClearBar();
      io_.err << "UNEXPECTED " << VerdictText(r.verdict) << " " << r.c->id << ": "
              << TerminalSafe(FirstFailure(r)) << "\n";
      if (verbose_) io_.err << CaseTranscript(e, kVerboseBodyBytes);
    }
    const auto now = Clock::now();
    if (bar_ &&
        (done == total || now - last_draw_ > std::chrono::milliseconds(100) || r.unexpected)) {
      Draw(done, total);
      last_draw_ = now;
    }
  }

  void Finish() {
    if (bar_ && drawn_) io_.err << "\n";
    io_.err.flush();
  }

 private:
  void ClearBar() {
    if (bar_ && drawn_) io_.err << "\r\033[K";
  }
  void Draw(std::size_t done, std::size_t total) {
    constexpr int kWidth = 30;
    const int filled = total == 0 ? kWidth : static_cast<int>(done * kWidth / total);
    io_.err << "\r\033[K[" << std::string(filled, '#') << std::string(kWidth - filled, '.') << "] "
            << done << "/" << total << "  FAIL " << failed_ << "  ERROR " << errors_
            << "  unexpected " << unexpected_;
    io_.err.flush();
    drawn_ = true;
  }

  const RunIo& io_;
  bool bar_;
  bool verbose_;
  bool drawn_ = false;
  std::size_t failed_ = 0, errors_ = 0, unexpected_ = 0;
  Clock::time_point last_draw_{};
};

// Loaded is everything read from the cases directory and the world.
struct Loaded {
  protocol::World world;
  std::vector<Profile> profiles;
  std::vector<Case> cases;
  std::optional<Baseline> baseline;
};

std::optional<std::string> LoadSuite(const RunOptions& o, const std::string& cases_dir,
                                     const std::string& world_path, Loaded* out) {
  auto world = LoadWorldFile(world_path);
  if (!world) return world.error();
  out->world = std::move(*world);

  auto profiles = LoadProfileDir(cases_dir + "/profiles");
  if (!profiles) return DescribeLoadError(profiles.error());
  out->profiles = std::move(*profiles);

  auto cases = LoadCases(cases_dir, out->world);
  if (!cases) return cases.error();
  out->cases = std::move(*cases);
  if (!o.baseline_path.empty()) {
    auto baseline = LoadBaselineFile(o.baseline_path);
    if (!baseline) return DescribeLoadError(baseline.error());
    if (auto err = CheckBaseline(*baseline, out->cases)) return DescribeLoadError(*err);
    out->baseline = std::move(*baseline);
  }
  return std::nullopt;
}

// RerunIds reads the ids of the cases of a results.json that were not as expected: unexpected,
// a stale baseline entry, or selected but not run because the run stopped (run.not_run_ids).
protocol::Expected<std::set<std::string>, std::string> RerunIds(const std::string& path) {
  auto doc = reports::ReadResultsFile(path);
  if (!doc) return protocol::Unexpected<std::string>(doc.error().Describe());
  if (auto valid = reports::ValidateResults(*doc); !valid) {
    return protocol::Unexpected<std::string>(valid.error().Describe());
  }
  std::set<std::string> ids;
  for (const Json& c : (*doc)["cases"]) {
    const reports::CaseOutcome outcome = reports::ClassifyCase(c);
    if (reports::GetBool(c, "unexpected") || outcome == reports::CaseOutcome::kStaleBaseline) {
      ids.insert(c["id"].get<std::string>());
    }
  }
  for (const Json& id : reports::GetMember(reports::GetMember(*doc, "run"), "not_run_ids")) {
    if (id.is_string()) ids.insert(id.get<std::string>());
  }
  return ids;
}

std::string Pad(std::string_view s, std::size_t width, bool right = false) {
  std::string text(s);
  if (text.size() >= width) return text;
  const std::string fill(width - text.size(), ' ');
  return right ? fill + text : text + fill;
}

// ---- the phases of RunSuite ------------------------------------------------------------------

// Usage errors of one phase: the message for exit code 2.
using PhaseResult = std::optional<std::string>;

// CheckFlags validates the flags that need no file: the target kind, misbehaviours, list format,
// jobs, rate, timeout and shard. On success fills `kind` and `sel`.
PhaseResult CheckFlags(const RunOptions& o, TargetKind* kind, Selection* sel) {
  *kind = TargetKind::kReference;
  auto resolved = ResolveTargetKind(o.target, o.registry_url, o.misbehaviours);
  if (!resolved) return resolved.error();
  *kind = *resolved;
  if (auto why = CheckMisbehaviours(o.misbehaviours, o.plantable, *kind)) return why;
  if (o.list_format != "text" && o.list_format != "json") return "--format must be text or json";
  if (o.list_format != "text" && !o.list) return "--format applies to --list only";
  if (o.jobs < 0) return "--jobs must be at least 1";
  if (o.evidence != reports::kEvidenceFailing && o.evidence != reports::kEvidenceAll) {
    return "--evidence must be failing or all, got '" + o.evidence + "'";
  }
  if (o.rate < 0) return "--rate must be >= 0 (0 = unlimited)";
  if (o.timeout_ms <= 0) return "--timeout must be a positive number of milliseconds";
  sel->filter = o.filter;
  sel->exclude = o.exclude;
  sel->tags = o.tags;
  sel->exclude_tags = o.exclude_tags;
  sel->profile = o.profile;
  if (!o.shard.empty()) {
    auto shard = ParseShard(o.shard);
    if (!shard) {
      return "--shard '" + o.shard + "': expected i/n with 1 <= i <= n (" +
             std::string(CodeName(shard.error().code)) + ")";
    }
    sel->shard = *shard;
  }
  return std::nullopt;
}

// SelectFromSuite finds the run's profile and the selected cases of a loaded suite.
PhaseResult SelectFromSuite(const RunOptions& o, const std::string& cases_dir, const Loaded& loaded,
                            const Selection& sel, const Profile** profile,
                            std::vector<const Case*>* selected) {
  *profile = FindProfile(loaded.profiles, o.profile);
  if (*profile == nullptr) {
    std::string names;
    for (const auto& p : loaded.profiles) names += (names.empty() ? "" : ", ") + p.name;
    return "--profile '" + o.profile + "' is not in " + cases_dir +
           "/profiles (available: " + names + ")";
  }
  *selected = SelectCases(loaded.cases, sel);
  if (selected->empty()) {
    return "the selection is empty: no case of the " + std::to_string(loaded.cases.size()) +
           " loaded matches --filter/--exclude/--tag/--exclude-tag/--shard and profile '" +
           o.profile + "'";
  }
  return std::nullopt;
}

// UserKeys is --signing-key: a private key (sign and verify) or only a public key (verify).
struct UserKeys {
  std::optional<protocol::Key> private_key, public_key;
};

PhaseResult LoadUserKeys(const RunOptions& o, UserKeys* keys) {
  if (o.signing_key_path.empty()) return std::nullopt;
  auto pem = ReadTextFile(o.signing_key_path, protocol::kMaxPemBytes);
  if (!pem) return "--signing-key: " + DescribeLoadError(pem.error());
  if (auto k = protocol::LoadPrivateKeyPem(*pem)) {
    keys->private_key = *k;
    keys->public_key = *k;
  } else if (auto pub = protocol::LoadPublicKeyPem(*pem)) {
    keys->public_key = *pub;
  } else {
    return "--signing-key " + o.signing_key_path +
           ": neither a private key nor a public key/certificate PEM (" +
           std::string(CodeName(k.error().code)) + ")";
  }
  return std::nullopt;
}

// StartRecord fills what results.json says about the run before any case runs (argv redacted).
RunRecord StartRecord(const RunOptions& o, int64_t started_ms, TargetKind kind, std::size_t listed,
                      const std::string& world_path, const std::string& cases_dir,
                      bool signing_key_given, const Redactor& redactor) {
  RunRecord record;
  record.started_at_ms = started_ms;
  record.evidence = o.evidence;
  for (const auto& a : o.argv) record.argv.push_back(redactor.Redact(a));
  // Default: one job more than cores. A case mostly waits for the target (the reference target
  // signs two RSA signatures per token on the same cores), so one extra job keeps them busy.
  record.jobs = o.jobs > 0 ? o.jobs : static_cast<int>(std::thread::hardware_concurrency()) + 1;
  record.selection = {{"filter", o.filter.empty() ? std::vector<std::string>{"*"} : o.filter},
                      {"exclude", o.exclude},
                      {"tags", o.tags},
                      {"exclude_tags", o.exclude_tags},
                      {"shard", o.shard.empty() ? "1/1" : o.shard},
                      {"listed", listed}};
  if (!o.rerun_failed.empty()) record.selection["rerun_failed"] = o.rerun_failed;
  record.target_kind = std::string(TargetKindName(kind));
  record.profile = o.profile;
  record.config = {{"world", world_path},
                   {"cases", cases_dir},
                   {"strict", o.strict},
                   {"rate", o.rate},
                   {"timeout_ms", o.timeout_ms},
                   {"baseline", o.baseline_path.empty() ? Json(nullptr) : Json(o.baseline_path)},
                   {"signing_key", signing_key_given ? Json("«provided»") : Json(nullptr)},
                   {"misbehaviours", o.misbehaviours},
                   {"bad_credentials_last", o.bad_credentials_last},
                   {"insecure", o.insecure},
                   {"ca_file", o.ca_file.empty() ? Json(nullptr) : Json(o.ca_file)}};
  return record;
}

// Tools are what a case may need beside the target: the tiny image, docker and skopeo, and an
// OCI layout of the image on disk for the client-tool steps.
struct Tools {
  net::OciImage image = net::BuildTinyImage("regauth");
  std::unique_ptr<net::ScratchDir> layout_dir;
};

// PrepareContext builds the execution context: the target, the keys that sign forged tokens and
// verify issued ones (the reference target's own key wins over --signing-key), the tools.
PhaseResult PrepareContext(const RunningTarget& target, const UserKeys& user, TargetKind kind,
                           const RunIo& io, AttackerKeys* attacker, Tools* tools, RunContext* ctx) {
  ctx->target = &target.info();
  ctx->guard = target.guard();
  if (!target.signing_key_pem().empty()) {
    auto k = protocol::LoadPrivateKeyPem(target.signing_key_pem());
    if (!k) {
      return "the reference server's signing key does not load (" +
             std::string(CodeName(k.error().code)) + ")";
    }
    ctx->signing_key = *k;
    ctx->verify_key = *k;
    if (user.public_key) {
      io.err << "regauth run: note: --signing-key is ignored; the " << TargetKindName(kind)
             << " target's own key is used\n";
    }
  } else {
    ctx->signing_key = user.private_key;
    ctx->verify_key = user.public_key;
  }
  if (ctx->verify_key) ctx->verify_kid = protocol::LibtrustKeyId(*ctx->verify_key);
  ctx->attacker_keys = attacker;
  ctx->image = &tools->image;
  const char* ci = std::getenv("CI");
  ctx->tools.ci = ci != nullptr && std::string_view(ci) == "true";
  ctx->tools.docker = net::FindExecutable("docker");
  ctx->tools.skopeo = net::FindExecutable("skopeo");
  if (auto dir = net::ScratchDir::Create("regauth-oci-")) {
    tools->layout_dir = std::move(*dir);
    const std::string layout = tools->layout_dir->path() + "/layout";
    if (net::WriteOciLayout(tools->image, layout, "latest")) ctx->tools.oci_layout = layout;
  }
  return std::nullopt;
}

}  // namespace

std::string_view ExitCodeMeaning(int code) {
  switch (code) {
    case kExitOk:
      return "every case as expected";
    case kExitUnexpected:
      return "unexpected results (FAIL/ERROR without a baseline entry, or stale baseline "
             "entries)";
    case kExitUsage:
      return "usage or configuration error";
    case kExitTarget:
      return "target unreachable, sanity probe failed, or IP ban detected";
  }
  return "unknown";
}

int ExitCodeFor(const std::vector<ExecutedCase>& cases) {
  for (const auto& e : cases) {
    if (e.result.unexpected || e.result.stale_baseline) return kExitUnexpected;
  }
  return kExitOk;
}

std::string SummaryTable(const Json& results, const std::string& report_dir) {
  static const std::vector<std::string> kCols = {"PASS",          "FAIL", "NON-STRICT",
                                                 "INFORMATIONAL", "SKIP", "ERROR"};
  const Json& s = results.value("summary", Json::object());
  std::ostringstream out;
  const Json& target = results.value("target", Json::object());
  const Json& run = results.value("run", Json::object());
  const int total = s.value("total", 0);
  const int skipped = s.value("by_verdict", Json::object()).value("SKIP", 0);
  out << "regauth run: " << total << " cases (" << (total - skipped) << " executed, " << skipped
      << " skipped) in " << std::fixed << std::setprecision(1)
      << run.value("duration_ms", 0) / 1000.0 << " s against " << target.value("kind", "") << " "
      << target.value("registry_url", "") << " (profile " << results.value("profile", "") << ")\n";
  auto table = [&](const char* title, const Json& counts, const Json& executed) {
    std::size_t width = std::string_view(title).size();
    for (const auto& [name, _] : counts.items()) width = std::max(width, name.size());
    out << "\n" << Pad(title, width + 2) << Pad("executed", 9, true);
    for (const auto& c : kCols) out << "  " << c;
    out << "\n";
    for (const auto& [name, row] : counts.items()) {
      out << Pad(name, width + 2) << Pad(std::to_string(executed.value(name, 0)), 9, true);
      for (const auto& c : kCols)
        out << "  " << Pad(std::to_string(row.value(c, 0)), c.size(), true);
      out << "\n";
    }
  };
  table("layer", s.value("by_layer", Json::object()), s.value("executed_by_layer", Json::object()));
  table("family", s.value("by_family", Json::object()),
        s.value("executed_by_family", Json::object()));
  out << "\nunexpected: " << s.value("unexpected", 0)
      << "   stale baseline entries: " << s.value("stale_baseline", 0) << "\n";
  if (run.contains("error")) out << "stopped early: " << run["error"].get<std::string>() << "\n";
  if (!report_dir.empty()) {
    out << "reports: " << report_dir << "/ (results.json, junit.xml, report.html)\n";
  }
  const int code = s.value("exit_code", 0);
  out << "exit code " << code << ": " << ExitCodeMeaning(code) << "\n";
  return out.str();
}

protocol::Expected<std::string, std::string> PrepareOutputDirectory(const std::string& out_dir,
                                                                    int64_t started_ms) {
  if (!out_dir.empty()) {
    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) return protocol::Unexpected<std::string>("--out " + out_dir + ": " + ec.message());
    return out_dir;
  }
  const std::string base = "reports/out";
  std::string stamp = Timestamp(started_ms);
  for (int n = 1; n < 100; ++n) {
    auto dir = reports::PrepareRunDirectory(base, stamp);
    if (dir) return dir->string();
    if (dir.error().code != reports::ReportError::kRunExists) {
      return protocol::Unexpected<std::string>(dir.error().Describe());
    }
    stamp = Timestamp(started_ms) + "-" + std::to_string(n + 1);
  }
  return protocol::Unexpected<std::string>("too many runs in the same second under " + base);
}

int RunSuite(const RunOptions& o, const ReferenceLauncher& launcher, const RunIo& io) {
  const int64_t started_ms = UnixMillis();

  // ---- flags, suite, selection ----
  TargetKind kind;
  Selection sel;
  if (auto why = CheckFlags(o, &kind, &sel)) return Usage(io, *why);
  if (!o.rerun_failed.empty()) {
    auto ids = RerunIds(o.rerun_failed);
    if (!ids) return Usage(io, "--rerun-failed " + o.rerun_failed + ": " + ids.error());
    if (ids->empty()) {
      io.out << "regauth run: every case of " << o.rerun_failed
             << " was as expected: nothing to rerun\n";
      return kExitOk;
    }
    sel.ids = std::move(*ids);
  }
  const std::string cases_dir = o.cases_dir.empty() ? DefaultCasesDir() : o.cases_dir;
  const std::string world_path = o.world_path.empty() ? DefaultWorldFile(cases_dir) : o.world_path;
  auto loaded = std::make_unique<Loaded>();
  if (auto err = LoadSuite(o, cases_dir, world_path, loaded.get())) return Usage(io, *err);
  const Profile* profile = nullptr;
  std::vector<const Case*> selected;
  if (auto why = SelectFromSuite(o, cases_dir, *loaded, sel, &profile, &selected)) {
    return Usage(io, *why);
  }
  if (o.list) {
    if (o.list_format == "json") {
      io.out << ListingJson(selected).dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
    } else {
      io.out << ListingText(selected);
    }
    return kExitOk;
  }
  UserKeys user;
  if (auto why = LoadUserKeys(o, &user)) return Usage(io, *why);
  Redactor redactor;
  RegisterWorldSecrets(loaded->world, redactor);
  if (redactor.ignored_short_secrets() > 0) {
    io.err << "regauth run: warning: " << redactor.ignored_short_secrets()
           << " world secret(s) are shorter than " << kMinSecretLength
           << " bytes and cannot be redacted from free text\n";
  }

  // ---- output directory and target ----
  auto out_dir = PrepareOutputDirectory(o.out_dir, started_ms);
  if (!out_dir) return Usage(io, "cannot create the output directory: " + out_dir.error());
  if (o.insecure) {
    io.err << "regauth run: WARNING: --insecure: TLS certificates are NOT verified; the "
              "credentials of the world may be sent to an impostor\n";
  }
  std::unique_ptr<net::RateLimiter> limiter;
  if (o.rate > 0) limiter = std::make_unique<net::RateLimiter>(o.rate);
  net::ClientOptions client;
  client.timeout = std::chrono::milliseconds(o.timeout_ms);
  client.ca_file = o.ca_file;
  client.verify_tls = !o.insecure;
  client.rate_limiter = limiter.get();
  client.user_agent = "regauth/" + std::string(SuiteVersion());
  RunRecord record = StartRecord(o, started_ms, kind, selected.size(), world_path, cases_dir,
                                 user.public_key.has_value(), redactor);

  TargetOptions topts;
  topts.kind = kind;
  topts.registry_url = o.registry_url;
  topts.world_path = world_path;
  topts.profile = o.profile;
  topts.misbehaviours = o.misbehaviours;
  topts.issuer = loaded->world.instance().issuer;
  topts.output_dir = *out_dir;
  topts.docker_registry = o.docker_registry;
  topts.client = client;
  topts.client.rate_limiter = nullptr;
  auto write_reports = [&](const Json& doc) {
    if (auto s = reports::WriteRunReports(doc, *out_dir); !s) {
      io.err << "regauth run: writing the reports failed: " << s.error().Describe() << "\n";
      return false;
    }
    return true;
  };
  auto target = StartTarget(topts, launcher);
  if (!target) {
    io.err << "regauth run: " << target.error().message << "\n";
    record.finished_at_ms = UnixMillis();
    record.exit_code = kExitTarget;
    record.error = target.error().message;
    // No case ran: every selected one is listed as not run, so a CI view shows what was missed.
    for (const Case* c : selected) record.not_run_ids.push_back(c->id);
    std::sort(record.not_run_ids.begin(), record.not_run_ids.end());
    record.not_run = record.not_run_ids.size();
    write_reports(BuildResults(record, std::vector<ExecutedCase>{}));
    return kExitTarget;
  }
  for (const auto& f : (*target)->findings()) io.err << "regauth run: finding: " << f << "\n";

  // ---- execute ----
  RunContext ctx;
  ctx.world = &loaded->world;
  // The target's own limits (the reference registry states its header limit) before the
  // profile's, which describe the registry a profile is named after.
  ctx.profile_value = [profile, facts = (*target)->registry_facts()](std::string_view key) {
    if (auto it = facts.find(std::string(key)); it != facts.end()) {
      return std::optional<std::string>(it->second);
    }
    return profile->Lookup(key);
  };
  ctx.profile_name = profile->name;
  ctx.redactor = &redactor;
  ctx.client_options = client;
  AttackerKeys attacker;
  Tools tools;
  if (auto why = PrepareContext(**target, user, kind, io, &attacker, &tools, &ctx)) {
    io.err << "regauth run: " << *why << "\n";
    return kExitTarget;
  }
  Progress progress(io, io.progress_tty && o.progress, o.verbose);
  ExecutorOptions eo;
  eo.jobs = record.jobs;
  eo.strict = o.strict;
  eo.bad_credentials_last = o.bad_credentials_last;
  eo.fail_fast = o.fail_fast;
  eo.profile = profile;
  eo.baseline = loaded->baseline ? &*loaded->baseline : nullptr;
  eo.on_result = [&](const ExecutedCase& e, std::size_t done, std::size_t total) {
    progress.OnResult(e, done, total);
  };
  // Built on the worker threads: whole cases only; summary cases cost nothing to build later.
  eo.render = [evidence = o.evidence](const ExecutedCase& e) {
    return KeepsEvidence(e, evidence) ? CaseJson(e) : Json();
  };
  ExecutionOutcome outcome = ExecuteCases(selected, ctx, eo);
  progress.Finish();

  // ---- report ----
  int exit_code = ExitCodeFor(outcome.cases);
  if (outcome.aborted) {
    // A ban makes the target unusable (3); --fail-fast stopped at an unexpected result (1).
    exit_code = outcome.fail_fast ? kExitUnexpected : kExitTarget;
    record.error = outcome.abort_reason;
    record.not_run = outcome.not_run;
    record.not_run_ids = std::move(outcome.not_run_ids);
    io.err << "regauth run: " << outcome.abort_reason << " (" << outcome.not_run
           << " selected cases did not run)\n";
  }
  record.fingerprint = (*target)->fingerprint();
  for (const auto& e : outcome.cases) {
    if (!e.kid.empty()) {
      record.fingerprint["kid"] = e.kid;
      break;
    }
  }
  record.target = &(*target)->info();
  record.exit_code = exit_code;
  record.finished_at_ms = UnixMillis();
  Json doc = BuildResults(record, std::move(outcome.cases));
  const bool written = write_reports(doc);
  io.out << SummaryTable(doc, *out_dir);
  io.out.flush();
  if (o.leave_results_to_exit) {
    // Deliberately never freed (RunOptions::leave_results_to_exit): the process exits next.
    static_cast<void>(new Json(std::move(doc)));
    static_cast<void>(new ExecutionOutcome(std::move(outcome)));
  }
  if (!written && exit_code == kExitOk) return kExitUsage;
  return exit_code;
}

}  // namespace regauth::harness
