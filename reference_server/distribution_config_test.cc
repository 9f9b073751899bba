#include "reference_server/distribution_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "protocol/test_support.h"

namespace regauth::server {
namespace {

struct QuoteCase {
  const char* label;
  std::string in;
  std::string want;
};
REGAUTH_PRINT_LABEL(QuoteCase)

// YAML 1.2 §7.3.1 double-quoted scalars: '"' and '\' escaped, \xNN for C0 controls and DEL;
// UTF-8 text kept as is.
const QuoteCase kQuoteCases[] = {
    {"plain path", "/var/lib/registry", "\"/var/lib/registry\""},
    {"empty", "", "\"\""},
    {"quote and backslash", "a\"b\\c", "\"a\\\"b\\\\c\""},
    {"yaml indicators stay inside", "- &a *b: [x] {y} # z", "\"- &a *b: [x] {y} # z\""},
    {"newline and tab", "a\nb\tc", "\"a\\x0Ab\\x09c\""},
    {"nul and del", std::string("a\0b\x7f", 4), "\"a\\x00b\\x7F\""},
    {"utf8 kept", "/srv/r\xc3\xa9gistry", "\"/srv/r\xc3\xa9gistry\""},
    {"invalid utf8 escaped", "a\xff", "\"a\\xFF\""},
    {"overlong utf8 escaped", "\xc0\xaf", "\"\\xC0\\xAF\""},
};

class YamlQuoteTest : public ::testing::TestWithParam<QuoteCase> {};

TEST_P(YamlQuoteTest, QuotesAsOneScalar) { EXPECT_EQ(YamlQuote(GetParam().in), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(Table, YamlQuoteTest, ::testing::ValuesIn(kQuoteCases),
                         testing_support::LabelName());

struct Utf8Case {
  const char* label;
  std::string in;
  bool want;
};
REGAUTH_PRINT_LABEL(Utf8Case)

// RFC 3629 §4: no overlong forms, no surrogates, nothing above U+10FFFF, no truncation.
const Utf8Case kUtf8Cases[] = {
    {"ascii", "abc", true},
    {"two byte", "\xc3\xa9", true},
    {"three byte", "\xe2\x82\xac", true},
    {"four byte", "\xf0\x9f\x98\x80", true},
    {"overlong two byte", "\xc1\xbf", false},
    {"overlong three byte", "\xe0\x80\xaf", false},
    {"surrogate", "\xed\xa0\x80", false},
    {"above max", "\xf4\x90\x80\x80", false},
    {"truncated", "\xe2\x82", false},
    {"lone continuation", "\x80", false},
};

class Utf8Test : public ::testing::TestWithParam<Utf8Case> {};

TEST_P(Utf8Test, ChecksWellFormedness) { EXPECT_EQ(IsValidUtf8(GetParam().in), GetParam().want); }

INSTANTIATE_TEST_SUITE_P(Table, Utf8Test, ::testing::ValuesIn(kUtf8Cases),
                         testing_support::LabelName());

DistributionConfigOptions Options() {
  DistributionConfigOptions o;
  o.listen_addr = "127.0.0.1:5000";
  o.storage_dir = "/tmp/store";
  o.realm = "http://127.0.0.1:8080/jwt/auth";
  o.service = "container_registry";
  o.issuer = "gitlab-issuer";
  o.rootcertbundle = "/tmp/state/signing.crt.pem";
  return o;
}

// token-auth.md §2.1: realm, service, issuer and rootcertbundle under auth.token; Debian's
// config.yml for the rest (storage.delete.enabled: true, the nosniff header, health check).
TEST(DistributionConfig, RendersDebianLayoutWithTokenAuth) {
  const std::string yaml = DistributionConfigYaml(Options());
  const std::string body = yaml.substr(yaml.find("version: 0.1\n"));
  EXPECT_EQ(body,
            "version: 0.1\n"
            "log:\n"
            "  level: \"info\"\n"
            "  fields:\n"
            "    service: registry\n"
            "storage:\n"
            "  cache:\n"
            "    blobdescriptor: inmemory\n"
            "  filesystem:\n"
            "    rootdirectory: \"/tmp/store\"\n"
            "  delete:\n"
            "    enabled: true\n"
            "http:\n"
            "  addr: \"127.0.0.1:5000\"\n"
            "  headers:\n"
            "    X-Content-Type-Options: [nosniff]\n"
            "auth:\n"
            "  token:\n"
            "    realm: \"http://127.0.0.1:8080/jwt/auth\"\n"
            "    service: \"container_registry\"\n"
            "    issuer: \"gitlab-issuer\"\n"
            "    rootcertbundle: \"/tmp/state/signing.crt.pem\"\n"
            "health:\n"
            "  storagedriver:\n"
            "    enabled: true\n"
            "    interval: 10s\n"
            "    threshold: 3\n");
}

// Every line before `version:` is a comment, and the override warning is always there.
TEST(DistributionConfig, HeaderIsCommentsAndMentionsEnvironmentOverrides) {
  const std::string yaml = DistributionConfigYaml(Options());
  const std::string header = yaml.substr(0, yaml.find("version: 0.1\n"));
  std::size_t start = 0;
  while (start < header.size()) {
    const std::size_t end = header.find('\n', start);
    EXPECT_EQ(header[start], '#') << header.substr(start, end - start);
    start = end + 1;
  }
  EXPECT_NE(header.find("REGISTRY_"), std::string::npos);
  EXPECT_EQ(header.find("WARNING"), std::string::npos);
}

// The names of REGISTRY_* variables are listed; a value never is, and an odd name cannot break
// out of the comment.
TEST(DistributionConfig, ListsOverridingVariableNamesOnly) {
  DistributionConfigOptions o = Options();
  o.overriding_env = {"REGISTRY_HTTP_SECRET", "REGISTRY_X\nversion: 9"};
  const std::string yaml = DistributionConfigYaml(o);
  EXPECT_NE(yaml.find("# WARNING"), std::string::npos);
  EXPECT_NE(yaml.find("#   REGISTRY_HTTP_SECRET\n"), std::string::npos);
  EXPECT_EQ(yaml.find("version: 9"), std::string::npos);
}

// delete_enabled false is written as false (CVE-2026-41888 cases need a registry without delete).
TEST(DistributionConfig, WritesDeleteDisabled) {
  DistributionConfigOptions o = Options();
  o.delete_enabled = false;
  EXPECT_NE(DistributionConfigYaml(o).find("  delete:\n    enabled: false\n"), std::string::npos);
}

// A hostile value stays one quoted scalar on its own line.
TEST(DistributionConfig, HostileValuesStayQuoted) {
  DistributionConfigOptions o = Options();
  o.realm = "http://x/\"\nauth:\n  silly: {}";
  const std::string yaml = DistributionConfigYaml(o);
  EXPECT_NE(yaml.find("    realm: \"http://x/\\\"\\x0Aauth:\\x0A  silly: {}\"\n"),
            std::string::npos);
  EXPECT_EQ(yaml.find("\nauth:\n  silly"), std::string::npos);
}

// distribution's env overlay reads REGISTRY_*; only those names are reported, sorted.
TEST(DistributionConfig, FindsRegistryEnvironmentNames) {
  ASSERT_EQ(::setenv("REGISTRY_ZZ_TEST", "secret-value", 1), 0);
  ASSERT_EQ(::setenv("REGISTRY_AA_TEST", "x", 1), 0);
  ASSERT_EQ(::setenv("NOT_REGISTRY_TEST", "x", 1), 0);
  const auto names = RegistryEnvironmentNames();
  ::unsetenv("REGISTRY_ZZ_TEST");
  ::unsetenv("REGISTRY_AA_TEST");
  ::unsetenv("NOT_REGISTRY_TEST");
  auto aa = std::find(names.begin(), names.end(), "REGISTRY_AA_TEST");
  auto zz = std::find(names.begin(), names.end(), "REGISTRY_ZZ_TEST");
  ASSERT_NE(aa, names.end());
  ASSERT_NE(zz, names.end());
  EXPECT_LT(aa, zz);
  EXPECT_EQ(std::find(names.begin(), names.end(), "NOT_REGISTRY_TEST"), names.end());
}

}  // namespace
}  // namespace regauth::server
