#pragma once
// A step of a playbook: one line responders know ("Enable termination protection"), what it
// reads and what it changes, and how to observe, plan, apply and undo it. Steps reach AWS only
// through their StepContext, which enforces the declared operations (the least-privilege
// policy is printed from them) and records every change in the case ledger.
#include <compare>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::engine {

class StepContext;

// An AWS operation as firebreak's client names it: {"ec2", "ModifyInstanceAttribute"}.
struct AwsOperation {
  std::string service;
  std::string operation;

  std::string to_string() const { return service + ":" + operation; }
  auto operator<=>(const AwsOperation&) const = default;
};

// One AWS call, kept so it can be replayed: a step's undo is stored as these.
struct AwsCall {
  std::string service;
  std::string region;
  std::string operation;
  Json input = Json::object();
  // Error codes that mean the state is restored already (e.g. NoSuchEntity when deleting a
  // policy that is gone), so that undo can be run again after a partial failure.
  std::vector<std::string> ok_errors;

  std::string to_string() const;
  Json to_json() const;
  // Throws InputError when the value is not a recorded call.
  static AwsCall from_json(const Json& value);
};

struct StepSpec {
  std::string name;  // unique in its playbook and stable across versions: "termination-protection"
  std::string line;  // the playbook line it implements: "Enable termination protection"
  std::vector<std::string> depends_on;
  // Steps that must have finished first, whatever their outcome: an order, not a need (one
  // that failed does not skip this step). Undo runs in the reverse order of applying.
  std::vector<std::string> after;
  std::vector<AwsOperation> reads;    // what observe and apply may call
  std::vector<AwsOperation> changes;  // what only apply (and the recorded undo) may call
  bool reversible = false;            // undo() returns the calls that restore the state before
  // A human decision the responder gives as a flag (e.g. "delete-old"); without it the step
  // is skipped. Empty when the step needs none.
  std::string decision;

  bool changes_state() const { return !changes.empty(); }
  // Every step that must have finished first: depends_on, then after.
  std::vector<std::string> waits_for() const {
    std::vector<std::string> out = depends_on;
    out.insert(out.end(), after.begin(), after.end());
    return out;
  }
};

// What apply would do to the observed state, one line per change. No changes: already done.
struct Plan {
  std::vector<std::string> changes;

  bool already_done() const { return changes.empty(); }
};

enum class StepState { Planned, Running, Done, AlreadyDone, Failed, Skipped, Undone };

std::string_view to_string(StepState state);

class Step {
 public:
  virtual ~Step() = default;

  virtual const StepSpec& spec() const = 0;
  // Reads the current state (only `reads` operations). Recorded as the state before.
  virtual Json observe(StepContext& ctx) const = 0;
  // What apply would change in the observed state. Makes no calls, so dry-run and apply agree.
  virtual Plan plan(const Json& observed) const = 0;
  // Makes the changes and returns the state after. Must be idempotent: after a crash it runs
  // again on a half-changed world, and must find what it made before (by tag, client token).
  virtual Json apply(StepContext& ctx, const Json& observed) const = 0;
  // The calls (all among `changes`) that restore `before` once apply produced `after`. They
  // are stored in the case when apply succeeds, so any firebreak on any machine (or the
  // Lambda responder's case, read from DynamoDB) can undo the case from its ledger alone.
  virtual std::vector<AwsCall> undo(const Json& before, const Json& after) const { return {}; }
};

}  // namespace firebreak::engine
