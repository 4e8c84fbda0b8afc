#pragma once
// A case: one incident, the responder who works it, and what every step did, read back from
// the ledger. The ledger is the only record; a CaseView is derived from its rows.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/evidence.h"
#include "firebreak/engine/ledger.h"
#include "firebreak/engine/step.h"

namespace firebreak::engine {

// What the case answers: a finding, or the resources named on the command line.
struct Incident {
  std::string finding_id;               // empty when the playbook was started by hand
  std::vector<std::string> resources;   // "i-0abc...", ARNs, bucket names
  std::string principal;                // the principal the finding names, if any
  std::string account;
  std::string region;
  // The finding exactly as read, kept as the case's evidence when a run applies; null when the
  // playbook was started by hand. Not part of to_json: the case row names it by finding_id.
  Json finding;

  Json to_json() const;
  static Incident from_json(const Json& value);
  bool operator==(const Incident&) const = default;
};

// Who ran it: STS GetCallerIdentity of the credentials in use.
struct Actor {
  std::string arn;
  std::string account;
  std::string user_id;

  Json to_json() const;
  static Actor from_json(const Json& value);
};

// Row 1 of every case.
struct CaseInfo {
  std::string id;
  std::string playbook;
  Incident incident;
  Actor opened_by;
  std::string account;  // of the credentials that opened it; later runs must use the same
  std::string region;
  std::string created;

  Json to_json() const;
  static CaseInfo from_json(const Json& value);
};

// Case ids name folders and S3 keys: letters, digits, '.', '_', '-', at most 64, starting with
// a letter or digit. Throws InputError naming the rule.
void validate_case_id(std::string_view id);
// "fb-20240530-1a2b3c4d": the UTC date and 32 random bits.
std::string generate_case_id();

// One step as the case knows it, folded from its rows.
struct StepRecord {
  std::string name;
  std::string line;
  std::vector<std::string> depends_on;
  bool changes_state = false;
  bool reversible = false;
  std::optional<StepState> state;      // nullopt: never run in this case
  Json original_before;                // the state found before the first change (null if none)
  Json after;
  std::vector<AwsCall> undo;           // recorded when applied
  std::vector<std::string> planned;    // the last plan's changes
  std::string detail;                  // reason for skipped, error message for failed
  Json error;
  std::uint64_t applied_row = 0;       // seq of the row that marked it done (undo goes in reverse)
};

struct CaseView {
  CaseInfo info;
  std::vector<StepRecord> steps;  // in playbook order
  std::vector<EvidenceRecord> evidence;
  std::uint64_t rows = 0;
  int runs = 0;

  const StepRecord* find_step(std::string_view name) const;
  Json to_json() const;
};

// Folds a case's rows (in order, chain already verified). Throws InputError when row 1 is not
// the opening of a case.
CaseView build_case_view(const std::vector<LedgerRow>& rows);

}  // namespace firebreak::engine
