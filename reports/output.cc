#include "reports/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <future>
#include <string>
#include <system_error>

#include "reports/html.h"
#include "reports/junit.h"

namespace regauth::reports {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kMaxRunName = 100;

protocol::Unexpected<ReportFailure> Failure(ReportError code, const fs::path& where,
                                            std::string detail) {
  return protocol::Unexpected<ReportFailure>(
      ReportFailure{code, where.string(), std::move(detail)});
}

protocol::Unexpected<ReportFailure> IoFailure(const fs::path& where, std::string_view call,
                                              int error_number) {
  return Failure(ReportError::kIo, where, std::string(call) + ": " + std::strerror(error_number));
}

protocol::Unexpected<ReportFailure> IoFailure(const fs::path& where, std::string_view call,
                                              const std::error_code& ec) {
  return Failure(ReportError::kIo, where, std::string(call) + ": " + ec.message());
}

bool IsRunNameChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == ':' || c == '+' || c == '-';
}

// WriteAll writes `content` to `fd`, retrying short writes and EINTR.
int WriteAll(int fd, std::string_view content) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
  return 0;
}

}  // namespace

std::string ResultsText(const nlohmann::json& results) {
  constexpr auto kReplace = nlohmann::json::error_handler_t::replace;
  if (!results.is_object()) return results.dump(-1, ' ', false, kReplace) + "\n";
  std::string out = "{";
  bool first = true;
  for (const auto& [key, value] : results.items()) {
    out += first ? "\n " : ",\n ";
    first = false;
    out += nlohmann::json(key).dump(-1, ' ', false, kReplace);
    out += ": ";
    if (value.is_array() && !value.empty()) {
      // One element per line: a case, a check list or a dimension set (grep and diff by line).
      out += "[";
      bool first_element = true;
      for (const auto& element : value) {
        out += first_element ? "\n  " : ",\n  ";
        first_element = false;
        out += element.dump(-1, ' ', false, kReplace);
      }
      out += "\n ]";
    } else {
      out += value.dump(-1, ' ', false, kReplace);
    }
  }
  out += "\n}\n";
  return out;
}

ReportStatus WriteFileAtomically(const std::filesystem::path& path, std::string_view content) {
  const fs::path tmp = fs::path(path).concat(".tmp");
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoFailure(tmp, "open", errno);
  int error_number = WriteAll(fd, content);
  std::string_view call = "write";
  if (error_number == 0 && ::fsync(fd) != 0) {
    error_number = errno;
    call = "fsync";
  }
  if (::close(fd) != 0 && error_number == 0) {
    error_number = errno;
    call = "close";
  }
  if (error_number != 0) {
    ::unlink(tmp.c_str());
    return IoFailure(tmp, call, error_number);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    error_number = errno;
    ::unlink(tmp.c_str());
    return IoFailure(path, "rename", error_number);
  }
  return {};
}

ReportResult<std::filesystem::path> PrepareRunDirectory(const std::filesystem::path& base,
                                                        std::string_view timestamp) {
  bool ok = !timestamp.empty() && timestamp.size() <= kMaxRunName && timestamp.front() != '.' &&
            timestamp != "latest";
  for (const char c : timestamp) ok = ok && IsRunNameChar(c);
  if (!ok) {
    return Failure(ReportError::kBadRunName, base,
                   "run name must be 1-100 characters of [A-Za-z0-9._:+-], not starting with "
                   "'.', and not \"latest\"");
  }
  std::error_code ec;
  fs::create_directories(base, ec);
  if (ec) return IoFailure(base, "create_directories", ec);

  const fs::path dir = base / std::string(timestamp);
  if (::mkdir(dir.c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return Failure(ReportError::kRunExists, dir, "a run directory with this name already exists");
    }
    return IoFailure(dir, "mkdir", errno);
  }

  // A fresh symlink renamed over `latest`: readers see the old or the new target, never none.
  const fs::path link = base / "latest";
  const fs::path tmp = base / (".latest." + std::string(timestamp) + ".tmp");
  ::unlink(tmp.c_str());  // a leftover of an interrupted run; absence is fine
  if (::symlink(std::string(timestamp).c_str(), tmp.c_str()) != 0) {
    return IoFailure(tmp, "symlink", errno);
  }
  if (::rename(tmp.c_str(), link.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(tmp.c_str());
    return IoFailure(link, "rename", error_number);
  }
  return dir;
}

ReportStatus WriteRunReports(const nlohmann::json& results, const std::filesystem::path& dir) {
  // results.json is written whatever validation says (the data is never lost); the renderings
  // only for a valid document. The three files are independent, so a whole-matrix run (~90 MB
  // of results) writes them side by side: `results` is only read, which nlohmann::json allows
  // from several threads.
  auto results_json = std::async(std::launch::async, [&results, &dir] {
    return WriteFileAtomically(dir / "results.json", ResultsText(results));
  });
  ReportStatus valid = ValidateResults(results);
  ReportStatus junit;
  ReportStatus html;
  if (valid) {
    auto junit_async = std::async(std::launch::async, [&results, &dir] {
      return WriteFileAtomically(dir / "junit.xml", RenderJUnit(results));
    });
    html = WriteFileAtomically(dir / "report.html", RenderHtml(results));
    junit = junit_async.get();
  }
  // Errors in the order the files were written before: results.json, validation, junit, html.
  if (ReportStatus written = results_json.get(); !written) return written;
  if (!valid) return valid;
  if (!junit) return junit;
  return html;
}

}  // namespace regauth::reports
