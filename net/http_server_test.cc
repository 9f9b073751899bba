#include "net/http_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/test_certificate.h"
#include "protocol/test_support.h"

namespace regauth::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// ---- a raw POSIX client: the server is tested byte for byte, without Beast ----

struct RawResponse {
  std::string version;
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;

  std::optional<std::string> Header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (protocol::EqualsIgnoreAsciiCase(k, name)) return v;
    }
    return std::nullopt;
  }
  std::vector<std::string> Headers(std::string_view name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers) {
      if (protocol::EqualsIgnoreAsciiCase(k, name)) out.push_back(v);
    }
    return out;
  }
};

class RawClient {
 public:
  explicit RawClient(std::uint16_t port, bool ipv6 = false) {
    fd_ = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    SetReceiveTimeout(milliseconds(3000));
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    int rc;
    if (ipv6) {
      sockaddr_in6 a{};
      a.sin6_family = AF_INET6;
      a.sin6_port = htons(port);
      a.sin6_addr = in6addr_loopback;
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    } else {
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_port = htons(port);
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      rc = connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a));
    }
    connected_ = rc == 0;
  }
  ~RawClient() {
    if (fd_ >= 0) close(fd_);
  }
  RawClient(const RawClient&) = delete;
  RawClient& operator=(const RawClient&) = delete;

  bool connected() const { return connected_; }

  bool Send(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  // Read parses one response (status line, fields, Content-Length body; no body for HEAD, 1xx,
  // 204, 304). nullopt when the connection ends or stalls first.
  std::optional<RawResponse> Read(bool head_request = false) {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    RawResponse r;
    std::string_view head(buf_.data(), end);
    const std::size_t line_end = head.find("\r\n");
    const std::string_view status_line = head.substr(0, line_end);
    r.version = std::string(status_line.substr(0, status_line.find(' ')));
    r.status = std::atoi(std::string(status_line.substr(r.version.size() + 1, 3)).c_str());
    std::string_view rest =
        line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
    while (!rest.empty()) {
      const std::size_t eol = rest.find("\r\n");
      const std::string_view line = rest.substr(0, eol);
      rest = eol == std::string_view::npos ? std::string_view() : rest.substr(eol + 2);
      const std::size_t colon = line.find(':');
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      r.headers.emplace_back(std::string(line.substr(0, colon)), std::string(value));
    }
    buf_.erase(0, end + 4);
    const bool bodiless = head_request || r.status < 200 || r.status == 204 || r.status == 304;
    if (auto cl = r.Header("Content-Length"); cl && !bodiless) {
      const std::size_t n = std::stoul(*cl);
      while (buf_.size() < n) {
        if (!Fill()) return std::nullopt;
      }
      r.body = buf_.substr(0, n);
      buf_.erase(0, n);
    }
    return r;
  }

  // PeerClosedWithin is true when the server closes the connection (EOF or reset) within
  // `within`; bytes that arrive meanwhile are discarded.
  bool PeerClosedWithin(milliseconds within) {
    const auto deadline = Clock::now() + within;
    char tmp[4096];
    while (Clock::now() < deadline) {
      SetReceiveTimeout(std::chrono::duration_cast<milliseconds>(deadline - Clock::now()) +
                        milliseconds(1));
      const ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
      if (n == 0) return true;
      if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
        if (errno == EINTR) continue;
        return true;  // ECONNRESET and friends
      }
    }
    return false;
  }

  std::size_t buffered() const { return buf_.size(); }

 private:
  bool Fill() {
    char tmp[16384];
    const ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf_.append(tmp, static_cast<std::size_t>(n));
    return true;
  }
  void SetReceiveTimeout(milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

// ---- a recording handler ----

class Recorder {
 public:
  // Handler records each request and answers with `respond` (default: 200 "ok:" + path).
  HttpHandler Handler() {
    return [this](const HttpRequest& req) {
      std::function<HttpResponse(const HttpRequest&)> respond;
      {
        std::lock_guard<std::mutex> lock(mu_);
        requests_.push_back(req);
        respond = respond_;
      }
      if (respond) return respond(req);
      return HttpResponse::Text(200, "ok:" + req.path);
    };
  }
  void Respond(std::function<HttpResponse(const HttpRequest&)> f) {
    std::lock_guard<std::mutex> lock(mu_);
    respond_ = std::move(f);
  }
  std::size_t count() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.size();
  }
  HttpRequest last() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_.empty() ? HttpRequest{} : requests_.back();
  }

 private:
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::function<HttpResponse(const HttpRequest&)> respond_;
};

std::unique_ptr<HttpServer> MustStart(HttpServerOptions options, HttpHandler handler) {
  auto server = HttpServer::Start(std::move(options), std::move(handler));
  if (!server) {
    ADD_FAILURE() << "Start failed: " << server.error().message;
    return nullptr;
  }
  return std::move(*server);
}

// WaitFor polls `cond` for up to `limit` (state changes on the server's I/O threads).
template <typename F>
bool WaitFor(F cond, milliseconds limit = milliseconds(2000)) {
  const auto deadline = Clock::now() + limit;
  while (Clock::now() < deadline) {
    if (cond()) return true;
    std::this_thread::sleep_for(milliseconds(2));
  }
  return cond();
}

class HttpServerTest : public testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    server_ = MustStart(std::move(options), recorder_.Handler());
    ASSERT_NE(server_, nullptr);
  }
  std::uint16_t port() const { return server_->port(); }

  Recorder recorder_;
  std::unique_ptr<HttpServer> server_;
};

// ---- round trips ----

struct MethodCase {
  const char* label;
  std::string method;
  std::string body;
};
REGAUTH_PRINT_LABEL(MethodCase)

const MethodCase kMethodCases[] = {
    {"GET", "GET", ""},
    {"HEAD", "HEAD", ""},
    {"POST", "POST", "grant_type=x"},
    {"PUT", "PUT", "{\"a\":1}"},
    {"PATCH", "PATCH", "patch-body"},
    {"DELETE", "DELETE", ""},
};

class MethodRoundTripTest : public HttpServerTest,
                            public testing::WithParamInterface<MethodCase> {};

// RFC 9110 §9.3: every method reaches the handler with target, headers and body intact; HEAD
// gets the GET Content-Length and no body (§9.3.2), checked by a second request on the same
// connection parsing cleanly.
TEST_P(MethodRoundTripTest, HandlerSeesRequestAndClientGetsResponse) {
  const MethodCase& c = GetParam();
  StartServer();
  recorder_.Respond([](const HttpRequest& req) {
    HttpResponse r = HttpResponse::Text(201, "body-for-" + req.method);
    r.AddHeader("WWW-Authenticate", "Bearer realm=\"r1\"");
    r.AddHeader("X-Other", "1");
    r.AddHeader("www-authenticate", "Basic realm=\"r2\"");
    return r;
  });
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  std::string request = c.method + " /v2/token?service=reg&scope=a%3Ab HTTP/1.1\r\n" +
                        "Host: 127.0.0.1\r\n"
                        "X-Repeat: one\r\n"
                        "Authorization: Bearer abc\r\n"
                        "x-repeat: two\r\n";
  if (!c.body.empty()) request += "Content-Length: " + std::to_string(c.body.size()) + "\r\n";
  request += "\r\n" + c.body;
  ASSERT_TRUE(client.Send(request));
  auto res = client.Read(c.method == "HEAD");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->version, "HTTP/1.1");
  EXPECT_EQ(res->status, 201);
  const std::string want_body = "body-for-" + c.method;
  EXPECT_EQ(res->Header("Content-Length"), std::to_string(want_body.size()));
  EXPECT_EQ(res->body, c.method == "HEAD" ? "" : want_body);
  EXPECT_EQ(res->Headers("WWW-Authenticate"),
            (std::vector<std::string>{"Bearer realm=\"r1\"", "Basic realm=\"r2\""}));
  EXPECT_TRUE(res->Header("Date").has_value());
  EXPECT_FALSE(res->Header("Connection").has_value());  // HTTP/1.1 keep-alive is implicit

  const HttpRequest got = recorder_.last();
  EXPECT_EQ(got.method, c.method);
  EXPECT_EQ(got.target, "/v2/token?service=reg&scope=a%3Ab");
  EXPECT_EQ(got.path, "/v2/token");
  EXPECT_EQ(got.query, "service=reg&scope=a%3Ab");
  EXPECT_EQ(got.QueryParam("scope"), "a:b");
  EXPECT_EQ(got.body, c.body);
  EXPECT_EQ(got.remote_address, "127.0.0.1");
  EXPECT_FALSE(got.tls);
  EXPECT_EQ(got.Header("AUTHORIZATION"), "Bearer abc");
  EXPECT_EQ(got.Headers("x-repeat"), (std::vector<std::string_view>{"one", "two"}));
  ASSERT_GE(got.headers.size(), 4u);
  EXPECT_EQ(got.headers[1].first, "X-Repeat");  // names keep the client's case and order
  EXPECT_EQ(got.headers[3].first, "x-repeat");

  // Same connection, next request: proves the previous response had exactly its framing.
  ASSERT_TRUE(client.Send("GET /second HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto second = client.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "body-for-GET");
  EXPECT_EQ(server_->stats().accepted, 1u);
}

INSTANTIATE_TEST_SUITE_P(Table, MethodRoundTripTest, testing::ValuesIn(kMethodCases),
                         testing_support::LabelName());

// RFC 9112 §7.1: a chunked request body is decoded before the handler sees it.
TEST_F(HttpServerTest, DecodesChunkedRequestBody) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                  "5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(recorder_.last().body, "hello world");
}

// RFC 9112 §9.3: HTTP/1.1 connections persist; pipelined requests are answered in order.
TEST_F(HttpServerTest, KeepsConnectionAliveAndAnswersPipelinedRequestsInOrder) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto a = client.Read();
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->body, "ok:/a");
  ASSERT_TRUE(client.Send("GET /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto b = client.Read();
  auto c = client.Read();
  ASSERT_TRUE(b.has_value());
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(b->body, "ok:/b");
  EXPECT_EQ(c->body, "ok:/c");
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 3u);
}

// RFC 9112 §9.3: HTTP/1.0 closes unless the client asks for keep-alive.
TEST_F(HttpServerTest, Http10ClosesByDefaultAndHonoursKeepAlive) {
  StartServer();
  {
    RawClient client(port());
    ASSERT_TRUE(client.Send("GET /old HTTP/1.0\r\n\r\n"));
    auto res = client.Read();
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->status, 200);
    EXPECT_EQ(res->Header("Connection"), "close");
    EXPECT_TRUE(client.PeerClosedWithin(milliseconds(2000)));
  }
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET /ka HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
  auto first = client.Read();
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->Header("Connection"), "keep-alive");
  ASSERT_TRUE(client.Send("GET /ka2 HTTP/1.0\r\n\r\n"));
  auto second = client.Read();
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->body, "ok:/ka2");
}

// RFC 9112 §9.6: `Connection: close` from the client ends the connection after the response.
TEST_F(HttpServerTest, ClosesWhenClientAsksForClose) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->Header("Connection"), "close");
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(2000)));
}

// RFC 9110 §10.1.1: `Expect: 100-continue` gets an interim 100 before the body is sent.
TEST_F(HttpServerTest, SendsContinueBeforeReadingBody) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "PUT /m HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = client.Read();
  ASSERT_TRUE(interim.has_value());
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(client.Send("data"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(recorder_.last().body, "data");
}

// ---- malformed input ----

struct BadCase {
  const char* label;
  std::string request;
  int want_status;
};
REGAUTH_PRINT_LABEL(BadCase)

// Each is answered by the adapter with a short text body and `Connection: close`; the handler
// never runs. RFC 9112 §2.2, §3, §3.2, §6.1, §6.3; RFC 9110 §2.5.
const BadCase kBadCases[] = {
    {"garbage request line", "GARBAGE\r\n\r\n", 400},
    {"space in field name", "GET / HTTP/1.1\r\nHost: h\r\nBad Name: x\r\n\r\n", 400},
    {"field without colon", "GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n\r\n", 400},
    {"control byte in target", "GET /a\x01 HTTP/1.1\r\nHost: h\r\n\r\n", 400},
    {"missing host", "GET / HTTP/1.1\r\n\r\n", 400},
    {"two hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
    {"content-length and chunked",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
    {"chunked then content-length",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400},
    {"two different content-lengths",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", 400},
    {"non-numeric content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
     400},
    {"negative content-length", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 400},
    {"bad chunk size",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", 400},
    {"chunked in http/1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400},
    {"gzip transfer coding",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501},
    {"identity transfer coding",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: identity\r\n\r\n", 501},
    {"http/2.0 version", "GET / HTTP/2.0\r\nHost: h\r\n\r\n", 505},
    {"http/1.2 version", "GET / HTTP/1.2\r\nHost: h\r\n\r\n", 505},
    {"malformed version", "GET / HTXP/1.1\r\nHost: h\r\n\r\n", 400},
    {"http/0.9 style request", "GET /\r\n\r\n", 400},
    // RFC 9112 §5.2: obs-fold is refused, never unfolded (two parsers could disagree).
    {"obs-fold with space", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n b\r\n\r\n", 400},
    {"obs-fold with tab", "GET / HTTP/1.1\r\nHost: h\r\nX-A: a\r\n\tb\r\n\r\n", 400},
    // RFC 9112 §6.3: repeated Content-Length (even equal values, even as a list) is a smuggling
    // shape: refused rather than merged.
    {"two equal content-lengths",
     "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\na", 400},
    {"content-length list", "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1, 1\r\n\r\na", 400},
    {"chunk-size overflow",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
     "fffffffffffffffffff\r\nab\r\n0\r\n\r\n",
     400},
    {"chunk-size of 2^64",
     "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
     "10000000000000000\r\nab\r\n0\r\n\r\n",
     400},
    {"bare lf line ends", "GET / HTTP/1.1\nHost: h\n\n", 400},
};

class BadRequestTest : public HttpServerTest, public testing::WithParamInterface<BadCase> {};

TEST_P(BadRequestTest, AnswersErrorAndCloses) {
  const BadCase& c = GetParam();
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send(c.request));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value()) << c.label;
  EXPECT_EQ(res->status, c.want_status) << c.label;
  EXPECT_EQ(res->Header("Connection"), "close") << c.label;
  EXPECT_EQ(res->Header("Content-Type"), "text/plain; charset=utf-8") << c.label;
  EXPECT_FALSE(res->body.empty()) << c.label;
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(2000))) << c.label;
  EXPECT_EQ(recorder_.count(), 0u) << c.label;
  EXPECT_EQ(server_->stats().bad_requests, 1u) << c.label;
}

INSTANTIATE_TEST_SUITE_P(Table, BadRequestTest, testing::ValuesIn(kBadCases),
                         testing_support::LabelName());

// RFC 6585 §5: a header section over the limit is refused with 431.
TEST_F(HttpServerTest, RefusesOversizedHeaderWith431) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 431);
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(2000)));
  EXPECT_EQ(recorder_.count(), 0u);
}

// A header section that never ends is refused as soon as it passes the limit, not buffered.
TEST_F(HttpServerTest, RefusesEndlessHeaderWith431) {
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n"));
  for (int i = 0; i < 20; ++i) {
    if (!client.Send("X-" + std::to_string(i) + ": " + std::string(100, 'b') + "\r\n")) break;
  }
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 431);
}

// HeaderSectionOf builds a GET whose header section (request line through the empty line) is
// exactly `size` bytes, padded in an X-Pad field.
std::string HeaderSectionOf(std::size_t size) {
  const std::string head = "GET / HTTP/1.1\r\nHost: h\r\nX-Pad: ";
  const std::string tail = "\r\n\r\n";
  return head + std::string(size - head.size() - tail.size(), 'p') + tail;
}

struct HeaderLimitCase {
  const char* label;
  std::size_t section;  // header-section bytes, against a limit of 1024
  bool trickle;         // sent line by line in small pieces (the parser consumes lines early)
  std::string before;   // bytes before the request line (empty lines: not counted)
  int want;
};
REGAUTH_PRINT_LABEL(HeaderLimitCase)

const HeaderLimitCase kHeaderLimitCases[] = {
    {"OneUnder", 1023, false, "", 200},
    {"AtLimit", 1024, false, "", 200},
    {"OneOver", 1025, false, "", 431},
    {"AtLimitTrickled", 1024, true, "", 200},
    {"OneOverTrickled", 1025, true, "", 431},
    {"AtLimitAfterEmptyLines", 1024, false, "\r\n\r\n", 200},
};

class HeaderLimitTest : public HttpServerTest,
                        public testing::WithParamInterface<HeaderLimitCase> {};

// RFC 6585 §5 / http_server.h: max_header_bytes is exact — a header section of that many bytes
// is served, one byte more is refused with 431, however the bytes arrive.
TEST_P(HeaderLimitTest, LimitIsExact) {
  const HeaderLimitCase& c = GetParam();
  HttpServerOptions o;
  o.max_header_bytes = 1024;
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.connected());
  const std::string request = c.before + HeaderSectionOf(c.section);
  if (c.trickle) {
    // Line by line, and the pad line in 100-byte pieces, each after a pause.
    std::size_t at = 0;
    while (at < request.size()) {
      std::size_t eol = request.find("\r\n", at);
      std::size_t end = eol == std::string::npos ? request.size() : eol + 2;
      end = std::min(end, at + 100);
      ASSERT_TRUE(client.Send(std::string_view(request).substr(at, end - at)));
      at = end;
      std::this_thread::sleep_for(milliseconds(5));
    }
  } else {
    ASSERT_TRUE(client.Send(request));
  }
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, c.want);
  EXPECT_EQ(recorder_.count(), c.want == 200 ? 1u : 0u);
}

INSTANTIATE_TEST_SUITE_P(Table, HeaderLimitTest, testing::ValuesIn(kHeaderLimitCases),
                         testing_support::LabelName());

// ---- request bodies spilled to an anonymous file ----

// SpillDir is a fresh temporary directory, removed (it must be empty) at the end.
class SpillDir {
 public:
  SpillDir() {
    std::string t = testing::TempDir() + "/spill-XXXXXX";
    char resolved[PATH_MAX];
    // Canonical, as /proc/self/fd links are (TempDir() may end in '/').
    path_ =
        mkdtemp(t.data()) != nullptr && realpath(t.c_str(), resolved) != nullptr ? resolved : "";
  }
  ~SpillDir() {
    if (!path_.empty()) rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }
  // Entries is the number of names in the directory.
  int Entries() const {
    int n = 0;
    if (DIR* d = opendir(path_.c_str())) {
      while (dirent* e = readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
      }
      closedir(d);
    }
    return n;
  }
  // OpenFiles is the number of this process's descriptors on files in the directory (a spilled
  // body still held: its link reads "<dir>/#123 (deleted)" or "<dir>/regauth-body-… (deleted)").
  int OpenFiles() const {
    int n = 0;
    if (DIR* d = opendir("/proc/self/fd")) {
      while (dirent* e = readdir(d)) {
        char target[4096];
        const std::string link = std::string("/proc/self/fd/") + e->d_name;
        const ssize_t len = readlink(link.c_str(), target, sizeof(target) - 1);
        if (len <= 0) continue;
        if (std::string_view(target, static_cast<std::size_t>(len)).rfind(path_ + "/", 0) == 0) ++n;
      }
      closedir(d);
    }
    return n;
  }

 private:
  std::string path_;
};

// What a spill-test handler saw of one request.
struct SeenBody {
  bool spilled = false;
  std::uint64_t size = 0;
  std::string content;  // read back through BodyContent()
  int names_in_spill_dir = -1;
};

class SpillTest : public testing::Test {
 protected:
  void Start(std::size_t max_body = 1 << 20, std::string directory = "") {
    HttpServerOptions o;
    o.max_body_bytes = max_body;
    o.spill_body_over = 1024;
    o.spill_directory = directory.empty() ? dir_.path() : directory;
    server_ = MustStart(o, [this](const HttpRequest& req) {
      SeenBody seen;
      seen.spilled = req.spilled_body != nullptr;
      seen.size = req.BodySize();
      seen.content = ReadAll(*req.BodyContent()).value_or("<read failed>");
      seen.names_in_spill_dir = dir_.Entries();
      std::lock_guard<std::mutex> lock(mu_);
      seen_.push_back(std::move(seen));
      return HttpResponse::Text(200, "ok");
    });
    ASSERT_NE(server_, nullptr);
  }
  std::uint16_t port_or_zero() const { return server_ ? server_->port() : 0; }
  SeenBody Last() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.empty() ? SeenBody{} : seen_.back();
  }
  std::size_t Count() {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_.size();
  }

  SpillDir dir_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mu_;
  std::vector<SeenBody> seen_;
};

std::string Pattern(std::size_t n) {
  std::string s(n, '\0');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  return s;
}

// A body up to the threshold stays in memory; a larger one, declared by Content-Length or grown
// past the threshold as chunks, reaches the handler as a file that never had a name, and no
// descriptor on it outlives the request.
TEST_F(SpillTest, LargeBodiesGoToAnAnonymousFileAndSmallOnesStayInMemory) {
  ASSERT_FALSE(dir_.path().empty());
  Start();
  RawClient client(port_or_zero());
  ASSERT_TRUE(client.connected());

  const std::string small = Pattern(1024);
  ASSERT_TRUE(client.Send("PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 1024\r\n\r\n" + small));
  ASSERT_TRUE(client.Read().has_value());
  EXPECT_FALSE(Last().spilled);
  EXPECT_EQ(Last().content, small);

  const std::string big = Pattern(300 * 1024 + 17);
  ASSERT_TRUE(client.Send("PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: " +
                          std::to_string(big.size()) + "\r\n\r\n" + big));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(Last().spilled);
  EXPECT_EQ(Last().size, big.size());
  EXPECT_TRUE(Last().content == big);
  EXPECT_EQ(Last().names_in_spill_dir, 0);  // anonymous while in use

  // Chunked: starts in memory, moves to the file once past 1024 bytes.
  std::string chunked = "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (std::size_t at = 0; at < big.size(); at += 1000) {
    const std::string piece = big.substr(at, 1000);
    char size_line[32];
    std::snprintf(size_line, sizeof(size_line), "%zx\r\n", piece.size());
    chunked += size_line + piece + "\r\n";
  }
  chunked += "0\r\n\r\n";
  ASSERT_TRUE(client.Send(chunked));
  res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(Last().spilled);
  EXPECT_TRUE(Last().content == big);

  EXPECT_TRUE(WaitFor([&] { return dir_.OpenFiles() == 0; }));
  EXPECT_EQ(dir_.Entries(), 0);
}

// A client that drops the connection halfway through a large body leaves no file and no
// descriptor behind.
TEST_F(SpillTest, DroppedConnectionLeavesNothingBehind) {
  Start();
  {
    RawClient client(port_or_zero());
    ASSERT_TRUE(client.Send("PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 400000\r\n\r\n" +
                            Pattern(150000)));
    EXPECT_TRUE(WaitFor([&] { return dir_.OpenFiles() == 1; }));  // the body is being spilled
  }
  EXPECT_TRUE(WaitFor([&] { return dir_.OpenFiles() == 0; }));
  EXPECT_EQ(dir_.Entries(), 0);
  EXPECT_EQ(Count(), 0u);
}

// A body that cannot be spilled (no usable directory) is a 500, never a crash or a truncation.
TEST_F(SpillTest, UnusableSpillDirectoryGives500) {
  Start(1 << 20, dir_.path() + "/missing");
  RawClient client(port_or_zero());
  ASSERT_TRUE(
      client.Send("PUT /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n" + Pattern(5000)));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(Count(), 0u);
}

// RFC 9110 §15.5.14: a declared body over the limit is refused before any body byte is read.
TEST_F(HttpServerTest, RefusesOversizedContentLengthWith413BeforeTheBody) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /blob HTTP/1.1\r\nHost: h\r\nContent-Length: 1001\r\n\r\n"));
  auto res = client.Read();  // no body byte was sent: the 413 came from the header alone
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(res->Header("Connection"), "close");
  EXPECT_EQ(recorder_.count(), 0u);
}

// The same limit applies to a chunked body as it is decoded.
TEST_F(HttpServerTest, RefusesOversizedChunkedBodyWith413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient client(port());
  std::string req = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 3; ++i) req += "190\r\n" + std::string(400, 'c') + "\r\n";
  req += "0\r\n\r\n";
  client.Send(req);
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 413);
  EXPECT_EQ(recorder_.count(), 0u);
}

// A body exactly at the limit is accepted (the limit is inclusive).
TEST_F(HttpServerTest, AcceptsBodyExactlyAtLimit) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT /blob HTTP/1.1\r\nHost: h\r\nContent-Length: 1000\r\n\r\n" +
                          std::string(1000, 'x')));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(recorder_.last().body.size(), 1000u);
}

// ---- handler misbehaviour ----

// A throwing handler yields a generic 500; neither the error log nor the access log sees any
// request data (the exception text here quotes the Authorization header).
TEST_F(HttpServerTest, HandlerExceptionGives500WithoutLeakingRequestData) {
  std::mutex mu;
  std::vector<std::string> logged;
  HttpServerOptions o;
  o.error_log = [&](std::string_view m) {
    std::lock_guard<std::mutex> lock(mu);
    logged.emplace_back(m);
  };
  o.access_log = [&](const AccessLogEntry& e) {
    std::lock_guard<std::mutex> lock(mu);
    logged.push_back(e.method + " " + e.path + " " + std::to_string(e.status));
  };
  StartServer(o);
  recorder_.Respond([](const HttpRequest& req) -> HttpResponse {
    throw std::runtime_error("boom with " + std::string(*req.Header("Authorization")));
  });
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("GET /v2/?private_token=q-secret HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer "
                  "s3cr3t-token\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_EQ(res->body, "internal server error\n");
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return logged.size() >= 2;
  }));
  std::lock_guard<std::mutex> lock(mu);
  for (const std::string& line : logged) {
    EXPECT_EQ(line.find("s3cr3t"), std::string::npos) << line;
    EXPECT_EQ(line.find("q-secret"), std::string::npos) << line;
  }
  EXPECT_EQ(logged.back(), "GET /v2/ 500");
  EXPECT_EQ(server_->stats().handler_errors, 1u);
}

// Response splitting: a header value with CR/LF from a handler never reaches the wire.
TEST_F(HttpServerTest, InvalidHandlerHeaderGives500) {
  HttpServerOptions o;
  o.error_log = [](std::string_view) {};
  StartServer(o);
  recorder_.Respond([](const HttpRequest&) {
    return HttpResponse::Text(200, "x").AddHeader("X-Evil", "a\r\nSet-Cookie: s=1");
  });
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 500);
  EXPECT_FALSE(res->Header("Set-Cookie").has_value());
  EXPECT_FALSE(res->Header("X-Evil").has_value());
}

// The adapter owns framing: a handler's Content-Length/Connection/Transfer-Encoding are dropped.
TEST_F(HttpServerTest, DropsFramingHeadersSetByHandler) {
  StartServer();
  recorder_.Respond([](const HttpRequest&) {
    HttpResponse r = HttpResponse::Text(200, "four");
    r.AddHeader("Content-Length", "999").AddHeader("Connection", "close");
    r.AddHeader("Transfer-Encoding", "chunked").AddHeader("Date", "yesterday");
    return r;
  });
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->Headers("Content-Length"), std::vector<std::string>{"4"});
  EXPECT_FALSE(res->Header("Connection").has_value());
  EXPECT_FALSE(res->Header("Transfer-Encoding").has_value());
  EXPECT_NE(res->Header("Date"), "yesterday");
  EXPECT_EQ(res->body, "four");
}

// RFC 9110 §15.3.5: 204 has no body and no Content-Length.
TEST_F(HttpServerTest, NoContentHasNoBodyAndNoContentLength) {
  StartServer();
  recorder_.Respond([](const HttpRequest&) { return HttpResponse::Text(204, "ignored"); });
  RawClient client(port());
  ASSERT_TRUE(
      client.Send("DELETE /x HTTP/1.1\r\nHost: h\r\n\r\nGET /y HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 204);
  EXPECT_FALSE(res->Header("Content-Length").has_value());
  auto next = client.Read();  // framing intact: the ignored body was not sent
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(next->status, 204);
}

// The access log carries the path without the query string (it may hold credentials).
TEST_F(HttpServerTest, AccessLogOmitsQueryAndHeaders) {
  std::mutex mu;
  std::vector<AccessLogEntry> entries;
  HttpServerOptions o;
  o.access_log = [&](const AccessLogEntry& e) {
    std::lock_guard<std::mutex> lock(mu);
    entries.push_back(e);
  };
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send(
      "POST /jwt/auth?password=hunter2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"));
  ASSERT_TRUE(client.Read().has_value());
  ASSERT_TRUE(WaitFor([&] {
    std::lock_guard<std::mutex> lock(mu);
    return !entries.empty();
  }));
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(entries[0].method, "POST");
  EXPECT_EQ(entries[0].path, "/jwt/auth");
  EXPECT_EQ(entries[0].status, 200);
  EXPECT_EQ(entries[0].request_body_bytes, 3u);
  EXPECT_EQ(entries[0].response_body_bytes, std::string("ok:/jwt/auth").size());
  EXPECT_EQ(entries[0].remote_address, "127.0.0.1");
}

// ---- connections, timeouts, shutdown ----

// RFC 9112 §2.2: empty lines before a request line are ignored.
TEST_F(HttpServerTest, IgnoresEmptyLinesBeforeTheRequestLine) {
  StartServer();
  RawClient client(port());
  ASSERT_TRUE(client.Send("\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  ASSERT_TRUE(client.Send("\r\nGET /b HTTP/1.1\r\nHost: h\r\n\r\n"));  // kept alive
  res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "ok:/b");
}

// A client that sends a whole over-long body before reading reads the 413, not a reset: the
// server keeps draining while the bytes come (RFC 9112 §9.6).
TEST_F(HttpServerTest, OverLongBodySentWholeStillReads413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient client(port());
  const std::string body(4 << 20, 'x');
  ASSERT_TRUE(client.Send(
      "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n"));
  ASSERT_TRUE(client.Send(body));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 413);
}

// The body deadline is an idle time: a body that keeps coming, slower than the deadline in
// total, is read whole.
TEST_F(HttpServerTest, SlowButProgressingBodyIsReadWhole) {
  HttpServerOptions o;
  o.body_timeout = milliseconds(300);
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\n"));
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(milliseconds(100));
    ASSERT_TRUE(client.Send("b"));
  }
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(recorder_.last().body, "bbbbbbbbbb");
}

// A streamed body goes out with its Content-Length; HEAD gets the length and no body.
TEST_F(HttpServerTest, SendsStreamedBodyAndItsLength) {
  StartServer();
  auto data = std::make_shared<const std::string>("0123456789abcdef");
  recorder_.Respond([data](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<SharedStringBody>(data, 3, 10);
    return r;
  });
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "3456789abc");
  ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: h\r\n\r\n"));
  res = client.Read(/*head_request=*/true);
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->Header("Content-Length"), "10");
  ASSERT_TRUE(client.Send("GET /again HTTP/1.1\r\nHost: h\r\n\r\n"));  // framing intact
  res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "3456789abc");
}

// The write deadline is an idle time per piece: a reader slower in total than the deadline, but
// always taking bytes, gets the whole streamed body; one that stops reading is cut.
TEST_F(HttpServerTest, SlowReaderGetsWholeBodyStalledReaderIsCut) {
  HttpServerOptions o;
  o.write_timeout = milliseconds(400);
  StartServer(o);
  auto data = std::make_shared<const std::string>(std::string(24 << 20, 'z'));
  recorder_.Respond([data](const HttpRequest&) {
    HttpResponse r;
    r.stream = std::make_shared<SharedStringBody>(data, 0, data->size());
    return r;
  });
  RawClient slow(port());
  ASSERT_TRUE(slow.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  std::size_t got = 0;
  const auto begin = Clock::now();
  std::optional<RawResponse> res = slow.Read();  // reads in 16 KiB recv calls
  ASSERT_TRUE(res.has_value());
  got = res->body.size();
  EXPECT_EQ(got, data->size());
  (void)begin;

  RawClient stalled(port());
  ASSERT_TRUE(stalled.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_TRUE(WaitFor([&] { return server_->stats().timeouts == 1; }, milliseconds(5000)));
}

// Full: a new connection evicts the one that has waited longest without a request in progress
// (an idle or slow connection never locks the server), and the others keep working.
TEST_F(HttpServerTest, EvictsLongestWaitingConnectionWhenFull) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  RawClient a(port());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().active_connections == 1; }));
  RawClient b(port());
  ASSERT_TRUE(b.Send("GET /b HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(b.Read().has_value());
  RawClient c(port());
  ASSERT_TRUE(c.Send("GET /c HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(a.PeerClosedWithin(milliseconds(2000)));
  EXPECT_EQ(server_->stats().evicted, 1u);
  ASSERT_TRUE(b.Send("GET /b2 HTTP/1.1\r\nHost: h\r\n\r\n"));
  res = b.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "ok:/b2");
}

// Only when every connection has a request in progress does a client get 503 and a close;
// freed slots are reused.
TEST_F(HttpServerTest, RefusesConnectionsWhenEveryConnectionIsBusy) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  auto a = std::make_unique<RawClient>(port());
  RawClient b(port());
  for (RawClient* busy : {a.get(), &b}) {  // mid-body: a request in progress
    ASSERT_TRUE(busy->Send("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab"));
  }
  ASSERT_TRUE(WaitFor([&] { return server_->stats().active_connections == 2; }));
  std::this_thread::sleep_for(milliseconds(100));  // both headers parsed
  RawClient c(port());
  auto res = c.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->Header("Connection"), "close");
  EXPECT_TRUE(c.PeerClosedWithin(milliseconds(2000)));
  EXPECT_EQ(server_->stats().rejected_over_cap, 1u);

  a.reset();  // frees a slot
  ASSERT_TRUE(WaitFor([&] { return server_->stats().active_connections == 1; }));
  RawClient d(port());
  ASSERT_TRUE(d.Send("GET /d HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto ok = d.Read();
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->status, 200);
}

// Slowloris: connections dripping one header byte at a time neither starve a normal client (one
// I/O thread serves everything) nor survive the header deadline.
TEST_F(HttpServerTest, SlowClientsDoNotStarveOthersAndAreCutAtHeaderDeadline) {
  HttpServerOptions o;
  o.threads = 1;
  o.header_timeout = milliseconds(600);
  StartServer(o);
  constexpr int kSlow = 16;
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < kSlow; ++i) slow.push_back(std::make_unique<RawClient>(port()));
  const std::string drip = "GET / HTTP/1.1\r\nHost: h\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  std::atomic<bool> stop{false};
  std::thread dripper([&] {
    for (std::size_t i = 0; i < drip.size() && !stop; ++i) {
      for (auto& s : slow) s->Send(std::string_view(&drip[i], 1));
      std::this_thread::sleep_for(milliseconds(50));
    }
  });
  std::this_thread::sleep_for(milliseconds(100));
  const auto begin = Clock::now();
  RawClient normal(port());
  ASSERT_TRUE(normal.Send("GET /fast HTTP/1.1\r\nHost: h\r\n\r\n"));
  auto res = normal.Read();
  const auto took = Clock::now() - begin;
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->status, 200);
  EXPECT_LT(took, milliseconds(1000));

  for (auto& s : slow) EXPECT_TRUE(s->PeerClosedWithin(milliseconds(3000)));
  stop = true;
  dripper.join();
  EXPECT_TRUE(WaitFor([&] {
    return server_->stats().timeouts == static_cast<std::uint64_t>(kSlow);
  })) << server_->stats().timeouts;
  EXPECT_EQ(recorder_.count(), 1u);
}

// A body that stalls is cut at the body deadline.
TEST_F(HttpServerTest, StalledBodyIsCutAtBodyDeadline) {
  HttpServerOptions o;
  o.body_timeout = milliseconds(300);
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab"));
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(3000)));
  // The counter moves on the I/O thread right after the deadline closes the socket.
  EXPECT_TRUE(WaitFor([&] { return server_->stats().timeouts == 1; }));
  EXPECT_EQ(recorder_.count(), 0u);
}

// A kept-alive connection with no next request closes at the idle deadline, quietly.
TEST_F(HttpServerTest, IdleKeepAliveConnectionClosesAtIdleDeadline) {
  HttpServerOptions o;
  o.idle_timeout = milliseconds(200);
  StartServer(o);
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(client.Read().has_value());
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(3000)));
  EXPECT_EQ(server_->stats().timeouts, 0u);
}

// Stop() with idle, mid-header and mid-body connections returns promptly and closes them all.
TEST_F(HttpServerTest, StopClosesOpenConnections) {
  StartServer();
  RawClient idle(port());
  ASSERT_TRUE(idle.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(idle.Read().has_value());
  RawClient mid_header(port());
  ASSERT_TRUE(mid_header.Send("GET / HTTP/1.1\r\nHo"));
  RawClient mid_body(port());
  ASSERT_TRUE(mid_body.Send("PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nab"));
  RawClient fresh(port());
  ASSERT_TRUE(WaitFor([&] { return server_->stats().active_connections == 4; }));

  const auto begin = Clock::now();
  server_->Stop();
  EXPECT_LT(Clock::now() - begin, milliseconds(1000));
  EXPECT_TRUE(idle.PeerClosedWithin(milliseconds(1000)));
  EXPECT_TRUE(mid_header.PeerClosedWithin(milliseconds(1000)));
  EXPECT_TRUE(mid_body.PeerClosedWithin(milliseconds(1000)));
  EXPECT_TRUE(fresh.PeerClosedWithin(milliseconds(1000)));
  EXPECT_EQ(server_->stats().active_connections, 0u);
  server_->Stop();  // idempotent
  RawClient after(port());
  EXPECT_FALSE(after.connected());  // the listener is gone
}

// Stop waits for a running handler instead of tearing its connection down under it.
TEST_F(HttpServerTest, StopWaitsForRunningHandler) {
  StartServer();
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  recorder_.Respond([&](const HttpRequest&) {
    entered = true;
    std::this_thread::sleep_for(milliseconds(200));
    finished = true;
    return HttpResponse::Text(200, "slow");
  });
  RawClient client(port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  ASSERT_TRUE(WaitFor([&] { return entered.load(); }));
  server_->Stop();
  EXPECT_TRUE(finished);
}

// ---- start-up ----

// Port 0 binds an ephemeral port; BaseUrl names it.
TEST(HttpServerStart, PortZeroGivesRealPort) {
  Recorder recorder;
  auto server = MustStart({}, recorder.Handler());
  ASSERT_NE(server, nullptr);
  EXPECT_NE(server->port(), 0);
  EXPECT_EQ(server->host(), "127.0.0.1");
  EXPECT_EQ(server->BaseUrl(), "http://127.0.0.1:" + std::to_string(server->port()));
  RawClient client(server->port());
  EXPECT_TRUE(client.connected());
}

// A port already in use fails Start with a message naming the address.
TEST(HttpServerStart, BindFailureIsAClearStartError) {
  Recorder recorder;
  auto first = MustStart({}, recorder.Handler());
  ASSERT_NE(first, nullptr);
  HttpServerOptions o;
  o.port = first->port();
  auto second = HttpServer::Start(o, recorder.Handler());
  ASSERT_FALSE(second.has_value());
  const std::string& m = second.error().message;
  EXPECT_EQ(m.rfind("bind 127.0.0.1:" + std::to_string(first->port()) + ": ", 0), 0u) << m;
  EXPECT_NE(m.find("in use"), std::string::npos) << m;
}

TEST(HttpServerStart, RejectsHostThatIsNotAnIpLiteral) {
  HttpServerOptions o;
  o.host = "localhost";
  auto s = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(s.has_value());
  EXPECT_NE(s.error().message.find("not an IPv4 or IPv6 literal"), std::string::npos);
}

TEST(HttpServerStart, RejectsMissingHandler) {
  auto s = HttpServer::Start({}, nullptr);
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().message, "no handler");
}

// IPv6 literals bind and serve; BaseUrl brackets them (RFC 3986 §3.2.2).
TEST(HttpServerStart, ServesOnIpv6Loopback) {
  Recorder recorder;
  HttpServerOptions o;
  o.host = "::1";
  auto server = HttpServer::Start(o, recorder.Handler());
  if (!server && server.error().message.find("bind") == 0) {
    GTEST_SKIP() << "no IPv6 loopback here: " << server.error().message;
  }
  ASSERT_TRUE(server.has_value()) << server.error().message;
  EXPECT_EQ((*server)->BaseUrl(), "http://[::1]:" + std::to_string((*server)->port()));
  RawClient client((*server)->port(), /*ipv6=*/true);
  ASSERT_TRUE(client.Send("GET /six HTTP/1.1\r\nHost: [::1]\r\n\r\n"));
  auto res = client.Read();
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->body, "ok:/six");
  EXPECT_EQ(recorder.last().remote_address, "::1");
}

// ---- TLS ----

std::size_t AppendToString(char* data, std::size_t size, std::size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlResult {
  CURLcode code = CURLE_OK;
  long status = 0;
  std::string body;
};

CurlResult CurlGet(const std::string& url, const std::string& ca_pem, long max_tls = 0) {
  CurlResult r;
  CURL* h = curl_easy_init();
  curl_easy_setopt(h, CURLOPT_URL, url.c_str());
  curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(h, CURLOPT_PROXY, "");
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 3000L);
  curl_blob blob{const_cast<char*>(ca_pem.data()), ca_pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
  if (max_tls != 0) curl_easy_setopt(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1 | max_tls);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, AppendToString);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, &r.body);
  r.code = curl_easy_perform(h);
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_cleanup(h);
  return r;
}

class HttpServerTlsTest : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    cert_ = new TestCertificate(MakeTestCertificate());
  }
  static void TearDownTestSuite() {
    delete cert_;
    cert_ = nullptr;
  }
  static TestCertificate* cert_;
};
TestCertificate* HttpServerTlsTest::cert_ = nullptr;

// HTTPS round trip with certificate verification against the test root.
TEST_F(HttpServerTlsTest, ServesHttpsWithTheConfiguredCertificate) {
  Recorder recorder;
  HttpServerOptions o;
  o.tls = TlsConfig{cert_->certificate_pem, cert_->private_key_pem};
  auto server = MustStart(o, recorder.Handler());
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->BaseUrl(), "https://127.0.0.1:" + std::to_string(server->port()));
  const CurlResult r = CurlGet(server->BaseUrl() + "/secure?x=1", cert_->certificate_pem);
  ASSERT_EQ(r.code, CURLE_OK) << curl_easy_strerror(r.code);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok:/secure");
  EXPECT_TRUE(recorder.last().tls);
}

// TLS 1.0/1.1 clients are refused (TLS 1.2 minimum).
TEST_F(HttpServerTlsTest, RefusesTlsBelow12) {
  Recorder recorder;
  HttpServerOptions o;
  o.tls = TlsConfig{cert_->certificate_pem, cert_->private_key_pem};
  auto server = MustStart(o, recorder.Handler());
  ASSERT_NE(server, nullptr);
  const CurlResult r =
      CurlGet(server->BaseUrl() + "/", cert_->certificate_pem, CURL_SSLVERSION_MAX_TLSv1_1);
  EXPECT_NE(r.code, CURLE_OK);
  EXPECT_EQ(recorder.count(), 0u);
}

// A plain-HTTP client talking to the TLS port gets no response and is closed.
TEST_F(HttpServerTlsTest, PlainHttpOnTlsPortIsClosed) {
  Recorder recorder;
  HttpServerOptions o;
  o.tls = TlsConfig{cert_->certificate_pem, cert_->private_key_pem};
  auto server = MustStart(o, recorder.Handler());
  ASSERT_NE(server, nullptr);
  RawClient client(server->port());
  ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
  EXPECT_TRUE(client.PeerClosedWithin(milliseconds(2000)));
  EXPECT_EQ(recorder.count(), 0u);
}

// Unusable key material fails Start, and the message never echoes the key.
TEST_F(HttpServerTlsTest, BadKeyIsAStartErrorWithoutKeyMaterial) {
  const TestCertificate other = MakeTestCertificate();
  HttpServerOptions o;
  o.tls = TlsConfig{cert_->certificate_pem, other.private_key_pem};
  auto mismatch = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().message.rfind("tls: private key", 0), 0u) << mismatch.error().message;

  o.tls = TlsConfig{cert_->certificate_pem, "-----BEGIN PRIVATE KEY-----\nAAAA-secret\n"};
  auto garbage = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(garbage.has_value());
  EXPECT_EQ(garbage.error().message.rfind("tls: private key: ", 0), 0u);
  EXPECT_EQ(garbage.error().message.find("AAAA-secret"), std::string::npos);

  o.tls = TlsConfig{"not a certificate", cert_->private_key_pem};
  auto bad_cert = HttpServer::Start(o, [](const HttpRequest&) { return HttpResponse{}; });
  ASSERT_FALSE(bad_cert.has_value());
  EXPECT_EQ(bad_cert.error().message.rfind("tls: certificate chain: ", 0), 0u);
}

}  // namespace
}  // namespace regauth::net
