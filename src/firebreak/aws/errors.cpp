#include "firebreak/aws/errors.h"

#include <fmt/format.h>

namespace firebreak::aws {
namespace {

std::string describe(const std::string& service, const std::string& operation,
                     const ErrorDetails& details, int http_status) {
  std::string text = fmt::format("{} {}: {}", service, operation, details.code);
  if (!details.message.empty()) text += ": " + details.message;
  if (http_status != 0) text += fmt::format(" (HTTP {}", http_status);
  if (!details.request_id.empty()) text += (http_status ? ", " : " (") + std::string("request id ") + details.request_id;
  if (http_status != 0 || !details.request_id.empty()) text += ")";
  return text;
}

}  // namespace

AwsError::AwsError(std::string service, std::string operation, ErrorDetails details, int http_status)
    : Error(describe(service, operation, details, http_status)),
      service_(std::move(service)),
      operation_(std::move(operation)),
      details_(std::move(details)),
      http_status_(http_status) {}

}  // namespace firebreak::aws
