#include "cli/reference_launcher.h"

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "reference_server/distribution_config.h"
#include "reference_server/misbehaviour.h"
#include "reference_server/server.h"

namespace regauth::cli {
namespace {

// Instance adapts a running ReferenceServer to the runner's harness::ReferenceInstance.
class Instance final : public harness::ReferenceInstance {
 public:
  explicit Instance(std::unique_ptr<server::ReferenceServer> s) : server_(std::move(s)) {}
  ~Instance() override { server_->Stop(); }

  std::string registry_url() const override { return server_->registry_url(); }
  std::string token_url() const override { return server_->realm(); }
  std::string signing_key_pem() const override { return server_->signing_key_pem(); }
  std::string certificate_pem() const override { return server_->signing_cert_pem(); }
  std::string distribution_config_yaml(const std::string& listen_addr,
                                       const std::string& storage_dir) const override {
    server::DistributionConfigOptions o;
    o.listen_addr = listen_addr;
    o.storage_dir = storage_dir;
    o.realm = server_->realm();
    o.service = server_->service();
    o.issuer = server_->issuer();
    o.rootcertbundle = server_->signing_cert_path();
    return server::DistributionConfigYaml(o);
  }
  std::map<std::string, std::string> registry_facts() const override {
    const std::size_t limit = server_->registry_max_header_section_bytes();
    if (limit == 0) return {};
    return {{"registry.max_header_section_bytes", std::to_string(limit)}};
  }

 private:
  std::unique_ptr<server::ReferenceServer> server_;
};

}  // namespace

harness::ReferenceLauncher MakeReferenceLauncher() {
  return [](const harness::ReferenceLaunchOptions& o)
             -> protocol::Expected<std::unique_ptr<harness::ReferenceInstance>, std::string> {
    using Err = protocol::Unexpected<std::string>;
    server::ReferenceServerConfig c;
    c.world_path = o.world_path;
    c.with_registry = o.with_registry;
    c.state_dir = o.state_dir;
    if (o.state_dir.empty()) {
      // distribution_config_yaml needs the rootcertbundle as a file.
      return Err("the reference launcher needs a state directory");
    }
    if (o.profile == "distribution" || o.profile == "distribution-v3") {
      c.profile = server::TokenProfile::kDistribution;
    }
    if (o.profile == "distribution-v3") c.kid_mode = server::KidMode::kThumbprint;
    auto misbehaviours = server::ParseMisbehaviours(o.misbehaviours);
    if (!misbehaviours) return Err(misbehaviours.error());
    c.misbehaviours = *misbehaviours;
    c.log_level = server::LogLevel::kWarn;
    auto s = server::ReferenceServer::Start(std::move(c));
    if (!s) return Err(s.error());
    return std::unique_ptr<harness::ReferenceInstance>(new Instance(std::move(*s)));
  };
}

std::vector<harness::PlantableMisbehaviour> PlantableMisbehaviours() {
  std::vector<harness::PlantableMisbehaviour> out;
  for (const server::MisbehaviourInfo& m : server::AllMisbehaviours()) {
    out.push_back({std::string(m.name), std::string(m.component)});
  }
  return out;
}

}  // namespace regauth::cli
