// world.h — the world fixtures of protocol/test_world.h at the harness tests' fixed clock (kNow).
//
// Usage:
//   const protocol::World& w = test_support::DefaultWorld();
//   protocol::World small = test_support::WorldFromText(R"({"users": [...]})");
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "protocol/test_world.h"
#include "protocol/world.h"

namespace regauth::harness::test_support {

// kNow is the clock worlds are loaded at (2025-11-24T16:00:00Z): the relative expiry dates of
// a world stay stable.
inline constexpr int64_t kNow = 1764000000;

// Source is a path in the source tree.
inline std::string Source(const std::string& relative) {
  return testing_support::SourcePath(relative);
}

// WorldFromText parses a world; a parse error fails the calling test.
inline protocol::World WorldFromText(std::string_view text, int64_t now = kNow) {
  return testing_support::WorldFromText(text, now);
}

// WorldFromFile reads and parses a world file of the source tree ("cases/worlds/…").
inline protocol::World WorldFromFile(const std::string& relative, int64_t now = kNow) {
  return testing_support::WorldFromFile(relative, now);
}

// DefaultWorld is cases/worlds/gitlab-default.json, loaded once at kNow.
inline const protocol::World& DefaultWorld() { return testing_support::DefaultWorld(kNow); }

}  // namespace regauth::harness::test_support
