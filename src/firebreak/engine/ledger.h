#pragma once
// The case ledger: append-only rows, each holding the SHA-256 of the row before it, so that
// editing, deleting or reordering any row breaks the chain at that row.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::engine {

// What happened, one word per kind of row.
enum class RowAction {
  CaseOpened,    // row 1: the incident, the responder, the account and region
  RunStarted,    // a run of the playbook: mode, decisions, the steps and their lines
  RunFinished,   // the run's outcome per step
  Observed,      // a step's view of the world before it acts
  Planned,       // dry-run: what the step would change
  ApplyStarted,  // the step starts changing things; `before` is the state it found
  Call,          // one changing AWS call (or any failed call): operation, parameters, result/error
  Applied,       // the step is done; `after`, and in `result` the calls that undo it
  AlreadyDone,   // nothing to change: the world was already as the step wants it
  Verified,      // a step done earlier in this case was checked and found still done
  Failed,        // the step failed; `error` says why
  Skipped,       // the step did not run; `result.reason` says why
  Evidence,      // an artifact: name, SHA-256, size, where it is stored
  UndoStarted,
  Undone,
  UndoFailed,
  Note,          // anything else a step wants on the record
};

std::string_view to_string(RowAction action);
std::optional<RowAction> parse_row_action(std::string_view text);

// A row as its writer gives it. Json members are null when they do not apply.
struct LedgerEntry {
  std::string time;  // format_iso8601 with milliseconds
  std::string actor;  // ARN of the responder
  std::string step;   // empty for rows about the whole case
  RowAction action = RowAction::Note;
  std::string operation;  // "ec2:ModifyInstanceAttribute"
  std::string region;
  Json parameters;  // the call's input, secrets redacted
  Json before;
  Json after;
  Json result;
  Json error;  // {"code", "message", "request_id", "http_status"}
};

// A row as stored: its place in the case and its link to the row before.
struct LedgerRow {
  std::uint64_t seq = 0;  // 1-based position in the case
  LedgerEntry entry;
  std::string prev_hash;  // hex SHA-256 of the previous row; kGenesisHash for row 1
  std::string hash;       // hex SHA-256 of this row's canonical form
  // Set by a store that read something no writer writes (an unknown action, a member that is
  // not JSON): the file was edited. verify_chain reports it as a changed row.
  std::string defect;

  Json to_json() const;
  // Throws InputError when the value is not a stored row.
  static LedgerRow from_json(const Json& value);
};

inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// Makes every Json member storable and hashable the same way on every store: text valid
// UTF-8 (invalid bytes replaced), binary values summarised by size and SHA-256.
Json normalize(const Json& value);
// The bytes that are hashed: every field but `hash`, as UTF-8 JSON with sorted keys and no
// whitespace, so anyone can check an export without firebreak (Python: json.dumps(row,
// sort_keys=True, separators=(",", ":"), ensure_ascii=False)).
std::string canonical_form(const LedgerRow& row);
std::string compute_hash(const LedgerRow& row);
// The next row of a chain: entry normalized, linked to prev_hash and hashed. Stores call this
// inside their transaction, after reading the head.
LedgerRow chain_row(const LedgerEntry& entry, std::uint64_t seq, std::string_view prev_hash);

// The head a store keeps beside the rows, so that rows cut from the end are noticed too.
struct ChainHead {
  std::uint64_t rows = 0;
  std::string hash;
};

struct ChainBreak {
  std::uint64_t row = 0;  // the first row that does not check out
  std::string reason;
};

struct Verification {
  std::uint64_t rows = 0;
  std::string head_hash;  // of the last row read
  std::optional<ChainBreak> first_break;

  bool intact() const { return !first_break.has_value(); }
  Json to_json() const;
};

// Recomputes the chain of rows read in the store's order and names the first broken row.
Verification verify_chain(const std::vector<LedgerRow>& rows, const std::optional<ChainHead>& head);

}  // namespace firebreak::engine
