#include "harness/netfuzz/netfuzz.h"

#include <chrono>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "harness/netfuzz/findings.h"
#include "harness/netfuzz/invariants.h"
#include "harness/safety/redact.h"
#include "harness/suite/load.h"
#include "net/raw_exchange.h"
#include "protocol/keys.h"

namespace regauth::harness::netfuzz {
namespace {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr int kExitOk = 0;
constexpr int kExitFindings = 1;
constexpr int kExitUsage = 2;
constexpr int kExitTarget = 3;
constexpr std::size_t kTokenSweepSeeds = 4;  // token-family seeds each mutation is swept over
constexpr int kRefreshIssuedSeconds = 100;   // issued tokens live 5 minutes at GitLab

// SplitMix64 (Steele, Lea, Flood 2014): a tiny, portable generator, so the plan is the same on
// every platform and standard library (std::uniform_int_distribution is not).
uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// FindingId is "F001", "F002", ...
std::string FindingId(std::size_t n) {
  char id[16];
  std::snprintf(id, sizeof id, "F%03zu", n);
  return id;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return in ? s.str() : std::string();
}

std::string DefaultOutDir() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return std::string("reports/out/netfuzz-") + buf;
}

// Sender sends one rendered request and returns what came back.
class Sender {
 public:
  Sender(const net::ClientOptions& options, CredentialGuard guard,
         std::chrono::milliseconds timeout)
      : client_(options), guard_(std::move(guard)), timeout_(timeout) {}

  // Send returns nullopt when the request is not sendable by us (curl refuses the bytes, or the
  // guard refuses the origin): no answer to judge.
  std::optional<Outcome> Send(const FuzzRequest& r, const Rendered& wire) {
    Outcome o;
    const auto start = Clock::now();
    if (r.family == Family::kRaw) {
      auto origin = OriginOf(r.base);
      if (!origin || origin->scheme != "http") return std::nullopt;
      o.raw = net::RawExchange(origin->host, origin->port, wire.raw, timeout_);
      if (o.raw->outcome == net::RawOutcome::kConnectFailed) {
        o.error = net::ClientError{net::ClientErrorCode::kConnect, "connect failed"};
        o.raw.reset();
      }
    } else {
      if (guard_.Check(wire.http.url)) return std::nullopt;
      auto res = client_.Send(wire.http);
      if (res) {
        o.response = std::move(*res);
      } else {
        if (res.error().code == net::ClientErrorCode::kInvalidRequest) return std::nullopt;
        o.error = res.error();
      }
    }
    o.elapsed_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    return o;
  }

  net::HttpClient& client() { return client_; }

 private:
  net::HttpClient client_;
  CredentialGuard guard_;
  std::chrono::milliseconds timeout_;
};

// Engine holds one run's state.
struct Engine {
  Engine(const NetfuzzOptions& options, RunContext& run, SeedSet& seed_set,
         InvariantContext& invariants, Sender& s, std::ostream& e)
      : o(options), ctx(run), seeds(seed_set), ic(invariants), sender(s), err(e) {}

  const NetfuzzOptions& o;
  RunContext& ctx;
  SeedSet& seeds;
  InvariantContext& ic;
  Sender& sender;
  std::ostream& err;

  std::vector<Finding> findings;
  std::set<std::string> seen;  // dedup keys
  std::map<std::string, int> per_invariant;
  int64_t sent = 0;
  int64_t unsendable = 0;

  // Try renders, sends and checks one request.
  std::optional<std::pair<Rendered, Outcome>> Try(const FuzzRequest& r,
                                                  std::vector<Violation>* violations) {
    auto wire = Render(r, RenderEnv{&ctx});
    if (!wire) {
      ++unsendable;
      return std::nullopt;
    }
    auto outcome = sender.Send(r, *wire);
    if (!outcome) {
      ++unsendable;
      return std::nullopt;
    }
    *violations = Check(r, *wire, *outcome, ic);
    return std::make_pair(std::move(*wire), std::move(*outcome));
  }

  // Minimise drops mutations one at a time, last first, while the same invariant still breaks.
  std::vector<Mutation> Minimise(const Seed& seed, std::vector<Mutation> ms,
                                 const std::string& invariant) {
    for (std::size_t i = ms.size(); i-- > 0;) {
      std::vector<Mutation> fewer = ms;
      fewer.erase(fewer.begin() + static_cast<std::ptrdiff_t>(i));
      std::vector<Violation> v;
      if (!Try(ApplyAll(seed.request, fewer, seeds.env), &v)) continue;
      for (const Violation& x : v) {
        if (x.invariant == invariant) {
          ms = std::move(fewer);
          break;
        }
      }
    }
    return ms;
  }

  void Record(const PlannedRequest& p, const Violation& v, int64_t index) {
    if (static_cast<int>(findings.size()) >= o.max_findings) return;
    if (per_invariant[v.invariant] >= o.max_findings / 4 + 1) return;
    const Seed& seed = seeds.seeds[p.seed];
    const std::vector<Mutation> minimal = Minimise(seed, p.mutations, v.invariant);
    // One finding per invariant and mutation list (the seed as is: per seed), so one bug shows
    // up once, not once per route that reaches it.
    std::string key = v.invariant + "|" + (minimal.empty() ? seed.id : "");
    for (const Mutation& m : minimal) key += m.name + ",";
    if (!seen.insert(key).second) return;
    Finding f;
    f.violation = v;
    f.seed_id = seed.id;
    f.request = ApplyAll(seed.request, minimal, seeds.env);
    f.mutations = minimal;
    f.found_with = p.mutations;
    f.request_index = index;
    std::vector<Violation> again;
    auto sent_again = Try(f.request, &again);
    if (sent_again) {
      f.wire = std::move(sent_again->first);
      f.outcome = std::move(sent_again->second);
      for (const Violation& x : again) {
        if (x.invariant == v.invariant) f.violation = x;
      }
    }
    f.id = FindingId(findings.size() + 1);
    ++per_invariant[v.invariant];
    err << "regauth netfuzz: finding " << f.id << " " << v.invariant << ": "
        << ctx.redactor->Redact(f.violation.detail) << " [" << seed.id << ": " << Describe(minimal)
        << "]\n";
    findings.push_back(std::move(f));
  }

  // Liveness sends GET /v2/ without credentials and an anonymous token request; true when
  // both answer below 500.
  bool Live() {
    FuzzRequest probe;
    probe.family = Family::kRegistry;
    probe.base = ctx.target->registry_url;
    probe.path = "/v2/";
    FuzzRequest token;
    token.family = Family::kToken;
    token.base = seeds.seeds.front().request.base;
    token.path = seeds.seeds.front().request.path;
    token.query = {{"service", ctx.target->service}};
    for (const FuzzRequest* r : {&probe, &token}) {
      auto wire = Render(*r, RenderEnv{&ctx});
      if (!wire) return false;
      auto res = sender.client().Send(wire->http);
      if (!res || res->status >= 500) return false;
    }
    return true;
  }

  void RefreshIssued() {
    for (auto& [index, request] : seeds.issued_sources) {
      auto wire = Render(request, RenderEnv{&ctx});
      if (!wire) continue;
      auto res = sender.client().Send(wire->http);
      if (!res) continue;
      const std::string token = TokenFromResponse(*res);
      if (!token.empty()) {
        ctx.redactor->AddSecret(token);
        seeds.seeds[index].request.issued_token = token;
      }
    }
  }
};

}  // namespace

FuzzRequest ApplyAll(const FuzzRequest& seed, const std::vector<Mutation>& ms,
                     const MutationEnv& env) {
  FuzzRequest r = seed;
  for (const Mutation& m : ms) Apply(m, env, r);
  return r;
}

Planner::Planner(const std::vector<Seed>& seeds, const MutationEnv& env, uint64_t seed)
    : seeds_(seeds), env_(env), state_(seed) {
  for (std::size_t i = 0; i < seeds.size(); ++i) sweep_.push_back({i, {}});
  for (Family family : {Family::kRegistry, Family::kRaw, Family::kToken}) {
    std::vector<std::size_t> of;
    for (std::size_t i = 0; i < seeds.size(); ++i) {
      if (seeds[i].request.family == family) of.push_back(i);
    }
    if (of.empty()) continue;
    const std::vector<std::string>& names = MutationNames(family);
    for (std::size_t k = 0; k < names.size(); ++k) {
      // Registry and raw seeds are few: every pair. Token seeds are one per credential: each
      // mutation goes to a few of them, rotating, so all credentials get some.
      const std::size_t count = family == Family::kToken ? kTokenSweepSeeds : of.size();
      for (std::size_t j = 0; j < count && j < of.size(); ++j) {
        const std::size_t s = of[(k * count + j) % of.size()];
        if (!Applies(names[k], seeds[s].request)) continue;
        sweep_.push_back({s, {{names[k], Draw()}}});
      }
    }
  }
}

uint64_t Planner::Draw() { return SplitMix64(state_); }

PlannedRequest Planner::Next(FuzzRequest* out) {
  if (index_ < sweep_.size()) {
    const PlannedRequest& p = sweep_[index_++];
    *out = ApplyAll(seeds_[p.seed].request, p.mutations, env_);
    return p;
  }
  ++index_;
  for (int attempt = 0; attempt < 64; ++attempt) {
    PlannedRequest p;
    p.seed = Draw() % seeds_.size();
    const FuzzRequest& base = seeds_[p.seed].request;
    const std::vector<std::string>& names = MutationNames(base.family);
    const int count = 1 + static_cast<int>(Draw() % 3);
    FuzzRequest r = base;
    for (int i = 0; i < count; ++i) {
      Mutation m{names[Draw() % names.size()], Draw()};
      if (Apply(m, env_, r)) p.mutations.push_back(std::move(m));
    }
    if (p.mutations.empty()) continue;
    *out = std::move(r);
    return p;
  }
  *out = seeds_.front().request;
  return {0, {}};
}

int RunNetfuzz(const NetfuzzOptions& o, const ReferenceLauncher& launcher, std::ostream& out,
               std::ostream& err) {
  auto usage = [&](const std::string& why) {
    err << "regauth netfuzz: " << why << "\n";
    return kExitUsage;
  };
  if (o.requests <= 0 && o.duration_s <= 0) return usage("--requests or --duration must be > 0");
  if (o.rate < 0) return usage("--rate must be >= 0 (0 = unlimited)");
  if (o.timeout_ms <= 0) return usage("--timeout must be a positive number of milliseconds");
  auto kind = ResolveTargetKind(o.target, o.registry_url, o.misbehaviours);
  if (!kind) return usage(kind.error());
  if (auto why = CheckMisbehaviours(o.misbehaviours, o.plantable, *kind)) return usage(*why);

  const std::string cases_dir = o.cases_dir.empty() ? DefaultCasesDir() : o.cases_dir;
  const std::string world_path = o.world_path.empty() ? DefaultWorldFile(cases_dir) : o.world_path;
  auto world = LoadWorldFile(world_path);
  if (!world) return usage(world.error());
  std::optional<protocol::Key> user_key;
  if (!o.signing_key_path.empty()) {
    auto key = protocol::LoadPrivateKeyPem(ReadFile(o.signing_key_path));
    if (!key) return usage("--signing-key " + o.signing_key_path + ": not a PEM private key");
    user_key = *key;
  }
  const std::string out_dir = o.out_dir.empty() ? DefaultOutDir() : o.out_dir;
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return usage("--out " + out_dir + ": " + ec.message());

  std::unique_ptr<net::RateLimiter> limiter;
  if (o.rate > 0) limiter = std::make_unique<net::RateLimiter>(o.rate);
  net::ClientOptions client;
  client.timeout = std::chrono::milliseconds(o.timeout_ms);
  client.user_agent = "regauth-netfuzz/0.1";

  TargetOptions topts;
  topts.kind = *kind;
  topts.registry_url = o.registry_url;
  topts.world_path = world_path;
  topts.profile = o.profile;
  topts.misbehaviours = o.misbehaviours;
  topts.issuer = world->instance().issuer;
  topts.output_dir = out_dir;
  topts.docker_registry = o.docker_registry;
  topts.client = client;
  auto target = StartTarget(topts, launcher);
  if (!target) {
    err << "regauth netfuzz: " << target.error().message << "\n";
    return kExitTarget;
  }
  TargetInfo info = (*target)->info();
  info.issuer = world->instance().issuer;

  Redactor redactor;
  RegisterWorldSecrets(*world, redactor);
  AttackerKeys attacker_keys;
  RunContext ctx;
  ctx.target = &info;
  ctx.world = &*world;
  ctx.redactor = &redactor;
  ctx.guard = (*target)->guard();
  ctx.client_options = client;
  ctx.attacker_keys = &attacker_keys;
  ctx.clock = [] { return static_cast<int64_t>(std::time(nullptr)); };
  if (!(*target)->signing_key_pem().empty()) {
    auto k = protocol::LoadPrivateKeyPem((*target)->signing_key_pem());
    if (k) user_key = *k;
  }
  if (user_key) {
    ctx.signing_key = *user_key;
    ctx.verify_key = *user_key;
    ctx.verify_kid = protocol::LibtrustKeyId(*user_key);
  }

  client.rate_limiter = limiter.get();
  Sender sender(client, ctx.guard, std::chrono::milliseconds(o.timeout_ms));
  auto seeds = BuildSeeds(ctx, sender.client());
  if (!seeds) {
    err << "regauth netfuzz: " << seeds.error() << "\n";
    return kExitTarget;
  }
  InvariantContext ic;
  ic.world = &*world;
  ic.baseline = &seeds->baseline;
  ic.clock = ctx.clock;
  if (user_key) {
    protocol::TrustStore trust;
    trust.AddKey(ctx.verify_kid, *user_key);
    ic.trust = trust;
    ic.profile = protocol::VerifierProfile::DistributionV28(info.issuer, info.service);
  } else {
    seeds->notes.push_back("no signing key: token-verifier and scope-overreach not checked");
  }

  Engine engine(o, ctx, *seeds, ic, sender, err);
  Planner planner(seeds->seeds, seeds->env, o.seed);
  const auto started = Clock::now();
  auto last_refresh = started;
  auto elapsed_s = [&] { return std::chrono::duration<double>(Clock::now() - started).count(); };
  bool dead = false;
  for (int64_t i = 0; o.requests <= 0 || i < o.requests; ++i) {
    if (o.duration_s > 0 && elapsed_s() >= o.duration_s) break;
    FuzzRequest r;
    const PlannedRequest p = planner.Next(&r);
    std::vector<Violation> violations;
    if (engine.Try(r, &violations)) ++engine.sent;
    for (const Violation& v : violations) engine.Record(p, v, i);
    if ((i + 1) % o.batch == 0) {
      if (!engine.Live()) {
        std::this_thread::sleep_for(std::chrono::seconds(1));
        if (!engine.Live()) {
          Finding f;
          f.id = FindingId(engine.findings.size() + 1);
          f.violation = {"liveness",
                         "the target stopped answering /v2/ or its token endpoint "
                         "after request " +
                             std::to_string(i + 1)};
          f.seed_id = engine.seeds.seeds[p.seed].id;
          f.request = r;
          f.mutations = p.mutations;
          f.found_with = p.mutations;
          f.request_index = i;
          if (auto wire = Render(r, RenderEnv{&ctx})) f.wire = std::move(*wire);
          engine.findings.push_back(std::move(f));
          dead = true;
          break;
        }
      }
      if (Clock::now() - last_refresh > std::chrono::seconds(kRefreshIssuedSeconds)) {
        engine.RefreshIssued();
        last_refresh = Clock::now();
      }
    }
  }
  const double duration = elapsed_s();

  Json by_invariant = Json::object();
  for (const Finding& f : engine.findings) {
    by_invariant[f.violation.invariant] = by_invariant.value(f.violation.invariant, 0) + 1;
  }
  Json doc = {{"run",
               {{"tool", "regauth netfuzz"},
                {"target", TargetKindName(*kind)},
                {"registry", info.registry_url},
                {"realm", info.realm},
                {"world", world_path},
                {"seed", o.seed},
                {"requests", o.requests},
                {"duration_limit_s", o.duration_s},
                {"rate", o.rate},
                {"timeout_ms", o.timeout_ms},
                {"misbehaviours", o.misbehaviours},
                {"seeds", seeds->seeds.size()}}},
              {"requests_sent", engine.sent},
              {"requests_not_sendable", engine.unsendable},
              {"duration_s", duration},
              {"requests_per_second", duration > 0 ? engine.sent / duration : 0.0},
              {"target_stopped_answering", dead},
              {"by_invariant", by_invariant},
              {"notes", seeds->notes}};
  if (auto w = WriteFindings(out_dir, cases_dir, doc, engine.findings, redactor); !w) {
    err << "regauth netfuzz: " << w.error() << "\n";
    return kExitUsage;
  }
  out << "regauth netfuzz: " << engine.sent << " requests in " << duration << " s ("
      << (duration > 0 ? engine.sent / duration : 0.0) << " requests/s), " << engine.findings.size()
      << " finding(s)";
  for (auto& [name, n] : by_invariant.items()) out << " " << name << "=" << n.get<int>();
  out << "\nregauth netfuzz: findings.json and report.txt in " << out_dir << "\n";
  return engine.findings.empty() ? kExitOk : kExitFindings;
}

}  // namespace regauth::harness::netfuzz
