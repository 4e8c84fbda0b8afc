// Waiters driven by botocore's waiters-2.json: poll an operation and match each response (or
// error) against the acceptors in order until one says success, failure or retry.
#include <fmt/format.h>

#include <algorithm>
#include <thread>

#include "firebreak/aws/client.h"
#include "firebreak/aws/jmespath.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

// What one attempt produced: a response, or the error code the service answered with.
struct Outcome {
  Json response;
  std::optional<AwsError> error;
};

bool matches(const Json& acceptor, const Outcome& outcome) {
  const std::string matcher = acceptor.at("matcher");
  const Json& expected = acceptor.at("expected");
  if (matcher == "error") {
    // expected is an error code, or true/false for "any error" / "no error".
    if (expected.is_boolean()) return expected.get<bool>() == outcome.error.has_value();
    return outcome.error && outcome.error->code() == expected.get<std::string>();
  }
  if (matcher == "status") {
    const int status = outcome.error ? outcome.error->http_status()
                                     : outcome.response["ResponseMetadata"].value("HTTPStatusCode", 200);
    return status == expected.get<int>();
  }
  if (outcome.error) return false;
  const Json value = jmespath_search(acceptor.value("argument", std::string("@")), outcome.response);
  if (matcher == "path") return value == expected;
  if (!value.is_array() || value.empty()) return false;
  if (matcher == "pathAll") {
    return std::all_of(value.begin(), value.end(), [&](const Json& v) { return v == expected; });
  }
  if (matcher == "pathAny") {
    return std::any_of(value.begin(), value.end(), [&](const Json& v) { return v == expected; });
  }
  throw Error("unknown waiter matcher " + matcher);
}

}  // namespace

Json ServiceClient::wait(std::string_view waiter_name, const Json& input, const WaitOptions& options) const {
  const model::ServiceModel& model = model::service_model(service_);
  auto it = model.waiters.find(std::string(waiter_name));
  if (it == model.waiters.end()) {
    throw InputError(fmt::format("{} has no waiter named {}", service_, waiter_name));
  }
  const Json& waiter = *it;
  const auto delay = options.delay.value_or(std::chrono::seconds(waiter.value("delay", 15)));
  const int max_attempts = options.max_attempts.value_or(waiter.value("maxAttempts", 40));
  const std::string operation = waiter.at("operation");

  for (int attempt = 1;; ++attempt) {
    Outcome outcome;
    try {
      outcome.response = call(operation, input);
    } catch (const AwsError& e) {
      outcome.error = e;
    }
    std::string state;
    for (const auto& acceptor : waiter.at("acceptors")) {
      if (matches(acceptor, outcome)) {
        state = acceptor.at("state");
        break;
      }
    }
    if (state == "success") return outcome.response;
    if (state == "failure") {
      throw Error(fmt::format("waiter {} reached a failure state{}", waiter_name,
                              outcome.error ? ": " + std::string(outcome.error->what()) : ""));
    }
    // An error no acceptor expects ends the wait: it will not go away by polling.
    if (state.empty() && outcome.error) throw *outcome.error;
    if (attempt >= max_attempts) {
      throw Error(fmt::format("waiter {} gave up after {} attempts", waiter_name, attempt));
    }
    if (options.progress) {
      options.progress(attempt, max_attempts,
                       outcome.error ? Json{{"Error", {{"Code", outcome.error->code()}}}} : outcome.response);
    }
    std::this_thread::sleep_for(delay);
  }
}

}  // namespace firebreak::aws
