#include "firebreak/engine/playbook.h"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/engine/evidence.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::engine {

Playbook::Playbook(std::string name, std::vector<std::unique_ptr<Step>> steps)
    : name_(std::move(name)), steps_(std::move(steps)) {
  std::set<std::string> seen;
  for (const auto& step : steps_) {
    const StepSpec& spec = step->spec();
    try {
      validate_artifact_name(spec.name);
    } catch (const InputError& e) {
      throw std::logic_error(fmt::format("playbook {}: {}", name_, e.what()));
    }
    if (spec.line.empty()) throw std::logic_error(fmt::format("playbook {}: step {} has no line", name_, spec.name));
    // Requiring dependencies to be listed first rules out cycles and keeps the written order
    // a valid order.
    for (const auto& earlier : spec.waits_for()) {
      if (!seen.contains(earlier)) {
        throw std::logic_error(fmt::format("playbook {}: step {} depends on {}, which is not listed before it",
                                           name_, spec.name, earlier));
      }
    }
    if (!seen.insert(spec.name).second) {
      throw std::logic_error(fmt::format("playbook {}: two steps named {}", name_, spec.name));
    }
    if (spec.reversible && !spec.changes_state()) {
      throw std::logic_error(fmt::format("playbook {}: step {} is reversible but changes nothing", name_, spec.name));
    }
    for (const auto& op : spec.changes) {
      if (is_forbidden_operation(op.service, op.operation)) {
        throw std::logic_error(fmt::format("playbook {}: step {} declares {}, which firebreak never calls", name_,
                                           spec.name, op.to_string()));
      }
    }
  }
}

int Playbook::index_of(std::string_view step_name) const {
  for (size_t i = 0; i < steps_.size(); ++i) {
    if (steps_[i]->spec().name == step_name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<AwsOperation> Playbook::operations() const {
  std::set<AwsOperation> all;
  for (const auto& step : steps_) {
    all.insert(step->spec().reads.begin(), step->spec().reads.end());
    all.insert(step->spec().changes.begin(), step->spec().changes.end());
  }
  return {all.begin(), all.end()};
}

Json Playbook::describe() const {
  Json steps = Json::array();
  for (const auto& step : steps_) {
    const StepSpec& spec = step->spec();
    steps.push_back({{"name", spec.name},
                     {"line", spec.line},
                     {"depends_on", spec.depends_on},
                     {"changes_state", spec.changes_state()},
                     {"reversible", spec.reversible},
                     {"decision", spec.decision}});
  }
  return steps;
}

}  // namespace firebreak::engine
