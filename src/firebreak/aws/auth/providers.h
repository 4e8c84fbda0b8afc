#pragma once
// The credential providers of the AWS SDKs, chained in botocore's order and cached:
//
//   environment -> assume role (role_arn + source_profile / credential_source)
//   -> web identity -> shared credentials file -> credential_process -> shared config file
//   -> ECS container endpoint -> EC2 instance metadata (IMDSv2)
//
// Each provider returns nullopt when its source is not configured and throws ConfigError when
// it is configured but wrong. Providers on their own are not thread-safe: the
// CachingCredentialProvider that default_credential_chain() returns serialises their loads.
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/auth/credentials.h"
#include "firebreak/aws/config/shared_config.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/base/json.h"

namespace firebreak::aws {

// STS without depending on the client (which depends on the providers): an operation
// ("AssumeRole", "AssumeRoleWithWebIdentity"), its boto3-shaped input, and the credentials to
// sign with (nullopt: an unsigned call). Returns the boto3-shaped output, e.g.
// {"Credentials": {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"}}.
using StsCall = std::function<Json(std::string_view operation, const Json& input,
                                   const std::optional<Credentials>& credentials)>;

// What providers that read the shared files or call out to a service need.
struct ProviderContext {
  std::shared_ptr<const SharedConfig> config;
  StsCall sts_call;
  // For the ECS container and EC2 metadata endpoints. nullptr: a libcurl transport with the
  // short timeouts those endpoints want, so that a laptop without IMDS fails fast.
  std::shared_ptr<HttpTransport> metadata_transport;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN (or the older AWS_SECURITY_TOKEN)
// and AWS_CREDENTIAL_EXPIRATION. A key id without a secret is a ConfigError.
class EnvironmentProvider final : public CredentialProvider {
 public:
  std::string name() const override { return "environment"; }
  std::optional<Credentials> load() override;
};

// aws_access_key_id, aws_secret_access_key and aws_session_token (or aws_security_token) of
// the profile in one of the two shared files.
class StaticProfileProvider final : public CredentialProvider {
 public:
  enum class File { credentials, config };
  StaticProfileProvider(std::shared_ptr<const SharedConfig> config, std::string profile,
                        File file);
  std::string name() const override;
  std::optional<Credentials> load() override;

 private:
  std::shared_ptr<const SharedConfig> config_;
  std::string profile_;
  File file_;
};

// The profile's credential_process, run with /bin/sh -c as the other SDKs do. It must print
// {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?, "Expiration"?} and exit 0.
class ProcessProvider final : public CredentialProvider {
 public:
  ProcessProvider(std::shared_ptr<const SharedConfig> config, std::string profile,
                  std::chrono::seconds timeout = std::chrono::seconds(60));
  std::string name() const override { return "credential_process"; }
  std::optional<Credentials> load() override;

 private:
  std::shared_ptr<const SharedConfig> config_;
  std::string profile_;
  std::chrono::seconds timeout_;
};

// role_arn with source_profile (followed recursively; cycles are a ConfigError) or
// credential_source (Environment, Ec2InstanceMetadata, EcsContainer), via STS AssumeRole.
// Profiles with mfa_serial are refused: firebreak never prompts on a terminal.
class AssumeRoleProvider final : public CredentialProvider {
 public:
  AssumeRoleProvider(ProviderContext context, std::string profile);
  std::string name() const override { return "assume role"; }
  std::optional<Credentials> load() override;

 private:
  Credentials assume_role(const std::string& profile, std::vector<std::string>& visited);
  Credentials source_credentials(const std::string& profile, std::vector<std::string>& visited);
  Credentials credentials_from_source(const std::string& source, const std::string& profile);
  Credentials credentials_from_profile(const std::string& profile,
                                       std::vector<std::string>& visited);

  ProviderContext context_;
  std::string profile_;
};

// web_identity_token_file + role_arn (+ role_session_name) from the environment
// (AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME; unless read_environment
// is false) or the profile, via an unsigned STS AssumeRoleWithWebIdentity.
class WebIdentityProvider final : public CredentialProvider {
 public:
  WebIdentityProvider(ProviderContext context, std::string profile, bool read_environment);
  std::string name() const override { return "web identity"; }
  std::optional<Credentials> load() override;

 private:
  std::optional<std::string> setting(std::string_view key, const char* env_name) const;

  ProviderContext context_;
  std::string profile_;
  bool read_environment_;
};

// The ECS / EKS Pod Identity endpoint: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (on
// 169.254.170.2) or AWS_CONTAINER_CREDENTIALS_FULL_URI (https, loopback, 169.254.170.2,
// 169.254.170.23 or fd00:ec2::23), with AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE or
// AWS_CONTAINER_AUTHORIZATION_TOKEN as the Authorization header.
class ContainerProvider final : public CredentialProvider {
 public:
  explicit ContainerProvider(std::shared_ptr<HttpTransport> transport = nullptr);
  std::string name() const override { return "container endpoint"; }
  std::optional<Credentials> load() override;

 private:
  std::shared_ptr<HttpTransport> transport_;
};

// EC2 instance metadata, IMDSv2: a session token from PUT /latest/api/token, then the role
// and its credentials. AWS_EC2_METADATA_DISABLED=true turns it off; the endpoint comes from
// AWS_EC2_METADATA_SERVICE_ENDPOINT[_MODE] or the profile. An unreachable service or an
// instance without a role is "not configured" (nullopt).
class InstanceMetadataProvider final : public CredentialProvider {
 public:
  InstanceMetadataProvider(std::shared_ptr<const SharedConfig> config, std::string profile,
                           std::shared_ptr<HttpTransport> transport = nullptr);
  std::string name() const override { return "EC2 instance metadata"; }
  std::optional<Credentials> load() override;

 private:
  std::shared_ptr<const SharedConfig> config_;
  std::string profile_;
  std::shared_ptr<HttpTransport> transport_;
};

// The first provider with credentials wins and is remembered: later loads (refreshes) ask only
// that one, as botocore's resolver does. name() lists the providers.
class ChainProvider final : public CredentialProvider {
 public:
  explicit ChainProvider(std::vector<std::unique_ptr<CredentialProvider>> providers);
  std::string name() const override;
  std::optional<Credentials> load() override;

 private:
  std::vector<std::unique_ptr<CredentialProvider>> providers_;
  CredentialProvider* chosen_ = nullptr;
};

// Thread-safe cache over a provider. Credentials without an expiration are kept for good;
// temporary ones are refreshed within the advisory window before they expire (one thread
// refreshes while the others keep using the current ones), and a failed refresh is tolerated
// while they remain valid beyond the mandatory window (botocore's windows). load() never
// returns nullopt: when nothing is found it throws ConfigError "no AWS credentials found
// (looked in: ...)".
class CachingCredentialProvider final : public CredentialProvider {
 public:
  static constexpr std::chrono::seconds advisory_refresh{15 * 60};
  static constexpr std::chrono::seconds mandatory_refresh{10 * 60};
  // After a failed advisory refresh, calls keep the current credentials this long before
  // trying again, so that a metadata service that is down does not slow every call.
  static constexpr std::chrono::seconds advisory_retry_pause{30};

  // `context` names what was looked for in the error ("for profile \"dev\"").
  explicit CachingCredentialProvider(std::unique_ptr<CredentialProvider> inner,
                                     std::string context = "");
  std::string name() const override { return inner_->name(); }
  std::optional<Credentials> load() override;

 private:
  std::optional<Credentials> current() const;

  std::unique_ptr<CredentialProvider> inner_;
  std::string context_;
  mutable std::mutex state_mutex_;  // guards cached_
  std::mutex refresh_mutex_;        // one refresh at a time; guards retry_after_
  std::optional<Credentials> cached_;
  SystemTime retry_after_{};
};

// The Session's credential chain. `requested_profile` is the profile the caller named
// (SessionOptions.profile), empty when it did not: the active profile is then AWS_PROFILE or
// "default" (see active_profile()). As in botocore, a profile named by the caller skips the
// environment's keys, while AWS_PROFILE does not.
std::unique_ptr<CredentialProvider> default_credential_chain(
    const SharedConfig& config, std::string_view requested_profile, StsCall sts_call,
    std::shared_ptr<HttpTransport> metadata_transport = nullptr);

}  // namespace firebreak::aws
