#include "net/oci_image.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>

#include "net/process.h"

namespace regauth::net {
namespace {

using Json = nlohmann::json;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

bool InCi() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && std::string(ci) == "true";
}

// Digests are SHA-256 over the exact bytes (OCI image-spec descriptor.md), known vectors.
TEST(Sha256Digest, MatchesKnownVectors) {
  struct Row {
    const char* label;
    std::string input;
    const char* digest;
  };
  const Row rows[] = {
      {"empty", "", "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
      {"abc", "abc", "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.label);
    EXPECT_EQ(Sha256Digest(row.input), row.digest);
  }
}

// The layer is a valid ustar archive that tar(1) lists and extracts (layer.md: uncompressed tar).
TEST(TarSingleFile, IsReadByTar) {
  const std::string tar = TarSingleFile("hello.txt", "hello world\n");
  EXPECT_EQ(tar.size() % 512, 0u);
  EXPECT_EQ(tar.size(), 512u + 512u + 1024u);
  auto dir = ScratchDir::Create("regauth-oci-test-");
  ASSERT_TRUE(dir.has_value());
  const std::string path = (*dir)->path() + "/layer.tar";
  std::ofstream(path, std::ios::binary) << tar;
  ProcessSpec spec;
  spec.argv = {"tar", "-xOf", path, "hello.txt"};
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->stderr_text;
  EXPECT_EQ(r->stdout_text, "hello world\n");
}

// Every descriptor's digest and size match the content it names; the config's diff_id is the
// uncompressed layer's digest (config.md).
TEST(BuildTinyImage, DescriptorsMatchContent) {
  const OciImage image = BuildTinyImage("test");
  ASSERT_EQ(image.blobs.size(), 3u);
  for (const auto& b : image.blobs) {
    SCOPED_TRACE(b.name);
    EXPECT_EQ(b.digest, Sha256Digest(b.content));
  }
  const OciBlob* layer = image.Blob("layer");
  const OciBlob* config = image.Blob("config");
  const OciBlob* manifest = image.Blob("manifest");
  ASSERT_TRUE(layer && config && manifest);
  EXPECT_EQ(image.Blob("nope"), nullptr);
  const Json m = Json::parse(manifest->content);
  EXPECT_EQ(m["schemaVersion"], 2);
  EXPECT_EQ(m["mediaType"], kOciManifestMediaType);
  EXPECT_EQ(m["config"]["digest"], config->digest);
  EXPECT_EQ(m["config"]["size"], config->content.size());
  EXPECT_EQ(m["config"]["mediaType"], kOciConfigMediaType);
  EXPECT_EQ(m["layers"][0]["digest"], layer->digest);
  EXPECT_EQ(m["layers"][0]["size"], layer->content.size());
  EXPECT_EQ(m["layers"][0]["mediaType"], kOciLayerMediaType);
  const Json c = Json::parse(config->content);
  EXPECT_EQ(c["rootfs"]["diff_ids"][0], layer->digest);
}

// The bytes are a function of the label only, so runs push identical content.
TEST(BuildTinyImage, IsDeterministicPerLabel) {
  EXPECT_EQ(BuildTinyImage("a").Blob("manifest")->digest,
            BuildTinyImage("a").Blob("manifest")->digest);
  EXPECT_NE(BuildTinyImage("a").Blob("layer")->digest, BuildTinyImage("b").Blob("layer")->digest);
}

// The layout has oci-layout, index.json with the ref name, and content-addressed blobs
// (image-layout.md); skopeo accepts it when it is installed.
TEST(WriteOciLayout, WritesAValidLayout) {
  const OciImage image = BuildTinyImage("layout");
  auto dir = ScratchDir::Create("regauth-oci-test-");
  ASSERT_TRUE(dir.has_value());
  const std::string root = (*dir)->path() + "/layout";
  auto s = WriteOciLayout(image, root, "v1");
  ASSERT_TRUE(s.has_value()) << s.error();
  EXPECT_EQ(Json::parse(ReadFile(root + "/oci-layout"))["imageLayoutVersion"], "1.0.0");
  const Json index = Json::parse(ReadFile(root + "/index.json"));
  EXPECT_EQ(index["manifests"][0]["digest"], image.Blob("manifest")->digest);
  EXPECT_EQ(index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"], "v1");
  for (const auto& b : image.blobs) {
    const std::string content = ReadFile(root + "/blobs/sha256/" + b.digest.substr(7));
    EXPECT_EQ(Sha256Digest(content), b.digest) << b.name;
  }

  const auto skopeo = FindExecutable("skopeo");
  if (!skopeo) {
    if (InCi()) FAIL() << "skopeo is required under CI=true";
    GTEST_SKIP() << "skopeo is not installed";
  }
  ProcessSpec spec;
  spec.argv = {*skopeo, "inspect", "--raw", "oci:" + root + ":v1"};
  spec.timeout = std::chrono::milliseconds(60000);
  auto r = RunProcess(spec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->stderr_text;
  EXPECT_EQ(r->stdout_text, image.Blob("manifest")->content);
  spec.argv = {*skopeo, "inspect", "oci:" + root + ":v1"};
  r = RunProcess(spec);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->exit_code, 0) << r->stderr_text;
  EXPECT_NE(r->stdout_text.find(image.Blob("layer")->digest), std::string::npos);
}

}  // namespace
}  // namespace regauth::net
