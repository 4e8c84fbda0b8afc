// The EC2 playbook's input checks, step order, and the plans and undo calls its steps derive
// from observed state (no network: observe and apply are tested against moto in tests/e2e).
#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/common/revoke_sessions.h"
#include "firebreak/playbooks/ec2/ec2_playbook.h"

namespace firebreak::playbooks {
namespace {

const engine::Step& step_named(const engine::Playbook& playbook, std::string_view name) {
  int index = playbook.index_of(name);
  EXPECT_GE(index, 0) << name;
  return *playbook.steps()[static_cast<size_t>(index)];
}

engine::Playbook sample(Ec2Options options = {}) {
  if (options.instance_ids.empty()) options.instance_ids = {"i-0123456789abcdef0"};
  return make_ec2_playbook(options);
}

TEST(Ec2Ids, AcceptsShortAndLongIds) {
  EXPECT_NO_THROW(validate_instance_id("i-0123abcd"));
  EXPECT_NO_THROW(validate_instance_id("i-0123456789abcdef0"));
  EXPECT_NO_THROW(validate_resource_id("sg", "sg-0123abcd"));
  EXPECT_NO_THROW(validate_resource_id("subnet", "subnet-0123456789abcdef0"));
}

TEST(Ec2Ids, RejectsEverythingElse) {
  for (const char* bad : {"", "i-", "i-0123abc", "i-0123abcdE", "I-0123abcd", "i-0123abcd ", "i-0123abcd;x",
                          "i-0123456789abcdef", "sg-0123abcd", "i-0123456789abcdef00"}) {
    EXPECT_THROW(validate_instance_id(bad), InputError) << bad;
  }
  EXPECT_THROW(validate_resource_id("ami", "ami-xyz"), InputError);
}

TEST(Ec2Ids, ChecksCidr) {
  EXPECT_NO_THROW(validate_ipv4_cidr("203.0.113.7/32"));
  EXPECT_NO_THROW(validate_ipv4_cidr("10.0.0.0/8"));
  for (const char* bad : {"10.0.0.0", "10.0.0.256/8", "10.0.0.0/33", "::/0", "10.0.0.0/8 x"}) {
    EXPECT_THROW(validate_ipv4_cidr(bad), InputError) << bad;
  }
}

TEST(Ec2Playbook, RejectsBadInputBeforeAnyCall) {
  EXPECT_THROW(make_ec2_playbook({}), InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = {"i-0123abcd", "i-bad"}}), InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = {"i-0123abcd"}, .forensic_cidr = "0.0.0.0"}), InputError);
}

TEST(Ec2Playbook, ListsStepsInTheOrderThatPreservesEvidence) {
  auto playbook = sample();
  std::vector<std::string> names;
  for (const auto& step : playbook.steps()) names.push_back(step->spec().name);
  EXPECT_EQ(names, (std::vector<std::string>{"capture-metadata", "protect", "snapshot-volumes", "isolate",
                                             "detach-asg", "deregister-load-balancers", "tag-instance",
                                             "revoke-role-sessions"}));
  EXPECT_EQ(step_named(playbook, "isolate").spec().depends_on, std::vector<std::string>{"protect"});
  EXPECT_EQ(step_named(playbook, "revoke-role-sessions").spec().decision, "revoke-role-sessions");
  for (const auto& op : playbook.operations()) {
    EXPECT_NE(op.operation, "TerminateInstances");
    EXPECT_NE(op.operation, "DeleteSnapshot");
  }
}

TEST(Ec2Protect, PlansOnlyWhatIsMissingAndUndoesToTheStateFound) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "protect");
  Json before = {{"i-0123456789abcdef0",
                  {{"termination", false}, {"stop", true}, {"shutdown", "terminate"},
                   {"delete_on_termination", {{"/dev/xvda", true}, {"/dev/sdf", false}}}}}};
  auto plan = step.plan(before);
  ASSERT_EQ(plan.changes.size(), 3u);
  EXPECT_NE(plan.changes[0].find("termination protection"), std::string::npos);
  EXPECT_NE(plan.changes[1].find("shutdown behaviour"), std::string::npos);
  EXPECT_NE(plan.changes[2].find("/dev/xvda"), std::string::npos);

  Json after = before;
  after["i-0123456789abcdef0"]["termination"] = true;
  after["i-0123456789abcdef0"]["shutdown"] = "stop";
  after["i-0123456789abcdef0"]["delete_on_termination"]["/dev/xvda"] = false;
  EXPECT_TRUE(step.plan(after).already_done());

  auto undo = step.undo(before, after);
  ASSERT_EQ(undo.size(), 3u);
  EXPECT_EQ(undo[0].input, (Json{{"DisableApiTermination", {{"Value", false}}}, {"InstanceId", "i-0123456789abcdef0"}}));
  // The Attribute/Value form, never InstanceInitiatedShutdownBehavior={Value} (moto drops groups).
  EXPECT_EQ(undo[1].input, (Json{{"Attribute", "instanceInitiatedShutdownBehavior"}, {"Value", "terminate"},
                                 {"InstanceId", "i-0123456789abcdef0"}}));
  EXPECT_EQ(undo[2].input["BlockDeviceMappings"],
            (Json::array({{{"DeviceName", "/dev/xvda"}, {"Ebs", {{"DeleteOnTermination", true}}}}})));
}

TEST(Ec2Isolate, PlansGroupsOnceAndUndoRestoresEveryEnisGroups) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "isolate");
  Json observed = {{"enis", Json::array({{{"id", "eni-1"}, {"instance_id", "i-0123456789abcdef0"}, {"vpc_id", "vpc-1"},
                                          {"groups", {"sg-a", "sg-b"}}, {"only", true}}})},
                   {"groups", {{"vpc-1", Json::object()}}}};
  auto plan = step.plan(observed);
  ASSERT_EQ(plan.changes.size(), 3u);  // two groups to create, one ENI to move
  auto undo = step.undo(observed, observed);
  ASSERT_EQ(undo.size(), 2u);  // the ENI, and the instance whose only ENI it is
  EXPECT_EQ(undo[0].operation, "ModifyNetworkInterfaceAttribute");
  EXPECT_EQ(undo[0].input["Groups"], (Json{"sg-a", "sg-b"}));
  EXPECT_EQ(undo[1].operation, "ModifyInstanceAttribute");
  EXPECT_EQ(undo[1].input["Groups"], (Json{"sg-a", "sg-b"}));

  // Already isolated, groups with exactly their rules: nothing to do.
  const std::string all_v4 = R"({"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]})";
  const std::string all_v6 = R"({"IpProtocol":"-1","Ipv6Ranges":[{"CidrIpv6":"::/0"}]})";
  Json done = observed;
  done["enis"][0]["groups"] = {"sg-iso"};
  done["groups"]["vpc-1"] = {{"untracked", {{"id", "sg-open"}, {"ingress", {all_v4, all_v6}}, {"egress", {all_v4, all_v6}}}},
                             {"isolation", {{"id", "sg-iso"}, {"ingress", Json::array()}, {"egress", Json::array()}}}};
  EXPECT_TRUE(step.plan(done).already_done());
  // A rule someone added to the isolation group is planned away.
  done["groups"]["vpc-1"]["isolation"]["egress"] = {all_v4};
  EXPECT_EQ(step.plan(done).changes.size(), 1u);
}

TEST(Ec2Detach, UndoReattachesToTheGroupsFound) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "detach-asg");
  Json before = {{"groups", {{"web", {"i-0123456789abcdef0"}}}}, {"decrement", false}};
  EXPECT_EQ(step.plan(before).changes.size(), 1u);
  EXPECT_TRUE(step.plan({{"groups", Json::object()}, {"decrement", false}}).already_done());
  auto undo = step.undo(before, Json::object());
  ASSERT_EQ(undo.size(), 1u);
  EXPECT_EQ(undo[0].operation, "AttachInstances");
  EXPECT_EQ(undo[0].input["AutoScalingGroupName"], "web");
}

TEST(Ec2Deregister, UndoRegistersClassicAndTargetGroupMembersBack) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "deregister-load-balancers");
  Json before = {{"classic", {{"web-elb", {"i-0123456789abcdef0"}}}},
                 {"target_groups", {{"arn:tg", Json::array({{{"Id", "10.0.0.5"}, {"Port", 80}}})}}}};
  EXPECT_EQ(step.plan(before).changes.size(), 2u);
  auto undo = step.undo(before, Json::object());
  ASSERT_EQ(undo.size(), 2u);
  EXPECT_EQ(undo[0].operation, "RegisterInstancesWithLoadBalancer");
  EXPECT_EQ(undo[0].input["Instances"], (Json::array({{{"InstanceId", "i-0123456789abcdef0"}}})));
  EXPECT_EQ(undo[1].operation, "RegisterTargets");
  EXPECT_EQ(undo[1].input["Targets"][0]["Port"], 80);
}

}  // namespace
}  // namespace firebreak::playbooks
