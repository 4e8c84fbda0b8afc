#pragma once
// The query protocol family. "query" (sts, iam, rds, ...) and "ec2" send the same form-encoded
// request and answer in XML; ec2 differs in a few naming and list rules (botocore's
// QuerySerializer and EC2Serializer), which QueryDialect selects.
#include <string_view>

#include "firebreak/aws/protocol/protocol.h"
#include "firebreak/aws/protocol/xml.h"

namespace firebreak::aws::protocol {

enum class QueryDialect { Query, Ec2 };

// POST / with Content-Type application/x-www-form-urlencoded and the body
// Action=<operation>&Version=<apiVersion>&<members>: structures as "A.B", booleans true/false,
// timestamps ISO 8601, blobs base64, missing idempotency tokens filled with random UUIDs.
// Query names a member by its locationName, writes lists "Name.member.N" (flattened "Name.N",
// renamed after the item's locationName) and an empty list as "Name="; ec2 names a member by
// its queryName or capitalised locationName, writes every list "Name.N" and leaves empty
// lists out. Maps are "Name.entry.N.key" / ".value" (location names respected).
SerializedRequest serialize_query_request(const model::ServiceModel& service, const model::Operation& operation,
                                          const Json& input, QueryDialect dialect);

// boto3's output for a query-family response: the output members read from `result`, then
// ResponseMetadata with `request_id` (the response header's when the body gave none).
Json query_output(const model::Operation& operation, pugi::xml_node result, std::string_view request_id,
                  const HttpResponse& response);

}  // namespace firebreak::aws::protocol
