#include "harness/netfuzz/request.h"

#include <string_view>

#include "harness/safety/redact.h"
#include "protocol/ascii.h"
#include "protocol/base64.h"

namespace regauth::harness::netfuzz {
namespace {

constexpr std::string_view kAppend = "append:";
constexpr std::string_view kSwapClaims = "swap_claims:";

// ForgeWithStep runs the suite's forge_token step (harness/steps.h) on a throwaway case state.
protocol::Expected<std::string, std::string> ForgeWithStep(const ForgeTokenStep& p,
                                                           const RunContext& ctx) {
  Step step;
  step.kind = StepKind::kForgeToken;
  step.params = p;
  step.save_as = "t";
  // One case state per thread: it owns a curl handle the forge step never uses.
  thread_local CaseState state{net::ClientOptions{}};
  StepResult r = RunStep(step, ctx, state);
  if (r.skip) return protocol::Unexpected(*r.skip);
  if (r.error) return protocol::Unexpected(*r.error);
  if (r.stop) return protocol::Unexpected(*r.stop);
  return r.output.token.value_or("");
}

// SwapClaims replaces the payload segment of a compact token, keeping header and signature.
std::string SwapClaims(const std::string& token, std::string_view claims_json) {
  const auto first = token.find('.');
  if (first == std::string::npos) return token;
  const auto second = token.find('.', first + 1);
  const std::string tail = second == std::string::npos ? "" : token.substr(second);
  return token.substr(0, first + 1) + protocol::Base64UrlEncode(claims_json) + tail;
}

}  // namespace

std::string_view FamilyName(Family f) {
  switch (f) {
    case Family::kToken:
      return "token";
    case Family::kRegistry:
      return "registry";
    case Family::kRaw:
      return "raw";
  }
  return "?";
}

std::string ApplyTokenEdit(std::string token, std::string_view edit) {
  if (edit.starts_with(kSwapClaims)) return SwapClaims(token, edit.substr(kSwapClaims.size()));
  if (edit.starts_with(kAppend)) return token + std::string(edit.substr(kAppend.size()));
  if (edit == "drop_signature_segment") {
    const auto last = token.rfind('.');
    return last == std::string::npos ? token : token.substr(0, last);
  }
  if (edit == "extra_segment") return token + ".e30";
  if (edit == "bad_base64_char") {
    const auto first = token.find('.');
    if (first != std::string::npos && first > 2) token[first / 2] = '*';
    return token;
  }
  if (edit == "truncate_signature") {
    return token.size() > 10 ? token.substr(0, token.size() - 7) : token;
  }
  if (edit == "only_dots") return "..";
  if (edit == "empty") return "";
  return token;
}

std::string ApplyAuthEdit(std::string value, std::string_view edit) {
  const auto space = value.find(' ');
  const std::string scheme = space == std::string::npos ? value : value.substr(0, space);
  const std::string rest = space == std::string::npos ? "" : value.substr(space + 1);
  if (edit == "scheme_upper") return protocol::AsciiUpper(scheme) + " " + rest;
  if (edit == "scheme_lower") return protocol::AsciiLower(scheme) + " " + rest;
  if (edit == "double_space") return scheme + "  " + rest;
  if (edit == "tab_separator") return scheme + "\t" + rest;
  if (edit == "trailing_space") return value + " ";
  if (edit == "no_separator") return scheme + rest;
  if (edit == "scheme_only") return scheme;
  if (edit == "swap_scheme") return (scheme == "Basic" ? "Bearer " : "Basic ") + rest;
  if (edit == "drop_padding") {
    while (!value.empty() && value.back() == '=') value.pop_back();
    return value;
  }
  if (edit == "extra_padding") return value + "==";
  if (edit == "url_alphabet") {
    for (std::size_t i = space == std::string::npos ? 0 : space + 1; i < value.size(); ++i) {
      if (value[i] == '+') value[i] = '-';
      if (value[i] == '/') value[i] = '_';
    }
    return value;
  }
  if (edit == "invalid_base64_char") {
    if (space != std::string::npos && space + 2 < value.size()) value[space + 2] = '!';
    return value;
  }
  if (edit == "truncate_credentials") {
    return value.size() > space + 4 ? value.substr(0, value.size() - 3) : value;
  }
  if (edit == "non_canonical_bits") {
    // Change the last base64 character before the padding by one: the decoded bytes stay the
    // same under a lenient decoder when only unused bits change.
    std::size_t i = value.find('=');
    if (i == std::string::npos) i = value.size();
    if (i > space + 1 && i > 0) {
      char& c = value[i - 1];
      c = c == 'A' ? 'B' : (c == 'Q' ? 'R' : static_cast<char>(c | 1));
    }
    return value;
  }
  return value;
}

std::string ApplyRawEdit(std::string bytes, std::string_view edit) {
  const auto eol = bytes.find("\r\n");
  const auto end = bytes.find("\r\n\r\n");
  if (eol == std::string::npos || end == std::string::npos) return bytes;
  const std::string line = bytes.substr(0, eol);
  const std::string head_rest = bytes.substr(eol + 2, end - eol - 2);  // header lines
  const std::string body = bytes.substr(end + 4);
  auto rebuild = [&](const std::string& l, const std::string& h, const std::string& b) {
    return l + "\r\n" + h + "\r\n\r\n" + b;
  };
  if (edit == "bare_lf") {
    std::string out;
    for (std::size_t i = 0; i < bytes.size(); ++i) {
      if (bytes[i] == '\r' && i + 1 < bytes.size() && bytes[i + 1] == '\n') continue;
      out.push_back(bytes[i]);
    }
    return out;
  }
  if (edit == "cl_te") {
    return rebuild(line, head_rest + "\r\nContent-Length: 4\r\nTransfer-Encoding: chunked",
                   "0\r\n\r\n");
  }
  if (edit == "two_content_lengths") {
    return rebuild(line, head_rest + "\r\nContent-Length: 0\r\nContent-Length: 5", "hello");
  }
  if (edit == "chunk_size_overflow") {
    return rebuild(line, head_rest + "\r\nTransfer-Encoding: chunked",
                   "fffffffffffffffffffff\r\nx\r\n0\r\n\r\n");
  }
  if (edit == "obs_fold") {
    return rebuild(line, head_rest + "\r\nX-Folded: a\r\n b", body);
  }
  if (edit == "hundred_headers") {
    std::string h = head_rest;
    for (int i = 0; i < 100; ++i) h += "\r\nX-Netfuzz-" + std::to_string(i) + ": " + "v";
    return rebuild(line, h, body);
  }
  if (edit == "leading_crlf") return "\r\n\r\n" + bytes;
  if (edit == "lowercase_method") {
    const auto sp = line.find(' ');
    if (sp == std::string::npos) return bytes;
    return rebuild(protocol::AsciiLower(line.substr(0, sp)) + line.substr(sp), head_rest, body);
  }
  if (edit == "double_space_request_line") {
    std::string l = line;
    if (const auto sp = l.find(' '); sp != std::string::npos) l.insert(sp, " ");
    return rebuild(l, head_rest, body);
  }
  if (edit == "http_version_2_0") {
    std::string l = line;
    if (const auto v = l.rfind("HTTP/1.1"); v != std::string::npos) l.replace(v, 8, "HTTP/2.0");
    return rebuild(l, head_rest, body);
  }
  if (edit == "missing_version") {
    std::string l = line;
    if (const auto sp = l.rfind(' '); sp != std::string::npos) l.resize(sp);
    return rebuild(l, head_rest, body);
  }
  if (edit == "absolute_form") {
    std::string l = line;
    if (const auto sp = l.find(' '); sp != std::string::npos)
      l.insert(sp + 1, "http://evil.example");
    return rebuild(l, head_rest, body);
  }
  if (edit == "space_before_colon") {
    std::string h = head_rest;
    if (const auto c = h.find(':'); c != std::string::npos) h.insert(c, " ");
    return rebuild(line, h, body);
  }
  if (edit == "nul_in_header")
    return rebuild(line, head_rest + "\r\nX-Nul: a" + std::string(1, '\0') + "b", body);
  if (edit == "no_host") {
    std::string h = head_rest;
    if (h.starts_with("Host: ")) {
      const auto e = h.find("\r\n");
      h = e == std::string::npos ? "" : h.substr(e + 2);
    }
    return rebuild(line, h, body);
  }
  if (edit == "two_hosts") return rebuild(line, head_rest + "\r\nHost: other.example", body);
  if (edit == "huge_header") {
    return rebuild(line, head_rest + "\r\nX-Huge: " + std::string(20000, 'a'), body);
  }
  if (edit == "control_in_target") {
    std::string l = line;
    if (const auto sp = l.find(' '); sp != std::string::npos) l.insert(sp + 2, "\x01");
    return rebuild(l, head_rest, body);
  }
  return bytes;
}

std::string Target(const FuzzRequest& r) {
  std::string t = r.path;
  for (std::size_t i = 0; i < r.query.size(); ++i) {
    t += i == 0 ? "?" : "&";
    t += QueryEscape(r.query[i].first) + "=" + QueryEscape(r.query[i].second);
  }
  if (!r.raw_query.empty()) t += (r.query.empty() ? "?" : "&") + r.raw_query;
  return t;
}

std::string SerializeRaw(const net::ClientRequest& http) {
  std::string_view url = http.url;
  const auto scheme_end = url.find("://");
  std::string_view rest = scheme_end == std::string_view::npos ? url : url.substr(scheme_end + 3);
  const auto slash = rest.find('/');
  const std::string host(rest.substr(0, slash));
  const std::string target =
      slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  std::string out = http.method + " " + target + " HTTP/1.1\r\nHost: " + host;
  for (const auto& [name, value] : http.headers) out += "\r\n" + name + ": " + value;
  if (!http.body.empty()) out += "\r\nContent-Length: " + std::to_string(http.body.size());
  out += "\r\nConnection: close\r\n\r\n" + http.body;
  return out;
}

protocol::Expected<Rendered, std::string> Render(const FuzzRequest& r, const RenderEnv& env) {
  Rendered out;
  std::string auth;
  switch (r.auth) {
    case AuthKind::kNone:
      break;
    case AuthKind::kBasic:
      auth = "Basic " + protocol::Base64Encode(r.basic_user + ":" + r.basic_password);
      break;
    case AuthKind::kIssued:
    case AuthKind::kForged: {
      std::string token = r.issued_token;
      if (r.auth == AuthKind::kForged) {
        if (env.ctx == nullptr) return protocol::Unexpected(std::string("no forge context"));
        auto forged = ForgeWithStep(r.forge, *env.ctx);
        if (!forged) return protocol::Unexpected(forged.error());
        token = std::move(*forged);
      }
      for (const std::string& e : r.token_edits) token = ApplyTokenEdit(std::move(token), e);
      out.token = token;
      auth = "Bearer " + token;
      break;
    }
  }
  if (r.auth_override) auth = *r.auth_override;
  for (const std::string& e : r.auth_edits) auth = ApplyAuthEdit(std::move(auth), e);
  out.authorization = auth;

  out.http.method = r.method;
  out.http.url = r.base + Target(r);
  if (r.auth != AuthKind::kNone || r.auth_override) {
    out.http.headers.emplace_back("Authorization", auth);
  }
  if (r.extra_authorization) out.http.headers.emplace_back("Authorization", *r.extra_authorization);
  for (const auto& h : r.headers) out.http.headers.push_back(h);
  out.http.body = r.body;
  if (r.family == Family::kRaw) {
    std::string bytes = SerializeRaw(out.http);
    for (const std::string& e : r.raw_edits) bytes = ApplyRawEdit(std::move(bytes), e);
    out.raw = std::move(bytes);
  }
  return out;
}

}  // namespace regauth::harness::netfuzz
