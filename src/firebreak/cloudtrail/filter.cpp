#include "firebreak/cloudtrail/filter.h"

#include <algorithm>

#include <fmt/format.h>

#include "firebreak/base/error.h"

namespace firebreak::cloudtrail {
namespace {

std::vector<Glob> globs(const std::vector<std::string>& patterns) {
  return {patterns.begin(), patterns.end()};
}

bool contains(const std::vector<std::string>& values, std::string_view value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

}  // namespace

std::string_view bucket_name_of(std::string_view request_parameters) {
  constexpr std::string_view kKey = "\"bucketName\"";
  size_t at = request_parameters.find(kKey);
  if (at == std::string_view::npos) return {};
  size_t colon = skip_space(request_parameters, at + kKey.size());
  if (colon >= request_parameters.size() || request_parameters[colon] != ':') return {};
  size_t open = skip_space(request_parameters, colon + 1);
  if (open >= request_parameters.size() || request_parameters[open] != '"') return {};
  // Bucket names are [a-z0-9.-]: JSON never escapes them, so the value ends at the next quote.
  size_t close = request_parameters.find('"', open + 1);
  if (close == std::string_view::npos) return {};
  return request_parameters.substr(open + 1, close - open - 1);
}

std::string_view session_name_of(std::string_view arn) {
  if (arn.find(":assumed-role/") == std::string_view::npos) return {};
  size_t slash = arn.rfind('/');
  return arn.substr(slash + 1);
}

Filter::Filter(FilterOptions options)
    : options_(std::move(options)),
      event_names_(globs(options_.event_names)),
      event_sources_(globs(options_.event_sources)),
      error_codes_(globs(options_.error_codes)),
      user_agents_(globs(options_.user_agents)) {
  for (const std::string& text : options_.source_ips) {
    std::optional<Network> network = Network::parse(text);
    if (!network) throw InputError(fmt::format("--source-ip {}: not an IP address or CIDR", text));
    networks_.push_back(*network);
  }
  // Access keys are plain [A-Z0-9]: never escaped in JSON, so their text must be in the file.
  required_literals_ = options_.access_keys;
  // Bucket names are never escaped either; with keys as well, the keys are the literals.
  if (required_literals_.empty()) required_literals_ = options_.buckets;
}

bool Filter::any_glob(const std::vector<Glob>& globs, std::string_view text) {
  for (const Glob& glob : globs)
    if (glob.matches(text)) return true;
  return false;
}

bool Filter::principal_matches(const Identity& id) const {
  for (const std::string& p : options_.principals) {
    if (p == id.arn || p == id.user_name || p == id.account_id || p == id.issuer_arn ||
        p == id.issuer_user_name || p == id.principal_id || p == session_name_of(id.arn))
      return true;
  }
  return false;
}

bool Filter::matches(const Event& e) const {
  const FilterOptions& o = options_;
  if (!o.access_keys.empty() && !contains(o.access_keys, e.identity.access_key_id)) return false;
  if (o.since && (e.time == kNoTime || e.time < *o.since)) return false;
  if (o.until && (e.time == kNoTime || e.time >= *o.until)) return false;
  if (!o.regions.empty() && !contains(o.regions, e.aws_region)) return false;
  if (!event_names_.empty() && !any_glob(event_names_, e.event_name)) return false;
  if (!event_sources_.empty() && !any_glob(event_sources_, e.event_source)) return false;
  if (o.errors_only && e.error_code.empty()) return false;
  if (!error_codes_.empty() && !any_glob(error_codes_, e.error_code)) return false;
  if (o.read_only && e.read_only != (*o.read_only ? ReadOnly::kTrue : ReadOnly::kFalse)) return false;
  if (!user_agents_.empty() && !any_glob(user_agents_, e.user_agent)) return false;
  if (!o.principals.empty() && !principal_matches(e.identity)) return false;
  if (!o.buckets.empty() && !contains(o.buckets, bucket_name_of(e.request_parameters))) return false;
  if (!networks_.empty() &&
      std::none_of(networks_.begin(), networks_.end(),
                   [&](const Network& n) { return n.contains(e.source_ip); }))
    return false;
  return true;
}

Scope Filter::scope() const {
  return Scope{options_.since, options_.until, options_.regions};
}

}  // namespace firebreak::cloudtrail
