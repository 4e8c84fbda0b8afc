// Step 5: deregister the instances from every Classic ELB and every ELBv2 target group they
// are in (as instance targets or by their private addresses, for ip targets).
#include <set>

#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

class DeregisterStep : public Ec2Step {
 public:
  explicit DeregisterStep(const Ec2Options& options)
      : Ec2Step(options, "deregister-load-balancers", "Deregister the instance from its load balancers",
                {"capture-metadata"}) {
    spec_.reads = {{"ec2", "DescribeInstances"}, {"elb", "DescribeLoadBalancers"},
                   {"elbv2", "DescribeTargetGroups"}, {"elbv2", "DescribeTargetHealth"}};
    spec_.changes = {{"elb", "DeregisterInstancesFromLoadBalancer"}, {"elb", "RegisterInstancesWithLoadBalancer"},
                     {"elbv2", "DeregisterTargets"}, {"elbv2", "RegisterTargets"}};
    spec_.reversible = true;
  }

  // {"classic": {load balancer: [instance ids]}, "target_groups": {arn: [targets]}}
  Json observe(engine::StepContext& ctx) const override {
    std::set<std::string> addresses;
    Json balancers, groups;
    for_each_parallel(3, [&](size_t i) {
      if (i == 0) {
        for (const auto& instance : describe_instances(ctx, options_.instance_ids)) {
          for (const auto& a : instance_addresses(instance)) addresses.insert(a);
        }
      } else if (i == 1) {
        balancers = ctx.paginate_all("elb", "DescribeLoadBalancers")["LoadBalancerDescriptions"];
      } else {
        groups = ctx.paginate_all("elbv2", "DescribeTargetGroups")["TargetGroups"];
        for_each_parallel(groups.size(), [&](size_t g) {
          groups[g]["Targets"] = ctx.call("elbv2", "DescribeTargetHealth",
                                          {{"TargetGroupArn", groups[g]["TargetGroupArn"]}})["TargetHealthDescriptions"];
        }, kMaxConcurrentCalls);
      }
    }, kMaxConcurrentCalls);
    Json classic = Json::object();
    for (const auto& lb : balancers) {
      for (const auto& member : lb.value("Instances", Json::array())) {
        if (addresses.contains(member.value("InstanceId", ""))) {
          classic[lb["LoadBalancerName"].get<std::string>()].push_back(member["InstanceId"]);
        }
      }
    }
    Json targets = Json::object();
    for (const auto& group : groups) {
      for (const auto& health : group["Targets"]) {
        if (health.value("TargetHealth", Json::object()).value("State", "") == "draining") continue;
        if (addresses.contains(health["Target"].value("Id", ""))) {
          targets[group["TargetGroupArn"].get<std::string>()].push_back(health["Target"]);
        }
      }
    }
    return {{"classic", classic}, {"target_groups", targets}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [name, instances] : observed["classic"].items()) {
      plan.changes.push_back(fmt::format("deregister {} from Classic ELB {}", fmt::join(instances.get<std::vector<std::string>>(), ", "), name));
    }
    for (const auto& [arn, targets] : observed["target_groups"].items()) {
      std::vector<std::string> ids;
      for (const auto& t : targets) ids.push_back(t["Id"]);
      plan.changes.push_back(fmt::format("deregister {} from target group {}", fmt::join(ids, ", "), arn));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    std::vector<engine::AwsCall> calls = moves(observed, "DeregisterInstancesFromLoadBalancer", "DeregisterTargets");
    for_each_parallel(calls.size(), [&](size_t i) { ctx.call(calls[i].service, calls[i].operation, calls[i].input); }, kMaxConcurrentCalls);
    return {{"classic", Json::object()}, {"target_groups", Json::object()}};
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    return moves(before, "RegisterInstancesWithLoadBalancer", "RegisterTargets");
  }

 private:
  static std::vector<engine::AwsCall> moves(const Json& state, const char* classic_operation,
                                            const char* targets_operation) {
    std::vector<engine::AwsCall> calls;
    for (const auto& [name, instances] : state["classic"].items()) {
      Json members = Json::array();
      for (const auto& id : instances) members.push_back({{"InstanceId", id}});
      calls.push_back(aws_call("elb", classic_operation, {{"LoadBalancerName", name}, {"Instances", members}}));
    }
    for (const auto& [arn, targets] : state["target_groups"].items()) {
      calls.push_back(aws_call("elbv2", targets_operation, {{"TargetGroupArn", arn}, {"Targets", targets}}));
    }
    return calls;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_deregister_step(const Ec2Options& options) {
  return std::make_unique<DeregisterStep>(options);
}

}  // namespace firebreak::playbooks::ec2
