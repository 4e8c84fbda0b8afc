#pragma once
// The options the credentials, role and account commands share, and what they turn into: the
// guard (responder and allow-list), the CloudTrail scope, the baseline.
#include <optional>
#include <string>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/playbooks/identity/principals.h"
#include "firebreak/playbooks/identity/trail_review.h"

namespace firebreak::playbooks {

struct IdentityOptions {
  std::vector<std::string> keep;  // --keep: users, roles, access key ids never disabled
  std::string trail_logs;         // --trail-logs PATH|s3://...
  std::string since;              // --since 2024-07-31, 2024-07-31T12:00:00Z, 36h, 7d
  std::string baseline;           // --baseline FILE
};

// Adds --trail-logs and --since, which every playbook that hunts CloudTrail takes (CLI11's
// App; a template so this module needs no CLI11).
template <typename App>
void add_trail_options(App& command, IdentityOptions& options) {
  command.add_option("--trail-logs", options.trail_logs,
                     "CloudTrail logs to hunt (file, directory or s3://bucket/prefix) instead of LookupEvents");
  command.add_option("--since", options.since, "Hunt CloudTrail from this time: 2024-07-31, 2024-07-31T12:00:00Z, 36h, 7d");
}

// Adds the options to a command.
template <typename App>
void add_identity_options(App& command, IdentityOptions& options) {
  command.add_option("--keep", options.keep,
                     "A user, role or access key id that is never disabled (repeatable; also \"keep\" in "
                     "FIREBREAK_HOME/config.json, comma-separated)");
  add_trail_options(command, options);
  command.add_option("--baseline", options.baseline, "Known-good state from `firebreak baseline capture`");
}

// --keep and the configuration's "keep", with the responder from STS. Throws InputError for a
// kept name that is not a valid IAM name or key id.
Guard make_identity_guard(const aws::Session& session, const IdentityOptions& options);
// The hunt's scope; `default_since` when --since is not given. Throws InputError for a bad time.
TrailScope make_trail_scope(const IdentityOptions& options, std::vector<std::string> principals,
                            std::optional<int64_t> default_since);
// The baseline file's document, or null without --baseline.
Json read_baseline_option(const IdentityOptions& options);

}  // namespace firebreak::playbooks
