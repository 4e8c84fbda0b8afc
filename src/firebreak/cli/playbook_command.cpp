#include "firebreak/cli/playbook_command.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/config.h"
#include "firebreak/engine/engine.h"
#include "firebreak/engine/report.h"

namespace firebreak::cli {

void add_playbook_options(CLI::App& command, PlaybookOptions& options) {
  command.add_option("--case", options.case_id, "Case id: resumes the case, or creates it with this id");
  command.add_flag("--apply", options.apply, "Make the changes (without it firebreak only shows the plan)");
  command.add_option("--evidence", options.evidence, "Also upload evidence to s3://bucket/prefix");
}

void add_decision_flag(CLI::App& command, PlaybookOptions& options, const std::string& decision,
                       const std::string& description) {
  command.add_flag_callback("--" + decision, [&options, decision] { options.decisions.insert(decision); },
                            description);
}

int run_playbook(const GlobalOptions& global, aws::Session& session, const engine::Playbook& playbook,
                 const engine::Incident& incident, const PlaybookOptions& options) {
  engine::SessionApi api(session);
  const engine::EngineConfig config = engine::EngineConfig::load();
  auto store = engine::open_ledger(config, engine::StoreAccess::ReadWrite, &api);
  const engine::EvidenceStore evidence = engine::open_evidence(config, options.evidence, &api);
  engine::TerminalReporter live(stderr, isatty(STDERR_FILENO) != 0);
  engine::Engine runner(api, *store, evidence, live);
  engine::RunOptions run_options;
  run_options.apply = options.apply;
  run_options.decisions = options.decisions;
  engine::Incident answered = incident;
  if (global.finding != nullptr) {
    answered.finding_id = global.finding->finding_id;
    answered.finding = global.finding->raw;
  }
  const engine::RunResult result = runner.run(playbook, answered, options.case_id, run_options);
  if (global.output == "json") {
    Json out = result.to_json();
    if (global.finding != nullptr) out["finding"] = findings::to_json(*global.finding, false);
    print_json(out);
  } else {
    fmt::print("{}", engine::render_run(result));
  }
  return result.ok() ? kExitOk : kExitFailed;
}

}  // namespace firebreak::cli
