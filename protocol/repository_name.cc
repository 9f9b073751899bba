#include "protocol/repository_name.h"

#include <optional>

namespace regauth::protocol {
namespace {

bool IsLowerAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsLowerAlnum(c) || IsUpper(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsLowerHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f'); }
bool IsSeparatorChar(char c) { return c == '.' || c == '_' || c == '-'; }
bool IsWordChar(char c) { return IsAlnum(c) || c == '_'; }

// ValidSeparator: one of "." "_" "__" or a run of '-' (distribution `separator`).
bool ValidSeparator(std::string_view run) {
  if (run == "." || run == "_" || run == "__") return true;
  for (const char c : run) {
    if (c != '-') return false;
  }
  return true;
}

// CharError classifies the byte at s[i] that cannot continue (or start) a path component.
Unexpected<Error<NameError>> CharError(std::string_view s, std::size_t i, std::size_t base) {
  const char c = s[i];
  if (IsSeparatorChar(c)) {
    return Fail(NameError::kBadSeparator, base + i, "path component must start with [a-z0-9]");
  }
  if (IsUpper(c)) {
    return Fail(NameError::kUppercase, base + i, "path components are lowercase");
  }
  if (c == '%' && i + 2 < s.size() && IsHex(s[i + 1]) && IsHex(s[i + 2])) {
    return Fail(NameError::kPercentEncoded, base + i, "percent-encoded byte in a name");
  }
  return Fail(NameError::kBadCharacter, base + i, "byte outside [a-z0-9._-/]");
}

// ScanPath checks `s` against `path-component ['/' path-component]*`. Offsets are base + index.
// One pass, no backtracking: each byte is looked at a bounded number of times.
Status<NameError> ScanPath(std::string_view s, std::size_t base) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (true) {
    if (i == n || s[i] == '/') {
      return Fail(NameError::kEmptyComponent, base + i, "empty path component");
    }
    std::size_t end = s.find('/', i);
    if (end == std::string_view::npos) end = n;
    const std::string_view component = s.substr(i, end - i);
    if (component == "." || component == "..") {
      return Fail(NameError::kDotSegment, base + i, "'.' or '..' path component");
    }
    if (!IsLowerAlnum(s[i])) return CharError(s, i, base);
    while (i < end) {
      while (i < end && IsLowerAlnum(s[i])) ++i;
      if (i == end) break;
      if (!IsSeparatorChar(s[i])) return CharError(s, i, base);
      const std::size_t run_start = i;
      while (i < end && IsSeparatorChar(s[i])) ++i;
      if (!ValidSeparator(s.substr(run_start, i - run_start))) {
        return Fail(NameError::kBadSeparator, base + run_start,
                    "separator must be '.', '_', '__' or a run of '-'");
      }
      if (i == end) {
        return Fail(NameError::kBadSeparator, base + run_start,
                    "separator must be followed by [a-z0-9]");
      }
      if (!IsLowerAlnum(s[i])) return CharError(s, i, base);
    }
    if (end == n) return {};
    i = end + 1;
  }
}

// ScanDomain checks `d` against `host [':' port]`. Offsets are base + index.
Status<NameError> ScanDomain(std::string_view d, std::size_t base, bool allow_ipv6) {
  const std::size_t n = d.size();
  std::size_t i = 0;
  if (n > 0 && d[0] == '[') {
    if (!allow_ipv6) {
      return Fail(NameError::kIpv6Disabled, base, "IPv6 literal host not enabled");
    }
    i = 1;
    while (i < n && (IsHex(d[i]) || d[i] == ':')) ++i;
    if (i == 1 || i == n || d[i] != ']') {
      return Fail(NameError::kBadDomain, base + i, "IPv6 host must be '[' [a-fA-F0-9:]+ ']'");
    }
    ++i;
  } else {
    while (true) {
      if (i == n || !IsAlnum(d[i])) {
        return Fail(NameError::kBadDomain, base + i,
                    "domain component must start with [a-zA-Z0-9]");
      }
      while (i < n && (IsAlnum(d[i]) || d[i] == '-')) ++i;
      if (d[i - 1] == '-') {
        return Fail(NameError::kBadDomain, base + i - 1,
                    "domain component must end with [a-zA-Z0-9]");
      }
      if (i < n && d[i] == '.') {
        ++i;
        continue;
      }
      break;
    }
  }
  if (i == n) return {};
  if (d[i] != ':') {
    return Fail(NameError::kBadDomain, base + i, "byte outside the host grammar");
  }
  ++i;
  if (i == n) return Fail(NameError::kBadPort, base + i, "empty port");
  for (; i < n; ++i) {
    if (!IsDigit(d[i])) return Fail(NameError::kBadPort, base + i, "port must be [0-9]+");
  }
  return {};
}

// Further returns the error that got further into the input (ties: `a`).
Error<NameError> Further(const Error<NameError>& a, const Error<NameError>& b) {
  return b.offset > a.offset ? b : a;
}

RepositoryName Split(std::string_view domain, std::string_view path) {
  return RepositoryName{std::string(domain), std::string(path)};
}

}  // namespace

std::string_view CodeName(NameError code) {
  switch (code) {
    case NameError::kEmpty:
      return "empty";
    case NameError::kTooLong:
      return "too_long";
    case NameError::kUppercase:
      return "uppercase";
    case NameError::kBadCharacter:
      return "bad_character";
    case NameError::kEmptyComponent:
      return "empty_component";
    case NameError::kDotSegment:
      return "dot_segment";
    case NameError::kPercentEncoded:
      return "percent_encoded";
    case NameError::kBadSeparator:
      return "bad_separator";
    case NameError::kTooFewComponents:
      return "too_few_components";
    case NameError::kTooManyComponents:
      return "too_many_components";
    case NameError::kBadDomain:
      return "bad_domain";
    case NameError::kBadPort:
      return "bad_port";
    case NameError::kIpv6Disabled:
      return "ipv6_disabled";
    case NameError::kBadTag:
      return "bad_tag";
    case NameError::kBadDigest:
      return "bad_digest";
    case NameError::kUnsupportedDigestAlgorithm:
      return "unsupported_digest_algorithm";
  }
  return "unknown";
}

std::vector<std::string> RepositoryName::Components() const {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t slash = path.find('/', start);
    if (slash == std::string::npos) {
      out.push_back(path.substr(start));
      return out;
    }
    out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
}

std::string RepositoryName::Full() const { return domain.empty() ? path : domain + "/" + path; }

Result<RepositoryName, NameError> ParseRepositoryName(std::string_view name,
                                                      const NameOptions& options) {
  if (name.empty()) return Fail(NameError::kEmpty, 0, "empty repository name");
  if (name.size() > options.max_length) {
    return Fail(NameError::kTooLong, options.max_length, "repository name too long");
  }
  const std::size_t slash = name.find('/');
  if (options.domain_rule == DomainRule::kNoDomain || slash == std::string_view::npos) {
    auto whole = ScanPath(name, 0);
    if (!whole) return Fail(whole.error());
    return Split("", name);
  }
  const std::string_view first = name.substr(0, slash);
  const std::string_view rest = name.substr(slash + 1);

  std::optional<Error<NameError>> domain_error;
  bool try_domain = true;
  bool domain_only = false;  // the first component can never be a path component
  if (options.domain_rule == DomainRule::kDockerHeuristic) {
    const bool has_colon = first.find_first_of(":[") != std::string_view::npos;
    domain_only = has_colon;
    try_domain = has_colon || first.find('.') != std::string_view::npos || first == "localhost";
  }
  if (try_domain) {
    auto domain = ScanDomain(first, 0, options.allow_ipv6);
    if (domain) {
      // The domain matched: Go's leftmost-first match commits to it, and a path that fails after
      // a valid domain cannot pass as a whole path either (it contains the same components).
      auto path = ScanPath(rest, slash + 1);
      if (!path) return Fail(path.error());
      return Split(first, rest);
    }
    if (domain_only) return Fail(domain.error());
    domain_error = domain.error();
  }
  auto whole = ScanPath(name, 0);
  if (whole) return Split("", name);
  // kReferenceGrammar tried both readings on equal terms: report the one that got further.
  // kDockerHeuristic read a failed candidate as a path, so the path error is the answer.
  if (domain_error && options.domain_rule == DomainRule::kReferenceGrammar) {
    return Fail(Further(whole.error(), *domain_error));
  }
  return Fail(whole.error());
}

Result<std::string, NameError> ParseGitLabPath(std::string_view path,
                                               const GitLabPathOptions& options) {
  if (path.empty()) return Fail(NameError::kEmpty, 0, "empty path");
  if (path.size() > options.max_length) {
    return Fail(NameError::kTooLong, options.max_length, "path too long");
  }
  // Downcase as Ruby's String#downcase does for the bytes that matter (see the header); keep, for
  // each output byte, the input offset it came from so errors point into `path`.
  std::string out;
  out.reserve(path.size());
  std::vector<std::size_t> origin;
  bool shifted = false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (options.downcase) {
      if (IsUpper(c)) {
        c = static_cast<char>(c - 'A' + 'a');
      } else if (path.substr(i, 3) == "\xE2\x84\xAA") {  // U+212A KELVIN SIGN
        if (!shifted) {
          for (std::size_t k = 0; k < out.size(); ++k) origin.push_back(k);
          shifted = true;
        }
        out.push_back('k');
        origin.push_back(i);
        i += 2;
        continue;
      }
    }
    out.push_back(c);
    if (shifted) origin.push_back(i);
  }
  auto at = [&](std::size_t k) {
    if (!shifted) return k;
    return k < origin.size() ? origin[k] : path.size();
  };

  auto scan = ScanPath(out, 0);
  if (!scan) {
    Error<NameError> e = scan.error();
    e.offset = at(e.offset);
    return Fail(e);
  }
  std::size_t components = 1;
  for (std::size_t k = 0; k < out.size(); ++k) {
    if (out[k] != '/') continue;
    ++components;
    if (components >= options.components_limit) {
      return Fail(NameError::kTooManyComponents, at(k + 1),
                  "GitLab allows fewer than 20 path components");
    }
  }
  if (components < 2) {
    return Fail(NameError::kTooFewComponents, path.size(),
                "GitLab needs at least 2 path components");
  }
  return out;
}

Status<NameError> ValidateTag(std::string_view tag) {
  if (tag.empty()) return Fail(NameError::kEmpty, 0, "empty tag");
  if (tag.size() > kTagLengthMax) {
    return Fail(NameError::kTooLong, kTagLengthMax, "tag longer than 128 bytes");
  }
  if (!IsWordChar(tag[0])) return Fail(NameError::kBadTag, 0, "tag must start with [A-Za-z0-9_]");
  for (std::size_t i = 1; i < tag.size(); ++i) {
    const char c = tag[i];
    if (!IsWordChar(c) && c != '.' && c != '-') {
      return Fail(NameError::kBadTag, i, "tag byte outside [A-Za-z0-9_.-]");
    }
  }
  return {};
}

namespace {

// MatchesGoDigestRegexp is go-digest's DigestRegexpAnchored:
// ^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$. On a mismatch it sets *bad to the offset.
bool MatchesGoDigestRegexp(std::string_view s, std::size_t* bad) {
  std::size_t i = 0;
  const std::size_t n = s.size();
  while (true) {
    if (i == n || !IsLowerAlnum(s[i])) {
      *bad = i;
      return false;
    }
    while (i < n && IsLowerAlnum(s[i])) ++i;
    if (i < n && (s[i] == '.' || s[i] == '+' || s[i] == '_' || s[i] == '-')) {
      ++i;
      continue;
    }
    break;
  }
  if (i == n || s[i] != ':') {
    *bad = i;
    return false;
  }
  ++i;
  if (i == n) {
    *bad = i;
    return false;
  }
  for (; i < n; ++i) {
    const char c = s[i];
    if (!IsAlnum(c) && c != '=' && c != '_' && c != '-') {
      *bad = i;
      return false;
    }
  }
  return true;
}

}  // namespace

Result<ContentDigest, NameError> ParseDigest(std::string_view digest) {
  if (digest.empty()) return Fail(NameError::kEmpty, 0, "empty digest");
  if (digest.size() > kDigestLengthMax) {
    return Fail(NameError::kTooLong, kDigestLengthMax, "digest too long");
  }
  const std::size_t colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == digest.size()) {
    return Fail(NameError::kBadDigest, colon == 0 ? 0 : digest.size(),
                "digest must be algorithm ':' encoded");
  }
  const std::string_view algorithm = digest.substr(0, colon);
  const std::string_view encoded = digest.substr(colon + 1);
  std::size_t hex_length = 0;
  if (algorithm == "sha256") {
    hex_length = 64;
  } else if (algorithm == "sha384") {
    hex_length = 96;
  } else if (algorithm == "sha512") {
    hex_length = 128;
  } else {
    std::size_t bad = 0;
    if (!MatchesGoDigestRegexp(digest, &bad)) {
      return Fail(NameError::kBadDigest, bad, "digest outside go-digest's DigestRegexp");
    }
    return Fail(NameError::kUnsupportedDigestAlgorithm, 0, "digest algorithm not supported");
  }
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (!IsLowerHex(encoded[i])) {
      return Fail(NameError::kBadDigest, colon + 1 + i, "digest must be lowercase hex");
    }
  }
  if (encoded.size() != hex_length) {
    return Fail(NameError::kBadDigest, colon + 1, "digest has the wrong length");
  }
  return ContentDigest{std::string(algorithm), std::string(encoded)};
}

}  // namespace regauth::protocol
