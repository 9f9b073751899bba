// http_server.cc — Boost.Beast implementation of HttpServer (see http_server.h). This is the only
// translation unit of the project that includes Beast or Asio: keep it that way, compile time on
// a small machine depends on it.
#include "net/http_server.h"

#include <openssl/ssl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cassert>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace regauth::net {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using PlainStream = beast::tcp_stream;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// After a response that closes the connection, the server half-closes and keeps reading (and
// discarding) while bytes keep coming, so that a client still sending a body it was refused (413)
// reads the response instead of a TCP reset (RFC 9112 §9.6, "lingering close"). Bounded by an
// idle time, a total time and a byte count; a lingering connection is evictable.
constexpr std::chrono::milliseconds kLingerIdle{2000};
constexpr std::chrono::seconds kLingerMax{30};
constexpr std::size_t kLingerMaxBytes = 256u << 20;
constexpr std::size_t kDrainChunk = 16 * 1024;
// Reads go into the connection's buffer: a small one while a connection waits for (or trickles)
// its header section, so idle and slow connections stay cheap, a larger one once bytes flow.
constexpr std::size_t kSmallRead = 1024;
constexpr std::size_t kReadChunk = 16 * 1024;
// A response is written in pieces of at most this size, each under its own write deadline.
constexpr std::size_t kWritePiece = 64 * 1024;
constexpr std::chrono::milliseconds kAcceptRetryDelay{50};

constexpr std::string_view kContinueResponse = "HTTP/1.1 100 Continue\r\n\r\n";

std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// IMF-fixdate (RFC 9110 §5.6.7) without strftime, whose day and month names follow the locale.
std::string HttpDate() {
  static constexpr std::array<const char*, 7> kDays = {"Sun", "Mon", "Tue", "Wed",
                                                       "Thu", "Fri", "Sat"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday % 7],
                tm.tm_mday, kMonths[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                tm.tm_sec);
  return buf;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(unsigned char c) {
  if (c >= '0' && c <= '9') return true;
  if ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

bool IsValidFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    if (!IsTokenChar(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// RFC 9110 §5.5 field-value: VCHAR, SP, HTAB and obs-text. CR, LF and NUL would split the response.
bool IsValidFieldValue(std::string_view value) {
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t') || c == 0x7f) return false;
  }
  return true;
}

// Fields the adapter owns: a handler's copies are dropped so framing cannot be subverted.
bool IsAdapterOwnedField(std::string_view name) {
  for (const std::string_view owned :
       {"content-length", "date", "connection", "transfer-encoding", "keep-alive"}) {
    if (protocol::EqualsIgnoreAsciiCase(name, owned)) return true;
  }
  return false;
}

// RequestParser is Beast's HTTP/1 grammar with our own storage: fields land in an HttpRequest in
// wire order with the names as sent (Beast's basic_fields would group repeated names), the body
// is appended to a string, and trailer fields of a chunked body are dropped (RFC 9110 §6.5.1:
// they must not be merged into the header section without a field-specific rule).
class RequestParser final : public http::basic_parser<true> {
 public:
  // spill_over: a body over this many bytes goes to an anonymous file in spill_directory.
  RequestParser(std::optional<std::size_t> spill_over, const std::string* spill_directory)
      : spill_over_(spill_over), spill_directory_(spill_directory) {}
  ~RequestParser() override {
    if (spill_fd_ >= 0) ::close(spill_fd_);  // a request that never finished: the file vanishes
  }
  RequestParser(const RequestParser&) = delete;
  RequestParser& operator=(const RequestParser&) = delete;

  HttpRequest& request() { return req_; }
  unsigned version() const { return version_; }
  http::verb verb() const { return verb_; }
  // spill_failed: the parse error came from creating or writing the spill file, not the client.
  bool spill_failed() const { return spill_failed_; }
  // FinishBody hands a spilled body to the request (call once the message is done).
  void FinishBody() {
    if (spill_fd_ < 0) return;
    req_.spilled_body = std::make_shared<FileBody>(spill_fd_, 0, spilled_);
    spill_fd_ = -1;
  }

 private:
  void on_request_impl(http::verb method, beast::string_view method_str, beast::string_view target,
                       int version, beast::error_code&) override {
    verb_ = method;
    req_.method = std::string(Sv(method_str));
    req_.target = std::string(Sv(target));
    version_ = static_cast<unsigned>(version);
  }
  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}
  void on_field_impl(http::field, beast::string_view name, beast::string_view value,
                     beast::error_code&) override {
    if (header_done_) return;  // a trailer
    req_.headers.emplace_back(std::string(Sv(name)), std::string(Sv(value)));
  }
  void on_header_impl(beast::error_code&) override { header_done_ = true; }
  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length,
                         beast::error_code& ec) override {
    if (content_length && spill_over_ && *content_length > *spill_over_) {
      StartSpill(ec);  // known to be large: straight to the file
      return;
    }
    // The length was already checked against body_limit (and the spill threshold): reserving
    // it is bounded by those.
    if (content_length) req_.body.reserve(static_cast<std::size_t>(*content_length));
  }
  std::size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    Append(body, ec);
    return ec ? 0 : body.size();
  }
  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, beast::string_view body,
                                 beast::error_code& ec) override {
    Append(body, ec);
    return ec ? 0 : body.size();
  }
  void on_finish_impl(beast::error_code&) override {}

  // Append adds body bytes: to the file once spilling, else to the string, which moves to the
  // file when it grows past the threshold (a chunked body, whose size is not known up front).
  void Append(beast::string_view data, beast::error_code& ec) {
    if (spill_fd_ < 0) {
      req_.body.append(data.data(), data.size());
      if (!spill_over_ || req_.body.size() <= *spill_over_) return;
      StartSpill(ec);
      return;
    }
    Write(std::string_view(data.data(), data.size()), ec);
  }

  void StartSpill(beast::error_code& ec) {
    spill_fd_ = OpenSpillFile(*spill_directory_);
    if (spill_fd_ < 0) {
      spill_failed_ = true;
      ec = beast::errc::make_error_code(beast::errc::io_error);
      return;
    }
    std::string held;
    held.swap(req_.body);  // the string's memory goes with `held`
    Write(held, ec);
  }

  void Write(std::string_view data, beast::error_code& ec) {
    while (!data.empty()) {
      const ssize_t n = ::write(spill_fd_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        spill_failed_ = true;
        ec = beast::errc::make_error_code(beast::errc::io_error);
        return;
      }
      data.remove_prefix(static_cast<std::size_t>(n));
      spilled_ += static_cast<std::uint64_t>(n);
    }
  }

  HttpRequest req_;
  unsigned version_ = 0;
  http::verb verb_ = http::verb::unknown;
  bool header_done_ = false;
  std::optional<std::size_t> spill_over_;
  const std::string* spill_directory_;
  int spill_fd_ = -1;
  std::uint64_t spilled_ = 0;
  bool spill_failed_ = false;
};

class SessionBase {
 public:
  virtual ~SessionBase() = default;
  // PostClose closes the connection from the session's own strand (thread-safe).
  virtual void PostClose() = 0;
  // PostEvict is PostClose for a connection evicted to admit a new one: it closes only if the
  // connection is still waiting without a request in progress when the close runs.
  virtual void PostEvict() = 0;
  // Begin starts serving (once, right after registration).
  virtual void Begin() = 0;
};

// Shared is the state sessions share with the server. Sessions hold it by shared_ptr, so it
// outlives every session even if one is destroyed during io_context teardown.
struct Shared {
  HttpServerOptions options;
  HttpHandler handler;

  std::atomic<std::uint64_t> accepted{0};
  std::atomic<std::uint64_t> rejected_over_cap{0};
  std::atomic<std::uint64_t> evicted{0};
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> bad_requests{0};
  std::atomic<std::uint64_t> timeouts{0};
  std::atomic<std::uint64_t> handler_errors{0};
  std::atomic<std::uint64_t> active{0};

  std::mutex mu;  // guards stopping, next_id, sessions, waiting, next_wait
  bool stopping = false;
  std::uint64_t next_id = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<SessionBase>> sessions;
  // waiting: the connections without a request in progress (idle, reading a header section, or
  // lingering), oldest first, keyed by the order in which they started to wait: the eviction
  // candidates when the server is full.
  std::map<std::uint64_t, std::weak_ptr<SessionBase>> waiting;
  std::uint64_t next_wait = 1;

  // StartWaiting records a session as an eviction candidate; returns its key (for StopWaiting).
  std::uint64_t StartWaiting(std::weak_ptr<SessionBase> session) {
    std::lock_guard<std::mutex> lock(mu);
    const std::uint64_t key = next_wait++;
    waiting.emplace(key, std::move(session));
    return key;
  }
  void StopWaiting(std::uint64_t key) {
    if (key == 0) return;
    std::lock_guard<std::mutex> lock(mu);
    waiting.erase(key);
  }
  // TakeOldestWaitingLocked removes the longest-waiting live session from the candidates and
  // returns it (null when none waits). The caller asks it to close and drops the reference
  // outside the lock: the last reference runs the destructor, which takes the lock.
  std::shared_ptr<SessionBase> TakeOldestWaitingLocked() {
    while (!waiting.empty()) {
      auto it = waiting.begin();
      std::shared_ptr<SessionBase> victim = it->second.lock();
      waiting.erase(it);
      if (victim) return victim;
    }
    return nullptr;
  }

  void Log(std::string_view message) const {
    if (options.error_log) {
      options.error_log(message);
    } else {
      std::cerr << "regauth http server: " << message << '\n';
    }
  }
  void Access(const AccessLogEntry& entry) const {
    if (options.access_log) options.access_log(entry);
  }
  void Unregister(std::uint64_t id) {
    std::lock_guard<std::mutex> lock(mu);
    sessions.erase(id);
  }
};

// Session serves one connection as a strand-bound chain of asynchronous steps
//   [TLS handshake] → (idle wait) → header → [100 Continue] → body → handler → write → repeat,
// each phase under its own deadline. Stream is PlainStream or TlsStream.
//
// To keep this translation unit cheap to compile, a session uses exactly one read operation
// (async_read_some, feeding Beast's request parser by hand, as http::async_read does inside) and
// one write operation (asio::async_write of a response serialised here), so each stream type
// instantiates one read and one write composed operation instead of Beast's dozen.
template <typename Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  Session(std::shared_ptr<Shared> shared, std::uint64_t id, tcp::socket&& socket,
          ssl::context* tls_context, std::string remote, SteadyClock::time_point accepted_at)
      : shared_(std::move(shared)),
        stream_(MakeStream(std::move(socket), tls_context)),
        id_(id),
        remote_(std::move(remote)),
        request_start_(accepted_at) {
    shared_->active.fetch_add(1);
  }

  ~Session() override {
    shared_->StopWaiting(wait_key_);
    shared_->active.fetch_sub(1);
    shared_->Unregister(id_);
  }

  void Begin() override {
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->Run(); });
  }

  void PostClose() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->CloseNow(); });
  }

  void PostEvict() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->wait_key_ != 0 || self->phase_ == Phase::kLinger) self->CloseNow();
    });
  }

 private:
  enum class Phase { kIdle, kHeader, kBody, kLinger };
  enum class AfterWrite { kReadBody, kNextRequest, kClose };

  static Stream MakeStream(tcp::socket&& socket, ssl::context* tls_context) {
    if constexpr (kTls) {
      return Stream(std::move(socket), *tls_context);
    } else {
      (void)tls_context;
      return Stream(std::move(socket));
    }
  }

  const HttpServerOptions& options() const { return shared_->options; }
  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  template <typename F>
  auto Bind(F f) {
    return beast::bind_front_handler(f, this->shared_from_this());
  }

  // Waiting / Busy move the session in and out of the eviction candidates (on its strand).
  void Waiting() {
    if (wait_key_ == 0) wait_key_ = shared_->StartWaiting(this->weak_from_this());
  }
  void Busy() {
    shared_->StopWaiting(wait_key_);
    wait_key_ = 0;
  }

  void Run() {
    // On a new connection one deadline covers the TLS handshake and the first header section.
    header_deadline_ = request_start_ + options().header_timeout;
    Waiting();
    if constexpr (kTls) {
      Tcp().expires_at(header_deadline_);
      stream_.async_handshake(ssl::stream_base::server, Bind(&Session::OnHandshake));
    } else {
      StartRequest();
    }
  }

  void OnHandshake(beast::error_code ec) {
    if (ec) {
      if (ec == beast::error::timeout) shared_->timeouts.fetch_add(1);
      CloseNow();
      return;
    }
    StartRequest();
  }

  void StartRequest() {
    if (closed_) return;
    Waiting();
    parser_.emplace(options().spill_body_over, &options().spill_directory);
    header_bytes_ = 0;
    parser_->header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(options().max_header_bytes, UINT32_MAX)));
    parser_->body_limit(static_cast<std::uint64_t>(options().max_body_bytes));
    if (!first_request_) {
      if (buffer_.size() == 0) {
        phase_ = Phase::kIdle;
        Read();
        return;
      }
      StartRequestClock();  // pipelined bytes are already buffered
    }
    phase_ = Phase::kHeader;
    Parse();
  }

  void StartRequestClock() {
    request_start_ = SteadyClock::now();
    header_deadline_ = request_start_ + options().header_timeout;
  }

  void Read() {
    asio::mutable_buffer into;
    switch (phase_) {
      case Phase::kIdle:
        // Nothing buffered between requests: give the memory back while the connection waits.
        if (buffer_.size() == 0) buffer_.shrink_to_fit();
        Tcp().expires_after(options().idle_timeout);
        into = buffer_.prepare(kSmallRead);
        break;
      case Phase::kHeader:
        Tcp().expires_at(header_deadline_);
        into = buffer_.prepare(buffer_.size() < kSmallRead ? kSmallRead : kReadChunk);
        break;
      case Phase::kBody:
        Tcp().expires_after(options().body_timeout);  // an idle time: progress renews it
        into = buffer_.prepare(kReadChunk);
        break;
      case Phase::kLinger:
        Tcp().expires_at(std::min(SteadyClock::now() + kLingerIdle, linger_deadline_));
        into = asio::buffer(drain_.get(), kDrainChunk);
        break;
    }
    stream_.async_read_some(into, Bind(&Session::OnRead));
  }

  void OnRead(beast::error_code ec, std::size_t n) {
    if (phase_ == Phase::kLinger) {
      drained_ += n;
      if (ec || drained_ > kLingerMaxBytes || SteadyClock::now() >= linger_deadline_) {
        CloseNow();
      } else {
        Read();
      }
      return;
    }
    if (ec) {
      // Idle expiry and a client closing are ordinary ends of a connection; EOF inside a request
      // leaves nobody to answer; a header or body deadline is a timeout (the stream is closed).
      if (ec == beast::error::timeout && phase_ != Phase::kIdle) shared_->timeouts.fetch_add(1);
      CloseNow();
      return;
    }
    buffer_.commit(n);
    if (phase_ == Phase::kIdle) {
      StartRequestClock();
      phase_ = Phase::kHeader;
    }
    Parse();
  }

  // Parse feeds buffered bytes to the parser until it needs more input (→ Read), fails
  // (→ error response), finishes the header (→ checks) or finishes the message (→ handler).
  void Parse() {
    for (;;) {
      if (phase_ == Phase::kHeader && !parser_->got_some()) SkipLeadingEmptyLines();
      if (buffer_.size() == 0) {
        Read();
        return;
      }
      if (phase_ == Phase::kHeader && HasObsoleteLineFolding()) {
        RespondError(400, "obsolete line folding in the header section\n");
        return;
      }
      if (phase_ == Phase::kHeader && HeaderSectionOverLimit()) {
        RespondError(431, "request header fields too large\n");
        return;
      }
      beast::error_code ec;
      const std::size_t used = parser_->put(buffer_.data(), ec);
      if (phase_ == Phase::kHeader) header_bytes_ += used;
      buffer_.consume(used);
      if (ec == http::error::need_more) {
        Read();
        return;
      }
      if (ec) {
        OnParseError(ec);
        return;
      }
      if (phase_ == Phase::kHeader && parser_->is_header_done()) {
        phase_ = Phase::kBody;
        Busy();
        parser_->eager(true);
        if (!OnHeaderComplete()) return;
      }
      if (parser_->is_done()) {
        Dispatch();
        return;
      }
      if (used == 0) {  // no progress without an error: wait for more bytes
        Read();
        return;
      }
    }
  }

  void OnParseError(beast::error_code ec) {
    if (parser_->spill_failed()) {
      shared_->Log("a request body could not be written to its spill file; answered 500");
      RespondError(500, "request body could not be stored\n");
    } else if (ec == http::error::header_limit) {
      RespondError(431, "request header fields too large\n");
    } else if (ec == http::error::body_limit) {
      RespondError(413, "request body too large\n");
    } else if (ec == http::error::bad_version && HasWellFormedVersion()) {
      RespondError(505, "HTTP version not supported\n");  // RFC 9110 §15.6.6
    } else {
      RespondError(400, "malformed request\n");
    }
  }

  // SkipLeadingEmptyLines drops CRLFs before a request line: RFC 9112 §2.2 says a server SHOULD
  // ignore at least one empty line received before the request-line. A lone CR waits for its LF.
  void SkipLeadingEmptyLines() {
    for (;;) {
      const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
      if (data.substr(0, 2) != "\r\n") return;
      buffer_.consume(2);
    }
  }

  // HasObsoleteLineFolding: the buffered header section (once complete) continues a field line
  // with SP or HTAB. RFC 9112 §5.2 lets a server reject obs-fold with 400 or unfold it; unfolding
  // is one of the places where two parsers disagree about a message, so it is refused. Only a
  // complete header section is looked at (Beast parses it whole, too).
  bool HasObsoleteLineFolding() const {
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    // Beast consumes whole lines: after some, the buffer starts a line, which may be a fold.
    if (header_bytes_ > 0 && !data.empty() && (data[0] == ' ' || data[0] == '\t')) return true;
    const std::size_t end = data.find("\r\n\r\n");
    if (end == std::string_view::npos) return false;
    const std::string_view head = data.substr(0, end + 2);
    for (std::size_t i = head.find('\n'); i != std::string_view::npos && i + 1 < head.size();
         i = head.find('\n', i + 1)) {
      if (head[i + 1] == ' ' || head[i + 1] == '\t') return true;
    }
    return false;
  }

  // HeaderSectionOverLimit: the header section — the request line through the empty line that
  // ends the fields, CRLFs included, not counting empty lines skipped before the request line —
  // is longer than max_header_bytes, exactly: a section of max_header_bytes bytes passes, one byte
  // more is refused. Beast's own header_limit cannot say this: it applies to each put() window,
  // and the parser consumes complete lines as they arrive, so it is kept only as a backstop.
  // Beast consumes whole lines only, so when header_bytes_ > 0 the buffer starts a line and the
  // section may end right there ("\r\n"). Without its end in sight, the section is at least one
  // byte longer than what has arrived.
  bool HeaderSectionOverLimit() const {
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const std::size_t limit = options().max_header_bytes;
    std::size_t end = std::string_view::npos;
    if (header_bytes_ > 0 && data.substr(0, 2) == "\r\n") {
      end = 2;
    } else if (const std::size_t at = data.find("\r\n\r\n"); at != std::string_view::npos) {
      end = at + 4;
    }
    if (end != std::string_view::npos) return header_bytes_ + end > limit;
    return header_bytes_ + data.size() >= limit;
  }

  // HasWellFormedVersion: the buffered request line ends in "HTTP/" DIGIT "." DIGIT, so a
  // bad_version from Beast (which accepts only 1.0 and 1.1) is an unsupported version, not junk.
  bool HasWellFormedVersion() const {
    const std::string_view data(static_cast<const char*>(buffer_.data().data()), buffer_.size());
    const std::string_view line = data.substr(0, data.find("\r\n"));
    if (line.size() < 8) return false;
    const std::string_view v = line.substr(line.size() - 8);
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    return v.substr(0, 5) == "HTTP/" && digit(v[5]) && v[6] == '.' && digit(v[7]) &&
           line.size() > 8 && line[line.size() - 9] == ' ';
  }

  // OnHeaderComplete applies the framing rules Beast leaves to the server. Returns false when it
  // started a write (an error response, or 100 Continue) instead of letting Parse go on.
  bool OnHeaderComplete() {
    const HttpRequest& req = parser_->request();
    const unsigned version = parser_->version();
    // RFC 9112 §3.2: an HTTP/1.1 request without exactly one Host field gets a 400.
    if (version == 11 && req.Headers("host").size() != 1) {
      RespondError(400, "missing or repeated Host header\n");
      return false;
    }
    // RFC 9112 §6.3: several Content-Length values are either rejected or, when equal, merged; a
    // front end that merges differently from us is a smuggling path, so any repetition is a 400.
    const std::vector<std::string_view> lengths = req.Headers("content-length");
    if (lengths.size() > 1 ||
        (lengths.size() == 1 && lengths[0].find(',') != std::string_view::npos)) {
      RespondError(400, "repeated Content-Length\n");
      return false;
    }
    const std::vector<std::string_view> te = req.Headers("transfer-encoding");
    if (!te.empty()) {
      // RFC 9112 §6.1: Transfer-Encoding in HTTP/1.0 is faulty framing; a coding we do not
      // implement (anything but a lone "chunked") is a 501, never guessed at (smuggling).
      if (version == 10) {
        RespondError(400, "Transfer-Encoding in an HTTP/1.0 request\n");
        return false;
      }
      if (te.size() != 1 || !protocol::EqualsIgnoreAsciiCase(TrimOws(te[0]), "chunked")) {
        RespondError(501, "unsupported transfer coding\n");
        return false;
      }
    }
    const std::optional<std::string_view> expect = req.Header("expect");
    if (!parser_->is_done() && expect && version == 11 &&
        protocol::EqualsIgnoreAsciiCase(TrimOws(*expect), "100-continue")) {
      StartWrite(std::string(kContinueResponse), AfterWrite::kReadBody);
      return false;
    }
    return true;
  }

  // StartLog fills the parts of the access log entry known from the request line.
  void StartLog() {
    log_ = AccessLogEntry{};
    log_.remote_address = remote_;
    log_.tls = kTls;
    if (parser_) {
      const HttpRequest& req = parser_->request();
      log_.method = req.method;
      log_.path = req.target.substr(0, req.target.find('?'));
    }
  }

  void RespondError(int status, std::string_view text) {
    Busy();
    shared_->bad_requests.fetch_add(1);
    StartLog();
    log_.status = status;
    log_.response_body_bytes = text.size();
    std::string out = StatusLine(status);
    out += "Content-Type: text/plain; charset=utf-8\r\n";
    AppendFraming(out, text.size(), /*keep_alive=*/false, 11);
    out += text;
    StartWrite(std::move(out), AfterWrite::kClose);
  }

  void Dispatch() {
    shared_->requests.fetch_add(1);
    StartLog();
    parser_->FinishBody();
    HttpRequest req = std::move(parser_->request());
    const std::size_t q = req.target.find('?');
    req.path = req.target.substr(0, q);
    req.query = q == std::string::npos ? std::string() : req.target.substr(q + 1);
    req.remote_address = remote_;
    req.tls = kTls;
    log_.request_body_bytes = static_cast<std::size_t>(req.BodySize());

    HttpResponse out;
    try {
      out = shared_->handler(req);
    } catch (...) {
      // The exception's text may quote the request (a header, a token): never log it.
      shared_->handler_errors.fetch_add(1);
      shared_->Log("handler threw an exception; answered 500");
      out = HttpResponse::Text(500, "internal server error\n");
    }
    const bool keep_alive = parser_->keep_alive();
    std::shared_ptr<const BodySource> stream;
    std::string wire = Serialize(std::move(out), parser_->verb() == http::verb::head,
                                 parser_->version(), keep_alive, &stream);
    StartWrite(std::move(wire), keep_alive ? AfterWrite::kNextRequest : AfterWrite::kClose,
               std::move(stream));
  }

  static std::string StatusLine(int status) {
    std::string_view reason = Sv(http::obsolete_reason(http::int_to_status(status)));
    if (http::int_to_status(status) == http::status::unknown) reason = "Unknown";
    // RFC 9110 §6.2: answer with our highest version, also to an HTTP/1.0 client.
    return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  }

  // AppendFraming adds the adapter-owned fields and the blank line.
  static void AppendFraming(std::string& out, std::optional<std::size_t> content_length,
                            bool keep_alive, unsigned request_version) {
    if (content_length) out += "Content-Length: " + std::to_string(*content_length) + "\r\n";
    out += "Date: " + HttpDate() + "\r\n";
    // HTTP/1.1 persists by default (RFC 9112 §9.3); an HTTP/1.0 client asked for keep-alive.
    if (!keep_alive) {
      out += "Connection: close\r\n";
    } else if (request_version == 10) {
      out += "Connection: keep-alive\r\n";
    }
    out += "\r\n";
  }

  // Serialize turns a handler's HttpResponse into wire bytes, adding the adapter-owned fields. A
  // streamed body is handed back in *stream (null when there is none to send).
  std::string Serialize(HttpResponse res, bool head, unsigned request_version, bool keep_alive,
                        std::shared_ptr<const BodySource>* stream) {
    bool valid = res.status >= 200 && res.status <= 599;
    if (!valid) shared_->Log("handler returned a status outside 200..599; answered 500");
    if (valid && res.stream && !res.body.empty()) {
      shared_->Log("handler returned both a body and a streamed body; answered 500");
      valid = false;
    }
    for (const auto& [name, value] : res.headers) {
      if (!valid) break;
      if (!IsValidFieldName(name) || !IsValidFieldValue(value)) {
        shared_->Log("handler returned an invalid header name or value; answered 500");
        valid = false;
      }
    }
    if (!valid) {
      shared_->handler_errors.fetch_add(1);
      res = HttpResponse::Text(500, "internal server error\n");
    }
    log_.status = res.status;

    std::string out = StatusLine(res.status);
    for (const auto& [name, value] : res.headers) {
      if (IsAdapterOwnedField(name)) continue;
      out += name;
      out += ": ";
      out += value;
      out += "\r\n";
    }
    // RFC 9110 §15.3.5, §15.4.5: 204 and 304 carry neither a body nor Content-Length here.
    // RFC 9110 §9.3.2: HEAD gets the Content-Length of the body the handler built, and no body.
    const bool bodiless_status = res.status == 204 || res.status == 304;
    const bool send_body = !bodiless_status && !head;
    const std::size_t length = res.stream ? res.stream->size() : res.body.size();
    AppendFraming(out, bodiless_status ? std::nullopt : std::optional(length), keep_alive,
                  request_version);
    if (send_body) {
      if (res.stream) {
        if (length > 0) *stream = std::move(res.stream);
      } else {
        out += res.body;
      }
      log_.response_body_bytes = length;
    }
    return out;
  }

  void StartWrite(std::string bytes, AfterWrite after,
                  std::shared_ptr<const BodySource> body = nullptr) {
    out_ = std::move(bytes);
    out_done_ = 0;
    body_ = std::move(body);
    body_done_ = 0;
    after_write_ = after;
    WriteNext();
  }

  // WriteNext writes the next piece: of out_ (status line, fields and a plain body), then of the
  // streamed body; each piece has its own deadline, so only a reader that stops reading is cut.
  void WriteNext() {
    if (out_done_ < out_.size()) {
      const std::size_t n = std::min(kWritePiece, out_.size() - out_done_);
      Tcp().expires_after(options().write_timeout);
      asio::async_write(stream_, asio::buffer(out_.data() + out_done_, n),
                        Bind(&Session::OnWritten));
      return;
    }
    if (body_ && body_done_ < body_->size()) {
      if (!piece_) piece_ = std::make_unique<char[]>(kWritePiece);
      const std::size_t want = static_cast<std::size_t>(
          std::min<std::uint64_t>(kWritePiece, body_->size() - body_done_));
      const std::size_t got = body_->Read(body_done_, piece_.get(), want);
      if (got == 0) {
        // The Content-Length is on the wire: a shorter body must end the connection.
        shared_->Log("a streamed response body could not be read; connection closed");
        OnWritten(asio::error::broken_pipe, 0);
        return;
      }
      Tcp().expires_after(options().write_timeout);
      asio::async_write(stream_, asio::buffer(piece_.get(), got), Bind(&Session::OnWritten));
      return;
    }
    FinishWrite({});
  }

  void OnWritten(beast::error_code ec, std::size_t n) {
    if (!ec) {
      if (out_done_ < out_.size()) {
        out_done_ += n;
      } else {
        body_done_ += n;
      }
      WriteNext();
      return;
    }
    FinishWrite(ec);
  }

  void FinishWrite(beast::error_code ec) {
    body_.reset();
    piece_.reset();
    out_.clear();
    out_.shrink_to_fit();
    if (after_write_ != AfterWrite::kReadBody) {  // a response, not an interim 100
      if (ec) log_.response_body_bytes = 0;
      log_.duration = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() -
                                                                            request_start_);
      shared_->Access(log_);
    }
    if (ec) {
      if (ec == beast::error::timeout) shared_->timeouts.fetch_add(1);
      CloseNow();
      return;
    }
    switch (after_write_) {
      case AfterWrite::kReadBody:
        Parse();
        return;
      case AfterWrite::kNextRequest:
        first_request_ = false;
        StartRequest();
        return;
      case AfterWrite::kClose:
        GracefulClose();
        return;
    }
  }

  void GracefulClose() {
    if (closed_) return;
    Tcp().expires_after(kLingerIdle);
    if constexpr (kTls) {
      stream_.async_shutdown(
          [self = this->shared_from_this()](beast::error_code) { self->CloseNow(); });
    } else {
      beast::error_code ignored;
      Tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      phase_ = Phase::kLinger;
      linger_deadline_ = SteadyClock::now() + kLingerMax;
      drain_ = std::make_unique<char[]>(kDrainChunk);
      buffer_.clear();
      buffer_.shrink_to_fit();
      parser_.reset();
      Waiting();
      Read();
    }
  }

  void CloseNow() {
    if (closed_) return;
    closed_ = true;
    Tcp().close();  // cancels the deadline timer and every pending operation
  }

  std::shared_ptr<Shared> shared_;
  Stream stream_;
  std::uint64_t id_;
  std::string remote_;
  SteadyClock::time_point request_start_;
  SteadyClock::time_point header_deadline_;
  SteadyClock::time_point linger_deadline_;
  Phase phase_ = Phase::kHeader;
  AfterWrite after_write_ = AfterWrite::kClose;
  beast::flat_buffer buffer_;
  std::optional<RequestParser> parser_;
  std::string out_;  // the response head (and a plain body) being written
  std::size_t out_done_ = 0;
  std::shared_ptr<const BodySource> body_;  // a streamed body being written
  std::uint64_t body_done_ = 0;
  std::unique_ptr<char[]> piece_;  // one piece of body_, only while streaming
  AccessLogEntry log_;
  std::unique_ptr<char[]> drain_;  // only while lingering
  std::size_t drained_ = 0;
  std::size_t header_bytes_ = 0;  // header-section bytes the parser consumed (this request)
  std::uint64_t wait_key_ = 0;    // in Shared::waiting while nonzero
  bool first_request_ = true;
  bool closed_ = false;
};

// kOverCapResponse is written with one non-blocking send on a fresh socket (it always fits in
// the kernel buffer), so refusing a connection costs no session and no timer.
constexpr std::string_view kOverCapResponse =
    "HTTP/1.1 503 Service Unavailable\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 21\r\n"
    "Connection: close\r\n"
    "\r\n"
    "too many connections\n";

std::string EndpointText(std::string_view host, std::uint16_t port) {
  const bool v6 = host.find(':') != std::string_view::npos;
  return (v6 ? "[" + std::string(host) + "]" : std::string(host)) + ":" + std::to_string(port);
}

}  // namespace

struct HttpServer::Impl {
  // Declaration order is destruction order reversed: the TLS context outlives the io_context
  // (streams reference it), and the acceptor and timer die before the io_context.
  std::shared_ptr<Shared> shared;
  std::optional<ssl::context> tls_context;
  asio::io_context ioc;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::vector<std::thread> threads;
  std::string host;
  std::uint16_t port = 0;
  std::mutex stop_mu;
  bool stopped = false;

  explicit Impl(int thread_hint)
      : ioc(thread_hint), acceptor(asio::make_strand(ioc)), retry_timer(acceptor.get_executor()) {}

  void Accept() {
    acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
      OnAccept(ec, std::move(s));
    });
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      // EMFILE and friends: retry later instead of spinning on the same error.
      shared->Log("accept failed: " + ec.message());
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([this](beast::error_code wait_ec) {
        if (!wait_ec && acceptor.is_open()) Accept();
      });
      return;
    }
    const SteadyClock::time_point accepted_at = SteadyClock::now();
    beast::error_code remote_ec;
    const tcp::endpoint remote = socket.remote_endpoint(remote_ec);
    std::string remote_address = remote_ec ? std::string() : remote.address().to_string();

    std::shared_ptr<SessionBase> session;
    std::shared_ptr<SessionBase> evict;  // released outside the lock (see TakeOldestWaiting)
    bool over_cap = false;
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      if (shared->stopping) {
        beast::error_code ignored;
        socket.close(ignored);
        return;
      }
      over_cap = shared->active.load() >= shared->options.max_connections;
      // Full: make room by closing the connection that has waited longest without a request in
      // progress; its close runs on its own strand, so the count may pass the cap by the
      // evictions in flight (each of which removed a candidate).
      if (over_cap) {
        evict = shared->TakeOldestWaitingLocked();
        over_cap = evict == nullptr;
      }
      if (!over_cap) {
        shared->accepted.fetch_add(1);
        const std::uint64_t id = shared->next_id++;
        if (tls_context) {
          session = std::make_shared<Session<TlsStream>>(
              shared, id, std::move(socket), &*tls_context, std::move(remote_address), accepted_at);
        } else {
          session = std::make_shared<Session<PlainStream>>(shared, id, std::move(socket), nullptr,
                                                           std::move(remote_address), accepted_at);
        }
        shared->sessions.emplace(id, session);
      }
    }
    // User callbacks (the access log) run outside the lock.
    if (evict) {
      shared->evicted.fetch_add(1);
      evict->PostEvict();
      evict.reset();
    }
    if (over_cap) {
      RejectOverCap(std::move(socket), std::move(remote_address));
    } else {
      session->Begin();
    }
    Accept();
  }

  void RejectOverCap(tcp::socket socket, std::string remote_address) {
    shared->rejected_over_cap.fetch_add(1);
    beast::error_code ignored;
    if (!tls_context) {
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(kOverCapResponse.data(), kOverCapResponse.size()), ignored);
      socket.shutdown(tcp::socket::shutdown_send, ignored);
    }
    socket.close(ignored);
    AccessLogEntry entry;
    entry.status = tls_context ? 0 : 503;
    entry.remote_address = std::move(remote_address);
    entry.tls = tls_context.has_value();
    shared->Access(entry);
  }

  void RunLoop() {
    for (;;) {
      try {
        ioc.run();
        return;
      } catch (const std::exception& e) {
        shared->Log(std::string("I/O thread caught an exception: ") + e.what());
      } catch (...) {
        shared->Log("I/O thread caught an unknown exception");
      }
    }
  }
};

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

protocol::Expected<std::unique_ptr<HttpServer>, StartError> HttpServer::Start(
    HttpServerOptions options, HttpHandler handler) {
  using Unexpected = protocol::Unexpected<StartError>;
  if (!handler) return Unexpected(StartError{"no handler"});
  const int threads = std::clamp(options.threads, 1, 64);

  beast::error_code ec;
  const asio::ip::address address = asio::ip::make_address(options.host, ec);
  if (ec) {
    return Unexpected(StartError{"host \"" + options.host +
                                 "\" is not an IPv4 or IPv6 literal: " + ec.message()});
  }

  auto impl = std::make_unique<Impl>(threads);
  impl->host = options.host;

  if (options.tls) {
    impl->tls_context.emplace(ssl::context::tls_server);
    ssl::context& ctx = *impl->tls_context;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                    ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                    ssl::context::single_dh_use | ssl::context::no_compression);
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    // An encrypted key must fail, not prompt on the terminal (OpenSSL's default callback).
    ctx.set_password_callback(
        [](std::size_t, ssl::context::password_purpose) { return std::string(); });
    const TlsConfig& tls = *options.tls;
    ctx.use_certificate_chain(
        asio::buffer(tls.certificate_chain_pem.data(), tls.certificate_chain_pem.size()), ec);
    if (ec) return Unexpected(StartError{"tls: certificate chain: " + ec.message()});
    ctx.use_private_key(asio::buffer(tls.private_key_pem.data(), tls.private_key_pem.size()),
                        ssl::context::pem, ec);
    if (ec) return Unexpected(StartError{"tls: private key: " + ec.message()});
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
      return Unexpected(StartError{"tls: private key does not match the certificate"});
    }
  }

  const tcp::endpoint endpoint(address, options.port);
  const std::string where = EndpointText(options.host, options.port);
  impl->acceptor.open(endpoint.protocol(), ec);
  if (ec) return Unexpected(StartError{"open " + where + ": " + ec.message()});
  impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (ec) return Unexpected(StartError{"setsockopt " + where + ": " + ec.message()});
  impl->acceptor.bind(endpoint, ec);
  if (ec) return Unexpected(StartError{"bind " + where + ": " + ec.message()});
  impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Unexpected(StartError{"listen " + where + ": " + ec.message()});
  impl->port = impl->acceptor.local_endpoint(ec).port();
  if (ec) return Unexpected(StartError{"getsockname " + where + ": " + ec.message()});

  impl->shared = std::make_shared<Shared>();
  impl->shared->options = std::move(options);
  impl->shared->handler = std::move(handler);

  impl->Accept();
  for (int i = 0; i < threads; ++i) {
    Impl* raw = impl.get();
    impl->threads.emplace_back([raw] { raw->RunLoop(); });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

void HttpServer::Stop() {
  Impl& impl = *impl_;
  std::lock_guard<std::mutex> stop_lock(impl.stop_mu);
  if (impl.stopped) return;
  impl.stopped = true;
  for (const std::thread& t : impl.threads) {
    assert(t.get_id() != std::this_thread::get_id() && "HttpServer::Stop called from a handler");
    (void)t;
  }

  std::vector<std::shared_ptr<SessionBase>> open;
  {
    std::lock_guard<std::mutex> lock(impl.shared->mu);
    impl.shared->stopping = true;
    for (const auto& [id, weak] : impl.shared->sessions) {
      if (auto s = weak.lock()) open.push_back(std::move(s));
    }
  }
  asio::post(impl.acceptor.get_executor(), [&impl] {
    beast::error_code ignored;
    impl.acceptor.close(ignored);
    impl.retry_timer.cancel();
  });
  for (const auto& s : open) s->PostClose();
  open.clear();  // the sessions must be able to die for run() to return
  // Every pending operation now completes with an error and starts nothing new, so run() returns
  // in each thread once running handlers are done.
  for (std::thread& t : impl.threads) t.join();
  impl.threads.clear();
}

std::uint16_t HttpServer::port() const { return impl_->port; }

const std::string& HttpServer::host() const { return impl_->host; }

std::string HttpServer::BaseUrl() const {
  return std::string(impl_->tls_context ? "https://" : "http://") +
         EndpointText(impl_->host, impl_->port);
}

HttpServerStats HttpServer::stats() const {
  const Shared& s = *impl_->shared;
  HttpServerStats out;
  out.accepted = s.accepted.load();
  out.rejected_over_cap = s.rejected_over_cap.load();
  out.evicted = s.evicted.load();
  out.requests = s.requests.load();
  out.bad_requests = s.bad_requests.load();
  out.timeouts = s.timeouts.load();
  out.handler_errors = s.handler_errors.load();
  out.active_connections = s.active.load();
  return out;
}

}  // namespace regauth::net
