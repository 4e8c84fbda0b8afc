#include "firebreak/engine/dynamodb_store.h"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

// Each retry means another writer appended in between; this many in a row means something
// else is wrong.
constexpr int kMaxAppendAttempts = 64;
constexpr int kMaxBackoffMs = 200;

std::string dump(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

Json key(const std::string& case_id, std::uint64_t seq) {
  return Json{{"case_id", {{"S", case_id}}}, {"seq", {{"N", std::to_string(seq)}}}};
}

Json row_item(const std::string& case_id, const LedgerRow& row) {
  Json item = key(case_id, row.seq);
  item["row"] = {{"S", dump(row.to_json())}};
  return item;
}

std::string string_attribute(const Json& item, const char* name) {
  if (!item.contains(name) || !item[name].contains("S")) return {};
  return item[name]["S"].get<std::string>();
}

std::uint64_t number_attribute(const Json& item, const char* name) {
  if (!item.contains(name) || !item[name].contains("N")) return 0;
  return std::stoull(item[name]["N"].get<std::string>());
}

CaseHead head_from_item(const Json& item) {
  CaseHead head;
  head.case_id = string_attribute(item, "case_id");
  head.chain.rows = number_attribute(item, "rows");
  head.chain.hash = string_attribute(item, "head_hash");
  head.created = string_attribute(item, "created");
  head.summary = Json::parse(string_attribute(item, "summary"), nullptr, false);
  if (head.summary.is_discarded()) head.summary = Json::object();
  return head;
}

LedgerRow row_from_item(const Json& item) {
  std::uint64_t seq = number_attribute(item, "seq");
  Json value = Json::parse(string_attribute(item, "row"), nullptr, false);
  try {
    if (value.is_discarded()) throw InputError("it is not JSON");
    LedgerRow row = LedgerRow::from_json(value);
    if (row.seq != seq) row.defect = fmt::format("it is stored as row {} but says it is row {}", seq, row.seq);
    return row;
  } catch (const InputError& e) {
    LedgerRow row;
    row.seq = seq;
    row.defect = e.what();
    return row;
  }
}

bool is_cancelled(const aws::AwsError& e) { return e.code() == "TransactionCanceledException"; }

}  // namespace

DynamoDbStore::DynamoDbStore(AwsApi& api, std::string table, std::string region)
    : api_(api), table_(std::move(table)), region_(std::move(region)) {}

std::string DynamoDbStore::location() const { return fmt::format("dynamodb://{}?region={}", table_, region_); }

ConfigError DynamoDbStore::missing_table() const {
  return ConfigError(fmt::format(
      "the ledger table {} does not exist in {}; create it with: aws dynamodb create-table --region {} "
      "--table-name {} --billing-mode PAY_PER_REQUEST --attribute-definitions "
      "AttributeName=case_id,AttributeType=S AttributeName=seq,AttributeType=N --key-schema "
      "AttributeName=case_id,KeyType=HASH AttributeName=seq,KeyType=RANGE",
      table_, region_, region_, table_));
}

Json DynamoDbStore::call(std::string_view operation, const Json& input, bool paginate) const {
  try {
    return paginate ? api_.paginate_all("dynamodb", region_, operation, input)
                    : api_.call("dynamodb", region_, operation, input);
  } catch (const aws::AwsError& e) {
    if (e.code() == "ResourceNotFoundException") throw missing_table();
    throw;
  }
}

std::optional<LedgerRow> DynamoDbStore::create(const std::string& case_id, const LedgerEntry& first,
                                               const Json& summary) {
  LedgerRow row = chain_row(first, 1, kGenesisHash);
  Json head = key(case_id, 0);
  head["rows"] = {{"N", "1"}};
  head["head_hash"] = {{"S", row.hash}};
  head["summary"] = {{"S", dump(normalize(summary))}};
  head["created"] = {{"S", row.entry.time}};
  Json put_head{{"TableName", table_}, {"Item", head}, {"ConditionExpression", "attribute_not_exists(case_id)"}};
  Json put_row{{"TableName", table_},
               {"Item", row_item(case_id, row)},
               {"ConditionExpression", "attribute_not_exists(case_id)"}};
  Json input{{"TransactItems", Json::array({Json{{"Put", put_head}}, Json{{"Put", put_row}}})}};
  try {
    call("TransactWriteItems", input);
  } catch (const aws::AwsError& e) {
    if (is_cancelled(e)) return std::nullopt;  // the case exists
    throw;
  }
  return row;
}

LedgerRow DynamoDbStore::append(const std::string& case_id, const LedgerEntry& entry) {
  std::minstd_rand jitter(std::random_device{}());
  for (int attempt = 1; attempt <= kMaxAppendAttempts; ++attempt) {
    auto current = head(case_id);
    if (!current) throw Error(fmt::format("no case {} in {}", case_id, location()));
    LedgerRow row = chain_row(entry, current->chain.rows + 1, current->chain.hash);
    Json update{{"TableName", table_},
                {"Key", key(case_id, 0)},
                {"UpdateExpression", "SET #rows = :next, head_hash = :hash"},
                {"ConditionExpression", "#rows = :current"},
                {"ExpressionAttributeNames", {{"#rows", "rows"}}}};
    update["ExpressionAttributeValues"] = Json{{":next", {{"N", std::to_string(row.seq)}}},
                                               {":hash", {{"S", row.hash}}},
                                               {":current", {{"N", std::to_string(current->chain.rows)}}}};
    Json put{{"TableName", table_},
             {"Item", row_item(case_id, row)},
             {"ConditionExpression", "attribute_not_exists(case_id)"}};
    Json input{{"TransactItems", Json::array({Json{{"Update", update}}, Json{{"Put", put}}})}};
    try {
      call("TransactWriteItems", input);
      return row;
    } catch (const aws::AwsError& e) {
      if (!is_cancelled(e)) throw;
      // Another writer appended first: back off a little and extend its row instead.
      std::this_thread::sleep_for(std::chrono::milliseconds(jitter() % kMaxBackoffMs));
    }
  }
  throw Error(fmt::format("could not append to case {} in {}: {} writers in a row got there first", case_id,
                          location(), kMaxAppendAttempts));
}

std::vector<LedgerRow> DynamoDbStore::rows(const std::string& case_id) const {
  Json input{{"TableName", table_},
             {"ConsistentRead", true},
             {"KeyConditionExpression", "case_id = :case AND seq > :zero"},
             {"ExpressionAttributeValues", {{":case", {{"S", case_id}}}, {":zero", {{"N", "0"}}}}}};
  Json result = call("Query", input, true);
  std::vector<LedgerRow> out;
  for (const auto& item : result.value("Items", Json::array())) out.push_back(row_from_item(item));
  return out;
}

std::optional<CaseHead> DynamoDbStore::head(const std::string& case_id) const {
  Json out = call("GetItem", {{"TableName", table_}, {"Key", key(case_id, 0)}, {"ConsistentRead", true}});
  if (!out.contains("Item")) return std::nullopt;
  return head_from_item(out["Item"]);
}

std::vector<CaseHead> DynamoDbStore::cases() const {
  Json input{{"TableName", table_},
             {"ConsistentRead", true},
             {"FilterExpression", "seq = :zero"},
             {"ExpressionAttributeValues", {{":zero", {{"N", "0"}}}}}};
  Json result = call("Scan", input, true);
  std::vector<CaseHead> out;
  for (const auto& item : result.value("Items", Json::array())) out.push_back(head_from_item(item));
  std::sort(out.begin(), out.end(), [](const CaseHead& a, const CaseHead& b) {
    return a.created != b.created ? a.created > b.created : a.case_id < b.case_id;
  });
  return out;
}

}  // namespace firebreak::engine
