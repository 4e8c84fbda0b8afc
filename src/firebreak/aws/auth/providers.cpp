#include "firebreak/aws/auth/providers.h"

#include <fmt/format.h>

#include "firebreak/aws/auth/provider_support.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {

namespace detail {

Credentials credentials_from_json(const Json& object, std::string_view token_key,
                                  std::string provider, std::string_view source) {
  if (!object.is_object()) {
    throw ConfigError(fmt::format("{} returned something other than a JSON object", source));
  }
  auto text = [&](std::string_view key, bool required) -> std::string {
    auto it = object.find(std::string(key));
    if (it == object.end() || it->is_null()) {
      if (required) throw ConfigError(fmt::format("{} did not return {}", source, key));
      return {};
    }
    if (!it->is_string()) {
      throw ConfigError(fmt::format("{} returned a {} that is not a string", source, key));
    }
    std::string value = it->get<std::string>();
    if (required && value.empty()) {
      throw ConfigError(fmt::format("{} returned an empty {}", source, key));
    }
    return value;
  };

  Credentials out;
  out.access_key_id = text("AccessKeyId", true);
  out.secret_access_key = text("SecretAccessKey", true);
  out.session_token = text(token_key, false);
  out.provider = std::move(provider);
  auto expiration = object.find("Expiration");
  if (expiration != object.end() && !expiration->is_null()) {
    if (expiration->is_number()) {
      out.expiration = from_epoch_seconds(expiration->get<double>());
    } else if (expiration->is_string()) {
      out.expiration = parse_timestamp(expiration->get<std::string>());
      if (!out.expiration) {
        throw ConfigError(fmt::format("{} returned an Expiration that is not a timestamp: \"{}\"",
                                      source, expiration->get<std::string>()));
      }
    } else {
      throw ConfigError(fmt::format("{} returned an Expiration that is not a timestamp", source));
    }
  }
  return out;
}

std::string default_role_session_name() {
  return fmt::format("firebreak-{}", static_cast<long long>(to_epoch_seconds(Clock::now())));
}

}  // namespace detail

std::optional<Credentials> EnvironmentProvider::load() {
  auto access_key_id = get_env("AWS_ACCESS_KEY_ID");
  if (!access_key_id) return std::nullopt;
  auto secret = get_env("AWS_SECRET_ACCESS_KEY");
  if (!secret) {
    throw ConfigError("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  }
  Credentials out;
  out.access_key_id = *access_key_id;
  out.secret_access_key = *secret;
  out.session_token =
      get_env("AWS_SESSION_TOKEN").value_or(get_env("AWS_SECURITY_TOKEN").value_or(""));
  out.provider = "env";
  if (auto expiration = get_env("AWS_CREDENTIAL_EXPIRATION")) {
    out.expiration = parse_timestamp(*expiration);
    if (!out.expiration) {
      throw ConfigError(fmt::format(
          "AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 timestamp: \"{}\"", *expiration));
    }
  }
  return out;
}

StaticProfileProvider::StaticProfileProvider(std::shared_ptr<const SharedConfig> config,
                                             std::string profile, File file)
    : config_(std::move(config)), profile_(std::move(profile)), file_(file) {}

std::string StaticProfileProvider::name() const {
  return file_ == File::credentials ? "shared credentials file" : "shared config file";
}

std::optional<Credentials> StaticProfileProvider::load() {
  const bool in_credentials = file_ == File::credentials;
  const ConfigSection* section = in_credentials ? config_->credentials_profile(profile_)
                                                : config_->config_profile(profile_);
  if (section == nullptr) return std::nullopt;
  auto access_key_id = section->get("aws_access_key_id");
  if (!access_key_id || access_key_id->empty()) return std::nullopt;
  auto secret = section->get("aws_secret_access_key");
  if (!secret || secret->empty()) {
    throw ConfigError(fmt::format(
        "profile \"{}\" in {} has aws_access_key_id but no aws_secret_access_key", profile_,
        in_credentials ? config_->credentials_path() : config_->config_path()));
  }
  Credentials out;
  out.access_key_id = *access_key_id;
  out.secret_access_key = *secret;
  out.session_token = section->get("aws_session_token")
                          .value_or(section->get("aws_security_token").value_or(""));
  out.provider = in_credentials ? "shared-credentials-file" : "config-file";
  return out;
}

ChainProvider::ChainProvider(std::vector<std::unique_ptr<CredentialProvider>> providers)
    : providers_(std::move(providers)) {}

std::string ChainProvider::name() const {
  std::string out;
  for (const auto& provider : providers_) {
    if (!out.empty()) out += ", ";
    out += provider->name();
  }
  return out;
}

std::optional<Credentials> ChainProvider::load() {
  if (chosen_ != nullptr) return chosen_->load();
  for (const auto& provider : providers_) {
    if (auto credentials = provider->load()) {
      chosen_ = provider.get();
      return credentials;
    }
  }
  return std::nullopt;
}

CachingCredentialProvider::CachingCredentialProvider(std::unique_ptr<CredentialProvider> inner,
                                                     std::string context)
    : inner_(std::move(inner)), context_(std::move(context)) {}

std::optional<Credentials> CachingCredentialProvider::current() const {
  std::lock_guard lock(state_mutex_);
  return cached_;
}

std::optional<Credentials> CachingCredentialProvider::load() {
  std::optional<Credentials> cached = current();
  if (cached && !cached->expires_within(advisory_refresh)) return cached;

  auto usable = [](const std::optional<Credentials>& credentials) {
    return credentials && !credentials->expires_within(mandatory_refresh);
  };
  std::unique_lock refresh(refresh_mutex_, std::defer_lock);
  if (usable(cached)) {
    // Advisory window: one thread refreshes, the others carry on with what they have.
    if (!refresh.try_lock() || Clock::now() < retry_after_) return cached;
  } else {
    refresh.lock();
  }
  cached = current();  // another thread may have refreshed while this one waited
  if (cached && !cached->expires_within(advisory_refresh)) return cached;

  std::optional<Credentials> fresh;
  try {
    fresh = inner_->load();
  } catch (const std::exception&) {
    if (!usable(cached)) throw;
    retry_after_ = Clock::now() + advisory_retry_pause;
    return cached;
  }
  if (!fresh) {
    if (usable(cached)) {
      retry_after_ = Clock::now() + advisory_retry_pause;
      return cached;
    }
    if (cached) {
      throw ConfigError(fmt::format(
          "the credentials from {} expire at {} and it no longer provides any", cached->provider,
          format_iso8601(cached->expiration.value_or(SystemTime{}))));
    }
    throw ConfigError(fmt::format("no AWS credentials found{} (looked in: {})", context_,
                                  inner_->name()));
  }
  std::lock_guard lock(state_mutex_);
  cached_ = fresh;
  return fresh;
}

std::unique_ptr<CredentialProvider> default_credential_chain(
    const SharedConfig& config, std::string_view requested_profile, StsCall sts_call,
    std::shared_ptr<HttpTransport> metadata_transport) {
  auto shared = std::make_shared<const SharedConfig>(config);
  std::string profile = active_profile(config, requested_profile);
  const bool explicit_profile = !requested_profile.empty();
  ProviderContext context{shared, std::move(sts_call), std::move(metadata_transport)};

  std::vector<std::unique_ptr<CredentialProvider>> providers;
  if (!explicit_profile) providers.push_back(std::make_unique<EnvironmentProvider>());
  providers.push_back(std::make_unique<AssumeRoleProvider>(context, profile));
  providers.push_back(std::make_unique<WebIdentityProvider>(context, profile, !explicit_profile));
  providers.push_back(std::make_unique<StaticProfileProvider>(
      shared, profile, StaticProfileProvider::File::credentials));
  providers.push_back(std::make_unique<ProcessProvider>(shared, profile));
  providers.push_back(std::make_unique<StaticProfileProvider>(
      shared, profile, StaticProfileProvider::File::config));
  providers.push_back(std::make_unique<ContainerProvider>(context.metadata_transport));
  providers.push_back(
      std::make_unique<InstanceMetadataProvider>(shared, profile, context.metadata_transport));
  return std::make_unique<CachingCredentialProvider>(
      std::make_unique<ChainProvider>(std::move(providers)),
      fmt::format(" for profile \"{}\"", profile));
}

}  // namespace firebreak::aws
