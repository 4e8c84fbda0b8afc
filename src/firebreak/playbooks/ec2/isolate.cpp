// Step 3: isolate the instances, AWS's two-step way so that tracked connections do not
// survive: every ENI first moves to a group whose all-traffic rules are untracked, then to
// the isolation group that has no rules at all (plus, when asked, a group letting the
// forensic CIDR in). Two engine steps: "isolation-groups" finds or creates the per-VPC groups
// (they are reused by every case, and touching the VPC changes nothing of the instance, so it
// runs alongside the metadata capture, off the isolation's path); "isolate" moves the ENIs.
#include <array>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

// What AWS assumes when an ENI has no ConnectionTrackingConfiguration.
constexpr int kDefaultTcpEstablishedTimeout = 432000;

// A rule with one source, in a form that compares equal whatever the server adds.
Json rule(const std::string& protocol, const std::string& source_member, const std::string& source) {
  const std::string list = source_member == "CidrIp" ? "IpRanges" : "Ipv6Ranges";
  return {{"IpProtocol", protocol}, {list, {{{source_member, source}}}}};
}

std::set<std::string> normalized(const Json& permissions) {
  std::set<std::string> out;
  for (const auto& p : permissions) {
    Json base{{"IpProtocol", p.value("IpProtocol", "-1")}};
    if (base["IpProtocol"] != "-1") {
      base["FromPort"] = p.value("FromPort", -1);
      base["ToPort"] = p.value("ToPort", -1);
    }
    static constexpr std::array<std::pair<const char*, const char*>, 4> kSources = {
        {{"IpRanges", "CidrIp"}, {"Ipv6Ranges", "CidrIpv6"}, {"UserIdGroupPairs", "GroupId"},
         {"PrefixListIds", "PrefixListId"}}};
    for (const auto& [list, member] : kSources) {
      for (const auto& source : p.value(list, Json::array())) {
        Json one = base;
        one[list] = {{{member, source.value(member, "")}}};
        out.insert(one.dump());
      }
    }
  }
  return out;
}

struct GroupKind {
  std::string tag;   // value of firebreak:isolation
  std::string name;
  std::string description;
  Json ingress;      // the exact rules the group must have
  Json egress;
};

// [0] is the untracked group of the first swap; the rest are the groups an isolated ENI has.
std::vector<GroupKind> group_kinds(const Ec2Options& options) {
  Json all = Json::array({rule("-1", "CidrIp", "0.0.0.0/0"), rule("-1", "CidrIpv6", "::/0")});
  std::vector<GroupKind> kinds;
  kinds.push_back({"untracked", "firebreak-untracked", "firebreak: all traffic, untracked, for a moment before isolation",
                   all, all});
  kinds.push_back({"isolation", "firebreak-isolation", "firebreak: isolation, no traffic in or out", Json::array(),
                   Json::array()});
  if (!options.forensic_cidr.empty()) {
    kinds.push_back({"forensic:" + options.forensic_cidr, "firebreak-forensic-" + options.forensic_cidr,
                     "firebreak: forensic access from " + options.forensic_cidr,
                     Json::array({rule("-1", "CidrIp", options.forensic_cidr)}), Json::array()});
  }
  return kinds;
}

// What AWS puts in every new group: all traffic out to anywhere (IPv4).
const std::string kDefaultEgress = rule("-1", "CidrIp", "0.0.0.0/0").dump();

// The firebreak groups in every region, so that each step reads them in one call.
Json tagged_groups(engine::StepContext& ctx) {
  return ctx.paginate_all("ec2", "DescribeSecurityGroups", {{"Filters", {filter("tag-key", {kIsolationTag})}}});
}

// {vpc: {kind tag: {"id", "ingress": [rules], "egress": [rules]}}} for the given VPCs.
Json groups_by_vpc(const Json& described, const std::set<std::string>& vpcs, const std::vector<GroupKind>& kinds) {
  Json out = Json::object();
  for (const auto& vpc : vpcs) out[vpc] = Json::object();
  for (const auto& g : described["SecurityGroups"]) {
    const std::string vpc = g.value("VpcId", "");
    if (!out.contains(vpc)) continue;
    for (const auto& kind : kinds) {
      bool tagged = false;
      for (const auto& t : g.value("Tags", Json::array())) tagged |= t["Key"] == kIsolationTag && t["Value"] == kind.tag;
      if (tagged && g["GroupName"] == kind.name) {
        out[vpc][kind.tag] = {{"id", g["GroupId"]},
                              {"ingress", normalized(g.value("IpPermissions", Json::array()))},
                              {"egress", normalized(g.value("IpPermissionsEgress", Json::array()))}};
      }
    }
  }
  return out;
}

std::pair<Json, Json> diff(const Json& found, const Json& wanted) {
  std::set<std::string> have = found.get<std::set<std::string>>();
  std::set<std::string> want = normalized(wanted);
  Json add = Json::array(), remove = Json::array();
  for (const auto& r : want) {
    if (!have.contains(r)) add.push_back(Json::parse(r));
  }
  for (const auto& r : have) {
    if (!want.contains(r)) remove.push_back(Json::parse(r));
  }
  return {add, remove};
}

class IsolationGroupsStep : public Ec2Step {
 public:
  explicit IsolationGroupsStep(const Ec2Options& options)
      : Ec2Step(options, "isolation-groups", "Isolate the instance (no traffic outbound)", {}),
        kinds_(group_kinds(options)) {
    spec_.reads = {{"ec2", "DescribeInstances"}, {"ec2", "DescribeSecurityGroups"}};
    spec_.changes = {{"ec2", "CreateSecurityGroup"}, {"ec2", "AuthorizeSecurityGroupIngress"},
                     {"ec2", "AuthorizeSecurityGroupEgress"}, {"ec2", "RevokeSecurityGroupIngress"},
                     {"ec2", "RevokeSecurityGroupEgress"}};
  }

  // {"groups": {vpc: {kind tag: {"id", "ingress", "egress"}}}}
  Json observe(engine::StepContext& ctx) const override {
    std::vector<Json> instances;
    Json described;
    for_each_parallel(2, [&](size_t i) {
      if (i == 0) {
        instances = describe_instances(ctx, options_.instance_ids);
      } else {
        described = tagged_groups(ctx);
      }
    }, kMaxConcurrentCalls);
    std::set<std::string> vpcs;
    for (const auto& instance : instances) {
      if (instance.contains("VpcId")) vpcs.insert(instance["VpcId"].get<std::string>());
    }
    return {{"groups", groups_by_vpc(described, vpcs, kinds_)}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [vpc, found] : observed["groups"].items()) {
      for (const auto& kind : kinds_) {
        if (!found.contains(kind.tag)) {
          plan.changes.push_back(fmt::format("create security group {} in {} ({})", kind.name, vpc, kind.description));
          continue;
        }
        auto [add_in, remove_in] = diff(found[kind.tag]["ingress"], kind.ingress);
        auto [add_out, remove_out] = diff(found[kind.tag]["egress"], kind.egress);
        if (add_in.size() + remove_in.size() + add_out.size() + remove_out.size() > 0) {
          plan.changes.push_back(fmt::format("restore the rules of {} in {}", kind.name, vpc));
        }
      }
    }
    return plan;
  }

  // Every VPC and kind at once; a group's rules right after it exists.
  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    std::vector<std::pair<std::string, const GroupKind*>> wanted;
    for (const auto& [vpc, found] : observed["groups"].items()) {
      for (const auto& kind : kinds_) wanted.emplace_back(vpc, &kind);
    }
    std::mutex mutex;
    for_each_parallel(wanted.size(), [&](size_t i) {
      const auto& [vpc, kind] = wanted[i];
      Json group = observed["groups"][vpc].value(kind->tag, Json());
      if (group.is_null()) {
        Json tags = Json::array({Json{{"Key", kIsolationTag}, {"Value", kind->tag}}, Json{{"Key", "Name"}, {"Value", kind->name}}});
        Json out = ctx.call("ec2", "CreateSecurityGroup",
                            {{"GroupName", kind->name}, {"Description", kind->description}, {"VpcId", vpc},
                             {"TagSpecifications", {{{"ResourceType", "security-group"}, {"Tags", tags}}}}});
        group = {{"id", out["GroupId"]}, {"ingress", Json::array()}, {"egress", Json::array({kDefaultEgress})}};
      }
      fix_rules(ctx, *kind, group);
      std::lock_guard lock(mutex);
      after["groups"][vpc][kind->tag] = group;
    }, kMaxConcurrentCalls);
    return after;
  }

 private:
  static void fix_rules(engine::StepContext& ctx, const GroupKind& kind, Json& group) {
    auto [add_in, remove_in] = diff(group["ingress"], kind.ingress);
    auto [add_out, remove_out] = diff(group["egress"], kind.egress);
    std::vector<std::pair<const char*, Json>> calls;
    if (!add_in.empty()) calls.emplace_back("AuthorizeSecurityGroupIngress", add_in);
    if (!remove_in.empty()) calls.emplace_back("RevokeSecurityGroupIngress", remove_in);
    if (!add_out.empty()) calls.emplace_back("AuthorizeSecurityGroupEgress", add_out);
    if (!remove_out.empty()) calls.emplace_back("RevokeSecurityGroupEgress", remove_out);
    for_each_parallel(calls.size(), [&](size_t i) {
      ctx.call("ec2", calls[i].first, {{"GroupId", group["id"]}, {"IpPermissions", calls[i].second}});
    }, kMaxConcurrentCalls);
    group["ingress"] = normalized(kind.ingress);
    group["egress"] = normalized(kind.egress);
  }

  std::vector<GroupKind> kinds_;
};

// Isolation waits for the metadata capture (preserve first) and the groups, not for the
// protection step: both start when the capture ends, protection first, and its one change
// lands before the second swap; a protection that AWS refuses must not leave the instance
// connected.
class IsolateStep : public Ec2Step {
 public:
  explicit IsolateStep(const Ec2Options& options)
      : Ec2Step(options, "isolate", "Isolate the instance (no traffic outbound)",
                {"capture-metadata", "isolation-groups"}),
        kinds_(group_kinds(options)) {
    spec_.reads = {{"ec2", "DescribeNetworkInterfaces"}, {"ec2", "DescribeSecurityGroups"}};
    spec_.changes = {{"ec2", "ModifyNetworkInterfaceAttribute"}, {"ec2", "ModifyInstanceAttribute"}};
    spec_.reversible = true;
  }

  // {"enis": [{"id", "instance_id", "vpc_id", "groups": [ids], "only": the instance's only ENI,
  //            "tcp_established_timeout": seconds or null (AWS's default)}],
  //  "groups": {vpc: {kind tag: {"id", ...}}}}
  Json observe(engine::StepContext& ctx) const override {
    Json enis, described;
    for_each_parallel(2, [&](size_t i) {
      if (i == 0) {
        enis = ctx.paginate_all("ec2", "DescribeNetworkInterfaces",
                                {{"Filters", {filter("attachment.instance-id", options_.instance_ids)}}});
      } else {
        described = tagged_groups(ctx);
      }
    }, kMaxConcurrentCalls);
    Json out_enis = Json::array();
    std::set<std::string> vpcs;
    std::map<std::string, int> per_instance;
    for (const auto& eni : enis["NetworkInterfaces"]) ++per_instance[eni["Attachment"]["InstanceId"].get<std::string>()];
    for (const auto& eni : enis["NetworkInterfaces"]) {
      Json ids = Json::array();
      for (const auto& g : eni.value("Groups", Json::array())) ids.push_back(g["GroupId"]);
      Json timeout = eni.value("ConnectionTrackingConfiguration", Json::object()).value("TcpEstablishedTimeout", Json());
      out_enis.push_back({{"id", eni["NetworkInterfaceId"]},
                          {"instance_id", eni["Attachment"]["InstanceId"]},
                          {"vpc_id", eni["VpcId"]},
                          {"groups", ids},
                          {"only", per_instance[eni["Attachment"]["InstanceId"].get<std::string>()] == 1},
                          {"tcp_established_timeout", timeout}});
      vpcs.insert(eni["VpcId"].get<std::string>());
    }
    return {{"enis", out_enis}, {"groups", groups_by_vpc(described, vpcs, kinds_)}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& eni : observed["enis"]) {
      if (isolated(observed, eni)) continue;
      const std::string id = eni["id"];
      if (options_.conntrack_timeout > 0) {
        plan.changes.push_back(fmt::format("shorten the TCP established timeout of {} to {} s", id,
                                           options_.conntrack_timeout));
      }
      plan.changes.push_back(fmt::format("move {} of {} from {} to {}{}", id, eni["instance_id"].get<std::string>(),
                                         fmt::join(eni["groups"].get<std::vector<std::string>>(), ", "),
                                         kinds_[0].name,
                                         options_.conntrack_timeout > 0
                                             ? fmt::format(", wait {} s for tracked connections to expire",
                                                           options_.conntrack_timeout)
                                             : std::string()));
      plan.changes.push_back(fmt::format("then move {} to {}", id, fmt::join(final_names(), " + ")));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    for (const auto& [vpc, found] : observed["groups"].items()) {
      for (const auto& kind : kinds_) {
        if (!found.contains(kind.tag)) {
          throw Error(fmt::format("security group {} of {} is missing: the isolation-groups step did not make it",
                                  kind.name, vpc));
        }
      }
    }
    Json after = observed;
    std::vector<size_t> moving;
    for (size_t i = 0; i < observed["enis"].size(); ++i) {
      if (!isolated(observed, observed["enis"][i])) moving.push_back(i);
    }
    auto run_all = [&](std::vector<engine::AwsCall> calls) {
      for_each_parallel(calls.size(), [&](size_t n) { ctx.call("ec2", calls[n].operation, calls[n].input); }, kMaxConcurrentCalls);
    };
    // First swap, with the shorter timeout in the same round trip.
    std::vector<engine::AwsCall> first;
    for (size_t i : moving) {
      const Json& eni = observed["enis"][i];
      for (auto& call : set_groups(eni, Json::array({group_id(observed, eni, kinds_[0].tag)}))) first.push_back(std::move(call));
      if (options_.conntrack_timeout > 0) {
        first.push_back(set_timeout(eni["id"], options_.conntrack_timeout));
        after["enis"][i]["tcp_established_timeout"] = options_.conntrack_timeout;
      }
    }
    run_all(std::move(first));
    if (options_.conntrack_timeout > 0 && !moving.empty()) {
      ctx.progress(fmt::format("waiting {} s for tracked connections to time out", options_.conntrack_timeout));
      std::this_thread::sleep_for(std::chrono::seconds(options_.conntrack_timeout));
    }
    std::vector<engine::AwsCall> second;
    for (size_t i : moving) {
      for (auto& call : set_groups(observed["enis"][i], final_groups(observed, observed["enis"][i]))) {
        second.push_back(std::move(call));
      }
    }
    run_all(std::move(second));
    for (size_t i : moving) after["enis"][i]["groups"] = final_groups(observed, observed["enis"][i]);
    return after;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::map<std::string, Json> timeouts_after;
    for (const auto& eni : after["enis"]) timeouts_after[eni["id"].get<std::string>()] = eni["tcp_established_timeout"];
    std::vector<engine::AwsCall> calls;
    for (const auto& eni : before["enis"]) {
      for (auto& call : set_groups(eni, eni["groups"])) calls.push_back(std::move(call));
      auto changed = timeouts_after.find(eni["id"].get<std::string>());
      if (changed != timeouts_after.end() && changed->second != eni["tcp_established_timeout"]) {
        const Json& was = eni["tcp_established_timeout"];
        calls.push_back(set_timeout(eni["id"], was.is_null() ? kDefaultTcpEstablishedTimeout : was.get<int>()));
      }
    }
    return calls;
  }

 private:
  // The ENI's groups, and the instance's when it is its only ENI: AWS treats the two as one
  // (and refuses the instance form for several ENIs), moto keeps them apart and reports both.
  static std::vector<engine::AwsCall> set_groups(const Json& eni, const Json& groups) {
    std::vector<engine::AwsCall> calls{aws_call("ec2", "ModifyNetworkInterfaceAttribute",
                                                {{"NetworkInterfaceId", eni["id"]}, {"Groups", groups}})};
    if (eni.value("only", false)) {
      calls.push_back(aws_call("ec2", "ModifyInstanceAttribute", {{"InstanceId", eni["instance_id"]}, {"Groups", groups}}));
    }
    return calls;
  }

  static engine::AwsCall set_timeout(const Json& eni_id, int seconds) {
    return aws_call("ec2", "ModifyNetworkInterfaceAttribute",
                    {{"NetworkInterfaceId", eni_id}, {"ConnectionTrackingSpecification", {{"TcpEstablishedTimeout", seconds}}}});
  }

  static Json group_id(const Json& state, const Json& eni, const std::string& tag) {
    return state["groups"][eni["vpc_id"].get<std::string>()][tag]["id"];
  }

  Json final_groups(const Json& state, const Json& eni) const {
    Json ids = Json::array();
    for (size_t i = 1; i < kinds_.size(); ++i) ids.push_back(group_id(state, eni, kinds_[i].tag));
    return ids;
  }

  std::vector<std::string> final_names() const {
    std::vector<std::string> names;
    for (size_t i = 1; i < kinds_.size(); ++i) names.push_back(kinds_[i].name);
    return names;
  }

  bool isolated(const Json& state, const Json& eni) const {
    const Json& groups = state["groups"][eni["vpc_id"].get<std::string>()];
    for (size_t i = 1; i < kinds_.size(); ++i) {
      if (!groups.contains(kinds_[i].tag)) return false;
    }
    return eni["groups"].get<std::set<std::string>>() == final_groups(state, eni).get<std::set<std::string>>();
  }

  std::vector<GroupKind> kinds_;
};

}  // namespace

std::unique_ptr<engine::Step> make_isolation_groups_step(const Ec2Options& options) {
  return std::make_unique<IsolationGroupsStep>(options);
}

std::unique_ptr<engine::Step> make_isolate_step(const Ec2Options& options) {
  return std::make_unique<IsolateStep>(options);
}

}  // namespace firebreak::playbooks::ec2
