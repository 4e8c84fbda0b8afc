#pragma once
// The EC2 playbook's steps (internal to the playbook) and what they share.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/step.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/common/parallel.h"
#include "firebreak/playbooks/common/playbook_step.h"
#include "firebreak/playbooks/ec2/ec2_playbook.h"

namespace firebreak::playbooks::ec2 {

// Calls for different instances, volumes or ENIs are independent: they go out together
// (for_each_parallel), so a step costs the round trips of one instance however many there are.
inline constexpr size_t kMaxConcurrentCalls = 32;

// {"Name": name, "Values": values}
Json filter(const std::string& name, const Json& values);
// The instances' DescribeInstances records, in the order of `ids`. Throws Error for one that
// is missing or terminated.
std::vector<Json> describe_instances(engine::StepContext& ctx, const std::vector<std::string>& ids);
// The name of the instance profile the instance has (from its ARN), or "" when it has none.
std::string instance_profile_name(const Json& instance);
// "arn:aws:ec2:region:account:instance/i-..."
std::string instance_arn(const engine::StepContext& ctx, const std::string& instance_id);
// The instance id and its private addresses: what load balancers name it by.
std::vector<std::string> instance_addresses(const Json& instance);
// The tags every instance the playbook contains, and every resource it creates, carries: case,
// status, responder and time (the case's opening, so that a rerun finds them unchanged).
Json case_tags(const engine::StepContext& ctx);
engine::AwsCall aws_call(std::string service, std::string operation, Json input,
                         std::vector<std::string> ok_errors = {});

// DescribeInstanceAttribute answers the metadata capture read, handed to the step that reads
// the same attributes next (protect), so that one run does not ask AWS twice in a moment for
// the same thing: 3 of the 15 calls per instance. Each answer is handed over at most once, so
// any later observation reads AWS again; a failed read is not kept, so the next step meets
// the failure itself.
class AttributeReads {
 public:
  // Reads from AWS and keeps the answer for one take().
  Json read(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute);
  // The kept answer, removed, or a read from AWS when there is none.
  Json take(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute);

 private:
  static Json describe(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute);

  std::mutex mutex_;
  std::map<std::pair<std::string, std::string>, Json> kept_;
};

using Ec2Step = PlaybookStep<Ec2Options>;

std::unique_ptr<engine::Step> make_capture_metadata_step(const Ec2Options& options,
                                                         std::shared_ptr<AttributeReads> reads);
std::unique_ptr<engine::Step> make_protect_step(const Ec2Options& options, std::shared_ptr<AttributeReads> reads);
std::unique_ptr<engine::Step> make_snapshot_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_isolation_groups_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_isolate_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_isolate_subnets_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_forensic_workstation_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_disassociate_profile_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_detach_asg_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_deregister_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_tag_step(const Ec2Options& options);
std::unique_ptr<engine::Step> make_revoke_role_step(const Ec2Options& options);

inline constexpr const char* kCaseTag = "firebreak:case";
// The tag that marks the isolation groups and network ACLs firebreak made (reused by every
// case); its value says which kind ("isolation", "untracked", "nacl", ...).
inline constexpr const char* kIsolationTag = "firebreak:isolation";

}  // namespace firebreak::playbooks::ec2
