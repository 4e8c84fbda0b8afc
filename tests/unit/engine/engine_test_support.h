#pragma once
// A fixture that gives each test its own FIREBREAK_HOME-like folder, SQLite ledger, evidence
// store, fake AWS world and recording reporter.
#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "fake_aws.h"
#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/engine/engine.h"
#include "firebreak/engine/sqlite_store.h"

namespace firebreak::engine::testing {

class RecordingReporter : public Reporter {
 public:
  void step_activity(const StepSpec& step, std::string_view activity) override {
    std::lock_guard lock(mutex_);
    events.push_back(fmt::format("{}: {}", step.name, activity));
  }
  void step_progress(const StepSpec& step, std::string_view text) override {
    std::lock_guard lock(mutex_);
    progress.push_back(fmt::format("{}: {}", step.name, text));
  }
  void step_finished(const StepOutcome& outcome) override {
    std::lock_guard lock(mutex_);
    events.push_back(fmt::format("{}: {}", outcome.name, to_string(outcome.state)));
  }
  std::vector<std::string> events;
  std::vector<std::string> progress;

 private:
  std::mutex mutex_;
};

// A step made of lambdas, for tests of ordering, failure and enforcement.
class ProbeStep : public Step {
 public:
  using Observe = std::function<Json(StepContext&)>;
  using Apply = std::function<Json(StepContext&, const Json&)>;

  ProbeStep(StepSpec spec, Apply apply, Observe observe = {}) : spec_(std::move(spec)), apply_(std::move(apply)),
                                                                observe_(std::move(observe)) {}
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override { return observe_ ? observe_(ctx) : Json{{"done", false}}; }
  Plan plan(const Json& observed) const override {
    if (observed.value("done", false)) return {};
    return {{"do " + spec_.name}};
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    return apply_ ? apply_(ctx, observed) : Json{{"done", true}};
  }

 private:
  StepSpec spec_;
  Apply apply_;
  Observe observe_;
};

inline StepSpec spec_of(std::string name, std::vector<std::string> depends_on = {}) {
  StepSpec spec;
  spec.name = name;
  spec.line = "Line of " + name;
  spec.depends_on = std::move(depends_on);
  return spec;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    home_ = std::filesystem::temp_directory_path() / ("fb-engine-" + to_hex(random_bytes(6)));
    std::filesystem::create_directories(home_);
    aws_ = std::make_unique<FakeAws>(home_ / "world.json");
    aws_->add_instance("i-1");
    store_ = std::make_unique<SqliteStore>(home_ / "ledger.db", SqliteStore::Mode::ReadWrite);
    evidence_ = std::make_unique<EvidenceStore>(home_ / "cases");
    engine_ = std::make_unique<Engine>(*aws_, *store_, *evidence_, reporter_);
  }
  void TearDown() override { std::filesystem::remove_all(home_); }

  Incident incident(std::vector<std::string> resources = {"i-1"}) {
    Incident i;
    i.resources = std::move(resources);
    return i;
  }
  RunResult run(const Playbook& playbook, const std::string& case_id, bool apply, std::set<std::string> decisions = {},
                size_t parallelism = kDefaultParallelism) {
    RunOptions options;
    options.apply = apply;
    options.decisions = std::move(decisions);
    options.parallelism = parallelism;
    return engine_->run(playbook, incident(), case_id, options);
  }
  const StepOutcome& outcome(const RunResult& result, const std::string& name) {
    for (const auto& step : result.steps) {
      if (step.name == name) return step;
    }
    throw std::runtime_error("no outcome for " + name);
  }
  CaseView view(const std::string& case_id) { return build_case_view(store_->rows(case_id)); }
  std::vector<LedgerRow> rows_of(const std::string& case_id, RowAction action, const std::string& step = {}) {
    std::vector<LedgerRow> out;
    for (auto& row : store_->rows(case_id)) {
      if (row.entry.action == action && (step.empty() || row.entry.step == step)) out.push_back(row);
    }
    return out;
  }
  bool intact(const std::string& case_id) {
    auto head = store_->head(case_id);
    return verify_chain(store_->rows(case_id), head ? std::optional<ChainHead>(head->chain) : std::nullopt).intact();
  }

  std::filesystem::path home_;
  std::unique_ptr<FakeAws> aws_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<EvidenceStore> evidence_;
  RecordingReporter reporter_;
  std::unique_ptr<Engine> engine_;
};

}  // namespace firebreak::engine::testing
