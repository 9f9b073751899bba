#include "reference_server/ci_env.h"

#include <utility>

#include "protocol/ascii.h"

namespace regauth::server {
namespace {

using protocol::Credential;
using protocol::CredentialKind;
using protocol::CredentialState;
using protocol::Job;
using protocol::JobStatus;
using protocol::Project;
using protocol::World;

protocol::Unexpected<CiEnvError> Fail(CiEnvErrorCode code, std::string message) {
  return protocol::Unexpected<CiEnvError>(CiEnvError{code, std::move(message)});
}

const Credential* JobTokenOf(const World& world, int64_t job_id) {
  for (const Credential& c : world.Credentials()) {
    if (c.kind == CredentialKind::kJobToken && c.job == job_id) return &c;
  }
  return nullptr;
}

// JobTokenRefusal says why GitLab's build_access_token_check would refuse the job's token
// (token-auth.md §3.2 #2, §9), or "" when it authenticates.
std::string JobTokenRefusal(const Job& job, const Project* project) {
  if (job.status != JobStatus::kRunning && job.status != JobStatus::kCanceling) {
    return "the job is " + std::string(protocol::Name(job.status));
  }
  if (job.erased) return "the job is erased";
  if (project == nullptr) return "the job's project is unknown";
  if (project->pending_delete) return "the project is pending deletion";
  if (!project->builds_enabled) return "the project has CI disabled";
  return "";
}

bool UsableJob(const World& world, const Job& job) {
  return job.status == JobStatus::kRunning &&
         JobTokenRefusal(job, world.FindProject(job.project)).empty() &&
         JobTokenOf(world, job.id) != nullptr;
}

bool ValidRegistry(std::string_view r) {
  if (r.empty() || r.find("://") != std::string_view::npos) return false;
  for (unsigned char ch : r) {
    if (ch <= 0x20 || ch == 0x7F || ch == '/' || ch == '@' || ch == '\'' || ch == '"') {
      return false;
    }
  }
  return true;
}

}  // namespace

std::string_view CodeName(CiEnvErrorCode code) {
  switch (code) {
    case CiEnvErrorCode::kNoJob:
      return "no_job";
    case CiEnvErrorCode::kUnknownJob:
      return "unknown_job";
    case CiEnvErrorCode::kNoJobToken:
      return "no_job_token";
    case CiEnvErrorCode::kUnknownProject:
      return "unknown_project";
    case CiEnvErrorCode::kBadRegistry:
      return "bad_registry";
  }
  return "unknown";
}

const Credential* GitLabDeployToken(const World& world, const Project& project) {
  // DeployToken.gitlab_deploy_token: `active.find_by(name: GITLAB_DEPLOY_TOKEN_NAME)`.
  for (const Credential& c : world.Credentials()) {
    if (c.kind == CredentialKind::kDeployToken &&
        protocol::AsciiLower(c.project) == protocol::AsciiLower(project.path) &&
        c.name == kGitLabDeployTokenName && c.state == CredentialState::kActive) {
      return &c;
    }
  }
  // `|| group&.gitlab_deploy_token`: the project's own group only (GitLab ≥ 15.1).
  if (project.personal) return nullptr;
  const protocol::Group* group = world.FindGroup(project.namespace_path);
  if (group == nullptr) return nullptr;
  for (const Credential& c : world.Credentials()) {
    if (c.kind == CredentialKind::kGroupDeployToken &&
        protocol::AsciiLower(c.group) == protocol::AsciiLower(group->path) &&
        c.name == kGitLabDeployTokenName && c.state == CredentialState::kActive) {
      return &c;
    }
  }
  return nullptr;
}

protocol::Expected<CiEnv, CiEnvError> BuildCiEnv(const World& world, const CiEnvOptions& options) {
  if (!ValidRegistry(options.registry)) {
    return Fail(CiEnvErrorCode::kBadRegistry,
                "the registry must be HOST[:PORT] without scheme, path, quotes or whitespace");
  }
  const Job* job = nullptr;
  if (options.job_id) {
    job = world.FindJob(*options.job_id);
    if (job == nullptr) {
      return Fail(CiEnvErrorCode::kUnknownJob,
                  "the world has no job " + std::to_string(*options.job_id));
    }
  } else {
    for (const Job& j : world.Jobs()) {
      if (!UsableJob(world, j)) continue;
      const Project* p = world.FindProject(j.project);
      if (p != nullptr && GitLabDeployToken(world, *p) != nullptr) {
        job = &j;
        break;
      }
    }
    if (job == nullptr) {
      for (const Job& j : world.Jobs()) {
        if (UsableJob(world, j)) {
          job = &j;
          break;
        }
      }
    }
    if (job == nullptr) {
      return Fail(CiEnvErrorCode::kNoJob,
                  "the world has no running job whose token would authenticate; pick one with "
                  "--job");
    }
  }
  const Project* project = world.FindProject(job->project);
  if (project == nullptr) {
    return Fail(CiEnvErrorCode::kUnknownProject,
                "job " + std::to_string(job->id) + " names an unknown project");
  }
  const Credential* token = JobTokenOf(world, job->id);
  if (token == nullptr) {
    return Fail(CiEnvErrorCode::kNoJobToken,
                "job " + std::to_string(job->id) + " has no job_token credential in the world");
  }

  CiEnv env;
  env.job_id = job->id;
  env.project_path = project->path;
  if (std::string why = JobTokenRefusal(*job, project); !why.empty()) {
    env.notes.push_back("GitLab refuses this job's token: " + why);
  }
  // Project#container_registry_variables.
  if (world.instance().registry_enabled) {
    env.variables.push_back({"CI_REGISTRY", options.registry, false});
    if (project->container_registry_access_level != protocol::RegistryAccessLevel::kDisabled) {
      env.variables.push_back({"CI_REGISTRY_IMAGE",
                               options.registry + "/" + protocol::AsciiLower(project->path),
                               false});
    } else {
      env.notes.push_back(
          "the project's container registry is disabled: CI_REGISTRY_IMAGE is "
          "not set");
    }
  } else {
    env.notes.push_back(
        "the instance's registry is disabled: CI_REGISTRY and CI_REGISTRY_IMAGE "
        "are not set");
  }
  env.variables.push_back({"CI_PROJECT_PATH", project->path, false});
  // Ci::Build#persisted_variables.
  env.variables.push_back({"CI_REGISTRY_USER", "gitlab-ci-token", false});
  env.variables.push_back({"CI_REGISTRY_PASSWORD", token->secret, true});
  env.variables.push_back({"CI_JOB_TOKEN", token->secret, true});
  // Ci::Build#deploy_token_variables.
  if (const Credential* deploy = GitLabDeployToken(world, *project)) {
    env.variables.push_back({"CI_DEPLOY_USER", deploy->login_username, false});
    env.variables.push_back({"CI_DEPLOY_PASSWORD", deploy->secret, true});
  } else {
    env.notes.push_back(
        "no active gitlab-deploy-token on the project or its group: "
        "CI_DEPLOY_USER and CI_DEPLOY_PASSWORD are not set");
  }
  return env;
}

std::string ShellQuote(std::string_view value) {
  std::string out = "'";
  for (char ch : value) {
    if (ch == '\'') {
      out += "'\\''";
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('\'');
  return out;
}

protocol::Expected<std::string, std::string> FormatExports(const CiEnv& env) {
  // Comment lines carry world paths and fixed text; a control byte must not end a comment early.
  const auto comment = [](std::string_view text) {
    std::string line = "# ";
    for (char ch : text) {
      const auto u = static_cast<unsigned char>(ch);
      line.push_back(u < 0x20 || u == 0x7F ? '?' : ch);
    }
    return line + "\n";
  };
  std::string out = comment("GitLab CI registry variables of job " + std::to_string(env.job_id) +
                            " (" + env.project_path + ")");
  for (const std::string& note : env.notes) out += comment(note);
  for (const CiVariable& v : env.variables) {
    if (v.value.find('\0') != std::string::npos) {
      return protocol::Unexpected<std::string>(v.name +
                                               " contains a NUL byte, which no shell "
                                               "variable can hold");
    }
    out += "export " + v.name + "=" + ShellQuote(v.value) + "\n";
  }
  return out;
}

}  // namespace regauth::server
