#pragma once
// The base of a playbook's steps: the step's spec and the playbook's options, which every step
// of one playbook reads.
#include <string>
#include <vector>

#include "firebreak/engine/step.h"

namespace firebreak::playbooks {

template <typename Options>
class PlaybookStep : public engine::Step {
 public:
  const engine::StepSpec& spec() const override { return spec_; }

 protected:
  PlaybookStep(const Options& options, std::string name, std::string line, std::vector<std::string> depends_on)
      : options_(options) {
    spec_.name = std::move(name);
    spec_.line = std::move(line);
    spec_.depends_on = std::move(depends_on);
  }

  Options options_;
  engine::StepSpec spec_;
};

}  // namespace firebreak::playbooks
