// firebreak baseline capture: the known-good users, roles, keys, key pairs and account settings
// the account playbook compares with (issue 5).
#include <fstream>
#include <memory>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"
#include "firebreak/playbooks/identity/account_info.h"
#include "firebreak/playbooks/identity/reader.h"

namespace firebreak::cli {

void add_baseline_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  CLI::App* baseline = app.add_subcommand("baseline", "The account's known-good state");
  baseline->require_subcommand(1);
  auto out = std::make_shared<std::string>();
  CLI::App* capture = baseline->add_subcommand("capture", "Record the known-good state as JSON (standard output by default)");
  capture->add_option("-o,--out", *out, "Write to this file");
  capture->callback([out, &global] {
    aws::Session session(session_options(global));
    playbooks::SessionReader reader(session);
    const std::string text = playbooks::capture_baseline(reader).dump(2) + "\n";
    if (out->empty()) {
      fmt::print("{}", text);
      return;
    }
    std::ofstream file(*out);
    if (!(file << text)) throw InputError(fmt::format("-o {}: cannot be written", *out));
  });
}

}  // namespace firebreak::cli
