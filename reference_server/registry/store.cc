#include "reference_server/registry/store.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/repository_name.h"

namespace regauth::server {
namespace {

namespace fs = std::filesystem;
using protocol::Fail;
using protocol::Result;
using protocol::Status;

constexpr std::size_t kMaxTagBytes = 255;  // a tag is a file name in the directory backend
constexpr int kUploadIdAttempts = 8;

Status<StoreError> CheckName(std::string_view name) {
  protocol::NameOptions o;
  o.max_length = protocol::kNameTotalLengthMax;
  o.domain_rule = protocol::DomainRule::kReferenceGrammar;
  if (!protocol::ParseRepositoryName(name, o)) {
    return Fail(StoreError::kInvalidName, 0, "invalid repository name");
  }
  return {};
}

Status<StoreError> CheckDigest(std::string_view digest) {
  auto d = protocol::ParseDigest(digest);
  if (d) return {};
  if (d.error().code == protocol::NameError::kUnsupportedDigestAlgorithm) {
    return Fail(StoreError::kUnsupportedDigest, 0, "unsupported digest algorithm");
  }
  return Fail(StoreError::kInvalidDigest, d.error().offset, "invalid digest");
}

Status<StoreError> CheckTag(std::string_view tag) {
  if (tag.empty() || tag.size() > kMaxTagBytes || tag[0] == '.' || tag[0] == '-') {
    return Fail(StoreError::kInvalidTag, 0, "invalid tag");
  }
  for (std::size_t i = 0; i < tag.size(); ++i) {
    const char c = tag[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '+' || c == '=' || c == '-';
    if (!ok) return Fail(StoreError::kInvalidTag, i, "invalid tag");
  }
  return {};
}

bool UsableUploadId(std::string_view id) {
  if (id.empty() || id.size() > 256) return false;
  for (const char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.' || c == '=';
    if (!ok) return false;
  }
  return true;
}

// DigestPath turns "sha256:abc" into "sha256/abc" (the digest was validated).
std::string DigestPath(std::string_view digest) {
  const std::size_t colon = digest.find(':');
  return std::string(digest.substr(0, colon)) + "/" + std::string(digest.substr(colon + 1));
}

std::string RepoPath(std::string_view repository) {
  return "repositories/" + std::string(repository);
}

// FsyncPath makes a file's bytes, or a directory's entries (a rename, a new file), durable.
bool FsyncPath(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), (directory ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ::fsync(fd) == 0;
  ::close(fd);
  return ok;
}

// MakeDirectories creates the missing directories of `dir`, fsyncing the parent of each one it
// creates, so a file renamed into a new directory survives a crash.
bool MakeDirectories(const fs::path& dir) {
  std::error_code ec;
  if (dir.empty() || fs::is_directory(dir, ec)) return true;
  if (!MakeDirectories(dir.parent_path())) return false;
  if (!fs::create_directory(dir, ec) && ec) return false;
  return FsyncPath(dir.parent_path(), true);
}

// Bytes copied from a request body to a file (or hashed) in one step: what a copy holds in memory.
constexpr std::size_t kCopyPiece = 64 * 1024;

// CopyAll writes all of `data` to `fd` at offset `at`, a piece at a time.
bool CopyAll(int fd, const net::BodySource& data, std::uint64_t at);

bool WriteAll(int fd, std::string_view data, std::uint64_t at) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd, data.data(), data.size(), static_cast<off_t>(at));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
  return true;
}

bool CopyAll(int fd, const net::BodySource& data, std::uint64_t at) {
  std::vector<char> buf(static_cast<std::size_t>(std::min<std::uint64_t>(kCopyPiece, data.size())));
  for (std::uint64_t done = 0; done < data.size();) {
    const std::size_t n = data.Read(done, buf.data(), buf.size());
    if (n == 0) return false;
    if (!WriteAll(fd, std::string_view(buf.data(), n), at + done)) return false;
    done += n;
  }
  return true;
}

const EVP_MD* DigestAlgorithm(std::string_view algorithm) {
  if (algorithm == "sha256") return EVP_sha256();
  if (algorithm == "sha384") return EVP_sha384();
  if (algorithm == "sha512") return EVP_sha512();
  return nullptr;
}

std::string HexDigest(std::string_view algorithm, const unsigned char* md, unsigned int len) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s(algorithm);
  s.push_back(':');
  for (unsigned int i = 0; i < len; ++i) {
    s.push_back(kHex[md[i] >> 4]);
    s.push_back(kHex[md[i] & 0xf]);
  }
  return s;
}

Result<std::string, StoreError> ReadWholeFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(StoreError::kIo, 0, "cannot open a stored file");
  std::string out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Fail(StoreError::kIo, 0, "cannot read a stored file");
  return out;
}

}  // namespace

std::string_view CodeName(StoreError code) {
  switch (code) {
    case StoreError::kInvalidName:
      return "invalid_name";
    case StoreError::kInvalidDigest:
      return "invalid_digest";
    case StoreError::kUnsupportedDigest:
      return "unsupported_digest";
    case StoreError::kInvalidTag:
      return "invalid_tag";
    case StoreError::kBlobUnknown:
      return "blob_unknown";
    case StoreError::kManifestUnknown:
      return "manifest_unknown";
    case StoreError::kTagUnknown:
      return "tag_unknown";
    case StoreError::kRepositoryUnknown:
      return "repository_unknown";
    case StoreError::kUploadUnknown:
      return "upload_unknown";
    case StoreError::kDigestMismatch:
      return "digest_mismatch";
    case StoreError::kRangeInvalid:
      return "range_invalid";
    case StoreError::kBlobTooLarge:
      return "blob_too_large";
    case StoreError::kManifestTooLarge:
      return "manifest_too_large";
    case StoreError::kTooManyUploads:
      return "too_many_uploads";
    case StoreError::kUploadSpaceExhausted:
      return "upload_space_exhausted";
    case StoreError::kIo:
      return "io";
  }
  return "unknown";
}

std::string ComputeDigest(std::string_view algorithm, std::string_view data) {
  const EVP_MD* md = DigestAlgorithm(algorithm);
  if (md == nullptr) return "";
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), out, &len, md, nullptr) != 1) return "";
  return HexDigest(algorithm, out, len);
}

std::string ComputeFileDigest(std::string_view algorithm, int fd) {
  const EVP_MD* md = DigestAlgorithm(algorithm);
  if (md == nullptr) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return "";
  std::vector<char> buf(1 << 20);
  for (off_t at = 0;;) {
    const ssize_t n = ::pread(fd, buf.data(), buf.size(), at);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return "";
    if (n == 0) break;
    if (EVP_DigestUpdate(ctx.get(), buf.data(), static_cast<std::size_t>(n)) != 1) return "";
    at += n;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) return "";
  return HexDigest(algorithm, out, len);
}

std::string ComputeSourceDigest(std::string_view algorithm, const net::BodySource& data) {
  const EVP_MD* md = DigestAlgorithm(algorithm);
  if (md == nullptr) return "";
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestInit_ex(ctx.get(), md, nullptr) != 1) return "";
  std::vector<char> buf(kCopyPiece);
  for (std::uint64_t at = 0; at < data.size();) {
    const std::size_t n = data.Read(at, buf.data(), buf.size());
    if (n == 0) return "";
    if (EVP_DigestUpdate(ctx.get(), buf.data(), n) != 1) return "";
    at += n;
  }
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx.get(), out, &len) != 1) return "";
  return HexDigest(algorithm, out, len);
}

// FileMatchesDigest: the file at `path` exists and its bytes hash to `digest`.
bool FileMatchesDigest(const fs::path& path, std::string_view digest) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = ComputeFileDigest(digest.substr(0, digest.find(':')), fd) == digest;
  ::close(fd);
  return ok;
}

// distribution catalog.go compareReplaceInline(a, b, '/', '\x00'): '/' sorts before every byte.
bool Store::LessPath::operator()(const std::string& a, const std::string& b) const {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned char c1 = a[i] == '/' ? 0 : static_cast<unsigned char>(a[i]);
    const unsigned char c2 = b[i] == '/' ? 0 : static_cast<unsigned char>(b[i]);
    if (c1 != c2) return c1 < c2;
  }
  return a.size() < b.size();
}

Store::Upload::~Upload() {
  if (fd >= 0) ::close(fd);
}

Store::Store(StoreOptions options) : options_(std::move(options)) {}

Store::~Store() {
  uploads_.clear();
  if (owns_upload_dir_) {
    std::error_code ignored;
    fs::remove_all(upload_dir_, ignored);
  }
}

Result<std::unique_ptr<Store>, StoreError> Store::Open(StoreOptions options) {
  if (!options.new_upload_id) return Fail(StoreError::kIo, 0, "new_upload_id is required");
  std::unique_ptr<Store> store(new Store(std::move(options)));
  if (store->persistent()) {
    auto loaded = store->LoadDirectory();
    if (!loaded) return Fail(loaded.error());
  }
  std::error_code ec;
  store->upload_dir_ = store->options_.upload_directory;
  if (store->upload_dir_.empty() && store->persistent()) {
    store->upload_dir_ = (fs::path(store->options_.directory) / "uploads").string();
  }
  if (store->upload_dir_.empty()) {
    const char* tmpdir = std::getenv("TMPDIR");
    std::string templ = std::string(tmpdir != nullptr && *tmpdir != '\0' ? tmpdir : "/tmp") +
                        "/regauth-uploads-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      return Fail(StoreError::kIo, 0, "cannot create a directory for upload sessions");
    }
    store->upload_dir_ = templ;
    store->owns_upload_dir_ = true;
  } else {
    fs::create_directories(store->upload_dir_, ec);
    // Sessions do not survive a restart: their files are leftovers.
    for (const auto& entry : fs::directory_iterator(store->upload_dir_, ec)) {
      fs::remove_all(entry, ec);
    }
    if (!fs::is_directory(store->upload_dir_, ec)) {
      return Fail(StoreError::kIo, 0, "cannot create the upload directory");
    }
  }
  return store;
}

Status<StoreError> Store::LoadDirectory() {
  const fs::path root(options_.directory);
  std::error_code ec;
  fs::create_directories(root / "tmp", ec);
  if (ec) return Fail(StoreError::kIo, 0, "cannot create the store directory");
  // Leftovers of an interrupted write never became visible: drop them.
  for (const auto& entry : fs::directory_iterator(root / "tmp", ec)) fs::remove_all(entry, ec);
  fs::create_directories(root / "blobs", ec);
  fs::create_directories(root / "repositories", ec);
  if (ec) return Fail(StoreError::kIo, 0, "cannot create the store directory");

  // Every blob is hashed once: a file whose bytes do not match its name (truncated by a power
  // loss that kept the rename but not the data) is removed, so it is never served and a re-push
  // stores it again.
  for (const auto& alg : fs::directory_iterator(root / "blobs", ec)) {
    if (!alg.is_directory()) continue;
    std::error_code ec2;
    for (const auto& file : fs::directory_iterator(alg.path(), ec2)) {
      const std::string digest =
          alg.path().filename().string() + ":" + file.path().filename().string();
      if (!file.is_regular_file() || !CheckDigest(digest)) continue;
      if (!FileMatchesDigest(file.path(), digest)) {
        fs::remove(file.path(), ec2);
        continue;
      }
      blob_sizes_[digest] = file.file_size();
    }
  }
  if (ec) return Fail(StoreError::kIo, 0, "cannot read the blobs directory");

  const fs::path repos = root / "repositories";
  for (auto it = fs::recursive_directory_iterator(repos, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    const std::string leaf = it->path().filename().string();
    if (!it->is_directory() || (leaf != "_layers" && leaf != "_manifests")) continue;
    it.disable_recursion_pending();
    const std::string name = it->path().parent_path().lexically_relative(repos).generic_string();
    if (!CheckName(name)) continue;
    Repository& repo = repositories_[name];
    std::error_code ec2;
    if (leaf == "_layers") {
      listed_.insert(name);
      for (const auto& alg : fs::directory_iterator(it->path(), ec2)) {
        for (const auto& file : fs::directory_iterator(alg.path(), ec2)) {
          const std::string digest =
              alg.path().filename().string() + ":" + file.path().filename().string();
          if (blob_sizes_.count(digest) != 0) repo.blob_links.insert(digest);
        }
      }
      continue;
    }
    for (const auto& alg : fs::directory_iterator(it->path() / "revisions", ec2)) {
      for (const auto& file : fs::directory_iterator(alg.path(), ec2)) {
        const std::string digest =
            alg.path().filename().string() + ":" + file.path().filename().string();
        auto media_type = ReadWholeFile(file.path());
        if (media_type && blob_sizes_.count(digest) != 0) repo.manifests[digest] = *media_type;
      }
    }
    ec2.clear();
    const fs::path tags = it->path() / "tags";
    if (fs::is_directory(tags, ec2)) {
      repo.has_tags_dir = true;
      for (const auto& file : fs::directory_iterator(tags, ec2)) {
        auto digest = ReadWholeFile(file.path());
        const std::string tag = file.path().filename().string();
        if (digest && CheckTag(tag) && repo.manifests.count(*digest) != 0) repo.tags[tag] = *digest;
      }
    }
  }
  if (ec) return Fail(StoreError::kIo, 0, "cannot read the repositories directory");
  return {};
}

// WriteFile writes `data` to a fresh file under tmp/ and renames it over `relative`, so a reader
// (or a restart) sees either the old file or the whole new one. Called with mu_ held exclusively.
// The file is fsynced before the rename and the directory after it, so once WriteFile returns
// the write survives a crash (and the caller may acknowledge it).
Status<StoreError> Store::WriteFile(const std::string& relative, std::string_view data) {
  return WriteFile(relative, net::StringViewBody(data));
}

Status<StoreError> Store::WriteFile(const std::string& relative, const net::BodySource& data) {
  const fs::path root(options_.directory);
  const fs::path tmp = root / "tmp" / std::to_string(++tmp_counter_);
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(StoreError::kIo, 0, "cannot create a temporary file");
  const bool written = CopyAll(fd, data, 0) && ::fsync(fd) == 0;
  if (::close(fd) != 0 || !written) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    return Fail(StoreError::kIo, 0, "cannot write a temporary file");
  }
  const fs::path target = root / relative;
  std::error_code ec;
  if (!MakeDirectories(target.parent_path())) {
    fs::remove(tmp, ec);
    return Fail(StoreError::kIo, 0, "cannot create a directory");
  }
  fs::rename(tmp, target, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return Fail(StoreError::kIo, 0, "cannot rename a file into place");
  }
  if (!FsyncPath(target.parent_path(), true)) {
    return Fail(StoreError::kIo, 0, "cannot fsync a directory");
  }
  return {};
}

Status<StoreError> Store::RemoveFile(const std::string& relative) {
  std::error_code ec;
  const fs::path path = fs::path(options_.directory) / relative;
  fs::remove(path, ec);
  if (ec || !FsyncPath(path.parent_path(), true)) {
    return Fail(StoreError::kIo, 0, "cannot remove a file");
  }
  return {};
}

// StoredBlobMatches: the directory backend's file of a known blob still hashes to its digest
// (the memory backend cannot drift).
bool Store::StoredBlobMatches(const std::string& digest) const {
  if (!persistent()) return true;
  return FileMatchesDigest(fs::path(options_.directory) / "blobs" / DigestPath(digest), digest);
}

Status<StoreError> Store::StoreBlobBytesLocked(const std::string& digest,
                                               const net::BodySource& data) {
  // Content-addressed: a present blob is kept, unless its stored bytes no longer match (then
  // this write repairs it).
  if (blob_sizes_.count(digest) != 0 && StoredBlobMatches(digest)) return {};
  if (persistent()) {
    auto written = WriteFile("blobs/" + DigestPath(digest), data);
    if (!written) return written;
  } else {
    auto bytes = net::ReadAll(data);  // the memory backend holds its blobs in memory
    if (!bytes) return Fail(StoreError::kIo, 0, "cannot read the blob's content");
    blob_bytes_[digest] = std::make_shared<const std::string>(std::move(*bytes));
  }
  blob_sizes_[digest] = data.size();
  return {};
}

Status<StoreError> Store::LinkBlobLocked(const std::string& repository, const std::string& digest) {
  Repository& repo = repositories_[repository];
  if (repo.blob_links.count(digest) != 0) return {};
  if (persistent()) {
    auto written = WriteFile(RepoPath(repository) + "/_layers/" + DigestPath(digest), "");
    if (!written) return written;
  }
  repo.blob_links.insert(digest);
  listed_.insert(repository);
  return {};
}

Result<std::shared_ptr<const std::string>, StoreError> Store::BlobBytes(
    const std::string& digest) const {
  if (!persistent()) {
    const auto it = blob_bytes_.find(digest);
    if (it == blob_bytes_.end()) return Fail(StoreError::kBlobUnknown, 0, "blob unknown");
    return it->second;
  }
  auto data = ReadWholeFile(fs::path(options_.directory) / "blobs" / DigestPath(digest));
  if (!data) return Fail(data.error());
  return std::make_shared<const std::string>(std::move(*data));
}

// --- Blobs ---

Result<BlobInfo, StoreError> Store::StatBlob(std::string_view repository, std::string_view digest,
                                             BlobScope scope) const {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckDigest(digest); !ok) return Fail(ok.error());
  std::shared_lock lock(mu_);
  const auto size = blob_sizes_.find(digest);
  if (size == blob_sizes_.end()) return Fail(StoreError::kBlobUnknown, 0, "blob unknown");
  if (scope == BlobScope::kRepository) {
    const auto repo = repositories_.find(repository);
    if (repo == repositories_.end() || repo->second.blob_links.count(size->first) == 0) {
      return Fail(StoreError::kBlobUnknown, 0, "blob not linked in the repository");
    }
  }
  return BlobInfo{size->first, size->second};
}

Result<Blob, StoreError> Store::ReadBlob(std::string_view repository, std::string_view digest,
                                         BlobScope scope) const {
  auto info = StatBlob(repository, digest, scope);
  if (!info) return Fail(info.error());
  if (persistent()) {
    const fs::path path = fs::path(options_.directory) / "blobs" / DigestPath(info->digest);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Fail(StoreError::kIo, 0, "cannot open a stored blob");
    auto content = std::make_shared<const net::FileBody>(fd, 0, info->size);
    return Blob{std::move(*info), std::move(content)};
  }
  std::shared_lock lock(mu_);
  auto data = BlobBytes(info->digest);
  if (!data) return Fail(data.error());
  auto content = std::make_shared<const net::SharedStringBody>(*data, 0, (*data)->size());
  return Blob{std::move(*info), std::move(content)};
}

Result<BlobInfo, StoreError> Store::MountBlob(std::string_view repository, std::string_view from,
                                              std::string_view digest) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  auto source = StatBlob(from, digest, BlobScope::kRepository);
  if (!source) return Fail(source.error());
  std::unique_lock lock(mu_);
  auto linked = LinkBlobLocked(std::string(repository), source->digest);
  if (!linked) return Fail(linked.error());
  return *source;
}

Status<StoreError> Store::DeleteBlob(std::string_view repository, std::string_view digest) {
  auto info = StatBlob(repository, digest, BlobScope::kRepository);
  if (!info) return Fail(info.error());
  std::unique_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end() || repo->second.blob_links.erase(info->digest) == 0) {
    return Fail(StoreError::kBlobUnknown, 0, "blob not linked in the repository");
  }
  if (persistent()) {
    return RemoveFile(RepoPath(repository) + "/_layers/" + DigestPath(info->digest));
  }
  return {};
}

// --- Upload sessions ---

std::shared_ptr<Store::Upload> Store::FindUploadLocked(std::string_view id,
                                                       std::string_view repository,
                                                       UploadBinding binding,
                                                       std::int64_t now) const {
  const auto it = uploads_.find(id);
  if (it == uploads_.end()) return nullptr;
  const Upload& up = *it->second;
  if (binding == UploadBinding::kSameRepository && up.info.repository != repository) {
    return nullptr;
  }
  if (now - up.touched_at > options_.limits.upload_session_ttl_seconds) return nullptr;
  return it->second;
}

// EraseUploadLocked closes a session: its accounting goes, its file is removed (unless it
// became a blob), and an append or completion still holding it sees `closed`.
void Store::EraseUploadLocked(std::string_view id) {
  const auto it = uploads_.find(id);
  if (it == uploads_.end()) return;
  Upload& up = *it->second;
  up.closed = true;
  upload_bytes_ -= up.info.offset;
  const auto owner = usage_by_owner_.find(up.owner);
  if (owner != usage_by_owner_.end()) {
    owner->second.bytes -= up.info.offset;
    if (--owner->second.sessions == 0) usage_by_owner_.erase(owner);
  }
  const auto repo = sessions_by_repository_.find(up.info.repository);
  if (repo != sessions_by_repository_.end() && --repo->second == 0) {
    sessions_by_repository_.erase(repo);
  }
  if (!up.path.empty()) ::unlink(up.path.c_str());
  uploads_.erase(it);
}

void Store::DropExpiredLocked(std::int64_t now) {
  std::vector<std::string> expired;
  for (const auto& [id, up] : uploads_) {
    if (now - up->touched_at > options_.limits.upload_session_ttl_seconds) expired.push_back(id);
  }
  for (const std::string& id : expired) EraseUploadLocked(id);
}

Result<UploadInfo, StoreError> Store::StartUpload(std::string_view repository, std::int64_t now,
                                                  std::string_view owner) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  std::unique_lock lock(mu_);
  DropExpiredLocked(now);
  const StoreLimits& l = options_.limits;
  const auto usage = usage_by_owner_.find(owner);
  if (usage != usage_by_owner_.end() && usage->second.sessions >= l.max_upload_sessions_per_owner) {
    return Fail(StoreError::kTooManyUploads, 0, "the owner's upload sessions are all open");
  }
  const auto repo = sessions_by_repository_.find(repository);
  if (repo != sessions_by_repository_.end() &&
      repo->second >= l.max_upload_sessions_per_repository) {
    return Fail(StoreError::kTooManyUploads, 0, "the repository's upload sessions are all open");
  }
  if (uploads_.size() >= l.max_upload_sessions) {
    return Fail(StoreError::kTooManyUploads, 0, "too many open upload sessions");
  }
  for (int attempt = 0; attempt < kUploadIdAttempts; ++attempt) {
    std::string id = options_.new_upload_id();
    if (!UsableUploadId(id) || uploads_.count(id) != 0) continue;
    auto up = std::make_shared<Upload>();
    up->path = (fs::path(upload_dir_) / id).string();
    up->fd = ::open(up->path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (up->fd < 0) {
      up->path.clear();
      return Fail(StoreError::kIo, 0, "cannot create an upload session file");
    }
    up->info = UploadInfo{id, std::string(repository), 0, now};
    up->owner = std::string(owner);
    up->touched_at = now;
    ++usage_by_owner_[up->owner].sessions;
    ++sessions_by_repository_[up->info.repository];
    uploads_.emplace(id, std::move(up));
    return UploadInfo{std::move(id), std::string(repository), 0, now};
  }
  return Fail(StoreError::kIo, 0, "no usable upload id");
}

Result<UploadInfo, StoreError> Store::GetUpload(std::string_view id, std::string_view repository,
                                                UploadBinding binding, std::int64_t now) const {
  std::shared_lock lock(mu_);
  const auto up = FindUploadLocked(id, repository, binding, now);
  if (up == nullptr) return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
  return up->info;
}

// AppendToSession appends `data` to a session whose mu the caller holds: the bytes are
// accounted (and the offset moved) under mu_, then written to the session file outside it, so a
// large chunk never blocks other sessions.
Result<UploadInfo, StoreError> Store::AppendToSession(Upload& up, const net::BodySource& data,
                                                      std::optional<ByteRange> range,
                                                      std::int64_t now) {
  std::uint64_t at = 0;
  UploadInfo info;
  {
    std::unique_lock lock(mu_);
    if (up.closed) return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
    if (range && (range->first != up.info.offset || range->last < range->first ||
                  range->last - range->first + 1 != data.size())) {
      return Fail(StoreError::kRangeInvalid, 0, "range does not continue the upload");
    }
    const StoreLimits& l = options_.limits;
    if (data.size() > l.max_blob_bytes - up.info.offset) {
      EraseUploadLocked(up.info.id);
      return Fail(StoreError::kBlobTooLarge, 0, "blob over the size limit");
    }
    Usage& usage = usage_by_owner_[up.owner];
    if (data.size() >
        l.max_upload_bytes_per_owner - std::min(usage.bytes, l.max_upload_bytes_per_owner)) {
      return Fail(StoreError::kUploadSpaceExhausted, 0, "the owner's upload space is exhausted");
    }
    if (data.size() >
        l.max_upload_bytes_total - std::min(upload_bytes_, l.max_upload_bytes_total)) {
      return Fail(StoreError::kUploadSpaceExhausted, 0, "upload space exhausted");
    }
    at = up.info.offset;
    up.info.offset += data.size();
    usage.bytes += data.size();
    upload_bytes_ += data.size();
    up.touched_at = now;
    info = up.info;
  }
  if (!CopyAll(up.fd, data, at)) {
    std::unique_lock lock(mu_);
    EraseUploadLocked(up.info.id);
    return Fail(StoreError::kIo, 0, "cannot write an upload session file");
  }
  return info;
}

Result<UploadInfo, StoreError> Store::AppendUpload(std::string_view id, std::string_view repository,
                                                   UploadBinding binding, std::string_view data,
                                                   std::optional<ByteRange> range,
                                                   std::int64_t now) {
  return AppendUpload(id, repository, binding, net::StringViewBody(data), range, now);
}

Result<UploadInfo, StoreError> Store::AppendUpload(std::string_view id, std::string_view repository,
                                                   UploadBinding binding,
                                                   const net::BodySource& data,
                                                   std::optional<ByteRange> range,
                                                   std::int64_t now) {
  std::shared_ptr<Upload> up;
  {
    std::shared_lock lock(mu_);
    up = FindUploadLocked(id, repository, binding, now);
  }
  if (up == nullptr) return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
  std::lock_guard<std::mutex> session(up->mu);
  return AppendToSession(*up, data, range, now);
}

// AdoptUploadLocked makes a verified, fsynced session file the blob `digest`: renamed into
// blobs/ (directory backend) unless an intact copy is there, or read into memory.
Status<StoreError> Store::AdoptUploadLocked(const std::string& digest, Upload& up) {
  const bool present = blob_sizes_.count(digest) != 0;
  if (!persistent()) {
    if (present) return {};
    std::string bytes(static_cast<std::size_t>(up.info.offset), '\0');
    std::uint64_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n =
          ::pread(up.fd, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return Fail(StoreError::kIo, 0, "cannot read an upload session file");
      done += static_cast<std::uint64_t>(n);
    }
    blob_sizes_[digest] = bytes.size();
    blob_bytes_[digest] = std::make_shared<const std::string>(std::move(bytes));
    return {};
  }
  if (present && StoredBlobMatches(digest)) return {};
  const fs::path target = fs::path(options_.directory) / "blobs" / DigestPath(digest);
  std::error_code ec;
  if (!MakeDirectories(target.parent_path())) {
    return Fail(StoreError::kIo, 0, "cannot create a directory");
  }
  fs::rename(up.path, target, ec);
  if (ec || !FsyncPath(target.parent_path(), true)) {
    return Fail(StoreError::kIo, 0, "cannot rename an upload into place");
  }
  up.path.clear();  // the file is the blob now
  blob_sizes_[digest] = up.info.offset;
  return {};
}

Result<BlobInfo, StoreError> Store::CompleteUpload(std::string_view id, std::string_view repository,
                                                   UploadBinding binding,
                                                   std::string_view final_data,
                                                   std::string_view digest, std::int64_t now) {
  return CompleteUpload(id, repository, binding, net::StringViewBody(final_data), digest, now);
}

Result<BlobInfo, StoreError> Store::CompleteUpload(std::string_view id, std::string_view repository,
                                                   UploadBinding binding,
                                                   const net::BodySource& final_data,
                                                   std::string_view digest, std::int64_t now) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckDigest(digest); !ok) return Fail(ok.error());
  std::shared_ptr<Upload> up;
  {
    std::shared_lock lock(mu_);
    up = FindUploadLocked(id, repository, binding, now);
  }
  if (up == nullptr) return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
  std::lock_guard<std::mutex> session(up->mu);
  auto appended = AppendToSession(*up, final_data, std::nullopt, now);
  if (!appended) return Fail(appended.error());
  const std::string algorithm(digest.substr(0, digest.find(':')));
  if (ComputeFileDigest(algorithm, up->fd) != digest) {
    // distribution 2.8 calls Cancel after the failed commit, but its file writer is already
    // committed, so Cancel fails and the session stays, holding the final chunk too (measured).
    return Fail(StoreError::kDigestMismatch, 0, "content does not match the digest");
  }
  if (::fsync(up->fd) != 0) return Fail(StoreError::kIo, 0, "cannot fsync an upload");
  const std::string key(digest);
  std::unique_lock lock(mu_);
  if (up->closed) return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
  const std::uint64_t size = up->info.offset;
  auto stored = AdoptUploadLocked(key, *up);
  if (!stored) return Fail(stored.error());
  EraseUploadLocked(id);
  auto linked = LinkBlobLocked(std::string(repository), key);
  if (!linked) return Fail(linked.error());
  return BlobInfo{key, size};
}

protocol::Status<StoreError> Store::CancelUpload(std::string_view id, std::string_view repository,
                                                 UploadBinding binding) {
  std::unique_lock lock(mu_);
  // A cancel must work on a session however old it is, so the TTL does not apply here.
  if (FindUploadLocked(id, repository, binding, INT64_MIN / 2) == nullptr) {
    return Fail(StoreError::kUploadUnknown, 0, "upload unknown");
  }
  EraseUploadLocked(id);
  return {};
}

Result<BlobInfo, StoreError> Store::PutBlob(std::string_view repository, std::string_view digest,
                                            std::string_view data) {
  return PutBlob(repository, digest, net::StringViewBody(data));
}

Result<BlobInfo, StoreError> Store::PutBlob(std::string_view repository, std::string_view digest,
                                            const net::BodySource& data) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckDigest(digest); !ok) return Fail(ok.error());
  if (data.size() > options_.limits.max_blob_bytes) {
    return Fail(StoreError::kBlobTooLarge, 0, "blob over the size limit");
  }
  const std::string algorithm(digest.substr(0, digest.find(':')));
  if (ComputeSourceDigest(algorithm, data) != digest) {
    return Fail(StoreError::kDigestMismatch, 0, "content does not match the digest");
  }
  const std::string key(digest);
  std::unique_lock lock(mu_);
  auto stored = StoreBlobBytesLocked(key, data);
  if (!stored) return Fail(stored.error());
  auto linked = LinkBlobLocked(std::string(repository), key);
  if (!linked) return Fail(linked.error());
  return BlobInfo{key, data.size()};
}

// --- Manifests and tags ---

Result<ManifestRecord, StoreError> Store::PutManifest(std::string_view repository,
                                                      std::string_view media_type,
                                                      std::string_view body,
                                                      std::optional<std::string_view> tag) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (tag) {
    if (auto ok = CheckTag(*tag); !ok) return Fail(ok.error());
  }
  if (body.size() > options_.limits.max_manifest_bytes) {
    return Fail(StoreError::kManifestTooLarge, 0, "manifest over the size limit");
  }
  const std::string digest = ComputeDigest("sha256", body);
  const std::string name(repository);
  std::unique_lock lock(mu_);
  auto stored = StoreBlobBytesLocked(digest, net::StringViewBody(body));
  if (!stored) return Fail(stored.error());
  Repository& repo = repositories_[name];
  if (persistent()) {
    auto written =
        WriteFile(RepoPath(name) + "/_manifests/revisions/" + DigestPath(digest), media_type);
    if (!written) return Fail(written.error());
    if (tag) {
      written = WriteFile(RepoPath(name) + "/_manifests/tags/" + std::string(*tag), digest);
      if (!written) return Fail(written.error());
    }
  }
  repo.manifests[digest] = std::string(media_type);
  if (tag) {
    repo.tags[std::string(*tag)] = digest;
    repo.has_tags_dir = true;
  }
  return ManifestRecord{digest, std::string(media_type), std::make_shared<const std::string>(body)};
}

Result<ManifestRecord, StoreError> Store::GetManifest(std::string_view repository,
                                                      std::string_view digest) const {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckDigest(digest); !ok) return Fail(ok.error());
  std::shared_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) return Fail(StoreError::kManifestUnknown, 0, "unknown");
  const auto it = repo->second.manifests.find(std::string(digest));
  if (it == repo->second.manifests.end()) {
    return Fail(StoreError::kManifestUnknown, 0, "manifest unknown");
  }
  auto body = BlobBytes(it->first);
  if (!body) return Fail(body.error());
  return ManifestRecord{it->first, it->second, std::move(*body)};
}

bool Store::HasManifest(std::string_view repository, std::string_view digest) const {
  if (!CheckName(repository) || !CheckDigest(digest)) return false;
  std::shared_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  return repo != repositories_.end() && repo->second.manifests.count(std::string(digest)) != 0;
}

Result<std::string, StoreError> Store::ResolveTag(std::string_view repository,
                                                  std::string_view tag) const {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckTag(tag); !ok) return Fail(ok.error());
  std::shared_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end()) return Fail(StoreError::kTagUnknown, 0, "tag unknown");
  const auto it = repo->second.tags.find(std::string(tag));
  if (it == repo->second.tags.end()) return Fail(StoreError::kTagUnknown, 0, "tag unknown");
  return it->second;
}

Status<StoreError> Store::DeleteManifest(std::string_view repository, std::string_view digest) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckDigest(digest); !ok) return Fail(ok.error());
  const std::string name(repository);
  const std::string key(digest);
  std::unique_lock lock(mu_);
  const auto repo = repositories_.find(name);
  if (repo == repositories_.end() || repo->second.manifests.count(key) == 0) {
    return Fail(StoreError::kManifestUnknown, 0, "manifest unknown");
  }
  if (persistent()) {
    auto removed = RemoveFile(RepoPath(name) + "/_manifests/revisions/" + DigestPath(key));
    if (!removed) return removed;
  }
  repo->second.manifests.erase(key);
  // distribution DeleteManifest: tagService.Lookup(digest) then Untag each.
  for (auto it = repo->second.tags.begin(); it != repo->second.tags.end();) {
    if (it->second != key) {
      ++it;
      continue;
    }
    if (persistent()) {
      auto removed = RemoveFile(RepoPath(name) + "/_manifests/tags/" + it->first);
      if (!removed) return removed;
    }
    it = repo->second.tags.erase(it);
  }
  return {};
}

Status<StoreError> Store::DeleteTag(std::string_view repository, std::string_view tag) {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  if (auto ok = CheckTag(tag); !ok) return Fail(ok.error());
  std::unique_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end() || repo->second.tags.count(std::string(tag)) == 0) {
    return Fail(StoreError::kTagUnknown, 0, "tag unknown");
  }
  if (persistent()) {
    auto removed = RemoveFile(RepoPath(repository) + "/_manifests/tags/" + std::string(tag));
    if (!removed) return removed;
  }
  repo->second.tags.erase(std::string(tag));
  return {};
}

Result<std::vector<std::string>, StoreError> Store::ListTags(std::string_view repository) const {
  if (auto ok = CheckName(repository); !ok) return Fail(ok.error());
  std::shared_lock lock(mu_);
  const auto repo = repositories_.find(repository);
  if (repo == repositories_.end() || !repo->second.has_tags_dir) {
    return Fail(StoreError::kRepositoryUnknown, 0, "repository has no tags");
  }
  std::vector<std::string> tags;
  tags.reserve(repo->second.tags.size());
  for (const auto& [tag, digest] : repo->second.tags) tags.push_back(tag);
  return tags;
}

RepositoryPage Store::ListRepositories(std::string_view last, std::size_t n) const {
  RepositoryPage page;
  if (n == 0) return page;
  std::shared_lock lock(mu_);
  // upper_bound(last) is the first name with lessPath(last, name): distribution's filter.
  for (auto it = listed_.upper_bound(std::string(last)); it != listed_.end(); ++it) {
    if (page.names.size() == n) {
      page.more = true;
      break;
    }
    page.names.push_back(*it);
  }
  return page;
}

}  // namespace regauth::server
