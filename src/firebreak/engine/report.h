#pragma once
// What a run tells the responder: a live view while it runs (which step, what it is doing, a
// progress line for long waits), then a summary table, or JSON for machines.
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/case.h"
#include "firebreak/engine/evidence.h"
#include "firebreak/engine/ledger_store.h"
#include "firebreak/engine/step.h"

namespace firebreak::engine {

struct StepOutcome {
  std::string name;
  std::string line;
  StepState state = StepState::Skipped;
  std::vector<std::string> changes;  // planned, made, or (for undo) the restoring calls
  std::string detail;                // why skipped, why failed, "resumed", "done in an earlier run"
  Json error;                        // {"code", "message", "request_id", "http_status", "operation"}
  std::vector<EvidenceRecord> evidence;
  double seconds = 0;

  Json to_json() const;
};

enum class RunMode { Plan, Apply, UndoPlan, Undo };
std::string_view to_string(RunMode mode);

struct RunResult {
  CaseInfo info;
  RunMode mode = RunMode::Plan;
  bool created = false;  // the case was opened by this run
  std::string ledger;    // the store's location
  std::vector<StepOutcome> steps;

  // No step failed.
  bool ok() const;
  Json to_json() const;
};

// Told what happens as it happens, from many worker threads at once.
class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual void case_opened(const CaseInfo& info, bool created, RunMode mode) {}
  virtual void step_activity(const StepSpec& step, std::string_view activity) {}
  virtual void step_progress(const StepSpec& step, std::string_view text) {}
  virtual void step_finished(const StepOutcome& outcome) {}
};

// The live view on a terminal (or a log: without a terminal, one line per event and no
// rewritten progress line).
class TerminalReporter : public Reporter {
 public:
  TerminalReporter(std::FILE* out, bool interactive);

  void case_opened(const CaseInfo& info, bool created, RunMode mode) override;
  void step_activity(const StepSpec& step, std::string_view activity) override;
  void step_progress(const StepSpec& step, std::string_view text) override;
  void step_finished(const StepOutcome& outcome) override;

 private:
  void clear_progress_line();

  std::FILE* out_;
  bool interactive_;
  std::mutex mutex_;
  bool progress_shown_ = false;
  std::map<std::string, std::string> last_progress_;  // per step, to print only changes
};

// The final table: one row per step with its line, state and what changed or why not.
std::string render_run(const RunResult& result);
// `case show`: the case, its steps and its evidence.
std::string render_case(const CaseView& view, const Verification& verification);
// Every row, one line each (`case show -v`).
std::string render_rows(const std::vector<LedgerRow>& rows);
// `case list`.
std::string render_case_list(const std::vector<CaseHead>& cases);
Json case_list_json(const std::vector<CaseHead>& cases);

}  // namespace firebreak::engine
