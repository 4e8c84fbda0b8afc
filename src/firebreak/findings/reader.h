#pragma once
// Reads findings in every form they arrive in and turns each into an Incident:
//   - a GuardDuty finding as GetFindings returns it (PascalCase from the API and boto3, camelCase
//     in exports and EventBridge; both are accepted);
//   - an EventBridge event: "GuardDuty Finding" (detail is the finding) or "Security Hub
//     Findings - Imported" / "- Custom Action" (detail.findings[] are ASFF findings);
//   - a Security Hub ASFF finding, GuardDuty's forwarded ones included;
//   - an SNS notification ({"Type": "Notification", "Message": "<JSON>"}), Lambda's SNS and SQS
//     event records ({"Records": [{"Sns": {"Message": ...}}]}, {"Records": [{"body": ...}]});
//   - many findings: a JSON array, {"Findings": [...]} as GetFindings returns, or JSON lines.
// A text that is not JSON at all is an InputError naming the source, line and column. A
// document that is JSON but no finding, or a finding missing a field it needs, is a problem
// returned beside the findings that could be read, saying what the document is.
#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/findings/incident.h"

namespace firebreak::findings {

struct ReadProblem {
  std::string where;    // "events.json:12:5", "events.json: Findings[3]"
  std::string message;  // "a CloudTrail event (ConsoleLogin), not a finding"
  std::string text() const { return where + ": " + message; }
};

struct FindingSet {
  std::vector<Incident> incidents;
  std::vector<ReadProblem> problems;
};

// `source` names the text in problems and in each Incident's origin (a file name, "<stdin>").
// Throws InputError when the text is empty or not JSON (nor JSON lines).
FindingSet read_findings(std::string_view text, std::string_view source);
// A file, or standard input for "-". Throws InputError when it cannot be read.
FindingSet read_findings_file(const std::string& path);
FindingSet read_findings_stream(std::istream& input, std::string_view source);
// An already parsed document (a Lambda event, an API response).
FindingSet read_findings_document(const Json& document, std::string_view source);

// One finding object to an Incident. Throws InputError naming a field the finding lacks or
// that has the wrong JSON type.
Incident incident_from_guardduty(const Json& finding);
Incident incident_from_asff(const Json& finding);

// "TTPs/Command and Control/Backdoor:EC2-C&CActivity.B!DNS" -> "Backdoor:EC2/C&CActivity.B!DNS":
// GuardDuty's type as Security Hub writes it in Types. Empty when `asff_type` carries none.
std::string guardduty_type_from_asff(std::string_view asff_type);

}  // namespace firebreak::findings
