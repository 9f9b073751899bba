// recording.h — what each origin of the hostile stage received, with every secret replaced by a
// description at capture time: the report says "Basic, user regauth-client, the registry
// password" or "Bearer token#2 (issued by the realm)", never the secret itself (STYLE.md
// "Secrets never reach a log or a report unredacted").
//
// A request is scanned for the stage's secrets wherever a client might put them: every header
// value, the request-target (raw and percent-decoded) and the body (raw and form-decoded). The
// secrets are the password, the Basic token68 of kUsername:password, and every token the stage
// issued. Each sighting is kept as a SecretSighting (which secret, which origin, over TLS or
// not), which the judge (judge.h) reads; the recorded text is redacted.
//
// Usage (stage handlers):
//   Hit hit = CaptureRequest(stage, Role::kRealm, req, /*tls=*/false);
//   ... answer ...
//   CaptureResponse(stage, hit, response);
//   recording.Add(std::move(hit));
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "net/http_types.h"
#include "reference_server/scenarios/stage.h"

namespace regauth::server::scenarios {

// SecretKind is which of the stage's secrets a request carried.
enum class SecretKind {
  kPassword,      // the client's password (Basic, a form body, a query, anywhere)
  kRealmToken,    // an access token the registry's realm issued
  kRefreshToken,  // a refresh token the registry's realm issued
  kForeignToken,  // a token another origin's "realm" issued
};
std::string_view SecretKindName(SecretKind kind);  // "password", "realm-token", ...

struct SecretSighting {
  SecretKind kind = SecretKind::kPassword;
  std::string where;  // "Authorization header", "query", "body", "header X-Foo"
};

// Hit is one request one origin received, and the answer it got. Text members are redacted.
struct Hit {
  Role role = Role::kRegistry;
  std::string origin;  // the origin's base URL
  bool tls = false;
  std::string method;  // "" for a request the HTTP adapter refused (431, 400) before routing
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;        // capped at kMaxRecordedBody bytes
  std::string credential;  // Authorization described: "none", "Basic user=… (password)", …
  std::vector<SecretSighting> secrets;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string response_body;  // capped
  int64_t at_ms = 0;          // since the stage started
  int64_t duration_ms = 0;

  bool Carries(SecretKind kind) const;
};

inline constexpr std::size_t kMaxRecordedBody = 2048;

// CaptureRequest records `req` as received by `role`, with secrets found and redacted.
Hit CaptureRequest(const Stage& stage, Role role, const net::HttpRequest& req, bool tls);
// CaptureResponse adds the answer (status, headers, body) with issued tokens redacted.
void CaptureResponse(const Stage& stage, Hit& hit, const net::HttpResponse& res);
// Redact replaces every secret of the stage in `text` by its description ("«password»",
// "«token#2»"); exposed for the tests and for client output.
std::string Redact(const Stage& stage, std::string_view text);

// Recording is the thread-safe, ordered list of hits of one stage.
class Recording {
 public:
  void Add(Hit hit);
  std::vector<Hit> Snapshot() const;

 private:
  mutable std::mutex mu_;
  std::vector<Hit> hits_;
};

}  // namespace regauth::server::scenarios
