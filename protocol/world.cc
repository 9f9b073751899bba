#include "protocol/world.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <initializer_list>
#include <limits>
#include <span>
#include <system_error>
#include <utility>

#include "protocol/ascii.h"
#include "protocol/json.h"

namespace regauth::protocol {
namespace {

using Json = nlohmann::json;

constexpr int64_t kSecondsPerDay = 86400;
constexpr std::size_t kMaxPathComponents = 20;  // Namespace::NUMBER_OF_ANCESTORS_ALLOWED
constexpr std::size_t kMaxNameBytes = 255;
constexpr int64_t kMaxRelativeDays = 100000;

// Enum spellings, in the order the error messages list them.
template <typename E>
struct Spelling {
  std::string_view name;
  E value;
};

constexpr std::array<Spelling<Visibility>, 3> kVisibilities = {{
    {"private", Visibility::kPrivate},
    {"internal", Visibility::kInternal},
    {"public", Visibility::kPublic},
}};
constexpr std::array<Spelling<RegistryAccessLevel>, 3> kRegistryLevels = {{
    {"enabled", RegistryAccessLevel::kEnabled},
    {"private", RegistryAccessLevel::kPrivate},
    {"disabled", RegistryAccessLevel::kDisabled},
}};
constexpr std::array<Spelling<ProtectionLevel>, 3> kProtectionLevels = {{
    {"maintainer", ProtectionLevel::kMaintainer},
    {"owner", ProtectionLevel::kOwner},
    {"admin", ProtectionLevel::kAdmin},
}};
constexpr std::array<Spelling<ProtectedContainers>, 3> kProtectedContainers = {{
    {"off", ProtectedContainers::kOff},
    {"feature_flag", ProtectedContainers::kFeatureFlag},
    {"ga", ProtectedContainers::kGa},
}};
constexpr std::array<Spelling<Role>, 6> kRoles = {{
    {"guest", Role::kGuest},
    {"planner", Role::kPlanner},
    {"reporter", Role::kReporter},
    {"developer", Role::kDeveloper},
    {"maintainer", Role::kMaintainer},
    {"owner", Role::kOwner},
}};
constexpr std::array<Spelling<CredentialKind>, 8> kKinds = {{
    {"password", CredentialKind::kPassword},
    {"personal_access_token", CredentialKind::kPersonalAccessToken},
    {"project_access_token", CredentialKind::kProjectAccessToken},
    {"group_access_token", CredentialKind::kGroupAccessToken},
    {"oauth_token", CredentialKind::kOAuthToken},
    {"deploy_token", CredentialKind::kDeployToken},
    {"group_deploy_token", CredentialKind::kGroupDeployToken},
    {"job_token", CredentialKind::kJobToken},
}};
constexpr std::array<Spelling<CredentialState>, 4> kStates = {{
    {"active", CredentialState::kActive},
    {"expires_today", CredentialState::kExpiresToday},
    {"expired", CredentialState::kExpired},
    {"revoked", CredentialState::kRevoked},
}};
constexpr std::array<Spelling<JobStatus>, 6> kJobStatuses = {{
    {"pending", JobStatus::kPending},
    {"running", JobStatus::kRunning},
    {"canceling", JobStatus::kCanceling},
    {"success", JobStatus::kSuccess},
    {"failed", JobStatus::kFailed},
    {"canceled", JobStatus::kCanceled},
}};
constexpr std::array<Spelling<UserState>, 2> kUserStates = {{
    {"active", UserState::kActive},
    {"blocked", UserState::kBlocked},
}};

// Token scopes GitLab defines (Gitlab::Auth, current versions), so a typo fails the load.
constexpr std::array<std::string_view, 20> kTokenScopes = {
    "api",
    "read_api",
    "read_user",
    "read_repository",
    "write_repository",
    "read_registry",
    "write_registry",
    "read_virtual_registry",
    "write_virtual_registry",
    "sudo",
    "admin_mode",
    "create_runner",
    "manage_runner",
    "k8s_proxy",
    "ai_features",
    "read_service_ping",
    "self_rotate",
    "read_observability",
    "write_observability",
    "ai_workflows",
};
// OAuth applications may also carry the OpenID Connect scopes.
constexpr std::array<std::string_view, 3> kOAuthExtraScopes = {"openid", "profile", "email"};
// DeployToken::AVAILABLE_SCOPES (token-auth.md §3.3).
constexpr std::array<std::string_view, 7> kDeployScopes = {
    "read_repository",        "read_registry",          "write_registry",
    "read_package_registry",  "write_package_registry", "read_virtual_registry",
    "write_virtual_registry",
};

template <typename E, std::size_t N>
std::string_view NameOf(const std::array<Spelling<E>, N>& table, E value) {
  for (const auto& s : table) {
    if (s.value == value) return s.name;
  }
  return "unknown";
}

template <typename E, std::size_t N>
std::optional<E> ParseFrom(const std::array<Spelling<E>, N>& table, std::string_view name) {
  for (const auto& s : table) {
    if (s.name == name) return s.value;
  }
  return std::nullopt;
}

template <typename E, std::size_t N>
std::string AllowedList(const std::array<Spelling<E>, N>& table) {
  std::string out;
  for (const auto& s : table) {
    if (!out.empty()) out += ", ";
    out += s.name;
  }
  return out;
}

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Quote renders a file-provided (non-secret) string for a message: JSON-escaped, at most 64
// bytes of it, so control bytes and long values cannot garble an error line.
std::string Quote(std::string_view s) {
  const bool cut = s.size() > 64;
  Json j = std::string(s.substr(0, 64));
  std::string out = j.dump(-1, ' ', false, Json::error_handler_t::replace);
  if (cut) out.insert(out.size() - 1, "...");
  return out;
}

std::string EscapeToken(std::string_view token) {
  std::string out;
  for (const char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string Child(const std::string& pointer, std::string_view member) {
  return pointer + "/" + EscapeToken(member);
}
std::string Child(const std::string& pointer, std::size_t index) {
  return pointer + "/" + std::to_string(index);
}

std::string_view TypeName(const Json& v) {
  switch (v.type()) {
    case Json::value_t::null:
      return "null";
    case Json::value_t::boolean:
      return "a boolean";
    case Json::value_t::number_integer:
    case Json::value_t::number_unsigned:
      return "an integer";
    case Json::value_t::number_float:
      return "a non-integer number";
    case Json::value_t::string:
      return "a string";
    case Json::value_t::array:
      return "an array";
    case Json::value_t::object:
      return "an object";
    case Json::value_t::binary:
    case Json::value_t::discarded:
      break;
  }
  return "an unsupported value";
}

// GitLab path component: [A-Za-z0-9_.][A-Za-z0-9_.-]*, not ending in '.', not ".git"/".atom".
bool ValidPathComponent(std::string_view c) {
  if (c.empty() || c.size() > kMaxNameBytes) return false;
  for (std::size_t i = 0; i < c.size(); ++i) {
    const char ch = c[i];
    const bool ok = IsAlnum(ch) || ch == '_' || ch == '.' || (ch == '-' && i > 0);
    if (!ok) return false;
  }
  if (c.back() == '.') return false;
  const std::string l = AsciiLower(c);
  return !(l.ends_with(".git") || l.ends_with(".atom"));
}

bool ValidFullPath(std::string_view path, std::size_t* components) {
  if (path.empty() || path.size() > kMaxNameBytes) return false;
  std::size_t n = 0;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    const std::string_view comp = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (!ValidPathComponent(comp)) return false;
    ++n;
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  *components = n;
  return n <= kMaxPathComponents;
}

std::string_view ParentPath(std::string_view path) {
  const std::size_t slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view() : path.substr(0, slash);
}

// Deploy token usernames: /\A[a-zA-Z0-9\.\+_-]+\z/ (DeployToken validation).
bool ValidDeployUsername(std::string_view s) {
  if (s.empty() || s.size() > kMaxNameBytes) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || c == '.' || c == '+' || c == '_' || c == '-';
  });
}

bool ValidCredentialId(std::string_view s) {
  if (s.empty() || s.size() > 128) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return IsAlnum(c) || c == '.' || c == '_' || c == '-' || c == ':' || c == '@' || c == '+';
  });
}

bool ValidEnvName(std::string_view s) {
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return IsAlnum(c) || c == '_'; });
}

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

// IsAnnotation: "$schema" (the file's JSON Schema, for editors: cases/schema/world.schema.json)
// and "$comment" (notes for readers) are allowed in every object and never read, as in the other
// data files (harness/suite/data_file.h). Any other member starting with '$' is still unknown.
bool IsAnnotation(std::string_view member) { return member == "$schema" || member == "$comment"; }

// Failure carries a WorldError out of the loader's helpers; it never leaves this file.
struct Failure {
  WorldError error;
};

[[noreturn]] void Throw(WorldErrorCode code, std::string pointer, std::string message) {
  throw Failure{WorldError{code, std::move(pointer), std::move(message), 0}};
}

// ---- ${VAR} in names and ids ---------------------------------------------------------------
// Besides secrets, the members that name or number an entity may be written "${NAME}" (the whole
// value), so a world can describe the CI job it runs in from GitLab's predefined variables
// (CI_JOB_ID, CI_PROJECT_PATH, GITLAB_USER_LOGIN, CI_DEPLOY_USER, ...). They are expanded before
// validation, so the result is checked like a literal; a number member takes a variable whose
// value is a decimal integer. Secrets keep their own rule (WorldLoader::ResolveSecret).
enum class VarType { kString, kInteger };
struct VarMember {
  std::string_view name;
  VarType type;
};
constexpr VarMember kUserVars[] = {{"username", VarType::kString}, {"email", VarType::kString}};
constexpr VarMember kMemberVars[] = {{"user", VarType::kString}};
constexpr VarMember kGroupVars[] = {{"path", VarType::kString}, {"id", VarType::kInteger}};
constexpr VarMember kProjectVars[] = {{"path", VarType::kString}, {"id", VarType::kInteger}};
constexpr VarMember kJobVars[] = {
    {"id", VarType::kInteger}, {"project", VarType::kString}, {"user", VarType::kString}};
constexpr VarMember kCredentialVars[] = {
    {"user", VarType::kString}, {"project", VarType::kString},  {"group", VarType::kString},
    {"job", VarType::kInteger}, {"username", VarType::kString}, {"bot_username", VarType::kString}};

// LookupVariable returns the value of environment variable `var` for the member at `pointer`,
// failing when it is unset, empty or over the string limit (messages name the variable, never a
// value).
std::string LookupVariable(const WorldContext& ctx, const WorldLimits& limits,
                           const std::string& var, const std::string& pointer) {
  std::optional<std::string> value;
  if (ctx.env) value = ctx.env(var);
  if (!value) {
    Throw(WorldErrorCode::kMissingEnvVar, pointer,
          "environment variable " + Quote(var) + " is not set");
  }
  if (value->empty()) {
    Throw(WorldErrorCode::kMissingEnvVar, pointer,
          "environment variable " + Quote(var) + " is empty");
  }
  if (value->size() > limits.max_string_bytes) {
    Throw(WorldErrorCode::kTooLarge, pointer,
          "environment variable " + Quote(var) + " is longer than " +
              std::to_string(limits.max_string_bytes) + " bytes");
  }
  return std::move(*value);
}

bool IsWholeVariable(const Json& v) {
  if (!v.is_string()) return false;
  const std::string& s = v.get_ref<const std::string&>();
  return s.size() > 3 && s.starts_with("${") && s.back() == '}';
}

void ExpandMember(Json& obj, const std::string& ptr, const VarMember& m, const WorldContext& ctx,
                  const WorldLimits& limits) {
  auto it = obj.find(m.name);
  if (it == obj.end() || !IsWholeVariable(*it)) return;
  const std::string p = Child(ptr, m.name);
  const std::string& raw = it->get_ref<const std::string&>();
  const std::string var = raw.substr(2, raw.size() - 3);
  if (!ValidEnvName(var)) {
    Throw(WorldErrorCode::kBadValue, p,
          "a variable is written exactly \"${NAME}\" with NAME [A-Za-z_][A-Za-z0-9_]*");
  }
  const std::string value = LookupVariable(ctx, limits, var, p);
  if (m.type == VarType::kString) {
    *it = value;
    return;
  }
  int64_t n = 0;
  const char* end = value.data() + value.size();
  auto [at, ec] = std::from_chars(value.data(), end, n);
  if (ec != std::errc() || at != end || n <= 0) {
    Throw(WorldErrorCode::kBadValue, p,
          "environment variable " + Quote(var) + " is not a positive decimal integer");
  }
  *it = n;
}

void ExpandSection(Json& doc, std::string_view section, std::span<const VarMember> members,
                   bool with_members, const WorldContext& ctx, const WorldLimits& limits) {
  auto list = doc.find(section);
  if (list == doc.end() || !list->is_array()) return;  // the loader reports the type
  for (std::size_t i = 0; i < list->size() && i < limits.max_entities; ++i) {
    Json& entity = (*list)[i];
    if (!entity.is_object()) continue;
    const std::string ptr = Child("/" + std::string(section), i);
    for (const VarMember& m : members) ExpandMember(entity, ptr, m, ctx, limits);
    if (!with_members) continue;
    auto ms = entity.find("members");
    if (ms == entity.end() || !ms->is_array()) continue;
    for (std::size_t k = 0; k < ms->size() && k < limits.max_entities; ++k) {
      if ((*ms)[k].is_object()) {
        ExpandMember((*ms)[k], Child(Child(ptr, "members"), k), kMemberVars[0], ctx, limits);
      }
    }
  }
}

void ExpandIdentityVariables(Json& doc, const WorldContext& ctx, const WorldLimits& limits) {
  if (!doc.is_object()) return;
  ExpandSection(doc, "users", kUserVars, false, ctx, limits);
  ExpandSection(doc, "groups", kGroupVars, true, ctx, limits);
  ExpandSection(doc, "projects", kProjectVars, true, ctx, limits);
  ExpandSection(doc, "jobs", kJobVars, false, ctx, limits);
  ExpandSection(doc, "credentials", kCredentialVars, false, ctx, limits);
}

}  // namespace

// WorldLoader builds a World from a parsed document, member by member, throwing Failure on the
// first problem. It is a friend of World.
class WorldLoader {
 public:
  WorldLoader(const WorldContext& ctx, const WorldLimits& limits) : ctx_(ctx), limits_(limits) {}

  World Load(const Json& doc) {
    static constexpr std::string_view kTop[] = {"name",   "description", "instance", "users",
                                                "groups", "projects",    "jobs",     "credentials"};
    ExpectObject(doc, "", kTop, "the world");
    w_.now_unix_ = ctx_.now_unix;
    today_ = FloorDiv(ctx_.now_unix, kSecondsPerDay);
    w_.name_ = RequiredString(doc, "", "name");
    if (w_.name_.empty()) Throw(WorldErrorCode::kBadValue, "/name", "expected a non-empty name");
    w_.description_ = OptionalString(doc, "", "description").value_or("");
    if (const Json* i = Find(doc, "instance")) LoadInstance(*i, "/instance");
    const Json* users = OptionalArray(doc, "", "users");
    const Json* groups = OptionalArray(doc, "", "groups");
    const Json* projects = OptionalArray(doc, "", "projects");
    const Json* jobs = OptionalArray(doc, "", "jobs");
    const Json* credentials = OptionalArray(doc, "", "credentials");
    if (users) LoadUsers(*users);
    if (groups) LoadGroups(*groups);
    if (projects) LoadProjects(*projects);
    if (projects) LoadAllowlists(*projects);
    if (jobs) LoadJobs(*jobs);
    if (credentials) LoadCredentials(*credentials);
    return std::move(w_);
  }

 private:
  // ---- generic member access -------------------------------------------------------------
  void ExpectObject(const Json& v, const std::string& ptr,
                    std::span<const std::string_view> allowed, std::string_view what) {
    if (!v.is_object()) {
      Throw(WorldErrorCode::kWrongType, ptr,
            "expected " + std::string(what) + " as an object, got " + std::string(TypeName(v)));
    }
    for (auto it = v.begin(); it != v.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), it.key()) != allowed.end()) continue;
      if (IsAnnotation(it.key())) continue;
      std::string list;
      for (std::string_view a : allowed) {
        if (!list.empty()) list += ", ";
        list += a;
      }
      Throw(
          WorldErrorCode::kUnknownMember, Child(ptr, it.key()),
          "unknown member " + Quote(it.key()) + " in " + std::string(what) + "; allowed: " + list);
    }
  }

  static const Json* Find(const Json& obj, std::string_view name) {
    auto it = obj.find(name);
    return it == obj.end() ? nullptr : &*it;
  }

  void CheckString(const Json& v, const std::string& ptr) {
    if (!v.is_string()) {
      Throw(WorldErrorCode::kWrongType, ptr, "expected a string, got " + std::string(TypeName(v)));
    }
    if (v.get_ref<const std::string&>().size() > limits_.max_string_bytes) {
      Throw(WorldErrorCode::kTooLarge, ptr,
            "string longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
    }
  }

  std::string RequiredString(const Json& obj, const std::string& ptr, std::string_view name) {
    const Json* v = Find(obj, name);
    if (v == nullptr) {
      Throw(WorldErrorCode::kMissingMember, Child(ptr, name),
            "missing required member " + Quote(name) + " (a string)");
    }
    CheckString(*v, Child(ptr, name));
    return v->get<std::string>();
  }

  std::optional<std::string> OptionalString(const Json& obj, const std::string& ptr,
                                            std::string_view name) {
    const Json* v = Find(obj, name);
    if (v == nullptr) return std::nullopt;
    CheckString(*v, Child(ptr, name));
    return v->get<std::string>();
  }

  std::optional<bool> OptionalBool(const Json& obj, const std::string& ptr, std::string_view name) {
    const Json* v = Find(obj, name);
    if (v == nullptr) return std::nullopt;
    if (!v->is_boolean()) {
      Throw(WorldErrorCode::kWrongType, Child(ptr, name),
            "expected true or false, got " + std::string(TypeName(*v)));
    }
    return v->get<bool>();
  }

  int64_t Integer(const Json& v, const std::string& ptr) {
    if (v.is_number_unsigned()) {
      if (v.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
        Throw(WorldErrorCode::kBadValue, ptr, "integer out of range");
      }
      return static_cast<int64_t>(v.get<uint64_t>());
    }
    if (!v.is_number_integer()) {
      Throw(WorldErrorCode::kWrongType, ptr,
            "expected an integer, got " + std::string(TypeName(v)));
    }
    return v.get<int64_t>();
  }

  int64_t RequiredId(const Json& obj, const std::string& ptr, std::string_view name) {
    const Json* v = Find(obj, name);
    if (v == nullptr) {
      Throw(WorldErrorCode::kMissingMember, Child(ptr, name),
            "missing required member " + Quote(name) + " (a positive integer)");
    }
    const int64_t id = Integer(*v, Child(ptr, name));
    if (id <= 0) Throw(WorldErrorCode::kBadValue, Child(ptr, name), "expected a positive integer");
    return id;
  }

  const Json* OptionalArray(const Json& obj, const std::string& ptr, std::string_view name) {
    const Json* v = Find(obj, name);
    if (v == nullptr) return nullptr;
    CheckArray(*v, Child(ptr, name));
    return v;
  }

  void CheckArray(const Json& v, const std::string& ptr) {
    if (!v.is_array()) {
      Throw(WorldErrorCode::kWrongType, ptr, "expected an array, got " + std::string(TypeName(v)));
    }
    if (v.size() > limits_.max_entities) {
      Throw(WorldErrorCode::kTooLarge, ptr,
            "more than " + std::to_string(limits_.max_entities) + " entries");
    }
  }

  template <typename E, std::size_t N>
  std::optional<E> OptionalEnum(const Json& obj, const std::string& ptr, std::string_view name,
                                const std::array<Spelling<E>, N>& table) {
    const Json* v = Find(obj, name);
    if (v == nullptr) return std::nullopt;
    return EnumValue(*v, Child(ptr, name), table);
  }

  template <typename E, std::size_t N>
  E RequiredEnum(const Json& obj, const std::string& ptr, std::string_view name,
                 const std::array<Spelling<E>, N>& table) {
    const Json* v = Find(obj, name);
    if (v == nullptr) {
      Throw(WorldErrorCode::kMissingMember, Child(ptr, name),
            "missing required member " + Quote(name) + "; one of: " + AllowedList(table));
    }
    return EnumValue(*v, Child(ptr, name), table);
  }

  template <typename E, std::size_t N>
  E EnumValue(const Json& v, const std::string& ptr, const std::array<Spelling<E>, N>& table) {
    if (!v.is_string()) {
      Throw(
          WorldErrorCode::kWrongType, ptr,
          "expected one of " + AllowedList(table) + " (a string), got " + std::string(TypeName(v)));
    }
    const std::string& s = v.get_ref<const std::string&>();
    auto e = ParseFrom(table, s);
    if (!e) {
      Throw(WorldErrorCode::kBadEnumValue, ptr,
            "unknown value " + Quote(s) + "; expected one of: " + AllowedList(table));
    }
    return *e;
  }

  // ---- names, routes ---------------------------------------------------------------------
  // ClaimRoute registers a top-level name (username or top-level group) or a full path (group,
  // project): GitLab's routes are unique case-insensitively across users, groups and projects.
  void ClaimRoute(const std::string& name, const std::string& ptr, std::string what) {
    auto [it, inserted] = routes_.emplace(AsciiLower(name), what + " " + Quote(name));
    if (!inserted) {
      Throw(WorldErrorCode::kDuplicate, ptr,
            Quote(name) + " is already taken by " + it->second +
                " (GitLab paths and usernames are unique, case-insensitively)");
    }
  }

  std::vector<Member> LoadMembers(const Json& owner, const std::string& ptr) {
    std::vector<Member> out;
    const Json* members = OptionalArray(owner, ptr, "members");
    if (members == nullptr) return out;
    const std::string mptr = Child(ptr, "members");
    static constexpr std::string_view kMember[] = {"user", "role"};
    for (std::size_t i = 0; i < members->size(); ++i) {
      const std::string p = Child(mptr, i);
      const Json& m = (*members)[i];
      ExpectObject(m, p, kMember, "a member");
      Member member;
      member.user = RequiredString(m, p, "user");
      member.role = RequiredEnum(m, p, "role", kRoles);
      auto u = w_.user_by_name_.find(AsciiLower(member.user));
      if (u == w_.user_by_name_.end()) {
        Throw(WorldErrorCode::kDanglingReference, Child(p, "user"),
              "no user named " + Quote(member.user) + " in /users");
      }
      member.user = w_.users_[u->second].username;  // canonical spelling
      for (const Member& prev : out) {
        if (prev.user == member.user) {
          Throw(WorldErrorCode::kDuplicate, Child(p, "user"),
                Quote(member.user) + " is listed twice; give each user one role");
        }
      }
      out.push_back(std::move(member));
    }
    return out;
  }

  // ---- sections --------------------------------------------------------------------------
  void LoadInstance(const Json& v, const std::string& ptr) {
    static constexpr std::string_view kInstance[] = {"issuer",
                                                     "service",
                                                     "admin_mode",
                                                     "token_expire_delay_minutes",
                                                     "password_authentication_enabled_for_git",
                                                     "registry_enabled",
                                                     "protected_containers",
                                                     "protected_tags"};
    ExpectObject(v, ptr, kInstance, "/instance");
    Instance& in = w_.instance_;
    if (auto s = OptionalString(v, ptr, "issuer")) in.issuer = *s;
    if (auto s = OptionalString(v, ptr, "service")) in.service = *s;
    if (auto b = OptionalBool(v, ptr, "admin_mode")) in.admin_mode = *b;
    if (const Json* d = Find(v, "token_expire_delay_minutes")) {
      const std::string p = Child(ptr, "token_expire_delay_minutes");
      in.token_expire_delay_minutes = Integer(*d, p);
      if (in.token_expire_delay_minutes < 1 || in.token_expire_delay_minutes > 1440 * 365) {
        Throw(WorldErrorCode::kBadValue, p, "expected minutes between 1 and 525600");
      }
    }
    if (auto b = OptionalBool(v, ptr, "password_authentication_enabled_for_git")) {
      in.password_authentication_enabled_for_git = *b;
    }
    if (auto b = OptionalBool(v, ptr, "registry_enabled")) in.registry_enabled = *b;
    in.protected_containers = OptionalEnum(v, ptr, "protected_containers", kProtectedContainers)
                                  .value_or(ProtectedContainers::kOff);
    in.protected_tags = OptionalBool(v, ptr, "protected_tags").value_or(false);
  }

  void LoadUsers(const Json& users) {
    static constexpr std::string_view kUser[] = {
        "username",   "email",        "admin",       "external",         "state",
        "two_factor", "namespace_id", "description", "password_expired", "user_type"};
    for (std::size_t i = 0; i < users.size(); ++i) {
      const std::string p = Child(std::string("/users"), i);
      const Json& u = users[i];
      ExpectObject(u, p, kUser, "a user");
      User user;
      user.username = RequiredString(u, p, "username");
      if (!ValidPathComponent(user.username)) {
        Throw(WorldErrorCode::kBadValue, Child(p, "username"),
              "invalid username " + Quote(user.username) +
                  "; expected [A-Za-z0-9_.][A-Za-z0-9_.-]*, not ending in '.'");
      }
      ClaimRoute(user.username, Child(p, "username"), "user");
      if (auto e = OptionalString(u, p, "email")) {
        if (e->find('@') == std::string::npos || e->front() == '@' || e->back() == '@') {
          Throw(WorldErrorCode::kBadValue, Child(p, "email"),
                "expected an email address (local@domain)");
        }
        auto [it, inserted] = w_.user_by_email_.emplace(AsciiLower(*e), w_.users_.size());
        if (!inserted) {
          Throw(WorldErrorCode::kDuplicate, Child(p, "email"),
                "email already used by user " + Quote(w_.users_[it->second].username));
        }
        user.email = *e;
      }
      user.admin = OptionalBool(u, p, "admin").value_or(false);
      user.external = OptionalBool(u, p, "external").value_or(false);
      user.state = OptionalEnum(u, p, "state", kUserStates).value_or(UserState::kActive);
      user.two_factor = OptionalBool(u, p, "two_factor").value_or(false);
      user.password_expired = OptionalBool(u, p, "password_expired").value_or(false);
      if (const Json* t = Find(u, "user_type")) {
        const std::string tp = Child(p, "user_type");
        CheckString(*t, tp);
        const std::string& type = t->get_ref<const std::string&>();
        if (type == "service_account") {
          user.bot = true;
          user.service_account = true;
        } else if (type != "human") {
          Throw(WorldErrorCode::kBadEnumValue, tp,
                "unknown value " + Quote(type) +
                    "; expected one of: human, service_account (project and group bots are "
                    "generated from access tokens)");
        }
      }
      if (Find(u, "namespace_id") != nullptr) {
        user.namespace_id = RequiredId(u, p, "namespace_id");
        if (!namespace_ids_.emplace(*user.namespace_id, "user " + Quote(user.username)).second) {
          Throw(WorldErrorCode::kDuplicate, Child(p, "namespace_id"),
                "namespace id " + std::to_string(*user.namespace_id) + " is used twice");
        }
      }
      user.description = OptionalString(u, p, "description").value_or("");
      w_.user_by_name_.emplace(AsciiLower(user.username), w_.users_.size());
      w_.users_.push_back(std::move(user));
    }
  }

  void LoadGroups(const Json& groups) {
    static constexpr std::string_view kGroup[] = {"path", "id", "visibility", "members",
                                                  "description"};
    // First pass: paths and ids, so a subgroup may precede its parent in the file.
    for (std::size_t i = 0; i < groups.size(); ++i) {
      const std::string p = Child(std::string("/groups"), i);
      const Json& g = groups[i];
      ExpectObject(g, p, kGroup, "a group");
      Group group;
      group.path = RequiredString(g, p, "path");
      std::size_t depth = 0;
      if (!ValidFullPath(group.path, &depth)) {
        Throw(WorldErrorCode::kBadValue, Child(p, "path"),
              "invalid group path " + Quote(group.path) +
                  "; expected 1-20 components [A-Za-z0-9_.][A-Za-z0-9_.-]* joined by '/'");
      }
      ClaimRoute(group.path, Child(p, "path"), "group");
      group.id = RequiredId(g, p, "id");
      if (!w_.group_by_id_.emplace(group.id, w_.groups_.size()).second) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "id"),
              "group id " + std::to_string(group.id) + " is used twice");
      }
      // Groups and personal namespaces share GitLab's namespaces table.
      if (auto it = namespace_ids_.find(group.id); it != namespace_ids_.end()) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "id"),
              "namespace id " + std::to_string(group.id) + " is already the namespace of " +
                  it->second);
      }
      group.parent = std::string(ParentPath(group.path));
      group.visibility = RequiredEnum(g, p, "visibility", kVisibilities);
      group.members = LoadMembers(g, p);
      group.description = OptionalString(g, p, "description").value_or("");
      w_.group_by_path_.emplace(AsciiLower(group.path), w_.groups_.size());
      w_.groups_.push_back(std::move(group));
    }
    // Second pass: parents exist and are at least as visible.
    for (std::size_t i = 0; i < w_.groups_.size(); ++i) {
      Group& group = w_.groups_[i];
      if (group.parent.empty()) continue;
      const std::string p = Child(Child(std::string("/groups"), i), "path");
      const Group* parent = w_.FindGroup(group.parent);
      if (parent == nullptr) {
        Throw(WorldErrorCode::kDanglingReference, p,
              "parent group " + Quote(group.parent) + " is not defined in /groups");
      }
      group.parent = parent->path;
      if (static_cast<int>(group.visibility) > static_cast<int>(parent->visibility)) {
        Throw(WorldErrorCode::kConstraint, Child(Child(std::string("/groups"), i), "visibility"),
              "a subgroup cannot be more visible than its parent " + Quote(parent->path) + " (" +
                  std::string(Name(parent->visibility)) + ")");
      }
    }
  }

  void LoadProjects(const Json& projects) {
    static constexpr std::string_view kProject[] = {"id",
                                                    "path",
                                                    "visibility",
                                                    "container_registry_access_level",
                                                    "builds_enabled",
                                                    "repository_enabled",
                                                    "archived",
                                                    "pending_delete",
                                                    "members",
                                                    "job_token_scope",
                                                    "container_protection_rules",
                                                    "container_protection_tag_rules",
                                                    "description"};
    for (std::size_t i = 0; i < projects.size(); ++i) {
      const std::string p = Child(std::string("/projects"), i);
      const Json& j = projects[i];
      ExpectObject(j, p, kProject, "a project");
      Project project;
      project.path = RequiredString(j, p, "path");
      std::size_t depth = 0;
      if (!ValidFullPath(project.path, &depth)) {
        Throw(WorldErrorCode::kBadValue, Child(p, "path"),
              "invalid project path " + Quote(project.path) +
                  "; expected components [A-Za-z0-9_.][A-Za-z0-9_.-]* joined by '/'");
      }
      if (depth < 2) {
        Throw(WorldErrorCode::kBadValue, Child(p, "path"),
              "a project path needs a namespace: <group or user>/<project>");
      }
      ClaimRoute(project.path, Child(p, "path"), "project");
      project.id = RequiredId(j, p, "id");
      if (!w_.project_by_id_.emplace(project.id, w_.projects_.size()).second) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "id"),
              "project id " + std::to_string(project.id) + " is used twice");
      }
      project.visibility = RequiredEnum(j, p, "visibility", kVisibilities);
      const std::string_view ns = ParentPath(project.path);
      if (const Group* g = w_.FindGroup(ns)) {
        project.namespace_path = g->path;
        if (static_cast<int>(project.visibility) > static_cast<int>(g->visibility)) {
          Throw(WorldErrorCode::kConstraint, Child(p, "visibility"),
                "a project cannot be more visible than its group " + Quote(g->path) + " (" +
                    std::string(Name(g->visibility)) + ")");
        }
      } else if (const User* u = (depth == 2) ? w_.FindUser(ns) : nullptr) {
        project.namespace_path = u->username;
        project.personal = true;
      } else {
        Throw(WorldErrorCode::kDanglingReference, Child(p, "path"),
              "namespace " + Quote(ns) + " is neither a group in /groups nor a user in /users");
      }
      project.container_registry_access_level =
          OptionalEnum(j, p, "container_registry_access_level", kRegistryLevels)
              .value_or(RegistryAccessLevel::kEnabled);
      project.builds_enabled = OptionalBool(j, p, "builds_enabled").value_or(true);
      project.repository_enabled = OptionalBool(j, p, "repository_enabled").value_or(true);
      project.archived = OptionalBool(j, p, "archived").value_or(false);
      project.pending_delete = OptionalBool(j, p, "pending_delete").value_or(false);
      project.members = LoadMembers(j, p);
      project.container_protection_rules = LoadProtectionRules(j, p, project.path);
      project.container_protection_tag_rules = LoadTagRules(j, p);
      project.description = OptionalString(j, p, "description").value_or("");
      w_.project_by_path_.emplace(AsciiLower(project.path), w_.projects_.size());
      w_.projects_.push_back(std::move(project));
    }
  }

  // LoadProtectionRules reads a project's container_protection_rules. GitLab's model validates
  // that the pattern starts with the project's full path (case-insensitively), that it matches
  // protection_rules_container_repository_path_pattern_regex (container path characters and
  // `*`), that patterns are unique per project, and that at least one minimum level is set.
  std::vector<ContainerProtectionRule> LoadProtectionRules(const Json& project,
                                                           const std::string& ptr,
                                                           std::string_view project_path) {
    static constexpr std::string_view kRule[] = {"repository_path_pattern",
                                                 "minimum_access_level_for_push",
                                                 "minimum_access_level_for_delete", "description"};
    std::vector<ContainerProtectionRule> out;
    const Json* list = OptionalArray(project, ptr, "container_protection_rules");
    if (list == nullptr) return out;
    const std::string lp = Child(ptr, "container_protection_rules");
    for (std::size_t k = 0; k < list->size(); ++k) {
      const std::string rp = Child(lp, k);
      const Json& r = (*list)[k];
      ExpectObject(r, rp, kRule, "a container protection rule");
      ContainerProtectionRule rule;
      rule.repository_path_pattern = RequiredString(r, rp, "repository_path_pattern");
      const std::string& pat = rule.repository_path_pattern;
      const bool chars_ok = !pat.empty() && std::all_of(pat.begin(), pat.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_' || c == '.' || c == '-' || c == '/' || c == '*';
      });
      if (!chars_ok || !AsciiLower(pat).starts_with(AsciiLower(project_path))) {
        Throw(WorldErrorCode::kBadValue, Child(rp, "repository_path_pattern"),
              "expected a container repository path starting with the project path " +
                  Quote(project_path) + " ([A-Za-z0-9_./-] and * wildcards)");
      }
      for (const ContainerProtectionRule& other : out) {
        if (AsciiLower(other.repository_path_pattern) == AsciiLower(pat)) {
          Throw(WorldErrorCode::kDuplicate, Child(rp, "repository_path_pattern"),
                Quote(pat) + " is used by two rules of this project");
        }
      }
      rule.minimum_access_level_for_push =
          OptionalEnum(r, rp, "minimum_access_level_for_push", kProtectionLevels);
      rule.minimum_access_level_for_delete =
          OptionalEnum(r, rp, "minimum_access_level_for_delete", kProtectionLevels);
      if (!rule.minimum_access_level_for_push && !rule.minimum_access_level_for_delete) {
        Throw(WorldErrorCode::kMissingMember, rp,
              "a rule needs minimum_access_level_for_push or minimum_access_level_for_delete");
      }
      out.push_back(std::move(rule));
    }
    return out;
  }

  // LoadTagRules reads a project's container_protection_tag_rules. GitLab's model validates a
  // present, unique pattern of at most 100 characters (untrusted_regexp: RE2 syntax, not checked
  // here), both minimum levels, and at most MAX_TAG_RULES_PER_PROJECT (5) rules.
  std::vector<ContainerProtectionTagRule> LoadTagRules(const Json& project,
                                                       const std::string& ptr) {
    static constexpr std::string_view kRule[] = {"tag_name_pattern",
                                                 "minimum_access_level_for_push",
                                                 "minimum_access_level_for_delete", "description"};
    constexpr std::size_t kMaxRules = 5;
    constexpr std::size_t kMaxPattern = 100;
    std::vector<ContainerProtectionTagRule> out;
    const Json* list = OptionalArray(project, ptr, "container_protection_tag_rules");
    if (list == nullptr) return out;
    const std::string lp = Child(ptr, "container_protection_tag_rules");
    if (list->size() > kMaxRules) {
      Throw(WorldErrorCode::kConstraint, lp,
            "GitLab allows at most 5 tag protection rules per project");
    }
    for (std::size_t k = 0; k < list->size(); ++k) {
      const std::string rp = Child(lp, k);
      const Json& r = (*list)[k];
      ExpectObject(r, rp, kRule, "a container protection tag rule");
      ContainerProtectionTagRule rule;
      rule.tag_name_pattern = RequiredString(r, rp, "tag_name_pattern");
      if (rule.tag_name_pattern.empty() || rule.tag_name_pattern.size() > kMaxPattern) {
        Throw(WorldErrorCode::kBadValue, Child(rp, "tag_name_pattern"),
              "expected a tag name pattern (a regular expression) of 1 to 100 characters");
      }
      for (const ContainerProtectionTagRule& other : out) {
        if (other.tag_name_pattern == rule.tag_name_pattern) {
          Throw(WorldErrorCode::kDuplicate, Child(rp, "tag_name_pattern"),
                Quote(rule.tag_name_pattern) + " is used by two tag rules of this project");
        }
      }
      rule.minimum_access_level_for_push =
          RequiredEnum(r, rp, "minimum_access_level_for_push", kProtectionLevels);
      rule.minimum_access_level_for_delete =
          RequiredEnum(r, rp, "minimum_access_level_for_delete", kProtectionLevels);
      out.push_back(std::move(rule));
    }
    return out;
  }

  // LoadAllowlists runs after every project is known, so an entry may name a later project.
  void LoadAllowlists(const Json& projects) {
    static constexpr std::string_view kScope[] = {"inbound_enabled", "allowlist",
                                                  "outbound_enabled", "outbound_allowlist"};
    for (std::size_t i = 0; i < projects.size(); ++i) {
      const Json* scope = Find(projects[i], "job_token_scope");
      if (scope == nullptr) continue;
      const std::string p = Child(Child(std::string("/projects"), i), "job_token_scope");
      ExpectObject(*scope, p, kScope, "a job_token_scope");
      JobTokenScope& out = w_.projects_[i].job_token_scope;
      out.inbound_enabled = OptionalBool(*scope, p, "inbound_enabled").value_or(true);
      out.outbound_enabled = OptionalBool(*scope, p, "outbound_enabled").value_or(false);
      if (const Json* outbound = OptionalArray(*scope, p, "outbound_allowlist")) {
        const std::string op = Child(p, "outbound_allowlist");
        for (std::size_t k = 0; k < outbound->size(); ++k) {
          const std::string ep = Child(op, k);
          CheckString((*outbound)[k], ep);
          const std::string& entry = (*outbound)[k].get_ref<const std::string&>();
          const Project* pr = w_.FindProject(entry);
          if (pr == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, ep,
                  "no project " + Quote(entry) +
                      " in /projects (the outbound allowlist holds projects only)");
          }
          if (std::find(out.outbound_allowlist.begin(), out.outbound_allowlist.end(), pr->path) !=
              out.outbound_allowlist.end()) {
            Throw(WorldErrorCode::kDuplicate, ep, Quote(entry) + " is listed twice");
          }
          out.outbound_allowlist.push_back(pr->path);
        }
      }
      const Json* list = OptionalArray(*scope, p, "allowlist");
      if (list == nullptr) continue;
      const std::string lp = Child(p, "allowlist");
      for (std::size_t k = 0; k < list->size(); ++k) {
        const std::string ep = Child(lp, k);
        CheckString((*list)[k], ep);
        const std::string& entry = (*list)[k].get_ref<const std::string&>();
        AllowlistEntry e;
        if (entry.starts_with("group:")) {
          e.kind = AllowlistEntry::Kind::kGroup;
          const Group* g = w_.FindGroup(std::string_view(entry).substr(6));
          if (g == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, ep,
                  "no group " + Quote(entry.substr(6)) + " in /groups");
          }
          e.path = g->path;
        } else {
          const Project* pr = w_.FindProject(entry);
          if (pr == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, ep,
                  "no project " + Quote(entry) +
                      " in /projects (write \"group:<path>\" for a group)");
          }
          e.path = pr->path;
        }
        if (std::find(out.allowlist.begin(), out.allowlist.end(), e) != out.allowlist.end()) {
          Throw(WorldErrorCode::kDuplicate, ep, Quote(entry) + " is listed twice");
        }
        out.allowlist.push_back(std::move(e));
      }
    }
  }

  void LoadJobs(const Json& jobs) {
    static constexpr std::string_view kJob[] = {"id",     "project", "user",
                                                "status", "erased",  "description"};
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      const std::string p = Child(std::string("/jobs"), i);
      const Json& j = jobs[i];
      ExpectObject(j, p, kJob, "a job");
      Job job;
      job.id = RequiredId(j, p, "id");
      if (!w_.job_by_id_.emplace(job.id, w_.jobs_.size()).second) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "id"),
              "job id " + std::to_string(job.id) + " is used twice");
      }
      const std::string project = RequiredString(j, p, "project");
      const Project* pr = w_.FindProject(project);
      if (pr == nullptr) {
        Throw(WorldErrorCode::kDanglingReference, Child(p, "project"),
              "no project " + Quote(project) + " in /projects");
      }
      job.project = pr->path;
      const Json* user = Find(j, "user");
      if (user == nullptr) {
        Throw(WorldErrorCode::kMissingMember, Child(p, "user"),
              "missing required member \"user\" (a username, or null for a job without a user)");
      }
      if (!user->is_null()) {
        CheckString(*user, Child(p, "user"));
        const User* u = w_.FindUser(user->get_ref<const std::string&>());
        if (u == nullptr) {
          Throw(WorldErrorCode::kDanglingReference, Child(p, "user"),
                "no user named " + Quote(user->get_ref<const std::string&>()) + " in /users");
        }
        job.user = u->username;
      }
      job.status = RequiredEnum(j, p, "status", kJobStatuses);
      job.erased = OptionalBool(j, p, "erased").value_or(false);
      job.description = OptionalString(j, p, "description").value_or("");
      w_.jobs_.push_back(std::move(job));
    }
  }

  // ---- credentials -----------------------------------------------------------------------
  static std::span<const std::string_view> AllowedCredentialMembers(CredentialKind kind) {
    static constexpr std::string_view kPassword[] = {"id", "kind", "secret", "description", "user"};
    static constexpr std::string_view kPersonal[] = {
        "id", "kind", "secret", "description", "user", "name", "scopes", "revoked", "expires_at"};
    static constexpr std::string_view kProjectToken[] = {
        "id",   "kind",   "secret",  "description", "project",     "role",
        "name", "scopes", "revoked", "expires_at",  "bot_username"};
    static constexpr std::string_view kGroupToken[] = {
        "id",   "kind",   "secret",  "description", "group",       "role",
        "name", "scopes", "revoked", "expires_at",  "bot_username"};
    static constexpr std::string_view kDeploy[] = {
        "id",   "kind",     "secret", "description", "project",
        "name", "username", "scopes", "revoked",     "expires_at"};
    static constexpr std::string_view kGroupDeploy[] = {
        "id",   "kind",     "secret", "description", "group",
        "name", "username", "scopes", "revoked",     "expires_at"};
    static constexpr std::string_view kJobToken[] = {"id",          "kind", "secret",
                                                     "description", "job",  "jwt_expired"};
    switch (kind) {
      case CredentialKind::kPassword:
        return kPassword;
      case CredentialKind::kPersonalAccessToken:
      case CredentialKind::kOAuthToken:
        return kPersonal;
      case CredentialKind::kProjectAccessToken:
        return kProjectToken;
      case CredentialKind::kGroupAccessToken:
        return kGroupToken;
      case CredentialKind::kDeployToken:
        return kDeploy;
      case CredentialKind::kGroupDeployToken:
        return kGroupDeploy;
      case CredentialKind::kJobToken:
        break;
    }
    return kJobToken;
  }

  std::string ResolveSecret(const Json& c, const std::string& p) {
    const std::string sp = Child(p, "secret");
    const Json* v = Find(c, "secret");
    if (v == nullptr) {
      Throw(WorldErrorCode::kMissingMember, sp,
            "missing required member \"secret\" (a string, or \"${ENV_VAR}\")");
    }
    if (!v->is_string()) {
      Throw(WorldErrorCode::kWrongType, sp, "expected a string, got " + std::string(TypeName(*v)));
    }
    const std::string& raw = v->get_ref<const std::string&>();
    if (raw.size() > limits_.max_string_bytes) {
      Throw(WorldErrorCode::kTooLarge, sp,
            "secret longer than " + std::to_string(limits_.max_string_bytes) + " bytes");
    }
    std::string secret = raw;
    if (raw.find("${") != std::string::npos) {
      // The only substitution form is the whole value "${NAME}"; anything else with "${" is
      // almost certainly a typo, and echoing it could leak part of a secret.
      const bool whole = raw.size() > 3 && raw.starts_with("${") && raw.back() == '}';
      const std::string name = whole ? raw.substr(2, raw.size() - 3) : std::string();
      if (!whole || !ValidEnvName(name)) {
        Throw(WorldErrorCode::kBadValue, sp,
              "a secret is a literal or exactly \"${NAME}\" with NAME [A-Za-z_][A-Za-z0-9_]*");
      }
      secret = LookupVariable(ctx_, limits_, name, sp);
    }
    if (secret.empty()) Throw(WorldErrorCode::kBadValue, sp, "expected a non-empty secret");
    return secret;
  }

  std::vector<std::string> LoadScopes(const Json& c, const std::string& p, CredentialKind kind) {
    const std::string sp = Child(p, "scopes");
    const Json* v = Find(c, "scopes");
    if (v == nullptr) {
      Throw(WorldErrorCode::kMissingMember, sp,
            "missing required member \"scopes\" (an array of scope names, may be empty)");
    }
    CheckArray(*v, sp);
    const bool deploy =
        kind == CredentialKind::kDeployToken || kind == CredentialKind::kGroupDeployToken;
    std::vector<std::string_view> allowed;
    if (deploy) {
      allowed.assign(kDeployScopes.begin(), kDeployScopes.end());
    } else {
      allowed.assign(kTokenScopes.begin(), kTokenScopes.end());
      if (kind == CredentialKind::kOAuthToken) {
        allowed.insert(allowed.end(), kOAuthExtraScopes.begin(), kOAuthExtraScopes.end());
      }
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v->size(); ++i) {
      const std::string ep = Child(sp, i);
      CheckString((*v)[i], ep);
      const std::string& s = (*v)[i].get_ref<const std::string&>();
      if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
        std::string list;
        for (std::string_view a : allowed) {
          if (!list.empty()) list += ", ";
          list += a;
        }
        Throw(WorldErrorCode::kBadEnumValue, ep,
              "unknown scope " + Quote(s) + " for " + std::string(Name(kind)) +
                  "; expected one of: " + list);
      }
      if (std::find(out.begin(), out.end(), s) != out.end()) {
        Throw(WorldErrorCode::kDuplicate, ep, "scope " + Quote(s) + " is listed twice");
      }
      out.push_back(s);
    }
    return out;
  }

  // expires_at: null, "YYYY-MM-DD", "today", "+Nd" or "-Nd" (days from the context's UTC date).
  std::optional<CivilDate> LoadExpiry(const Json& c, const std::string& p) {
    const Json* v = Find(c, "expires_at");
    if (v == nullptr || v->is_null()) return std::nullopt;
    const std::string ep = Child(p, "expires_at");
    static constexpr char kExpected[] =
        "expected null, a date \"YYYY-MM-DD\", \"today\", \"+Nd\" or \"-Nd\"";
    if (!v->is_string()) {
      Throw(WorldErrorCode::kWrongType, ep,
            std::string(kExpected) + ", got " + std::string(TypeName(*v)));
    }
    const std::string& s = v->get_ref<const std::string&>();
    if (s == "today") return CivilFromDays(today_);
    if (s.size() >= 3 && (s[0] == '+' || s[0] == '-') && s.back() == 'd') {
      int64_t n = 0;
      const std::string_view digits = std::string_view(s).substr(1, s.size() - 2);
      bool ok = !digits.empty() && digits.size() <= 6;
      for (const char ch : digits) {
        ok = ok && ch >= '0' && ch <= '9';
        if (ok) n = n * 10 + (ch - '0');
      }
      if (!ok || n > kMaxRelativeDays) {
        Throw(WorldErrorCode::kBadValue, ep,
              std::string(kExpected) + " with N at most " + std::to_string(kMaxRelativeDays) +
                  "; got " + Quote(s));
      }
      return CivilFromDays(today_ + (s[0] == '-' ? -n : n));
    }
    auto date = ParseFullDate(s);
    if (!date) {
      Throw(WorldErrorCode::kBadValue, ep,
            std::string(kExpected) + "; got " + Quote(s) + " (" +
                std::string(CodeName(date.error().code)) + ")");
    }
    return *date;
  }

  const User& RequireUser(const Json& c, const std::string& p) {
    const std::string name = RequiredString(c, p, "user");
    const User* u = w_.FindUser(name);
    if (u == nullptr) {
      Throw(WorldErrorCode::kDanglingReference, Child(p, "user"),
            "no user named " + Quote(name) + " in /users");
    }
    return *u;
  }

  // AddBot creates the bot user implied by a project/group access token and makes it a direct
  // member of `members` with the token's role.
  std::string AddBot(const Json& c, const std::string& p, const std::string& default_name,
                     const Credential& cred, std::vector<Member>& members) {
    std::string name = default_name;
    if (auto explicit_name = OptionalString(c, p, "bot_username")) {
      name = *explicit_name;
      if (!ValidPathComponent(name)) {
        Throw(WorldErrorCode::kBadValue, Child(p, "bot_username"),
              "invalid username " + Quote(name));
      }
    }
    ClaimRoute(name, Child(p, Find(c, "bot_username") ? "bot_username" : "id"),
               "bot user of credential " + Quote(cred.id));
    User bot;
    bot.username = name;
    bot.bot = true;
    bot.bot_credential = cred.id;
    w_.user_by_name_.emplace(AsciiLower(name), w_.users_.size());
    w_.users_.push_back(std::move(bot));
    members.push_back(Member{name, *cred.role});
    return name;
  }

  void LoadCredentials(const Json& creds) {
    std::unordered_map<std::string, int> bots_per_owner;  // "project:<id>" / "group:<id>"
    std::unordered_map<std::string, std::string> password_of_user;
    int deploy_tokens = 0;
    for (std::size_t i = 0; i < creds.size(); ++i) {
      const std::string p = Child(std::string("/credentials"), i);
      const Json& c = creds[i];
      if (!c.is_object()) {
        Throw(WorldErrorCode::kWrongType, p,
              "expected a credential as an object, got " + std::string(TypeName(c)));
      }
      Credential cred;
      cred.kind = RequiredEnum(c, p, "kind", kKinds);
      ExpectObject(c, p, AllowedCredentialMembers(cred.kind),
                   "a " + std::string(Name(cred.kind)) + " credential");
      cred.id = RequiredString(c, p, "id");
      if (!ValidCredentialId(cred.id)) {
        Throw(WorldErrorCode::kBadValue, Child(p, "id"),
              "invalid credential id " + Quote(cred.id) + "; expected 1-128 of [A-Za-z0-9._:@+-]");
      }
      if (w_.credential_by_id_.count(cred.id) != 0) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "id"),
              "credential id " + Quote(cred.id) + " is used twice");
      }
      cred.secret = ResolveSecret(c, p);
      cred.description = OptionalString(c, p, "description").value_or("");

      switch (cred.kind) {
        case CredentialKind::kPassword: {
          const User& u = RequireUser(c, p);
          cred.user = u.username;
          cred.login_username = u.username;
          auto [it, inserted] = password_of_user.emplace(AsciiLower(u.username), cred.id);
          if (!inserted) {
            Throw(WorldErrorCode::kDuplicate, Child(p, "user"),
                  "user " + Quote(u.username) + " already has a password (credential " +
                      Quote(it->second) + ")");
          }
          break;
        }
        case CredentialKind::kPersonalAccessToken:
        case CredentialKind::kOAuthToken: {
          const User& u = RequireUser(c, p);
          cred.user = u.username;
          cred.login_username = u.username;
          break;
        }
        case CredentialKind::kProjectAccessToken: {
          const std::string path = RequiredString(c, p, "project");
          const Project* pr = w_.FindProject(path);
          if (pr == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, Child(p, "project"),
                  "no project " + Quote(path) + " in /projects");
          }
          cred.project = pr->path;
          cred.role = RequiredEnum(c, p, "role", kRoles);
          const int n = ++bots_per_owner["project:" + std::to_string(pr->id)];
          const std::size_t index = w_.project_by_id_.at(pr->id);
          cred.user =
              AddBot(c, p, "project_" + std::to_string(pr->id) + "_bot_" + std::to_string(n), cred,
                     w_.projects_[index].members);
          cred.login_username = cred.user;
          break;
        }
        case CredentialKind::kGroupAccessToken: {
          const std::string path = RequiredString(c, p, "group");
          const Group* g = w_.FindGroup(path);
          if (g == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, Child(p, "group"),
                  "no group " + Quote(path) + " in /groups");
          }
          cred.group = g->path;
          cred.role = RequiredEnum(c, p, "role", kRoles);
          const int n = ++bots_per_owner["group:" + std::to_string(g->id)];
          const std::size_t index = w_.group_by_id_.at(g->id);
          cred.user = AddBot(c, p, "group_" + std::to_string(g->id) + "_bot_" + std::to_string(n),
                             cred, w_.groups_[index].members);
          cred.login_username = cred.user;
          break;
        }
        case CredentialKind::kDeployToken:
        case CredentialKind::kGroupDeployToken: {
          if (cred.kind == CredentialKind::kDeployToken) {
            const std::string path = RequiredString(c, p, "project");
            const Project* pr = w_.FindProject(path);
            if (pr == nullptr) {
              Throw(WorldErrorCode::kDanglingReference, Child(p, "project"),
                    "no project " + Quote(path) + " in /projects");
            }
            cred.project = pr->path;
          } else {
            const std::string path = RequiredString(c, p, "group");
            const Group* g = w_.FindGroup(path);
            if (g == nullptr) {
              Throw(WorldErrorCode::kDanglingReference, Child(p, "group"),
                    "no group " + Quote(path) + " in /groups");
            }
            cred.group = g->path;
          }
          ++deploy_tokens;
          cred.login_username = "gitlab+deploy-token-" + std::to_string(deploy_tokens);
          if (auto u = OptionalString(c, p, "username")) {
            if (!ValidDeployUsername(*u)) {
              Throw(WorldErrorCode::kBadValue, Child(p, "username"),
                    "invalid deploy token username " + Quote(*u) + "; expected [A-Za-z0-9.+_-]+");
            }
            cred.login_username = *u;
          }
          break;
        }
        case CredentialKind::kJobToken: {
          const Json* job = Find(c, "job");
          if (job == nullptr) {
            Throw(WorldErrorCode::kMissingMember, Child(p, "job"),
                  "missing required member \"job\" (a job id from /jobs)");
          }
          const int64_t id = Integer(*job, Child(p, "job"));
          const Job* j = w_.FindJob(id);
          if (j == nullptr) {
            Throw(WorldErrorCode::kDanglingReference, Child(p, "job"),
                  "no job with id " + std::to_string(id) + " in /jobs");
          }
          cred.job = id;
          cred.project = j->project;
          cred.user = j->user.value_or("");
          cred.login_username = "gitlab-ci-token";  // Gitlab::Auth::CI_JOB_USER
          cred.jwt_expired = OptionalBool(c, p, "jwt_expired").value_or(false);
          break;
        }
      }

      const bool token =
          cred.kind != CredentialKind::kPassword && cred.kind != CredentialKind::kJobToken;
      if (token) {
        cred.scopes = LoadScopes(c, p, cred.kind);
        cred.revoked = OptionalBool(c, p, "revoked").value_or(false);
        cred.expires_at = LoadExpiry(c, p);
        const bool deploy = cred.kind == CredentialKind::kDeployToken ||
                            cred.kind == CredentialKind::kGroupDeployToken;
        if (deploy) {
          cred.name = RequiredString(c, p, "name");
          if (cred.name.empty()) {
            Throw(WorldErrorCode::kBadValue, Child(p, "name"), "expected a non-empty name");
          }
        } else {
          cred.name = OptionalString(c, p, "name").value_or("");
        }
      }
      if (cred.revoked) {
        cred.state = CredentialState::kRevoked;
      } else if (cred.jwt_expired) {
        cred.state = CredentialState::kExpired;
      } else if (cred.expires_at) {
        const int64_t day = DaysFromCivil(*cred.expires_at);
        cred.state = day < today_    ? CredentialState::kExpired
                     : day == today_ ? CredentialState::kExpiresToday
                                     : CredentialState::kActive;
      }

      auto [it, inserted] = w_.credential_by_secret_.emplace(cred.secret, w_.credentials_.size());
      if (!inserted) {
        Throw(WorldErrorCode::kDuplicate, Child(p, "secret"),
              "the secret is the same as credential " + Quote(w_.credentials_[it->second].id) +
                  "'s; every secret must be unique so that it identifies one credential");
      }
      w_.credential_by_id_.emplace(cred.id, w_.credentials_.size());
      w_.credentials_.push_back(std::move(cred));
    }
  }

  const WorldContext& ctx_;
  const WorldLimits& limits_;
  int64_t today_ = 0;
  World w_;
  std::unordered_map<std::string, std::string> routes_;     // lower-cased route → who holds it
  std::unordered_map<int64_t, std::string> namespace_ids_;  // users' namespace ids → whose
};

std::string_view Name(Visibility v) { return NameOf(kVisibilities, v); }
std::string_view Name(RegistryAccessLevel v) { return NameOf(kRegistryLevels, v); }
std::string_view Name(Role v) { return NameOf(kRoles, v); }
std::string_view Name(CredentialKind v) { return NameOf(kKinds, v); }
std::string_view Name(CredentialState v) { return NameOf(kStates, v); }
std::string_view Name(JobStatus v) { return NameOf(kJobStatuses, v); }
std::string_view Name(UserState v) { return NameOf(kUserStates, v); }
std::string_view Name(ProtectionLevel v) { return NameOf(kProtectionLevels, v); }
std::string_view Name(ProtectedContainers v) { return NameOf(kProtectedContainers, v); }

std::optional<Visibility> ParseVisibility(std::string_view s) {
  return ParseFrom(kVisibilities, s);
}
std::optional<RegistryAccessLevel> ParseRegistryAccessLevel(std::string_view s) {
  return ParseFrom(kRegistryLevels, s);
}
std::optional<Role> ParseRole(std::string_view s) { return ParseFrom(kRoles, s); }
std::optional<CredentialKind> ParseCredentialKind(std::string_view s) {
  return ParseFrom(kKinds, s);
}
std::optional<CredentialState> ParseCredentialState(std::string_view s) {
  return ParseFrom(kStates, s);
}
std::optional<JobStatus> ParseJobStatus(std::string_view s) { return ParseFrom(kJobStatuses, s); }
std::optional<UserState> ParseUserState(std::string_view s) { return ParseFrom(kUserStates, s); }

std::string_view CodeName(WorldErrorCode code) {
  switch (code) {
    case WorldErrorCode::kTooLarge:
      return "too_large";
    case WorldErrorCode::kSyntax:
      return "syntax";
    case WorldErrorCode::kDuplicateKey:
      return "duplicate_key";
    case WorldErrorCode::kUnknownMember:
      return "unknown_member";
    case WorldErrorCode::kMissingMember:
      return "missing_member";
    case WorldErrorCode::kWrongType:
      return "wrong_type";
    case WorldErrorCode::kBadEnumValue:
      return "bad_enum_value";
    case WorldErrorCode::kBadValue:
      return "bad_value";
    case WorldErrorCode::kDanglingReference:
      return "dangling_reference";
    case WorldErrorCode::kDuplicate:
      return "duplicate";
    case WorldErrorCode::kConstraint:
      return "constraint";
    case WorldErrorCode::kMissingEnvVar:
      return "missing_env_var";
  }
  return "unknown";
}

std::string DescribeWorldError(const WorldError& e) {
  std::string where = e.pointer.empty() ? std::string("(document)") : e.pointer;
  if (e.code == WorldErrorCode::kSyntax || e.code == WorldErrorCode::kDuplicateKey ||
      (e.code == WorldErrorCode::kTooLarge && e.pointer.empty())) {
    where = "byte " + std::to_string(e.offset);
  }
  return where + ": " + e.message + " (" + std::string(CodeName(e.code)) + ")";
}

Expected<World, WorldError> ParseWorld(std::string_view json_text, const WorldContext& ctx,
                                       const WorldLimits& limits) {
  JsonOptions options;
  options.limits.max_bytes = limits.max_bytes;
  options.limits.max_depth = limits.max_depth;
  auto doc = ParseJson(json_text, options);
  if (!doc) {
    WorldError e;
    e.offset = doc.error().offset;
    switch (doc.error().code) {
      case JsonError::kTooLarge:
        e.code = WorldErrorCode::kTooLarge;
        e.message = "world file larger than " + std::to_string(limits.max_bytes) + " bytes";
        break;
      case JsonError::kTooDeep:
        e.code = WorldErrorCode::kTooLarge;
        e.message = "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels";
        break;
      case JsonError::kDuplicateKey:
        e.code = WorldErrorCode::kDuplicateKey;
        e.message = "a JSON object repeats a member name";
        break;
      case JsonError::kNumberOverflow:
        e.code = WorldErrorCode::kSyntax;
        e.message = "a number is out of range";
        break;
      case JsonError::kSyntax:
      case JsonError::kNotObject:
        e.code = WorldErrorCode::kSyntax;
        e.message = "malformed JSON";
        break;
    }
    return Unexpected<WorldError>(std::move(e));
  }
  try {
    ExpandIdentityVariables(*doc, ctx, limits);
    WorldLoader loader(ctx, limits);
    return loader.Load(*doc);
  } catch (const Failure& f) {
    return Unexpected<WorldError>(f.error);
  }
}

CivilDate World::today() const { return CivilFromDays(FloorDiv(now_unix_, kSecondsPerDay)); }

namespace {
template <typename T, typename Map, typename Key>
const T* Lookup(const std::vector<T>& items, const Map& index, const Key& key) {
  auto it = index.find(key);
  return it == index.end() ? nullptr : &items[it->second];
}
}  // namespace

const User* World::FindUser(std::string_view username) const {
  return Lookup(users_, user_by_name_, AsciiLower(username));
}
const User* World::FindUserByEmail(std::string_view email) const {
  return Lookup(users_, user_by_email_, AsciiLower(email));
}
const Group* World::FindGroup(std::string_view path) const {
  return Lookup(groups_, group_by_path_, AsciiLower(path));
}
const Group* World::FindGroupById(int64_t id) const { return Lookup(groups_, group_by_id_, id); }
const Project* World::FindProject(std::string_view path) const {
  return Lookup(projects_, project_by_path_, AsciiLower(path));
}
const Project* World::FindProjectById(int64_t id) const {
  return Lookup(projects_, project_by_id_, id);
}
const Job* World::FindJob(int64_t id) const { return Lookup(jobs_, job_by_id_, id); }
const Credential* World::FindCredential(std::string_view id) const {
  return Lookup(credentials_, credential_by_id_, std::string(id));
}
const Credential* World::FindCredentialBySecret(std::string_view secret) const {
  return Lookup(credentials_, credential_by_secret_, std::string(secret));
}

const User* World::UserOf(const Credential& c) const {
  return c.user.empty() ? nullptr : FindUser(c.user);
}
const Job* World::JobOf(const Credential& c) const { return c.job ? FindJob(*c.job) : nullptr; }
const Project* World::ProjectOf(const Credential& c) const {
  return c.project.empty() ? nullptr : FindProject(c.project);
}
const Group* World::GroupOf(const Credential& c) const {
  return c.group.empty() ? nullptr : FindGroup(c.group);
}

std::vector<const Group*> World::AncestorGroups(std::string_view path) const {
  std::vector<const Group*> out;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos;
       slash = path.find('/', slash + 1)) {
    if (const Group* g = FindGroup(path.substr(0, slash))) out.push_back(g);
  }
  return out;
}

std::vector<const Project*> World::ProjectsUnder(std::string_view group_path) const {
  std::vector<const Project*> out;
  const Group* g = FindGroup(group_path);
  if (g == nullptr) return out;
  const std::string prefix = AsciiLower(g->path) + "/";
  for (const Project& p : projects_) {
    if (!p.personal && AsciiLower(p.path).starts_with(prefix)) out.push_back(&p);
  }
  return out;
}

std::optional<Role> World::DirectMembership(std::string_view username,
                                            std::string_view path) const {
  const std::vector<Member>* members = nullptr;
  if (const Project* p = FindProject(path)) {
    members = &p->members;
  } else if (const Group* g = FindGroup(path)) {
    members = &g->members;
  } else {
    return std::nullopt;
  }
  const std::string user = AsciiLower(username);
  for (const Member& m : *members) {
    if (AsciiLower(m.user) == user) return m.role;
  }
  return std::nullopt;
}

nlohmann::json CredentialsJson(const World& world) {
  nlohmann::json out = nlohmann::json::array();
  for (const Credential& c : world.Credentials()) {
    nlohmann::json scopes = nlohmann::json::array();
    for (const std::string& s : c.scopes) scopes.push_back(s);
    out.push_back({{"id", c.id},
                   {"kind", std::string(Name(c.kind))},
                   {"username", c.login_username},
                   {"secret", c.secret},
                   {"scopes", std::move(scopes)},
                   {"state", std::string(Name(c.state))}});
  }
  return out;
}

}  // namespace regauth::protocol
