#include "net/raw_exchange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "protocol/ascii.h"

namespace regauth::net {
namespace {

constexpr std::size_t kMaxRead = 64 * 1024;
constexpr std::size_t kMaxWholeRead = 8u << 20;

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

using Clock = std::chrono::steady_clock;

int RemainingMs(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

// ParseStatus reads "HTTP/1.x NNN" at the start of `head`; 0 when absent or incomplete.
int ParseStatus(std::string_view head) {
  if (head.size() < 12 || !head.starts_with("HTTP/")) return 0;
  const auto sp = head.find(' ');
  if (sp == std::string_view::npos || sp + 4 > head.size()) return 0;
  int status = 0;
  for (std::size_t i = sp + 1; i < sp + 4; ++i) {
    if (head[i] < '0' || head[i] > '9') return 0;
    status = status * 10 + (head[i] - '0');
  }
  return status;
}

}  // namespace

std::string_view CodeName(RawOutcome outcome) {
  switch (outcome) {
    case RawOutcome::kResponse:
      return "response";
    case RawOutcome::kClosed:
      return "closed";
    case RawOutcome::kTimeout:
      return "timeout";
    case RawOutcome::kConnectFailed:
      return "connect_failed";
  }
  return "?";
}

namespace {

// BodyComplete: `head` holds a whole response — its header block and, with a Content-Length,
// that many body bytes (without one, the body ends at close).
bool BodyComplete(const std::string& head) {
  const std::size_t end = head.find("\r\n\r\n");
  if (end == std::string::npos) return false;
  std::string_view fields(head.data(), end + 2);
  for (std::size_t at = fields.find("\r\n"); at != std::string_view::npos;) {
    const std::size_t next = fields.find("\r\n", at + 2);
    if (next == std::string_view::npos) break;
    const std::string_view line = fields.substr(at + 2, next - at - 2);
    at = next;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos ||
        !protocol::EqualsIgnoreAsciiCase(line.substr(0, colon), "content-length")) {
      continue;
    }
    std::string_view v = line.substr(colon + 1);
    while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
    std::size_t length = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), length);
    if (r.ec != std::errc()) return false;
    return head.size() - (end + 4) >= length;
  }
  return false;
}

RawResult Exchange(const std::string& host, int port, std::string_view bytes,
                   std::chrono::milliseconds timeout, bool whole_response);

}  // namespace

RawResult RawExchange(const std::string& host, int port, std::string_view bytes,
                      std::chrono::milliseconds timeout) {
  return Exchange(host, port, bytes, timeout, false);
}

RawResult RawHttpExchange(const std::string& host, int port, std::string_view bytes,
                          std::chrono::milliseconds timeout) {
  return Exchange(host, port, bytes, timeout, true);
}

namespace {

RawResult Exchange(const std::string& host, int port, std::string_view bytes,
                   std::chrono::milliseconds timeout, bool whole_response) {
  RawResult result;
  const Clock::time_point deadline = Clock::now() + timeout;
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  int family = AF_INET;
  if (auto* v4 = reinterpret_cast<sockaddr_in*>(&addr);
      inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(sockaddr_in);
  } else if (auto* v6 = reinterpret_cast<sockaddr_in6*>(&addr);
             inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
    family = AF_INET6;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<uint16_t>(port));
    addr_len = sizeof(sockaddr_in6);
  } else {
    result.outcome = RawOutcome::kConnectFailed;
    return result;
  }
  Fd fd(::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) {
    result.outcome = RawOutcome::kConnectFailed;
    return result;
  }
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), addr_len) != 0) {
    if (errno != EINPROGRESS) {
      result.outcome = RawOutcome::kConnectFailed;
      return result;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) <= 0) {
      result.outcome = RawOutcome::kConnectFailed;
      return result;
    }
    int err = 0;
    socklen_t len = sizeof(err);
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      result.outcome = RawOutcome::kConnectFailed;
      return result;
    }
  }
  // Write everything (the server may answer and close early: a failed write is not an error).
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, RemainingMs(deadline)) <= 0) break;
    const ssize_t n = ::send(fd.get(), bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  if (!whole_response) ::shutdown(fd.get(), SHUT_WR);
  const std::size_t max_read = whole_response ? kMaxWholeRead : kMaxRead;
  char buf[8192];
  while (result.head.size() < max_read) {
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = ::poll(&p, 1, RemainingMs(deadline));
    if (ready <= 0) {
      result.status = ParseStatus(result.head);
      result.outcome = result.status != 0 ? RawOutcome::kResponse : RawOutcome::kTimeout;
      return result;
    }
    const ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) break;  // closed or reset
    result.head.append(buf, static_cast<std::size_t>(n));
    if (whole_response
            ? BodyComplete(result.head)
            : result.head.find("\r\n\r\n") != std::string::npos && ParseStatus(result.head) != 0) {
      break;
    }
  }
  result.status = ParseStatus(result.head);
  result.outcome = result.status != 0 ? RawOutcome::kResponse : RawOutcome::kClosed;
  return result;
}

}  // namespace

}  // namespace regauth::net
