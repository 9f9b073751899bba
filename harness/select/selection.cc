#include "harness/select/selection.h"

#include <algorithm>

namespace regauth::harness {
namespace {

std::string_view LayerText(Layer l) {
  switch (l) {
    case Layer::kTokenEndpoint:
      return "token-endpoint";
    case Layer::kRegistry:
      return "registry";
    case Layer::kFlow:
      return "flow";
    case Layer::kClient:
      return "client";
  }
  return "";
}

bool HasAny(const std::vector<std::string>& have, const std::vector<std::string>& want) {
  for (const auto& w : want) {
    if (std::find(have.begin(), have.end(), w) != have.end()) return true;
  }
  return false;
}

bool MatchesAny(const std::vector<std::string>& patterns, std::string_view id) {
  for (const auto& p : patterns) {
    if (GlobMatch(p, id)) return true;
  }
  return false;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view text) {
  std::size_t p = 0, t = 0;
  std::size_t star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

std::string_view CodeName(ShardError code) {
  switch (code) {
    case ShardError::kSyntax:
      return "syntax";
    case ShardError::kOutOfRange:
      return "out_of_range";
  }
  return "unknown";
}

protocol::Result<Shard, ShardError> ParseShard(std::string_view text) {
  auto number = [&](std::size_t& pos, uint64_t* out) -> bool {
    const std::size_t start = pos;
    uint64_t v = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      v = v * 10 + static_cast<uint64_t>(text[pos] - '0');
      if (v > (1ULL << 31)) v = (1ULL << 31) + 1;  // saturate; reported as out of range
      ++pos;
    }
    *out = v;
    return pos > start;
  };
  std::size_t pos = 0;
  uint64_t i = 0, n = 0;
  if (!number(pos, &i)) return protocol::Fail(ShardError::kSyntax, pos, "expected <i>/<n>");
  if (pos >= text.size() || text[pos] != '/') {
    return protocol::Fail(ShardError::kSyntax, pos, "expected '/' after the shard index");
  }
  ++pos;
  if (!number(pos, &n)) return protocol::Fail(ShardError::kSyntax, pos, "expected the count");
  if (pos != text.size()) return protocol::Fail(ShardError::kSyntax, pos, "trailing characters");
  if (n == 0 || i == 0 || i > n || n > (1ULL << 31)) {
    return protocol::Fail(ShardError::kOutOfRange, 0, "need 1 <= i <= n <= 2^31");
  }
  return Shard{static_cast<uint32_t>(i), static_cast<uint32_t>(n)};
}

uint64_t IdHash(std::string_view id) {
  uint64_t h = 14695981039346656037ULL;
  for (const char c : id) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

bool InShard(std::string_view id, const Shard& shard) {
  if (shard.count <= 1) return true;
  return IdHash(id) % shard.count == shard.index - 1;
}

bool AppliesToProfile(const Case& c, std::string_view profile) {
  if (profile.empty() || c.profiles.empty()) return true;
  return std::find(c.profiles.begin(), c.profiles.end(), profile) != c.profiles.end();
}

bool Selects(const Selection& s, const Case& c) {
  if (!s.filter.empty() && !MatchesAny(s.filter, c.id)) return false;
  if (MatchesAny(s.exclude, c.id)) return false;
  if (!s.tags.empty() && !HasAny(c.tags, s.tags)) return false;
  if (HasAny(c.tags, s.exclude_tags)) return false;
  if (!AppliesToProfile(c, s.profile)) return false;
  if (s.shard && !InShard(c.id, *s.shard)) return false;
  if (s.ids && s.ids->count(c.id) == 0) return false;
  return true;
}

std::vector<const Case*> SelectCases(const std::vector<Case>& cases, const Selection& selection) {
  std::vector<const Case*> out;
  for (const Case& c : cases) {
    if (Selects(selection, c)) out.push_back(&c);
  }
  return out;
}

std::string FamilyOf(std::string_view id) {
  const std::size_t first = id.find('/');
  if (first == std::string_view::npos) return std::string(id);
  const std::size_t second = id.find('/', first + 1);
  return std::string(id.substr(0, second));
}

std::string ListingText(const std::vector<const Case*>& cases) {
  std::string out;
  for (const Case* c : cases) {
    out += c->id;
    out += '\t';
    out += LayerText(c->layer);
    out += '\t';
    for (std::size_t i = 0; i < c->tags.size(); ++i) {
      if (i > 0) out += ',';
      out += c->tags[i];
    }
    out += '\t';
    out += c->title;
    out += '\t';
    std::vector<std::string> urls;  // one per file and commit (several symbols may share one)
    for (const GitLabSource& g : c->gitlab_sources) {
      if (std::find(urls.begin(), urls.end(), g.Url()) == urls.end()) urls.push_back(g.Url());
    }
    for (std::size_t i = 0; i < urls.size(); ++i) {
      if (i > 0) out += ' ';
      out += urls[i];
    }
    out += '\n';
  }
  return out;
}

nlohmann::json ListingJson(const std::vector<const Case*>& cases) {
  nlohmann::json out = nlohmann::json::array();
  for (const Case* c : cases) {
    out.push_back({{"id", c->id},
                   {"title", c->title},
                   {"family", FamilyOf(c->id)},
                   {"layer", std::string(LayerText(c->layer))},
                   {"tags", c->tags},
                   {"requirement", c->requirement},
                   {"source", c->source},
                   {"gitlab_source", GitLabSourcesJson(c->gitlab_sources)},
                   {"gitlab_spec", GitLabSpecsJson(c->gitlab_specs)},
                   {"profiles", c->profiles},
                   {"needs", c->needs}});
  }
  return out;
}

}  // namespace regauth::harness
