#include "reference_server/registry/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "protocol/test_support.h"

namespace regauth::server {
namespace {

constexpr std::int64_t kNow = 1700000000;

std::function<std::string()> Counter(std::string prefix = "uuid-") {
  auto n = std::make_shared<std::atomic<int>>(0);
  return [n, prefix] { return prefix + std::to_string(++*n); };
}

std::unique_ptr<Store> Memory(StoreLimits limits = {}) {
  StoreOptions o;
  o.limits = limits;
  o.new_upload_id = Counter();
  auto s = Store::Open(std::move(o));
  EXPECT_TRUE(s.has_value());
  return std::move(*s);
}

std::string Sha256(std::string_view data) { return ComputeDigest("sha256", data); }

// A fresh directory under the build tree, removed by the destructor.
class TempDir {
 public:
  explicit TempDir(const std::string& name)
      : path_(std::filesystem::path(REGAUTH_BINARY_DIR) / "store_test_tmp" / name) {
    std::filesystem::remove_all(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string str() const { return path_.string(); }

 private:
  std::filesystem::path path_;
};

// ComputeDigest: the go-digest algorithms (FIPS 180-4 test vector "abc").
TEST(StoreDigest, ComputesSha256Sha384Sha512AndRejectsOthers) {
  EXPECT_EQ(ComputeDigest("sha256", "abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(ComputeDigest("sha384", "abc").substr(0, 20), "sha384:cb00753f45a35");
  EXPECT_EQ(ComputeDigest("sha512", "abc").substr(0, 20), "sha512:ddaf35a193617");
  EXPECT_EQ(ComputeDigest("md5", "abc"), "");
}

struct InputCase {
  const char* label;
  std::string repository;
  std::string digest;
  StoreError want;
};
REGAUTH_PRINT_LABEL(InputCase)

class StoreInputTest : public ::testing::TestWithParam<InputCase> {};

// Names and digests are validated before any lookup (they become paths in the directory
// backend): distribution's reference grammar (≤ 255) and go-digest Validate.
TEST_P(StoreInputTest, RejectsInvalidNamesAndDigestsWithTheirCode) {
  const InputCase& c = GetParam();
  auto store = Memory();
  auto r = store->StatBlob(c.repository, c.digest);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, c.want) << CodeName(r.error().code);
}

const std::string kZeros = "sha256:" + std::string(64, '0');

INSTANTIATE_TEST_SUITE_P(
    Table, StoreInputTest,
    ::testing::Values(
        InputCase{"traversal", "foo/../bar", kZeros, StoreError::kInvalidName},
        InputCase{"leading slash", "/foo", kZeros, StoreError::kInvalidName},
        InputCase{"uppercase path", "foo/Bar", kZeros, StoreError::kInvalidName},
        InputCase{"too long", std::string(256, 'a'), kZeros, StoreError::kInvalidName},
        InputCase{"empty", "", kZeros, StoreError::kInvalidName},
        InputCase{"short hex", "foo", "sha256:abc", StoreError::kInvalidDigest},
        InputCase{"upper hex", "foo", "sha256:" + std::string(64, 'A'), StoreError::kInvalidDigest},
        InputCase{"no colon", "foo", "sha256", StoreError::kInvalidDigest},
        InputCase{"md5", "foo", "md5:d41d8cd98f00b204e9800998ecf8427e",
                  StoreError::kUnsupportedDigest},
        InputCase{"unknown blob", "foo", kZeros, StoreError::kBlobUnknown},
        InputCase{"domain form is a name", "localhost:5000/foo", kZeros, StoreError::kBlobUnknown}),
    testing_support::LabelName());

// A chunked upload: offsets advance, Content-Range must continue the session, and the blob is
// linked only in the repository it was completed in (zot CVE-2024-39897).
TEST(StoreUpload, ChunkedUploadLinksOnlyIntoItsRepository) {
  auto store = Memory();
  auto up = store->StartUpload("foo/bar", kNow);
  ASSERT_TRUE(up.has_value());
  EXPECT_EQ(up->id, "uuid-1");
  EXPECT_EQ(up->offset, 0u);
  auto a = store->AppendUpload(up->id, "foo/bar", UploadBinding::kSameRepository, "hello",
                               ByteRange{0, 4}, kNow);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->offset, 5u);
  // A range that does not start at the offset.
  auto bad = store->AppendUpload(up->id, "foo/bar", UploadBinding::kSameRepository, "x",
                                 ByteRange{0, 0}, kNow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, StoreError::kRangeInvalid);
  // A range whose length differs from the chunk.
  bad = store->AppendUpload(up->id, "foo/bar", UploadBinding::kSameRepository, "xy",
                            ByteRange{5, 5}, kNow);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, StoreError::kRangeInvalid);
  auto blob = store->CompleteUpload(up->id, "foo/bar", UploadBinding::kSameRepository, " world",
                                    Sha256("hello world"), kNow);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(blob->size, 11u);
  EXPECT_TRUE(store->StatBlob("foo/bar", Sha256("hello world")).has_value());
  auto other = store->StatBlob("other/repo", Sha256("hello world"));
  ASSERT_FALSE(other.has_value());
  EXPECT_EQ(other.error().code, StoreError::kBlobUnknown);
  EXPECT_TRUE(
      store->StatBlob("other/repo", Sha256("hello world"), BlobScope::kAnyRepository).has_value());
  auto read = store->ReadBlob("foo/bar", Sha256("hello world"));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(net::ReadAll(*read->content), "hello world");
  // The session is closed.
  EXPECT_FALSE(store->GetUpload(up->id, "foo/bar", UploadBinding::kSameRepository, kNow));
}

// Quay CVE-2026-32589: a session id is useless from another repository unless the binding is
// dropped on purpose.
TEST(StoreUpload, SessionIsBoundToItsRepository) {
  auto store = Memory();
  auto up = store->StartUpload("team-a/app", kNow);
  ASSERT_TRUE(up.has_value());
  auto g = store->GetUpload(up->id, "team-b/app", UploadBinding::kSameRepository, kNow);
  ASSERT_FALSE(g.has_value());
  EXPECT_EQ(g.error().code, StoreError::kUploadUnknown);
  auto c = store->CancelUpload(up->id, "team-b/app", UploadBinding::kSameRepository);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, StoreError::kUploadUnknown);
  EXPECT_TRUE(store->GetUpload(up->id, "team-b/app", UploadBinding::kAnyRepository, kNow));
  EXPECT_TRUE(store->GetUpload(up->id, "team-a/app", UploadBinding::kSameRepository, kNow));
}

// A failed commit leaves the session with its data (2.8's Cancel fails after the commit).
TEST(StoreUpload, DigestMismatchKeepsTheSession) {
  auto store = Memory();
  auto up = store->StartUpload("foo", kNow);
  ASSERT_TRUE(up.has_value());
  auto r = store->CompleteUpload(up->id, "foo", UploadBinding::kSameRepository, "data",
                                 Sha256("other"), kNow);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code, StoreError::kDigestMismatch);
  auto kept = store->GetUpload(up->id, "foo", UploadBinding::kSameRepository, kNow);
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->offset, 4u);
  EXPECT_FALSE(store->StatBlob("foo", Sha256("data")).has_value());
  EXPECT_TRUE(store->CompleteUpload(up->id, "foo", UploadBinding::kSameRepository, "",
                                    Sha256("data"), kNow));
}

// sha384 and sha512 digests are verified with their own algorithm.
TEST(StoreUpload, VerifiesSha512Digests) {
  auto store = Memory();
  auto up = store->StartUpload("foo", kNow);
  ASSERT_TRUE(up.has_value());
  const std::string d = ComputeDigest("sha512", "payload");
  auto r = store->CompleteUpload(up->id, "foo", UploadBinding::kSameRepository, "payload", d, kNow);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->digest, d);
}

// Limits: blob size (session cancelled), concurrent sessions, bytes in flight, session TTL.
TEST(StoreUpload, EnforcesLimitsWithTheirOwnCodes) {
  StoreLimits limits;
  limits.max_blob_bytes = 8;
  limits.max_upload_sessions = 2;
  limits.max_upload_bytes_total = 10;
  limits.upload_session_ttl_seconds = 100;
  auto store = Memory(limits);
  auto a = store->StartUpload("foo", kNow);
  auto b = store->StartUpload("foo", kNow);
  ASSERT_TRUE(a && b);
  auto c = store->StartUpload("foo", kNow);
  ASSERT_FALSE(c.has_value());
  EXPECT_EQ(c.error().code, StoreError::kTooManyUploads);

  ASSERT_TRUE(store->AppendUpload(a->id, "foo", UploadBinding::kSameRepository, "12345678",
                                  std::nullopt, kNow));
  auto big =
      store->AppendUpload(a->id, "foo", UploadBinding::kSameRepository, "9", std::nullopt, kNow);
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, StoreError::kBlobTooLarge);
  EXPECT_FALSE(store->GetUpload(a->id, "foo", UploadBinding::kSameRepository, kNow));

  ASSERT_TRUE(store->AppendUpload(b->id, "foo", UploadBinding::kSameRepository, "1234567",
                                  std::nullopt, kNow));
  auto d = store->StartUpload("foo", kNow);
  ASSERT_TRUE(d.has_value());
  auto full =
      store->AppendUpload(d->id, "foo", UploadBinding::kSameRepository, "1234", std::nullopt, kNow);
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, StoreError::kUploadSpaceExhausted);

  // After the TTL, b and d are gone and their slots are free again.
  EXPECT_FALSE(store->GetUpload(b->id, "foo", UploadBinding::kSameRepository, kNow + 101));
  EXPECT_TRUE(store->StartUpload("foo", kNow + 101));
  EXPECT_TRUE(store->StartUpload("foo", kNow + 101));
}

// The id generator is untrusted: ids the route could not carry, or repeated ids, are skipped.
TEST(StoreUpload, SkipsUnusableAndDuplicateUploadIds) {
  StoreOptions o;
  auto n = std::make_shared<int>(0);
  o.new_upload_id = [n] {
    ++*n;
    if (*n <= 2) return std::string("bad/id");
    return std::string("same");
  };
  auto store = Store::Open(std::move(o));
  ASSERT_TRUE(store.has_value());
  auto a = (*store)->StartUpload("foo", kNow);
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->id, "same");
  auto b = (*store)->StartUpload("foo", kNow);
  ASSERT_FALSE(b.has_value());
  EXPECT_EQ(b.error().code, StoreError::kIo);
}

// A store needs an id generator.
TEST(StoreOpen, RequiresAnUploadIdGenerator) {
  auto s = Store::Open(StoreOptions{});
  ASSERT_FALSE(s.has_value());
  EXPECT_EQ(s.error().code, StoreError::kIo);
}

// Cross-repository mount copies the link only when the source repository links the blob.
TEST(StoreBlob, MountNeedsTheBlobInTheSourceRepository) {
  auto store = Memory();
  const std::string d = Sha256("layer");
  ASSERT_TRUE(store->PutBlob("src", d, "layer"));
  auto miss = store->MountBlob("dst", "elsewhere", d);
  ASSERT_FALSE(miss.has_value());
  EXPECT_EQ(miss.error().code, StoreError::kBlobUnknown);
  auto ok = store->MountBlob("dst", "src", d);
  ASSERT_TRUE(ok.has_value());
  EXPECT_EQ(ok->size, 5u);
  EXPECT_TRUE(store->StatBlob("dst", d));
}

// Deleting a blob removes the repository's link; other repositories keep theirs.
TEST(StoreBlob, DeleteUnlinksOnlyInTheRepository) {
  auto store = Memory();
  const std::string d = Sha256("layer");
  ASSERT_TRUE(store->PutBlob("a", d, "layer"));
  ASSERT_TRUE(store->MountBlob("b", "a", d));
  ASSERT_TRUE(store->DeleteBlob("a", d));
  EXPECT_FALSE(store->StatBlob("a", d));
  EXPECT_TRUE(store->StatBlob("b", d));
  auto again = store->DeleteBlob("a", d);
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, StoreError::kBlobUnknown);
}

// Monolithic puts verify the digest and the size limit.
TEST(StoreBlob, PutBlobVerifiesDigestAndSize) {
  StoreLimits limits;
  limits.max_blob_bytes = 4;
  auto store = Memory(limits);
  auto mismatch = store->PutBlob("a", Sha256("abcd"), "abce");
  ASSERT_FALSE(mismatch.has_value());
  EXPECT_EQ(mismatch.error().code, StoreError::kDigestMismatch);
  auto big = store->PutBlob("a", Sha256("abcde"), "abcde");
  ASSERT_FALSE(big.has_value());
  EXPECT_EQ(big.error().code, StoreError::kBlobTooLarge);
}

// Manifests by digest and tag; deleting a manifest removes its tags; the tag list stays (empty)
// once it has existed, which distribution reports as "tags":null.
TEST(StoreManifest, TagsFollowManifestsAndTheTagListOutlivesItsTags) {
  auto store = Memory();
  auto none = store->ListTags("foo");
  ASSERT_FALSE(none.has_value());
  EXPECT_EQ(none.error().code, StoreError::kRepositoryUnknown);
  auto m = store->PutManifest("foo", "application/x-test", "{}", "v1");
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->digest, Sha256("{}"));
  ASSERT_TRUE(store->PutManifest("foo", "application/x-test", "{}", "latest"));
  auto tags = store->ListTags("foo");
  ASSERT_TRUE(tags.has_value());
  EXPECT_EQ(*tags, (std::vector<std::string>{"latest", "v1"}));
  auto resolved = store->ResolveTag("foo", "v1");
  ASSERT_TRUE(resolved.has_value());
  EXPECT_EQ(*resolved, m->digest);
  EXPECT_TRUE(store->HasManifest("foo", m->digest));
  auto got = store->GetManifest("foo", m->digest);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got->body, "{}");
  EXPECT_EQ(got->media_type, "application/x-test");
  // A manifest is not a layer blob of the repository.
  EXPECT_FALSE(store->StatBlob("foo", m->digest));
  ASSERT_TRUE(store->DeleteManifest("foo", m->digest));
  EXPECT_FALSE(store->HasManifest("foo", m->digest));
  auto after = store->ListTags("foo");
  ASSERT_TRUE(after.has_value());
  EXPECT_TRUE(after->empty());
  auto gone = store->ResolveTag("foo", "v1");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code, StoreError::kTagUnknown);
}

struct TagCase {
  const char* label;
  std::string tag;
  bool ok;
};
REGAUTH_PRINT_LABEL(TagCase)

class StoreTagTest : public ::testing::TestWithParam<TagCase> {};

// Tags are file names in the directory backend: only what the manifest route can carry.
TEST_P(StoreTagTest, AcceptsOnlyRouteTagCharacters) {
  auto store = Memory();
  auto r = store->PutManifest("foo", "t", "{}", GetParam().tag);
  EXPECT_EQ(r.has_value(), GetParam().ok);
  if (!GetParam().ok) {
    EXPECT_EQ(r.error().code, StoreError::kInvalidTag);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, StoreTagTest,
    ::testing::Values(TagCase{"plain", "v1.0_rc-1", true},
                      TagCase{"digest-like", "sha256:abc", true},
                      TagCase{"dot first", ".hidden", false}, TagCase{"dash first", "-x", false},
                      TagCase{"slash", "a/b", false}, TagCase{"dotdot", "..", false},
                      TagCase{"empty", "", false}, TagCase{"nul", std::string("a\0b", 3), false},
                      TagCase{"256 bytes", std::string(256, 'a'), false}),
    testing_support::LabelName());

// The catalog lists repositories that have had a blob linked, in distribution's lessPath order
// ('/' before every other byte), after `last`, n at a time; `more` when another one follows.
TEST(StoreCatalog, ListsLinkedRepositoriesInLessPathOrder) {
  auto store = Memory();
  const std::string d = Sha256("x");
  for (const char* name : {"a-b", "a/b", "a", "b", "a0"}) ASSERT_TRUE(store->PutBlob(name, d, "x"));
  ASSERT_TRUE(store->PutManifest("manifest-only", "t", "{}", "v1"));  // no _layers: not listed
  auto all = store->ListRepositories("", 100);
  EXPECT_EQ(all.names, (std::vector<std::string>{"a", "a/b", "a-b", "a0", "b"}));
  EXPECT_FALSE(all.more);
  auto page = store->ListRepositories("", 2);
  EXPECT_EQ(page.names, (std::vector<std::string>{"a", "a/b"}));
  EXPECT_TRUE(page.more);
  page = store->ListRepositories("a/b", 3);
  EXPECT_EQ(page.names, (std::vector<std::string>{"a-b", "a0", "b"}));
  EXPECT_FALSE(page.more);  // full, but nothing follows: no Link (measured on 2.8.2)
  EXPECT_TRUE(store->ListRepositories("b", 3).names.empty());
  EXPECT_TRUE(store->ListRepositories("", 0).names.empty());
  // Deleting the last link keeps the repository listed (its _layers directory stays).
  ASSERT_TRUE(store->DeleteBlob("b", d));
  EXPECT_EQ(store->ListRepositories("a0", 10).names, (std::vector<std::string>{"b"}));
}

// The directory backend: everything completed survives a re-open; deletions too.
TEST(StoreDirectory, SurvivesReopening) {
  TempDir dir("reopen");
  const std::string layer = Sha256("layer-bytes");
  std::string manifest_digest;
  {
    StoreOptions o;
    o.directory = dir.str();
    o.new_upload_id = Counter();
    auto store = Store::Open(o);
    ASSERT_TRUE(store.has_value());
    EXPECT_TRUE((*store)->persistent());
    auto up = (*store)->StartUpload("team/app", kNow);
    ASSERT_TRUE(up.has_value());
    ASSERT_TRUE((*store)->CompleteUpload(up->id, "team/app", UploadBinding::kSameRepository,
                                         "layer-bytes", layer, kNow));
    ASSERT_TRUE((*store)->MountBlob("other", "team/app", layer));
    auto m = (*store)->PutManifest("team/app", "application/x-test", "{\"m\":1}", "v1");
    ASSERT_TRUE(m.has_value());
    manifest_digest = m->digest;
    ASSERT_TRUE((*store)->PutManifest("team/app", "application/x-test", "{\"m\":1}", "gone"));
    ASSERT_TRUE((*store)->DeleteTag("team/app", "gone"));
    ASSERT_TRUE((*store)->DeleteBlob("other", layer));
    // An unfinished session is not persisted.
    ASSERT_TRUE((*store)->StartUpload("team/app", kNow));
  }
  StoreOptions o;
  o.directory = dir.str();
  o.new_upload_id = Counter("again-");
  auto store = Store::Open(o);
  ASSERT_TRUE(store.has_value());
  auto blob = (*store)->ReadBlob("team/app", layer);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(net::ReadAll(*blob->content), "layer-bytes");
  EXPECT_FALSE((*store)->StatBlob("other", layer));
  auto tags = (*store)->ListTags("team/app");
  ASSERT_TRUE(tags.has_value());
  EXPECT_EQ(*tags, std::vector<std::string>{"v1"});
  auto m = (*store)->GetManifest("team/app", manifest_digest);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(*m->body, "{\"m\":1}");
  EXPECT_EQ(m->media_type, "application/x-test");
  EXPECT_EQ((*store)->ListRepositories("", 10).names,
            (std::vector<std::string>{"other", "team/app"}));
  EXPECT_FALSE((*store)->GetUpload("uuid-2", "team/app", UploadBinding::kSameRepository, kNow));
}

// Sessions are counted per owner (the token's subject) and per repository: one owner holding all
// its sessions and bytes leaves another owner free to push (issue 11).
TEST(StoreUpload, QuotasPerOwnerAndRepositoryLeaveOthersFree) {
  StoreLimits limits;
  limits.max_upload_sessions_per_owner = 2;
  limits.max_upload_sessions_per_repository = 3;
  limits.max_upload_bytes_per_owner = 10;
  auto store = Memory(limits);
  auto a1 = store->StartUpload("repo/a", kNow, "alice");
  auto a2 = store->StartUpload("repo/a", kNow, "alice");
  ASSERT_TRUE(a1 && a2);
  auto a3 = store->StartUpload("repo/b", kNow, "alice");
  ASSERT_FALSE(a3.has_value());
  EXPECT_EQ(a3.error().code, StoreError::kTooManyUploads);
  ASSERT_TRUE(store->AppendUpload(a1->id, "repo/a", UploadBinding::kSameRepository, "0123456789",
                                  std::nullopt, kNow));
  auto over = store->AppendUpload(a2->id, "repo/a", UploadBinding::kSameRepository, "x",
                                  std::nullopt, kNow);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code, StoreError::kUploadSpaceExhausted);

  auto b1 = store->StartUpload("repo/b", kNow, "bob");
  ASSERT_TRUE(b1.has_value());
  ASSERT_TRUE(store->CompleteUpload(b1->id, "repo/b", UploadBinding::kSameRepository, "bob's",
                                    Sha256("bob's"), kNow));
  // The repository limit: alice's two and one of bob's fill repo/a.
  ASSERT_TRUE(store->StartUpload("repo/a", kNow, "bob"));
  auto full = store->StartUpload("repo/a", kNow, "carol");
  ASSERT_FALSE(full.has_value());
  EXPECT_EQ(full.error().code, StoreError::kTooManyUploads);
  // Completing or cancelling gives the quota back.
  ASSERT_TRUE(store->CancelUpload(a2->id, "repo/a", UploadBinding::kSameRepository));
  EXPECT_TRUE(store->StartUpload("repo/c", kNow, "alice"));
}

// Session bytes live in files under upload_directory, not in memory; a cancel removes them.
TEST(StoreUpload, KeepsSessionBytesOnDisk) {
  TempDir dir("uploads");
  StoreOptions o;
  o.upload_directory = dir.str();
  o.new_upload_id = Counter();
  auto store = Store::Open(o);
  ASSERT_TRUE(store.has_value());
  auto up = (*store)->StartUpload("foo", kNow, "alice");
  ASSERT_TRUE(up.has_value());
  ASSERT_TRUE((*store)->AppendUpload(up->id, "foo", UploadBinding::kSameRepository, "abcdef",
                                     std::nullopt, kNow));
  EXPECT_EQ(std::filesystem::file_size(dir.str() + "/" + up->id), 6u);
  ASSERT_TRUE((*store)->CancelUpload(up->id, "foo", UploadBinding::kSameRepository));
  EXPECT_FALSE(std::filesystem::exists(dir.str() + "/" + up->id));
}

// A blob whose file was truncated behind the store's back (a power loss that kept the rename but
// not the data) is dropped when the store opens, never served, and a re-push stores it again.
TEST(StoreDirectory, DropsTruncatedBlobOnOpenAndRepushRepairsIt) {
  TempDir dir("truncated");
  const std::string data = "layer that will be truncated";
  const std::string digest = Sha256(data);
  {
    StoreOptions o;
    o.directory = dir.str();
    o.new_upload_id = Counter();
    auto store = Store::Open(o);
    ASSERT_TRUE(store.has_value());
    ASSERT_TRUE((*store)->PutBlob("team/app", digest, data));
  }
  const std::string file = dir.str() + "/blobs/sha256/" + digest.substr(7);
  std::filesystem::resize_file(file, 0);
  StoreOptions o;
  o.directory = dir.str();
  o.new_upload_id = Counter("again-");
  auto store = Store::Open(o);
  ASSERT_TRUE(store.has_value());
  auto stat = (*store)->StatBlob("team/app", digest);
  ASSERT_FALSE(stat.has_value());
  EXPECT_EQ(stat.error().code, StoreError::kBlobUnknown);
  auto up = (*store)->StartUpload("team/app", kNow, "alice");
  ASSERT_TRUE(up.has_value());
  ASSERT_TRUE((*store)->CompleteUpload(up->id, "team/app", UploadBinding::kSameRepository, data,
                                       digest, kNow));
  auto blob = (*store)->ReadBlob("team/app", digest);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(net::ReadAll(*blob->content), data);
}

// Re-pushing a digest whose stored bytes no longer match rewrites them (content addressing must
// not trust a damaged file).
TEST(StoreDirectory, RepushRewritesDamagedBlob) {
  TempDir dir("damaged");
  const std::string data = "the real bytes";
  const std::string digest = Sha256(data);
  StoreOptions o;
  o.directory = dir.str();
  o.new_upload_id = Counter();
  auto store = Store::Open(o);
  ASSERT_TRUE(store.has_value());
  ASSERT_TRUE((*store)->PutBlob("team/app", digest, data));
  const std::string file = dir.str() + "/blobs/sha256/" + digest.substr(7);
  {
    std::ofstream damage(file, std::ios::binary | std::ios::trunc);
    damage << "other bytes!!!";
  }
  ASSERT_TRUE((*store)->PutBlob("team/app", digest, data));
  auto blob = (*store)->ReadBlob("team/app", digest);
  ASSERT_TRUE(blob.has_value());
  EXPECT_EQ(net::ReadAll(*blob->content), data);
}

// Several threads pushing and reading at once see consistent results.
TEST(StoreConcurrency, ParallelUploadsAndReads) {
  auto store = Memory();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const std::string repo = "team/app" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        const std::string data = repo + "#" + std::to_string(i);
        auto up = store->StartUpload(repo, kNow);
        if (!up) {
          ++failures;
          continue;
        }
        if (!store->CompleteUpload(up->id, repo, UploadBinding::kSameRepository, data, Sha256(data),
                                   kNow) ||
            !store->ReadBlob(repo, Sha256(data)) ||
            !store->PutManifest(repo, "t", data, "v" + std::to_string(i))) {
          ++failures;
        }
        (void)store->ListRepositories("", 10);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < 4; ++t) {
    auto tags = store->ListTags("team/app" + std::to_string(t));
    ASSERT_TRUE(tags.has_value());
    EXPECT_EQ(tags->size(), 50u);
  }
}

}  // namespace
}  // namespace regauth::server
