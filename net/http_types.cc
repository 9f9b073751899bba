#include "net/http_types.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "protocol/ascii.h"
#include "protocol/headers.h"

namespace regauth::net {
namespace {

using protocol::AsciiLower;

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else if (c == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(c);
    }
  }
  return out;
}

SharedStringBody::SharedStringBody(std::shared_ptr<const std::string> data, std::uint64_t offset,
                                   std::uint64_t length)
    : data_(std::move(data)), offset_(offset), length_(length) {}

std::size_t SharedStringBody::Read(std::uint64_t offset, char* out, std::size_t n) const {
  if (offset >= length_) return 0;
  const std::uint64_t take = std::min<std::uint64_t>(n, length_ - offset);
  std::memcpy(out, data_->data() + offset_ + offset, static_cast<std::size_t>(take));
  return static_cast<std::size_t>(take);
}

FileBody::FileBody(int fd, std::uint64_t offset, std::uint64_t length)
    : fd_(fd), offset_(offset), length_(length) {}

FileBody::~FileBody() {
  if (fd_ >= 0) ::close(fd_);
}

std::size_t FileBody::Read(std::uint64_t offset, char* out, std::size_t n) const {
  if (offset >= length_) return 0;
  const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(n, length_ - offset));
  for (;;) {
    const ssize_t got = ::pread(fd_, out, want, static_cast<off_t>(offset_ + offset));
    if (got < 0 && errno == EINTR) continue;
    return got < 0 ? 0 : static_cast<std::size_t>(got);
  }
}

std::size_t StringViewBody::Read(std::uint64_t offset, char* out, std::size_t n) const {
  if (offset >= data_.size()) return 0;
  const std::size_t take =
      static_cast<std::size_t>(std::min<std::uint64_t>(n, data_.size() - offset));
  std::memcpy(out, data_.data() + offset, take);
  return take;
}

int OpenSpillFile(const std::string& directory) {
  std::string dir = directory;
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    dir = tmp != nullptr && *tmp != '\0' ? tmp : "/tmp";
  }
#ifdef O_TMPFILE
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
  if (fd >= 0) return fd;
  // EOPNOTSUPP (or EISDIR on old kernels): the filesystem has no anonymous files.
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) return -1;
#endif
  std::string path = dir + "/regauth-body-XXXXXX";
  const int named = ::mkostemp(path.data(), O_CLOEXEC);
  if (named < 0) return -1;
  if (::unlink(path.c_str()) != 0) {
    const int saved = errno;
    ::close(named);
    errno = saved;
    return -1;
  }
  return named;
}

BodySlice::BodySlice(std::shared_ptr<const BodySource> source, std::uint64_t offset,
                     std::uint64_t length)
    : source_(std::move(source)), offset_(offset), length_(length) {}

std::size_t BodySlice::Read(std::uint64_t offset, char* out, std::size_t n) const {
  if (offset >= length_) return 0;
  return source_->Read(offset_ + offset, out,
                       static_cast<std::size_t>(std::min<std::uint64_t>(n, length_ - offset)));
}

std::optional<std::string> ReadAll(const BodySource& source) {
  std::string out(static_cast<std::size_t>(source.size()), '\0');
  std::uint64_t done = 0;
  while (done < out.size()) {
    const std::size_t got = source.Read(done, out.data() + done, out.size() - done);
    if (got == 0) return std::nullopt;
    done += got;
  }
  return out;
}

std::uint64_t HttpRequest::BodySize() const {
  return spilled_body ? spilled_body->size() : body.size();
}

std::shared_ptr<const BodySource> HttpRequest::BodyContent() const {
  if (spilled_body) return spilled_body;
  return std::make_shared<StringViewBody>(body);
}

std::optional<std::string_view> HttpRequest::Header(std::string_view name) const {
  return protocol::FindHeader(headers, name);
}

std::vector<std::string_view> HttpRequest::Headers(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : headers) {
    if (protocol::EqualsIgnoreAsciiCase(k, name)) out.emplace_back(v);
  }
  return out;
}

std::vector<std::string> HttpRequest::QueryParams(std::string_view name) const {
  std::vector<std::string> out;
  std::string_view rest = query;
  while (!rest.empty()) {
    const std::size_t amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const std::size_t eq = pair.find('=');
    const std::string key = PercentDecode(pair.substr(0, eq), true);
    if (key != name) continue;
    out.push_back(eq == std::string_view::npos ? std::string()
                                               : PercentDecode(pair.substr(eq + 1), true));
  }
  return out;
}

std::optional<std::string> HttpRequest::QueryParam(std::string_view name) const {
  auto all = QueryParams(name);
  if (all.empty()) return std::nullopt;
  return all.front();
}

std::optional<std::string_view> HttpResponse::Header(std::string_view name) const {
  return protocol::FindHeader(headers, name);
}

HttpResponse HttpResponse::Json(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.AddHeader("Content-Type", "application/json; charset=utf-8");
  return r;
}

HttpResponse HttpResponse::Text(int status, std::string body) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.AddHeader("Content-Type", "text/plain; charset=utf-8");
  return r;
}

}  // namespace regauth::net
