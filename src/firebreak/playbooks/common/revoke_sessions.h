#pragma once
// "Invalidate temporary credentials": the step that does what the IAM console's "Revoke active
// sessions" does, for IAM roles and IAM users. It puts the inline policy AWSRevokeOlderSessions
// on each target: deny everything when aws:TokenIssueTime is before the moment the step applies,
// optionally only for sessions used from given instances (ec2:SourceInstanceARN), which stops
// credentials stolen from an instance profile without breaking the role's other users.
//
// The step keeps what was in AWSRevokeOlderSessions before (a console revoke, an earlier case)
// and adds one statement whose Sid names the case, so a rerun finds it done and changes
// nothing. Undo restores the previous document, or deletes the policy when there was none.
//
// Used by the EC2 playbook (the instance profile's role, found while observing) and the
// credentials / role / account playbooks (a user or role named by the finding):
//
//   // targets known when the playbook is built
//   make_revoke_sessions_step({.name = "revoke-sessions", .line = "Invalidate temporary credentials",
//                              .targets = {{RevokeSessionsTarget::Kind::User, "alice"}}});
//   // targets found at observe time from the world
//   make_revoke_sessions_step({.name = "revoke-role-sessions", .line = "...",
//                              .depends_on = {"capture-metadata"},
//                              .resolve = [](engine::StepContext& ctx) { ... return targets; },
//                              .resolve_reads = {{"ec2", "DescribeInstances"}, {"iam", "GetInstanceProfile"}}});
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/step.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::playbooks {

struct RevokeSessionsTarget {
  enum class Kind { User, Role };
  Kind kind = Kind::Role;
  std::string name;  // the user's or role's name (not its ARN); validated as IAM names are
  // "arn:aws:ec2:REGION:ACCOUNT:instance/i-...": deny only sessions used from this instance.
  // Empty: every session of the principal issued before the step applied. Several targets
  // naming the same principal share one statement (their instance ARNs together; any empty
  // one makes it principal-wide).
  std::string source_instance_arn;

  bool operator==(const RevokeSessionsTarget&) const = default;
};

// Finds the targets while the step observes, with the step's declared reads (resolve_reads
// plus its own). Returning none makes the step already done (nothing to revoke). Throws to fail
// the step (InputError for a name that is not valid, AwsError from the calls).
using ResolveRevokeTargets = std::function<std::vector<RevokeSessionsTarget>(engine::StepContext& ctx)>;

struct RevokeSessionsOptions {
  std::string name = "revoke-sessions";
  std::string line = "Invalidate temporary credentials";
  std::vector<std::string> depends_on;
  std::string decision;  // a human decision flag the step waits for; empty: none
  // Either fixed targets, or resolve (then targets is ignored).
  std::vector<RevokeSessionsTarget> targets;
  ResolveRevokeTargets resolve;
  std::vector<engine::AwsOperation> resolve_reads;  // what resolve calls
};

// Throws InputError when a fixed target's name is not a valid IAM name or its instance ARN is
// not an EC2 instance ARN.
std::unique_ptr<engine::Step> make_revoke_sessions_step(RevokeSessionsOptions options);

// The statement the step adds: deny all when the token was issued before `issued_before`
// (ISO 8601), scoped to the instance ARNs when there are any. Its Sid names the case.
Json revoke_sessions_statement(std::string_view case_id, std::string_view issued_before,
                               const std::vector<std::string>& instance_arns);

// The inline policy's name, as the IAM console names it.
inline constexpr std::string_view kRevokeSessionsPolicy = "AWSRevokeOlderSessions";

}  // namespace firebreak::playbooks
