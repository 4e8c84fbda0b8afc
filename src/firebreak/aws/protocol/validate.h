#pragma once
// Checks boto3-shaped input against the operation's input shape before anything is sent,
// as botocore's ParamValidator does, so that a typo fails with the member's path instead of
// an opaque error from the service.
#include "firebreak/aws/model/model.h"
#include "firebreak/base/json.h"
#include "firebreak/base/time.h"

namespace firebreak::aws::protocol {

// Throws InputError listing every problem: unknown members (with the valid ones), missing
// required members, wrong types, numbers out of range. An operation without input accepts
// only an empty object.
void validate_input(const model::ServiceModel& service, const model::Operation& operation,
                    const Json& input);

// Input values the protocols share: a timestamp given as ISO 8601 text or epoch seconds,
// and a blob given as a binary value or as text (its bytes).
SystemTime timestamp_input(const Json& value);
std::string blob_input(const Json& value);

}  // namespace firebreak::aws::protocol
