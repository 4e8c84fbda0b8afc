// firebreak aws SERVICE OPERATION: one raw, model-checked AWS call, for responders and tests.
#include <fmt/format.h>

#include <fstream>

#include "firebreak/aws/jmespath.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"

namespace firebreak::cli {
namespace {

struct AwsCallOptions {
  std::string service;
  std::string operation;
  std::string input = "{}";
  bool paginate = false;
  std::string query;
  std::string outfile;
};

// Writes the operation's streaming payload (S3 GetObject's Body) to a file, as
// `aws s3api get-object ... OUTFILE` does, and leaves the rest to print.
void write_streaming_payload(const aws::model::Operation& operation, Json& output, const std::string& path) {
  const auto* shape = operation.output;
  const auto* member = shape && !shape->payload.empty() ? shape->find_member(shape->payload) : nullptr;
  if (!member || !member->is_streaming()) {
    throw InputError(fmt::format("--outfile: {} has no streaming body to write", operation.name));
  }
  std::ofstream file(path, std::ios::binary);
  if (!file) throw InputError("--outfile: cannot write " + path);
  if (output.contains(member->name)) {
    const auto& bytes = output[member->name].get_binary();
    file.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
    output.erase(member->name);
  }
  if (!file.flush()) throw Error("--outfile: writing " + path + " failed");
}

}  // namespace

void add_aws_command(CLI::App& app, const GlobalOptions& global, CommandResult& result) {
  auto options = std::make_shared<AwsCallOptions>();
  auto* command = app.add_subcommand("aws", "Make one AWS API call (boto3 operation names and parameters)");
  command->add_option("service", options->service, "Service, as boto3 names it (ec2, s3, sso-admin, ...)")->required();
  command->add_option("operation", options->operation, "Operation, e.g. DescribeInstances")->required();
  command->add_option("--input", options->input, "Parameters as JSON, @file, or - for standard input");
  command->add_flag("--paginate", options->paginate, "Follow every page and merge them (boto3 build_full_result)");
  command->add_option("--query", options->query, "JMESPath expression applied to the response");
  command->add_option("--outfile", options->outfile, "Write the streaming body (e.g. S3 GetObject) to this file");
  command->callback([options, &global] {
    const Json input = read_json_argument(options->input, "--input");
    const auto& operation = aws::model::service_model(options->service).operation(options->operation);
    std::optional<aws::JmesPath> query;
    if (!options->query.empty()) query.emplace(options->query);  // bad syntax fails before any call
    aws::Session session(session_options(global));
    auto client = session.client(options->service);
    Json output = options->paginate ? client.paginate(options->operation, input).all()
                                    : client.call(options->operation, input);
    output.erase("ResponseMetadata");
    if (!options->outfile.empty()) write_streaming_payload(operation, output, options->outfile);
    print_json(query ? query->search(output) : output);
  });
}

}  // namespace firebreak::cli
