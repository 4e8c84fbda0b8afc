#pragma once
// One serializer and one parser per AWS protocol, chosen from one table by the model's
// protocol name. A serializer turns boto3-shaped JSON input into a plain HttpRequest (no host:
// endpoint resolution adds it); a parser turns a response into the JSON boto3 returns.
//
// Conventions shared by every protocol (so that output looks like boto3's):
//  - timestamps parse to strings in format_boto_timestamp() form; input accepts ISO 8601
//    strings or epoch numbers;
//  - blobs parse to Json binary values; input accepts a binary value or a string (its bytes);
//  - the parsed output carries "ResponseMetadata": {"RequestId", "HTTPStatusCode",
//    "HTTPHeaders", "RetryAttempts"} like boto3 (the client fills RetryAttempts);
//  - members absent from the response are absent from the output (no nulls).
#include <string>
#include <string_view>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/json.h"

namespace firebreak::aws::protocol {

struct SerializedRequest {
  HttpRequest http;         // method, path, query, headers, body; scheme and host left empty
  std::string host_prefix;  // resolved endpoint.hostPrefix ("123456789012."), empty when none
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  // Throws InputError naming the member when the input does not match the model (unknown
  // member, wrong type, missing required member or URI label).
  virtual SerializedRequest serialize(const model::ServiceModel& service,
                                      const model::Operation& operation,
                                      const Json& input) const = 0;
  // A 2xx response. Throws Error when the body cannot be parsed.
  virtual Json parse(const model::ServiceModel& service, const model::Operation& operation,
                     const HttpResponse& response) const = 0;
  // A non-2xx response: the error code, message and request id the service sent.
  virtual ErrorDetails parse_error(const model::ServiceModel& service,
                                   const model::Operation& operation,
                                   const HttpResponse& response) const = 0;
};

// The protocol of a model's "protocol" name; throws Error for a protocol firebreak lacks.
const Protocol& protocol_for(std::string_view name);

}  // namespace firebreak::aws::protocol
