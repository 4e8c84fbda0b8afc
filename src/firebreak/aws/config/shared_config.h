#pragma once
// The shared AWS config and credentials files (~/.aws/config, ~/.aws/credentials) and the
// settings the SDKs resolve from them and from the environment, with the precedence botocore uses.
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace firebreak::aws {

// One section of an INI file. Keys are lower-cased (as botocore's configparser does); a key
// whose value is empty and followed by indented "name = value" lines is a subsection:
//   s3 =
//     endpoint_url = http://localhost:9000
struct ConfigSection {
  std::map<std::string, std::string, std::less<>> values;
  std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>> subsections;

  std::optional<std::string> get(std::string_view key) const;
  bool has(std::string_view key) const { return values.contains(key); }
};

// Both files, parsed. A missing file is treated as empty; an unreadable or malformed one is a
// ConfigError naming the file and line.
class SharedConfig {
 public:
  // Reads AWS_CONFIG_FILE (default ~/.aws/config) and AWS_SHARED_CREDENTIALS_FILE
  // (default ~/.aws/credentials).
  static SharedConfig load();
  static SharedConfig load(const std::filesystem::path& config_file,
                           const std::filesystem::path& credentials_file);
  // For tests and callers that already hold the text. The names are used in error messages.
  static SharedConfig parse(std::string_view config_text, std::string_view credentials_text,
                            std::string_view config_name = "config",
                            std::string_view credentials_name = "credentials");

  // The profile exists as "[profile NAME]" (or "[default]") in the config file or "[NAME]" in
  // the credentials file.
  bool has_profile(std::string_view name) const;
  // The profile from the config file with the credentials file's values laid over it, as
  // botocore's full_config merges them. Empty when the profile exists in neither.
  ConfigSection profile(std::string_view name) const;
  // One key of the merged profile.
  std::optional<std::string> get(std::string_view profile, std::string_view key) const;
  // The profile's section in one file only (the static-key providers look at each separately).
  const ConfigSection* config_profile(std::string_view name) const;
  const ConfigSection* credentials_profile(std::string_view name) const;
  // A "[services NAME]" section.
  const ConfigSection* services(std::string_view name) const;

  const std::string& config_path() const { return config_path_; }
  const std::string& credentials_path() const { return credentials_path_; }

 private:
  std::map<std::string, ConfigSection, std::less<>> config_profiles_;
  std::map<std::string, ConfigSection, std::less<>> credential_profiles_;
  std::map<std::string, ConfigSection, std::less<>> services_;
  std::string config_path_;
  std::string credentials_path_;
};

// `requested` (a --profile option), else AWS_PROFILE, else "default". A named profile that
// exists in neither file is a ConfigError naming it; "default" may be absent.
std::string active_profile(const SharedConfig& config, std::string_view requested);

// `requested`, AWS_REGION, AWS_DEFAULT_REGION, then the profile's region; empty when none.
std::string resolve_region(const SharedConfig& config, std::string_view profile,
                           std::string_view requested = "");

// The configured endpoint for a service, by its model's serviceId ("EC2", "SSO Admin"):
// AWS_ENDPOINT_URL_<SERVICE_ID>, AWS_ENDPOINT_URL, the profile's services section entry, then
// the profile's endpoint_url. Empty when none, or when AWS_IGNORE_CONFIGURED_ENDPOINT_URLS or
// the profile's ignore_configured_endpoint_urls is true.
std::string resolve_endpoint_url(const SharedConfig& config, std::string_view profile,
                                 std::string_view service_id);

enum class RetryMode { legacy, standard, adaptive };
std::string_view to_string(RetryMode mode);

struct RetrySettings {
  int max_attempts = 3;  // total attempts, the first included
  RetryMode mode = RetryMode::standard;
};

// AWS_MAX_ATTEMPTS / max_attempts and AWS_RETRY_MODE / retry_mode. A value that is not a
// positive integer or a known mode is a ConfigError naming it.
RetrySettings resolve_retry(const SharedConfig& config, std::string_view profile);

// AWS_CA_BUNDLE, then the profile's ca_bundle; empty when none (the system store).
std::string resolve_ca_bundle(const SharedConfig& config, std::string_view profile);

// The value of an environment variable; nullopt when unset. Empty values count as set.
std::optional<std::string> get_env(const char* name);
// "true"/"false" in any case; anything else is a ConfigError naming `what` and the value.
bool parse_config_bool(std::string_view value, std::string_view what);

}  // namespace firebreak::aws
