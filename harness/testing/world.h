// world.h — shared test fixtures for harness tests: the shipped default world and small worlds
// written inline, loaded at a fixed clock (ARCHITECTURE.md: one fixture per area, not a copy in
// every test file).
//
// Usage:
//   const protocol::World& w = test_support::DefaultWorld();
//   protocol::World small = test_support::WorldFromText(R"({"users": [...]})");
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/suite/data_file.h"
#include "protocol/world.h"

namespace regauth::harness::test_support {

// kNow is the clock worlds are loaded at (2025-11-24T16:00:00Z): the relative expiry dates of
// a world stay stable.
inline constexpr int64_t kNow = 1764000000;

// Source is a path in the source tree.
inline std::string Source(const std::string& relative) {
  return std::string(REGAUTH_SOURCE_DIR) + "/" + relative;
}

// WorldFromText parses a world; a parse error fails the calling test.
inline protocol::World WorldFromText(std::string_view text, int64_t now = kNow) {
  auto w = protocol::ParseWorld(text, protocol::WorldContext{now, nullptr});
  EXPECT_TRUE(w.has_value()) << (w ? "" : protocol::DescribeWorldError(w.error()));
  return w ? std::move(*w) : protocol::World();
}

// WorldFromFile reads and parses a world file of the source tree ("cases/worlds/…").
inline protocol::World WorldFromFile(const std::string& relative, int64_t now = kNow) {
  auto text = ReadTextFile(Source(relative));
  EXPECT_TRUE(text.has_value()) << relative;
  return WorldFromText(text ? *text : std::string("{}"), now);
}

// DefaultWorld is cases/worlds/gitlab-default.json, loaded once.
inline const protocol::World& DefaultWorld() {
  static const protocol::World world = WorldFromFile("cases/worlds/gitlab-default.json");
  return world;
}

}  // namespace regauth::harness::test_support
