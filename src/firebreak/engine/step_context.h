#pragma once
// What a step is given while it runs: the case, AWS (only the operations it declared, and
// only changing ones while applying), evidence, and the live view. Every changing call, and
// every saved artifact, becomes a ledger row. Safe to use from threads the step starts.
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"
#include "firebreak/engine/case.h"
#include "firebreak/engine/evidence.h"
#include "firebreak/engine/ledger.h"
#include "firebreak/engine/ledger_store.h"
#include "firebreak/engine/step.h"

namespace firebreak::engine {

class AwsApi;
class Reporter;

// Appends rows to one case, stamping time and actor.
class CaseLog {
 public:
  CaseLog(LedgerStore& store, std::string case_id, std::string actor)
      : store_(store), case_id_(std::move(case_id)), actor_(std::move(actor)) {}

  LedgerRow append(LedgerEntry entry);
  const std::string& case_id() const { return case_id_; }

 private:
  LedgerStore& store_;
  std::string case_id_;
  std::string actor_;
};

// The error members of a row, from an AwsError or any other exception.
Json error_json(const std::exception& error);

// Makes a changing call and appends its row (parameters and response redacted, or the
// error). Rethrows the call's AwsError.
Json call_and_record(AwsApi& api, CaseLog& log, std::string_view step, const AwsCall& call);

class StepContext {
 public:
  enum class Phase { Observe, Apply };
  // Turns a waiter's response into a progress line ("snap-0abc 45%"); empty: attempts only.
  using Describe = std::function<std::string(const Json& response)>;

  StepContext(const StepSpec& spec, const CaseInfo& info, AwsApi& api, CaseLog& log,
              const EvidenceStore& evidence, Reporter& reporter);

  const CaseInfo& case_info() const { return info_; }
  const std::string& case_id() const { return info_.id; }
  // The case's region: where calls go when they name none.
  const std::string& region() const { return info_.region; }

  // Calls a declared operation. Changing operations may only be called while applying; each
  // is recorded (parameters and response with secrets redacted; the error when it fails).
  // Throws std::logic_error for an undeclared operation, AwsError when AWS says no.
  Json call(std::string_view service, std::string_view operation, const Json& input = Json::object(),
            std::string_view region = {});
  // Every page of a declared read, merged.
  Json paginate_all(std::string_view service, std::string_view operation,
                    const Json& input = Json::object(), std::string_view region = {});
  // Waits on one of the service's waiters (its operation must be declared), with a live
  // progress line.
  Json wait(std::string_view service, std::string_view waiter, const Json& input,
            std::string_view region = {}, Describe describe = {});

  // A live progress line for the responder; not recorded.
  void progress(std::string_view text);
  // Saves an artifact (locally, then to the evidence bucket if one is configured) and records
  // it in the case with its SHA-256. Only while applying.
  EvidenceRecord save_evidence(std::string_view name, std::string_view content,
                               std::string_view media_type = "application/json");
  // Anything else worth a row: a decision, a warning.
  void note(std::string_view message, const Json& data = Json::object());
  // A token that is the same every time this step of this case asks for this purpose, for
  // operations that take a ClientToken: a rerun after a crash then cannot create twice.
  std::string client_token(std::string_view purpose) const;

  // Artifacts saved through this context, in order.
  std::vector<EvidenceRecord> saved_evidence() const;

 private:
  friend class Engine;
  void enter(Phase phase) { phase_ = phase; }
  void check_declared(std::string_view service, std::string_view operation, bool& changes) const;
  std::string region_or_default(std::string_view region) const;

  const StepSpec& spec_;
  const CaseInfo& info_;
  AwsApi& api_;
  CaseLog& log_;
  const EvidenceStore& evidence_;
  Reporter& reporter_;
  Phase phase_ = Phase::Observe;
  mutable std::mutex mutex_;
  std::vector<EvidenceRecord> saved_;
};

// Operations no step may declare or call, whatever it says: firebreak never destroys what it
// is there to preserve.
bool is_forbidden_operation(std::string_view service, std::string_view operation);

}  // namespace firebreak::engine
