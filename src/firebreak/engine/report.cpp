#include "firebreak/engine/report.h"

#include <algorithm>

#include <fmt/format.h>

namespace firebreak::engine {
namespace {

// Columns padded to their widest cell; the last column is not padded.
class Table {
 public:
  explicit Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

  std::string render(std::string_view indent) const {
    std::vector<size_t> widths;
    for (const auto& row : rows_) {
      if (widths.size() < row.size()) widths.resize(row.size(), 0);
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    std::string out;
    for (const auto& row : rows_) {
      std::string line(indent);
      for (size_t i = 0; i < row.size(); ++i) {
        line += i + 1 == row.size() ? row[i] : fmt::format("{:<{}}  ", row[i], widths[i]);
      }
      while (!line.empty() && line.back() == ' ') line.pop_back();
      out += line + "\n";
    }
    return out;
  }

 private:
  std::vector<std::vector<std::string>> rows_;
};

std::string state_text(const std::optional<StepState>& state) {
  return state ? std::string(to_string(*state)) : std::string("not-run");
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 16); }

std::string mode_sentence(RunMode mode) {
  switch (mode) {
    case RunMode::Plan:
      return "plan only: nothing was changed (run again with --apply to make these changes)";
    case RunMode::Apply:
      return "applied";
    case RunMode::UndoPlan:
      return "undo plan only: nothing was changed (run again with --apply to undo)";
    case RunMode::Undo:
      return "undone";
  }
  return "";
}

}  // namespace

Json StepOutcome::to_json() const {
  Json out{{"name", name}, {"line", line}, {"state", std::string(to_string(state))}, {"changes", changes}};
  if (!detail.empty()) out["detail"] = detail;
  if (!error.is_null()) out["error"] = error;
  if (!evidence.empty()) {
    Json artifacts = Json::array();
    for (const auto& record : evidence) artifacts.push_back(record.to_json());
    out["evidence"] = artifacts;
  }
  out["seconds"] = seconds;
  return out;
}

bool RunResult::ok() const {
  return std::none_of(steps.begin(), steps.end(), [](const StepOutcome& s) { return s.state == StepState::Failed; });
}

Json RunResult::to_json() const {
  Json step_list = Json::array();
  for (const auto& step : steps) step_list.push_back(step.to_json());
  return Json{{"case", info.to_json()},
              {"mode", std::string(to_string(mode))},
              {"created", created},
              {"ledger", ledger},
              {"ok", ok()},
              {"steps", step_list}};
}

TerminalReporter::TerminalReporter(std::FILE* out, bool interactive) : out_(out), interactive_(interactive) {}

void TerminalReporter::clear_progress_line() {
  if (progress_shown_) {
    fmt::print(out_, "\r\033[K");
    progress_shown_ = false;
  }
}

void TerminalReporter::case_opened(const CaseInfo& info, bool created, RunMode mode) {
  std::lock_guard lock(mutex_);
  fmt::print(out_, "case {} ({}; {} playbook, account {}, region {}): {}\n", info.id,
             created ? "new" : "existing", info.playbook, info.account, info.region, to_string(mode));
  std::fflush(out_);
}

void TerminalReporter::step_activity(const StepSpec& step, std::string_view activity) {
  std::lock_guard lock(mutex_);
  clear_progress_line();
  fmt::print(out_, "  .. {}: {}\n", step.line, activity);
  std::fflush(out_);
}

void TerminalReporter::step_progress(const StepSpec& step, std::string_view text) {
  std::lock_guard lock(mutex_);
  if (interactive_) {
    fmt::print(out_, "\r\033[K     {}: {}", step.line, text);
    progress_shown_ = true;
  } else {
    auto& last = last_progress_[step.name];
    if (last == text) return;
    last = std::string(text);
    fmt::print(out_, "     {}: {}\n", step.line, text);
  }
  std::fflush(out_);
}

void TerminalReporter::step_finished(const StepOutcome& outcome) {
  std::lock_guard lock(mutex_);
  clear_progress_line();
  std::string detail = outcome.detail.empty() ? std::string() : fmt::format(" ({})", outcome.detail);
  fmt::print(out_, "  {:<12} {}{}\n", to_string(outcome.state), outcome.line, detail);
  std::fflush(out_);
}

std::string render_run(const RunResult& result) {
  std::string out = fmt::format("case {}: {}\n", result.info.id, mode_sentence(result.mode));
  Table table({"#", "STEP", "STATE", "WHAT"});
  int number = 0;
  for (const auto& step : result.steps) {
    ++number;
    std::vector<std::string> what = step.changes;
    if (!step.detail.empty()) what.insert(what.begin(), step.detail);
    if (what.empty()) what.push_back("");
    table.add({std::to_string(number), step.line, std::string(to_string(step.state)), what.front()});
    for (size_t i = 1; i < what.size(); ++i) table.add({"", "", "", what[i]});
  }
  out += table.render("  ");
  size_t evidence = 0;
  for (const auto& step : result.steps) evidence += step.evidence.size();
  out += fmt::format("ledger: {}   evidence saved: {}   {}\n", result.ledger, evidence,
                     result.ok() ? "no step failed" : "SOME STEPS FAILED");
  return out;
}

std::string render_case(const CaseView& view, const Verification& verification) {
  const CaseInfo& info = view.info;
  std::string out = fmt::format("case {}\n", info.id);
  Table header({"playbook", info.playbook});
  header.add({"resources", fmt::format("{}", fmt::join(info.incident.resources, ", "))});
  if (!info.incident.finding_id.empty()) header.add({"finding", info.incident.finding_id});
  if (!info.incident.principal.empty()) header.add({"principal", info.incident.principal});
  header.add({"account", info.account});
  header.add({"region", info.region});
  header.add({"opened", fmt::format("{} by {}", info.created, info.opened_by.arn)});
  header.add({"runs", std::to_string(view.runs)});
  header.add({"ledger", verification.intact()
                            ? fmt::format("{} rows, chain intact (head {})", verification.rows,
                                          short_hash(verification.head_hash))
                            : fmt::format("BROKEN at row {}: {}", verification.first_break->row,
                                          verification.first_break->reason)});
  out += header.render("  ");
  out += "steps\n";
  Table steps({"LINE", "NAME", "STATE", "UNDO", "DETAIL"});
  for (const auto& step : view.steps) {
    std::string undo = !step.undo.empty() ? "yes" : step.reversible ? "-" : "no";
    std::string detail = step.detail;
    if (detail.empty() && !step.planned.empty()) detail = fmt::format("{}", fmt::join(step.planned, "; "));
    steps.add({step.line, step.name, state_text(step.state), undo, detail});
  }
  out += steps.render("  ");
  if (!view.evidence.empty()) {
    out += "evidence\n";
    Table evidence({"STEP", "NAME", "SHA256", "BYTES", "WHERE"});
    for (const auto& record : view.evidence) {
      std::string where = record.path;
      if (!record.s3_uri.empty()) {
        where += fmt::format(" and {}{}", record.s3_uri,
                             record.s3_version_id.empty() ? "" : fmt::format(" (version {})", record.s3_version_id));
      }
      if (!record.upload_error.empty()) where += fmt::format(" (upload failed: {})", record.upload_error);
      evidence.add({record.step, record.name, record.sha256, std::to_string(record.size), where});
    }
    out += evidence.render("  ");
  }
  return out;
}

std::string render_rows(const std::vector<LedgerRow>& rows) {
  Table table({"ROW", "TIME", "STEP", "ACTION", "OPERATION", "RESULT"});
  for (const auto& row : rows) {
    const LedgerEntry& e = row.entry;
    std::string outcome;
    if (e.error.is_object()) {
      outcome = fmt::format("{}: {}", e.error.value("code", "error"), e.error.value("message", ""));
    } else if (e.result.is_object() && e.result.contains("reason")) {
      outcome = e.result.value("reason", "");
    } else if (e.result.is_object() && e.result.contains("request_id")) {
      outcome = fmt::format("request {}", e.result.value("request_id", ""));
    }
    table.add({std::to_string(row.seq), e.time, e.step, std::string(to_string(e.action)), e.operation, outcome});
  }
  return table.render("  ");
}

std::string render_case_list(const std::vector<CaseHead>& cases) {
  if (cases.empty()) return "no cases\n";
  Table table({"CASE", "CREATED", "PLAYBOOK", "RESOURCES", "ACCOUNT", "REGION", "ROWS"});
  for (const auto& head : cases) {
    const Json& s = head.summary;
    std::vector<std::string> resources;
    if (s.contains("resources") && s["resources"].is_array()) {
      for (const auto& r : s["resources"]) resources.push_back(r.is_string() ? r.get<std::string>() : r.dump());
    }
    table.add({head.case_id, head.created, s.value("playbook", ""), fmt::format("{}", fmt::join(resources, ",")),
               s.value("account", ""), s.value("region", ""), std::to_string(head.chain.rows)});
  }
  return table.render("");
}

Json case_list_json(const std::vector<CaseHead>& cases) {
  Json out = Json::array();
  for (const auto& head : cases) {
    Json item = head.summary.is_object() ? head.summary : Json::object();
    item["id"] = head.case_id;
    item["created"] = head.created;
    item["rows"] = head.chain.rows;
    item["head_hash"] = head.chain.hash;
    out.push_back(std::move(item));
  }
  return out;
}

}  // namespace firebreak::engine
