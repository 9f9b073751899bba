// test_world.h — the world fixtures every area's tests share (test code only): a world parsed
// from inline text, a world file of the source tree, and the shipped default world
// (cases/worlds/gitlab-default.json), each loaded at a clock the test chooses so relative expiry
// dates stay stable. One fixture for harness/, reference_server/ and protocol/ tests, not a copy
// in each (ARCHITECTURE.md, STYLE.md "Shared test fixtures").
//
// Usage:
//   const protocol::World& w = regauth::testing_support::DefaultWorld(kNow);
//   protocol::World small = regauth::testing_support::WorldFromText(R"({"users": [...]})", kNow);
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>

#include "protocol/world.h"

namespace regauth::testing_support {

// SourcePath is a path in the source tree (REGAUTH_SOURCE_DIR, set by regauth_test()).
inline std::string SourcePath(const std::string& relative) {
  return std::string(REGAUTH_SOURCE_DIR) + "/" + relative;
}

// ReadSourceFile reads a file of the source tree; a missing file fails the calling test.
inline std::string ReadSourceFile(const std::string& relative) {
  std::ifstream in(SourcePath(relative), std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << relative;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// WorldFromText parses a world at `now`; a parse error fails the calling test (and yields an
// empty world).
inline protocol::World WorldFromText(std::string_view text, int64_t now) {
  protocol::WorldContext ctx;
  ctx.now_unix = now;
  auto w = protocol::ParseWorld(text, ctx);
  EXPECT_TRUE(w.has_value()) << (w ? "" : protocol::DescribeWorldError(w.error()));
  return w ? std::move(*w) : protocol::World();
}

// WorldFromFile reads and parses a world file of the source tree ("cases/worlds/…").
inline protocol::World WorldFromFile(const std::string& relative, int64_t now) {
  return WorldFromText(ReadSourceFile(relative), now);
}

// DefaultWorld is cases/worlds/gitlab-default.json loaded at `now`, parsed once per clock.
inline const protocol::World& DefaultWorld(int64_t now) {
  static std::mutex mu;
  static std::map<int64_t, std::unique_ptr<const protocol::World>> loaded;
  std::lock_guard lock(mu);
  auto& slot = loaded[now];
  if (!slot) {
    slot = std::make_unique<const protocol::World>(
        WorldFromFile("cases/worlds/gitlab-default.json", now));
  }
  return *slot;
}

}  // namespace regauth::testing_support
