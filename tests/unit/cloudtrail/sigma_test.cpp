#include <filesystem>
#include <set>

#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/base/json.h"
#include "firebreak/cloudtrail/sigma.h"
#include "firebreak/cloudtrail/yaml.h"
#include "support.h"

namespace firebreak::cloudtrail::testing {
namespace {

const SigmaRules& shared_rules() {
  static const SigmaRules rules = SigmaRules::load({kSharedData + "/sigma-cloudtrail"});
  return rules;
}

// The ids of the rules each record of `text` matches, in record order.
std::vector<std::set<std::string>> matches(const SigmaRules& rules, std::string_view text) {
  std::vector<std::set<std::string>> out;
  SigmaRules::Context context;
  Collected events;
  events.also = [&](const Event& e) {
    std::vector<const RuleInfo*> hits;
    rules.match(e, context, hits);
    std::set<std::string> ids;
    for (const RuleInfo* r : hits) ids.insert(r->id);
    out.push_back(ids);
  };
  read_text(text, events);
  return out;
}

TEST(Sigma, LoadsEveryCloudTrailRuleInSharedData) {
  EXPECT_EQ(shared_rules().size(), 57u);
  EXPECT_EQ(shared_rules().skipped_other_logsources(), 0u);
}

// Each rule against events written for it from its own text (tests/data/cloudtrail/
// make_sigma_events.py): the positive ones match it, the negative ones do not.
TEST(Sigma, EachRuleMatchesTheEventsWrittenForIt) {
  std::string cases = file_text(kTestData + "/cloudtrail/sigma_rule_events.jsonl");
  std::set<std::string> positive, negative;
  size_t at = 0;
  while (at < cases.size()) {
    size_t nl = cases.find('\n', at);
    Json c = Json::parse(cases.substr(at, nl - at));
    at = nl + 1;
    std::string id = c["rule"];
    bool expect = c["expect"];
    auto got = matches(shared_rules(), c["event"].dump());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].count(id) == 1, expect) << c["title"] << "\n" << c["event"].dump();
    (expect ? positive : negative).insert(id);
  }
  EXPECT_EQ(positive.size(), 57u);
  EXPECT_EQ(negative.size(), 57u);
}

// Known answers from the Stratus Red Team detonations: the technique's key call is caught by
// the rule written for it.
TEST(Sigma, CatchesStratusRedTeamDetonations) {
  struct Case {
    std::string technique, event_name, rule_title;
  };
  const std::vector<Case> cases = {
      {"aws.defense-evasion.cloudtrail-stop", "StopLogging", "AWS CloudTrail Important Change"},
      {"aws.defense-evasion.cloudtrail-delete", "DeleteTrail", "AWS CloudTrail Important Change"},
      {"aws.defense-evasion.vpc-remove-flow-logs", "DeleteFlowLogs", "AWS VPC Flow Logs Deleted"},
      {"aws.exfiltration.ec2-share-ebs-snapshot", "ModifySnapshotAttribute", "AWS Snapshot Backup Exfiltration"},
      {"aws.persistence.lambda-layer-extension", "UpdateFunctionConfiguration20150331v2", "AWS New Lambda Layer Attached"},
      {"aws.privilege-escalation.iam-update-user-login-profile", "UpdateLoginProfile", "AWS User Login Profile Was Modified"},
      {"aws.initial-access.console-login-without-mfa", "ConsoleLogin", "AWS Successful Console Login Without MFA"},
      {"aws.execution.ssm-send-command", "SendCommand", "Potential Malicious Usage of CloudTrail System Manager"},
      {"aws.exfiltration.ec2-security-group-open-port-22-ingress", "AuthorizeSecurityGroupIngress", "Ingress/Egress Security Group Modification"},
  };
  for (const Case& c : cases) {
    std::string text = file_text(kSharedData + "/stratus-red-team-detonation-logs/" + c.technique + ".json");
    SigmaRules::Context context;
    Collected events;
    bool caught = false;
    events.also = [&](const Event& e) {
      std::vector<const RuleInfo*> hits;
      shared_rules().match(e, context, hits);
      for (const RuleInfo* r : hits) caught |= e.event_name == c.event_name && r->title == c.rule_title;
    };
    read_text(text, events);
    EXPECT_TRUE(caught) << c.technique;
  }
}

SigmaRules rule(std::string_view detection) {
  SigmaRules rules;
  rules.add(std::string("title: t\nid: x\nlevel: high\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n") +
                std::string(detection),
            "inline.yml");
  return rules;
}

bool hit(const SigmaRules& rules, std::string_view event) { return matches(rules, event).at(0).size() == 1; }

TEST(Sigma, ModifiersAndConditions) {
  const char* event = R"({"eventName":"RunTask","eventSource":"ecs.amazonaws.com","userAgent":"TruffleHog/3",
    "requestParameters":{"containerDefinitions":[{"command":["sh","-c","curl $AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"]}]},
    "sourceIPAddress":"10.1.2.3","errorCode":"AccessDenied"})";
  EXPECT_TRUE(hit(rule("  s:\n    eventName: runtask\n  condition: s"), event));  // values ignore case
  EXPECT_TRUE(hit(rule("  s:\n    userAgent|startswith: truffle\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    userAgent|endswith: '/3'\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    requestParameters.containerDefinitions.command|contains: 'CREDENTIALS_RELATIVE'\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    requestParameters|contains: '\"sh\",\"-c\"'\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    userAgent|contains|all:\n      - Truffle\n      - '/3'\n  condition: s"), event));
  EXPECT_FALSE(hit(rule("  s:\n    userAgent|contains|all:\n      - Truffle\n      - '/4'\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    userAgent|re: '^Truffle[A-Z]og/\\d$'\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    sourceIPAddress|cidr: 10.0.0.0/8\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    eventName: Run*\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    errorMessage: null\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  s:\n    errorCode|exists: true\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  a:\n    eventName: Nope\n  b:\n    eventName: RunTask\n  condition: a or b"), event));
  EXPECT_FALSE(hit(rule("  a:\n    eventName: Nope\n  b:\n    eventName: RunTask\n  condition: a and b"), event));
  EXPECT_TRUE(hit(rule("  a:\n    eventName: Nope\n  b:\n    eventName: RunTask\n  condition: not a and b"), event));
  EXPECT_TRUE(hit(rule("  sel_a:\n    eventName: Nope\n  sel_b:\n    eventName: RunTask\n  condition: 1 of sel_*"), event));
  EXPECT_FALSE(hit(rule("  sel_a:\n    eventName: Nope\n  sel_b:\n    eventName: RunTask\n  condition: all of sel_*"), event));
  EXPECT_TRUE(hit(rule("  a:\n    eventName: Nope\n  b:\n    eventSource: ecs.amazonaws.com\n  c:\n    eventName: RunTask\n"
                       "  condition: (a or b) and c"), event));
  EXPECT_TRUE(hit(rule("  s:\n    - eventName: Nope\n    - userAgent|contains: Hog\n  condition: s"), event));
  EXPECT_TRUE(hit(rule("  keywords:\n    - 'AWS_CONTAINER'\n  condition: keywords"), event));
}

TEST(Sigma, RejectsWhatItCannotRun) {
  EXPECT_THROW(rule("  s:\n    eventName|base64offset: x\n  condition: s"), InputError);
  EXPECT_THROW(rule("  s:\n    eventName: x\n  condition: s | count() > 5"), InputError);
  EXPECT_THROW(rule("  s:\n    eventName: x\n  condition: missing"), InputError);
  EXPECT_THROW(rule("  s:\n    eventName: x\n  condition: (s"), InputError);
}

TEST(Yaml, ReadsTheSubsetSigmaUses) {
  auto docs = parse_yaml(R"(title: A 'quoted' title  # comment
description: |
    line one
    line two
folded: >-
  one
  two
list:
- a
- 'b # not a comment'
nested:
    key: "x\"y"
    items:
        - name: first
          value: 1
        - [c, d]
empty: ~
flow: {a: 1, b: [x, y]}
---
second: doc
)");
  ASSERT_EQ(docs.size(), 2u);
  const Json& d = docs[0];
  EXPECT_EQ(d["title"], "A 'quoted' title");
  EXPECT_EQ(d["description"], "line one\nline two\n");
  EXPECT_EQ(d["folded"], "one two");
  EXPECT_EQ(d["list"], Json::parse(R"(["a", "b # not a comment"])"));
  EXPECT_EQ(d["nested"]["key"], "x\"y");
  EXPECT_EQ(d["nested"]["items"][0]["name"], "first");
  EXPECT_EQ(d["nested"]["items"][0]["value"], "1");
  EXPECT_EQ(d["nested"]["items"][1], Json::parse(R"(["c", "d"])"));
  EXPECT_TRUE(d["empty"].is_null());
  EXPECT_EQ(d["flow"]["b"][1], "y");
  EXPECT_EQ(docs[1]["second"], "doc");
}

}  // namespace
}  // namespace firebreak::cloudtrail::testing
