#include "firebreak/aws/config/shared_config.h"

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

using SectionMap = std::map<std::string, ConfigSection, std::less<>>;

struct IniSection {
  std::string name;
  ConfigSection section;
};

bool is_blank(std::string_view line) {
  return line.find_first_not_of(" \t") == std::string_view::npos;
}

size_t indent_of(std::string_view line) {
  size_t n = line.find_first_not_of(" \t");
  return n == std::string_view::npos ? line.size() : n;
}

// "s3 =\n  endpoint_url = x" arrives as the value "\nendpoint_url = x": one level of nesting,
// as botocore's configloader allows.
std::map<std::string, std::string, std::less<>> parse_nested(std::string_view value,
                                                             std::string_view file, size_t line) {
  std::map<std::string, std::string, std::less<>> out;
  std::istringstream lines{std::string(value)};
  std::string entry;
  while (std::getline(lines, entry)) {
    if (is_blank(entry)) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) {
      throw ConfigError(fmt::format(
          "malformed nested setting in {} (the setting starting at line {}): expected name = value",
          file, line));
    }
    out[to_lower(trim(std::string_view(entry).substr(0, eq)))] =
        trim(std::string_view(entry).substr(eq + 1));
  }
  return out;
}

// An INI reader with the rules of Python's configparser as botocore uses it: '#' and ';' start
// comment lines (not inline comments), '=' or ':' separate a name from its value, names are
// case-insensitive, and indented lines continue the value above them.
std::vector<IniSection> parse_ini(std::string_view text, std::string_view file) {
  std::vector<IniSection> sections;
  struct Pending {
    std::string key;
    std::string value;
    size_t indent = 0;
    size_t line = 0;
  };
  std::optional<Pending> pending;

  auto finish_value = [&] {
    if (!pending) return;
    ConfigSection& section = sections.back().section;
    if (!pending->value.empty() && pending->value.front() == '\n') {
      section.subsections[pending->key] = parse_nested(pending->value, file, pending->line);
      section.values[pending->key] = "";
    } else {
      section.values[pending->key] = pending->value;
    }
    pending.reset();
  };

  size_t line_number = 0;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1 && line.starts_with("\xEF\xBB\xBF")) line.remove_prefix(3);  // UTF-8 BOM

    if (is_blank(line)) continue;
    std::string stripped = trim(line);
    if (stripped.front() == '#' || stripped.front() == ';') continue;

    size_t indent = indent_of(line);
    if (pending && indent > pending->indent) {
      pending->value += "\n" + stripped;
      continue;
    }
    finish_value();

    if (stripped.front() == '[') {
      size_t close = stripped.rfind(']');
      if (close == std::string::npos || close < 2) {
        throw ConfigError(
            fmt::format("malformed section header at line {} of {}", line_number, file));
      }
      sections.push_back({trim(std::string_view(stripped).substr(1, close - 1)), {}});
      continue;
    }

    size_t delimiter = stripped.find_first_of("=:");
    if (delimiter == std::string::npos || delimiter == 0) {
      // The line is not echoed: it may hold a secret.
      throw ConfigError(fmt::format(
          "malformed line {} of {}: expected [section], name = value, or a comment", line_number,
          file));
    }
    if (sections.empty()) {
      throw ConfigError(fmt::format(
          "line {} of {} is a setting before any [section] header", line_number, file));
    }
    pending = Pending{to_lower(trim(std::string_view(stripped).substr(0, delimiter))),
                      trim(std::string_view(stripped).substr(delimiter + 1)), indent,
                      line_number};
  }
  finish_value();
  return sections;
}

void merge_into(ConfigSection& target, const ConfigSection& source) {
  for (const auto& [key, value] : source.values) target.values[key] = value;
  for (const auto& [key, value] : source.subsections) target.subsections[key] = value;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

std::string read_file_if_present(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return {};
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError(fmt::format("cannot read {}: {}", path.string(), std::strerror(errno)));
  }
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::filesystem::path expand_home(std::string_view path) {
  if (path == "~" || path.starts_with("~/")) {
    std::string home = get_env("HOME").value_or("");
    return std::filesystem::path(home) / std::string(path.substr(path.size() > 1 ? 2 : 1));
  }
  return std::filesystem::path(std::string(path));
}

std::filesystem::path default_file(const char* env_name, const char* file_name) {
  if (auto value = get_env(env_name)) return expand_home(*value);
  return expand_home(std::string("~/.aws/") + file_name);
}

std::optional<std::string> env_or_profile(const SharedConfig& config, std::string_view profile,
                                          const char* env_name, std::string_view key) {
  if (auto value = get_env(env_name)) return value;
  auto value = config.get(profile, key);
  if (value && value->empty()) return std::nullopt;
  return value;
}

// "SSO Admin" -> "SSO_ADMIN" for the variable, "sso_admin" for the services section.
std::string snake_service_id(std::string_view service_id) {
  std::string out;
  for (char c : service_id) out.push_back(c == ' ' || c == '-' ? '_' : c);
  return out;
}

std::string upper(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::optional<std::string> ConfigSection::get(std::string_view key) const {
  auto it = values.find(key);
  if (it == values.end()) return std::nullopt;
  return it->second;
}

SharedConfig SharedConfig::load() {
  return load(default_file("AWS_CONFIG_FILE", "config"),
              default_file("AWS_SHARED_CREDENTIALS_FILE", "credentials"));
}

SharedConfig SharedConfig::load(const std::filesystem::path& config_file,
                                const std::filesystem::path& credentials_file) {
  return parse(read_file_if_present(config_file), read_file_if_present(credentials_file),
               config_file.string(), credentials_file.string());
}

SharedConfig SharedConfig::parse(std::string_view config_text, std::string_view credentials_text,
                                 std::string_view config_name,
                                 std::string_view credentials_name) {
  SharedConfig out;
  out.config_path_ = config_name;
  out.credentials_path_ = credentials_name;

  // Config file: "[default]", "[profile NAME]", "[services NAME]"; other sections (sso-session,
  // plugins, ...) are not used by firebreak.
  for (auto& [name, section] : parse_ini(config_text, config_name)) {
    std::vector<std::string> words = split_words(name);
    if (name == "default") {
      merge_into(out.config_profiles_[name], section);
    } else if (words.size() == 2 && words[0] == "profile") {
      merge_into(out.config_profiles_[words[1]], section);
    } else if (words.size() == 2 && words[0] == "services") {
      merge_into(out.services_[words[1]], section);
    }
  }
  // Credentials file: every section is a profile, named as written.
  for (auto& [name, section] : parse_ini(credentials_text, credentials_name)) {
    merge_into(out.credential_profiles_[name], section);
  }
  return out;
}

bool SharedConfig::has_profile(std::string_view name) const {
  return config_profiles_.contains(name) || credential_profiles_.contains(name);
}

ConfigSection SharedConfig::profile(std::string_view name) const {
  ConfigSection merged;
  if (const ConfigSection* section = config_profile(name)) merge_into(merged, *section);
  if (const ConfigSection* section = credentials_profile(name)) merge_into(merged, *section);
  return merged;
}

std::optional<std::string> SharedConfig::get(std::string_view profile,
                                             std::string_view key) const {
  if (const ConfigSection* section = credentials_profile(profile)) {
    if (auto value = section->get(key)) return value;
  }
  if (const ConfigSection* section = config_profile(profile)) return section->get(key);
  return std::nullopt;
}

const ConfigSection* SharedConfig::config_profile(std::string_view name) const {
  auto it = config_profiles_.find(name);
  return it == config_profiles_.end() ? nullptr : &it->second;
}

const ConfigSection* SharedConfig::credentials_profile(std::string_view name) const {
  auto it = credential_profiles_.find(name);
  return it == credential_profiles_.end() ? nullptr : &it->second;
}

const ConfigSection* SharedConfig::services(std::string_view name) const {
  auto it = services_.find(name);
  return it == services_.end() ? nullptr : &it->second;
}

std::optional<std::string> get_env(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return std::nullopt;
  return std::string(value);
}

bool parse_config_bool(std::string_view value, std::string_view what) {
  std::string lowered = to_lower(trim(value));
  if (lowered == "true") return true;
  if (lowered == "false") return false;
  throw ConfigError(fmt::format("{} must be true or false, not \"{}\"", what, value));
}

std::string active_profile(const SharedConfig& config, std::string_view requested) {
  std::string name(requested);
  if (name.empty()) name = get_env("AWS_PROFILE").value_or("default");
  if (name != "default" && !config.has_profile(name)) {
    throw ConfigError(
        fmt::format("the config profile \"{}\" could not be found (looked in {} and {})", name,
                    config.config_path(), config.credentials_path()));
  }
  return name;
}

std::string resolve_region(const SharedConfig& config, std::string_view profile,
                           std::string_view requested) {
  if (!requested.empty()) return std::string(requested);
  if (auto value = get_env("AWS_REGION")) return *value;
  if (auto value = get_env("AWS_DEFAULT_REGION")) return *value;
  return config.get(profile, "region").value_or("");
}

std::string resolve_endpoint_url(const SharedConfig& config, std::string_view profile,
                                 std::string_view service_id) {
  if (auto ignore = env_or_profile(config, profile, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
                                   "ignore_configured_endpoint_urls")) {
    if (parse_config_bool(*ignore, "ignore_configured_endpoint_urls")) return {};
  }
  std::string snake = snake_service_id(service_id);
  std::string variable = "AWS_ENDPOINT_URL_" + upper(snake);
  if (auto value = get_env(variable.c_str())) return *value;
  if (auto value = get_env("AWS_ENDPOINT_URL")) return *value;
  if (auto services_name = config.get(profile, "services")) {
    if (const ConfigSection* services = config.services(*services_name)) {
      auto entry = services->subsections.find(to_lower(snake));
      if (entry != services->subsections.end()) {
        auto url = entry->second.find("endpoint_url");
        if (url != entry->second.end() && !url->second.empty()) return url->second;
      }
    }
  }
  return config.get(profile, "endpoint_url").value_or("");
}

std::string_view to_string(RetryMode mode) {
  switch (mode) {
    case RetryMode::legacy: return "legacy";
    case RetryMode::standard: return "standard";
    case RetryMode::adaptive: return "adaptive";
  }
  return "standard";
}

RetrySettings resolve_retry(const SharedConfig& config, std::string_view profile) {
  RetrySettings out;
  if (auto value = env_or_profile(config, profile, "AWS_MAX_ATTEMPTS", "max_attempts")) {
    std::string text = trim(*value);
    int parsed = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), parsed);
    if (ec != std::errc() || end != text.data() + text.size() || parsed < 1) {
      throw ConfigError(
          fmt::format("max_attempts must be a positive integer, not \"{}\"", *value));
    }
    out.max_attempts = parsed;
  }
  if (auto value = env_or_profile(config, profile, "AWS_RETRY_MODE", "retry_mode")) {
    std::string mode = to_lower(trim(*value));
    if (mode == "legacy") {
      out.mode = RetryMode::legacy;
    } else if (mode == "standard") {
      out.mode = RetryMode::standard;
    } else if (mode == "adaptive") {
      out.mode = RetryMode::adaptive;
    } else {
      throw ConfigError(fmt::format(
          "retry_mode must be legacy, standard or adaptive, not \"{}\"", *value));
    }
  }
  return out;
}

std::string resolve_ca_bundle(const SharedConfig& config, std::string_view profile) {
  return env_or_profile(config, profile, "AWS_CA_BUNDLE", "ca_bundle").value_or("");
}

}  // namespace firebreak::aws
