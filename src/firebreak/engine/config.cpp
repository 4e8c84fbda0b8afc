#include "firebreak/engine/config.h"

#include <cstdlib>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/base/json.h"
#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/dynamodb_store.h"
#include "firebreak/engine/sqlite_store.h"

namespace firebreak::engine {
namespace {

constexpr std::string_view kSqlitePrefix = "sqlite:";
constexpr std::string_view kDynamoPrefix = "dynamodb://";

std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) return std::nullopt;
  return std::string(value);
}

struct DynamoLocation {
  std::string table;
  std::string region;  // empty: the session's
};

DynamoLocation parse_dynamo(std::string_view location) {
  std::string_view rest = location.substr(kDynamoPrefix.size());
  DynamoLocation out;
  auto query = rest.find('?');
  out.table = std::string(rest.substr(0, query));
  if (query != std::string_view::npos) {
    std::string_view parameter = rest.substr(query + 1);
    constexpr std::string_view region_key = "region=";
    if (!parameter.starts_with(region_key)) {
      throw InputError(fmt::format("ledger location {}: the only option is ?region=REGION", location));
    }
    out.region = std::string(parameter.substr(region_key.size()));
  }
  // DynamoDB table names: 3-255 of letters, digits, '_', '-', '.'.
  bool ok = out.table.size() >= 3 && out.table.size() <= 255;
  for (char c : out.table) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                c == '-' || c == '.');
  }
  if (!ok) throw InputError(fmt::format("ledger location {}: \"{}\" is not a DynamoDB table name", location, out.table));
  return out;
}

}  // namespace

EngineConfig EngineConfig::load() {
  EngineConfig config;
  if (auto home = env("FIREBREAK_HOME")) {
    config.home = *home;
  } else if (auto user_home = env("HOME")) {
    config.home = std::filesystem::path(*user_home) / ".firebreak";
  } else {
    throw ConfigError("neither FIREBREAK_HOME nor HOME is set: firebreak does not know where to keep cases");
  }
  auto file = config.home / "config.json";
  if (std::filesystem::exists(file)) {
    std::ifstream in(file);
    Json settings = Json::parse(in, nullptr, false);
    if (settings.is_discarded() || !settings.is_object()) {
      throw InputError(fmt::format("{} is not a JSON object", file.string()));
    }
    for (const auto& [key, value] : settings.items()) {
      if (key != "ledger" && key != "evidence") {
        throw InputError(fmt::format("{}: unknown setting \"{}\" (known: ledger, evidence)", file.string(), key));
      }
      if (!value.is_string()) throw InputError(fmt::format("{}: \"{}\" must be a string", file.string(), key));
    }
    config.ledger = settings.value("ledger", "");
    config.evidence = settings.value("evidence", "");
  }
  if (auto ledger = env("FIREBREAK_LEDGER")) config.ledger = *ledger;
  if (auto evidence = env("FIREBREAK_EVIDENCE")) config.evidence = *evidence;
  return config;
}

std::unique_ptr<LedgerStore> open_ledger(const EngineConfig& config, StoreAccess access, AwsApi* api) {
  const std::string& location = config.ledger;
  if (location.empty() || location.starts_with(kSqlitePrefix)) {
    std::filesystem::path path = location.empty() ? config.home / "ledger.db"
                                                  : std::filesystem::path(location.substr(kSqlitePrefix.size()));
    if (path.empty()) throw InputError("ledger location sqlite: names no file");
    return std::make_unique<SqliteStore>(path, access == StoreAccess::ReadOnly ? SqliteStore::Mode::ReadOnly
                                                                               : SqliteStore::Mode::ReadWrite);
  }
  if (location.starts_with(kDynamoPrefix)) {
    DynamoLocation table = parse_dynamo(location);
    if (!api) throw std::logic_error("a DynamoDB ledger needs an AWS client");
    return std::make_unique<DynamoDbStore>(*api, table.table,
                                           table.region.empty() ? api->default_region() : table.region);
  }
  throw InputError(fmt::format("ledger location \"{}\" is neither sqlite:PATH nor dynamodb://TABLE", location));
}

EvidenceStore open_evidence(const EngineConfig& config, std::string_view evidence_flag, AwsApi* api) {
  std::string where = evidence_flag.empty() ? config.evidence : std::string(evidence_flag);
  std::optional<S3Location> upload;
  if (!where.empty()) upload = S3Location::parse(where);
  return EvidenceStore(config.home / "cases", upload, api);
}

std::vector<AwsOperation> engine_operations(const EngineConfig& config, std::string_view evidence_flag) {
  std::vector<AwsOperation> out{{"sts", "GetCallerIdentity"}};
  if (config.ledger.starts_with(kDynamoPrefix)) {
    for (const char* op : {"GetItem", "Query", "Scan", "TransactWriteItems"}) out.push_back({"dynamodb", op});
  }
  if (!evidence_flag.empty() || !config.evidence.empty()) out.push_back({"s3", "PutObject"});
  return out;
}

}  // namespace firebreak::engine
