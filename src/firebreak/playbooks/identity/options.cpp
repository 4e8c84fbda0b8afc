#include "firebreak/playbooks/identity/options.h"

#include <fstream>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/text.h"
#include "firebreak/engine/config.h"
#include "firebreak/playbooks/identity/account_info.h"

namespace firebreak::playbooks {
namespace {

// config.json holds strings only, so the allow-list there is one comma-separated string.
std::vector<std::string> configured_keep() {
  std::ifstream file(engine::EngineConfig::load().home / "config.json");
  if (!file) return {};
  Json config = Json::parse(file, nullptr, false);
  std::vector<std::string> names;
  if (!config.is_object() || !config.contains("keep") || !config["keep"].is_string()) return names;
  std::string_view text = config["keep"].get_ref<const std::string&>();
  while (!text.empty()) {
    size_t comma = std::min(text.find(','), text.size());
    std::string_view name = text.substr(0, comma);
    while (!name.empty() && name.front() == ' ') name.remove_prefix(1);
    while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
    if (!name.empty()) names.emplace_back(name);
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return names;
}

}  // namespace

Guard make_identity_guard(const aws::Session& session, const IdentityOptions& options) {
  std::vector<std::string> keep = options.keep;
  for (auto& name : configured_keep()) keep.push_back(std::move(name));
  for (const auto& name : keep) {
    if (!is_access_key_id(name)) validate_user_name(name);
  }
  return make_guard(session, std::move(keep));
}

TrailScope make_trail_scope(const IdentityOptions& options, std::vector<std::string> principals,
                            std::optional<int64_t> default_since) {
  TrailScope scope;
  scope.principals = std::move(principals);
  scope.trail_logs = options.trail_logs;
  scope.since = default_since;
  if (!options.since.empty()) {
    scope.since = cloudtrail::parse_time_argument(options.since, false);
    if (!scope.since) throw InputError(fmt::format("--since {}: not a time (2024-07-31, 2024-07-31T12:00:00Z, 36h, 7d)", options.since));
  }
  return scope;
}

Json read_baseline_option(const IdentityOptions& options) {
  return options.baseline.empty() ? Json() : load_baseline(options.baseline);
}

}  // namespace firebreak::playbooks
