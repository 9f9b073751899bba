// world_fuzzer — ParseWorld with a fixed clock and an environment in which every variable is set
// to one distinctive value. Invariants: no crash or hang; an error carries a syntactically valid
// RFC 6901 pointer, a non-empty message that never contains the environment's secret, and an
// offset inside the input; a success has consistent indexes (every entity is found by its key)
// and CredentialsJson serialises without throwing.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "fuzz/fuzz_check.h"
#include "protocol/world.h"

using namespace regauth::protocol;

namespace {
constexpr std::string_view kEnvSecret = "zq8Xv2Lk9Pw3Rt7Ym4Nb";

bool ValidPointer(std::string_view p) {
  if (p.empty()) return true;
  if (p[0] != '/') return false;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p[i] == '~' && (i + 1 >= p.size() || (p[i + 1] != '0' && p[i + 1] != '1'))) return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  WorldContext ctx;
  ctx.now_unix = 1749988800;  // 2025-06-15T12:00:00Z
  ctx.env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "UNSET") return std::nullopt;
    return std::string(kEnvSecret);
  };
  auto w = ParseWorld(in, ctx);
  if (!w) {
    FUZZ_CHECK(ValidPointer(w.error().pointer));
    FUZZ_CHECK(!w.error().message.empty());
    FUZZ_CHECK(w.error().offset <= size);
    if (in.find(kEnvSecret) == std::string_view::npos) {
      FUZZ_CHECK(DescribeWorldError(w.error()).find(kEnvSecret) == std::string::npos);
    }
    return 0;
  }
  for (const User& u : w->Users()) FUZZ_CHECK(w->FindUser(u.username) == &u);
  for (const Group& g : w->Groups()) FUZZ_CHECK(w->FindGroup(g.path) == &g);
  for (const Project& p : w->Projects()) {
    FUZZ_CHECK(w->FindProjectById(p.id) == &p);
    (void)w->AncestorGroups(p.path);
  }
  for (const Credential& c : w->Credentials()) {
    FUZZ_CHECK(w->FindCredential(c.id) == &c);
    FUZZ_CHECK(w->FindCredentialBySecret(c.secret) == &c);
    FUZZ_CHECK(!c.login_username.empty());
    (void)w->UserOf(c);
    (void)w->JobOf(c);
  }
  FUZZ_CHECK(CredentialsJson(*w).dump().size() >= 2);
  return 0;
}
