#pragma once
// The ledger store for teams and for the Lambda responder: one DynamoDB table, partition key
// case_id (S), sort key seq (N). Item seq 0 of a case is its head (rows, head_hash, summary);
// items 1..n hold the rows as canonical JSON. An append is one TransactWriteItems that puts
// the row only if absent and moves the head only if it still is where it was read, so
// concurrent writers never fork a chain (the loser re-reads and retries).
#include <string>

#include "firebreak/base/error.h"
#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/ledger_store.h"

namespace firebreak::engine {

class DynamoDbStore : public LedgerStore {
 public:
  DynamoDbStore(AwsApi& api, std::string table, std::string region);

  std::string location() const override;
  std::optional<LedgerRow> create(const std::string& case_id, const LedgerEntry& first,
                                  const Json& summary) override;
  LedgerRow append(const std::string& case_id, const LedgerEntry& entry) override;
  std::vector<LedgerRow> rows(const std::string& case_id) const override;
  std::optional<CaseHead> head(const std::string& case_id) const override;
  std::vector<CaseHead> cases() const override;

 private:
  // The table's calls; a missing table is a configuration error that says how to create it.
  Json call(std::string_view operation, const Json& input, bool paginate = false) const;
  ConfigError missing_table() const;

  AwsApi& api_;
  std::string table_;
  std::string region_;
};

}  // namespace firebreak::engine
