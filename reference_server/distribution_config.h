// distribution_config.h — the `config.yml` with which Debian's docker-registry (distribution
// 2.8.2) trusts the reference token service's tokens: what `regauth distribution-config` prints
// and what the runner's `--target distribution` writes before starting /usr/bin/docker-registry.
//
// The layout follows Debian's /etc/docker/registry/config.yml (version 0.1, log.fields.service,
// storage.cache.blobdescriptor inmemory, storage.filesystem, storage.delete.enabled: true,
// http.addr, http.headers X-Content-Type-Options: [nosniff], health.storagedriver) with its
// htpasswd auth replaced by distribution's token auth (token-auth.md §2.1: realm, service,
// issuer, rootcertbundle are the required options; the registry trusts exactly one issuer and
// accepts exactly one audience = service). Every value is a YAML double-quoted scalar, so paths
// and URLs with any bytes stay one value.
//
// distribution overlays REGISTRY_<SECTION>_<KEY> environment variables on the file
// (configuration/parser.go), so a stray REGISTRY_AUTH or REGISTRY_HTTP_ADDR silently changes what
// this file says. The YAML always carries a comment saying so; the names found in the caller's
// environment (never their values, which may be secrets such as REGISTRY_HTTP_SECRET) are listed
// in a WARNING comment.
//
// Usage:
//   DistributionConfigOptions o;
//   o.listen_addr = "127.0.0.1:5000";
//   o.storage_dir = "/var/tmp/registry";
//   o.realm = server.realm();
//   o.service = server.service();
//   o.issuer = server.issuer();
//   o.rootcertbundle = server.signing_cert_path();
//   o.overriding_env = RegistryEnvironmentNames();
//   std::string yaml = DistributionConfigYaml(o);
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace regauth::server {

// DistributionConfigOptions are the values that go into the file.
struct DistributionConfigOptions {
  std::string listen_addr = "127.0.0.1:5000";  // http.addr
  std::string storage_dir;                     // storage.filesystem.rootdirectory (absolute)
  std::string realm;                           // auth.token.realm: the token endpoint URL
  std::string service = "container_registry";  // auth.token.service (= the tokens' aud)
  std::string issuer = "gitlab-issuer";        // auth.token.issuer (= the tokens' iss)
  std::string rootcertbundle;                  // auth.token.rootcertbundle: a PEM file path
  std::string log_level = "info";              // log.level: error | warn | info | debug
  bool delete_enabled = true;                  // storage.delete.enabled
  // Names of REGISTRY_* variables set where docker-registry may run (listed in a warning).
  std::vector<std::string> overriding_env;
};

// DistributionConfigYaml renders the file. It does not check the values (the CLI and the
// launcher pass validated ones); whatever they hold stays inside its quoted scalar.
std::string DistributionConfigYaml(const DistributionConfigOptions& options);

// YamlQuote returns `value` as a YAML 1.1/1.2 double-quoted scalar: '"' and '\' escaped, control
// bytes and DEL as \xNN (the same code point), valid UTF-8 kept. YAML is text: a byte that is not
// part of valid UTF-8 cannot be expressed, so it is written as \xNN too, which a YAML reader
// takes for U+00NN (a different value; the CLI refuses such values before they get here).
std::string YamlQuote(std::string_view value);

// IsValidUtf8 reports whether `value` is well-formed UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool IsValidUtf8(std::string_view value);

// RegistryEnvironmentNames returns the names of the process's environment variables that start
// with "REGISTRY_" (sorted), which distribution would apply over its configuration file.
std::vector<std::string> RegistryEnvironmentNames();

}  // namespace regauth::server
