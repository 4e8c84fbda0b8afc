#include "firebreak/engine/case.h"

#include <algorithm>
#include <array>
#include <utility>

#include <fmt/format.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::engine {
namespace {

constexpr size_t kMaxCaseIdLength = 64;

constexpr std::array<std::pair<StepState, std::string_view>, 7> kStateNames = {{
    {StepState::Planned, "planned"},
    {StepState::Running, "running"},
    {StepState::Done, "done"},
    {StepState::AlreadyDone, "already-done"},
    {StepState::Failed, "failed"},
    {StepState::Skipped, "skipped"},
    {StepState::Undone, "undone"},
}};

std::string text_at(const Json& value, const char* key) {
  auto it = value.find(key);
  return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::vector<std::string> texts_at(const Json& value, const char* key) {
  std::vector<std::string> out;
  auto it = value.find(key);
  if (it == value.end() || !it->is_array()) return out;
  for (const auto& item : *it) {
    if (item.is_string()) out.push_back(item.get<std::string>());
  }
  return out;
}

StepRecord& record_for(std::vector<StepRecord>& steps, const std::string& name) {
  auto it = std::find_if(steps.begin(), steps.end(), [&](const StepRecord& s) { return s.name == name; });
  if (it != steps.end()) return *it;
  StepRecord record;
  record.name = name;
  steps.push_back(std::move(record));
  return steps.back();
}

bool is_done(const std::optional<StepState>& state) {
  return state == StepState::Done || state == StepState::AlreadyDone;
}

// Folds one row into its step. Lifecycle rows (apply, done, undone) always count; outcome rows
// of later runs that did not act (skipped, failed, planned) never hide that a step is done.
void fold_step_row(StepRecord& step, const LedgerRow& row) {
  const LedgerEntry& e = row.entry;
  switch (e.action) {
    case RowAction::Planned:
      step.planned = texts_at(e.result, "changes");
      if (!step.state || step.state == StepState::Planned || step.state == StepState::Skipped) {
        step.state = StepState::Planned;
      }
      break;
    case RowAction::ApplyStarted:
      step.state = StepState::Running;
      step.planned = texts_at(e.result, "changes");
      if (step.original_before.is_null()) step.original_before = e.before;
      break;
    case RowAction::Applied: {
      step.state = StepState::Done;
      step.after = e.after;
      step.applied_row = row.seq;
      step.undo.clear();
      if (e.result.is_object() && e.result.contains("undo")) {
        for (const auto& call : e.result["undo"]) step.undo.push_back(AwsCall::from_json(call));
      }
      step.detail.clear();
      step.error = nullptr;
      break;
    }
    case RowAction::AlreadyDone:
      if (!is_done(step.state)) step.state = StepState::AlreadyDone;
      step.detail.clear();
      step.error = nullptr;
      break;
    case RowAction::Failed:
      if (!is_done(step.state)) step.state = StepState::Failed;
      step.detail = e.error.is_object() ? e.error.value("message", "") : std::string();
      step.error = e.error;
      break;
    case RowAction::Skipped:
      if (!is_done(step.state) && step.state != StepState::Running) step.state = StepState::Skipped;
      step.detail = text_at(e.result, "reason");
      break;
    case RowAction::Undone:
      step.state = StepState::Undone;
      step.original_before = nullptr;
      step.undo.clear();
      step.applied_row = 0;
      step.detail.clear();
      break;
    case RowAction::UndoFailed:
      step.detail = e.error.is_object() ? e.error.value("message", "") : std::string();
      step.error = e.error;
      break;
    default:
      break;
  }
}

}  // namespace

std::string_view to_string(StepState state) {
  for (const auto& [value, name] : kStateNames) {
    if (value == state) return name;
  }
  return "planned";
}

std::string AwsCall::to_string() const {
  return fmt::format("{}:{} {} in {}", service, operation, input.dump(-1, ' ', false, Json::error_handler_t::replace),
                     region);
}

Json AwsCall::to_json() const {
  Json out{{"service", service}, {"region", region}, {"operation", operation}, {"input", input}};
  if (!ok_errors.empty()) out["ok_errors"] = ok_errors;
  return out;
}

AwsCall AwsCall::from_json(const Json& value) {
  if (!value.is_object() || !value.contains("input")) throw InputError("a recorded AWS call is malformed");
  AwsCall call;
  call.service = text_at(value, "service");
  call.region = text_at(value, "region");
  call.operation = text_at(value, "operation");
  call.input = value["input"];
  call.ok_errors = texts_at(value, "ok_errors");
  if (call.service.empty() || call.operation.empty()) throw InputError("a recorded AWS call names no operation");
  return call;
}

Json Incident::to_json() const {
  return Json{{"finding_id", finding_id},
              {"resources", resources},
              {"principal", principal},
              {"account", account},
              {"region", region}};
}

Incident Incident::from_json(const Json& value) {
  Incident incident;
  incident.finding_id = text_at(value, "finding_id");
  incident.resources = texts_at(value, "resources");
  incident.principal = text_at(value, "principal");
  incident.account = text_at(value, "account");
  incident.region = text_at(value, "region");
  return incident;
}

Json Actor::to_json() const { return Json{{"arn", arn}, {"account", account}, {"user_id", user_id}}; }

Actor Actor::from_json(const Json& value) {
  return Actor{text_at(value, "arn"), text_at(value, "account"), text_at(value, "user_id")};
}

Json CaseInfo::to_json() const {
  return Json{{"id", id},
              {"playbook", playbook},
              {"incident", incident.to_json()},
              {"opened_by", opened_by.to_json()},
              {"account", account},
              {"region", region},
              {"created", created}};
}

CaseInfo CaseInfo::from_json(const Json& value) {
  CaseInfo info;
  info.id = text_at(value, "id");
  info.playbook = text_at(value, "playbook");
  if (value.contains("incident")) info.incident = Incident::from_json(value["incident"]);
  if (value.contains("opened_by")) info.opened_by = Actor::from_json(value["opened_by"]);
  info.account = text_at(value, "account");
  info.region = text_at(value, "region");
  info.created = text_at(value, "created");
  return info;
}

void validate_case_id(std::string_view id) {
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); };
  bool ok = !id.empty() && id.size() <= kMaxCaseIdLength && alnum(id.front());
  for (char c : id) ok = ok && (alnum(c) || c == '.' || c == '_' || c == '-');
  if (!ok) {
    throw InputError(fmt::format("\"{}\" is not a valid case id: use letters, digits, '.', '_' and '-', "
                                 "at most {}, starting with a letter or digit", id, kMaxCaseIdLength));
  }
}

std::string generate_case_id() {
  std::string date = format_amz_date(Clock::now()).substr(0, 8);
  return fmt::format("fb-{}-{}", date, to_hex(random_bytes(4)));
}

const StepRecord* CaseView::find_step(std::string_view name) const {
  for (const auto& step : steps) {
    if (step.name == name) return &step;
  }
  return nullptr;
}

Json CaseView::to_json() const {
  Json out = info.to_json();
  out["rows"] = rows;
  out["runs"] = runs;
  Json step_list = Json::array();
  for (const auto& step : steps) {
    Json item{{"name", step.name},
              {"line", step.line},
              {"state", step.state ? std::string(to_string(*step.state)) : std::string("not-run")},
              {"reversible", step.reversible}};
    if (!step.planned.empty()) item["changes"] = step.planned;
    if (!step.detail.empty()) item["detail"] = step.detail;
    if (!step.error.is_null()) item["error"] = step.error;
    if (!step.original_before.is_null()) item["before"] = step.original_before;
    if (!step.after.is_null()) item["after"] = step.after;
    if (!step.undo.empty()) {
      Json calls = Json::array();
      for (const auto& call : step.undo) calls.push_back(call.to_json());
      item["undo"] = calls;
    }
    step_list.push_back(std::move(item));
  }
  out["steps"] = step_list;
  Json artifacts = Json::array();
  for (const auto& record : evidence) artifacts.push_back(record.to_json());
  out["evidence"] = artifacts;
  return out;
}

CaseView build_case_view(const std::vector<LedgerRow>& rows) {
  if (rows.empty() || rows.front().entry.action != RowAction::CaseOpened) {
    throw InputError("the ledger does not start with the opening of a case");
  }
  CaseView view;
  view.info = CaseInfo::from_json(rows.front().entry.result);
  view.rows = rows.size();
  for (const auto& row : rows) {
    const LedgerEntry& e = row.entry;
    if (e.action == RowAction::RunStarted) {
      ++view.runs;
      if (e.result.is_object() && e.result.contains("steps")) {
        for (const auto& described : e.result["steps"]) {
          StepRecord& step = record_for(view.steps, text_at(described, "name"));
          step.line = text_at(described, "line");
          step.depends_on = texts_at(described, "depends_on");
          step.changes_state = described.value("changes_state", false);
          step.reversible = described.value("reversible", false);
        }
      }
      continue;
    }
    if (e.action == RowAction::Evidence) {
      view.evidence.push_back(EvidenceRecord::from_json(e.result));
      continue;
    }
    if (e.step.empty()) continue;
    fold_step_row(record_for(view.steps, e.step), row);
  }
  return view;
}

}  // namespace firebreak::engine
