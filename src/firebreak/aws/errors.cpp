#include "firebreak/aws/errors.h"

#include <fmt/format.h>

namespace firebreak::aws {
namespace {

// One line however the service formatted its message (some answer with whole HTML pages).
std::string one_line(const std::string& message) {
  constexpr size_t kLongest = 240;
  std::string out;
  for (char c : message) {
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out.push_back(space ? ' ' : c);
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (out.size() > kLongest) out = out.substr(0, kLongest) + "...";
  return out;
}

std::string describe(const std::string& service, const std::string& operation,
                     const ErrorDetails& details, int http_status) {
  std::string text = fmt::format("{} {}: {}", service, operation, details.code);
  if (!details.message.empty()) text += ": " + one_line(details.message);
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
