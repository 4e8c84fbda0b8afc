#pragma once
// Where cases and evidence go, from the environment and FIREBREAK_HOME/config.json:
//
//   FIREBREAK_HOME       default ~/.firebreak: the SQLite ledger and local evidence copies
//   FIREBREAK_LEDGER     "sqlite:PATH" (default FIREBREAK_HOME/ledger.db) or
//                        "dynamodb://TABLE" or "dynamodb://TABLE?region=REGION"
//   FIREBREAK_EVIDENCE   "s3://bucket/prefix": upload every artifact there too
//
// config.json may hold {"ledger": "...", "evidence": "..."}; the environment wins over it and
// command-line flags win over both.
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/engine/evidence.h"
#include "firebreak/engine/ledger_store.h"
#include "firebreak/engine/step.h"

namespace firebreak::engine {

class AwsApi;

struct EngineConfig {
  std::filesystem::path home;
  std::string ledger;
  std::string evidence;

  // Throws ConfigError when neither FIREBREAK_HOME nor HOME is set, InputError when
  // config.json exists but is not a JSON object of strings.
  static EngineConfig load();
};

enum class StoreAccess {
  ReadOnly,   // for list/show/verify/export: a missing SQLite ledger is not created
  ReadWrite,
};

// The configured store. api is needed for DynamoDB (and may be null for SQLite). Throws
// InputError for a location firebreak does not understand or a damaged SQLite ledger.
std::unique_ptr<LedgerStore> open_ledger(const EngineConfig& config, StoreAccess access, AwsApi* api);
// Local copies under FIREBREAK_HOME/cases, uploaded to evidence_flag (or the configured
// bucket) when there is one.
EvidenceStore open_evidence(const EngineConfig& config, std::string_view evidence_flag, AwsApi* api);
// What the engine itself calls, beside the steps: STS for the responder, the ledger table,
// the evidence bucket. For the least-privilege policy.
std::vector<AwsOperation> engine_operations(const EngineConfig& config, std::string_view evidence_flag);

}  // namespace firebreak::engine
