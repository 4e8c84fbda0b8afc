#include "firebreak/engine/engine.h"

#include <sqlite3.h>

#include <algorithm>
#include <condition_variable>
#include <map>

#include "engine_test_support.h"
#include "firebreak/base/error.h"
#include "sample_steps.h"

namespace firebreak::engine::testing {
namespace {

using namespace std::chrono_literals;

// ---- plan and apply --------------------------------------------------------------------

TEST_F(EngineTest, DryRunChangesNothingAndShowsThePlan) {
  Playbook playbook = sample_playbook({"i-1"}, {"vol-1"});
  RunResult result = run(playbook, "case-1", false);
  EXPECT_EQ(result.mode, RunMode::Plan);
  EXPECT_TRUE(result.created);
  EXPECT_EQ(aws_->count("ec2:ModifyInstanceAttribute"), 0u);
  EXPECT_EQ(aws_->count("ec2:CreateSnapshot"), 0u);
  EXPECT_FALSE(aws_->protection("i-1"));
  EXPECT_EQ(outcome(result, "termination-protection-i-1").state, StepState::Planned);
  EXPECT_EQ(outcome(result, "termination-protection-i-1").changes,
            std::vector<std::string>{"set DisableApiTermination of i-1 to true"});
  EXPECT_EQ(outcome(result, "snapshot-vol-1").state, StepState::Planned);
  EXPECT_EQ(outcome(result, "capture-i-1").state, StepState::Planned);
  EXPECT_TRUE(rows_of("case-1", RowAction::ApplyStarted).empty());
  EXPECT_EQ(rows_of("case-1", RowAction::Planned).size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(home_ / "cases"));  // no evidence either
  EXPECT_TRUE(result.ok());
}

TEST_F(EngineTest, ApplyChangesRecordsAndCanBeVerified) {
  Playbook playbook = sample_playbook({"i-1"}, {"vol-1"});
  RunResult result = run(playbook, "case-1", true);
  EXPECT_TRUE(result.ok());
  EXPECT_TRUE(aws_->protection("i-1"));
  EXPECT_EQ(aws_->snapshots_of("vol-1"), 1u);
  for (const auto& step : result.steps) EXPECT_EQ(step.state, StepState::Done) << step.name;

  auto calls = rows_of("case-1", RowAction::Call, "termination-protection-i-1");
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].entry.operation, "ec2:ModifyInstanceAttribute");
  EXPECT_EQ(calls[0].entry.region, "us-east-1");
  EXPECT_EQ(calls[0].entry.parameters["InstanceId"], "i-1");
  EXPECT_FALSE(calls[0].entry.result["request_id"].get<std::string>().empty());
  auto applied = rows_of("case-1", RowAction::Applied, "termination-protection-i-1");
  ASSERT_EQ(applied.size(), 1u);
  EXPECT_EQ(applied[0].entry.before["disable_api_termination"], false);
  EXPECT_EQ(applied[0].entry.after["disable_api_termination"], true);
  EXPECT_EQ(applied[0].entry.result["undo"][0]["operation"], "ModifyInstanceAttribute");
  EXPECT_EQ(applied[0].entry.actor, aws_->arn);

  CaseView v = view("case-1");
  EXPECT_EQ(v.info.account, "111122223333");
  EXPECT_EQ(v.info.opened_by.arn, aws_->arn);
  ASSERT_EQ(v.evidence.size(), 1u);
  EXPECT_EQ(v.evidence[0].name, "metadata.json");
  EXPECT_EQ(v.evidence[0].sha256, sha256_hex(std::string(std::istreambuf_iterator<char>(
                                      *std::make_unique<std::ifstream>(v.evidence[0].path)), {})));
  EXPECT_TRUE(check_local_evidence(v.evidence).empty());
  EXPECT_TRUE(intact("case-1"));
}

TEST_F(EngineTest, SecondApplyVerifiesAndRepeatsNothing) {
  Playbook playbook = sample_playbook({"i-1"}, {"vol-1"});
  run(playbook, "case-1", true);
  RunResult again = run(playbook, "case-1", true);
  EXPECT_FALSE(again.created);
  EXPECT_EQ(aws_->count("ec2:ModifyInstanceAttribute"), 1u);
  EXPECT_EQ(aws_->count("ec2:CreateSnapshot"), 1u);
  EXPECT_EQ(aws_->snapshots_of("vol-1"), 1u);
  for (const auto& step : again.steps) EXPECT_EQ(step.state, StepState::Done) << step.name;
  EXPECT_EQ(view("case-1").evidence.size(), 1u) << "the capture is not repeated";
  EXPECT_EQ(rows_of("case-1", RowAction::Applied).size(), 3u);
  EXPECT_EQ(view("case-1").runs, 2);
}

TEST_F(EngineTest, WorldAlreadyRightIsAlreadyDone) {
  aws_->add_instance("i-1", true);
  Playbook playbook = sample_playbook({"i-1"}, {});
  RunResult result = run(playbook, "case-1", true);
  EXPECT_EQ(outcome(result, "termination-protection-i-1").state, StepState::AlreadyDone);
  EXPECT_EQ(aws_->count("ec2:ModifyInstanceAttribute"), 0u);
  EXPECT_TRUE(view("case-1").find_step("termination-protection-i-1")->undo.empty());
}

TEST_F(EngineTest, DriftAfterApplyIsFixedAndUndoStillRestoresTheOriginal) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  run(playbook, "case-1", true);
  aws_->add_instance("i-1", false);  // someone turned it off again
  RunResult again = run(playbook, "case-1", true);
  EXPECT_EQ(outcome(again, "termination-protection-i-1").state, StepState::Done);
  EXPECT_TRUE(aws_->protection("i-1"));
  CaseView v = view("case-1");
  const StepRecord* step = v.find_step("termination-protection-i-1");
  ASSERT_EQ(step->undo.size(), 1u);
  EXPECT_EQ(step->undo[0].input["DisableApiTermination"]["Value"], false);
}

TEST_F(EngineTest, GeneratedCaseIdIsReturned) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  RunResult result = engine_->run(playbook, incident(), "", RunOptions{});
  EXPECT_TRUE(result.info.id.starts_with("fb-"));
  EXPECT_NO_THROW(validate_case_id(result.info.id));
  EXPECT_FALSE(store_->rows(result.info.id).empty());
}

// ---- order, parallelism, failure ------------------------------------------------------------

struct Timeline {
  std::mutex mutex;
  std::vector<std::string> events;
  void add(std::string event) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(event));
  }
  size_t at(const std::string& event) {
    std::lock_guard lock(mutex);
    return static_cast<size_t>(std::find(events.begin(), events.end(), event) - events.begin());
  }
};

TEST_F(EngineTest, DependentsStartAfterWhatTheyDependOnFinishes) {
  Timeline timeline;
  auto timed = [&](const std::string& name) {
    return [&, name](StepContext&, const Json&) {
      timeline.add("start " + name);
      std::this_thread::sleep_for(20ms);
      timeline.add("end " + name);
      return Json{{"done", true}};
    };
  };
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec_of("a"), timed("a")));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("b", {"a"}), timed("b")));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("c"), timed("c")));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("d", {"b", "c"}), timed("d")));
  Playbook playbook("order", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  ASSERT_TRUE(result.ok());
  EXPECT_LT(timeline.at("end a"), timeline.at("start b"));
  EXPECT_LT(timeline.at("end b"), timeline.at("start d"));
  EXPECT_LT(timeline.at("end c"), timeline.at("start d"));
  // Outcomes come back in playbook order whatever order they finished in.
  std::vector<std::string> names;
  for (const auto& s : result.steps) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST_F(EngineTest, IndependentStepsRunAtTheSameTime) {
  // Each step waits until both are inside apply: only possible if they run concurrently.
  std::mutex mutex;
  std::condition_variable cv;
  int inside = 0;
  auto meet = [&](StepContext&, const Json&) {
    std::unique_lock lock(mutex);
    ++inside;
    cv.notify_all();
    if (!cv.wait_for(lock, 5s, [&] { return inside >= 2; })) throw Error("the other step never started");
    return Json{{"done", true}};
  };
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec_of("left"), meet));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("right"), meet));
  Playbook playbook("parallel", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  EXPECT_TRUE(result.ok()) << outcome(result, "left").detail;
}

TEST_F(EngineTest, ParallelismIsBounded) {
  std::atomic<int> running = 0;
  std::atomic<int> peak = 0;
  auto busy = [&](StepContext&, const Json&) {
    int now = ++running;
    int seen = peak.load();
    while (now > seen && !peak.compare_exchange_weak(seen, now)) {
    }
    std::this_thread::sleep_for(30ms);
    --running;
    return Json{{"done", true}};
  };
  std::vector<std::unique_ptr<Step>> steps;
  for (int i = 0; i < 8; ++i) steps.push_back(std::make_unique<ProbeStep>(spec_of("s" + std::to_string(i)), busy));
  Playbook playbook("bounded", std::move(steps));
  RunResult result = run(playbook, "case-1", true, {}, 3);
  EXPECT_TRUE(result.ok());
  EXPECT_LE(peak.load(), 3);
  EXPECT_GE(peak.load(), 2);
}

TEST_F(EngineTest, FailedStepStopsOnlyItsDependents) {
  aws_->before_call = [](const std::string& op) {
    if (op == "ec2:ModifyInstanceAttribute") throw FakeAws::error(op, "UnauthorizedOperation");
  };
  aws_->add_instance("i-2");
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<TerminationProtectionStep>("i-1", std::vector<std::string>{}));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("after-protection", {"termination-protection-i-1"}), nullptr));
  steps.push_back(std::make_unique<SnapshotVolumeStep>("vol-1", std::vector<std::string>{}));
  Playbook playbook("isolation", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  EXPECT_FALSE(result.ok());
  const auto& failed = outcome(result, "termination-protection-i-1");
  EXPECT_EQ(failed.state, StepState::Failed);
  EXPECT_EQ(failed.error["code"], "UnauthorizedOperation");
  EXPECT_EQ(failed.error["operation"], "ec2:ModifyInstanceAttribute");
  EXPECT_EQ(outcome(result, "after-protection").state, StepState::Skipped);
  EXPECT_NE(outcome(result, "after-protection").detail.find("termination-protection-i-1"), std::string::npos);
  EXPECT_EQ(outcome(result, "snapshot-vol-1").state, StepState::Done);

  auto failed_rows = rows_of("case-1", RowAction::Failed);
  ASSERT_EQ(failed_rows.size(), 1u);
  EXPECT_EQ(failed_rows[0].entry.error["request_id"], "req-failed");
  auto call_rows = rows_of("case-1", RowAction::Call, "termination-protection-i-1");
  ASSERT_EQ(call_rows.size(), 1u) << "the refused change is on the record";
  EXPECT_EQ(call_rows[0].entry.error["code"], "UnauthorizedOperation");
  EXPECT_EQ(view("case-1").find_step("termination-protection-i-1")->state, StepState::Failed);
}

TEST_F(EngineTest, AfterOrdersStepsWithoutNeedingTheirSuccess) {
  Timeline timeline;
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec_of("first"), [&](StepContext&, const Json&) -> Json {
    std::this_thread::sleep_for(20ms);
    timeline.add("end first");
    throw Error("first fails");
  }));
  StepSpec later = spec_of("later");
  later.after = {"first"};
  steps.push_back(std::make_unique<ProbeStep>(later, [&](StepContext&, const Json&) {
    timeline.add("start later");
    return Json{{"done", true}};
  }));
  Playbook playbook("ordered", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  EXPECT_EQ(outcome(result, "first").state, StepState::Failed);
  EXPECT_EQ(outcome(result, "later").state, StepState::Done);
  EXPECT_LT(timeline.at("end first"), timeline.at("start later"));
}

TEST_F(EngineTest, FailedStepIsRetriedOnTheNextRun) {
  bool refuse = true;
  aws_->before_call = [&](const std::string& op) {
    if (refuse && op == "ec2:ModifyInstanceAttribute") throw FakeAws::error(op, "RequestLimitExceeded");
  };
  Playbook playbook = sample_playbook({"i-1"}, {});
  EXPECT_FALSE(run(playbook, "case-1", true).ok());
  refuse = false;
  RunResult again = run(playbook, "case-1", true);
  EXPECT_TRUE(again.ok());
  EXPECT_TRUE(aws_->protection("i-1"));
  // The state found first (before the failed attempt) is what undo restores.
  EXPECT_EQ(view("case-1").find_step("termination-protection-i-1")->undo[0].input["DisableApiTermination"]["Value"],
            false);
}

TEST_F(EngineTest, StepNeedingADecisionIsSkippedWithoutIt) {
  StepSpec spec = spec_of("delete-old");
  spec.decision = "delete-old";
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec, nullptr));
  steps.push_back(std::make_unique<ProbeStep>(spec_of("after", {"delete-old"}), nullptr));
  Playbook playbook("decide", std::move(steps));
  RunResult without = run(playbook, "case-1", true);
  EXPECT_EQ(outcome(without, "delete-old").state, StepState::Skipped);
  EXPECT_EQ(outcome(without, "delete-old").detail, "needs the decision --delete-old");
  EXPECT_EQ(outcome(without, "after").state, StepState::Skipped);
  RunResult with = run(playbook, "case-1", true, {"delete-old"});
  EXPECT_EQ(outcome(with, "delete-old").state, StepState::Done);
  EXPECT_EQ(outcome(with, "after").state, StepState::Done);
}

// ---- what steps may do -----------------------------------------------------------------------

TEST_F(EngineTest, UndeclaredCallFailsTheStep) {
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec_of("sneaky"), [](StepContext& ctx, const Json&) {
    ctx.call("ec2", "CreateSnapshot", {{"VolumeId", "vol-1"}});
    return Json{{"done", true}};
  }));
  Playbook playbook("sneaky", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  EXPECT_EQ(result.steps[0].state, StepState::Failed);
  EXPECT_NE(result.steps[0].detail.find("does not declare"), std::string::npos);
  EXPECT_EQ(aws_->count("ec2:CreateSnapshot"), 0u);
}

TEST_F(EngineTest, ChangingWhileObservingFailsTheStep) {
  StepSpec spec = spec_of("eager");
  spec.changes = {{"ec2", "CreateSnapshot"}};
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec, nullptr, [](StepContext& ctx) {
    ctx.call("ec2", "CreateSnapshot", {{"VolumeId", "vol-1"}});
    return Json{{"done", false}};
  }));
  Playbook playbook("eager", std::move(steps));
  RunResult result = run(playbook, "case-1", false);
  EXPECT_EQ(result.steps[0].state, StepState::Failed);
  EXPECT_NE(result.steps[0].detail.find("while observing"), std::string::npos);
  EXPECT_EQ(aws_->count("ec2:CreateSnapshot"), 0u);
}

TEST_F(EngineTest, WaitShowsProgress) {
  StepSpec spec = spec_of("waits");
  spec.reads = {{"ec2", "DescribeSnapshots"}};
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec, [](StepContext& ctx, const Json&) {
    ctx.wait("ec2", "SnapshotCompleted", {{"SnapshotIds", {"snap-1"}}}, {},
             [](const Json&) { return std::string("snap-1 45%"); });
    return Json{{"done", true}};
  }));
  Playbook playbook("waits", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  ASSERT_TRUE(result.ok()) << result.steps[0].detail;
  ASSERT_EQ(reporter_.progress.size(), 1u);
  EXPECT_EQ(reporter_.progress[0], "waits: waiting for SnapshotCompleted: snap-1 45% (check 1/2)");
}

TEST_F(EngineTest, SecretsNeverReachTheLedger) {
  StepSpec spec = spec_of("rotate");
  spec.changes = {{"iam", "CreateAccessKey"}, {"secretsmanager", "CreateSecret"}};
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec, [](StepContext& ctx, const Json&) {
    Json key = ctx.call("iam", "CreateAccessKey", {{"UserName", "alice"}});
    std::string secret = key["AccessKey"]["SecretAccessKey"];
    EXPECT_FALSE(secret.empty()) << "the step itself gets the secret";
    ctx.call("secretsmanager", "CreateSecret", {{"Name", "alice-key"}, {"SecretString", secret}});
    ctx.note("rotated", {{"Password", "hunter2"}, {"user", "alice"}});
    return Json{{"done", true}, {"SecretAccessKey", secret}};
  }));
  Playbook playbook("rotate", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  ASSERT_TRUE(result.ok()) << result.steps[0].detail;
  std::string everything;
  for (const auto& row : store_->rows("case-1")) everything += row.to_json().dump();
  EXPECT_EQ(everything.find("wJalrXUtnFEMI"), std::string::npos);
  EXPECT_EQ(everything.find("hunter2"), std::string::npos);
  EXPECT_NE(everything.find("AKIAFAKEFAKEFAKE0001"), std::string::npos) << "the key id is not secret";
  EXPECT_NE(everything.find("alice"), std::string::npos);
  EXPECT_NE(everything.find("<redacted>"), std::string::npos);
}

TEST_F(EngineTest, UndoThatWouldStoreASecretIsRefused) {
  class LeakyUndo : public ProbeStep {
   public:
    using ProbeStep::ProbeStep;
    std::vector<AwsCall> undo(const Json&, const Json&) const override {
      AwsCall call;
      call.service = "secretsmanager";
      call.operation = "CreateSecret";
      call.input = {{"Name", "x"}, {"SecretString", "s3cr3t"}};
      return {call};
    }
  };
  StepSpec spec = spec_of("leaky");
  spec.changes = {{"secretsmanager", "CreateSecret"}};
  spec.reversible = true;
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<LeakyUndo>(spec, nullptr));
  Playbook playbook("leaky", std::move(steps));
  RunResult result = run(playbook, "case-1", true);
  EXPECT_EQ(result.steps[0].state, StepState::Failed);
  std::string everything;
  for (const auto& row : store_->rows("case-1")) everything += row.to_json().dump();
  EXPECT_EQ(everything.find("s3cr3t"), std::string::npos);
}

TEST_F(EngineTest, ClientTokensAreStablePerCaseStepAndPurpose) {
  std::map<std::string, std::string> tokens;
  StepSpec spec = spec_of("launch");
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec, [&](StepContext& ctx, const Json&) {
    tokens[ctx.case_id() + "/a"] = ctx.client_token("a");
    tokens[ctx.case_id() + "/b"] = ctx.client_token("b");
    tokens[ctx.case_id() + "/a-again"] = ctx.client_token("a");
    return Json{{"done", true}};
  }));
  Playbook playbook("launch", std::move(steps));
  run(playbook, "case-1", true);
  run(playbook, "case-2", true);
  EXPECT_EQ(tokens["case-1/a"], tokens["case-1/a-again"]);
  EXPECT_NE(tokens["case-1/a"], tokens["case-1/b"]);
  EXPECT_NE(tokens["case-1/a"], tokens["case-2/a"]);
  EXPECT_EQ(tokens["case-1/a"].size(), 36u) << "UUID-shaped, within EC2's 64-character ClientToken";
}

TEST(PlaybookTest, InvalidPlaybooksAreProgrammingErrors) {
  auto make = [](std::vector<StepSpec> specs) {
    std::vector<std::unique_ptr<Step>> steps;
    for (auto& spec : specs) steps.push_back(std::make_unique<ProbeStep>(spec, nullptr));
    return Playbook("p", std::move(steps));
  };
  EXPECT_THROW(make({spec_of("a"), spec_of("a")}), std::logic_error);
  EXPECT_THROW(make({spec_of("a", {"b"}), spec_of("b")}), std::logic_error) << "dependencies come first";
  EXPECT_THROW(make({spec_of("a", {"nowhere"})}), std::logic_error);
  EXPECT_THROW(make({spec_of("../escape")}), std::logic_error);
  StepSpec terminator = spec_of("t");
  terminator.changes = {{"ec2", "TerminateInstances"}};
  EXPECT_THROW(make({terminator}), std::logic_error);
  StepSpec reversible_reader = spec_of("r");
  reversible_reader.reversible = true;
  EXPECT_THROW(make({reversible_reader}), std::logic_error);
  EXPECT_NO_THROW(make({spec_of("a"), spec_of("b", {"a"})}));
}

TEST(PlaybookTest, OperationsAreTheUnionOfDeclarations) {
  Playbook playbook = sample_playbook({"i-1", "i-2"}, {"vol-1"});
  std::vector<std::string> ops;
  for (const auto& op : playbook.operations()) ops.push_back(op.to_string());
  EXPECT_EQ(ops, (std::vector<std::string>{"ec2:CreateSnapshot", "ec2:DescribeInstanceAttribute",
                                           "ec2:DescribeInstances", "ec2:DescribeSnapshots",
                                           "ec2:ModifyInstanceAttribute"}));
}

// ---- undo ----------------------------------------------------------------------------------

TEST_F(EngineTest, UndoRestoresTheRecordedState) {
  Playbook playbook = sample_playbook({"i-1"}, {"vol-1"});
  run(playbook, "case-1", true);
  ASSERT_TRUE(aws_->protection("i-1"));
  size_t rows_before = store_->rows("case-1").size();

  RunResult plan = engine_->undo("case-1", "", false);
  EXPECT_EQ(plan.mode, RunMode::UndoPlan);
  EXPECT_EQ(outcome(plan, "termination-protection-i-1").state, StepState::Planned);
  EXPECT_EQ(outcome(plan, "snapshot-vol-1").state, StepState::Skipped) << "snapshots are evidence: not undone";
  EXPECT_EQ(outcome(plan, "snapshot-vol-1").detail, "cannot be undone");
  EXPECT_EQ(plan.steps.size(), 2u) << "a capture changed nothing: nothing to say about undoing it";
  EXPECT_TRUE(aws_->protection("i-1"));
  EXPECT_EQ(store_->rows("case-1").size(), rows_before) << "an undo plan writes nothing";

  RunResult undone = engine_->undo("case-1", "", true);
  EXPECT_TRUE(undone.ok());
  EXPECT_EQ(outcome(undone, "termination-protection-i-1").state, StepState::Undone);
  EXPECT_FALSE(aws_->protection("i-1"));
  EXPECT_EQ(aws_->snapshots_of("vol-1"), 1u);
  EXPECT_EQ(view("case-1").find_step("termination-protection-i-1")->state, StepState::Undone);
  EXPECT_EQ(rows_of("case-1", RowAction::Call, "termination-protection-i-1").size(), 2u);
  EXPECT_TRUE(intact("case-1"));

  // Undone is not done: the next run applies again.
  RunResult again = run(playbook, "case-1", true);
  EXPECT_EQ(outcome(again, "termination-protection-i-1").state, StepState::Done);
  EXPECT_TRUE(aws_->protection("i-1"));
}

TEST_F(EngineTest, UndoOneStepOnly) {
  aws_->add_instance("i-2");
  Playbook playbook = sample_playbook({"i-1", "i-2"}, {});
  run(playbook, "case-1", true);
  RunResult undone = engine_->undo("case-1", "termination-protection-i-2", true);
  ASSERT_EQ(undone.steps.size(), 1u);
  EXPECT_TRUE(aws_->protection("i-1"));
  EXPECT_FALSE(aws_->protection("i-2"));
}

TEST_F(EngineTest, UndoRefusesWhatCannotBeUndoneAndWritesNothing) {
  Playbook playbook = sample_playbook({"i-1"}, {"vol-1"});
  run(playbook, "case-1", true);
  size_t rows_before = store_->rows("case-1").size();
  EXPECT_THROW(engine_->undo("case-1", "no-such-step", true), InputError);
  EXPECT_THROW(engine_->undo("case-1", "snapshot-vol-1", true), InputError);
  EXPECT_THROW(engine_->undo("no-such-case", "", true), InputError);
  EXPECT_THROW(engine_->undo("../etc", "", true), InputError);
  engine_->undo("case-1", "termination-protection-i-1", true);
  size_t rows_after_undo = store_->rows("case-1").size();
  EXPECT_THROW(engine_->undo("case-1", "termination-protection-i-1", true), InputError) << "already undone";
  EXPECT_EQ(store_->rows("case-1").size(), rows_after_undo);
  EXPECT_GT(rows_after_undo, rows_before);
}

TEST_F(EngineTest, UndoFailureIsRecordedAndReported) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  run(playbook, "case-1", true);
  aws_->before_call = [](const std::string& op) {
    if (op == "ec2:ModifyInstanceAttribute") throw FakeAws::error(op, "UnauthorizedOperation");
  };
  RunResult undone = engine_->undo("case-1", "", true);
  EXPECT_FALSE(undone.ok());
  EXPECT_EQ(undone.steps[0].error["code"], "UnauthorizedOperation");
  EXPECT_EQ(rows_of("case-1", RowAction::UndoFailed).size(), 1u);
  EXPECT_EQ(view("case-1").find_step("termination-protection-i-1")->state, StepState::Done) << "still to undo";
}

TEST_F(EngineTest, UndoToleratesErrorsThatMeanAlreadyRestored) {
  class GoneAlready : public ProbeStep {
   public:
    using ProbeStep::ProbeStep;
    std::vector<AwsCall> undo(const Json&, const Json&) const override {
      AwsCall call;
      call.service = "ec2";
      call.operation = "ModifyInstanceAttribute";
      call.input = {{"InstanceId", "i-gone"}, {"DisableApiTermination", {{"Value", false}}}};
      call.ok_errors = {"InvalidInstanceID.NotFound"};
      return {call};
    }
  };
  StepSpec spec = spec_of("gone");
  spec.changes = {{"ec2", "ModifyInstanceAttribute"}};
  spec.reversible = true;
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<GoneAlready>(spec, nullptr));
  Playbook playbook("gone", std::move(steps));
  run(playbook, "case-1", true);
  RunResult undone = engine_->undo("case-1", "", true);
  EXPECT_TRUE(undone.ok());
  EXPECT_EQ(undone.steps[0].state, StepState::Undone);
}

// ---- cases that must not be touched ----------------------------------------------------------

TEST_F(EngineTest, CaseFromAnotherAccountIsRefusedAndNothingIsWritten) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  run(playbook, "case-1", true);
  size_t rows_before = store_->rows("case-1").size();
  aws_->account = "999988887777";
  try {
    run(playbook, "case-1", true);
    FAIL() << "ran a case of another account";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("111122223333"), std::string::npos) << e.what();
  }
  EXPECT_THROW(engine_->undo("case-1", "", true), InputError);
  EXPECT_EQ(store_->rows("case-1").size(), rows_before);
  EXPECT_TRUE(aws_->protection("i-1"));
}

TEST_F(EngineTest, CaseFromAnotherRegionIsRefusedAndNothingIsWritten) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  run(playbook, "case-1", true);
  size_t rows_before = store_->rows("case-1").size();
  aws_->region = "eu-west-1";
  EXPECT_THROW(run(playbook, "case-1", true), InputError);
  EXPECT_THROW(engine_->undo("case-1", "", true), InputError);
  EXPECT_EQ(store_->rows("case-1").size(), rows_before);
}

TEST_F(EngineTest, CaseOfAnotherPlaybookOrIncidentIsRefused) {
  run(sample_playbook({"i-1"}, {}), "case-1", true);
  size_t rows_before = store_->rows("case-1").size();
  std::vector<std::unique_ptr<Step>> steps;
  steps.push_back(std::make_unique<ProbeStep>(spec_of("x"), nullptr));
  Playbook other("other", std::move(steps));
  EXPECT_THROW(run(other, "case-1", true), InputError);
  EXPECT_THROW(engine_->run(sample_playbook({"i-1"}, {}), incident({"i-9"}), "case-1", RunOptions{}), InputError);
  EXPECT_EQ(store_->rows("case-1").size(), rows_before);
}

TEST_F(EngineTest, InvalidCaseIdIsRefusedBeforeAnything) {
  EXPECT_THROW(run(sample_playbook({"i-1"}, {}), "../../etc/passwd", true), InputError);
  EXPECT_THROW(run(sample_playbook({"i-1"}, {}), std::string(65, 'a'), true), InputError);
  EXPECT_TRUE(aws_->calls().empty());
  EXPECT_TRUE(store_->cases().empty());
}

TEST_F(EngineTest, BrokenLedgerIsRefusedAndNotExtended) {
  Playbook playbook = sample_playbook({"i-1"}, {});
  run(playbook, "case-1", true);
  {
    sqlite3* db = nullptr;
    sqlite3_open((home_ / "ledger.db").c_str(), &db);
    sqlite3_exec(db, "DROP TRIGGER ledger_no_update; UPDATE ledger SET actor = 'nobody' WHERE seq = 3",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  size_t rows_before = store_->rows("case-1").size();
  aws_->add_instance("i-1", false);
  try {
    run(playbook, "case-1", true);
    FAIL() << "extended a broken ledger";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("row 3"), std::string::npos) << e.what();
  }
  EXPECT_THROW(engine_->undo("case-1", "", true), InputError);
  EXPECT_EQ(store_->rows("case-1").size(), rows_before);
  EXPECT_FALSE(aws_->protection("i-1"));
}

TEST_F(EngineTest, NoCredentialsMeansNothingIsWritten) {
  aws_->before_call = [](const std::string& op) {
    if (op == "sts:GetCallerIdentity") throw ConfigError("no credentials");
  };
  EXPECT_THROW(run(sample_playbook({"i-1"}, {}), "case-1", true), ConfigError);
  EXPECT_TRUE(store_->cases().empty());
}

// ---- crash and resume ------------------------------------------------------------------------

// The process dies right after a step's change reached AWS, before the step is recorded done.
// The next run must finish the case as one clean run would: same world, no second resource,
// every step done, undo restoring what was there before the first run.
class CrashTest : public EngineTest, public ::testing::WithParamInterface<std::string> {};

TEST_P(CrashTest, ResumeAfterACrashMidApplyEndsAsOneCleanRun) {
  const std::string crash_in = GetParam();
  aws_->add_instance("i-2");
  auto crash = [&](const std::string& step) {
    if (step == crash_in) std::_Exit(42);
  };
  EXPECT_EXIT(
      {
        // A fresh process's view: its own world, ledger and engine.
        FakeAws world(home_ / "world.json");
        SqliteStore store(home_ / "ledger.db", SqliteStore::Mode::ReadWrite);
        RecordingReporter quiet;
        Engine engine(world, store, *evidence_, quiet);
        RunOptions options;
        options.apply = true;
        options.parallelism = 1;
        engine.run(sample_playbook({"i-1", "i-2"}, {"vol-1"}, crash), incident({"i-1", "i-2"}), "case-1", options);
        std::_Exit(0);
      },
      ::testing::ExitedWithCode(42), "");

  // The crash happened after the change reached the world, before the case recorded it.
  if (crash_in == "snapshot-vol-1") {
    EXPECT_EQ(aws_->snapshots_of("vol-1"), 1u);
  } else {
    EXPECT_TRUE(aws_->protection(crash_in.substr(std::string("termination-protection-").size())));
  }
  EXPECT_EQ(view("case-1").find_step(crash_in)->state, StepState::Running);
  Playbook playbook = sample_playbook({"i-1", "i-2"}, {"vol-1"});
  RunOptions options;
  options.apply = true;
  RunResult resumed = engine_->run(playbook, incident({"i-1", "i-2"}), "case-1", options);
  ASSERT_TRUE(resumed.ok());
  EXPECT_FALSE(resumed.created);

  // The same end as a clean run of a twin case on a twin world.
  FakeAws twin_world(home_ / "twin-world.json");
  twin_world.add_instance("i-1");
  twin_world.add_instance("i-2");
  SqliteStore twin_store(home_ / "twin.db", SqliteStore::Mode::ReadWrite);
  EvidenceStore twin_evidence(home_ / "twin-cases");
  RecordingReporter quiet;
  Engine twin(twin_world, twin_store, twin_evidence, quiet);
  twin.run(playbook, incident({"i-1", "i-2"}), "case-1", options);

  EXPECT_TRUE(aws_->protection("i-1"));
  EXPECT_TRUE(aws_->protection("i-2"));
  EXPECT_EQ(aws_->snapshots_of("vol-1"), 1u) << "no second snapshot";
  CaseView after_crash = view("case-1");
  CaseView clean = build_case_view(twin_store.rows("case-1"));
  ASSERT_EQ(after_crash.steps.size(), clean.steps.size());
  for (size_t i = 0; i < clean.steps.size(); ++i) {
    EXPECT_EQ(after_crash.steps[i].name, clean.steps[i].name);
    EXPECT_EQ(after_crash.steps[i].state, clean.steps[i].state) << clean.steps[i].name;
    EXPECT_EQ(after_crash.steps[i].original_before, clean.steps[i].original_before) << clean.steps[i].name;
    ASSERT_EQ(after_crash.steps[i].undo.size(), clean.steps[i].undo.size()) << clean.steps[i].name;
    for (size_t c = 0; c < clean.steps[i].undo.size(); ++c) {
      EXPECT_EQ(after_crash.steps[i].undo[c].to_json(), clean.steps[i].undo[c].to_json());
    }
  }
  EXPECT_EQ(after_crash.evidence.size(), clean.evidence.size());
  EXPECT_TRUE(intact("case-1"));

  engine_->undo("case-1", "", true);
  EXPECT_FALSE(aws_->protection("i-1"));
  EXPECT_FALSE(aws_->protection("i-2"));
}

INSTANTIATE_TEST_SUITE_P(Engine, CrashTest,
                         ::testing::Values("termination-protection-i-1", "termination-protection-i-2",
                                           "snapshot-vol-1"),
                         [](const auto& info) {
                           std::string name = info.param;
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

// ---- concurrent runs -----------------------------------------------------------------------

TEST_F(EngineTest, ConcurrentRunsShareOneLedgerSafely) {
  for (int i = 0; i < 4; ++i) aws_->add_instance("i-c" + std::to_string(i));
  {
    std::vector<std::jthread> runs;
    for (int i = 0; i < 4; ++i) {
      runs.emplace_back([&, i] {
        std::string instance = "i-c" + std::to_string(i);
        SqliteStore own(home_ / "ledger.db", SqliteStore::Mode::ReadWrite);  // as another process would
        RecordingReporter quiet;
        Engine engine(*aws_, own, *evidence_, quiet);
        RunOptions options;
        options.apply = true;
        Incident incident;
        incident.resources = {instance};
        for (int round = 0; round < 2; ++round) {
          engine.run(sample_playbook({instance}, {"vol-" + instance}), incident, "case-" + instance, options);
        }
      });
    }
  }
  EXPECT_EQ(store_->cases().size(), 4u);
  for (int i = 0; i < 4; ++i) {
    std::string id = "case-i-c" + std::to_string(i);
    EXPECT_TRUE(intact(id)) << id;
    EXPECT_EQ(view(id).runs, 2);
    EXPECT_EQ(aws_->snapshots_of("vol-i-c" + std::to_string(i)), 1u);
  }
}

}  // namespace
}  // namespace firebreak::engine::testing
