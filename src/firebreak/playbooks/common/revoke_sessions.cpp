#include "firebreak/playbooks/common/revoke_sessions.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::playbooks {
namespace {

using Kind = RevokeSessionsTarget::Kind;

// IAM's own pattern for user and role names.
const std::regex kIamName(R"([\w+=,.@-]{1,64})");
const std::regex kInstanceArn(R"(arn:aws[a-z-]*:ec2:[a-z0-9-]+:\d{12}:instance/i-([0-9a-f]{8}|[0-9a-f]{17}))");

void validate(const RevokeSessionsTarget& target) {
  if (!std::regex_match(target.name, kIamName)) {
    throw InputError(fmt::format("'{}' is not an IAM user or role name", target.name));
  }
  if (!target.source_instance_arn.empty() && !std::regex_match(target.source_instance_arn, kInstanceArn)) {
    throw InputError(fmt::format("'{}' is not an EC2 instance ARN", target.source_instance_arn));
  }
}

std::string_view kind_name(Kind kind) { return kind == Kind::Role ? "role" : "user"; }

// The operations differ only by "Role"/"User", and so do their name members.
struct IamNames {
  std::string get, put, remove, member;
};
IamNames iam_names(Kind kind) {
  const std::string noun = kind == Kind::Role ? "Role" : "User";
  return {"Get" + noun + "Policy", "Put" + noun + "Policy", "Delete" + noun + "Policy", noun + "Name"};
}

// Sids are alphanumeric; case ids may hold '.', '_' and '-'.
std::string sid_for(std::string_view case_id) {
  std::string sid = "FirebreakRevoke";
  for (char c : case_id) {
    if (std::isalnum(static_cast<unsigned char>(c))) sid.push_back(c);
  }
  return sid;
}

// AWS returns inline policy documents URL-encoded; moto returns them as they were put.
Json parse_document(const std::string& text) {
  Json parsed = Json::parse(text, nullptr, false);
  return parsed.is_discarded() ? Json::parse(uri_decode(text)) : parsed;
}

// One principal and the instances its statement is scoped to (empty: all its sessions).
struct Principal {
  Kind kind;
  std::string name;
  std::set<std::string> instance_arns;
  bool whole = false;
};

std::vector<Principal> group(const std::vector<RevokeSessionsTarget>& targets) {
  std::map<std::pair<int, std::string>, Principal> by_key;
  for (const auto& target : targets) {
    validate(target);
    auto [it, added] = by_key.try_emplace({static_cast<int>(target.kind), target.name},
                                          Principal{target.kind, target.name, {}, false});
    if (target.source_instance_arn.empty()) {
      it->second.whole = true;
    } else {
      it->second.instance_arns.insert(target.source_instance_arn);
    }
  }
  std::vector<Principal> out;
  for (auto& [key, principal] : by_key) {
    if (principal.whole) principal.instance_arns.clear();
    out.push_back(std::move(principal));
  }
  return out;
}

std::vector<std::string> statement_arns(const Json& statement) {
  const Json* arns = nullptr;
  if (statement.contains("Condition") && statement["Condition"].contains("StringEquals")) {
    const Json& equals = statement["Condition"]["StringEquals"];
    if (equals.contains("ec2:SourceInstanceARN")) arns = &equals["ec2:SourceInstanceARN"];
  }
  if (!arns) return {};
  if (arns->is_string()) return {arns->get<std::string>()};
  return arns->get<std::vector<std::string>>();
}

// Whether `document` already holds this case's statement covering the principal's scope.
bool covered(const Json& document, const std::string& sid, const Principal& principal) {
  if (!document.is_object() || !document.contains("Statement")) return false;
  for (const auto& statement : document["Statement"]) {
    if (statement.value("Sid", "") != sid) continue;
    auto arns = statement_arns(statement);
    if (arns.empty()) return true;  // principal-wide covers any scope
    if (principal.whole) return false;
    return std::all_of(principal.instance_arns.begin(), principal.instance_arns.end(),
                       [&](const std::string& arn) { return std::find(arns.begin(), arns.end(), arn) != arns.end(); });
  }
  return false;
}

class RevokeSessionsStep : public engine::Step {
 public:
  explicit RevokeSessionsStep(RevokeSessionsOptions options) : options_(std::move(options)) {
    if (!options_.resolve) group(options_.targets);  // validates now: bad input fails before any call
    spec_.name = options_.name;
    spec_.line = options_.line;
    spec_.depends_on = options_.depends_on;
    spec_.decision = options_.decision;
    spec_.reads = options_.resolve_reads;
    spec_.changes = {};
    for (Kind kind : {Kind::Role, Kind::User}) {
      IamNames names = iam_names(kind);
      spec_.reads.push_back({"iam", names.get});
      spec_.changes.push_back({"iam", names.put});
      spec_.changes.push_back({"iam", names.remove});
    }
    spec_.reversible = true;
  }

  const engine::StepSpec& spec() const override { return spec_; }

  // {"sid", "principals": [{"kind", "name", "instance_arns", "document" (null: no policy)}]}
  Json observe(engine::StepContext& ctx) const override {
    auto targets = options_.resolve ? options_.resolve(ctx) : options_.targets;
    Json principals = Json::array();
    for (const auto& principal : group(targets)) {
      IamNames names = iam_names(principal.kind);
      Json document = nullptr;
      try {
        Json out = ctx.call("iam", names.get,
                            {{names.member, principal.name}, {"PolicyName", std::string(kRevokeSessionsPolicy)}});
        document = parse_document(out.value("PolicyDocument", ""));
      } catch (const aws::AwsError& e) {
        if (e.code() != "NoSuchEntity") throw;
      }
      principals.push_back({{"kind", std::string(kind_name(principal.kind))},
                            {"name", principal.name},
                            {"instance_arns", principal.instance_arns},
                            {"document", document}});
    }
    return {{"sid", sid_for(ctx.case_id())}, {"principals", principals}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& p : observed["principals"]) {
      Principal principal = to_principal(p);
      if (covered(p["document"], observed["sid"], principal)) continue;
      std::string scope = principal.instance_arns.empty()
                              ? std::string("every session")
                              : fmt::format("sessions used from {}", fmt::join(principal.instance_arns, ", "));
      plan.changes.push_back(fmt::format("put inline policy {} on {} {}: deny {} issued before now",
                                         kRevokeSessionsPolicy, kind_name(principal.kind), principal.name, scope));
    }
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    const std::string now = format_iso8601(Clock::now());
    const std::string sid = observed["sid"];
    Json after = observed;
    for (auto& p : after["principals"]) {
      Principal principal = to_principal(p);
      if (covered(p["document"], sid, principal)) continue;
      Json document = p["document"].is_object() ? p["document"] : Json{{"Version", "2012-10-17"}};
      Json statements = Json::array();
      for (const auto& statement : document.value("Statement", Json::array())) {
        if (statement.value("Sid", "") != sid) statements.push_back(statement);
      }
      statements.push_back(revoke_sessions_statement(
          ctx.case_id(), now, {principal.instance_arns.begin(), principal.instance_arns.end()}));
      document["Statement"] = statements;
      IamNames names = iam_names(principal.kind);
      ctx.call("iam", names.put,
               {{names.member, principal.name},
                {"PolicyName", std::string(kRevokeSessionsPolicy)},
                {"PolicyDocument", document.dump()}});
      p["document"] = document;
    }
    return after;
  }

  std::vector<engine::AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<engine::AwsCall> calls;
    for (const auto& p : before["principals"]) {
      IamNames names = iam_names(to_principal(p).kind);
      engine::AwsCall call;
      call.service = "iam";
      call.input = {{names.member, p["name"]}, {"PolicyName", std::string(kRevokeSessionsPolicy)}};
      if (p["document"].is_object()) {
        call.operation = names.put;
        call.input["PolicyDocument"] = p["document"].dump();
      } else {
        call.operation = names.remove;
        call.ok_errors = {"NoSuchEntity"};
      }
      calls.push_back(std::move(call));
    }
    return calls;
  }

 private:
  static Principal to_principal(const Json& p) {
    Principal principal{p["kind"] == "role" ? Kind::Role : Kind::User, p["name"], {}, false};
    for (const auto& arn : p["instance_arns"]) principal.instance_arns.insert(arn.get<std::string>());
    principal.whole = principal.instance_arns.empty();
    return principal;
  }

  RevokeSessionsOptions options_;
  engine::StepSpec spec_;
};

}  // namespace

Json revoke_sessions_statement(std::string_view case_id, std::string_view issued_before,
                               const std::vector<std::string>& instance_arns) {
  Json condition{{"DateLessThan", {{"aws:TokenIssueTime", std::string(issued_before)}}}};
  if (!instance_arns.empty()) condition["StringEquals"] = {{"ec2:SourceInstanceARN", instance_arns}};
  return {{"Sid", sid_for(case_id)},
          {"Effect", "Deny"},
          {"Action", Json::array({"*"})},
          {"Resource", Json::array({"*"})},
          {"Condition", condition}};
}

std::unique_ptr<engine::Step> make_revoke_sessions_step(RevokeSessionsOptions options) {
  return std::make_unique<RevokeSessionsStep>(std::move(options));
}

}  // namespace firebreak::playbooks
