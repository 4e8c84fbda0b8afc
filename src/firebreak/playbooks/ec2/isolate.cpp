// Step 3: isolate the instances, AWS's two-step way so that tracked connections do not
// survive: every ENI first moves to a group whose all-traffic rules are untracked, then to
// the isolation group that has no rules at all (plus, when asked, a group letting the
// forensic CIDR in). The groups are found by name, VPC and tag and reused by every case.
#include <array>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

constexpr const char* kIsolationTag = "firebreak:isolation";

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

// What AWS puts in every new group: all traffic out to anywhere (IPv4).
const std::string kDefaultEgress = rule("-1", "CidrIp", "0.0.0.0/0").dump();

class IsolateStep : public Ec2Step {
 public:
  explicit IsolateStep(const Ec2Options& options)
      : Ec2Step(options, "isolate", "Isolate the instance (no traffic outbound)", {"protect"}) {
    spec_.reads = {{"ec2", "DescribeNetworkInterfaces"}, {"ec2", "DescribeSecurityGroups"}};
    spec_.changes = {{"ec2", "CreateSecurityGroup"}, {"ec2", "AuthorizeSecurityGroupIngress"},
                     {"ec2", "AuthorizeSecurityGroupEgress"}, {"ec2", "RevokeSecurityGroupIngress"},
                     {"ec2", "RevokeSecurityGroupEgress"}, {"ec2", "ModifyNetworkInterfaceAttribute"},
                     {"ec2", "ModifyInstanceAttribute"}};
    spec_.reversible = true;
    Json all_in = Json::array({rule("-1", "CidrIp", "0.0.0.0/0"), rule("-1", "CidrIpv6", "::/0")});
    kinds_.push_back({"untracked", "firebreak-untracked",
                      "firebreak: all traffic, untracked, for a moment before isolation", all_in, all_in});
    kinds_.push_back({"isolation", "firebreak-isolation", "firebreak: isolation, no traffic in or out",
                      Json::array(), Json::array()});
    if (!options.forensic_cidr.empty()) {
      kinds_.push_back({"forensic:" + options.forensic_cidr, "firebreak-forensic-" + options.forensic_cidr,
                        "firebreak: forensic access from " + options.forensic_cidr,
                        Json::array({rule("-1", "CidrIp", options.forensic_cidr)}), Json::array()});
    }
  }

  // {"enis": [{"id", "instance_id", "vpc_id", "groups": [ids], "only": the instance's only ENI}],
  //  "groups": {vpc: {kind tag: {"id", "ingress": [rules], "egress": [rules]}}}}
  Json observe(engine::StepContext& ctx) const override {
    Json enis, groups;
    parallel_for(2, [&](size_t i) {
      if (i == 0) {
        enis = ctx.paginate_all("ec2", "DescribeNetworkInterfaces",
                                {{"Filters", {filter("attachment.instance-id", options_.instance_ids)}}});
      } else {
        groups = ctx.paginate_all("ec2", "DescribeSecurityGroups", {{"Filters", {filter("tag-key", {kIsolationTag})}}});
      }
    });
    Json out_enis = Json::array();
    std::set<std::string> vpcs;
    std::map<std::string, int> per_instance;
    for (const auto& eni : enis["NetworkInterfaces"]) ++per_instance[eni["Attachment"]["InstanceId"].get<std::string>()];
    for (const auto& eni : enis["NetworkInterfaces"]) {
      Json ids = Json::array();
      for (const auto& g : eni.value("Groups", Json::array())) ids.push_back(g["GroupId"]);
      out_enis.push_back({{"id", eni["NetworkInterfaceId"]},
                          {"instance_id", eni["Attachment"]["InstanceId"]},
                          {"vpc_id", eni["VpcId"]},
                          {"groups", ids},
                          {"only", per_instance[eni["Attachment"]["InstanceId"].get<std::string>()] == 1}});
      vpcs.insert(eni["VpcId"].get<std::string>());
    }
    Json out_groups = Json::object();
    for (const auto& vpc : vpcs) out_groups[vpc] = Json::object();
    for (const auto& g : groups["SecurityGroups"]) {
      const std::string vpc = g.value("VpcId", "");
      if (!out_groups.contains(vpc)) continue;
      for (const auto& kind : kinds_) {
        bool tagged = false;
        for (const auto& t : g.value("Tags", Json::array())) tagged |= t["Key"] == kIsolationTag && t["Value"] == kind.tag;
        if (tagged && g["GroupName"] == kind.name) {
          out_groups[vpc][kind.tag] = {{"id", g["GroupId"]},
                                       {"ingress", normalized(g.value("IpPermissions", Json::array()))},
                                       {"egress", normalized(g.value("IpPermissionsEgress", Json::array()))}};
        }
      }
    }
    return {{"enis", out_enis}, {"groups", out_groups}};
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
    for (const auto& eni : observed["enis"]) {
      if (!isolated(observed, eni)) {
        plan.changes.push_back(fmt::format("move {} of {} from {} to {} through {}", eni["id"].get<std::string>(),
                                           eni["instance_id"].get<std::string>(), fmt::join(eni["groups"].get<std::vector<std::string>>(), ", "),
                                           fmt::join(final_names(), " + "), kinds_[0].name));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json after = observed;
    // Groups: every VPC and kind at once; a group's rules right after it exists.
    std::vector<std::pair<std::string, const GroupKind*>> wanted;
    for (const auto& [vpc, found] : observed["groups"].items()) {
      for (const auto& kind : kinds_) wanted.emplace_back(vpc, &kind);
    }
    std::mutex mutex;
    parallel_for(wanted.size(), [&](size_t i) {
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
    });

    std::vector<size_t> moving;
    for (size_t i = 0; i < observed["enis"].size(); ++i) {
      if (!isolated(after, observed["enis"][i])) moving.push_back(i);
    }
    auto move_all = [&](const std::function<Json(const Json& eni)>& groups) {
      std::vector<engine::AwsCall> calls;
      for (size_t i : moving) {
        for (auto& call : set_groups(observed["enis"][i], groups(observed["enis"][i]))) calls.push_back(std::move(call));
      }
      parallel_for(calls.size(), [&](size_t n) { ctx.call("ec2", calls[n].operation, calls[n].input); });
    };
    move_all([&](const Json& eni) { return Json::array({group_id(after, eni, kinds_[0].tag)}); });
    move_all([&](const Json& eni) { return final_groups(after, eni); });
    for (size_t i : moving) after["enis"][i]["groups"] = final_groups(after, observed["enis"][i]);
    return after;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& eni : before["enis"]) {
      for (auto& call : set_groups(eni, eni["groups"])) calls.push_back(std::move(call));
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

  static std::pair<Json, Json> diff(const Json& found, const Json& wanted) {
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

  static void fix_rules(engine::StepContext& ctx, const GroupKind& kind, Json& group) {
    auto [add_in, remove_in] = diff(group["ingress"], kind.ingress);
    auto [add_out, remove_out] = diff(group["egress"], kind.egress);
    std::vector<std::pair<const char*, Json>> calls;
    if (!add_in.empty()) calls.emplace_back("AuthorizeSecurityGroupIngress", add_in);
    if (!remove_in.empty()) calls.emplace_back("RevokeSecurityGroupIngress", remove_in);
    if (!add_out.empty()) calls.emplace_back("AuthorizeSecurityGroupEgress", add_out);
    if (!remove_out.empty()) calls.emplace_back("RevokeSecurityGroupEgress", remove_out);
    parallel_for(calls.size(), [&](size_t i) {
      ctx.call("ec2", calls[i].first, {{"GroupId", group["id"]}, {"IpPermissions", calls[i].second}});
    });
    group["ingress"] = normalized(kind.ingress);
    group["egress"] = normalized(kind.egress);
  }

  static Json group_id(const Json& state, const Json& eni, const std::string& tag) {
    return state["groups"][eni["vpc_id"].get<std::string>()][tag]["id"];
  }

  // The groups an isolated ENI has: the isolation group, and the forensic one when asked.
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
    auto want = final_groups(state, eni).get<std::set<std::string>>();
    return eni["groups"].get<std::set<std::string>>() == want;
  }

  std::vector<GroupKind> kinds_;  // [0] is the untracked step; the rest are the final groups
};

}  // namespace

std::unique_ptr<engine::Step> make_isolate_step(const Ec2Options& options) {
  return std::make_unique<IsolateStep>(options);
}

}  // namespace firebreak::playbooks::ec2
