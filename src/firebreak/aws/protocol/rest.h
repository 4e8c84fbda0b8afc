#pragma once
// What the REST protocols (rest-json, rest-xml) share, as botocore's BaseRestSerializer and
// BaseRestParser do: the URI template, query string and headers of a request, and the status
// code and header members of a response. The body (JSON or XML) stays with each protocol.
// A few helpers at the top serve every protocol (host prefix, idempotency tokens, timestamp
// formats, ResponseMetadata).
#include <string>
#include <string_view>

#include "firebreak/aws/http/http.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/json.h"
#include "firebreak/base/time.h"

namespace firebreak::aws::protocol {

// ---- Every protocol ----

// The operation's endpoint.hostPrefix with each {Member} replaced by that hostLabel member of
// the input ("{AccountId}." -> "123456789012."). Empty when the operation has no host prefix.
// Throws InputError when a label is missing or is not made of [A-Za-z0-9.-] only (botocore's
// rule: the value becomes part of a host name).
std::string resolve_host_prefix(const model::Operation& operation, const Json& input);

// The input with each absent top-level idempotency-token member set to a random UUID, as
// botocore's generate_idempotent_uuid handler does before serializing. Returns `input` itself
// when none is missing (no copy); otherwise copies it into `storage`, fills it and returns it.
const Json& with_idempotency_tokens(const model::Operation& operation, const Json& input,
                                    Json& storage);

// The member's timestamp format: its own timestampFormat, else its shape's, else `fallback`.
// One of "iso8601", "rfc822", "unixTimestamp".
std::string_view timestamp_format(const model::Member& member, std::string_view fallback);
// A timestamp as text in that format, as botocore writes it: unixTimestamp is epoch seconds
// with microseconds when not whole ("1700000000", "1700000000.25"), iso8601 is UTC with "Z"
// and six fraction digits when not whole ("2024-01-02T03:04:05.250000Z").
std::string format_timestamp(SystemTime t, std::string_view format);
// A JSON number as text: integers exactly, floats in shortest round-trip form; NaN and the
// infinities as "NaN", "Infinity", "-Infinity" (botocore's spelling).
std::string format_number(const Json& number);
// A scalar member's value as text in a form or XML body: booleans "true"/"false", timestamps
// iso8601 unless the member says otherwise, blobs base64, numbers as format_number().
std::string scalar_text(const model::Member& member, const Json& value);

// A base64 blob from a response as boto3's bytes (a Json binary value). Throws Error (the
// service sent it, so not InputError) when the text is not base64.
Json blob_output(std::string_view base64);

// The request id in a response's headers: x-amzn-requestid, else x-amz-request-id, else empty.
std::string header_request_id(const HttpResponse& response);
// boto3's ResponseMetadata: RequestId (when not empty), HostId (x-amz-id-2, when the response
// has x-amz-request-id, as botocore's REST parsers do), HTTPStatusCode, HTTPHeaders (names
// lower-cased, repeated headers joined with ", ") and RetryAttempts 0 (the client sets it).
Json response_metadata(const HttpResponse& response, std::string_view request_id);

// ---- REST request ----

// Sets request.method, request.path, request.query and request.headers from the operation's
// http trait and the input's uri, querystring, header and headers members; body members are
// left to the protocol. The path is requestUri with {Label} percent-encoded and {Label+} too
// but keeping '/'; a literal query in requestUri ("/{Bucket}?versioning") comes first in the
// query, then querystring members (lists repeat the name, a map gives one parameter per key,
// timestamps iso8601). Header timestamps default to rfc822. Throws InputError when a URI label
// is missing or empty. A literal query item without '=' ("?uploads") becomes a parameter with
// an empty value.
void serialize_rest_request(const model::Operation& operation, const Json& input,
                            HttpRequest& request);

// One header member's value as sent: timestamps in whole seconds, rfc822 unless the member
// says otherwise; lists comma-joined (strings quoted when they hold ',' or '"'); jsonvalue
// members as base64 of compact JSON; booleans "true"/"false"; blobs base64.
std::string header_value(const model::Member& member, const Json& value);

// ---- REST response ----

// Adds to `out`, in model order, the output members the response carries outside its body:
// the statusCode member, header members present in the response (converted to the member's
// type) and "headers" prefix maps (always present, as boto3's {} when nothing matches).
void parse_rest_non_body(const model::Shape& output, const HttpResponse& response, Json& out);

// One header's text converted to the member's type: integers, floats, booleans ("true"),
// timestamps (any AWS form) to format_boto_timestamp text, lists split on ',', jsonvalue
// members decoded from base64 JSON, others as text. Throws Error when the text does not fit.
Json parse_header_value(const model::Member& member, std::string_view text);

}  // namespace firebreak::aws::protocol
