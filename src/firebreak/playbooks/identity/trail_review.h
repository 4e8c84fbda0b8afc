#pragma once
// "Check CloudTrail logs" and "Review AWS resources": what a principal did, through the hunt
// engine (issue 7), and the current state of what it created or changed.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"
#include "firebreak/cloudtrail/source.h"
#include "firebreak/engine/step.h"

namespace firebreak::playbooks {

struct TrailScope {
  std::vector<std::string> principals;   // user or role names, ARNs; empty: everyone
  std::vector<std::string> access_keys;
  std::vector<std::string> buckets;      // only events about these S3 buckets; empty: any
  std::optional<int64_t> since;          // seconds since the epoch; none: everything the source has
  std::string trail_logs;                // file, directory or s3://; empty: LookupEvents per region
  // Principals to leave out of the answer (the account playbook's baseline users and roles).
  std::vector<std::string> known_principals;
};

// What the check found, handed to the review step of the same run.
struct TrailFindings {
  Json summary = Json::array();    // the hunt's summary answer, per principal
  Json resources = Json::array();  // the hunt's resources answer
  bool hunted = false;             // false until the check ran in this process
};

// Both steps share `findings`; the review depends on the check.
std::unique_ptr<engine::Step> make_check_cloudtrail_step(const aws::Session& session, TrailScope scope,
                                                         std::shared_ptr<TrailFindings> findings);
std::unique_ptr<engine::Step> make_review_resources_step(std::shared_ptr<TrailFindings> findings);

class AwsReader;

// "Review AWS resources": each resource of the hunt's resources answer with a "state": exists,
// gone or unreadable (with the read's answer or error, and the region), or "not looked up" for
// a type firebreak has no read for; each state names the resource's type. `summary`: the hunt's
// summary answer, whose principals' regions are where resources without an ARN are looked for.
Json look_up_resources(AwsReader& aws, Json resources, const Json& summary);

// Whether a principal ARN (arn:...:user/NAME, role/NAME, assumed-role/NAME/...) names one of `names`.
bool principal_is_one_of(std::string_view arn, const std::vector<std::string>& names);

// One pass of the hunt over the sources giving both answers, less the known principals.
// Throws Error naming the objects that could not be read.
TrailFindings hunt_trail(std::vector<std::unique_ptr<cloudtrail::Source>>& sources, const TrailScope& scope);

}  // namespace firebreak::playbooks
