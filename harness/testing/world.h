// world.h — shared test fixtures for harness tests: the shipped default world and small worlds
// written inline, loaded at a fixed clock (ARCHITECTURE.md: one fixture per area, not a copy in
// every test file).
//
// Usage:
//   const protocol::World& w = testing::DefaultWorld();
//   protocol::World small = testing::WorldFromText(R"({"users": [...]})");
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "harness/data_file.h"
#include "protocol/world.h"

namespace regauth::harness::testing {

// kWorldNow is the clock worlds are loaded at: 2025-11-24T16:00:00Z.
inline constexpr int64_t kWorldNow = 1764000000;

// WorldFromText parses a world; a parse error fails the calling test.
inline protocol::World WorldFromText(std::string_view text, int64_t now = kWorldNow) {
  auto w = protocol::ParseWorld(text, protocol::WorldContext{now, nullptr});
  EXPECT_TRUE(w.has_value()) << (w ? "" : protocol::DescribeWorldError(w.error()));
  return w ? std::move(*w) : protocol::World();
}

// WorldFromFile reads and parses a world file of the source tree ("cases/worlds/…").
inline protocol::World WorldFromFile(const std::string& relative, int64_t now = kWorldNow) {
  auto text = ReadTextFile(std::string(REGAUTH_SOURCE_DIR) + "/" + relative);
  EXPECT_TRUE(text.has_value()) << relative;
  return WorldFromText(text ? *text : std::string("{}"), now);
}

// DefaultWorld is cases/worlds/gitlab-default.json, loaded once.
inline const protocol::World& DefaultWorld() {
  static const protocol::World world = WorldFromFile("cases/worlds/gitlab-default.json");
  return world;
}

}  // namespace regauth::harness::testing
