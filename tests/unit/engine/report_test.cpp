#include "firebreak/engine/report.h"

#include <cstdio>

#include <gtest/gtest.h>

#include "engine_test_support.h"
#include "sample_steps.h"

namespace firebreak::engine::testing {
namespace {

TEST_F(EngineTest, RunTableShowsEveryStepWithWhatItWouldChange) {
  aws_->before_call = [](const std::string& op) {
    if (op == "ec2:DescribeSnapshots") throw FakeAws::error(op, "UnauthorizedOperation");
  };
  RunResult result = run(sample_playbook({"i-1"}, {"vol-1"}), "case-1", false);
  std::string table = render_run(result);
  EXPECT_NE(table.find("case case-1: plan only: nothing was changed"), std::string::npos) << table;
  EXPECT_NE(table.find("Enable termination protection"), std::string::npos);
  EXPECT_NE(table.find("set DisableApiTermination of i-1 to true"), std::string::npos);
  EXPECT_NE(table.find("failed"), std::string::npos);
  EXPECT_NE(table.find("UnauthorizedOperation"), std::string::npos);
  EXPECT_NE(table.find("SOME STEPS FAILED"), std::string::npos);
}

TEST_F(EngineTest, RunJsonHasTheCaseAndEveryStep) {
  RunResult result = run(sample_playbook({"i-1"}, {}), "case-1", true);
  Json json = result.to_json();
  EXPECT_EQ(json["case"]["id"], "case-1");
  EXPECT_EQ(json["mode"], "apply");
  EXPECT_EQ(json["ok"], true);
  ASSERT_EQ(json["steps"].size(), 2u);
  EXPECT_EQ(json["steps"][1]["line"], "Enable termination protection");
  EXPECT_EQ(json["steps"][1]["state"], "done");
  EXPECT_EQ(json["steps"][0]["evidence"][0]["name"], "metadata.json");
}

TEST_F(EngineTest, CaseViewRendersStepsEvidenceAndChainState) {
  run(sample_playbook({"i-1"}, {}), "case-1", true);
  auto rows = store_->rows("case-1");
  CaseView v = build_case_view(rows);
  std::string text = render_case(v, verify_chain(rows, store_->head("case-1")->chain));
  EXPECT_NE(text.find("chain intact"), std::string::npos) << text;
  EXPECT_NE(text.find("termination-protection-i-1"), std::string::npos);
  EXPECT_NE(text.find("metadata.json"), std::string::npos);
  EXPECT_NE(text.find(v.evidence[0].sha256), std::string::npos);
  Json json = v.to_json();
  EXPECT_EQ(json["steps"][1]["state"], "done");
  EXPECT_EQ(json["steps"][1]["undo"][0]["operation"], "ModifyInstanceAttribute");
  std::string listed_rows = render_rows(rows);
  EXPECT_NE(listed_rows.find("ec2:ModifyInstanceAttribute"), std::string::npos) << listed_rows;
  EXPECT_NE(listed_rows.find("case-opened"), std::string::npos);
  std::string list = render_case_list(store_->cases());
  EXPECT_NE(list.find("case-1"), std::string::npos);
  EXPECT_NE(list.find("sample"), std::string::npos);
  EXPECT_EQ(case_list_json(store_->cases())[0]["id"], "case-1");
}

TEST(TerminalReporterTest, WithoutATerminalEachProgressChangeIsOneLine) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    TerminalReporter live(out, false);
    StepSpec spec = spec_of("snap");
    spec.line = "Snapshot every EBS volume";
    live.step_activity(spec, "applying");
    live.step_progress(spec, "snap-1 10%");
    live.step_progress(spec, "snap-1 10%");
    live.step_progress(spec, "snap-1 90%");
    StepOutcome done;
    done.name = "snap";
    done.line = spec.line;
    done.state = StepState::Done;
    live.step_finished(done);
  }
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_EQ(text,
            "  .. Snapshot every EBS volume: applying\n"
            "     Snapshot every EBS volume: snap-1 10%\n"
            "     Snapshot every EBS volume: snap-1 90%\n"
            "  done         Snapshot every EBS volume\n");
}

TEST(TerminalReporterTest, OnATerminalProgressRewritesOneLine) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  {
    TerminalReporter live(out, true);
    StepSpec spec = spec_of("snap");
    live.step_progress(spec, "1%");
    live.step_progress(spec, "2%");
    StepOutcome done;
    done.line = spec.line;
    done.state = StepState::Done;
    live.step_finished(done);
  }
  std::fclose(out);
  std::string text(buffer, size);
  free(buffer);
  EXPECT_EQ(text, "\r\033[K     Line of snap: 1%\r\033[K     Line of snap: 2%\r\033[K  done         Line of snap\n");
}

}  // namespace
}  // namespace firebreak::engine::testing
