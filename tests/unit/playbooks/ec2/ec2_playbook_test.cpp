// The EC2 playbook's input checks, step order, and the plans and undo calls its steps derive
// from observed state (no network: observe and apply are tested against moto in tests/e2e).
#include <gtest/gtest.h>

#include "firebreak/aws/model/model.h"
#include "firebreak/aws/protocol/protocols.h"
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
  EXPECT_EQ(names, (std::vector<std::string>{"capture-metadata", "protect", "snapshot-volumes", "isolation-groups",
                                             "isolate", "detach-asg", "deregister-load-balancers", "tag-instance",
                                             "revoke-role-sessions"}));
  // The groups touch only the VPC: they are made while the metadata is captured. The ENIs move
  // once the metadata is saved, without waiting for protection to succeed.
  EXPECT_TRUE(step_named(playbook, "isolation-groups").spec().depends_on.empty());
  EXPECT_EQ(step_named(playbook, "isolate").spec().depends_on,
            (std::vector<std::string>{"capture-metadata", "isolation-groups"}));
  EXPECT_EQ(step_named(playbook, "protect").spec().depends_on, std::vector<std::string>{"capture-metadata"});
  EXPECT_EQ(step_named(playbook, "revoke-role-sessions").spec().decision, "revoke-role-sessions");
  for (const auto& op : playbook.operations()) {
    EXPECT_NE(op.operation, "TerminateInstances");
    EXPECT_NE(op.operation, "DeleteSnapshot");
    EXPECT_NE(op.operation, "DeleteVolume");
  }
}

TEST(Ec2Playbook, OptionalStepsAppearOnlyWhenAsked) {
  auto playbook = sample({.instance_ids = {"i-0123456789abcdef0"},
                          .nacl = true,
                          .forensic_subnet = "subnet-0123abcd",
                          .forensic_ami = "ami-0123abcd",
                          .disassociate_profile = true});
  std::vector<std::string> names;
  for (const auto& step : playbook.steps()) names.push_back(step->spec().name);
  EXPECT_EQ(names, (std::vector<std::string>{"capture-metadata", "protect", "snapshot-volumes", "isolation-groups",
                                             "isolate", "isolate-subnets", "detach-asg", "deregister-load-balancers",
                                             "forensic-workstation", "tag-instance", "revoke-role-sessions",
                                             "disassociate-profile"}));
  EXPECT_EQ(step_named(playbook, "forensic-workstation").spec().depends_on, std::vector<std::string>{"snapshot-volumes"});
  // The revocation finds the role through the profile: it goes first, but a revocation that
  // was not asked for (skipped) or failed does not stop the disassociation.
  EXPECT_EQ(step_named(playbook, "disassociate-profile").spec().depends_on, std::vector<std::string>{"capture-metadata"});
  EXPECT_EQ(step_named(playbook, "disassociate-profile").spec().after, std::vector<std::string>{"revoke-role-sessions"});
}

TEST(Ec2Playbook, RejectsBadOptionalInput) {
  const std::vector<std::string> ids = {"i-0123456789abcdef0"};
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .conntrack_timeout = 59}), InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .conntrack_timeout = 432001}), InputError);
  EXPECT_NO_THROW(make_ec2_playbook({.instance_ids = ids, .conntrack_timeout = 60}));
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .forensic_subnet = "subnet-0123abcd"}), InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .forensic_subnet = "subnet-x", .forensic_ami = "ami-0123abcd"}),
               InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .forensic_instance = ids[0]}), InputError);
  EXPECT_THROW(make_ec2_playbook({.instance_ids = ids, .forensic_ami = "ami-0123abcd", .forensic_instance = "i-0123abcd"}),
               InputError);
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

const std::string kAllV4 = R"({"IpProtocol":"-1","IpRanges":[{"CidrIp":"0.0.0.0/0"}]})";
const std::string kAllV6 = R"({"IpProtocol":"-1","Ipv6Ranges":[{"CidrIpv6":"::/0"}]})";

Json isolation_groups() {
  return {{"untracked", {{"id", "sg-open"}, {"ingress", {kAllV4, kAllV6}}, {"egress", {kAllV4, kAllV6}}}},
          {"isolation", {{"id", "sg-iso"}, {"ingress", Json::array()}, {"egress", Json::array()}}}};
}

Json one_eni(Json timeout = nullptr) {
  return {{"enis", Json::array({{{"id", "eni-1"}, {"instance_id", "i-0123456789abcdef0"}, {"vpc_id", "vpc-1"},
                                 {"groups", {"sg-a", "sg-b"}}, {"only", true}, {"tcp_established_timeout", timeout}}})},
          {"groups", {{"vpc-1", isolation_groups()}}}};
}

TEST(Ec2IsolationGroups, PlansMissingGroupsAndStrayRules) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "isolation-groups");
  EXPECT_EQ(step.plan({{"groups", {{"vpc-1", Json::object()}}}}).changes.size(), 2u);
  Json found = {{"groups", {{"vpc-1", isolation_groups()}}}};
  EXPECT_TRUE(step.plan(found).already_done());
  // A rule someone added to the isolation group is planned away.
  found["groups"]["vpc-1"]["isolation"]["egress"] = {kAllV4};
  EXPECT_EQ(step.plan(found).changes.size(), 1u);
  EXPECT_FALSE(step.spec().reversible) << "the groups stay, for the next case";
}

TEST(Ec2Isolate, PlansBothSwapsAndUndoRestoresEveryEnisGroups) {
  auto playbook = sample();
  const auto& step = step_named(playbook, "isolate");
  Json observed = one_eni();
  auto plan = step.plan(observed);
  ASSERT_EQ(plan.changes.size(), 2u);  // through the untracked group, then into isolation
  EXPECT_NE(plan.changes[0].find("firebreak-untracked"), std::string::npos);
  EXPECT_NE(plan.changes[1].find("firebreak-isolation"), std::string::npos);
  auto undo = step.undo(observed, observed);
  ASSERT_EQ(undo.size(), 2u);  // the ENI, and the instance whose only ENI it is
  EXPECT_EQ(undo[0].operation, "ModifyNetworkInterfaceAttribute");
  EXPECT_EQ(undo[0].input["Groups"], (Json{"sg-a", "sg-b"}));
  EXPECT_EQ(undo[1].operation, "ModifyInstanceAttribute");
  EXPECT_EQ(undo[1].input["Groups"], (Json{"sg-a", "sg-b"}));

  Json done = observed;
  done["enis"][0]["groups"] = {"sg-iso"};
  EXPECT_TRUE(step.plan(done).already_done());
}

// moto accepts ConnectionTrackingSpecification and ignores it (and never reports
// ConnectionTrackingConfiguration), so the timeout is checked here, on the wire: the request
// AWS documents, and the value read back from a DescribeNetworkInterfaces response in AWS's shape.
TEST(Ec2Isolate, ShortensTheTcpTimeoutBetweenTheSwapsAndUndoRestoresIt) {
  auto playbook = sample({.instance_ids = {"i-0123456789abcdef0"}, .conntrack_timeout = 60});
  const auto& step = step_named(playbook, "isolate");

  const auto& ec2 = aws::model::service_model("ec2");
  const std::string response = R"(<?xml version="1.0" encoding="UTF-8"?>
<DescribeNetworkInterfacesResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">
  <requestId>5b5b2a3c-0000-4000-8000-000000000001</requestId>
  <networkInterfaceSet><item>
    <networkInterfaceId>eni-1</networkInterfaceId>
    <vpcId>vpc-1</vpcId>
    <connectionTrackingConfiguration><tcpEstablishedTimeout>350</tcpEstablishedTimeout></connectionTrackingConfiguration>
  </item></networkInterfaceSet>
</DescribeNetworkInterfacesResponse>)";
  Json parsed = aws::protocol::ec2_protocol().parse(ec2, ec2.operation("DescribeNetworkInterfaces"),
                                                     aws::HttpResponse{200, {}, response});
  EXPECT_EQ(parsed["NetworkInterfaces"][0]["ConnectionTrackingConfiguration"]["TcpEstablishedTimeout"], 350);

  Json before = one_eni(350);
  auto plan = step.plan(before);
  ASSERT_EQ(plan.changes.size(), 3u);
  EXPECT_NE(plan.changes[0].find("TCP established timeout of eni-1 to 60 s"), std::string::npos);
  EXPECT_NE(plan.changes[1].find("wait 60 s"), std::string::npos);

  Json after = before;
  after["enis"][0]["groups"] = {"sg-iso"};
  after["enis"][0]["tcp_established_timeout"] = 60;
  auto undo = step.undo(before, after);
  ASSERT_EQ(undo.size(), 3u);
  EXPECT_EQ(undo[2].input, (Json{{"NetworkInterfaceId", "eni-1"}, {"ConnectionTrackingSpecification", {{"TcpEstablishedTimeout", 350}}}}));
  const std::string body =
      aws::protocol::ec2_protocol().serialize(ec2, ec2.operation("ModifyNetworkInterfaceAttribute"), undo[2].input).http.body;
  EXPECT_EQ(body, "Action=ModifyNetworkInterfaceAttribute&Version=2016-11-15&NetworkInterfaceId=eni-1"
                  "&ConnectionTrackingSpecification.TcpEstablishedTimeout=350");
  // An ENI that had AWS's default gets the default back.
  auto from_default = step.undo(one_eni(), after);
  EXPECT_EQ(from_default[2].input["ConnectionTrackingSpecification"]["TcpEstablishedTimeout"], 432000);
  // An isolated ENI is not touched again: a rerun changes nothing.
  EXPECT_TRUE(step.plan(after).already_done());
}

TEST(Ec2IsolateSubnets, WarnsThatTheWholeSubnetIsCutAndUndoRestoresTheOriginalAcl) {
  auto playbook = sample({.instance_ids = {"i-0123456789abcdef0"}, .nacl = true});
  const auto& step = step_named(playbook, "isolate-subnets");
  Json before = {{"subnets", {{"subnet-1", {{"vpc", "vpc-1"}, {"acl", "acl-default"}, {"association", "aclassoc-1"}}}}},
                 {"acls", Json::object()}};
  auto plan = step.plan(before);
  ASSERT_EQ(plan.changes.size(), 2u);
  EXPECT_NE(plan.changes[1].find("WARNING: this cuts every instance in subnet subnet-1"), std::string::npos);
  Json after = {{"subnets", {{"subnet-1", {{"vpc", "vpc-1"}, {"acl", "acl-fb"}, {"association", "aclassoc-2"}}}}},
                {"acls", {{"vpc-1", {{"id", "acl-fb"}, {"forensic_rules", 0}}}}}};
  EXPECT_TRUE(step.plan(after).already_done());
  auto undo = step.undo(before, after);
  ASSERT_EQ(undo.size(), 1u);
  EXPECT_EQ(undo[0].input, (Json{{"AssociationId", "aclassoc-2"}, {"NetworkAclId", "acl-default"}}));
}

TEST(Ec2ForensicWorkstation, PlansTheWorkstationCopiesAndAttachmentsAndIsNeverUndone) {
  auto playbook = sample({.instance_ids = {"i-0123456789abcdef0"}, .forensic_subnet = "subnet-0123abcd",
                          .forensic_ami = "ami-0123abcd"});
  const auto& step = step_named(playbook, "forensic-workstation");
  Json copy = {{"snapshot_id", "snap-1"}, {"source_volume", "vol-1"}, {"source_device", "/dev/sda1"},
               {"source_instance", "i-0123456789abcdef0"}, {"volume_id", nullptr}, {"attached_to", nullptr},
               {"device", nullptr}};
  Json observed = {{"workstation", nullptr}, {"az", "us-east-1a"}, {"copies", {copy}}};
  EXPECT_EQ(step.plan(observed).changes.size(), 3u);
  observed["workstation"] = {{"id", "i-0fedcba987654321f"}, {"az", "us-east-1a"}, {"devices", {"/dev/xvda"}}};
  observed["copies"][0]["volume_id"] = "vol-2";
  observed["copies"][0]["attached_to"] = "i-0fedcba987654321f";
  EXPECT_TRUE(step.plan(observed).already_done());
  EXPECT_FALSE(step.spec().reversible) << "evidence copies are never deleted or detached by undo";
}

TEST(Ec2DisassociateProfile, UndoAssociatesTheProfileAgain) {
  auto playbook = sample({.instance_ids = {"i-0123456789abcdef0"}, .disassociate_profile = true});
  const auto& step = step_named(playbook, "disassociate-profile");
  Json before = {{"associations", Json::array({{{"id", "iip-assoc-1"}, {"instance_id", "i-0123456789abcdef0"},
                                                {"profile_arn", "arn:aws:iam::123456789012:instance-profile/web"}}})}};
  EXPECT_EQ(step.plan(before).changes.size(), 1u);
  EXPECT_TRUE(step.plan({{"associations", Json::array()}}).already_done());
  auto undo = step.undo(before, {{"associations", Json::array()}});
  ASSERT_EQ(undo.size(), 1u);
  EXPECT_EQ(undo[0].operation, "AssociateIamInstanceProfile");
  EXPECT_EQ(undo[0].input, (Json{{"IamInstanceProfile", {{"Arn", "arn:aws:iam::123456789012:instance-profile/web"}}},
                                 {"InstanceId", "i-0123456789abcdef0"}}));
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
