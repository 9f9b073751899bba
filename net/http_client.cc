#include "net/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <thread>

#include "protocol/headers.h"

namespace regauth::net {
namespace {

using protocol::Unexpected;

// RFC 9110 §5.6.2 tchar.
bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool alnum = (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(ch) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// Header values may hold anything a case wants to send (two spaces, TAB, obs-text) except the
// bytes that would end the field line or the C string curl copies.
bool IsSendableValue(std::string_view v) {
  return v.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

Unexpected<ClientError> Error(ClientErrorCode code, std::string message) {
  return Unexpected<ClientError>(ClientError{code, std::move(message)});
}

struct CurlUrlFree {
  void operator()(CURLU* u) const { curl_url_cleanup(u); }
};
struct CurlSlistFree {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// ValidateUrl accepts only absolute http/https URLs without userinfo: credentials travel in the
// Authorization header the case wrote, never in a URL curl would turn into Basic auth.
std::optional<ClientError> ValidateUrl(const std::string& url) {
  std::unique_ptr<CURLU, CurlUrlFree> u(curl_url());
  if (!u) return ClientError{ClientErrorCode::kInternal, "curl_url failed"};
  const CURLUcode rc = curl_url_set(u.get(), CURLUPART_URL, url.c_str(), CURLU_PATH_AS_IS);
  if (rc != CURLUE_OK) {
    return ClientError{ClientErrorCode::kInvalidRequest,
                       std::string("bad URL: ") + curl_url_strerror(rc)};
  }
  char* scheme = nullptr;
  if (curl_url_get(u.get(), CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK) {
    return ClientError{ClientErrorCode::kInvalidRequest, "bad URL: no scheme"};
  }
  const std::string s(scheme);
  curl_free(scheme);
  if (s != "http" && s != "https") {
    return ClientError{ClientErrorCode::kInvalidRequest,
                       "bad URL: scheme must be http or https, got " + s};
  }
  for (const CURLUPart part : {CURLUPART_USER, CURLUPART_PASSWORD}) {
    char* v = nullptr;
    if (curl_url_get(u.get(), part, &v, 0) == CURLUE_OK) {
      curl_free(v);
      return ClientError{ClientErrorCode::kInvalidRequest,
                         "bad URL: userinfo is not allowed (put credentials in headers)"};
    }
  }
  return std::nullopt;
}

ClientErrorCode MapCurlCode(CURLcode rc) {
  switch (rc) {
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return ClientErrorCode::kInvalidRequest;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return ClientErrorCode::kResolve;
    case CURLE_COULDNT_CONNECT:
      return ClientErrorCode::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return ClientErrorCode::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_SSL_SHUTDOWN_FAILED:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_USE_SSL_FAILED:
      return ClientErrorCode::kTls;
    case CURLE_FILESIZE_EXCEEDED:
      return ClientErrorCode::kTooLarge;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
      return ClientErrorCode::kNetwork;
    case CURLE_OUT_OF_MEMORY:
    case CURLE_FAILED_INIT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
      return ClientErrorCode::kInternal;
    default:
      // WEIRD_SERVER_REPLY, GOT_NOTHING, PARTIAL_FILE, UNSUPPORTED_PROTOCOL (an HTTP/0.9 reply:
      // the URL scheme was validated before), BAD_CONTENT_ENCODING, ...
      return ClientErrorCode::kProtocol;
  }
}

// Exchange is the per-Send state the curl callbacks write into.
struct Exchange {
  const ClientOptions* options = nullptr;
  ClientResponse response;
  std::size_t header_bytes = 0;
  bool too_large = false;
  std::string too_large_what;
};

std::size_t OnHeader(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t len = size * n;
  ex->header_bytes += len;
  if (ex->header_bytes > ex->options->max_header_bytes) {
    ex->too_large = true;
    ex->too_large_what = "response header section exceeds " +
                         std::to_string(ex->options->max_header_bytes) + " bytes";
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  const std::string_view line(data, len);
  ClientResponse& r = ex->response;
  if (line.substr(0, 5) == "HTTP/") {
    // A new status line: an interim 1xx response is replaced by what follows it.
    r.headers.clear();  // the byte count is not reset: 1xx floods count against the cap
    r.http_version = std::string(line.substr(0, line.find(' ')));
    return len;
  }
  if (line == "\r\n" || line == "\n") return len;
  if (line.front() == ' ' || line.front() == '\t') {  // obs-fold continuation
    if (!r.headers.empty()) {
      const std::string_view more = TrimOws(line);
      if (!more.empty()) r.headers.back().second += " " + std::string(more);
    }
    return len;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return len;  // curl accepted it; nothing to record
  r.headers.emplace_back(std::string(line.substr(0, colon)),
                         std::string(TrimOws(line.substr(colon + 1))));
  return len;
}

std::size_t OnBody(char* data, std::size_t size, std::size_t n, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t len = size * n;
  if (ex->response.body.size() + len > ex->options->max_response_bytes) {
    ex->too_large = true;
    ex->too_large_what =
        "response body exceeds " + std::to_string(ex->options->max_response_bytes) + " bytes";
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  ex->response.body.append(data, len);
  return len;
}

}  // namespace

void InitHttpClientLibrary() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string_view CodeName(ClientErrorCode code) {
  switch (code) {
    case ClientErrorCode::kInvalidRequest:
      return "invalid_request";
    case ClientErrorCode::kResolve:
      return "resolve";
    case ClientErrorCode::kConnect:
      return "connect";
    case ClientErrorCode::kTimeout:
      return "timeout";
    case ClientErrorCode::kTls:
      return "tls";
    case ClientErrorCode::kTooLarge:
      return "too_large";
    case ClientErrorCode::kProtocol:
      return "protocol";
    case ClientErrorCode::kNetwork:
      return "network";
    case ClientErrorCode::kInternal:
      return "internal";
  }
  return "unknown";
}

// ---- RateLimiter: GCRA (virtual scheduling), so concurrent callers reserve distinct slots ----

RateLimiter::RateLimiter(double requests_per_second, int burst)
    : rate_(requests_per_second),
      interval_(requests_per_second > 0
                    ? std::chrono::duration_cast<Clock::duration>(
                          std::chrono::duration<double>(1.0 / requests_per_second))
                    : Clock::duration::zero()),
      burst_window_(interval_ * (std::max(burst, 1) - 1)),
      next_(Clock::now()) {}

void RateLimiter::Acquire() {
  if (rate_ <= 0) return;
  Clock::time_point slot;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    slot = std::max(now, next_ - burst_window_);
    next_ = std::max(next_, slot) + interval_;
  }
  std::this_thread::sleep_until(slot);
}

// ---- ClientResponse ----

std::optional<std::string_view> ClientResponse::Header(std::string_view name) const {
  return protocol::FindHeader(headers, name);
}

std::vector<std::string_view> ClientResponse::Headers(std::string_view name) const {
  return protocol::HeaderValues(headers, name);
}

// ---- HttpClient ----

namespace {

// HandlePool keeps a thread's released easy handles (and so their kept-alive connections) for
// the next HttpClient the thread creates: a runner worker goes through thousands of cases, each
// with its own client, and a fresh handle per case would open a fresh TCP connection per case.
// What a case sends does not depend on it: every option is set again on a reset handle before
// each request (Send), only the connection cache survives.
class HandlePool {
 public:
  static constexpr std::size_t kMaxIdle = 4;
  ~HandlePool() {
    for (CURL* h : idle_) curl_easy_cleanup(h);
  }
  CURL* Acquire() {
    if (idle_.empty()) return curl_easy_init();
    CURL* h = idle_.back();
    idle_.pop_back();
    return h;
  }
  void Release(CURL* h) {
    if (h == nullptr) return;
    if (idle_.size() >= kMaxIdle) {
      curl_easy_cleanup(h);
      return;
    }
    curl_easy_reset(h);
    idle_.push_back(h);
  }

 private:
  std::vector<CURL*> idle_;
};

HandlePool& ThreadHandlePool() {
  thread_local HandlePool pool;
  return pool;
}

}  // namespace

HttpClient::HttpClient(ClientOptions options) : options_(std::move(options)) {
  InitHttpClientLibrary();
  curl_ = ThreadHandlePool().Acquire();
}

HttpClient::~HttpClient() { ThreadHandlePool().Release(static_cast<CURL*>(curl_)); }

HttpClient::HttpClient(HttpClient&& other) noexcept
    : options_(std::move(other.options_)), curl_(std::exchange(other.curl_, nullptr)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    ThreadHandlePool().Release(static_cast<CURL*>(curl_));
    options_ = std::move(other.options_);
    curl_ = std::exchange(other.curl_, nullptr);
  }
  return *this;
}

protocol::Expected<ClientResponse, ClientError> HttpClient::Send(const ClientRequest& request) {
  CURL* h = static_cast<CURL*>(curl_);
  if (h == nullptr) return Error(ClientErrorCode::kInternal, "curl_easy_init failed");
  if (!IsToken(request.method)) {
    return Error(ClientErrorCode::kInvalidRequest, "method is not an RFC 9110 token");
  }
  if (auto bad = ValidateUrl(request.url)) return Unexpected<ClientError>(std::move(*bad));

  // Caller headers, then empty overrides that remove what curl would add on its own.
  bool has_content_type = false;
  bool has_accept = false;
  std::unique_ptr<curl_slist, CurlSlistFree> list;
  auto append = [&list](const std::string& line) {
    curl_slist* next = curl_slist_append(list.get(), line.c_str());
    if (next == nullptr) return false;
    list.release();
    list.reset(next);
    return true;
  };
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return Error(ClientErrorCode::kInvalidRequest, "header name is not an RFC 9110 token");
    }
    if (!IsSendableValue(value)) {
      return Error(ClientErrorCode::kInvalidRequest, "header value contains CR, LF or NUL");
    }
    has_content_type = has_content_type || protocol::EqualsIgnoreAsciiCase(name, "content-type");
    has_accept = has_accept || protocol::EqualsIgnoreAsciiCase(name, "accept");
    // curl syntax: "Name;" sends an empty field, "Name:" would remove the field.
    if (!append(value.empty() ? name + ";" : name + ": " + value)) {
      return Error(ClientErrorCode::kInternal, "out of memory");
    }
  }
  if (!append("Expect:") || (!has_accept && !append("Accept:")) ||
      (!has_content_type && !append("Content-Type:"))) {
    return Error(ClientErrorCode::kInternal, "out of memory");
  }

  // Every option is set again on a reset handle: nothing leaks from one request to the next,
  // while the connection cache (keep-alive) survives curl_easy_reset.
  curl_easy_reset(h);
  char errbuf[CURL_ERROR_SIZE] = {0};
  Exchange ex;
  ex.options = &options_;
  const long timeout_ms = static_cast<long>(std::max<std::int64_t>(options_.timeout.count(), 1));
  bool ok = true;
  auto set = [&ok](CURLcode rc) { ok = ok && rc == CURLE_OK; };
  set(curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf));
  set(curl_easy_setopt(h, CURLOPT_URL, request.url.c_str()));
  set(curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https"));
  set(curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L));  // the runner decides on 3xx
  set(curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L));
  set(curl_easy_setopt(h, CURLOPT_NETRC, static_cast<long>(CURL_NETRC_IGNORED)));
  set(curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L));
  set(curl_easy_setopt(h, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1)));
  set(curl_easy_setopt(h, CURLOPT_HTTP_CONTENT_DECODING, 0L));
  set(curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms));
  set(curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE,
                       static_cast<curl_off_t>(options_.max_response_bytes)));
  set(curl_easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str()));
  set(curl_easy_setopt(h, CURLOPT_HTTPHEADER, list.get()));
  // No proxy unless configured, whatever http_proxy/https_proxy/ALL_PROXY say.
  set(curl_easy_setopt(h, CURLOPT_PROXY, options_.proxy.c_str()));
  set(curl_easy_setopt(h, CURLOPT_NOPROXY, options_.proxy.empty() ? "*" : ""));
  set(curl_easy_setopt(h, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L));
  set(curl_easy_setopt(h, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2)));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L));
  set(curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L));
  if (!options_.ca_file.empty()) {
    set(curl_easy_setopt(h, CURLOPT_CAINFO, options_.ca_file.c_str()));
  }
  set(curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, OnHeader));
  set(curl_easy_setopt(h, CURLOPT_HEADERDATA, &ex));
  set(curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, OnBody));
  set(curl_easy_setopt(h, CURLOPT_WRITEDATA, &ex));

  const std::string& m = request.method;
  if (m == "HEAD") {
    set(curl_easy_setopt(h, CURLOPT_NOBODY, 1L));
  } else if (!request.body.empty() || m == "POST" || m == "PUT" || m == "PATCH") {
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
                         static_cast<curl_off_t>(request.body.size())));
    set(curl_easy_setopt(h, CURLOPT_POSTFIELDS, request.body.data()));
    if (m != "POST") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str()));
  } else {
    set(curl_easy_setopt(h, CURLOPT_HTTPGET, 1L));
    if (m != "GET") set(curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m.c_str()));
  }
  if (!ok) return Error(ClientErrorCode::kInternal, "libcurl rejected an option");

  if (options_.rate_limiter != nullptr) options_.rate_limiter->Acquire();
  const CURLcode rc = curl_easy_perform(h);
  // The header list and URL must not dangle in the handle between calls.
  curl_easy_setopt(h, CURLOPT_HTTPHEADER, static_cast<curl_slist*>(nullptr));

  if (rc != CURLE_OK) {
    if (ex.too_large) return Error(ClientErrorCode::kTooLarge, ex.too_large_what);
    const std::string message = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc);
    return Error(MapCurlCode(rc), message);
  }
  ClientResponse& r = ex.response;
  long status = 0;
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
  r.status = static_cast<int>(status);
  char* ip = nullptr;
  if (curl_easy_getinfo(h, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) {
    r.remote_ip = ip;
  }
  long port = 0;
  curl_easy_getinfo(h, CURLINFO_PRIMARY_PORT, &port);
  r.remote_port = static_cast<int>(port);
  curl_off_t total_us = 0;
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &total_us);
  r.elapsed = std::chrono::microseconds(total_us);
  long request_size = 0;
  curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &request_size);
  r.request_bytes = static_cast<std::uint64_t>(std::max(request_size, 0L));
  return std::move(r);
}

}  // namespace regauth::net
