#pragma once
// The engine: runs a playbook's steps against a case (plan by default, apply on request),
// resumes a case where it stopped, and undoes it from the ledger.
//
//   SessionApi api(session);
//   auto store = open_ledger(config, StoreAccess::ReadWrite, &api);
//   EvidenceStore evidence = open_evidence(config, evidence_flag, &api);
//   TerminalReporter live(stderr, isatty(2));
//   Engine engine(api, *store, evidence, live);
//   RunResult result = engine.run(playbook, incident, case_flag, {.apply = apply_flag});
//   fmt::print("{}", render_run(result));   // or result.to_json()
//   return result.ok() ? 0 : 1;
#include <cstddef>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/case.h"
#include "firebreak/engine/evidence.h"
#include "firebreak/engine/ledger_store.h"
#include "firebreak/engine/playbook.h"
#include "firebreak/engine/report.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::engine {

inline constexpr size_t kDefaultParallelism = 8;

struct RunOptions {
  bool apply = false;                // without it nothing changes: steps observe and plan
  std::set<std::string> decisions;   // human decisions given as flags: {"delete-old"}
  size_t parallelism = kDefaultParallelism;  // steps running at the same time
};

class Engine {
 public:
  Engine(AwsApi& api, LedgerStore& store, const EvidenceStore& evidence, Reporter& reporter);

  // The responder: STS GetCallerIdentity of the credentials in use. Throws what the client
  // throws (ConfigError without credentials).
  Actor whoami();

  // Runs the playbook for the incident in case `case_id` (empty: a new id is generated),
  // creating the case or resuming it. Steps run in dependency order, independent ones at the
  // same time; a failed step only stops the steps that depend on it. Steps verified done in
  // an earlier run are not repeated. Throws InputError, before writing anything, when the
  // case id is invalid or the case exists with a broken ledger, another playbook, incident,
  // account or region. Throws Error when the ledger cannot be written.
  RunResult run(const Playbook& playbook, const Incident& incident, std::string case_id,
                const RunOptions& options);

  // Restores what the case's done steps changed (only `step` when not empty), latest first,
  // by replaying the calls recorded when they were applied. Without apply, says what it would
  // call. Throws InputError, writing nothing, for an unknown case or step, a step that is not
  // done or cannot be undone, a broken ledger, or credentials of another account or region.
  RunResult undo(const std::string& case_id, const std::string& step, bool apply);

 private:
  // Saves the finding the run answers as the case's evidence (once per content).
  void keep_finding(const CaseInfo& info, CaseLog& log, const Json& finding);
  CaseView open_existing(const std::string& case_id, const std::vector<LedgerRow>& rows, const Actor& actor,
                         const std::string& region);
  // One step, start to finish; its failures are its outcome, never an exception (only a
  // ledger that cannot be written escapes).
  StepOutcome run_step(const Step& step, const StepRecord& prior,
                       const std::vector<std::pair<std::string, StepState>>& dependencies,
                       const CaseInfo& info, CaseLog& log, const RunOptions& options);

  AwsApi& api_;
  LedgerStore& store_;
  const EvidenceStore& evidence_;
  Reporter& reporter_;
};

}  // namespace firebreak::engine
