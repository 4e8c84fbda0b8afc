#include "firebreak/engine/engine.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/engine/redact.h"

namespace firebreak::engine {
namespace {

using Dependencies = std::vector<std::pair<std::string, StepState>>;
using RunOne = std::function<StepOutcome(size_t index, const Dependencies& dependencies)>;

// Runs every step once, each when all it depends on has finished, at most `parallelism` at a
// time, earliest-listed first among the ready. Returns outcomes in playbook order. An
// exception escaping run_one (the ledger could not be written) stops new steps from starting
// and is rethrown once the running ones finish.
std::vector<StepOutcome> schedule(const Playbook& playbook, size_t parallelism, const RunOne& run_one) {
  const auto& steps = playbook.steps();
  const size_t count = steps.size();
  std::vector<std::vector<size_t>> dependents(count);
  std::vector<size_t> waiting(count, 0);
  std::set<size_t> ready;
  for (size_t i = 0; i < count; ++i) {
    for (const auto& earlier : steps[i]->spec().waits_for()) {
      dependents[static_cast<size_t>(playbook.index_of(earlier))].push_back(i);
      ++waiting[i];
    }
    if (waiting[i] == 0) ready.insert(i);
  }

  std::vector<StepOutcome> outcomes(count);
  std::mutex mutex;
  std::condition_variable changed;
  size_t finished = 0;
  std::exception_ptr fatal;

  auto worker = [&] {
    std::unique_lock lock(mutex);
    while (true) {
      changed.wait(lock, [&] { return !ready.empty() || finished == count || fatal; });
      if (fatal || ready.empty()) return;
      size_t index = *ready.begin();
      ready.erase(ready.begin());
      Dependencies dependencies;
      for (const auto& name : steps[index]->spec().depends_on) {
        dependencies.emplace_back(name, outcomes[static_cast<size_t>(playbook.index_of(name))].state);
      }
      lock.unlock();
      StepOutcome outcome;
      std::exception_ptr failure;
      try {
        outcome = run_one(index, dependencies);
      } catch (...) {
        failure = std::current_exception();
      }
      lock.lock();
      if (failure) {
        if (!fatal) fatal = failure;
        changed.notify_all();
        return;
      }
      outcomes[index] = std::move(outcome);
      ++finished;
      for (size_t dependent : dependents[index]) {
        if (--waiting[dependent] == 0) ready.insert(dependent);
      }
      changed.notify_all();
    }
  };

  {
    std::vector<std::jthread> workers;
    for (size_t i = 0; i < std::min(parallelism, count); ++i) workers.emplace_back(worker);
  }
  if (fatal) std::rethrow_exception(fatal);
  return outcomes;
}

bool satisfies(StepState state, bool apply) {
  return state == StepState::Done || state == StepState::AlreadyDone || (!apply && state == StepState::Planned);
}

bool is_done(const std::optional<StepState>& state) {
  return state == StepState::Done || state == StepState::AlreadyDone;
}

LedgerEntry entry_for(const std::string& step, RowAction action) {
  LedgerEntry entry;
  entry.step = step;
  entry.action = action;
  return entry;
}

Json calls_json(const std::vector<AwsCall>& calls) {
  Json out = Json::array();
  for (const auto& call : calls) out.push_back(call.to_json());
  return out;
}

// Undo calls are stored in the ledger and replayed without the step: they must be among the
// step's declared changes and must hold nothing that redaction would remove.
std::vector<AwsCall> checked_undo(const StepSpec& spec, std::vector<AwsCall> calls, const std::string& region) {
  for (auto& call : calls) {
    if (call.region.empty()) call.region = region;
    bool declared = std::any_of(spec.changes.begin(), spec.changes.end(), [&](const AwsOperation& op) {
      return op.service == call.service && op.operation == call.operation;
    });
    if (!declared) {
      throw std::logic_error(fmt::format("step {} would undo with {}:{}, which it does not declare", spec.name,
                                         call.service, call.operation));
    }
    if (redact_call(call.service, call.operation, Direction::Input, call.input) != call.input) {
      throw std::logic_error(fmt::format("step {} would store a secret in its undo call {}:{}", spec.name,
                                         call.service, call.operation));
    }
  }
  return calls;
}

std::vector<std::string> sorted(std::vector<std::string> values) {
  std::sort(values.begin(), values.end());
  return values;
}

}  // namespace

std::string_view to_string(RunMode mode) {
  switch (mode) {
    case RunMode::Plan:
      return "plan";
    case RunMode::Apply:
      return "apply";
    case RunMode::UndoPlan:
      return "undo-plan";
    case RunMode::Undo:
      return "undo";
  }
  return "plan";
}

Engine::Engine(AwsApi& api, LedgerStore& store, const EvidenceStore& evidence, Reporter& reporter)
    : api_(api), store_(store), evidence_(evidence), reporter_(reporter) {}

Actor Engine::whoami() {
  Json identity = api_.call("sts", api_.default_region(), "GetCallerIdentity", Json::object());
  return Actor{identity.value("Arn", ""), identity.value("Account", ""), identity.value("UserId", "")};
}

CaseView Engine::open_existing(const std::string& case_id, const std::vector<LedgerRow>& rows, const Actor& actor,
                               const std::string& region) {
  auto head = store_.head(case_id);
  Verification verification =
      verify_chain(rows, head ? std::optional<ChainHead>(head->chain) : std::nullopt);
  if (!verification.intact()) {
    throw InputError(fmt::format("the ledger of case {} is broken at row {}: {}; nothing was done "
                                 "(see firebreak case verify {})",
                                 case_id, verification.first_break->row, verification.first_break->reason, case_id));
  }
  CaseView view = build_case_view(rows);
  if (view.info.account != actor.account) {
    throw InputError(fmt::format("case {} belongs to account {}, but the credentials in use are for account {}",
                                 case_id, view.info.account, actor.account));
  }
  if (view.info.region != region) {
    throw InputError(fmt::format("case {} is in region {}, not {}: run it with --region {}", case_id,
                                 view.info.region, region, view.info.region));
  }
  return view;
}

RunResult Engine::run(const Playbook& playbook, const Incident& incident, std::string case_id,
                      const RunOptions& options) {
  if (case_id.empty()) {
    case_id = generate_case_id();
  } else {
    validate_case_id(case_id);
  }
  if (options.parallelism == 0) throw InputError("parallelism must be at least 1");
  const Actor actor = whoami();
  const std::string region = incident.region.empty() ? api_.default_region() : incident.region;
  const RunMode mode = options.apply ? RunMode::Apply : RunMode::Plan;

  RunResult result;
  result.mode = mode;
  result.ledger = store_.location();
  CaseView prior;
  std::vector<LedgerRow> rows = store_.rows(case_id);
  if (rows.empty()) {
    CaseInfo info{case_id, playbook.name(), incident, actor, actor.account, region, format_iso8601(Clock::now())};
    LedgerEntry first = entry_for("", RowAction::CaseOpened);
    first.time = info.created;
    first.actor = actor.arn;
    first.region = region;
    first.result = info.to_json();
    Json summary{{"playbook", info.playbook}, {"resources", incident.resources}, {"finding_id", incident.finding_id},
                 {"account", info.account},   {"region", region},              {"created", info.created},
                 {"opened_by", actor.arn}};
    if (store_.create(case_id, first, summary)) {
      result.created = true;
      prior.info = info;
    } else {
      rows = store_.rows(case_id);  // another run created it a moment ago
    }
  }
  if (!result.created) {
    prior = open_existing(case_id, rows, actor, region);
    if (prior.info.playbook != playbook.name()) {
      throw InputError(fmt::format("case {} was opened by the {} playbook, not {}", case_id, prior.info.playbook,
                                   playbook.name()));
    }
    if (sorted(prior.info.incident.resources) != sorted(incident.resources)) {
      throw InputError(fmt::format("case {} answers an incident about {}, not {}", case_id,
                                   fmt::join(prior.info.incident.resources, ", "),
                                   fmt::join(incident.resources, ", ")));
    }
  }
  result.info = prior.info;

  CaseLog log(store_, case_id, actor.arn);
  LedgerEntry started = entry_for("", RowAction::RunStarted);
  started.region = region;
  started.result = Json{{"mode", std::string(to_string(mode))},
                        {"decisions", options.decisions},
                        {"parallelism", options.parallelism},
                        {"responder", actor.to_json()},
                        {"steps", playbook.describe()}};
  log.append(std::move(started));
  reporter_.case_opened(result.info, result.created, mode);
  if (options.apply && !incident.finding.is_null()) keep_finding(result.info, log, incident.finding);

  result.steps = schedule(playbook, options.parallelism, [&](size_t index, const Dependencies& dependencies) {
    const Step& step = *playbook.steps()[index];
    const StepRecord* earlier = prior.find_step(step.spec().name);
    return run_step(step, earlier ? *earlier : StepRecord{}, dependencies, result.info, log, options);
  });

  LedgerEntry finished = entry_for("", RowAction::RunFinished);
  Json states = Json::object();
  for (const auto& outcome : result.steps) states[outcome.name] = std::string(to_string(outcome.state));
  finished.result = Json{{"mode", std::string(to_string(mode))}, {"steps", states}};
  log.append(std::move(finished));
  return result;
}

void Engine::keep_finding(const CaseInfo& info, CaseLog& log, const Json& finding) {
  static const StepSpec spec = [] {
    StepSpec finding;
    finding.name = "finding";
    finding.line = "Keep the finding as evidence";
    return finding;
  }();
  StepContext ctx(spec, info, api_, log, evidence_, reporter_);
  ctx.enter(StepContext::Phase::Apply);
  try {
    ctx.save_evidence("finding.json", finding.dump(2));
  } catch (const std::exception& e) {
    // The local copy is saved and listed; only the upload to the evidence bucket failed.
    LedgerEntry entry = entry_for("", RowAction::Note);
    entry.result = Json{{"message", fmt::format("the finding was kept locally but not uploaded: {}", e.what())}};
    log.append(std::move(entry));
  }
}

StepOutcome Engine::run_step(const Step& step, const StepRecord& prior, const Dependencies& dependencies,
                             const CaseInfo& info, CaseLog& log, const RunOptions& options) {
  const StepSpec& spec = step.spec();
  const auto started = std::chrono::steady_clock::now();
  StepOutcome out;
  out.name = spec.name;
  out.line = spec.line;
  auto finish = [&](StepState state) {
    out.state = state;
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    reporter_.step_finished(out);
    return out;
  };
  auto record = [&](RowAction action, Json result) {
    LedgerEntry entry = entry_for(spec.name, action);
    entry.result = std::move(result);
    log.append(std::move(entry));
  };

  for (const auto& [name, state] : dependencies) {
    if (!satisfies(state, options.apply)) {
      out.detail = fmt::format("depends on {}, which is {}", name, to_string(state));
      record(RowAction::Skipped, Json{{"reason", out.detail}});
      return finish(StepState::Skipped);
    }
  }
  if (!spec.decision.empty() && !options.decisions.contains(spec.decision)) {
    out.detail = fmt::format("needs the decision --{}", spec.decision);
    record(RowAction::Skipped, Json{{"reason", out.detail}});
    return finish(StepState::Skipped);
  }
  // A capture done once stays done: there is nothing in the world to check it against.
  if (is_done(prior.state) && !spec.changes_state()) {
    out.detail = "done in an earlier run";
    record(RowAction::Verified, Json{{"reason", out.detail}});
    return finish(*prior.state);
  }

  StepContext ctx(spec, info, api_, log, evidence_, reporter_);
  try {
    reporter_.step_activity(spec, "observing");
    ctx.enter(StepContext::Phase::Observe);
    const Json observed = step.observe(ctx);
    const Json observed_record = redact_by_name(observed);
    LedgerEntry observation = entry_for(spec.name, RowAction::Observed);
    observation.before = observed_record;
    log.append(std::move(observation));
    const Plan plan = step.plan(observed);
    out.changes = plan.changes;

    if (!options.apply) {
      record(RowAction::Planned, Json{{"changes", plan.changes}});
      if (!plan.already_done()) return finish(StepState::Planned);
      return finish(is_done(prior.state) ? *prior.state : StepState::AlreadyDone);
    }
    if (plan.already_done()) {
      if (is_done(prior.state)) {
        out.detail = "verified: still done";
        record(RowAction::Verified, Json{{"reason", out.detail}});
        return finish(*prior.state);
      }
      if (!prior.original_before.is_null()) {
        // An earlier run changed this and stopped before recording it done (a crash): finish
        // its record, with the state it found first, so undo restores that.
        auto undo = checked_undo(spec, spec.reversible ? step.undo(prior.original_before, observed)
                                                       : std::vector<AwsCall>{}, info.region);
        LedgerEntry applied = entry_for(spec.name, RowAction::Applied);
        applied.before = prior.original_before;
        applied.after = observed_record;
        applied.result = Json{{"undo", calls_json(undo)}, {"resumed", true}};
        log.append(std::move(applied));
        out.detail = "finished by an interrupted run";
        return finish(StepState::Done);
      }
      record(RowAction::AlreadyDone, Json{{"reason", "nothing to change"}});
      return finish(StepState::AlreadyDone);
    }

    // What undo restores is what the case found first, even when this is a second attempt.
    const Json& undo_base = prior.original_before.is_null() ? observed : prior.original_before;
    LedgerEntry apply_started = entry_for(spec.name, RowAction::ApplyStarted);
    apply_started.before = observed_record;
    apply_started.result = Json{{"changes", plan.changes}};
    log.append(std::move(apply_started));
    reporter_.step_activity(spec, "applying");
    ctx.enter(StepContext::Phase::Apply);
    const Json after = step.apply(ctx, observed);
    auto undo = checked_undo(spec, spec.reversible ? step.undo(undo_base, after) : std::vector<AwsCall>{},
                             info.region);
    LedgerEntry applied = entry_for(spec.name, RowAction::Applied);
    applied.before = redact_by_name(undo_base);
    applied.after = redact_by_name(after);
    applied.result = Json{{"undo", calls_json(undo)}};
    log.append(std::move(applied));
    out.evidence = ctx.saved_evidence();
    return finish(StepState::Done);
  } catch (const std::exception& e) {
    out.error = error_json(e);
    out.detail = e.what();
    out.evidence = ctx.saved_evidence();
    LedgerEntry failed = entry_for(spec.name, RowAction::Failed);
    failed.operation = out.error.value("operation", "");
    failed.error = out.error;
    log.append(std::move(failed));
    return finish(StepState::Failed);
  }
}

RunResult Engine::undo(const std::string& case_id, const std::string& step_name, bool apply) {
  validate_case_id(case_id);
  std::vector<LedgerRow> rows = store_.rows(case_id);
  if (rows.empty()) throw InputError(fmt::format("there is no case {} in {}", case_id, store_.location()));
  const Actor actor = whoami();
  CaseView view = open_existing(case_id, rows, actor, api_.default_region());

  std::vector<const StepRecord*> targets;
  std::vector<const StepRecord*> irreversible;
  if (!step_name.empty()) {
    const StepRecord* step = view.find_step(step_name);
    if (!step) {
      std::vector<std::string> names;
      for (const auto& s : view.steps) names.push_back(s.name);
      throw InputError(fmt::format("case {} has no step {}; its steps are: {}", case_id, step_name,
                                   fmt::join(names, ", ")));
    }
    if (step->state != StepState::Done) {
      throw InputError(fmt::format("step {} of case {} is {}: there is nothing to undo", step_name, case_id,
                                   step->state ? to_string(*step->state) : "not run"));
    }
    if (step->undo.empty()) {
      throw InputError(fmt::format("step {} of case {} cannot be undone", step_name, case_id));
    }
    targets.push_back(step);
  } else {
    for (const auto& step : view.steps) {
      if (step.state != StepState::Done) continue;
      if (!step.undo.empty()) {
        targets.push_back(&step);
      } else if (step.changes_state) {
        irreversible.push_back(&step);  // a change that stays (a snapshot): said, not hidden
      }
    }
    // Latest change first, as one unwinds a stack.
    std::sort(targets.begin(), targets.end(),
              [](const StepRecord* a, const StepRecord* b) { return a->applied_row > b->applied_row; });
  }

  RunResult result;
  result.info = view.info;
  result.mode = apply ? RunMode::Undo : RunMode::UndoPlan;
  result.ledger = store_.location();
  reporter_.case_opened(result.info, false, result.mode);
  CaseLog log(store_, case_id, actor.arn);
  for (const StepRecord* step : targets) {
    StepOutcome out;
    out.name = step->name;
    out.line = step->line;
    for (const auto& call : step->undo) {
      out.changes.push_back(call.to_string());
    }
    StepSpec spec;
    spec.name = step->name;
    spec.line = step->line;
    if (!apply) {
      out.state = StepState::Planned;
      reporter_.step_finished(out);
      result.steps.push_back(std::move(out));
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    reporter_.step_activity(spec, "undoing");
    log.append(entry_for(step->name, RowAction::UndoStarted));
    try {
      for (const auto& call : step->undo) {
        try {
          call_and_record(api_, log, step->name, call);
        } catch (const aws::AwsError& e) {
          if (std::find(call.ok_errors.begin(), call.ok_errors.end(), e.code()) == call.ok_errors.end()) throw;
        }
      }
      LedgerEntry undone = entry_for(step->name, RowAction::Undone);
      undone.before = step->after;
      undone.after = step->original_before;
      log.append(std::move(undone));
      out.state = StepState::Undone;
    } catch (const std::exception& e) {
      out.error = error_json(e);
      out.detail = e.what();
      LedgerEntry failed = entry_for(step->name, RowAction::UndoFailed);
      failed.operation = out.error.value("operation", "");
      failed.error = out.error;
      log.append(std::move(failed));
      out.state = StepState::Failed;
    }
    out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    reporter_.step_finished(out);
    result.steps.push_back(std::move(out));
  }
  for (const StepRecord* step : irreversible) {
    StepOutcome out;
    out.name = step->name;
    out.line = step->line;
    out.state = StepState::Skipped;
    out.detail = "cannot be undone";
    reporter_.step_finished(out);
    result.steps.push_back(std::move(out));
  }
  return result;
}

}  // namespace firebreak::engine
