// http_server.h — the HTTP/1.1 server adapter of the reference server: Boost.Beast underneath
// (http_server.cc is the only translation unit that includes Beast/Asio), plain HttpRequest →
// HttpResponse values (net/http_types.h) on top.
//
// It is the hardened front door that ARCHITECTURE.md's request path starts with ("Beast session ─►
// HTTP limits/timeouts ─► route"): every limit and timeout below is enforced here, before a
// handler sees a byte, so the token service and registry logic never deal with hostile framing.
//
//   - HTTP/1.1 with keep-alive, and HTTP/1.0 (RFC 9112). Other versions → 505.
//   - A header section (request line, fields and the empty line, every CRLF counted; empty lines
//     before the request line are not) of more than max_header_bytes → 431 (RFC 6585 §5) and
//     close. Exact: max_header_bytes bytes are accepted, one more is refused.
//   - Body over max_body_bytes → 413 and close. A Content-Length is checked before any body byte
//     is read; a chunked body is counted as it is decoded. With spill_body_over set, a body over
//     that size is written to an anonymous temporary file as it arrives instead of memory.
//   - Malformed request line or header fields, a Content-Length/Transfer-Encoding conflict, or an
//     HTTP/1.1 request without exactly one Host (RFC 9112 §3.2) → 400 with a short text body and
//     close. A Transfer-Encoding other than exactly "chunked" → 501 (RFC 9112 §6.1) and close.
//   - `Expect: 100-continue` gets an interim 100 before the body is read.
//   - Obsolete line folding (RFC 9112 §5.2) → 400; empty lines before a request line are ignored
//     (RFC 9112 §2.2); a repeated Content-Length field or a list value → 400 (§6.3: never guessed
//     at, a smuggling shape).
//   - Deadlines: the TLS handshake and a request's header section must arrive within
//     header_timeout in total (a slowloris client sending a byte a second is cut off); a body read
//     and every piece of a response written must make progress within body_timeout and
//     write_timeout (idle times, not totals: a slow but moving 64 MiB transfer finishes); a
//     kept-alive connection waits idle_timeout for its next request. All I/O is asynchronous, so
//     slow clients cannot starve others.
//   - At most max_connections concurrent connections. When full, a new connection evicts the
//     connection that has waited longest without a request in progress (idle between requests,
//     still sending its header section, or lingering after a close); only when every connection
//     has a request in progress does a plain-HTTP client get a best-effort 503 + close (a TLS
//     client a plain close). An idle connection costs about a kilobyte of buffer, so thousands
//     are cheap.
//   - Response bodies may be streamed (HttpResponse::stream): sent in 64 KiB pieces read on
//     demand, so a slow reader of a large blob holds one piece, never the blob.
//   - After a response that closes the connection (an error), the rest of the request is read and
//     discarded while it keeps coming (lingering close, RFC 9112 §9.6), so a client still sending
//     a refused body reads the 413 instead of a reset.
//   - Header fields reach the handler in wire order with their names as sent (repeated fields
//     stay separate); trailer fields of a chunked body are dropped (RFC 9110 §6.5.1).
//   - HEAD: the handler builds the full response; the adapter sends its Content-Length and no body.
//   - The adapter alone sets Content-Length, Date, Connection and Transfer-Encoding; those names
//     in a handler's response are dropped. A handler header whose name is not an RFC 9110 token
//     or whose value holds CR, LF, NUL or another control byte (response splitting) turns the
//     response into a 500.
//   - A handler that throws → 500 with a generic body; the error log gets no request data.
//   - TLS 1.2+ from an in-memory PEM chain and key (`tls` option).
//
// Usage:
//   HttpServerOptions opts;                 // 127.0.0.1, ephemeral port
//   auto server = HttpServer::Start(opts, [](const HttpRequest& req) {
//     return HttpResponse::Text(200, "hello " + req.path);
//   });
//   if (!server) { std::cerr << server.error().message; return 1; }
//   std::string url = (*server)->BaseUrl();  // "http://127.0.0.1:41234"
//   ...
//   (*server)->Stop();                     // or let the unique_ptr go
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "net/http_types.h"
#include "protocol/result.h"

namespace regauth::net {

// HttpHandler turns one request into one response. It is called on one of the server's I/O
// threads, possibly on several threads at once for different connections, so it must be
// thread-safe. A handler that blocks holds one I/O thread (and delays Stop()) for as long as it
// blocks. It must not call Stop() on its own server.
using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

// TlsConfig is the server identity for HTTPS: a PEM certificate chain (leaf first) and the PEM
// private key of the leaf. The key never appears in any error message.
struct TlsConfig {
  std::string certificate_chain_pem;
  std::string private_key_pem;
};

// AccessLogEntry describes one response the server sent (or one connection it refused). It never
// carries headers, bodies or the query string: those may hold credentials (a GitLab
// `private_token=` query parameter, a Basic header, a token in a body). `method` and `path` are
// empty when the request could not be parsed far enough (400/431) or for a connection refused
// over the cap (503).
struct AccessLogEntry {
  std::string method;
  std::string path;  // request-target up to the first '?', undecoded
  int status = 0;
  std::size_t request_body_bytes = 0;
  std::size_t response_body_bytes = 0;    // bytes of body actually sent (0 for HEAD)
  std::chrono::microseconds duration{0};  // from the first byte of the request to the response
  std::string remote_address;             // peer IP
  bool tls = false;
};

// HttpServerOptions configures HttpServer::Start. The defaults are safe for a test deployment
// facing untrusted clients.
struct HttpServerOptions {
  // host is an IPv4 or IPv6 literal ("127.0.0.1", "::1", "0.0.0.0", "::"); names are not
  // resolved. port 0 asks the kernel for an ephemeral port (see HttpServer::port()).
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  // max_header_bytes bounds the header section exactly (see the file comment) → 431.
  std::size_t max_header_bytes = 16 * 1024;
  // max_body_bytes bounds the decoded request body → 413.
  std::size_t max_body_bytes = 1 << 20;
  // spill_body_over, when set, is the largest body held in memory: a larger one (by its
  // Content-Length, or a chunked body once it grows past it) is written as it arrives to an
  // anonymous temporary file in spill_directory (OpenSpillFile: "" → $TMPDIR or /tmp) and
  // reaches the handler as HttpRequest::spilled_body, so a request holds at most this much body
  // memory whatever max_body_bytes allows. The file has no name from the moment it is created and
  // is gone when the request is dropped: no path (an error, a dropped connection, a crash)
  // leaves one behind. A file that cannot be created or written → 500 and close. Unset → every
  // body is held in memory (a handler that reads only `body` needs that).
  std::optional<std::size_t> spill_body_over;
  std::string spill_directory;
  // header_timeout bounds the TLS handshake plus the first request's header section on a new
  // connection; on a kept-alive connection, the header section once its first byte arrived. A
  // total, so a client trickling header bytes is cut off.
  std::chrono::milliseconds header_timeout{10000};
  // body_timeout bounds each wait for more body bytes (no progress for this long → close).
  std::chrono::milliseconds body_timeout{30000};
  // idle_timeout bounds the wait for the first byte of the next request on a kept-alive
  // connection. Expiry closes the connection quietly (not counted as a timeout).
  std::chrono::milliseconds idle_timeout{30000};
  // write_timeout bounds writing each piece (at most 64 KiB) of a response or a 100 Continue: the
  // reader must take a piece within this time.
  std::chrono::milliseconds write_timeout{30000};
  // max_connections bounds concurrent connections; see the file comment for what happens to the
  // next one. Each connection is a file descriptor: keep it below RLIMIT_NOFILE.
  std::size_t max_connections = 4096;
  // threads is the number of I/O threads running handlers (values < 1 mean 1).
  int threads = 2;
  // tls, when set, makes the server speak HTTPS only (TLS 1.2 and 1.3).
  std::optional<TlsConfig> tls;
  // access_log, when set, receives one entry per response, on an I/O thread (must be
  // thread-safe and fast).
  std::function<void(const AccessLogEntry&)> access_log;
  // error_log receives adapter-level problems (a handler threw, a handler produced an invalid
  // header or status, an accept failed). Messages are static text plus error codes: never
  // request data. Unset → one line on stderr. Called on an I/O thread.
  std::function<void(std::string_view message)> error_log;
};

// StartError says why HttpServer::Start failed, e.g. "bind 127.0.0.1:5000: Address already in
// use" or "tls: private key: ...". It never contains key material.
struct StartError {
  std::string message;
};

// HttpServerStats are counters since Start; each read is a snapshot.
struct HttpServerStats {
  std::uint64_t accepted = 0;           // connections accepted and served
  std::uint64_t rejected_over_cap = 0;  // connections refused: max_connections busy connections
  std::uint64_t evicted = 0;            // idle or slow connections closed to admit a new one
  std::uint64_t requests = 0;           // requests passed to the handler
  std::uint64_t bad_requests = 0;       // requests answered 400/413/431/501/505 by the adapter
  std::uint64_t timeouts = 0;           // handshake/header/body/write deadlines that expired
  std::uint64_t handler_errors = 0;     // handler threw, or returned an invalid status/header
  std::uint64_t active_connections = 0;
};

// HttpServer is a running server: listening from a successful Start until Stop or destruction.
// All methods are thread-safe.
class HttpServer {
 public:
  // Start binds host:port, starts options.threads I/O threads and returns the running server, or
  // a StartError (bad host literal, bind/listen failure, unusable TLS certificate or key).
  static protocol::Expected<std::unique_ptr<HttpServer>, StartError> Start(
      HttpServerOptions options, HttpHandler handler);

  ~HttpServer();  // Stop()
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // port is the bound port (the kernel's choice when options.port was 0).
  std::uint16_t port() const;
  // host is options.host as given.
  const std::string& host() const;
  // BaseUrl is "http://127.0.0.1:PORT", "https://[::1]:PORT", ...
  std::string BaseUrl() const;

  // Stop closes the listener and every open connection, waits for running handlers to return
  // and joins the I/O threads. Idempotent. Must not be called from a handler.
  void Stop();

  HttpServerStats stats() const;

 private:
  struct Impl;
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace regauth::net
