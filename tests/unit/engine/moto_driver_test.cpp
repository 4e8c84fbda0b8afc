// Not a unit test: the end-to-end tests (tests/e2e/engine) run this binary as a driver of the
// sample playbook against moto, through the real AWS client and the configured ledger, then
// check the world with boto3 and the case with `firebreak case`. They kill it mid-apply to
// test resume. Without FIREBREAK_E2E_DRIVER it is skipped.
//
//   FIREBREAK_E2E_CASE        case id
//   FIREBREAK_E2E_INSTANCES   comma-separated instance ids (capture + termination protection)
//   FIREBREAK_E2E_VOLUMES     comma-separated volume ids (snapshot)
//   FIREBREAK_E2E_APPLY       "1" to apply
//   FIREBREAK_E2E_HANG_AFTER  a step name: after its change it creates FIREBREAK_E2E_MARKER and
//                             waits to be killed
//   FIREBREAK_E2E_RESULT      where to write the run's JSON
//   FIREBREAK_E2E_EVIDENCE    s3://bucket/prefix for evidence uploads
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "firebreak/engine/config.h"
#include "firebreak/engine/engine.h"
#include "sample_steps.h"

namespace firebreak::engine::testing {
namespace {

std::string env_or(const char* name, std::string fallback = {}) {
  const char* value = std::getenv(name);
  return value ? std::string(value) : fallback;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

TEST(MotoDriver, RunSamplePlaybook) {
  if (env_or("FIREBREAK_E2E_DRIVER").empty()) GTEST_SKIP() << "driven by tests/e2e/engine";
  const std::string hang_after = env_or("FIREBREAK_E2E_HANG_AFTER");
  const std::string marker = env_or("FIREBREAK_E2E_MARKER");
  AfterChange after_change = [&](const std::string& step) {
    if (step != hang_after) return;
    std::ofstream(marker) << step;
    while (true) std::this_thread::sleep_for(std::chrono::seconds(1));
  };
  auto instances = split(env_or("FIREBREAK_E2E_INSTANCES"));
  auto volumes = split(env_or("FIREBREAK_E2E_VOLUMES"));
  Playbook playbook = sample_playbook(instances, volumes, after_change);

  EngineConfig config = EngineConfig::load();
  aws::Session session;
  SessionApi api(session);
  auto store = open_ledger(config, StoreAccess::ReadWrite, &api);
  EvidenceStore evidence = open_evidence(config, env_or("FIREBREAK_E2E_EVIDENCE"), &api);
  TerminalReporter live(stderr, false);
  Engine engine(api, *store, evidence, live);
  Incident incident;
  incident.resources = instances;
  incident.resources.insert(incident.resources.end(), volumes.begin(), volumes.end());
  RunOptions options;
  options.apply = env_or("FIREBREAK_E2E_APPLY") == "1";
  RunResult result = engine.run(playbook, incident, env_or("FIREBREAK_E2E_CASE"), options);
  std::ofstream(env_or("FIREBREAK_E2E_RESULT", "/dev/null")) << result.to_json().dump(2);
  EXPECT_TRUE(result.ok()) << render_run(result);
}

}  // namespace
}  // namespace firebreak::engine::testing
