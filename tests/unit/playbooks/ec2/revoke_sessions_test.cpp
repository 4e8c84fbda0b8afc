// The revoke-sessions step's policy, plan and undo, from observed state.
#include <gtest/gtest.h>

#include "firebreak/base/error.h"
#include "firebreak/playbooks/common/revoke_sessions.h"

namespace firebreak::playbooks {
namespace {

using Kind = RevokeSessionsTarget::Kind;
const std::string kArn = "arn:aws:ec2:us-east-1:123456789012:instance/i-0123456789abcdef0";

Json principal(const char* kind, const char* name, Json arns, Json document) {
  return {{"kind", kind}, {"name", name}, {"instance_arns", arns}, {"document", document}};
}

TEST(RevokeSessions, StatementIsTheConsolesDenyWithOptionalInstanceScope) {
  Json whole = revoke_sessions_statement("fb-20240530-1a2b3c4d", "2024-05-30T12:00:00Z", {});
  EXPECT_EQ(whole["Sid"], "FirebreakRevokefb202405301a2b3c4d");
  EXPECT_EQ(whole["Effect"], "Deny");
  EXPECT_EQ(whole["Action"], Json::array({"*"}));
  EXPECT_EQ(whole["Condition"], (Json{{"DateLessThan", {{"aws:TokenIssueTime", "2024-05-30T12:00:00Z"}}}}));
  Json scoped = revoke_sessions_statement("c1", "2024-05-30T12:00:00Z", {kArn});
  EXPECT_EQ(scoped["Condition"]["StringEquals"]["ec2:SourceInstanceARN"], Json::array({kArn}));
}

TEST(RevokeSessions, RejectsBadTargetsWhenBuilt) {
  EXPECT_THROW(make_revoke_sessions_step({.targets = {{Kind::Role, "bad name"}}}), InputError);
  EXPECT_THROW(make_revoke_sessions_step({.targets = {{Kind::Role, "web", "arn:aws:ec2:x"}}}), InputError);
  EXPECT_NO_THROW(make_revoke_sessions_step({.targets = {{Kind::User, "alice@example.com"}, {Kind::Role, "web", kArn}}}));
}

TEST(RevokeSessions, PlansUntilThisCasesStatementCoversTheScope) {
  auto step = make_revoke_sessions_step({.targets = {{Kind::Role, "web", kArn}}});
  EXPECT_EQ(step->spec().name, "revoke-sessions");
  EXPECT_TRUE(step->spec().reversible);
  const std::string sid = "FirebreakRevokec1";
  Json none = {{"sid", sid}, {"principals", {principal("role", "web", {kArn}, nullptr)}}};
  ASSERT_EQ(step->plan(none).changes.size(), 1u);
  EXPECT_NE(step->plan(none).changes[0].find("role web"), std::string::npos);

  Json console_policy = {{"Version", "2012-10-17"},
                         {"Statement", {revoke_sessions_statement("other", "2024-01-01T00:00:00Z", {})}}};
  Json other_case = {{"sid", sid}, {"principals", {principal("role", "web", {kArn}, console_policy)}}};
  EXPECT_FALSE(step->plan(other_case).already_done());

  Json mine = console_policy;
  mine["Statement"].push_back(revoke_sessions_statement("c1", "2024-05-30T12:00:00Z", {kArn}));
  Json done = {{"sid", sid}, {"principals", {principal("role", "web", {kArn}, mine)}}};
  EXPECT_TRUE(step->plan(done).already_done());
  // An instance-scoped statement does not cover the whole role.
  Json wider = {{"sid", sid}, {"principals", {principal("role", "web", Json::array(), mine)}}};
  EXPECT_FALSE(step->plan(wider).already_done());
}

TEST(RevokeSessions, UndoDeletesANewPolicyOrRestoresThePreviousOne) {
  auto step = make_revoke_sessions_step({.targets = {{Kind::User, "alice"}, {Kind::Role, "web"}}});
  Json previous = {{"Version", "2012-10-17"}, {"Statement", Json::array()}};
  Json before = {{"sid", "FirebreakRevokec1"},
                 {"principals", {principal("user", "alice", Json::array(), nullptr),
                                 principal("role", "web", Json::array(), previous)}}};
  auto undo = step->undo(before, before);
  ASSERT_EQ(undo.size(), 2u);
  EXPECT_EQ(undo[0].operation, "DeleteUserPolicy");
  EXPECT_EQ(undo[0].input, (Json{{"UserName", "alice"}, {"PolicyName", "AWSRevokeOlderSessions"}}));
  EXPECT_EQ(undo[0].ok_errors, std::vector<std::string>{"NoSuchEntity"});
  EXPECT_EQ(undo[1].operation, "PutRolePolicy");
  EXPECT_EQ(Json::parse(undo[1].input["PolicyDocument"].get<std::string>()), previous);
}

}  // namespace
}  // namespace firebreak::playbooks
