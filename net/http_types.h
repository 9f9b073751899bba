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

class BodySource;

// HttpRequest is one parsed HTTP/1.1 request. Header names keep the case the client sent;
// lookups are case-insensitive. `target` is the raw request-target; `path` and `query` split it
// at the first '?', undecoded.
struct HttpRequest {
  std::string method;
  std::string target;
  std::string path;
  std::string query;
  std::vector<std::pair<std::string, std::string>> headers;
  // body is the decoded request body, unless it was spilled: a server started with
  // HttpServerOptions::spill_body_over writes a larger body to an unlinked temporary file, and
  // then `body` is empty and `spilled_body` reads the file (closed, and so gone, when the last
  // reference to it goes). Use BodySize() and BodyContent() to handle both.
  std::string body;
  std::shared_ptr<const BodySource> spilled_body;
  std::string remote_address;  // peer IP, for logs and rate limits
  bool tls = false;

  // BodySize is the size of the body, wherever it is.
  std::uint64_t BodySize() const;
  // BodyContent returns a source over the body: the spilled file, or a view of `body` that is
  // valid only while this request lives and its `body` is unchanged.
  std::shared_ptr<const BodySource> BodyContent() const;

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

// StringViewBody serves a borrowed string; the bytes must outlive the source.
class StringViewBody final : public BodySource {
 public:
  explicit StringViewBody(std::string_view data) : data_(data) {}
  std::uint64_t size() const override { return data_.size(); }
  std::size_t Read(std::uint64_t offset, char* out, std::size_t n) const override;

 private:
  std::string_view data_;
};

// OpenSpillFile opens a new anonymous temporary file for reading and writing in `directory`
// ("" → $TMPDIR, else /tmp): O_TMPFILE where the filesystem has it, otherwise a mkstemp file
// that is unlinked at once. Either way the file has no name from the start, so it vanishes
// when its descriptor is closed, whatever ends the request (an error, a dropped connection, a
// crash). Returns the descriptor (close-on-exec), or -1 with errno set.
int OpenSpillFile(const std::string& directory);

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
