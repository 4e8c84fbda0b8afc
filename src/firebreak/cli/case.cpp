// firebreak case list | show | verify | undo | export: what firebreak did, read back from the
// tamper-evident ledger, and undone from it.
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/config.h"
#include "firebreak/engine/engine.h"
#include "firebreak/engine/report.h"

namespace firebreak::cli {
namespace {

using engine::StoreAccess;

// The configured ledger, with an AWS session only when something needs one (a DynamoDB
// ledger, or undo): reading a local case needs no credentials.
struct OpenLedger {
  engine::EngineConfig config;
  std::unique_ptr<aws::Session> session;
  std::unique_ptr<engine::SessionApi> api;
  std::unique_ptr<engine::LedgerStore> store;
};

OpenLedger open(const GlobalOptions& global, StoreAccess access, bool needs_aws) {
  OpenLedger out;
  out.config = engine::EngineConfig::load();
  if (needs_aws || out.config.ledger.starts_with("dynamodb://")) {
    out.session = std::make_unique<aws::Session>(session_options(global));
    out.api = std::make_unique<engine::SessionApi>(*out.session);
  }
  out.store = engine::open_ledger(out.config, access, out.api.get());
  return out;
}

// A subcommand's arguments; shared with its callback, which CLI11 keeps as a std::function.
struct CaseArgs {
  std::string case_id;
  std::string step;
  std::string file;
  bool apply = false;
};

struct ReadCase {
  std::vector<engine::LedgerRow> rows;
  engine::Verification verification;
};

// Throws InputError, having written nothing, for an invalid or unknown case id.
ReadCase read_case(const engine::LedgerStore& store, const std::string& case_id) {
  engine::validate_case_id(case_id);
  ReadCase out;
  out.rows = store.rows(case_id);
  if (out.rows.empty()) throw InputError(fmt::format("there is no case {} in {}", case_id, store.location()));
  auto head = store.head(case_id);
  out.verification =
      engine::verify_chain(out.rows, head ? std::optional<engine::ChainHead>(head->chain) : std::nullopt);
  return out;
}

// A case whose first row was tampered with cannot be read as a case at all.
engine::CaseView view_of(const std::string& case_id, const ReadCase& read) {
  try {
    return engine::build_case_view(read.rows);
  } catch (const InputError& e) {
    if (read.verification.intact()) throw;
    throw InputError(fmt::format("case {} cannot be read: its ledger is broken at row {}: {}", case_id,
                                 read.verification.first_break->row, read.verification.first_break->reason));
  }
}

std::string verification_line(const std::string& case_id, const engine::Verification& v) {
  if (v.intact()) {
    return fmt::format("case {}: ledger intact: {} rows, chain verified, head sha256 {}", case_id, v.rows,
                       v.head_hash);
  }
  return fmt::format("case {}: ledger BROKEN at row {}: {}", case_id, v.first_break->row, v.first_break->reason);
}

void add_list(CLI::App& parent, const GlobalOptions& global) {
  auto* command = parent.add_subcommand("list", "List the cases in the ledger, newest first");
  command->callback([&global] {
    OpenLedger ledger = open(global, StoreAccess::ReadOnly, false);
    auto cases = ledger.store->cases();
    if (global.output == "json") {
      print_json(engine::case_list_json(cases));
    } else {
      fmt::print("{}", engine::render_case_list(cases));
    }
  });
}

void add_show(CLI::App& parent, const GlobalOptions& global, CommandResult& result) {
  auto* command = parent.add_subcommand("show", "Show a case: the incident, every step's state, the evidence");
  auto args = std::make_shared<CaseArgs>();
  command->add_option("CASE", args->case_id, "Case id")->required();
  command->callback([&global, &result, args] {
    OpenLedger ledger = open(global, StoreAccess::ReadOnly, false);
    ReadCase read = read_case(*ledger.store, args->case_id);
    engine::CaseView view = view_of(args->case_id, read);
    if (global.output == "json") {
      Json out = view.to_json();
      out["ledger"] = read.verification.to_json();
      out["ledger"]["location"] = ledger.store->location();
      print_json(out);
    } else {
      fmt::print("{}", engine::render_case(view, read.verification));
      if (global.verbose) fmt::print("rows\n{}", engine::render_rows(read.rows));
    }
    if (!read.verification.intact()) result.exit_code = kExitFailed;
  });
}

void add_verify(CLI::App& parent, const GlobalOptions& global, CommandResult& result) {
  auto* command = parent.add_subcommand(
      "verify", "Recompute the case's hash chain and evidence hashes; name the first broken row");
  auto args = std::make_shared<CaseArgs>();
  command->add_option("CASE", args->case_id, "Case id")->required();
  command->callback([&global, &result, args] {
    OpenLedger ledger = open(global, StoreAccess::ReadOnly, false);
    ReadCase read = read_case(*ledger.store, args->case_id);
    std::vector<std::string> evidence_problems;
    size_t artifacts = 0;
    if (read.verification.intact()) {
      engine::CaseView view = engine::build_case_view(read.rows);
      artifacts = view.evidence.size();
      evidence_problems = engine::check_local_evidence(view.evidence);
    }
    bool ok = read.verification.intact() && evidence_problems.empty();
    if (global.output == "json") {
      Json out = read.verification.to_json();
      out["case"] = args->case_id;
      out["location"] = ledger.store->location();
      out["evidence"] = {{"artifacts", artifacts}, {"problems", evidence_problems}};
      out["ok"] = ok;
      print_json(out);
    } else {
      fmt::print("{}\n", verification_line(args->case_id, read.verification));
      if (read.verification.intact()) {
        fmt::print("evidence: {} artifacts{}\n", artifacts,
                   evidence_problems.empty() ? ", every local copy matches its SHA-256" : "");
      }
      for (const auto& problem : evidence_problems) fmt::print("evidence PROBLEM: {}\n", problem);
    }
    if (!ok) result.exit_code = kExitFailed;
  });
}

void add_undo(CLI::App& parent, const GlobalOptions& global, CommandResult& result) {
  auto* command = parent.add_subcommand(
      "undo", "Restore what the case's steps changed, from the calls recorded when they were applied");
  auto args = std::make_shared<CaseArgs>();
  command->add_option("CASE", args->case_id, "Case id")->required();
  command->add_option("--step", args->step, "Undo only this step (its name, as `case show` lists it)");
  command->add_flag("--apply", args->apply, "Make the changes; without it, show what would be called");
  command->callback([&global, &result, args] {
    engine::validate_case_id(args->case_id);
    OpenLedger ledger = open(global, StoreAccess::ReadWrite, true);
    engine::EvidenceStore evidence = engine::open_evidence(ledger.config, "", ledger.api.get());
    engine::TerminalReporter live(stderr, isatty(fileno(stderr)) == 1);
    engine::Engine engine(*ledger.api, *ledger.store, evidence, live);
    engine::RunResult run = engine.undo(args->case_id, args->step, args->apply);
    if (global.output == "json") {
      print_json(run.to_json());
    } else {
      fmt::print("{}", engine::render_run(run));
    }
    if (!run.ok()) result.exit_code = kExitFailed;
  });
}

void add_export(CLI::App& parent, const GlobalOptions& global, CommandResult& result) {
  auto* command = parent.add_subcommand(
      "export", "Write the whole case as JSON: the case, every ledger row with its hashes, the verification");
  auto args = std::make_shared<CaseArgs>();
  command->add_option("CASE", args->case_id, "Case id")->required();
  command->add_option("-o,--out", args->file, "Write to this file instead of standard output");
  command->callback([&global, &result, args] {
    OpenLedger ledger = open(global, StoreAccess::ReadOnly, false);
    ReadCase read = read_case(*ledger.store, args->case_id);
    Json rows = Json::array();
    for (const auto& row : read.rows) rows.push_back(row.to_json());
    Json out{{"format", "firebreak-case-export"}, {"version", 1}, {"location", ledger.store->location()}};
    // A broken ledger is exported all the same: it is evidence too.
    if (read.verification.intact()) out["case"] = engine::build_case_view(read.rows).to_json();
    out["verification"] = read.verification.to_json();
    out["rows"] = rows;
    if (args->file.empty()) {
      print_json(out);
    } else {
      std::ofstream stream(args->file, std::ios::trunc);
      stream << out.dump(2, ' ', false, Json::error_handler_t::replace) << '\n';
      if (!stream) throw InputError(fmt::format("cannot write {}", args->file));
      fmt::print(stderr, "{}\nexported {} rows to {}\n", verification_line(args->case_id, read.verification),
                 read.rows.size(), args->file);
    }
    if (!read.verification.intact()) result.exit_code = kExitFailed;
  });
}

}  // namespace

void add_case_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* command = app.add_subcommand("case", "Cases: list, show, verify, undo and export what firebreak did");
  command->require_subcommand(1);
  add_list(*command, global);
  add_show(*command, global, result);
  add_verify(*command, global, result);
  add_undo(*command, global, result);
  add_export(*command, global, result);
}

}  // namespace firebreak::cli
