// http_types.h — the plain request/response values that cross the boundary between the Beast
// adapter (http_server.cc, the only file that includes Boost.Beast) and the server's logic
// (token service, registry). Logic modules take an HttpRequest and return an HttpResponse, so
// they are tested without sockets and compiled without Beast.
//
// Usage:
//   HttpResponse Handle(const HttpRequest& req) {
//     if (req.method != "GET") return HttpResponse::Json(405, R"({"errors":[]})");
//     auto auth = req.Header("authorization");   // case-insensitive, first value
//     ...
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "protocol/ascii.h"

namespace regauth::net {

// HttpRequest is one parsed HTTP/1.1 request. Header names keep the case the client sent;
// lookups are case-insensitive. `target` is the raw request-target; `path` and `query` split it
// at the first '?', undecoded.
struct HttpRequest {
  std::string method;
  std::string target;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::string remote_address;  // peer IP, for logs and rate limits
  bool tls = false;

  // Header returns the first value of header `name` (case-insensitive), if present.
  std::optional<std::string_view> Header(std::string_view name) const;
  // Headers returns every value of header `name`, in order.
  std::vector<std::string_view> Headers(std::string_view name) const;
  // QueryParams returns every `scope`-style parameter value of `name`, percent-decoded
  // ('+' → ' '), in order. Malformed percent escapes are kept literally.
  std::vector<std::string> QueryParams(std::string_view name) const;
  // QueryParam returns the first value of parameter `name`, percent-decoded.
  std::optional<std::string> QueryParam(std::string_view name) const;
};

// BodySource is a response body the adapter sends in pieces, never holding it whole: a stored
// blob read from its file, or a slice of an immutable string that many responses share. Read is
// called on an I/O thread, possibly while other threads read the same source: it must be
// thread-safe (pread, or reading immutable memory).
class BodySource {
 public:
  virtual ~BodySource() = default;
  // size is the exact number of bytes Read yields (the response's Content-Length).
  virtual std::uint64_t size() const = 0;
  // Read copies up to `n` bytes starting at `offset` (< size()) into `out` and returns how many;
  // 0 means the source failed (a read error: the adapter closes the connection, since the
  // Content-Length already sent can no longer be honoured).
  virtual std::size_t Read(std::uint64_t offset, char* out, std::size_t n) const = 0;
};

// SharedStringBody serves bytes [offset, offset + length) of a shared immutable string.
class SharedStringBody final : public BodySource {
 public:
  SharedStringBody(std::shared_ptr<const std::string> data, std::uint64_t offset,
                   std::uint64_t length);
  std::uint64_t size() const override { return length_; }
  std::size_t Read(std::uint64_t offset, char* out, std::size_t n) const override;

 private:
  std::shared_ptr<const std::string> data_;
  std::uint64_t offset_;
  std::uint64_t length_;
};

// FileBody serves bytes [offset, offset + length) of an open file, read with pread (so one file
// serves many responses at once). It owns `fd` and closes it when the last reference goes.
class FileBody final : public BodySource {
 public:
  FileBody(int fd, std::uint64_t offset, std::uint64_t length);
  ~FileBody() override;
  FileBody(const FileBody&) = delete;
  FileBody& operator=(const FileBody&) = delete;
  std::uint64_t size() const override { return length_; }
  std::size_t Read(std::uint64_t offset, char* out, std::size_t n) const override;

 private:
  int fd_;
  std::uint64_t offset_;
  std::uint64_t length_;
};

// BodySlice serves bytes [offset, offset + length) of another source (a byte range of a blob);
// offset + length must not pass source->size().
class BodySlice final : public BodySource {
 public:
  BodySlice(std::shared_ptr<const BodySource> source, std::uint64_t offset, std::uint64_t length);
  std::uint64_t size() const override { return length_; }
  std::size_t Read(std::uint64_t offset, char* out, std::size_t n) const override;

 private:
  std::shared_ptr<const BodySource> source_;
  std::uint64_t offset_;
  std::uint64_t length_;
};

// ReadAll reads a whole source into a string (for small bodies and tests); nullopt on a read
// failure.
std::optional<std::string> ReadAll(const BodySource& source);

// HttpResponse is what a handler returns. The adapter adds Content-Length, Date and
// Connection handling; a handler never sets those.
struct HttpResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // stream, when set, is the body instead of `body` (which must then be empty): the adapter
  // sends stream->size() as Content-Length and the bytes in pieces, each piece under its own
  // write deadline, so a slow reader holds one piece in memory, never the whole body.
  std::shared_ptr<const BodySource> stream;

  HttpResponse& AddHeader(std::string name, std::string value) {
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  std::optional<std::string_view> Header(std::string_view name) const;

  // Json builds a response with Content-Type `application/json; charset=utf-8`.
  static HttpResponse Json(int status, std::string body);
  // Text builds a response with Content-Type `text/plain; charset=utf-8`.
  static HttpResponse Text(int status, std::string body);
};

// PercentDecode decodes %XX escapes (and '+' as space when `plus_is_space`). Invalid escapes are
// copied through unchanged, as Rack does.
std::string PercentDecode(std::string_view s, bool plus_is_space);

}  // namespace regauth::net
