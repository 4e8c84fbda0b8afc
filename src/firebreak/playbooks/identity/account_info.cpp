#include "firebreak/playbooks/identity/account_info.h"

#include <chrono>
#include <fstream>
#include <functional>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/engine/step_context.h"

namespace firebreak::playbooks {

const std::vector<engine::AwsOperation> kAccountReads = {
    {"ec2", "DescribeRegions"},           {"account", "GetAlternateContact"},
    {"iam", "GetAccountSummary"},         {"iam", "GetAccountPasswordPolicy"},
    {"cloudtrail", "DescribeTrails"},     {"cloudtrail", "GetTrailStatus"},
    {"guardduty", "ListDetectors"},       {"organizations", "DescribeOrganization"},
    {"iam", "GenerateCredentialReport"},  {"iam", "GetCredentialReport"}};

namespace {

constexpr int kReportAttempts = 10;

// Absent alternate contacts and organizations are answers, not failures.
Json absent_is_null(const std::function<Json()>& read, std::initializer_list<std::string_view> absent_codes) {
  return read_part([&]() -> Json {
    try {
      return read();
    } catch (const aws::AwsError& e) {
      for (auto code : absent_codes) {
        if (e.code() == code) return nullptr;
      }
      throw;
    }
  });
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    out.emplace_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// The credential report's state of each user, less the dates that change with every use.
Json credential_report(AwsReader& aws) {
  for (int attempt = 0; attempt < kReportAttempts; ++attempt) {
    if (aws.call("iam", "GenerateCredentialReport").value("State", "") == "COMPLETE") break;
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
  Json out = aws.call("iam", "GetCredentialReport");
  std::string csv;
  if (out["Content"].is_binary()) {
    const auto& bytes = out["Content"].get_binary();
    csv.assign(bytes.begin(), bytes.end());
  } else {
    csv = out.value("Content", "");
  }
  std::vector<std::string> lines = split(csv, '\n');
  if (lines.empty()) return Json::object();
  std::vector<std::string> header = split(lines[0], ',');
  Json users = Json::object();
  for (size_t i = 1; i < lines.size(); ++i) {
    if (lines[i].empty()) continue;
    std::vector<std::string> cells = split(lines[i], ',');
    Json row = Json::object();
    for (size_t c = 1; c < header.size() && c < cells.size(); ++c) {
      const std::string& column = header[c];
      if (column == "password_enabled" || column == "mfa_active" || column == "access_key_1_active" ||
          column == "access_key_2_active" || column == "cert_1_active" || column == "cert_2_active")
        row[column] = cells[c];
    }
    users[cells[0]] = row;
  }
  return users;
}

}  // namespace

Json describe_account(AwsReader& aws, const std::vector<std::string>& regions) {
  // Every item, and GuardDuty in every region, is its own read: all of them go out side by side.
  std::vector<std::pair<std::string, std::function<Json()>>> reads;
  for (const char* type : {"BILLING", "OPERATIONS", "SECURITY"}) {
    reads.emplace_back(fmt::format("alternate-contact:{}", type), [&aws, type] {
      return absent_is_null(
          [&] {
            return aws.call("account", "GetAlternateContact", {{"AlternateContactType", type}})
                .value("AlternateContact", Json::object());
          },
          {"ResourceNotFoundException"});
    });
  }
  reads.emplace_back("summary", [&] {
    return read_part([&] { return aws.call("iam", "GetAccountSummary").value("SummaryMap", Json::object()); });
  });
  reads.emplace_back("password-policy", [&] {
    return read_part([&] { return aws.call("iam", "GetAccountPasswordPolicy").value("PasswordPolicy", Json::object()); });
  });
  reads.emplace_back("trails", [&] {
    return read_part([&] {
      Json found = aws.call("cloudtrail", "DescribeTrails").value("trailList", Json::array());
      std::vector<Json> trails(found.size());
      for_each_parallel(found.size(), [&](size_t i) {
        const Json& trail = found[i];
        Json status = aws.call("cloudtrail", "GetTrailStatus", {{"Name", trail.value("TrailARN", "")}},
                               trail.value("HomeRegion", ""));
        trails[i] = {{"Name", trail.value("Name", "")}, {"S3BucketName", trail.value("S3BucketName", "")},
                     {"S3KeyPrefix", trail.value("S3KeyPrefix", "")},
                     {"IsMultiRegionTrail", trail.value("IsMultiRegionTrail", false)},
                     {"HomeRegion", trail.value("HomeRegion", "")}, {"IsLogging", status.value("IsLogging", false)}};
      });
      return Json(trails);
    });
  });
  reads.emplace_back("organization", [&] {
    return absent_is_null(
        [&] {
          Json org = aws.call("organizations", "DescribeOrganization").value("Organization", Json::object());
          return Json{{"Id", org.value("Id", "")}, {"MasterAccountId", org.value("MasterAccountId", "")}};
        },
        {"AWSOrganizationsNotInUseException"});
  });
  reads.emplace_back("credential-report", [&] { return read_part([&] { return credential_report(aws); }); });
  for (const std::string& region : regions) {
    reads.emplace_back(region, [&aws, &region] {
      return read_part([&] {
        return Json(!aws.paginate_all("guardduty", "ListDetectors", Json::object(), region)
                         .value("DetectorIds", Json::array()).empty());
      });
    });
  }
  std::vector<Json> values(reads.size());
  for_each_parallel(reads.size(), [&](size_t i) { values[i] = reads[i].second(); });

  Json items = Json::object();
  Json guardduty = Json::object();
  const size_t first_region = reads.size() - regions.size();
  for (size_t i = 0; i < first_region; ++i) items[reads[i].first] = std::move(values[i]);
  for (size_t i = first_region; i < reads.size(); ++i) guardduty[reads[i].first] = std::move(values[i]);
  // Two items come from the one account summary.
  const Json summary = items["summary"];
  items.erase("summary");
  items["root-mfa"] = is_read_error(summary) ? summary : Json(summary.value("AccountMFAEnabled", 0) == 1);
  items["root-access-keys"] = is_read_error(summary) ? summary : Json(summary.value("AccountAccessKeysPresent", 0) != 0);
  items["guardduty"] = guardduty;
  return items;
}

Json compare_with_baseline(const Json& current, const Json& baseline_account) {
  Json out = Json::object();
  for (const auto& [item, value] : current.items()) {
    Json entry{{"current", value}};
    if (is_read_error(value)) {
      entry["status"] = "unreadable";
    } else if (!baseline_account.is_object() || !baseline_account.contains(item)) {
      entry["status"] = baseline_account.is_object() ? "new" : "no baseline";
    } else {
      const Json& known = baseline_account[item];
      entry["baseline"] = known;
      if (value == known) entry["status"] = "ok";
      else if (value.is_null()) entry["status"] = "missing";
      else entry["status"] = "changed";
    }
    out[item] = entry;
  }
  return out;
}

Json capture_baseline(AwsReader& aws) {
  std::vector<std::string> regions = enabled_regions(aws);
  Json baseline{{"version", 1}, {"captured", format_iso8601(Clock::now())}};
  std::vector<std::string> users = list_user_names(aws);
  baseline["users"] = users;
  Json roles = Json::array();
  for (const Json& role : aws.paginate_all("iam", "ListRoles").value("Roles", Json::array()))
    roles.push_back(role.value("RoleName", ""));
  baseline["roles"] = roles;
  std::vector<Json> keys(users.size());
  for_each_parallel(users.size(), [&](size_t i) {
    keys[i] = aws.paginate_all("iam", "ListAccessKeys", {{"UserName", users[i]}}).value("AccessKeyMetadata", Json::array());
  });
  Json access_keys = Json::array();
  for (size_t i = 0; i < users.size(); ++i) {
    for (const Json& key : keys[i]) access_keys.push_back({{"UserName", users[i]}, {"AccessKeyId", key["AccessKeyId"]}});
  }
  baseline["access_keys"] = access_keys;
  Json key_pairs = Json::object();
  const Json found = describe_key_pairs(aws, regions);
  for (const auto& [region, pairs] : found.items()) {
    Json names = Json::array();
    if (pairs.is_array()) {
      for (const Json& pair : pairs) names.push_back(pair["KeyName"]);
    }
    key_pairs[region] = names;
  }
  baseline["key_pairs"] = key_pairs;
  baseline["account"] = describe_account(aws, regions);
  return baseline;
}

Json load_baseline(const std::string& path) {
  std::ifstream file(path);
  if (!file) throw InputError(fmt::format("--baseline {}: cannot be read", path));
  std::stringstream text;
  text << file.rdbuf();
  Json baseline = Json::parse(text.str(), nullptr, false);
  if (baseline.is_discarded() || !baseline.is_object() || baseline.value("version", 0) != 1 ||
      !baseline.contains("users") || !baseline["users"].is_array()) {
    throw InputError(fmt::format("--baseline {}: not a baseline (make one with `firebreak baseline capture`)", path));
  }
  return baseline;
}

std::vector<std::string> baseline_names(const Json& baseline, const char* member) {
  std::vector<std::string> names;
  if (baseline.is_object() && baseline.contains(member)) {
    for (const Json& name : baseline[member]) {
      if (name.is_string()) names.push_back(name.get<std::string>());
    }
  }
  return names;
}

namespace {

class VerifyAccountStep final : public engine::Step {
 public:
  explicit VerifyAccountStep(Json baseline) : baseline_(std::move(baseline)) {
    spec_.name = "verify-account";
    spec_.line = "Verify AWS account information";
    spec_.reads = kAccountReads;
  }
  const engine::StepSpec& spec() const override { return spec_; }
  Json observe(engine::StepContext& ctx) const override {
    ContextReader aws(ctx);
    return describe_account(aws, enabled_regions(aws));
  }
  engine::Plan plan(const Json& observed) const override {
    return {{fmt::format("record {} account items and compare them with {}", observed.size(),
                         baseline_.is_null() ? "nothing (no --baseline)" : "the baseline")}};
  }
  Json apply(engine::StepContext& ctx, const Json& observed) const override {
    Json compared = compare_with_baseline(observed, baseline_.is_null() ? Json() : baseline_.value("account", Json::object()));
    Json statuses = Json::object();
    for (const auto& [item, entry] : compared.items()) {
      statuses[item] = entry["status"];
      if (entry["status"] != "ok") ctx.progress(fmt::format("{}: {}", item, entry["status"].get<std::string>()));
    }
    auto record = ctx.save_evidence("account-check.json", compared.dump(2));
    return {{"items", statuses}, {"sha256", record.sha256}};
  }

 private:
  Json baseline_;
  engine::StepSpec spec_;
};

}  // namespace

std::unique_ptr<engine::Step> make_verify_account_step(Json baseline) {
  return std::make_unique<VerifyAccountStep>(std::move(baseline));
}

}  // namespace firebreak::playbooks
