// Step 4: take the instances out of their Auto Scaling groups, so the group neither sends
// them work nor terminates them as unhealthy once isolated. By default the desired capacity
// stays, and the group launches a healthy replacement.
#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

class DetachAsgStep : public Ec2Step {
 public:
  explicit DetachAsgStep(const Ec2Options& options)
      : Ec2Step(options, "detach-asg", "Detach the instance from its Auto Scaling group", {"capture-metadata"}) {
    spec_.reads = {{"autoscaling", "DescribeAutoScalingInstances"}};
    spec_.changes = {{"autoscaling", "DetachInstances"}, {"autoscaling", "AttachInstances"}};
    spec_.reversible = true;
  }

  // {"groups": {group: [instance ids]}, "decrement": bool}
  Json observe(engine::StepContext& ctx) const override {
    Json out = ctx.paginate_all("autoscaling", "DescribeAutoScalingInstances", {{"InstanceIds", options_.instance_ids}});
    Json groups = Json::object();
    for (const auto& member : out["AutoScalingInstances"]) {
      groups[member["AutoScalingGroupName"].get<std::string>()].push_back(member["InstanceId"]);
    }
    return {{"groups", groups}, {"decrement", options_.decrement_capacity}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [group, instances] : observed["groups"].items()) {
      plan.changes.push_back(fmt::format("detach {} from Auto Scaling group {} ({})", fmt::join(instances.get<std::vector<std::string>>(), ", "), group,
                                         observed["decrement"].get<bool>()
                                             ? "desired capacity decremented"
                                             : "desired capacity kept: the group launches a replacement"));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    std::vector<std::pair<std::string, Json>> groups;
    for (const auto& [name, instances] : observed["groups"].items()) groups.emplace_back(name, instances);
    for_each_parallel(groups.size(), [&](size_t i) {
      ctx.call("autoscaling", "DetachInstances",
               {{"AutoScalingGroupName", groups[i].first},
                {"InstanceIds", groups[i].second},
                {"ShouldDecrementDesiredCapacity", observed["decrement"]}});
    }, kMaxConcurrentCalls);
    return {{"groups", Json::object()}, {"detached", observed["groups"]}, {"decrement", observed["decrement"]}};
  }

  // Attaching raises the desired capacity by one per instance: when it was not decremented,
  // the group then has the replacement and the instance, and scales in by its own policy.
  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& [group, instances] : before["groups"].items()) {
      calls.push_back(aws_call("autoscaling", "AttachInstances",
                               {{"AutoScalingGroupName", group}, {"InstanceIds", instances}}));
    }
    return calls;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_detach_asg_step(const Ec2Options& options) {
  return std::make_unique<DetachAsgStep>(options);
}

}  // namespace firebreak::playbooks::ec2
