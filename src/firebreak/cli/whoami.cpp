// firebreak whoami: who the configured credentials are (STS GetCallerIdentity).
#include <fmt/format.h>

#include "firebreak/cli/commands.h"

namespace firebreak::cli {

void add_whoami_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto* command = app.add_subcommand("whoami", "Show the AWS identity firebreak acts as (STS GetCallerIdentity)");
  command->callback([&global] {
    aws::Session session(session_options(global));
    // STS answers in every region; a responder with no region configured still gets an answer.
    Json identity = session.client("sts", session.region().empty() ? "us-east-1" : "").call("GetCallerIdentity");
    identity.erase("ResponseMetadata");
    if (global.output == "json") {
      print_json(identity);
      return;
    }
    for (const char* key : {"Account", "Arn", "UserId"}) {
      fmt::print("{:<8} {}\n", key, identity.value(key, ""));
    }
  });
}

}  // namespace firebreak::cli
