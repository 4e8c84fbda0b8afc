#pragma once
// From an Incident to the playbook that answers it. One table (routing.cpp, kFamilies) lists
// every GuardDuty finding type family, ThreatPurpose:ResourceTypeAffected, and how its playbook
// is chosen: always the same one, by whose credentials acted (IAM user, role session, root), or
// by the resource the finding names (instance, ECS cluster, container, bucket...). A type whose
// family is not in the table is unrouted and says so; nothing is guessed. Findings about
// resources firebreak has no playbook for (EKS, Lambda, backups) are unrouted with the reason,
// unless they name the compute the activity ran on (an EKS node instance).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/findings/incident.h"
#include "firebreak/findings/reader.h"

namespace firebreak::findings {

// The playbooks, by their command names.
enum class Playbook { kEc2, kS3, kEcs, kContainer, kRds, kCredentials, kRole, kAccount };

std::string_view playbook_name(Playbook playbook);  // "ec2", "s3", ..., "account"
std::optional<Playbook> parse_playbook(std::string_view name);

struct Route {
  std::optional<Playbook> playbook;  // empty: unrouted
  std::string reason;                // why this playbook, or why none
  std::string family;                // the table row that decided ("Backdoor:EC2/*"); empty when none
  // What the playbook acts on (instance id, bucket names, user, role, account, cluster,
  // container, DB instance), each checked against the id's pattern: a finding's text never
  // reaches a playbook unvalidated. Empty when the finding names nothing valid; the reason says so.
  std::vector<std::string> targets;

  bool routed() const { return playbook.has_value(); }
  // "ec2" or "unrouted: <reason>".
  std::string summary() const;
};

Route route(const Incident& incident);

struct RoutedFinding {
  Incident incident;
  Route route;
};

struct RoutedFindings {
  std::vector<RoutedFinding> findings;
  std::vector<ReadProblem> problems;
};

RoutedFindings route_findings(FindingSet set);
// What `respond` starts from: a finding document in any form (reader.h) to each finding in it
// with its playbook or the reason it has none.
RoutedFindings route_document(const Json& document, std::string_view source);
// The same from a file, or standard input for "-". Throws InputError when it is not JSON.
RoutedFindings route_file(const std::string& path);

// Every row of the routing table as {family, how, playbook, why}: for documentation and tests.
Json routing_table();

}  // namespace firebreak::findings
