// raw_exchange.h — send bytes that are not a valid HTTP request to a loopback or explicitly
// given plain-HTTP server and read what comes back: the raw mode of `regauth netfuzz` (CL+TE,
// bare LF, obs-fold, 100 headers, a damaged request line), which libcurl rightly refuses to
// produce. One connection per exchange; nothing is interpreted beyond the status line.
//
// Usage:
//   auto r = RawExchange("127.0.0.1", 5000, bytes, std::chrono::milliseconds(5000));
//   if (r.outcome == RawOutcome::kResponse) use(r.status);
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace regauth::net {

// RawOutcome is how the exchange ended.
enum class RawOutcome {
  kResponse,       // a status line arrived (status set); the connection may then have closed
  kClosed,         // the peer closed (or reset) the connection before any status line
  kTimeout,        // neither a status line nor a close within the timeout
  kConnectFailed,  // connect() failed: the target is not listening
};

// CodeName returns "response", "closed", "timeout", "connect_failed".
std::string_view CodeName(RawOutcome outcome);

struct RawResult {
  RawOutcome outcome = RawOutcome::kClosed;
  int status = 0;    // the status code of the first status line (kResponse only)
  std::string head;  // the bytes received, up to 64 KiB (RawHttpExchange: 8 MiB)
};

// RawExchange connects to host:port (an IP literal), writes `bytes`, half-closes the write
// side, and reads until a complete status line has arrived and the peer closed the connection,
// the first response's header block is complete, 64 KiB arrived, or `timeout` passed.
RawResult RawExchange(const std::string& host, int port, std::string_view bytes,
                      std::chrono::milliseconds timeout);

// RawHttpExchange sends a well-formed request built byte for byte (one libcurl cannot send: a
// header section over its 1 MiB request buffer, or one whose exact size matters) and reads the
// whole first response: unlike RawExchange the write side stays open, and reading goes on past
// the header block through a Content-Length body (or to the close), up to 8 MiB.
RawResult RawHttpExchange(const std::string& host, int port, std::string_view bytes,
                          std::chrono::milliseconds timeout);

}  // namespace regauth::net
