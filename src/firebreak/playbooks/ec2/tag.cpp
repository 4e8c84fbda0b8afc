// Step 8: tag the instances with the case, its status, the responder and the time, so that
// anyone looking at them in the console knows they are evidence.
#include <fmt/format.h>

#include "firebreak/playbooks/ec2/steps.h"

namespace firebreak::playbooks::ec2 {
namespace {

class TagStep : public Ec2Step {
 public:
  explicit TagStep(const Ec2Options& options)
      : Ec2Step(options, "tag-instance", "Tag the EC2 instance", {"capture-metadata"}) {
    spec_.reads = {{"ec2", "DescribeTags"}};
    spec_.changes = {{"ec2", "CreateTags"}};
  }

  // {"wanted": [tags], "instances": {id: {key: value}}} (only the keys the step sets)
  Json observe(engine::StepContext& ctx) const override {
    const Json wanted = case_tags(ctx);
    Json keys = Json::array();
    for (const auto& tag : wanted) keys.push_back(tag["Key"]);
    Json out = ctx.paginate_all("ec2", "DescribeTags",
                                {{"Filters", {filter("resource-id", options_.instance_ids), filter("key", keys)}}});
    Json instances = Json::object();
    for (const auto& id : options_.instance_ids) instances[id] = Json::object();
    for (const auto& tag : out["Tags"]) {
      instances[tag["ResourceId"].get<std::string>()][tag["Key"].get<std::string>()] = tag["Value"];
    }
    return {{"wanted", wanted}, {"instances", instances}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& id : untagged(observed)) {
      plan.changes.push_back(fmt::format("tag {} with the case, status, responder and time", id));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    ctx.call("ec2", "CreateTags", {{"Resources", untagged(observed)}, {"Tags", observed["wanted"]}});
    Json after = observed;
    for (auto& [id, tags] : after["instances"].items()) {
      for (const auto& tag : observed["wanted"]) tags[tag["Key"].get<std::string>()] = tag["Value"];
    }
    return after;
  }

 private:
  static std::vector<std::string> untagged(const Json& observed) {
    std::vector<std::string> ids;
    for (const auto& [id, tags] : observed["instances"].items()) {
      for (const auto& tag : observed["wanted"]) {
        if (tags.value(tag["Key"].get<std::string>(), Json()) != tag["Value"]) {
          ids.push_back(id);
          break;
        }
      }
    }
    return ids;
  }
};

}  // namespace

std::unique_ptr<engine::Step> make_tag_step(const Ec2Options& options) {
  return std::make_unique<TagStep>(options);
}

}  // namespace firebreak::playbooks::ec2
