#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/client.h"
#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/athena.h"

namespace firebreak::cloudtrail {
namespace {

// Starts a query and waits for it; returns its id.
std::string execute(const aws::ServiceClient& athena, const AthenaTable& table, const std::string& sql,
                    const AthenaRunOptions& options) {
  Json input = {{"QueryString", sql}, {"QueryExecutionContext", {{"Database", table.database}}}};
  if (!options.workgroup.empty()) input["WorkGroup"] = options.workgroup;
  if (!options.output_location.empty()) input["ResultConfiguration"] = {{"OutputLocation", options.output_location}};
  std::string id = athena.call("StartQueryExecution", input).at("QueryExecutionId");
  auto delay = std::chrono::milliseconds(200);
  while (true) {
    Json execution = athena.call("GetQueryExecution", {{"QueryExecutionId", id}})["QueryExecution"];
    std::string state = execution["Status"].value("State", "");
    if (state == "SUCCEEDED") return id;
    if (state == "FAILED" || state == "CANCELLED")
      throw Error(fmt::format("Athena query {} {}: {}", id, state, execution["Status"].value("StateChangeReason", "")));
    std::this_thread::sleep_for(delay);
    delay = std::min(delay * 2, std::chrono::milliseconds(2000));
  }
}

}  // namespace

void run_athena(const aws::Session& session, const AthenaTable& table, const std::string& query,
                const AthenaRunOptions& options, const std::function<void(const Json& row)>& row) {
  aws::ServiceClient athena = session.client("athena");
  execute(athena, table, athena_ddl(table), options);
  std::string id = execute(athena, table, query, options);
  std::vector<std::string> columns;
  bool header = true;  // the first row of a SELECT's results names the columns
  for (const Json& page : athena.paginate("GetQueryResults", {{"QueryExecutionId", id}})) {
    if (columns.empty() && page.contains("ResultSet")) {
      for (const Json& c : page["ResultSet"]["ResultSetMetadata"].value("ColumnInfo", Json::array()))
        columns.push_back(c.value("Name", ""));
    }
    for (const Json& r : page["ResultSet"].value("Rows", Json::array())) {
      const Json& data = r.value("Data", Json::array());
      if (header) {
        header = false;
        continue;
      }
      Json out = Json::object();
      for (size_t i = 0; i < data.size() && i < columns.size(); ++i)
        if (data[i].contains("VarCharValue")) out[columns[i]] = data[i]["VarCharValue"];
      row(out);
    }
  }
}

}  // namespace firebreak::cloudtrail
