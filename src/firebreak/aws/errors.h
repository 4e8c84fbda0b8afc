#pragma once
// An AWS call that failed: what the service said (code, message, request id) or why it could
// not be asked. Every failure of the client is one of these.
#include <string>

#include "firebreak/base/error.h"

namespace firebreak::aws {

struct ErrorDetails {
  std::string code;        // "AccessDenied", "InvalidInstanceID.NotFound", "Throttling", ...
  std::string message;
  std::string request_id;
};

class AwsError : public Error {
 public:
  AwsError(std::string service, std::string operation, ErrorDetails details, int http_status);

  const std::string& service() const { return service_; }
  const std::string& operation() const { return operation_; }
  const std::string& code() const { return details_.code; }
  const std::string& message() const { return details_.message; }
  const std::string& request_id() const { return details_.request_id; }
  int http_status() const { return http_status_; }  // 0 when no response was received

 private:
  std::string service_;
  std::string operation_;
  ErrorDetails details_;
  int http_status_;
};

}  // namespace firebreak::aws
