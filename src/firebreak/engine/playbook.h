#pragma once
// A playbook: a name and its steps in the order responders expect them. Dependencies decide
// what may run at the same time; the order decides what starts first when several may.
#include <memory>
#include <string>
#include <vector>

#include "firebreak/engine/step.h"

namespace firebreak::engine {

class Playbook {
 public:
  // Throws std::logic_error (a programmer's mistake, not the responder's) for a duplicate or
  // invalid step name, an unknown or later-listed dependency, an undo without changes, or a
  // forbidden operation.
  Playbook(std::string name, std::vector<std::unique_ptr<Step>> steps);

  const std::string& name() const { return name_; }
  const std::vector<std::unique_ptr<Step>>& steps() const { return steps_; }
  // Position of the named step, or -1.
  int index_of(std::string_view step_name) const;
  // Every operation any step may call, sorted and unique: the playbook's least privilege.
  std::vector<AwsOperation> operations() const;
  // The steps as the ledger records them at the start of a run.
  Json describe() const;

 private:
  std::string name_;
  std::vector<std::unique_ptr<Step>> steps_;
};

}  // namespace firebreak::engine
