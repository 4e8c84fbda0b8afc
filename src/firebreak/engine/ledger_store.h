#pragma once
// Where case ledgers live. Every store keeps, per case, the rows and a head (row count and
// last hash, so truncation is noticed) and an index entry for listing. Appends are atomic
// against other threads and other processes: the chain is extended from the head read in the
// same transaction. Stores never update or delete a row.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/ledger.h"

namespace firebreak::engine {

struct CaseHead {
  std::string case_id;
  ChainHead chain;
  std::string created;  // time of row 1
  Json summary;  // an index for `case list` (playbook, resources, account, region, created); not hashed
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  // "sqlite:/home/me/.firebreak/ledger.db", "dynamodb://firebreak-cases?region=us-east-1".
  virtual std::string location() const = 0;
  // Creates the case with `first` as row 1. Returns nullopt, writing nothing, when the case
  // exists already (another run created it first).
  virtual std::optional<LedgerRow> create(const std::string& case_id, const LedgerEntry& first,
                                          const Json& summary) = 0;
  // Appends the next row of an existing case. Throws Error when the case does not exist.
  virtual LedgerRow append(const std::string& case_id, const LedgerEntry& entry) = 0;
  // The case's rows in order; empty when there is no such case.
  virtual std::vector<LedgerRow> rows(const std::string& case_id) const = 0;
  virtual std::optional<CaseHead> head(const std::string& case_id) const = 0;
  // Every case, newest first.
  virtual std::vector<CaseHead> cases() const = 0;
};

}  // namespace firebreak::engine
