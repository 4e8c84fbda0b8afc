#pragma once
// The JSON body that the json and rest-json protocols share, walked along the service model
// as botocore's JSONSerializer and BaseJSONParser do, and the error fields both protocols send.
#include <string>
#include <string_view>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/json.h"

namespace firebreak::aws::protocol {

// JSON text of a structure's members in `input`, named by their wire (location) names.
// Top-level members bound elsewhere (URI, query, headers) are left out. Timestamps are epoch
// seconds unless the model says otherwise, blobs base64, documents as given; an empty input
// gives "{}". Throws InputError on a member the shape does not have.
std::string serialize_json_body(const model::Shape& shape, const Json& input);

// Adds to `out`, in model order, the structure's body members present in `body` (JSON text;
// empty reads as {}), in boto3's shape: timestamps as format_boto_timestamp text, base64 blobs
// as binary, unknown members dropped, null members absent. Throws Error when the body is not
// a JSON object.
void parse_json_body(const model::Shape& shape, std::string_view body, Json& out);

// Where the error code is looked for first: json puts it in "__type", rest-json services in
// the x-amzn-ErrorType header or "code" (botocore's order for each).
enum class ErrorCodeOrder { TypeFirst, HeaderFirst };

// The code, message and request id of a JSON error response. Codes lose any namespace up to
// '#' and anything after ':' ("aws.protocols#ResourceNotFoundException:http://..."); an
// x-amzn-query-error header ("Code;Sender") wins; with no code at all the HTTP status is used.
// A body that is not JSON becomes the message.
ErrorDetails parse_json_error(const HttpResponse& response, ErrorCodeOrder order);

}  // namespace firebreak::aws::protocol
