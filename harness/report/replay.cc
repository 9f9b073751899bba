#include "harness/report/replay.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <vector>

#include "harness/execute/steps.h"
#include "harness/safety/redact.h"
#include "protocol/base64.h"
#include "protocol/json.h"
#include "reports/results.h"

namespace regauth::harness {
namespace {

using Json = nlohmann::json;

std::string Str(const Json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// Comment renders text for a "# …" line: control bytes (a newline would end the comment and
// start a command) become spaces. results.json may come from anywhere; nothing read from it
// reaches the script unquoted.
std::string Comment(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = ' ';
  }
  return out;
}

// Inert renders text placed inside a double-quoted word (the message of ${VAR:?message}):
// only characters with no meaning to the shell there survive.
std::string Inert(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       std::string_view("._:@+-/= ,()").find(c) != std::string_view::npos;
    out += plain ? c : '_';
  }
  return out;
}

bool IsJwtChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.' || c == '=';
}

// Word is a shell word under construction: literal text single-quoted, expressions spliced in.
class Word {
 public:
  Word& Literal(std::string_view s) {
    if (!s.empty()) out_ += ShellQuote(s);
    return *this;
  }
  Word& Expr(std::string_view e) {
    out_ += e;
    return *this;
  }
  std::string str() const { return out_.empty() ? "''" : out_; }

 private:
  std::string out_;
};

class ScriptBuilder {
 public:
  ScriptBuilder(const Json& results, const Json& c, const ReplayOptions& options)
      : results_(results), case_(c), options_(options) {}

  protocol::Expected<std::string, std::string> Build() {
    const Json& exchanges = case_.value("exchanges", Json::array());
    for (std::size_t i = 0; i < exchanges.size(); ++i) {
      if (auto err = Exchange(exchanges[i], i + 1)) return protocol::Unexpected<std::string>(*err);
    }
    if (case_.contains("tools") && case_["tools"].is_array()) {
      body_ << "\n# client_tool runs of this case (not replayed by curl; secrets redacted):\n";
      for (const auto& t : case_["tools"]) {
        std::string line;
        if (t.contains("argv") && t["argv"].is_array()) {
          for (const auto& a : t["argv"]) {
            if (a.is_string()) line += (line.empty() ? "" : " ") + ShellQuote(a.get<std::string>());
          }
        }
        body_ << "#   " << Comment(line) << "   # exit " << t.value("exit_code", -1) << "\n";
      }
    }
    return Header() + body_.str();
  }

 private:
  std::string Header() const {
    std::ostringstream h;
    const Json& target = results_.value("target", Json::object());
    const Json& run = results_.value("run", Json::object());
    h << "#!/bin/sh\n";
    h << "# regauth replay of " << Comment(Str(case_, "id")) << "\n";
    h << "# " << Comment(Str(case_, "title")) << "\n";
    h << "# verdict " << Comment(Str(case_, "verdict")) << " (expected "
      << Comment(Str(case_, "expected_verdict")) << "), recorded "
      << Comment(Str(run, "started_at")) << " against " << Comment(Str(target, "kind")) << " "
      << Comment(Str(target, "registry_url")) << "\n";
    h << "# The target must answer at the recorded URLs (a reference target listens on ephemeral\n"
         "# ports: start it again and adjust the URLs). Redirects are not followed, as in the "
         "run.\n";
    if (options_.show_secrets) {
      h << "# WARNING: generated with --show-secrets: this script contains credentials.\n";
    }
    h << "set -u\n";
    // Each response's headers and body go to files of a private directory: capturing a body in
    // $(…) while curl wrote headers to /dev/stderr truncated a redirected stderr (one response's
    // headers survived), and the files let POSIX sed read the tokens.
    h << "regauth_tmp=${TMPDIR:-/tmp}/regauth-replay.$$\n"
         "mkdir -m 700 \"$regauth_tmp\" || exit 1\n"
         "trap 'rm -rf \"$regauth_tmp\"' EXIT\n"
         "trap 'exit 1' HUP INT TERM\n";
    if (need_json_) {
      h << "# regauth_json_string NAME: the string member NAME of the JSON on stdin (a token has "
           "no\n"
           "# escapes; a value with escapes gives \"\")\n"
           "regauth_json_string() { sed -n 's/.*\"'\"$1\"'\"[[:space:]]*:[[:space:]]*"
           "\"\\([^\"\\\\]*\\)\".*/\\1/p' | head -n 1; }\n"
           "# regauth_token FILE: access_token, else token, of a token response (as distribution's "
           "client)\n"
           "regauth_token() { t=$(regauth_json_string access_token < \"$1\"); "
           "[ -n \"$t\" ] || t=$(regauth_json_string token < \"$1\"); printf '%s' \"$t\"; }\n";
    }
    if (need_wrong_) {
      h << "# wrong_secret: the last character changed, exactly as the runner does it\n"
           "regauth_wrong() { s=$1; l=${s#\"${s%?}\"}; if [ \"$l\" = x ]; then printf '%sy' "
           "\"${s%?}\"; else printf '%sx' \"${s%?}\"; fi; }\n";
    }
    if (need_urlencode_) {
      // Go's url.QueryEscape (harness QueryEscape): unreserved bytes kept, space as '+', the
      // rest %XX; od(1) and printf(1) are POSIX.
      h << "regauth_urlencode() {\n"
           "  for h in $(printf '%s' \"$1\" | od -An -v -tx1); do\n"
           "    case $h in\n"
           "      3[0-9]|4[1-9a-f]|5[0-9a]|6[1-9a-f]|7[0-9a]|2d|2e|5f|7e)\n"
           "        printf \"\\\\$(printf '%03o' $((0x$h)))\" ;;\n"
           "      20) printf '+' ;;\n"
           "      *) printf '%%%s' \"$h\" | tr 'abcdef' 'ABCDEF' ;;\n"
           "    esac\n"
           "  done\n"
           "}\n";
    }
    for (const auto& line : requirements_) h << line << "\n";
    return h.str();
  }

  // SecretExpr is a double-quoted shell expression for the (possibly mutated) secret of a
  // credential, or the quoted literal with --show-secrets.
  protocol::Expected<std::string, std::string> SecretExpr(const Json& cred) {
    const std::string id = Str(cred, "id");
    const bool wrong = Str(cred, "mutation") == "wrong_secret";
    if (options_.show_secrets) {
      const protocol::Credential* c =
          options_.world != nullptr ? options_.world->FindCredential(id) : nullptr;
      if (c == nullptr) {
        return protocol::Unexpected<std::string>("credential '" + id +
                                                 "' is not in the world given with --world");
      }
      return ShellQuote(wrong ? MutatedSecret(*c, *options_.world) : c->secret);
    }
    auto it = secret_vars_.find(id);
    if (it == secret_vars_.end()) {
      const std::string var = "REGAUTH_SECRET_" + std::to_string(secret_vars_.size() + 1);
      it = secret_vars_.emplace(id, var).first;
      requirements_.push_back(": \"${" + var + ":?set it to the secret of world credential " +
                              Inert(id) + "}\"");
    }
    if (wrong) {
      need_wrong_ = true;
      return "\"$(regauth_wrong \"$" + it->second + "\")\"";
    }
    return "\"$" + it->second + "\"";
  }

  // Encoded returns the URL-encoded form of a secret expression.
  std::string Encoded(const std::string& expr, const Json& cred) {
    if (options_.show_secrets) {
      const protocol::Credential* c = options_.world->FindCredential(Str(cred, "id"));
      const bool wrong = Str(cred, "mutation") == "wrong_secret";
      return ShellQuote(QueryEscape(wrong ? MutatedSecret(*c, *options_.world) : c->secret));
    }
    need_urlencode_ = true;
    return "\"$(regauth_urlencode " + expr + ")\"";
  }

  // Splice replaces markers in `text`: «redacted» after "refresh_token=" with the last refresh
  // token, other «redacted» with the single credential's (encoded) secret; returns the word.
  std::string Splice(std::string_view text, const Json& creds, bool url_encoded,
                     std::vector<std::string>* notes) {
    Word w;
    std::size_t pos = 0;
    while (true) {
      const std::size_t m = text.find(kRedacted, pos);
      if (m == std::string_view::npos) break;
      w.Literal(text.substr(pos, m - pos));
      const std::string_view before = text.substr(0, m);
      if (before.ends_with("refresh_token=") && !last_refresh_.empty()) {
        w.Expr("\"$" + last_refresh_ + "\"");
      } else if (creds.is_array() && creds.size() == 1) {
        auto expr = SecretExpr(creds[0]);
        std::string e = expr ? *expr : std::string(kRedacted);
        w.Expr(url_encoded && expr ? Encoded(e, creds[0]) : e);
      } else {
        w.Literal(kRedacted);
        notes->push_back("a redacted value could not be attributed to one credential");
      }
      pos = m + kRedacted.size();
    }
    w.Literal(text.substr(pos));
    return w.str();
  }

  // HeaderWord renders one request header for -H.
  std::string HeaderWord(const std::string& name, const std::string& value, const Json& creds,
                         std::vector<std::string>* notes) {
    const bool auth = name.size() == 13 && (name[0] == 'A' || name[0] == 'a') &&
                      std::equal(name.begin(), name.end(), "Authorization",
                                 [](char a, char b) { return (a | 0x20) == (b | 0x20); });
    if (auth) {
      const std::string_view v = value;
      const std::size_t sp = v.find_first_of(" \t");
      const std::string_view scheme = v.substr(0, sp);
      if ((scheme == "Basic" || scheme == "basic") &&
          v.find("«redacted user=") != std::string::npos && creds.is_array() && creds.size() == 1) {
        const std::string user = Str(creds[0], "username");
        const std::string sep(v.substr(sp, v.find_first_not_of(" \t", sp) - sp));
        auto secret = SecretExpr(creds[0]);
        if (secret) {
          if (options_.show_secrets) {
            // SecretExpr succeeded, so the credential exists in the world.
            const protocol::Credential* c = options_.world->FindCredential(Str(creds[0], "id"));
            const bool wrong = Str(creds[0], "mutation") == "wrong_secret";
            const std::string real = wrong ? MutatedSecret(*c, *options_.world) : c->secret;
            return ShellQuote(name + ": " + std::string(scheme) + sep +
                              protocol::Base64Encode(user + ":" + real));
          }
          return Word()
              .Literal(name + ": " + std::string(scheme) + sep)
              .Expr("\"$(printf '%s:%s' " + ShellQuote(user) + " " + *secret +
                    " | base64 | tr -d '\\n')\"")
              .str();
        }
      }
      const std::size_t sig = v.find(kRedactedSignature);
      if (sig != std::string_view::npos) {
        std::size_t start = sig;
        while (start > 0 && IsJwtChar(v[start - 1])) --start;
        const std::string prefix(v.substr(start, sig - start));
        std::string var;
        for (const auto& [p, name_of_var] : tokens_) {
          if (p == prefix) var = name_of_var;
        }
        if (var.empty()) {
          var = "REDACTED_TOKEN_" + std::to_string(++redacted_);
          requirements_.push_back(
              ": \"${" + var + ":?set it to the token whose header.payload is " +
              prefix.substr(0, 120) +
              " (its signature is redacted in results.json and no earlier response of this "
              "case delivered it)}\"");
          tokens_.emplace_back(prefix, var);
        }
        return Word()
            .Literal(name + ": " + std::string(v.substr(0, start)))
            .Expr("\"$" + var + "\"")
            .Literal(v.substr(sig + kRedactedSignature.size()))
            .str();
      }
    }
    if (value.find(kRedacted) != std::string::npos) {
      return Splice(name + ": " + value, creds, false, notes);
    }
    if (value.find("«redacted") != std::string::npos) {
      notes->push_back("the " + name + " header was redacted and cannot be rebuilt");
    }
    return ShellQuote(name + ": " + value);
  }

  std::optional<std::string> Exchange(const Json& ex, std::size_t n) {
    const Json& req = ex.value("request", Json::object());
    const Json& creds = ex.contains("credentials") ? ex["credentials"] : Json();
    std::vector<std::string> notes;
    const std::string method = Str(req, "method");
    body_ << "\n# [" << n << "] " << Comment(Str(ex, "step")) << ": " << Comment(method) << " "
          << Comment(Str(req, "url").substr(0, 200));
    const Json& res = ex.contains("response") ? ex["response"] : Json();
    if (res.is_object()) {
      body_ << " → " << res.value("status", 0) << " (recorded)\n";
    } else {
      body_ << " → no response (recorded: " << Comment(Str(ex, "error")) << ")\n";
    }
    const std::string headers_file = "\"$regauth_tmp/headers_" + std::to_string(n) + "\"";
    const std::string body_file = "\"$regauth_tmp/body_" + std::to_string(n) + "\"";
    std::string cmd = "curl -sS -g --path-as-is -D " + headers_file + " -o " + body_file;
    if (method == "HEAD") {
      cmd += " --head";
    } else {
      cmd += " -X " + ShellQuote(method);
    }
    cmd += " " + Splice(Str(req, "url"), creds, true, &notes);
    if (req.contains("headers") && req["headers"].is_array()) {
      for (const auto& h : req["headers"]) {
        if (!h.is_array() || h.size() != 2 || !h[0].is_string() || !h[1].is_string()) continue;
        cmd += " \\\n  -H " +
               HeaderWord(h[0].get<std::string>(), h[1].get<std::string>(), creds, &notes);
      }
    }
    const std::string body = Str(req, "body");
    std::string prefix;
    if (!body.empty()) {
      // printf(1) reproduces any byte; secrets are spliced in as %s arguments.
      std::string format;
      std::vector<std::string> args;
      std::size_t pos = 0;
      while (true) {
        const std::size_t m = body.find(kRedacted, pos);
        if (m == std::string::npos) break;
        format += PrintfFormat(std::string_view(body).substr(pos, m - pos)) + "%s";
        const std::string_view before = std::string_view(body).substr(0, m);
        if (before.ends_with("refresh_token=") && !last_refresh_.empty()) {
          args.push_back("\"$" + last_refresh_ + "\"");
        } else if (creds.is_array() && creds.size() == 1) {
          auto expr = SecretExpr(creds[0]);
          if (!expr) return expr.error();
          args.push_back(Encoded(*expr, creds[0]));
        } else {
          args.push_back(ShellQuote(kRedacted));
          notes.push_back("a redacted value in the body could not be attributed");
        }
        pos = m + kRedacted.size();
      }
      format += PrintfFormat(std::string_view(body).substr(pos));
      prefix = "printf " + ShellQuote(format);
      for (const auto& a : args) prefix += " " + a;
      prefix += " | ";
      cmd += " \\\n  --data-binary @-";
    }
    for (const auto& note : notes) body_ << "# note: " << Comment(note) << "\n";
    // Capture the tokens a successful answer carries, for the requests that use them.
    std::string capture_var;
    std::vector<std::pair<std::string, std::string>> new_tokens;
    std::string refresh_var;
    if (res.is_object() && res.value("status", 0) == 200) {
      auto doc = protocol::ParseJson(Str(res, "body"), protocol::JsonOptions{{}, true});
      if (doc && doc->is_object()) {
        for (const char* key : {"access_token", "token"}) {
          const std::string t = doc->contains(key) && (*doc)[key].is_string()
                                    ? (*doc)[key].get<std::string>()
                                    : std::string();
          const std::size_t sig = t.find(kRedactedSignature);
          if (sig == std::string::npos && t.find(kRedacted) == std::string::npos) continue;
          if (capture_var.empty()) capture_var = "TOKEN_" + std::to_string(++token_count_);
          if (sig != std::string::npos) new_tokens.emplace_back(t.substr(0, sig), capture_var);
        }
        if (doc->contains("refresh_token") && (*doc)["refresh_token"].is_string()) {
          refresh_var = "REFRESH_" + std::to_string(++refresh_count_);
        }
      }
    }
    // The response as `curl -i` shows it: headers, then body, on stdout.
    body_ << prefix << cmd << "\ncat " << headers_file << " " << body_file
          << " 2>/dev/null; echo\n";
    if (!capture_var.empty()) {
      need_json_ = true;
      body_ << capture_var << "=$(regauth_token " << body_file << ")\n";
      for (auto& t : new_tokens) tokens_.push_back(std::move(t));
    }
    if (!refresh_var.empty()) {
      need_json_ = true;
      body_ << refresh_var << "=$(regauth_json_string refresh_token < " << body_file << ")\n";
      last_refresh_ = refresh_var;
    }
    return std::nullopt;
  }

  const Json& results_;
  const Json& case_;
  const ReplayOptions& options_;
  std::ostringstream body_;
  std::vector<std::string> requirements_;
  std::map<std::string, std::string> secret_vars_;           // credential id → variable
  std::vector<std::pair<std::string, std::string>> tokens_;  // header.payload. → variable
  std::string last_refresh_;
  int token_count_ = 0;
  int refresh_count_ = 0;
  int redacted_ = 0;
  bool need_wrong_ = false;
  bool need_urlencode_ = false;
  bool need_json_ = false;
};

}  // namespace

std::string ShellQuote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += "'";
  return out;
}

std::string PrintfFormat(std::string_view s) {
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '%') {
      out += "%%";
    } else if (ch == '\\') {
      out += "\\\\";
    } else if (c < 0x20 || c >= 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\%03o", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out;
}

protocol::Expected<nlohmann::json, std::string> LoadResults(const std::string& path) {
  std::string file = path;
  if (!file.ends_with(".json")) file += "/results.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) return protocol::Unexpected<std::string>(file + ": cannot be read");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  protocol::JsonOptions o;
  o.limits.max_bytes = std::size_t{1} << 31;
  o.limits.max_depth = 64;
  auto doc = protocol::ParseJson(text, o);
  if (!doc) {
    return protocol::Unexpected<std::string>(file + ": not JSON (" +
                                             std::string(CodeName(doc.error().code)) + " at byte " +
                                             std::to_string(doc.error().offset) + ")");
  }
  if (auto s = reports::ValidateResults(*doc); !s) {
    return protocol::Unexpected<std::string>(file + ": " + s.error().Describe());
  }
  return std::move(*doc);
}

protocol::Expected<std::string, std::string> RenderReplay(const nlohmann::json& results,
                                                          std::string_view case_id,
                                                          const ReplayOptions& options) {
  if (options.show_secrets && options.world == nullptr) {
    return protocol::Unexpected<std::string>("--show-secrets needs --world FILE");
  }
  const Json& cases = results.value("cases", Json::array());
  for (const auto& c : cases) {
    if (c.is_object() && Str(c, "id") == case_id) {
      try {
        ScriptBuilder b(results, c, options);
        return b.Build();
      } catch (const nlohmann::json::exception&) {
        // Only a document that skipped LoadResults' validation gets here.
        return protocol::Unexpected<std::string>("case '" + std::string(case_id) +
                                                 "' is malformed in these results");
      }
    }
  }
  return protocol::Unexpected<std::string>("no case '" + std::string(case_id) +
                                           "' in these results");
}

}  // namespace regauth::harness
