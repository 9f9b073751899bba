// `regauth netfuzz` — thin flag parsing around netfuzz::RunNetfuzz (harness/netfuzz/netfuzz.h).
#include "harness/netfuzz/netfuzz.h"

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "net/http_client.h"

namespace regauth::cli {

void AddNetfuzzCommand(CLI::App& app, int& exit_code, harness::ReferenceLauncher launcher,
                       std::vector<harness::PlantableMisbehaviour> plantable) {
  auto o = std::make_shared<harness::netfuzz::NetfuzzOptions>();
  o->plantable = std::move(plantable);
  CLI::App* cmd = app.add_subcommand(
      "netfuzz",
      "Fuzz a live token service and registry with mutations of the world's valid exchanges; "
      "write findings.json, report.txt, a curl reproducer and a regression case per finding");
  cmd->footer(
      "Exit codes:\n"
      "  0  no findings\n"
      "  1  findings (listed by invariant in <out>/report.txt)\n"
      "  2  usage or configuration error\n"
      "  3  the target is unusable (unreachable, the sanity probe or setup failed)\n"
      "Only the target's registry and realm origins are contacted: the embedded reference "
      "target, docker-registry on loopback, or the --registry URL given.");
  cmd->add_option("--target", o->target,
                  "reference (default) or distribution (the reference token service + "
                  "/usr/bin/docker-registry)");
  cmd->add_option("--registry", o->registry_url,
                  "Black-box target: the registry base URL (realm and service from its /v2/ "
                  "challenge)");
  cmd->add_option("--world", o->world_path,
                  "World file (default <cases>/worlds/gitlab-default.json)");
  cmd->add_option("--cases", o->cases_dir, "The suite's data directory (profiles for the cases)");
  cmd->add_option("--signing-key", o->signing_key_path,
                  "PEM private key the registry trusts: enables forged-token seeds (black-box)");
  cmd->add_option("--misbehave", o->misbehaviours,
                  "Reference/distribution only: plant a reference-server bug (repeatable)");
  cmd->add_option("--out", o->out_dir,
                  "Output directory (default reports/out/netfuzz-<timestamp>)");
  cmd->add_option("--seed", o->seed, "Seed of the request sequence (default 1)");
  cmd->add_option("--requests", o->requests,
                  "At most this many fuzz requests (default 10000; setup and probes not counted)");
  cmd->add_option("--duration", o->duration_s, "At most this many seconds (default: no limit)");
  cmd->add_option("--rate", o->rate, "Requests per second (default unlimited)");
  cmd->add_option("--timeout", o->timeout_ms,
                  "Per-request timeout in milliseconds: the hang bound (default 5000)");
  cmd->callback([o, launcher, &exit_code] {
    net::InitHttpClientLibrary();
    exit_code = harness::netfuzz::RunNetfuzz(*o, launcher, std::cout, std::cerr);
  });
}

}  // namespace regauth::cli
