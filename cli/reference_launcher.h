// reference_launcher.h — the runner's harness::ReferenceLauncher (harness/execute/target.h)
// implemented with the reference server's public start/stop API (reference_server/server.h). This
// file and main.cc are the only harness files that include reference_server/: the composition root
// hands the launcher to `regauth run`, so the runner itself never depends on the server.
//
// Mapping of harness::ReferenceLaunchOptions:
//   world_path       → the world file, read by the server at start
//   profile          → "gitlab" (and any name the server lacks: harbor, zot, …) → the GitLab
//                      endpoint; "distribution" → the token.md/oauth.md endpoint;
//                      "distribution-v3" → that endpoint with RFC 7638 thumbprint kids and a
//                      reference registry that verifies like distribution v3
//   misbehaviours    → --misbehave names (an unknown name is the launcher's error, listing them)
//   with_registry    → the reference registry on its own listener, or none (docker-registry)
//   state_dir        → the server's state directory (key pair, rootcertbundle, registry storage)
// Both listeners bind 127.0.0.1 on ephemeral ports; the server logs warnings and errors only, on
// stderr.
//
// Usage (cli/main.cc):
//   AddRunCommand(app, exit_code, MakeReferenceLauncher(), PlantableMisbehaviours());
#pragma once

#include "harness/execute/target.h"

namespace regauth::cli {

// MakeReferenceLauncher returns a launcher that starts a server::ReferenceServer.
harness::ReferenceLauncher MakeReferenceLauncher();

// PlantableMisbehaviours lists the server's misbehaviours (server::AllMisbehaviours) with their
// component, for `regauth run --misbehave` (RunOptions::plantable).
std::vector<harness::PlantableMisbehaviour> PlantableMisbehaviours();

}  // namespace regauth::cli
