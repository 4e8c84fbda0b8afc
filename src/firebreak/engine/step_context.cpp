#include "firebreak/engine/step_context.h"

#include <algorithm>
#include <stdexcept>

#include <fmt/format.h>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/crypto.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/engine/aws_api.h"
#include "firebreak/engine/redact.h"
#include "firebreak/engine/report.h"

namespace firebreak::engine {
namespace {

bool declares(const std::vector<AwsOperation>& list, std::string_view service, std::string_view operation) {
  return std::any_of(list.begin(), list.end(), [&](const AwsOperation& op) {
    return op.service == service && op.operation == operation;
  });
}

std::string qualified(std::string_view service, std::string_view operation) {
  return fmt::format("{}:{}", service, operation);
}

// What a recorded response keeps: the service's answer without transport details.
Json recorded_response(std::string_view service, std::string_view operation, const Json& output) {
  Json body = output;
  if (body.is_object()) body.erase("ResponseMetadata");
  Json result{{"response", redact_call(service, operation, Direction::Output, body)}};
  if (output.is_object() && output.contains("ResponseMetadata")) {
    result["request_id"] = output["ResponseMetadata"].value("RequestId", "");
  }
  return result;
}

}  // namespace

bool is_forbidden_operation(std::string_view service, std::string_view operation) {
  return service == "ec2" && operation == "TerminateInstances";
}

LedgerRow CaseLog::append(LedgerEntry entry) {
  entry.time = format_iso8601(Clock::now());
  entry.actor = actor_;
  return store_.append(case_id_, entry);
}

Json error_json(const std::exception& error) {
  if (const auto* aws_error = dynamic_cast<const aws::AwsError*>(&error)) {
    return Json{{"code", aws_error->code()},
                {"message", aws_error->message()},
                {"request_id", aws_error->request_id()},
                {"http_status", aws_error->http_status()},
                {"operation", qualified(aws_error->service(), aws_error->operation())}};
  }
  return Json{{"message", error.what()}};
}

Json call_and_record(AwsApi& api, CaseLog& log, std::string_view step, const AwsCall& call) {
  LedgerEntry entry;
  entry.step = std::string(step);
  entry.action = RowAction::Call;
  entry.operation = qualified(call.service, call.operation);
  entry.region = call.region;
  entry.parameters = redact_call(call.service, call.operation, Direction::Input, call.input);
  try {
    Json output = api.call(call.service, call.region, call.operation, call.input);
    entry.result = recorded_response(call.service, call.operation, output);
    log.append(std::move(entry));
    return output;
  } catch (const aws::AwsError& e) {
    // Failed changes are on the record too: the request id is what AWS support asks for.
    entry.error = error_json(e);
    log.append(std::move(entry));
    throw;
  }
}

StepContext::StepContext(const StepSpec& spec, const CaseInfo& info, AwsApi& api, CaseLog& log,
                         const EvidenceStore& evidence, Reporter& reporter)
    : spec_(spec), info_(info), api_(api), log_(log), evidence_(evidence), reporter_(reporter) {}

std::string StepContext::region_or_default(std::string_view region) const {
  return region.empty() ? info_.region : std::string(region);
}

void StepContext::check_declared(std::string_view service, std::string_view operation, bool& changes) const {
  if (is_forbidden_operation(service, operation)) {
    throw std::logic_error(fmt::format("step {} called {}, which firebreak never calls", spec_.name,
                                       qualified(service, operation)));
  }
  changes = declares(spec_.changes, service, operation);
  if (!changes && !declares(spec_.reads, service, operation)) {
    throw std::logic_error(fmt::format("step {} called {}, which it does not declare", spec_.name,
                                       qualified(service, operation)));
  }
  if (changes && phase_ != Phase::Apply) {
    throw std::logic_error(fmt::format("step {} called {} while observing: changes are made only by apply",
                                       spec_.name, qualified(service, operation)));
  }
}

Json StepContext::call(std::string_view service, std::string_view operation, const Json& input,
                       std::string_view region) {
  bool changes = false;
  check_declared(service, operation, changes);
  std::string where = region_or_default(region);
  if (!changes) return api_.call(service, where, operation, input);

  AwsCall recorded;
  recorded.service = std::string(service);
  recorded.region = where;
  recorded.operation = std::string(operation);
  recorded.input = input;
  return call_and_record(api_, log_, spec_.name, recorded);
}

Json StepContext::paginate_all(std::string_view service, std::string_view operation, const Json& input,
                               std::string_view region) {
  bool changes = false;
  check_declared(service, operation, changes);
  if (changes) {
    throw std::logic_error(fmt::format("step {} paginates {}, which changes things", spec_.name,
                                       qualified(service, operation)));
  }
  return api_.paginate_all(service, region_or_default(region), operation, input);
}

Json StepContext::wait(std::string_view service, std::string_view waiter, const Json& input,
                       std::string_view region, Describe describe) {
  const auto& model = aws::model::service_model(service);
  auto it = model.waiters.find(std::string(waiter));
  if (it == model.waiters.end()) {
    throw std::logic_error(fmt::format("{} has no waiter {}", service, waiter));
  }
  std::string operation = it->value("operation", "");
  bool changes = false;
  check_declared(service, operation, changes);
  aws::WaitOptions options;
  options.progress = [&](int attempt, int max_attempts, const Json& response) {
    std::string detail = describe ? describe(response) : std::string();
    progress(detail.empty() ? fmt::format("waiting for {} (check {}/{})", waiter, attempt, max_attempts)
                            : fmt::format("waiting for {}: {} (check {}/{})", waiter, detail, attempt,
                                          max_attempts));
  };
  return api_.wait(service, region_or_default(region), waiter, input, options);
}

void StepContext::progress(std::string_view text) { reporter_.step_progress(spec_, text); }

EvidenceRecord StepContext::save_evidence(std::string_view name, std::string_view content,
                                          std::string_view media_type) {
  if (phase_ != Phase::Apply) {
    throw std::logic_error(fmt::format("step {} saved evidence while observing", spec_.name));
  }
  EvidenceRecord record = evidence_.save_local(info_.id, spec_.name, name, content, media_type);
  std::exception_ptr upload_failure;
  try {
    if (evidence_.uploads()) progress(fmt::format("uploading {} ({} bytes)", record.name, record.size));
    evidence_.upload(info_.id, record, content);
  } catch (const std::exception& e) {
    record.upload_error = e.what();
    upload_failure = std::current_exception();
  }
  LedgerEntry entry;
  entry.step = spec_.name;
  entry.action = RowAction::Evidence;
  entry.result = record.to_json();
  if (!record.s3_uri.empty()) entry.operation = "s3:PutObject";
  log_.append(std::move(entry));
  {
    std::lock_guard lock(mutex_);
    saved_.push_back(record);
  }
  if (upload_failure) {
    try {
      std::rethrow_exception(upload_failure);
    } catch (const std::exception& e) {
      throw Error(fmt::format("evidence {} is saved at {} but was not uploaded", record.name, record.path), e);
    }
  }
  return record;
}

void StepContext::note(std::string_view message, const Json& data) {
  LedgerEntry entry;
  entry.step = spec_.name;
  entry.action = RowAction::Note;
  entry.result = Json{{"message", std::string(message)}, {"data", redact_by_name(data)}};
  log_.append(std::move(entry));
}

std::string StepContext::client_token(std::string_view purpose) const {
  std::string hex = sha256_hex(fmt::format("{}/{}/{}", info_.id, spec_.name, purpose));
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20, 12));
}

std::vector<EvidenceRecord> StepContext::saved_evidence() const {
  std::lock_guard lock(mutex_);
  return saved_;
}

}  // namespace firebreak::engine
