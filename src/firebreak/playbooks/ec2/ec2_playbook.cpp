#include "firebreak/playbooks/ec2/ec2_playbook.h"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks {

void validate_instance_id(std::string_view id) { validate_resource_id("i", id); }

void validate_resource_id(std::string_view prefix, std::string_view id) {
  const std::regex pattern(fmt::format("{}-([0-9a-f]{{8}}|[0-9a-f]{{17}})", prefix));
  if (!std::regex_match(id.begin(), id.end(), pattern)) {
    throw InputError(fmt::format("'{}' is not a valid id: expected {}- and 8 or 17 lowercase hex digits", id, prefix));
  }
}

void validate_ipv4_cidr(std::string_view cidr) {
  static const std::regex pattern(R"(((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)/(3[0-2]|[12]?\d))");
  if (!std::regex_match(cidr.begin(), cidr.end(), pattern)) {
    throw InputError(fmt::format("'{}' is not an IPv4 CIDR such as 203.0.113.7/32", cidr));
  }
}

namespace {

void validate_options(const Ec2Options& options) {
  if (options.instance_ids.empty()) throw InputError("name at least one instance id");
  for (const auto& id : options.instance_ids) validate_instance_id(id);
  if (!options.forensic_cidr.empty()) validate_ipv4_cidr(options.forensic_cidr);
  if (options.conntrack_timeout != 0 &&
      (options.conntrack_timeout < kMinConntrackTimeout || options.conntrack_timeout > kMaxConntrackTimeout)) {
    throw InputError(fmt::format("--conntrack-timeout {} is out of range: AWS accepts {} to {} seconds",
                                 options.conntrack_timeout, kMinConntrackTimeout, kMaxConntrackTimeout));
  }
  if (!options.forensic_instance.empty()) {
    validate_instance_id(options.forensic_instance);
    if (!options.forensic_subnet.empty() || !options.forensic_ami.empty()) {
      throw InputError("--forensic-instance reuses a workstation: it does not take --forensic-subnet or --forensic-ami");
    }
    if (std::find(options.instance_ids.begin(), options.instance_ids.end(), options.forensic_instance) !=
        options.instance_ids.end()) {
      throw InputError(fmt::format("{} is being contained: it cannot be the forensic workstation", options.forensic_instance));
    }
  } else if (!options.forensic_subnet.empty() || !options.forensic_ami.empty()) {
    if (options.forensic_subnet.empty() || options.forensic_ami.empty()) {
      throw InputError("a forensic workstation needs both --forensic-subnet and --forensic-ami (or --forensic-instance)");
    }
    validate_resource_id("subnet", options.forensic_subnet);
    validate_resource_id("ami", options.forensic_ami);
  }
}

}  // namespace

engine::Playbook make_ec2_playbook(const Ec2Options& options) {
  validate_options(options);

  // The order responders expect, which is also the order ready steps start in: preserve first,
  // then take the instance out of service and cut its traffic while its disks are copied.
  // The acquisition issue's memory capture goes right after "protect", before "isolate".
  // Steps the responder did not ask for (hard cut, workstation, disassociation) are left out.
  std::vector<std::unique_ptr<engine::Step>> steps;
  auto attribute_reads = std::make_shared<ec2::AttributeReads>();
  steps.push_back(ec2::make_capture_metadata_step(options, attribute_reads));
  steps.push_back(ec2::make_protect_step(options, attribute_reads));
  steps.push_back(ec2::make_snapshot_step(options));
  steps.push_back(ec2::make_isolation_groups_step(options));
  steps.push_back(ec2::make_isolate_step(options));
  if (options.nacl) steps.push_back(ec2::make_isolate_subnets_step(options));
  steps.push_back(ec2::make_detach_asg_step(options));
  steps.push_back(ec2::make_deregister_step(options));
  if (options.offline_investigation()) steps.push_back(ec2::make_forensic_workstation_step(options));
  steps.push_back(ec2::make_tag_step(options));
  steps.push_back(ec2::make_revoke_role_step(options));
  if (options.disassociate_profile) steps.push_back(ec2::make_disassociate_profile_step(options));
  return engine::Playbook("ec2", std::move(steps));
}

namespace ec2 {

Json filter(const std::string& name, const Json& values) { return {{"Name", name}, {"Values", values}}; }

std::vector<Json> describe_instances(engine::StepContext& ctx, const std::vector<std::string>& ids) {
  Json out = ctx.paginate_all("ec2", "DescribeInstances", {{"InstanceIds", ids}});
  std::vector<Json> found(ids.size());
  for (const auto& reservation : out["Reservations"]) {
    for (const auto& instance : reservation["Instances"]) {
      auto it = std::find(ids.begin(), ids.end(), instance.value("InstanceId", ""));
      if (it != ids.end()) found[static_cast<size_t>(it - ids.begin())] = instance;
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) {
    if (found[i].is_null()) {
      throw Error(fmt::format("instance {} is not in region {}", ids[i], ctx.region()));
    }
    if (found[i]["State"].value("Name", "") == "terminated") {
      throw Error(fmt::format("instance {} is terminated: there is nothing left to contain", ids[i]));
    }
  }
  return found;
}

std::string instance_profile_name(const Json& instance) {
  if (!instance.contains("IamInstanceProfile")) return "";
  const std::string arn = instance["IamInstanceProfile"].value("Arn", "");
  return arn.substr(arn.rfind('/') + 1);
}

std::string instance_arn(const engine::StepContext& ctx, const std::string& instance_id) {
  return fmt::format("arn:aws:ec2:{}:{}:instance/{}", ctx.region(), ctx.case_info().account, instance_id);
}

std::vector<std::string> instance_addresses(const Json& instance) {
  std::vector<std::string> out{instance.value("InstanceId", "")};
  for (const auto& eni : instance.value("NetworkInterfaces", Json::array())) {
    for (const auto& ip : eni.value("PrivateIpAddresses", Json::array())) out.push_back(ip.value("PrivateIpAddress", ""));
  }
  return out;
}

Json case_tags(const engine::StepContext& ctx) {
  const auto& info = ctx.case_info();
  return Json::array({Json{{"Key", kCaseTag}, {"Value", info.id}},
                      Json{{"Key", "firebreak:status"}, {"Value", "under-investigation"}},
                      Json{{"Key", "firebreak:responder"}, {"Value", info.opened_by.arn}},
                      Json{{"Key", "firebreak:time"}, {"Value", info.created}}});
}

engine::AwsCall aws_call(std::string service, std::string operation, Json input, std::vector<std::string> ok_errors) {
  engine::AwsCall call;
  call.service = std::move(service);
  call.operation = std::move(operation);
  call.input = std::move(input);
  call.ok_errors = std::move(ok_errors);
  return call;
}

Json AttributeReads::read(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute) {
  Json reply = describe(ctx, instance_id, attribute);
  std::lock_guard lock(mutex_);
  kept_[{instance_id, attribute}] = reply;
  return reply;
}

Json AttributeReads::take(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute) {
  {
    std::lock_guard lock(mutex_);
    if (auto kept = kept_.extract({instance_id, attribute})) return std::move(kept.mapped());
  }
  return describe(ctx, instance_id, attribute);
}

Json AttributeReads::describe(engine::StepContext& ctx, const std::string& instance_id, const std::string& attribute) {
  return ctx.call("ec2", "DescribeInstanceAttribute", {{"InstanceId", instance_id}, {"Attribute", attribute}});
}

}  // namespace ec2
}  // namespace firebreak::playbooks
