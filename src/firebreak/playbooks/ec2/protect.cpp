// Step 2: termination and stop protection, shutdown behaviour "stop", and DeleteOnTermination
// off on every attached volume, so that neither a mistake nor the attacker destroys the disks.
#include <array>
#include <cctype>
#include <mutex>

#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

// Values AWS returns as booleans may come back from some servers as text.
bool truthy(const Json& value) { return value.is_boolean() ? value.get<bool>() : value == "true"; }

class ProtectStep : public Ec2Step {
 public:
  ProtectStep(const Ec2Options& options, std::shared_ptr<AttributeReads> attribute_reads)
      : Ec2Step(options, "protect", "Enable termination protection", {"capture-metadata"}),
        attribute_reads_(std::move(attribute_reads)) {
    spec_.reads = {{"ec2", "DescribeInstances"}, {"ec2", "DescribeInstanceAttribute"}};
    spec_.changes = {{"ec2", "ModifyInstanceAttribute"}};
    spec_.reversible = true;
  }

  // {id: {"termination": bool, "stop": bool, "shutdown": "stop"|"terminate",
  //       "delete_on_termination": {device: bool}}}
  Json observe(engine::StepContext& ctx) const override {
    const auto& ids = options_.instance_ids;
    static constexpr std::array<std::pair<const char*, const char*>, 3> kRead = {
        {{"termination", "disableApiTermination"}, {"stop", "disableApiStop"},
         {"shutdown", "instanceInitiatedShutdownBehavior"}}};
    Json out = Json::object();
    for (const auto& id : ids) out[id] = Json::object();
    std::vector<Json> instances;
    std::mutex mutex;
    // The record (for the volumes) and every attribute the capture has not just read, in one
    // round trip.
    for_each_parallel(1 + ids.size() * kRead.size(), [&](size_t n) {
      if (n == 0) {
        instances = describe_instances(ctx, ids);
        return;
      }
      const auto& id = ids[(n - 1) / kRead.size()];
      const auto& [key, attribute] = kRead[(n - 1) % kRead.size()];
      Json reply = attribute_reads_->take(ctx, id, attribute);
      std::string member(attribute);
      member[0] = static_cast<char>(std::toupper(member[0]));
      Json value = reply[member].value("Value", Json());
      std::lock_guard lock(mutex);
      out[id][key] = std::string(key) == "shutdown" ? value : Json(truthy(value));
    }, kMaxConcurrentCalls);
    for (size_t i = 0; i < ids.size(); ++i) {
      Json devices = Json::object();
      for (const auto& mapping : instances[i].value("BlockDeviceMappings", Json::array())) {
        if (mapping.contains("Ebs")) devices[mapping["DeviceName"].get<std::string>()] = truthy(mapping["Ebs"]["DeleteOnTermination"]);
      }
      out[ids[i]]["delete_on_termination"] = devices;
    }
    return out;
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& [id, state] : observed.items()) {
      if (!state["termination"].get<bool>()) plan.changes.push_back(fmt::format("enable termination protection of {}", id));
      if (!state["stop"].get<bool>()) plan.changes.push_back(fmt::format("enable stop protection of {}", id));
      if (state["shutdown"] != "stop") plan.changes.push_back(fmt::format("set the shutdown behaviour of {} to stop", id));
      for (const auto& [device, on] : state["delete_on_termination"].items()) {
        if (on.get<bool>()) plan.changes.push_back(fmt::format("keep the volume at {} of {} when it terminates", device, id));
      }
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    const Json target = protected_state(observed);
    std::vector<engine::AwsCall> calls;
    for (const auto& [id, state] : observed.items()) {
      for (auto& call : calls_to(id, state, target[id])) calls.push_back(std::move(call));
    }
    // One attribute per call (AWS allows no more); all instances' calls go out together.
    for_each_parallel(calls.size(), [&](size_t i) { ctx.call("ec2", calls[i].operation, calls[i].input); }, kMaxConcurrentCalls);
    return target;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& [id, state] : after.items()) {
      if (before.contains(id)) {
        for (auto& call : calls_to(id, state, before[id])) calls.push_back(std::move(call));
      }
    }
    return calls;
  }

 private:
  static Json protected_state(const Json& observed) {
    Json out = observed;
    for (auto& [id, state] : out.items()) {
      state["termination"] = true;
      state["stop"] = true;
      state["shutdown"] = "stop";
      for (auto& [device, on] : state["delete_on_termination"].items()) on = false;
    }
    return out;
  }

  // The calls that take one instance from `from` to `to`.
  static std::vector<engine::AwsCall> calls_to(const std::string& id, const Json& from, const Json& to) {
    std::vector<engine::AwsCall> calls;
    auto modify = [&](Json input) {
      input["InstanceId"] = id;
      calls.push_back(aws_call("ec2", "ModifyInstanceAttribute", std::move(input)));
    };
    if (from["termination"] != to["termination"]) modify({{"DisableApiTermination", {{"Value", to["termination"]}}}});
    if (from["stop"] != to["stop"]) modify({{"DisableApiStop", {{"Value", to["stop"]}}}});
    // The Attribute/Value form: moto drops every security group on the {Value} form.
    if (from["shutdown"] != to["shutdown"] && to["shutdown"].is_string()) {
      modify({{"Attribute", "instanceInitiatedShutdownBehavior"}, {"Value", to["shutdown"]}});
    }
    Json mappings = Json::array();
    for (const auto& [device, on] : to["delete_on_termination"].items()) {
      if (from["delete_on_termination"].value(device, on.get<bool>()) != on.get<bool>()) {
        mappings.push_back({{"DeviceName", device}, {"Ebs", {{"DeleteOnTermination", on}}}});
      }
    }
    if (!mappings.empty()) modify({{"BlockDeviceMappings", mappings}});
    return calls;
  }

  std::shared_ptr<AttributeReads> attribute_reads_;
};

}  // namespace

std::unique_ptr<engine::Step> make_protect_step(const Ec2Options& options, std::shared_ptr<AttributeReads> reads) {
  return std::make_unique<ProtectStep>(options, std::move(reads));
}

}  // namespace firebreak::playbooks::ec2
