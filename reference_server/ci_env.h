// ci_env.h — the registry variables GitLab CI sets for a job, computed from a world: what
// `regauth ci-env` prints as `export` lines, so the documented CI login forms
// (token-auth.md §3.10) can be run by hand or by the integration tests against the reference
// server:
//   echo "$CI_REGISTRY_PASSWORD" | docker login $CI_REGISTRY -u $CI_REGISTRY_USER --password-stdin
//   echo "$CI_JOB_TOKEN" | docker login $CI_REGISTRY -u $CI_REGISTRY_USER --password-stdin
//   echo "$CI_DEPLOY_PASSWORD" | docker login $CI_REGISTRY -u $CI_DEPLOY_USER --password-stdin
//
// The variables, as GitLab's Project#container_registry_variables and Ci::Build's
// persisted_variables / deploy_token_variables set them (token-auth.md §3.10, §9):
//   CI_REGISTRY           the registry's host:port (only when the instance's registry is enabled)
//   CI_REGISTRY_IMAGE     CI_REGISTRY + "/" + the project path downcased (only when, in addition,
//                         the project's container registry is not disabled)
//   CI_PROJECT_PATH       the project's full path
//   CI_REGISTRY_USER      gitlab-ci-token (Gitlab::Auth::CI_JOB_USER)
//   CI_REGISTRY_PASSWORD  the job token
//   CI_JOB_TOKEN          the job token
//   CI_DEPLOY_USER        the username of the project's `gitlab-deploy-token` (only when it has
//   CI_DEPLOY_PASSWORD    one; see GitLabDeployToken)
//
// Usage:
//   auto env = BuildCiEnv(world, {.registry = "127.0.0.1:5000"});
//   if (!env) { std::cerr << env.error().message; return 2; }
//   std::cout << FormatExports(*env);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.h"
#include "protocol/world.h"

namespace regauth::server {

// kGitLabDeployTokenName is the deploy token name CI exposes
// (DeployToken::GITLAB_DEPLOY_TOKEN_NAME).
inline constexpr std::string_view kGitLabDeployTokenName = "gitlab-deploy-token";

// GitLabDeployToken is Project#gitlab_deploy_token: the project's first active deploy token named
// gitlab-deploy-token, else (GitLab ≥ 15.1, token-auth.md §9) the first active group deploy token
// of that name on the project's own group (the namespace it lives in; not a parent group, not a
// personal namespace). Active = neither revoked nor expired, expiring today included as expired
// as the token service treats it (state kActive at the world's clock). nullptr when none.
const protocol::Credential* GitLabDeployToken(const protocol::World& world,
                                              const protocol::Project& project);

// CiEnvOptions selects the job and the registry address.
struct CiEnvOptions {
  // job_id: the job; nullopt → the first job (file order) that is running, not erased, in a
  // project with CI enabled and not pending deletion (so its token authenticates), preferring
  // one whose project has a gitlab-deploy-token; if none has one, the first such job.
  std::optional<int64_t> job_id;
  // registry: CI_REGISTRY, "HOST[:PORT]" (GitLab's registry.host_port). No scheme, no path.
  std::string registry = "127.0.0.1:5000";
};

// CiVariable is one variable. `secret` marks the masked ones (job token, deploy password).
struct CiVariable {
  std::string name;
  std::string value;
  bool secret = false;
};

// CiEnv is the chosen job and its variables, in the order listed in the file comment.
struct CiEnv {
  int64_t job_id = 0;
  std::string project_path;
  std::vector<CiVariable> variables;
  // notes: facts a user should know, printed as comments (e.g. "job 103 is success: GitLab
  // rejects its token", "no gitlab-deploy-token: CI_DEPLOY_* are not set").
  std::vector<std::string> notes;
};

// CiEnvErrorCode is why BuildCiEnv failed.
enum class CiEnvErrorCode {
  kNoJob = 1,       // no job_id given and the world has no job whose token would authenticate
  kUnknownJob,      // job_id names no job of the world
  kNoJobToken,      // the job has no job_token credential in the world
  kUnknownProject,  // the job's project is missing (cannot happen with a validated world)
  kBadRegistry,     // registry empty, or holds a scheme, '/', whitespace, a control byte or '@'
};

// CodeName returns the stable snake_case name of `code`.
std::string_view CodeName(CiEnvErrorCode code);

struct CiEnvError {
  CiEnvErrorCode code{};
  std::string message;  // a sentence for the user; never a secret
};

// BuildCiEnv computes the variables for one job of `world`.
protocol::Expected<CiEnv, CiEnvError> BuildCiEnv(const protocol::World& world,
                                                 const CiEnvOptions& options);

// ShellQuote returns `value` as one POSIX sh word: wrapped in single quotes, each ' written as
// '\''. Everything else (newlines, $, `, \, !) is literal inside single quotes. A NUL byte cannot
// be passed through a shell at all; callers check with FormatExports.
std::string ShellQuote(std::string_view value);

// FormatExports renders "# job …" comment lines (the job and the notes) and one
// "export NAME='value'" line per variable. Error: a message when a value contains a NUL byte
// (impossible to export); the message names the variable, not the value.
protocol::Expected<std::string, std::string> FormatExports(const CiEnv& env);

}  // namespace regauth::server
