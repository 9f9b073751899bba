#include "net/http_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/http_server.h"
#include "net/test_certificate.h"
#include "protocol/test_support.h"

namespace regauth::net {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// ---- servers ----

// Recorder answers with `respond` and keeps every request it saw.
class Recorder {
 public:
  HttpHandler Handler() {
    return [this](const HttpRequest& req) {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(req);
      return respond_ ? respond_(req) : HttpResponse::Text(200, "ok");
    };
  }
  void Respond(std::function<HttpResponse(const HttpRequest&)> f) {
    std::lock_guard<std::mutex> lock(mu_);
    respond_ = std::move(f);
  }
  std::vector<HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }

 private:
  std::mutex mu_;
  std::vector<HttpRequest> requests_;
  std::function<HttpResponse(const HttpRequest&)> respond_;
};

std::unique_ptr<HttpServer> MustStart(Recorder& recorder, HttpServerOptions o = {}) {
  auto s = HttpServer::Start(std::move(o), recorder.Handler());
  if (!s) {
    ADD_FAILURE() << s.error().message;
    return nullptr;
  }
  return std::move(*s);
}

int ListenLoopback(std::uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  listen(fd, 16);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// CannedServer answers every connection with fixed bytes, then closes: for responses a
// well-behaved server would never send (no Content-Length, folded or oversized headers, junk).
class CannedServer {
 public:
  explicit CannedServer(std::string reply) : reply_(std::move(reply)) {
    fd_ = ListenLoopback(&port_);
    thread_ = std::thread([this] { Serve(); });
  }
  ~CannedServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/"; }

 private:
  void Serve() {
    while (!stop_) {
      const int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buf[4096];
      while (got.find("\r\n\r\n") == std::string::npos) {
        const ssize_t n = recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;
        got.append(buf, static_cast<std::size_t>(n));
      }
      std::string_view out = reply_;
      while (!out.empty()) {
        const ssize_t n = send(c, out.data(), out.size(), MSG_NOSIGNAL);
        if (n <= 0) break;
        out.remove_prefix(static_cast<std::size_t>(n));
      }
      close(c);
    }
  }

  std::string reply_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class HttpClientTest : public testing::Test {
 protected:
  static void SetUpTestSuite() { InitHttpClientLibrary(); }
  void SetUp() override {
    server_ = MustStart(recorder_);
    ASSERT_NE(server_, nullptr);
    base_ = server_->BaseUrl();
  }

  Recorder recorder_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
};

std::vector<std::string> Names(const HttpRequest& req) {
  std::vector<std::string> out;
  for (const auto& [k, v] : req.headers) out.push_back(k);
  return out;
}

// ---- round trips ----

// The wire request is the caller's headers plus Host and User-Agent: curl adds no Accept,
// Expect or Content-Type of its own, and the response comes back raw and in order.
TEST_F(HttpClientTest, RoundTripSendsExactlyTheCallersHeadersAndReturnsAllResponseHeaders) {
  recorder_.Respond([](const HttpRequest&) {
    HttpResponse r = HttpResponse::Json(401, R"({"errors":[]})");
    r.AddHeader("WWW-Authenticate", "Basic realm=\"a\"");
    r.AddHeader("X-Between", "1");
    r.AddHeader("www-authenticate", "Bearer realm=\"b\",service=\"s\"");
    return r;
  });
  HttpClient client;
  auto res = client.Send(
      {"GET", base_ + "/v2/?x=1", {{"Authorization", "Bearer  two-spaces"}, {"X-Empty", ""}}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->http_version, "HTTP/1.1");
  EXPECT_EQ(res->body, R"({"errors":[]})");
  EXPECT_EQ(
      res->Headers("WWW-Authenticate"),
      (std::vector<std::string_view>{"Basic realm=\"a\"", "Bearer realm=\"b\",service=\"s\""}));
  EXPECT_EQ(res->Header("content-type"), "application/json; charset=utf-8");
  std::vector<std::string> names;
  for (const auto& [k, v] : res->headers) names.push_back(k);
  EXPECT_EQ(names, (std::vector<std::string>{"Content-Type", "WWW-Authenticate", "X-Between",
                                             "www-authenticate", "Content-Length", "Date"}));
  EXPECT_EQ(res->remote_ip, "127.0.0.1");
  EXPECT_EQ(res->remote_port, server_->port());

  const auto reqs = recorder_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/v2/?x=1");
  EXPECT_EQ(Names(reqs[0]),
            (std::vector<std::string>{"Host", "User-Agent", "Authorization", "X-Empty"}));
  EXPECT_EQ(reqs[0].Header("User-Agent"), "regauth/0.1");
  EXPECT_EQ(reqs[0].Header("Authorization"), "Bearer  two-spaces");  // sent as written
  EXPECT_EQ(reqs[0].Header("X-Empty"), "");
}

struct MethodCase {
  const char* label;
  std::string method;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<std::string> want_content_length;  // as the server saw it
};
REGAUTH_PRINT_LABEL(MethodCase)

const MethodCase kMethodCases[] = {
    {"GET", "GET", "", {}, std::nullopt},
    {"POST form",
     "POST",
     "grant_type=password",
     {{"Content-Type", "application/x-www-form-urlencoded"}},
     "19"},
    {"POST empty", "POST", "", {}, "0"},
    {"PUT manifest",
     "PUT",
     "{}",
     {{"Content-Type", "application/vnd.oci.image.manifest.v1+json"}},
     "2"},
    {"PATCH", "PATCH", "chunk", {}, "5"},
    {"DELETE", "DELETE", "", {}, std::nullopt},
    {"custom method", "PURGE", "", {}, std::nullopt},
};

class ClientMethodTest : public HttpClientTest, public testing::WithParamInterface<MethodCase> {};

// RFC 9110 §9.3: each method is sent verbatim, with its body and nothing curl would add.
TEST_P(ClientMethodTest, SendsMethodBodyAndOnlyCallerContentType) {
  const MethodCase& c = GetParam();
  recorder_.Respond([](const HttpRequest& req) { return HttpResponse::Text(200, req.method); });
  HttpClient client;
  auto res = client.Send({c.method, base_ + "/m", c.headers, c.body});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->body, c.method);
  const auto reqs = recorder_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, c.method);
  EXPECT_EQ(reqs[0].body, c.body);
  const auto cl = reqs[0].Header("Content-Length");
  EXPECT_EQ(cl ? std::optional<std::string>(std::string(*cl)) : std::nullopt,
            c.want_content_length);
  const auto ct = reqs[0].Header("Content-Type");
  if (c.headers.empty()) {
    EXPECT_FALSE(ct.has_value()) << *ct;
  } else {
    EXPECT_EQ(ct, c.headers[0].second);
  }
  EXPECT_FALSE(reqs[0].Header("Expect").has_value());
  EXPECT_FALSE(reqs[0].Header("Accept").has_value());
}

INSTANTIATE_TEST_SUITE_P(Table, ClientMethodTest, testing::ValuesIn(kMethodCases),
                         testing_support::LabelName());

// RFC 9110 §9.3.2: HEAD returns the headers (with the GET Content-Length) and no body.
TEST_F(HttpClientTest, HeadReturnsHeadersWithoutBody) {
  recorder_.Respond([](const HttpRequest&) { return HttpResponse::Text(200, "twelve bytes"); });
  HttpClient client;
  auto res = client.Send({"HEAD", base_ + "/blob", {}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->Header("Content-Length"), "12");
  EXPECT_EQ(res->body, "");
}

// One handle, one connection: consecutive requests reuse it (as docker and skopeo do).
TEST_F(HttpClientTest, ReusesTheConnectionAcrossRequests) {
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto res = client.Send({"GET", base_ + "/k", {}, ""});
    ASSERT_TRUE(res.has_value()) << res.error().message;
  }
  EXPECT_EQ(server_->stats().accepted, 1u);
  EXPECT_EQ(server_->stats().requests, 3u);
}

// Headers do not leak from one request to the next on the reused handle.
TEST_F(HttpClientTest, DoesNotCarryHeadersOrCookiesToTheNextRequest) {
  recorder_.Respond([](const HttpRequest&) {
    return HttpResponse::Text(200, "ok").AddHeader("Set-Cookie", "session=abc; Path=/");
  });
  HttpClient client;
  ASSERT_TRUE(client.Send({"GET", base_ + "/1", {{"Authorization", "Basic eDp5"}}, ""}));
  ASSERT_TRUE(client.Send({"GET", base_ + "/2", {}, ""}));
  const auto reqs = recorder_.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_FALSE(reqs[1].Header("Authorization").has_value());
  EXPECT_FALSE(reqs[1].Header("Cookie").has_value());
}

// scope.md traversal cases (suite-anchors.md §C4) need the path sent as written.
TEST_F(HttpClientTest, SendsDotSegmentsAsWritten) {
  HttpClient client;
  ASSERT_TRUE(client.Send({"GET", base_ + "/v2/foo/../bar/./tags/list", {}, ""}));
  EXPECT_EQ(recorder_.requests().at(0).target, "/v2/foo/../bar/./tags/list");
}

// suite-anchors.md §C2 (curl CVE-2018-1000007, CVE-2022-27774): a redirect comes back as is;
// the Authorization header never reaches the redirect target.
TEST_F(HttpClientTest, ReturnsRedirectWithoutFollowingOrForwardingAuthorization) {
  Recorder elsewhere;
  auto other = MustStart(elsewhere);
  ASSERT_NE(other, nullptr);
  const std::string target = other->BaseUrl() + "/stolen";
  recorder_.Respond([&](const HttpRequest&) {
    return HttpResponse::Text(302, "").AddHeader("Location", target);
  });
  HttpClient client;
  auto res = client.Send({"GET", base_ + "/token", {{"Authorization", "Basic YWxpY2U6cHc="}}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 302);
  EXPECT_EQ(res->Header("Location"), target);
  EXPECT_EQ(recorder_.requests().size(), 1u);
  EXPECT_TRUE(elsewhere.requests().empty());
  EXPECT_EQ(other->stats().accepted, 0u);
}

// A proxy in the environment is ignored: tests and runs stay on the address they name.
TEST_F(HttpClientTest, IgnoresProxyFromEnvironment) {
  std::uint16_t dead_port = 0;
  const int dead = ListenLoopback(&dead_port);
  close(dead);  // nothing listens there any more
  const std::string proxy = "http://127.0.0.1:" + std::to_string(dead_port);
  setenv("http_proxy", proxy.c_str(), 1);
  setenv("HTTP_PROXY", proxy.c_str(), 1);
  setenv("ALL_PROXY", proxy.c_str(), 1);
  HttpClient client;
  auto res = client.Send({"GET", base_ + "/direct", {}, ""});
  unsetenv("http_proxy");
  unsetenv("HTTP_PROXY");
  unsetenv("ALL_PROXY");
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 200);
}

// ---- limits and failures ----

// A body over max_response_bytes fails with kTooLarge whether or not its length is declared.
TEST_F(HttpClientTest, CapsResponseBody) {
  recorder_.Respond(
      [](const HttpRequest&) { return HttpResponse::Text(200, std::string(2000, 'b')); });
  ClientOptions o;
  o.max_response_bytes = 1000;
  HttpClient client(o);
  auto declared = client.Send({"GET", base_ + "/big", {}, ""});
  ASSERT_FALSE(declared.has_value());
  EXPECT_EQ(CodeName(declared.error().code), "too_large") << declared.error().message;

  CannedServer undeclared("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + std::string(5000, 'u'));
  auto res = client.Send({"GET", undeclared.url(), {}, ""});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "too_large") << res.error().message;
  EXPECT_NE(res.error().message.find("1000"), std::string::npos);

  o.max_response_bytes = 2000;  // the limit is inclusive
  HttpClient exact(o);
  auto ok = exact.Send({"GET", base_ + "/big", {}, ""});
  ASSERT_TRUE(ok.has_value()) << ok.error().message;
  EXPECT_EQ(ok->body.size(), 2000u);
}

TEST_F(HttpClientTest, CapsResponseHeaders) {
  CannedServer server("HTTP/1.1 200 OK\r\nX-Big: " + std::string(5000, 'h') +
                      "\r\nContent-Length: 0\r\n\r\n");
  ClientOptions o;
  o.max_header_bytes = 4096;
  HttpClient client(o);
  auto res = client.Send({"GET", server.url(), {}, ""});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "too_large");
}

// Interim 1xx responses are skipped; folded lines are joined; names keep their case.
TEST_F(HttpClientTest, SkipsInterimResponsesAndJoinsFoldedLines) {
  CannedServer server(
      "HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
      "HTTP/1.1 401 Unauthorized\r\nwww-AUTHENTICATE: Bearer realm=\"r\",\r\n"
      "  service=\"s\"\r\nWWW-Authenticate:Basic\r\nContent-Length: 2\r\n\r\nno");
  HttpClient client;
  auto res = client.Send({"GET", server.url(), {}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 401);
  EXPECT_FALSE(res->Header("X-Interim").has_value());
  ASSERT_EQ(res->headers.size(), 3u);
  EXPECT_EQ(res->headers[0].first, "www-AUTHENTICATE");
  EXPECT_EQ(res->headers[0].second, "Bearer realm=\"r\", service=\"s\"");
  EXPECT_EQ(res->headers[1].second, "Basic");
  EXPECT_EQ(res->body, "no");
}

TEST_F(HttpClientTest, GarbageResponseIsAProtocolError) {
  CannedServer server("SSH-2.0-OpenSSH\r\n\r\n");
  HttpClient client;
  auto res = client.Send({"GET", server.url(), {}, ""});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "protocol") << res.error().message;
}

// A peer that accepts but never answers is cut at the timeout.
TEST(HttpClientFailure, TimesOutOnSilentServer) {
  std::uint16_t port = 0;
  const int fd = ListenLoopback(&port);  // the kernel completes the handshake; nobody answers
  ClientOptions o;
  o.timeout = milliseconds(200);
  HttpClient client(o);
  const auto begin = Clock::now();
  auto res = client.Send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  const auto took = Clock::now() - begin;
  close(fd);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "timeout") << res.error().message;
  EXPECT_GE(took, milliseconds(190));
}

TEST(HttpClientFailure, RefusedConnectionIsConnectError) {
  std::uint16_t port = 0;
  close(ListenLoopback(&port));
  HttpClient client;
  auto res = client.Send({"GET", "http://127.0.0.1:" + std::to_string(port) + "/", {}, ""});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "connect") << res.error().message;
}

struct InvalidCase {
  const char* label;
  ClientRequest request;
};
REGAUTH_PRINT_LABEL(InvalidCase)

const InvalidCase kInvalidCases[] = {
    {"ftp scheme", {"GET", "ftp://127.0.0.1/x", {}, ""}},
    {"file scheme", {"GET", "file:///etc/passwd", {}, ""}},
    {"no scheme", {"GET", "127.0.0.1/x", {}, ""}},
    {"userinfo", {"GET", "http://alice:pw@127.0.0.1/", {}, ""}},
    {"user without password", {"GET", "http://alice@127.0.0.1/", {}, ""}},
    {"space in url", {"GET", "http://127.0.0.1/a b", {}, ""}},
    {"empty method", {"", "http://127.0.0.1/", {}, ""}},
    {"method with space", {"GE T", "http://127.0.0.1/", {}, ""}},
    {"header name with space", {"GET", "http://127.0.0.1/", {{"Bad Name", "x"}}, ""}},
    {"header name empty", {"GET", "http://127.0.0.1/", {{"", "x"}}, ""}},
    {"header value with crlf", {"GET", "http://127.0.0.1/", {{"X", "a\r\nInjected: 1"}}, ""}},
    {"header value with nul", {"GET", "http://127.0.0.1/", {{"X", std::string("a\0b", 3)}}, ""}},
};

class ClientInvalidTest : public testing::TestWithParam<InvalidCase> {};

// Requests curl would rewrite or that would smuggle credentials/headers are refused up front.
TEST_P(ClientInvalidTest, RefusesBeforeSending) {
  HttpClient client;
  auto res = client.Send(GetParam().request);
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "invalid_request") << res.error().message;
}

INSTANTIATE_TEST_SUITE_P(Table, ClientInvalidTest, testing::ValuesIn(kInvalidCases),
                         testing_support::LabelName());

TEST(HttpClientCodes, EveryCodeHasAName) {
  for (int c = static_cast<int>(ClientErrorCode::kInvalidRequest);
       c <= static_cast<int>(ClientErrorCode::kInternal); ++c) {
    EXPECT_NE(CodeName(static_cast<ClientErrorCode>(c)), "unknown") << c;
  }
}

// A moved-from client is inert; the moved-to one works.
TEST_F(HttpClientTest, MovedClientKeepsWorking) {
  HttpClient a;
  HttpClient b(std::move(a));
  ASSERT_TRUE(b.Send({"GET", base_ + "/", {}, ""}));
  HttpClient c;
  c = std::move(b);
  ASSERT_TRUE(c.Send({"GET", base_ + "/", {}, ""}));
}

// ---- TLS ----

class HttpClientTlsTest : public testing::Test {
 protected:
  void SetUp() override {
    InitHttpClientLibrary();
    cert_ = MakeTestCertificate();
    HttpServerOptions o;
    o.tls = TlsConfig{cert_.certificate_pem, cert_.private_key_pem};
    server_ = MustStart(recorder_, o);
    ASSERT_NE(server_, nullptr);
    ca_file_ = testing::TempDir() + "regauth_client_test_ca_" + std::to_string(getpid()) + ".pem";
    std::ofstream(ca_file_) << cert_.certificate_pem;
  }
  void TearDown() override { std::remove(ca_file_.c_str()); }

  TestCertificate cert_;
  Recorder recorder_;
  std::unique_ptr<HttpServer> server_;
  std::string ca_file_;
};

TEST_F(HttpClientTlsTest, VerifiesAgainstConfiguredCa) {
  ClientOptions o;
  o.ca_file = ca_file_;
  HttpClient client(o);
  auto res = client.Send({"GET", server_->BaseUrl() + "/tls", {}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 200);
  EXPECT_TRUE(recorder_.requests().at(0).tls);
}

TEST_F(HttpClientTlsTest, UntrustedCertificateIsTlsError) {
  HttpClient client;  // system store: the test root is unknown
  auto res = client.Send({"GET", server_->BaseUrl() + "/tls", {}, ""});
  ASSERT_FALSE(res.has_value());
  EXPECT_EQ(CodeName(res.error().code), "tls") << res.error().message;
  EXPECT_TRUE(recorder_.requests().empty());
}

TEST_F(HttpClientTlsTest, VerificationCanBeDisabled) {
  ClientOptions o;
  o.verify_tls = false;
  HttpClient client(o);
  auto res = client.Send({"GET", server_->BaseUrl() + "/tls", {}, ""});
  ASSERT_TRUE(res.has_value()) << res.error().message;
  EXPECT_EQ(res->status, 200);
}

// ---- rate limiting ----

// N acquisitions at R per second take at least (N - 1) / R (lower bound only: a loaded
// machine may be slower, never faster).
TEST(RateLimiter, SpacesAcquisitionsOnOneThread) {
  RateLimiter limiter(50);
  const auto begin = Clock::now();
  for (int i = 0; i < 6; ++i) limiter.Acquire();
  EXPECT_GE(Clock::now() - begin, milliseconds(100) - milliseconds(1));
}

TEST(RateLimiter, SpacesAcquisitionsAcrossThreads) {
  RateLimiter limiter(50);
  const auto begin = Clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&limiter] {
      for (int i = 0; i < 3; ++i) limiter.Acquire();
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_GE(Clock::now() - begin, milliseconds(160) - milliseconds(1));  // (9 - 1) / 50 s
}

// A burst of B lets B acquisitions through at once, then spaces the rest.
TEST(RateLimiter, BurstAllowsInitialRequestsThenSpaces) {
  RateLimiter limiter(50, /*burst=*/3);
  const auto begin = Clock::now();
  for (int i = 0; i < 5; ++i) limiter.Acquire();
  EXPECT_GE(Clock::now() - begin, milliseconds(40) - milliseconds(1));  // (5 - 3) / 50 s
}

// The limiter applies to HttpClient::Send.
TEST_F(HttpClientTest, SendWaitsForTheRateLimiter) {
  RateLimiter limiter(40);
  ClientOptions o;
  o.rate_limiter = &limiter;
  HttpClient client(o);
  const auto begin = Clock::now();
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(client.Send({"GET", base_ + "/", {}, ""}));
  EXPECT_GE(Clock::now() - begin, milliseconds(75) - milliseconds(1));  // (4 - 1) / 40 s
}

TEST(RateLimiter, ZeroRateIsUnlimited) {
  RateLimiter limiter(0);
  for (int i = 0; i < 1000; ++i) limiter.Acquire();
  EXPECT_EQ(limiter.rate(), 0);
}

}  // namespace
}  // namespace regauth::net
