// The providers that turn other credentials (or a web identity token) into a role's through STS.
#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "firebreak/aws/auth/provider_support.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

std::optional<std::string> non_empty(std::optional<std::string> value) {
  if (value && trim(*value).empty()) return std::nullopt;
  return value;
}

bool has_static_credentials(const ConfigSection& profile) {
  return non_empty(profile.get("aws_access_key_id")).has_value();
}

// A profile the assume-role provider handles; web identity profiles also carry role_arn but
// belong to the web identity provider.
bool has_role_config(const ConfigSection& profile) {
  return non_empty(profile.get("role_arn")).has_value() && !profile.has("web_identity_token_file");
}

Credentials call_sts(const StsCall& sts_call, std::string_view operation, const Json& input,
                     const std::optional<Credentials>& credentials, std::string provider,
                     const std::string& what) {
  if (!sts_call) throw ConfigError(what + " needs STS, and no STS client was configured");
  Json output;
  try {
    output = sts_call(operation, input, credentials);
  } catch (const std::exception& e) {
    throw ConfigError(what + " failed", e);
  }
  auto found = output.find("Credentials");
  if (found == output.end()) throw ConfigError(what + ": STS returned no Credentials");
  return detail::credentials_from_json(*found, "SessionToken", std::move(provider),
                                       fmt::format("STS {}", operation));
}

std::string read_token_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(
        fmt::format("cannot read the web identity token file {}: {}", path, std::strerror(errno)));
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = trim(text.str());
  if (token.empty()) throw ConfigError("the web identity token file " + path + " is empty");
  return token;
}

}  // namespace

AssumeRoleProvider::AssumeRoleProvider(ProviderContext context, std::string profile)
    : context_(std::move(context)), profile_(std::move(profile)) {}

std::optional<Credentials> AssumeRoleProvider::load() {
  if (!has_role_config(context_.config->profile(profile_))) return std::nullopt;
  std::vector<std::string> visited{profile_};
  return assume_role(profile_, visited);
}

Credentials AssumeRoleProvider::assume_role(const std::string& profile,
                                            std::vector<std::string>& visited) {
  ConfigSection config = context_.config->profile(profile);
  std::string role_arn = trim(config.get("role_arn").value_or(""));
  if (non_empty(config.get("mfa_serial"))) {
    throw ConfigError(fmt::format(
        "profile \"{}\" assumes {} with an MFA device (mfa_serial), and firebreak does not prompt "
        "for codes: obtain temporary credentials first (for example through a credential_process) "
        "and use a profile that holds them",
        profile, role_arn));
  }
  Credentials source = source_credentials(profile, visited);

  Json input = {{"RoleArn", role_arn},
                {"RoleSessionName", non_empty(config.get("role_session_name"))
                                        .value_or(detail::default_role_session_name())}};
  if (auto external_id = non_empty(config.get("external_id"))) input["ExternalId"] = *external_id;
  if (auto duration = non_empty(config.get("duration_seconds"))) {
    std::string text = trim(*duration);
    int seconds = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || seconds <= 0) {
      throw ConfigError(fmt::format(
          "duration_seconds in profile \"{}\" must be a number of seconds, not \"{}\"", profile,
          *duration));
    }
    input["DurationSeconds"] = seconds;
  }
  return call_sts(context_.sts_call, "AssumeRole", input, source, "assume-role",
                  fmt::format("assuming {} for profile \"{}\"", role_arn, profile));
}

Credentials AssumeRoleProvider::source_credentials(const std::string& profile,
                                                   std::vector<std::string>& visited) {
  ConfigSection config = context_.config->profile(profile);
  auto credential_source = non_empty(config.get("credential_source"));
  auto source_profile = non_empty(config.get("source_profile"));
  if (credential_source && source_profile) {
    throw ConfigError(fmt::format(
        "profile \"{}\" has both source_profile and credential_source; it must have one", profile));
  }
  if (credential_source) return credentials_from_source(trim(*credential_source), profile);
  if (!source_profile) {
    throw ConfigError(fmt::format(
        "profile \"{}\" has role_arn but neither source_profile nor credential_source", profile));
  }

  std::string source = trim(*source_profile);
  if (!context_.config->has_profile(source)) {
    throw ConfigError(fmt::format(
        "the source_profile \"{}\" referenced in profile \"{}\" does not exist", source, profile));
  }
  // A profile may name itself to take the keys it holds; any other repeat is a loop.
  if (std::find(visited.begin(), visited.end(), source) != visited.end() &&
      (source != profile || !has_static_credentials(context_.config->profile(source)))) {
    std::string path;
    for (const auto& name : visited) path += "\"" + name + "\" -> ";
    throw ConfigError(
        fmt::format("the source_profile settings form a loop: {}\"{}\"", path, source));
  }
  visited.push_back(source);
  return credentials_from_profile(source, visited);
}

Credentials AssumeRoleProvider::credentials_from_source(const std::string& source,
                                                        const std::string& profile) {
  std::unique_ptr<CredentialProvider> provider;
  std::string lowered = to_lower(source);
  if (lowered == "environment") {
    provider = std::make_unique<EnvironmentProvider>();
  } else if (lowered == "ec2instancemetadata") {
    provider = std::make_unique<InstanceMetadataProvider>(context_.config, profile,
                                                          context_.metadata_transport);
  } else if (lowered == "ecscontainer") {
    provider = std::make_unique<ContainerProvider>(context_.metadata_transport);
  } else {
    throw ConfigError(fmt::format(
        "credential_source \"{}\" in profile \"{}\" is not one of Environment, "
        "Ec2InstanceMetadata, EcsContainer",
        source, profile));
  }
  auto credentials = provider->load();
  if (!credentials) {
    throw ConfigError(fmt::format(
        "no credentials found in credential_source \"{}\" referenced in profile \"{}\"", source,
        profile));
  }
  return *credentials;
}

Credentials AssumeRoleProvider::credentials_from_profile(const std::string& profile,
                                                         std::vector<std::string>& visited) {
  ConfigSection config = context_.config->profile(profile);
  if (has_static_credentials(config) || !has_role_config(config)) {
    // The profile's own sources, without the environment (botocore's source profile chain).
    std::vector<std::unique_ptr<CredentialProvider>> providers;
    providers.push_back(std::make_unique<WebIdentityProvider>(context_, profile, false));
    providers.push_back(std::make_unique<StaticProfileProvider>(
        context_.config, profile, StaticProfileProvider::File::credentials));
    providers.push_back(std::make_unique<ProcessProvider>(context_.config, profile));
    providers.push_back(std::make_unique<StaticProfileProvider>(
        context_.config, profile, StaticProfileProvider::File::config));
    auto credentials = ChainProvider(std::move(providers)).load();
    if (!credentials) {
      throw ConfigError(fmt::format("the source profile \"{}\" has no credentials", profile));
    }
    return *credentials;
  }
  return assume_role(profile, visited);
}

WebIdentityProvider::WebIdentityProvider(ProviderContext context, std::string profile,
                                         bool read_environment)
    : context_(std::move(context)),
      profile_(std::move(profile)),
      read_environment_(read_environment) {}

std::optional<std::string> WebIdentityProvider::setting(std::string_view key,
                                                        const char* env_name) const {
  if (read_environment_) {
    if (auto value = get_env(env_name)) return value;
  }
  return non_empty(context_.config->get(profile_, key));
}

std::optional<Credentials> WebIdentityProvider::load() {
  auto token_file = setting("web_identity_token_file", "AWS_WEB_IDENTITY_TOKEN_FILE");
  if (!token_file) return std::nullopt;
  auto role_arn = setting("role_arn", "AWS_ROLE_ARN");
  if (!role_arn) {
    throw ConfigError(fmt::format(
        "a web identity token file ({}) is configured but no role: set role_arn in profile "
        "\"{}\" or AWS_ROLE_ARN",
        *token_file, profile_));
  }
  Json input = {
      {"RoleArn", trim(*role_arn)},
      {"RoleSessionName", setting("role_session_name", "AWS_ROLE_SESSION_NAME")
                              .value_or(detail::default_role_session_name())},
      {"WebIdentityToken", read_token_file(*token_file)}};
  return call_sts(context_.sts_call, "AssumeRoleWithWebIdentity", input, std::nullopt,
                  "assume-role-with-web-identity",
                  fmt::format("assuming {} with the web identity token in {}", trim(*role_arn),
                              *token_file));
}

}  // namespace firebreak::aws
