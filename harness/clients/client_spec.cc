#include "harness/clients/client_spec.h"

#include <algorithm>
#include <filesystem>

#include "harness/suite/refs.h"

namespace regauth::harness::clients {
namespace {

using nlohmann::json;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  auto ok = [](char c, bool first) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           (!first && (c == '.' || c == '_' || c == '-'));
  };
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!ok(name[i], i == 0)) return false;
  }
  return true;
}

// Placeholders checks every ${NAME} of `text` (and refuses an unterminated "${").
bool Placeholders(DataReader& r, std::string_view text, const std::string& pointer) {
  if (FindUnterminatedRef(text)) {
    return r.Fail(LoadErrorCode::kBadValue, pointer, "\"${\" without its closing \"}\"");
  }
  const auto& known = ClientPlaceholders();
  bool ok = true;
  ForEachRef(text, [&](std::string_view inner) {
    if (ok && std::find(known.begin(), known.end(), inner) == known.end()) {
      std::vector<std::string_view> names(known.begin(), known.end());
      ok = r.Fail(LoadErrorCode::kUnknownName, pointer,
                  "unknown placeholder ${" + std::string(inner) + "}; known: " + JoinNames(names));
    }
  });
  return ok;
}

bool StringMap(DataReader& r, const json& doc, const std::string& ptr, std::string_view member,
               std::vector<std::pair<std::string, std::string>>* out) {
  auto it = doc.find(member);
  if (it == doc.end()) return true;
  const std::string p = PointerAppend(ptr, member);
  if (!r.IsObject(*it, p)) return false;
  for (const auto& [k, v] : it->items()) {
    std::string value;
    if (!r.String(v, PointerAppend(p, k), &value, true) ||
        !Placeholders(r, value, PointerAppend(p, k))) {
      return false;
    }
    out->emplace_back(k, value);
  }
  return true;
}

bool Command(DataReader& r, const json& v, const std::string& p, ClientCommand* out) {
  if (!r.Object(v, p, {"args", "stdin"})) return false;
  if (!v.contains("args")) return r.Fail(LoadErrorCode::kMissingMember, p + "/args", "missing");
  if (!r.StringList(v["args"], PointerAppend(p, "args"), &out->args) ||
      !r.OptionalString(v, p, "stdin", &out->stdin_text, true)) {
    return false;
  }
  if (out->args.empty()) return r.Fail(LoadErrorCode::kBadValue, p + "/args", "an empty argv");
  for (std::size_t i = 0; i < out->args.size(); ++i) {
    if (!Placeholders(r, out->args[i], PointerAppend(PointerAppend(p, "args"), i))) return false;
  }
  return Placeholders(r, out->stdin_text, PointerAppend(p, "stdin"));
}

bool Operations(DataReader& r, const json& doc, ClientSpec* spec) {
  auto it = doc.find("operations");
  if (it == doc.end()) return r.Fail(LoadErrorCode::kMissingMember, "", "missing \"operations\"");
  if (!r.Object(*it, "/operations", {"login", "pull", "push"})) return false;
  for (const auto& [op, list] : it->items()) {
    const std::string p = PointerAppend("/operations", op);
    if (!r.IsArray(list, p)) return false;
    if (list.empty()) return r.Fail(LoadErrorCode::kBadValue, p, "an operation needs a command");
    ClientCommandList commands;
    for (std::size_t i = 0; i < list.size(); ++i) {
      ClientCommand c;
      if (!Command(r, list[i], PointerAppend(p, i), &c)) return false;
      commands.push_back(std::move(c));
    }
    spec->operations.emplace(op, std::move(commands));
  }
  auto un = doc.find("unsupported");
  if (un == doc.end()) return true;
  if (!r.Object(*un, "/unsupported", {"login", "pull", "push"})) return false;
  for (const auto& [op, why] : un->items()) {
    std::string reason;
    if (!r.String(why, PointerAppend("/unsupported", op), &reason)) return false;
    if (spec->operations.count(op) != 0) {
      return r.Fail(LoadErrorCode::kConflict, PointerAppend("/unsupported", op),
                    "\"" + op + "\" is both an operation and unsupported");
    }
    spec->unsupported.emplace(op, reason);
  }
  return true;
}

bool Extras(DataReader& r, const json& doc, ClientSpec* spec) {
  if (auto it = doc.find("daemon"); it != doc.end()) {
    ClientDaemon d;
    if (!r.Object(*it, "/daemon", {"executable", "args", "ready_path"}) ||
        !r.RequiredString(*it, "/daemon", "executable", &d.executable) ||
        !r.OptionalStringList(*it, "/daemon", "args", &d.args) ||
        !r.RequiredString(*it, "/daemon", "ready_path", &d.ready_path) ||
        !Placeholders(r, d.executable, "/daemon/executable") ||
        !Placeholders(r, d.ready_path, "/daemon/ready_path")) {
      return false;
    }
    for (std::size_t i = 0; i < d.args.size(); ++i) {
      if (!Placeholders(r, d.args[i], PointerAppend("/daemon/args", i))) return false;
    }
    spec->daemon = std::move(d);
  }
  if (auto it = doc.find("files"); it != doc.end()) {
    if (!r.IsArray(*it, "/files")) return false;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string p = PointerAppend("/files", i);
      ClientFile f;
      if (!r.Object((*it)[i], p, {"path", "content"}) ||
          !r.RequiredString((*it)[i], p, "path", &f.path) ||
          !r.RequiredString((*it)[i], p, "content", &f.content, true) ||
          !Placeholders(r, f.path, p + "/path") || !Placeholders(r, f.content, p + "/content")) {
        return false;
      }
      if (!f.path.starts_with("${WORK_DIR}/")) {
        return r.Fail(LoadErrorCode::kBadValue, p + "/path",
                      "files are written under ${WORK_DIR}/ only");
      }
      spec->files.push_back(std::move(f));
    }
  }
  if (auto it = doc.find("requires"); it != doc.end()) {
    if (!r.IsArray(*it, "/requires")) return false;
    for (std::size_t i = 0; i < it->size(); ++i) {
      const std::string p = PointerAppend("/requires", i);
      ClientRequirement q;
      if (!r.Object((*it)[i], p, {"path", "reason"}) ||
          !r.RequiredString((*it)[i], p, "path", &q.path) ||
          !r.RequiredString((*it)[i], p, "reason", &q.reason) ||
          !Placeholders(r, q.path, p + "/path")) {
        return false;
      }
      spec->requires_paths.push_back(std::move(q));
    }
  }
  return true;
}

}  // namespace

const ClientCommandList* ClientSpec::Operation(std::string_view op) const {
  auto it = operations.find(op);
  return it == operations.end() ? nullptr : &it->second;
}

const std::vector<std::string_view>& ClientPlaceholders() {
  static const std::vector<std::string_view> names = {
      "REGISTRY", "REGISTRY_URL", "SCHEME",  "REPOSITORY", "TAG",        "IMAGE",     "USERNAME",
      "PASSWORD", "WORK_DIR",     "CA_FILE", "TLS_VERIFY", "PLAIN_HTTP", "CLIENT_DIR"};
  return names;
}

LoadResult<ClientSpec> LoadClientSpec(const std::string& path) {
  auto text = ReadTextFile(path, 256 * 1024);
  if (!text) return protocol::Unexpected<LoadError>(text.error());
  auto doc = ParseDataFile(*text, path);
  if (!doc) return protocol::Unexpected<LoadError>(doc.error());
  DataReader r(path);
  ClientSpec spec;
  spec.file = path;
  spec.dir = std::filesystem::absolute(std::filesystem::path(path)).parent_path().string();
  const bool ok = r.Object(*doc, "",
                           {"name", "title", "executable", "version_args", "env", "ca_env",
                            "requires", "daemon", "files", "operations", "unsupported", "notes"}) &&
                  r.RequiredString(*doc, "", "name", &spec.name) &&
                  r.RequiredString(*doc, "", "title", &spec.title) &&
                  r.RequiredString(*doc, "", "executable", &spec.executable) &&
                  Placeholders(r, spec.executable, "/executable") &&
                  r.OptionalStringList(*doc, "", "version_args", &spec.version_args) &&
                  StringMap(r, *doc, "", "env", &spec.env) &&
                  StringMap(r, *doc, "", "ca_env", &spec.ca_env) &&
                  r.OptionalString(*doc, "", "notes", &spec.notes) && Operations(r, *doc, &spec) &&
                  Extras(r, *doc, &spec);
  if (!ok) return protocol::Unexpected<LoadError>(r.error());
  if (!ValidName(spec.name)) {
    return MakeLoadError(LoadErrorCode::kBadValue, path, "/name",
                         "a client name is [a-z0-9][a-z0-9._-]*, at most 64 characters");
  }
  if (spec.name == "regauth") {
    return MakeLoadError(LoadErrorCode::kConflict, path, "/name",
                         "\"regauth\" is the built-in client (the runner's own HTTP client)");
  }
  return spec;
}

LoadResult<std::vector<ClientSpec>> LoadClientSpecs(const std::string& dir) {
  auto files = ListJsonFiles(dir);
  if (!files) return protocol::Unexpected<LoadError>(files.error());
  std::vector<ClientSpec> out;
  for (const std::string& f : *files) {
    auto spec = LoadClientSpec(f);
    if (!spec) return protocol::Unexpected<LoadError>(spec.error());
    for (const ClientSpec& other : out) {
      if (other.name == spec->name) {
        return MakeLoadError(LoadErrorCode::kDuplicate, f, "/name",
                             "client \"" + spec->name + "\" is also described by " + other.file);
      }
    }
    out.push_back(std::move(*spec));
  }
  return out;
}

std::string ExpandPlaceholders(std::string_view text,
                               const std::map<std::string, std::string, std::less<>>& values) {
  auto out = ExpandRefs<std::string>(
      text,
      [&](std::string_view inner) -> protocol::Expected<std::optional<std::string>, std::string> {
        auto it = values.find(inner);
        if (it == values.end()) return std::optional<std::string>();
        return std::optional<std::string>(it->second);
      });
  return out ? *out : std::string(text);
}

}  // namespace regauth::harness::clients
