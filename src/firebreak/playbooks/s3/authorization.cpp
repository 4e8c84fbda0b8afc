// Step 3: for each (principal, action) the finding and CloudTrail show, whether it was allowed,
// denied or public, and which statement decided it. A same-account IAM user is asked of IAM's
// policy simulator (SimulatePrincipalPolicy, with the bucket policy as the resource policy);
// everyone else, and everyone when the simulator is not available, is judged by firebreak's own
// evaluation of the bucket policy, ACL, Block Public Access and the principal's identity
// policies. Each verdict says which of the two gave it.
#include <map>
#include <mutex>
#include <regex>
#include <set>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/playbooks/identity/reader.h"
#include "firebreak/playbooks/s3/access_evaluation.h"
#include "firebreak/playbooks/s3/steps.h"

namespace firebreak::playbooks::s3 {
namespace {

constexpr const char* kSimulator = "IAM policy simulator";
constexpr const char* kOwnEvaluation = "firebreak's evaluation";

// CloudTrail event names whose IAM action is named otherwise; the rest are "s3:" + the name.
const std::map<std::string, std::string, std::less<>>& renamed_actions() {
  static const std::map<std::string, std::string, std::less<>> table = {
      {"HeadObject", "s3:GetObject"},          {"HeadBucket", "s3:ListBucket"},
      {"ListObjects", "s3:ListBucket"},        {"ListObjectsV2", "s3:ListBucket"},
      {"ListObjectVersions", "s3:ListBucketVersions"}, {"ListBuckets", "s3:ListAllMyBuckets"},
      {"CopyObject", "s3:PutObject"},          {"CreateMultipartUpload", "s3:PutObject"},
      {"UploadPart", "s3:PutObject"},          {"UploadPartCopy", "s3:PutObject"},
      {"CompleteMultipartUpload", "s3:PutObject"}, {"DeleteObjects", "s3:DeleteObject"},
      {"GetObjectAttributes", "s3:GetObject"}, {"ListMultipartUploads", "s3:ListBucketMultipartUploads"},
      {"ListParts", "s3:ListMultipartUploadParts"}, {"PutBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
      {"GetBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"},
      {"DeleteBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock"},
      {"DeleteBucketPolicy", "s3:DeleteBucketPolicy"}, {"GetBucketOwnershipControls", "s3:GetBucketOwnershipControls"}};
  return table;
}

}  // namespace

std::string iam_action_for(std::string_view event_name) {
  if (event_name.starts_with("s3:")) return std::string(event_name);
  auto it = renamed_actions().find(event_name);
  return it != renamed_actions().end() ? it->second : fmt::format("s3:{}", event_name);
}

bool is_object_action(std::string_view action) {
  return (action.find("Object") != std::string_view::npos && action != "s3:ListBucket") ||
         action.find("MultipartUpload") != std::string_view::npos;
}

namespace {

// The evaluator's principal for what CloudTrail or a finding names: anonymous callers are "".
std::string evaluated_principal(std::string_view principal) {
  if (principal == "ANONYMOUS_PRINCIPAL" || principal == "AnonymousPrincipal" || principal == "anonymous") return "";
  return std::string(principal);
}

struct Seen {
  std::string principal;  // as the source names it
  std::string action;     // s3:GetObject
  std::string source;     // "finding" or "cloudtrail"
  uint64_t calls = 0;
  std::string source_ip;  // when the source names one address
};

// {"kind": "user"|"role", "name"} for an IAM principal of `account`, null otherwise.
Json own_iam_principal(const std::string& arn, const std::string& account) {
  static const std::regex user(R"(arn:[\w-]+:iam::(\d{12}):user/(?:.*/)?([^/]+))");
  static const std::regex role(R"(arn:[\w-]+:iam::(\d{12}):role/(?:.*/)?([^/]+))");
  static const std::regex session(R"(arn:[\w-]+:sts::(\d{12}):assumed-role/([^/]+)/.*)");
  std::smatch m;
  for (const auto& [pattern, kind] : {std::pair{&user, "user"}, std::pair{&role, "role"}, std::pair{&session, "role"}}) {
    if (std::regex_match(arn, m, *pattern)) {
      if (m[1] != account) return nullptr;
      return {{"kind", kind}, {"name", m[2].str()}};
    }
  }
  return nullptr;
}

Json policy_document(const Json& document) {
  return document.is_string() ? Json::parse(uri_decode(document.get<std::string>())) : document;
}

// The principal's inline and attached policies, its groups' too for a user.
std::vector<Json> identity_policies(engine::StepContext& ctx, const std::string& kind, const std::string& name) {
  std::vector<Json> out;
  auto add = [&](const std::string& entity, const std::string& id_member, const std::string& id) {
    const Json who{{id_member, id}};
    const Json names = ctx.paginate_all("iam", fmt::format("List{}Policies", entity), who)["PolicyNames"];
    for (const auto& policy : names) {
      Json input = who;
      input["PolicyName"] = policy;
      Json got = ctx.call("iam", fmt::format("Get{}Policy", entity), input);
      out.push_back({{"PolicyName", policy}, {"PolicyDocument", policy_document(got["PolicyDocument"])}});
    }
    const Json attached_policies = ctx.paginate_all("iam", fmt::format("ListAttached{}Policies", entity), who)["AttachedPolicies"];
    for (const auto& attached : attached_policies) {
      const Json arn = attached["PolicyArn"];
      const std::string version = ctx.call("iam", "GetPolicy", {{"PolicyArn", arn}})["Policy"]["DefaultVersionId"];
      Json got = ctx.call("iam", "GetPolicyVersion", {{"PolicyArn", arn}, {"VersionId", version}});
      out.push_back({{"PolicyArn", arn}, {"PolicyDocument", policy_document(got["PolicyVersion"]["Document"])}});
    }
  };
  if (kind == "user") {
    add("User", "UserName", name);
    const Json groups = ctx.paginate_all("iam", "ListGroupsForUser", {{"UserName", name}})["Groups"];
    for (const auto& group : groups) {
      add("Group", "GroupName", group["GroupName"]);
    }
  } else {
    add("Role", "RoleName", name);
  }
  return out;
}

BucketAccessState access_state(const S3Options& options, const std::string& account, const Json& settings) {
  for (const char* part : {"policy", "acl", "public_access_block", "ownership_controls"}) {
    if (is_read_error(settings[part])) {
      throw Error(fmt::format("the calls cannot be judged: the bucket's {} could not be read: {}: {}", part,
                              settings[part]["error"].value("code", ""), settings[part]["error"].value("message", "")));
    }
  }
  const Json& policy = settings["policy"];
  if (policy.is_object() && policy.contains("invalid")) {
    throw Error(fmt::format("the calls cannot be judged: {}", policy["invalid"].get<std::string>()));
  }
  BucketAccessState state;
  state.bucket = options.bucket;
  state.owner_account = account;
  state.bucket_policy = policy.is_null() ? Json() : policy["document"];
  state.acl = settings["acl"];
  state.public_access_block = settings["public_access_block"];
  const Json& account_block = settings["account_public_access_block"];
  // An account setting that cannot be read is judged as absent; the verdict says so below.
  state.account_public_access_block = is_read_error(account_block) ? Json() : account_block;
  const Json& ownership = settings["ownership_controls"];
  if (ownership.is_object()) {
    const Json rules = ownership.value("OwnershipControls", Json::object()).value("Rules", Json::array());
    if (!rules.empty()) state.object_ownership = rules[0].value("ObjectOwnership", "");
  }
  return state;
}

class AuthorizationStep : public S3Step {
 public:
  AuthorizationStep(const S3Options& options, SharedTrailFindings trail, SharedSettings settings)
      : S3Step(options, "authorization", "Identify whether the source was authorized", {}),
        trail_(std::move(trail)), settings_(std::move(settings)) {
    // The bucket as it was: after the record and before the lockdown steps could change it
    // (they wait on the record only, this step judges from the record's copy).
    spec_.after = {"check-cloudtrail", "record-bucket"};
    spec_.reads = kSettingsReads;
    for (const char* op : {"SimulatePrincipalPolicy", "ListUserPolicies", "GetUserPolicy", "ListAttachedUserPolicies",
                           "ListGroupsForUser", "ListGroupPolicies", "GetGroupPolicy", "ListAttachedGroupPolicies",
                           "ListRolePolicies", "GetRolePolicy", "ListAttachedRolePolicies", "GetPolicy",
                           "GetPolicyVersion"}) {
      spec_.reads.push_back({"iam", op});
    }
  }

  // {"verdicts": [{"principal", "action", "resource", "seen_in", "calls", "method", "decision",
  //   "decided_by", "explanation"}], "cloudtrail": whether the hunt's answer was there}
  Json observe(engine::StepContext& ctx) const override {
    const std::vector<Seen> seen = requests();
    Json settings = settings_->is_null() ? read_bucket_settings(ctx, options_) : *settings_;
    const std::string account = ctx.case_info().account;
    const BucketAccessState base = access_state(options_, account, settings);

    std::string simulator_unavailable;
    std::map<std::string, std::optional<std::vector<Json>>> policies_of;
    Json verdicts = Json::array();
    for (const auto& request : seen) {
      const std::string resource = bucket_arn(options_.bucket) + (is_object_action(request.action) ? "/*" : "");
      Json verdict{{"principal", request.principal}, {"action", request.action}, {"resource", resource},
                   {"seen_in", request.source}, {"calls", request.calls}};
      const std::string principal = evaluated_principal(request.principal);
      const Json own = own_iam_principal(principal, account);
      if (simulator_unavailable.empty() && !own.is_null() && own["kind"] == "user") {
        try {
          merge(verdict, simulate(ctx, principal, request.action, resource, settings, account));
          verdicts.push_back(std::move(verdict));
          continue;
        } catch (const aws::AwsError& e) {
          simulator_unavailable = fmt::format("{} (HTTP {})", e.code(), e.http_status());
        }
      }
      BucketAccessState state = base;
      if (!own.is_null()) {
        if (!policies_of.contains(principal)) policies_of[principal] = read_identity_policies(ctx, own);
        state.identity_policies = policies_of[principal];
      }
      AccessRequest access;
      access.principal_arn = principal;
      access.action = request.action;
      access.resource_arn = resource;
      if (!request.source_ip.empty()) access.context["aws:SourceIp"] = request.source_ip;
      verdict["method"] = kOwnEvaluation;
      if (!simulator_unavailable.empty() && !own.is_null() && own["kind"] == "user") {
        verdict["method"] = fmt::format("{} (the IAM policy simulator answered {})", kOwnEvaluation, simulator_unavailable);
      }
      try {
        merge(verdict, evaluate_access(access, state).to_json());
      } catch (const InputError& e) {
        merge(verdict, {{"decision", "not judged"}, {"decided_by", ""}, {"explanation", e.what()}});
      }
      if (!own.is_null() && !state.identity_policies) verdict["explanation"] = verdict["explanation"].get<std::string>() + " (identity policies unreadable)";
      verdicts.push_back(std::move(verdict));
    }
    return {{"verdicts", verdicts}, {"cloudtrail", trail_->hunted}};
  }

  engine::Plan plan(const Json& observed) const override {
    engine::Plan plan;
    for (const auto& v : observed["verdicts"]) {
      plan.changes.push_back(fmt::format("{} {}: {} by {} ({})", v["principal"].get<std::string>().empty() ? "anonymous" : v["principal"].get<std::string>(),
                                         v["action"].get<std::string>(), v["decision"].get<std::string>(),
                                         v["decided_by"].get<std::string>(), v["method"].get<std::string>()));
    }
    if (!observed["cloudtrail"].get<bool>()) {
      plan.changes.push_back("judge the calls check-cloudtrail finds once it has run (with --apply)");
    }
    plan.changes.push_back("save the verdicts as evidence (authorization.json)");
    return plan;
  }

  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    auto saved = ctx.save_evidence("authorization.json", observed.dump(2));
    return {{"verdicts", observed["verdicts"].size()}, {"sha256", saved.sha256}};
  }

 private:
  static void merge(Json& into, const Json& from) {
    for (const auto& [key, value] : from.items()) into[key] = value;
  }

  // What the finding and the CloudTrail hunt saw, each (principal, action) once.
  std::vector<Seen> requests() const {
    std::vector<Seen> out;
    std::set<std::pair<std::string, std::string>> keys;
    auto add = [&](Seen seen) {
      if (keys.insert({seen.principal, seen.action}).second) out.push_back(std::move(seen));
    };
    if (options_.finding && !options_.finding->actor.api.empty()) {
      const auto& actor = options_.finding->actor;
      add({actor.arn.empty() ? std::string("ANONYMOUS_PRINCIPAL") : actor.arn, iam_action_for(actor.api), "finding", 1,
           actor.remote_ip});
    }
    if (trail_->hunted) {
      for (const auto& principal : trail_->summary) {
        const Json ips = principal.value("sourceIPs", Json::object());
        const std::string ip = ips.size() == 1 ? ips.begin().key() : std::string();
        const Json events = principal.value("eventNames", Json::object());
        for (const auto& [event, count] : events.items()) {
          add({principal.value("principal", ""), iam_action_for(event), "cloudtrail", count.get<uint64_t>(), ip});
        }
      }
    }
    return out;
  }

  static std::optional<std::vector<Json>> read_identity_policies(engine::StepContext& ctx, const Json& own) {
    try {
      return identity_policies(ctx, own["kind"], own["name"]);
    } catch (const aws::AwsError&) {
      return std::nullopt;
    }
  }

  static Json simulate(engine::StepContext& ctx, const std::string& user_arn, const std::string& action,
                       const std::string& resource, const Json& settings, const std::string& account) {
    Json input{{"PolicySourceArn", user_arn}, {"ActionNames", {action}}, {"ResourceArns", {resource}},
               {"ResourceOwner", fmt::format("arn:aws:iam::{}:root", account)}};
    if (settings["policy"].is_object()) input["ResourcePolicy"] = settings["policy"]["text"];
    Json out = ctx.call("iam", "SimulatePrincipalPolicy", input);
    const Json& result = out["EvaluationResults"].at(0);
    const std::string decision = result.value("EvalDecision", "");
    std::vector<std::string> statements;
    for (const auto& match : result.value("MatchedStatements", Json::array())) {
      statements.push_back(fmt::format("{} {}", match.value("SourcePolicyType", ""), match.value("SourcePolicyId", "")));
    }
    return {{"method", kSimulator},
            {"decision", decision == "allowed" ? "allowed" : "denied"},
            {"decided_by", statements.empty() ? fmt::format("no statement allows it ({})", decision)
                                              : fmt::format("{}", fmt::join(statements, ", "))},
            {"explanation", fmt::format("IAM's policy simulator: {}", decision)}};
  }

  SharedTrailFindings trail_;
  SharedSettings settings_;
};

}  // namespace

std::unique_ptr<engine::Step> make_authorization_step(const S3Options& options, SharedTrailFindings trail,
                                                      SharedSettings settings) {
  return std::make_unique<AuthorizationStep>(options, std::move(trail), std::move(settings));
}

}  // namespace firebreak::playbooks::s3
