#pragma once
// The hunt's filters. Different filters combine with AND; the values of one repeated filter
// with OR. Names and globs ignore case; identifiers (access keys, ARNs, accounts) do not.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloudtrail/event.h"
#include "firebreak/cloudtrail/ip.h"
#include "firebreak/cloudtrail/source.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {

struct FilterOptions {
  std::vector<std::string> principals;     // user name, ARN, role name or ARN, session name, account
  std::vector<std::string> access_keys;
  std::vector<std::string> event_names;    // globs
  std::vector<std::string> event_sources;  // globs
  std::vector<std::string> source_ips;     // addresses or CIDRs
  std::vector<std::string> regions;
  std::vector<std::string> error_codes;    // globs
  std::vector<std::string> user_agents;    // globs
  std::vector<std::string> buckets;        // S3 buckets named by requestParameters.bucketName
  std::optional<int64_t> since, until;     // seconds since the epoch; until is exclusive
  bool errors_only = false;
  std::optional<bool> read_only;
};

class Filter {
 public:
  // Throws InputError for a value that cannot be used (a bad address or CIDR).
  explicit Filter(FilterOptions options);

  bool matches(const Event& event) const;
  // Whether matching needs Event::request_parameters (the reader fills it only when asked).
  bool needs_nested_members() const { return !options_.buckets.empty(); }
  const FilterOptions& options() const { return options_; }
  // What sources may use to skip objects.
  Scope scope() const;
  // Text every matching record must contain somewhere (one of these): lets a whole file be
  // skipped without parsing. Empty when no filter gives such a literal.
  const std::vector<std::string>& required_literals() const { return required_literals_; }

 private:
  static bool any_glob(const std::vector<Glob>& globs, std::string_view text);
  bool principal_matches(const Identity& identity) const;

  FilterOptions options_;
  std::vector<Glob> event_names_, event_sources_, error_codes_, user_agents_;
  std::vector<Network> networks_;
  std::vector<std::string> required_literals_;
};

// requestParameters.bucketName of a record's raw requestParameters, or empty.
std::string_view bucket_name_of(std::string_view request_parameters);

// The role session name of an assumed-role ARN (arn:aws:sts::1:assumed-role/Role/Session).
std::string_view session_name_of(std::string_view arn);

}  // namespace firebreak::cloudtrail
