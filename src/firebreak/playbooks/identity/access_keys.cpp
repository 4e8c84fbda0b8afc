#include "firebreak/playbooks/identity/access_keys.h"

#include <map>
#include <mutex>
#include <set>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/engine/step_context.h"
#include "firebreak/playbooks/identity/reader.h"

namespace firebreak::playbooks {
namespace {

using engine::AwsCall;
using engine::Plan;
using engine::StepContext;
using engine::StepSpec;

std::string replacement_secret_name(std::string_view case_id, std::string_view user) {
  return fmt::format("firebreak/{}/{}", case_id, user);
}

// Replacement keys this case stored, from the secrets' tags: key id -> the user (the secret
// name's last part; IAM user names have no '/').
std::map<std::string, std::string> replacement_keys(StepContext& ctx) {
  Json filters = Json::array({Json{{"Key", "tag-key"}, {"Values", {kCaseTag}}},
                              Json{{"Key", "tag-value"}, {"Values", {ctx.case_id()}}}});
  std::map<std::string, std::string> keys;
  for (const Json& secret : ctx.paginate_all("secretsmanager", "ListSecrets", {{"Filters", filters}})
                                .value("SecretList", Json::array())) {
    bool ours = false;
    std::string key;
    for (const Json& tag : secret.value("Tags", Json::array())) {
      ours |= tag.value("Key", "") == kCaseTag && tag.value("Value", "") == ctx.case_id();
      if (tag.value("Key", "") == kKeyTag) key = tag.value("Value", "");
    }
    const std::string name = secret.value("Name", "");
    if (ours && !key.empty()) keys[key] = name.substr(name.rfind('/') + 1);
  }
  return keys;
}

const std::vector<engine::AwsOperation> kKeyReads = {
    {"iam", "ListUsers"}, {"iam", "ListAccessKeys"}, {"secretsmanager", "ListSecrets"}};

// {"keys": [{UserName, AccessKeyId, Status, Kept}]}: the scope's keys; Kept says why a key is
// left alone (the responder's, allow-listed, a replacement this case made), empty otherwise.
Json observe_keys(StepContext& ctx, const KeyScope& scope) {
  ContextReader aws(ctx);
  std::vector<std::string> users = scope.users;
  std::map<std::string, std::string> replacements;
  // The two listings do not depend on each other: one round trip, not two.
  for_each_parallel(2, [&](size_t i) {
    if (i == 0 && users.empty()) users = list_user_names(aws);
    if (i == 1) replacements = replacement_keys(ctx);
  });
  if (scope.within) {
    std::erase_if(users, [&](const std::string& user) {
      return std::find(scope.within->begin(), scope.within->end(), user) == scope.within->end();
    });
  }
  std::vector<Json> per_user(users.size());
  for_each_parallel(users.size(), [&](size_t i) {
    per_user[i] = aws.paginate_all("iam", "ListAccessKeys", {{"UserName", users[i]}})
                      .value("AccessKeyMetadata", Json::array());
  });
  Json keys = Json::array();
  for (size_t i = 0; i < users.size(); ++i) {
    for (const Json& key : per_user[i]) {
      std::string id = key.value("AccessKeyId", "");
      if (!scope.key_id.empty() && id != scope.key_id) continue;
      std::string kept = scope.guard.protects_key(users[i], id);
      if (replacements.contains(id)) kept = fmt::format("{} is the replacement key made by this case", id);
      keys.push_back({{"UserName", users[i]}, {"AccessKeyId", id}, {"Status", key.value("Status", "")},
                      {"Kept", kept}});
    }
  }
  return {{"keys", keys}};
}

std::vector<Json> keys_where(const Json& observed, std::string_view status) {
  std::vector<Json> out;
  for (const Json& key : observed["keys"]) {
    if (key["Kept"].get<std::string>().empty() && (status.empty() || key["Status"] == status)) out.push_back(key);
  }
  return out;
}

void note_kept(StepContext& ctx, const Json& observed) {
  for (const Json& key : observed["keys"]) {
    if (!key["Kept"].get<std::string>().empty()) ctx.note("left alone: " + key["Kept"].get<std::string>(), key);
  }
}

AwsCall update_key(const Json& key, std::string_view status) {
  AwsCall call;
  call.service = "iam";
  call.operation = "UpdateAccessKey";
  call.input = {{"UserName", key["UserName"]}, {"AccessKeyId", key["AccessKeyId"]}, {"Status", status}};
  return call;
}

class CaptureUsersStep final : public engine::Step {
 public:
  explicit CaptureUsersStep(std::vector<std::string> users) : users_(std::move(users)) {
    spec_.name = "identify-user";
    spec_.line = "Identify the IAM user";
    spec_.reads = kDescribeUserReads;
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override {
    ContextReader aws(ctx);
    return {{"users", describe_users(aws, users_)}};
  }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const auto& user : users_) plan.changes.push_back(fmt::format("save user {} and its credentials as evidence", user));
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    Json saved = Json::array();
    for (const Json& user : observed["users"]) {
      auto record = ctx.save_evidence(fmt::format("user-{}.json", user["UserName"].get<std::string>()), user.dump(2));
      saved.push_back({{"name", record.name}, {"sha256", record.sha256}});
    }
    return {{"evidence", saved}};
  }

 private:
  std::vector<std::string> users_;
  StepSpec spec_;
};

class DeactivateKeysStep final : public engine::Step {
 public:
  DeactivateKeysStep(std::string line, KeyScope scope, std::vector<std::string> depends_on)
      : scope_(std::move(scope)) {
    spec_.name = "deactivate-keys";
    spec_.line = std::move(line);
    spec_.depends_on = std::move(depends_on);
    spec_.reads = kKeyReads;
    spec_.changes = {{"iam", "UpdateAccessKey"}};
    spec_.reversible = true;
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override { return observe_keys(ctx, scope_); }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const Json& key : keys_where(observed, "Active")) {
      plan.changes.push_back(fmt::format("deactivate access key {} of {}", key["AccessKeyId"].get<std::string>(),
                                         key["UserName"].get<std::string>()));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    note_kept(ctx, observed);
    std::vector<Json> active = keys_where(observed, "Active");
    for_each_parallel(active.size(), [&](size_t i) {
      const AwsCall call = update_key(active[i], "Inactive");
      ctx.call(call.service, call.operation, call.input);
    });
    Json after = observed;
    for (Json& key : after["keys"]) {
      if (key["Kept"].get<std::string>().empty()) key["Status"] = "Inactive";
    }
    return after;
  }
  std::vector<AwsCall> undo(const Json& before, const Json& after) const override {
    std::vector<AwsCall> calls;
    for (const Json& key : keys_where(before, "Active")) calls.push_back(update_key(key, "Active"));
    return calls;
  }

 private:
  KeyScope scope_;
  StepSpec spec_;
};

class DeleteKeysStep final : public engine::Step {
 public:
  DeleteKeysStep(std::string line, std::string decision, KeyScope scope, std::vector<std::string> depends_on)
      : scope_(std::move(scope)) {
    spec_.name = "delete-keys";
    spec_.line = std::move(line);
    spec_.decision = std::move(decision);
    spec_.depends_on = std::move(depends_on);
    spec_.reads = kKeyReads;
    spec_.changes = {{"iam", "DeleteAccessKey"}};
  }
  const StepSpec& spec() const override { return spec_; }
  Json observe(StepContext& ctx) const override { return observe_keys(ctx, scope_); }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const Json& key : keys_where(observed, "")) {
      plan.changes.push_back(fmt::format("delete access key {} of {} once it is inactive",
                                         key["AccessKeyId"].get<std::string>(), key["UserName"].get<std::string>()));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    note_kept(ctx, observed);
    Json deleted = Json::array();
    std::mutex mutex;
    std::vector<Json> keys = keys_where(observed, "");
    for_each_parallel(keys.size(), [&](size_t i) {
      const Json& key = keys[i];
      // A key still active was not deactivated by this case: deleting it first could break
      // what the responder has not looked at yet.
      if (key["Status"] != "Inactive") {
        ctx.note(fmt::format("not deleted: {} is still active", key["AccessKeyId"].get<std::string>()), key);
        return;
      }
      ctx.call("iam", "DeleteAccessKey", {{"UserName", key["UserName"]}, {"AccessKeyId", key["AccessKeyId"]}});
      std::lock_guard lock(mutex);
      deleted.push_back(key);
    });
    return {{"deleted", deleted}};
  }

 private:
  KeyScope scope_;
  StepSpec spec_;
};

class ReplaceKeysStep final : public engine::Step {
 public:
  ReplaceKeysStep(std::string line, KeyScope scope, std::vector<std::string> depends_on) : scope_(std::move(scope)) {
    spec_.name = "replace-keys";
    spec_.line = std::move(line);
    spec_.decision = kReplaceDecision;
    spec_.depends_on = std::move(depends_on);
    spec_.reads = kKeyReads;
    spec_.changes = {{"iam", "CreateAccessKey"}, {"secretsmanager", "CreateSecret"}};
  }
  const StepSpec& spec() const override { return spec_; }
  // {"users": [names needing a replacement]}: users with a key of the scope and no replacement yet.
  Json observe(StepContext& ctx) const override {
    Json keys = observe_keys(ctx, scope_);
    std::set<std::string> replaced, users;
    for (const auto& [key, user] : replacement_keys(ctx)) replaced.insert(user);
    for (const Json& key : keys_where(keys, "")) {
      if (!replaced.contains(key["UserName"].get<std::string>())) users.insert(key["UserName"].get<std::string>());
    }
    return {{"users", users}};
  }
  Plan plan(const Json& observed) const override {
    Plan plan;
    for (const Json& user : observed["users"]) {
      plan.changes.push_back(fmt::format("create a new access key for {} and store it in Secrets Manager",
                                         user.get<std::string>()));
    }
    return plan;
  }
  Json apply(StepContext& ctx, const Json& observed) const override {
    Json made = Json::array();
    for (const Json& user : observed["users"]) {
      Json key;
      try {
        key = ctx.call("iam", "CreateAccessKey", {{"UserName", user}})["AccessKey"];
      } catch (const aws::AwsError& e) {
        if (e.code() != "LimitExceeded") throw;
        throw Error(fmt::format("{} already has the two access keys IAM allows: delete the exposed one first "
                                "(--delete-old), then run again with --replace", user.get<std::string>()), e);
      }
      const std::string id = key.value("AccessKeyId", "");
      // Built here and handed straight to Secrets Manager; the call's record is redacted.
      Json value{{"AccessKeyId", id}, {"SecretAccessKey", key.value("SecretAccessKey", "")}};
      Json tags = Json::array({Json{{"Key", kCaseTag}, {"Value", ctx.case_id()}}, Json{{"Key", kKeyTag}, {"Value", id}}});
      Json secret = ctx.call("secretsmanager", "CreateSecret",
                             {{"Name", replacement_secret_name(ctx.case_id(), user.get<std::string>())},
                              {"Description", fmt::format("Replacement access key {} for IAM user {} (firebreak case {})",
                                                          id, user.get<std::string>(), ctx.case_id())},
                              {"SecretString", value.dump()},
                              {"Tags", tags}});
      const std::string arn = secret.value("ARN", "");
      ctx.progress(fmt::format("new access key {} for {} stored in {}", id, user.get<std::string>(), arn));
      made.push_back({{"UserName", user}, {"AccessKeyId", id}, {"SecretArn", arn}});
    }
    return {{"replacements", made}};
  }

 private:
  KeyScope scope_;
  StepSpec spec_;
};

}  // namespace

std::unique_ptr<engine::Step> make_capture_users_step(std::vector<std::string> users) {
  return std::make_unique<CaptureUsersStep>(std::move(users));
}

std::unique_ptr<engine::Step> make_deactivate_keys_step(std::string line, KeyScope scope,
                                                        std::vector<std::string> depends_on) {
  return std::make_unique<DeactivateKeysStep>(std::move(line), std::move(scope), std::move(depends_on));
}

std::unique_ptr<engine::Step> make_delete_keys_step(std::string line, std::string decision, KeyScope scope,
                                                    std::vector<std::string> depends_on) {
  return std::make_unique<DeleteKeysStep>(std::move(line), std::move(decision), std::move(scope), std::move(depends_on));
}

std::unique_ptr<engine::Step> make_replace_keys_step(std::string line, KeyScope scope,
                                                     std::vector<std::string> depends_on) {
  return std::make_unique<ReplaceKeysStep>(std::move(line), std::move(scope), std::move(depends_on));
}

}  // namespace firebreak::playbooks
