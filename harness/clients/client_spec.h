// client_spec.h — a registry client described by data (cases/clients/*.json, schema
// cases/schema/client.schema.json; README "Client conformance"): which program, the command
// lines for login / pull / push, how the password reaches it, how it is made to trust a CA, and
// a helper daemon it needs. A user adds their own client or CI image by writing one file.
//
// Placeholders, substituted in every string (argv, stdin, env values, files, paths):
//   ${REGISTRY}      host:port of the registry          ${REGISTRY_URL}  scheme://host:port
//   ${SCHEME}        http or https                      ${REPOSITORY}    acme/app
//   ${TAG}           latest                             ${IMAGE} ${REGISTRY}/${REPOSITORY}:${TAG}
//   ${USERNAME}      the stage's user                   ${PASSWORD}      its password (a secret)
//   ${WORK_DIR}      a fresh directory for this run (also HOME, XDG_CONFIG_HOME, XDG_RUNTIME_DIR)
//   ${CA_FILE}       the stage's CA (PEM), "" without TLS
//   ${TLS_VERIFY}    "true" on https, "false" on http   ${PLAIN_HTTP}    the opposite
//   ${CLIENT_DIR}    the directory of the description file
// An unknown ${NAME} is a load error. `executable` without '/' is looked up on PATH (so a user
// tests their own build by putting it first on PATH); with '/', it is a path after substitution.
// The password is never written to a report: recorded argv, stdin and output have it replaced.
//
// Usage:
//   auto spec = LoadClientSpec("cases/clients/skopeo.json");
//   if (!spec) std::cerr << DescribeLoadError(spec.error());   // exit 2
//   const ClientCommandList* login = spec->Operation("login");  // nullptr: not supported
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/suite/data_file.h"

namespace regauth::harness::clients {

// ClientCommand is one process run: argv after the executable, and the text written to stdin.
struct ClientCommand {
  std::vector<std::string> args;
  std::string stdin_text;
};
using ClientCommandList = std::vector<ClientCommand>;

// ClientDaemon is a helper process the client needs for the run (containerd for ctr), started
// before the operation and stopped after it; `ready_path` appears when it is ready.
struct ClientDaemon {
  std::string executable;
  std::vector<std::string> args;
  std::string ready_path;
};

// ClientFile is a file written into the run's directory before anything starts.
struct ClientFile {
  std::string path;
  std::string content;
};

// ClientRequirement is a path that must exist for the client to run; otherwise SKIP with
// `reason`.
struct ClientRequirement {
  std::string path;
  std::string reason;
};

struct ClientSpec {
  std::string file;  // where it was loaded from
  std::string dir;   // ${CLIENT_DIR}
  std::string name;  // "skopeo": the client's column in the grid and its case ids
  std::string title;
  std::string executable;
  std::vector<std::string> version_args;  // e.g. ["--version"]; empty: no version recorded
  std::vector<std::pair<std::string, std::string>> env;     // set for every command
  std::vector<std::pair<std::string, std::string>> ca_env;  // set when the stage has a CA
  std::vector<ClientRequirement> requires_paths;
  std::optional<ClientDaemon> daemon;
  std::vector<ClientFile> files;
  std::map<std::string, ClientCommandList, std::less<>> operations;  // login, pull, push
  std::map<std::string, std::string, std::less<>> unsupported;       // operation → why
  std::string notes;

  // Operation returns the commands of `op`, or nullptr when the client has none.
  const ClientCommandList* Operation(std::string_view op) const;
};

// kClientPlaceholders lists the ${NAME}s a description may use.
const std::vector<std::string_view>& ClientPlaceholders();

// LoadClientSpec reads and validates one description. Errors: those of data_file.h, with the
// JSON pointer of the offending member (unknown members, an unknown placeholder, an empty argv,
// an operation other than login/pull/push, a name that is not [a-z0-9][a-z0-9._-]*).
LoadResult<ClientSpec> LoadClientSpec(const std::string& path);

// LoadClientSpecs loads every *.json of `dir`, sorted by file name; names must be unique.
LoadResult<std::vector<ClientSpec>> LoadClientSpecs(const std::string& dir);

// ExpandPlaceholders substitutes `values` (name → value) in `text`; every ${NAME} of the text
// must be in `values` (guaranteed for loaded specs).
std::string ExpandPlaceholders(std::string_view text,
                               const std::map<std::string, std::string, std::less<>>& values);

}  // namespace regauth::harness::clients
