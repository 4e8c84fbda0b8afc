#pragma once
// "Verify AWS account information" and the baseline it is compared with: the known-good users,
// roles, keys, key pairs and account settings, captured by `firebreak baseline capture`.
#include <memory>
#include <string>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/step.h"
#include "firebreak/playbooks/identity/reader.h"

namespace firebreak::playbooks {

// The account settings the playbooks check, one member per item: alternate contacts (billing,
// operations, security), root MFA and root access keys, password policy, trails and whether
// they log, GuardDuty per region, Organizations membership, the credential report. An item
// that could not be read holds {"error": ...}.
Json describe_account(AwsReader& aws, const std::vector<std::string>& regions);
extern const std::vector<engine::AwsOperation> kAccountReads;

// Each item of `current` as ok / changed / missing (present in the baseline, absent now) /
// new (absent from the baseline) / unreadable, with both values.
Json compare_with_baseline(const Json& current, const Json& baseline_account);

// The baseline document: {"version": 1, "users", "roles", "access_keys", "key_pairs", "account"}.
Json capture_baseline(AwsReader& aws);
// Reads and checks a baseline file; InputError naming what is wrong.
Json load_baseline(const std::string& path);
std::vector<std::string> baseline_names(const Json& baseline, const char* member);

// Null baseline: the items are recorded, each "no baseline".
std::unique_ptr<engine::Step> make_verify_account_step(Json baseline);

}  // namespace firebreak::playbooks
