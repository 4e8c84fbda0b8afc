#include "firebreak/engine/ledger.h"

#include <array>
#include <utility>

#include <fmt/format.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

constexpr std::array<std::pair<RowAction, std::string_view>, 17> kActionNames = {{
    {RowAction::CaseOpened, "case-opened"},
    {RowAction::RunStarted, "run-started"},
    {RowAction::RunFinished, "run-finished"},
    {RowAction::Observed, "observed"},
    {RowAction::Planned, "planned"},
    {RowAction::ApplyStarted, "apply-started"},
    {RowAction::Call, "call"},
    {RowAction::Applied, "applied"},
    {RowAction::AlreadyDone, "already-done"},
    {RowAction::Verified, "verified"},
    {RowAction::Failed, "failed"},
    {RowAction::Skipped, "skipped"},
    {RowAction::Evidence, "evidence"},
    {RowAction::UndoStarted, "undo-started"},
    {RowAction::Undone, "undone"},
    {RowAction::UndoFailed, "undo-failed"},
    {RowAction::Note, "note"},
}};

// Sorted keys make the form independent of insertion order and of the store's JSON library.
using CanonicalJson = nlohmann::json;

CanonicalJson canonical(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      CanonicalJson out = CanonicalJson::object();
      for (const auto& [key, member] : value.items()) out[key] = canonical(member);
      return out;
    }
    case Json::value_t::array: {
      CanonicalJson out = CanonicalJson::array();
      for (const auto& element : value) out.push_back(canonical(element));
      return out;
    }
    case Json::value_t::string:
      return value.get<std::string>();
    case Json::value_t::boolean:
      return value.get<bool>();
    case Json::value_t::number_integer:
      return value.get<std::int64_t>();
    case Json::value_t::number_unsigned:
      return value.get<std::uint64_t>();
    case Json::value_t::number_float:
      return value.get<double>();
    default:
      return nullptr;  // null; binary never reaches here (normalize replaces it)
  }
}

std::string text_of(const Json& row, const char* key) {
  auto it = row.find(key);
  if (it == row.end() || !it->is_string()) {
    throw InputError(fmt::format("ledger row has no text member \"{}\"", key));
  }
  return it->get<std::string>();
}

Json member_or_null(const Json& row, const char* key) {
  auto it = row.find(key);
  return it == row.end() ? Json() : *it;
}

}  // namespace

std::string_view to_string(RowAction action) {
  for (const auto& [value, name] : kActionNames) {
    if (value == action) return name;
  }
  return "note";
}

std::optional<RowAction> parse_row_action(std::string_view text) {
  for (const auto& [value, name] : kActionNames) {
    if (name == text) return value;
  }
  return std::nullopt;
}

Json normalize(const Json& value) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    std::string_view view(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    return Json{{"binary_size", bytes.size()}, {"binary_sha256", sha256_hex(view)}};
  }
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, member] : value.items()) out[key] = normalize(member);
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& element : value) out.push_back(normalize(element));
    return out;
  }
  if (value.is_string()) {
    // A round trip through text with replacement makes any invalid UTF-8 valid, once and for all.
    return Json::parse(value.dump(-1, ' ', false, Json::error_handler_t::replace));
  }
  return value;
}

Json LedgerRow::to_json() const {
  return Json{{"seq", seq},
              {"time", entry.time},
              {"actor", entry.actor},
              {"step", entry.step},
              {"action", std::string(engine::to_string(entry.action))},
              {"operation", entry.operation},
              {"region", entry.region},
              {"parameters", entry.parameters},
              {"before", entry.before},
              {"after", entry.after},
              {"result", entry.result},
              {"error", entry.error},
              {"prev_hash", prev_hash},
              {"hash", hash}};
}

LedgerRow LedgerRow::from_json(const Json& value) {
  if (!value.is_object() || !value.contains("seq") || !value["seq"].is_number_unsigned()) {
    throw InputError("ledger row has no sequence number");
  }
  LedgerRow row;
  row.seq = value["seq"].get<std::uint64_t>();
  row.entry.time = text_of(value, "time");
  row.entry.actor = text_of(value, "actor");
  row.entry.step = text_of(value, "step");
  std::string action = text_of(value, "action");
  auto parsed = parse_row_action(action);
  if (!parsed) throw InputError(fmt::format("ledger row {} has unknown action \"{}\"", row.seq, action));
  row.entry.action = *parsed;
  row.entry.operation = text_of(value, "operation");
  row.entry.region = text_of(value, "region");
  row.entry.parameters = member_or_null(value, "parameters");
  row.entry.before = member_or_null(value, "before");
  row.entry.after = member_or_null(value, "after");
  row.entry.result = member_or_null(value, "result");
  row.entry.error = member_or_null(value, "error");
  row.prev_hash = text_of(value, "prev_hash");
  row.hash = text_of(value, "hash");
  return row;
}

std::string canonical_form(const LedgerRow& row) {
  Json fields = row.to_json();
  fields.erase("hash");
  return canonical(fields).dump(-1, ' ', false, CanonicalJson::error_handler_t::replace);
}

std::string compute_hash(const LedgerRow& row) { return sha256_hex(canonical_form(row)); }

LedgerRow chain_row(const LedgerEntry& entry, std::uint64_t seq, std::string_view prev_hash) {
  LedgerRow row;
  row.seq = seq;
  row.entry = entry;
  row.entry.parameters = normalize(entry.parameters);
  row.entry.before = normalize(entry.before);
  row.entry.after = normalize(entry.after);
  row.entry.result = normalize(entry.result);
  row.entry.error = normalize(entry.error);
  row.prev_hash = std::string(prev_hash);
  row.hash = compute_hash(row);
  return row;
}

Json Verification::to_json() const {
  Json out{{"intact", intact()}, {"rows", rows}, {"head_hash", head_hash}};
  if (first_break) out["first_break"] = {{"row", first_break->row}, {"reason", first_break->reason}};
  return out;
}

Verification verify_chain(const std::vector<LedgerRow>& rows, const std::optional<ChainHead>& head) {
  Verification result;
  std::string prev(kGenesisHash);
  for (std::uint64_t i = 0; i < rows.size(); ++i) {
    const LedgerRow& row = rows[i];
    const std::uint64_t expected = i + 1;
    result.rows = expected;
    // Order of checks: position first, then the link, then the content, so that a deleted or
    // moved row is named as such rather than as an edit.
    if (row.seq != expected) {
      std::string reason =
          row.seq > expected
              ? fmt::format("row {} is missing: the next row read is numbered {} (rows deleted)",
                            expected, row.seq)
              : fmt::format("row {} is numbered {} (rows duplicated or reordered)", expected, row.seq);
      result.first_break = ChainBreak{expected, std::move(reason)};
      return result;
    }
    if (!row.defect.empty()) {
      result.first_break = ChainBreak{
          expected, fmt::format("row {} was changed after it was written: {}", expected, row.defect)};
      return result;
    }
    if (row.prev_hash != prev) {
      result.first_break = ChainBreak{
          expected, fmt::format("row {} does not follow row {}: its link to the previous row is "
                                "{} but that row hashes to {} (rows deleted, inserted or reordered)",
                                expected, expected - 1, row.prev_hash, prev)};
      return result;
    }
    std::string actual = compute_hash(row);
    if (actual != row.hash) {
      result.first_break = ChainBreak{
          expected, fmt::format("row {} was changed after it was written: it hashes to {}, "
                                "recorded {}", expected, actual, row.hash)};
      return result;
    }
    prev = row.hash;
    result.head_hash = row.hash;
  }
  if (head && head->rows != rows.size()) {
    std::uint64_t first_missing = rows.size() + 1;
    result.first_break = ChainBreak{
        first_missing, fmt::format("the ledger ends at row {} but the case records {} rows "
                                   "(rows removed from the end)", rows.size(), head->rows)};
  } else if (head && head->hash != result.head_hash) {
    result.first_break = ChainBreak{
        rows.size(), fmt::format("row {} is not the row the case recorded as its last "
                                 "(the end of the ledger was replaced)", rows.size())};
  }
  return result;
}

}  // namespace firebreak::engine
