// raw_exchange_test.cc — RawExchange reports an answer, a close and a hang as such.
#include "net/raw_exchange.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

namespace regauth::net {
namespace {

// OneShotServer accepts one connection on 127.0.0.1:0, reads what arrives, and then answers
// `reply` and closes, closes silently (reply empty), or holds the connection (hold).
class OneShotServer {
 public:
  OneShotServer(std::string reply, bool hold) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 1);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this, reply, hold] {
      const int c = ::accept(fd_, nullptr, nullptr);
      char buf[4096];
      (void)::recv(c, buf, sizeof buf, 0);
      if (!reply.empty()) (void)::send(c, reply.data(), reply.size(), MSG_NOSIGNAL);
      if (hold) std::this_thread::sleep_for(std::chrono::milliseconds(600));
      ::close(c);
    });
  }
  ~OneShotServer() {
    thread_.join();
    ::close(fd_);
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

TEST(RawExchange, ReadsTheStatusLine) {
  OneShotServer s("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", false);
  const RawResult r =
      RawExchange("127.0.0.1", s.port(), "GET / HTTP/1.1\n\n", std::chrono::milliseconds(2000));
  EXPECT_EQ(r.outcome, RawOutcome::kResponse);
  EXPECT_EQ(r.status, 400);
}

// RawHttpExchange reads past the header block through the Content-Length body.
TEST(RawHttpExchange, ReadsTheWholeResponseBody) {
  OneShotServer s("HTTP/1.1 401 Unauthorized\r\nContent-Length: 11\r\n\r\nhello world", true);
  const RawResult r = RawHttpExchange("127.0.0.1", s.port(), "GET / HTTP/1.1\r\nHost: h\r\n\r\n",
                                      std::chrono::milliseconds(5000));
  EXPECT_EQ(r.outcome, RawOutcome::kResponse);
  EXPECT_EQ(r.status, 401);
  EXPECT_TRUE(r.head.ends_with("\r\n\r\nhello world")) << r.head;
}

TEST(RawExchange, ReportsACloseWithoutAnswer) {
  OneShotServer s("", false);
  const RawResult r =
      RawExchange("127.0.0.1", s.port(), "garbage", std::chrono::milliseconds(2000));
  EXPECT_EQ(r.outcome, RawOutcome::kClosed);
}

TEST(RawExchange, ReportsAHangAsTimeout) {
  OneShotServer s("", true);
  const RawResult r =
      RawExchange("127.0.0.1", s.port(), "GET / HTTP/1.1\r\n", std::chrono::milliseconds(200));
  EXPECT_EQ(r.outcome, RawOutcome::kTimeout);
}

TEST(RawExchange, ReportsConnectFailure) {
  const RawResult r = RawExchange("not-an-ip", 1, "x", std::chrono::milliseconds(200));
  EXPECT_EQ(r.outcome, RawOutcome::kConnectFailed);
}

}  // namespace
}  // namespace regauth::net
