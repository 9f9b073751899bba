// http_client.h — the runner's HTTP client (libcurl): one exchange in, the raw response out, with
// none of the conveniences that would make a conformance suite lie or leak.
//
// What it never does (suite-anchors.md §C2, curl CVE-2018-1000007 / CVE-2022-27774 row, and §E
// "what none of them has" 7):
//   - follow redirects: a 3xx comes back as is and the runner decides (so Authorization can
//     never be forwarded to another host, port or scheme by curl; the unrestricted-auth option
//     is never set);
//   - add credentials: no user/password options, no .netrc, no userinfo in URLs (rejected);
//     `Authorization` is sent only when the caller puts it in `headers`;
//   - keep cookies, use a proxy from the environment (http_proxy/ALL_PROXY are ignored unless
//     ClientOptions::proxy is set), speak anything but http/https, decode Content-Encoding, or
//     normalise the path (`/v2/a/../b` is sent as written: scope traversal cases, §C4);
//   - add headers of its own beyond Host, User-Agent and Content-Length (curl's default
//     `Accept: */*`, `Expect: 100-continue` and form Content-Type are suppressed);
//   - buffer without bound: a body over max_response_bytes or headers over max_header_bytes
//     fail with kTooLarge.
// Responses are returned raw: every header line in order with names as received (repeated
// WWW-Authenticate lines stay separate), the body bytes undecoded. The protocol/ parsers judge.
//
// Library initialisation: call InitHttpClientLibrary() once from main() before starting threads
// (it runs curl_global_init under std::call_once). HttpClient's constructor calls it too, so a
// forgotten call only costs the thread-safety guarantee of older libcurl builds.
//
// Usage:
//   InitHttpClientLibrary();                         // main()
//   RateLimiter limiter(20);                         // shared by all cases: 20 requests/s
//   ClientOptions opts; opts.rate_limiter = &limiter;
//   HttpClient client(opts);                         // one per case (keeps its connection)
//   auto res = client.Send({"GET", base + "/v2/", {{"Authorization", "Bearer " + t}}, ""});
//   if (!res) report(CodeName(res.error().code), res.error().message);
//   for (std::string_view c : res->Headers("WWW-Authenticate")) ParseChallenges(c);
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/result.h"

namespace regauth::net {

// InitHttpClientLibrary initialises libcurl once per process (idempotent, thread-safe).
void InitHttpClientLibrary();

// RateLimiter spaces requests evenly across every client that shares it: Acquire() blocks until
// the next slot, slots are 1/requests_per_second apart (no bursts beyond `burst`), so N
// acquisitions take at least (N - burst) / rate seconds. requests_per_second <= 0 means
// unlimited. Thread-safe; must outlive the clients that use it.
class RateLimiter {
 public:
  explicit RateLimiter(double requests_per_second, int burst = 1);
  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  void Acquire();
  double rate() const { return rate_; }

 private:
  using Clock = std::chrono::steady_clock;
  const double rate_;
  const Clock::duration interval_;
  const Clock::duration burst_window_;
  std::mutex mu_;
  Clock::time_point next_;  // earliest time the next slot may start
};

// ClientRequest is one request as the case wants it on the wire. `method` is sent verbatim (any
// token); `url` must be http:// or https:// without userinfo; `headers` are sent in order, an
// empty value as an empty field; `body` is sent with Content-Length when non-empty or when the
// method is POST, PUT or PATCH (never with HEAD, which curl sends without a body).
struct ClientRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// ClientResponse is the final response of one exchange (interim 1xx responses are skipped).
struct ClientResponse {
  int status = 0;
  // headers holds every field line in order, names as received, values without surrounding
  // whitespace; an obsolete line folding (RFC 9112 §5.2) is joined with one space.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string http_version;  // from the status line: "HTTP/1.1", "HTTP/1.0", "HTTP/2"
  std::string remote_ip;     // the peer actually connected to
  int remote_port = 0;
  std::chrono::microseconds elapsed{0};
  // request_bytes is what libcurl wrote of the request (CURLINFO_REQUEST_SIZE): the header
  // section, plus any body sent in the same write. For a request without a body, exactly the
  // header section as sent.
  std::uint64_t request_bytes = 0;

  // Header returns the first value of `name` (ASCII case-insensitive); views into `headers`.
  std::optional<std::string_view> Header(std::string_view name) const;
  // Headers returns every value of `name`, in order; views into `headers`.
  std::vector<std::string_view> Headers(std::string_view name) const;
};

// ClientErrorCode is why an exchange produced no response.
enum class ClientErrorCode {
  kInvalidRequest = 1,  // bad URL (scheme not http/https, userinfo, unparsable), empty or
                        // non-token method, header name not a token, CR/LF/NUL in a header
  kResolve,             // the host name did not resolve
  kConnect,             // TCP connect refused or unreachable
  kTimeout,             // ClientOptions::timeout passed (connect, TLS, request or response)
  kTls,                 // TLS handshake or certificate verification failed
  kTooLarge,            // response body over max_response_bytes or headers over max_header_bytes
  kProtocol,            // the peer's bytes are not an HTTP response (or it closed mid-response)
  kNetwork,             // send/receive failed (connection reset) after connecting
  kInternal,            // libcurl could not be set up (out of memory, option rejected)
};

// CodeName returns the stable snake_case name of `code` ("timeout", "too_large", ...).
std::string_view CodeName(ClientErrorCode code);

// ClientError is a failed exchange: a code and libcurl's message (host and port at most; it may
// still be passed through the run's Redactor before it is reported, like everything else).
struct ClientError {
  ClientErrorCode code{};
  std::string message;
};

// ClientOptions configures an HttpClient.
struct ClientOptions {
  // timeout bounds the whole exchange, connect included.
  std::chrono::milliseconds timeout{10000};
  std::size_t max_response_bytes = 8 << 20;
  std::size_t max_header_bytes = 64 * 1024;
  // ca_file is a PEM bundle to trust instead of the system store (empty: system store).
  std::string ca_file;
  bool verify_tls = true;
  // proxy, when set ("http://127.0.0.1:3128"), is used for every request; empty means none,
  // whatever the environment says.
  std::string proxy;
  RateLimiter* rate_limiter = nullptr;  // not owned; nullptr means unlimited
  std::string user_agent = "regauth/0.1";
};

// HttpClient owns one libcurl easy handle, reused across Send calls so a kept-alive connection is
// reused too (as real clients do). Not thread-safe: one client per case, used by one thread. A
// destroyed client's handle goes back to a small per-thread pool, so the next client of that
// thread may reuse its idle connections (every option is set anew for each request).
class HttpClient {
 public:
  explicit HttpClient(ClientOptions options = {});
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Send performs one exchange (after the rate limiter grants a slot) and returns the final
  // response, whatever its status, or a ClientError.
  protocol::Expected<ClientResponse, ClientError> Send(const ClientRequest& request);

  const ClientOptions& options() const { return options_; }

 private:
  ClientOptions options_;
  void* curl_ = nullptr;  // CURL*; kept opaque so users need no curl headers
};

}  // namespace regauth::net
