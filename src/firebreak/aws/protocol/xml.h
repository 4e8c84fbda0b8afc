#pragma once
// The XML of the query, ec2 and rest-xml protocols, read and written by walking the model's
// shapes as botocore's BaseXMLResponseParser and RestXMLSerializer do.
#include <pugixml.hpp>

#include <string>
#include <string_view>

#include "firebreak/aws/errors.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/json.h"

namespace firebreak::aws::protocol {

// The member's wire name in the XML family: its locationName, else its shape's (botocore merges
// a member reference's traits over its shape's), else `fallback`.
std::string_view serialized_name(const model::Member& member, std::string_view fallback);
// Whether a list or map member is flattened (the trait may sit on the member or its shape).
bool is_flattened(const model::Member& member);

// ---- Reading ----

// Parses a response body into `document`. Throws Error quoting the start of the body when it
// is not well-formed XML.
void load_xml(pugi::xml_document& document, std::string_view body);

// The first child element of `node` whose name, without a namespace prefix, is `name`.
pugi::xml_node xml_child(pugi::xml_node node, std::string_view name);
// The element's text (its first text child), "" when it has none.
std::string_view xml_text(pugi::xml_node node);

// Appends to the Json object `out` the members of `shape` that `node` holds as child elements
// or attributes, converted as boto3 converts them and in the model's order: lists wrapped or
// flattened, maps as entry/key/value, timestamps as format_boto_timestamp() text, blobs from
// base64 to Json binary, booleans true only for "true". Members located in headers or the
// status code are not read; elements the model does not name are ignored. Throws Error when a
// number or timestamp does not parse.
void parse_xml_members(const model::Shape& shape, pugi::xml_node node, Json& out);

// The error a non-2xx response carries, in any of the three protocols' forms:
// <ErrorResponse><Error>, <Response><Errors><Error> (ec2) or a bare <Error> (S3), the request id
// from the body or else the x-amzn-requestid / x-amz-request-id header. A body that is empty
// or not XML gives the status code as the code and its reason phrase as the message, as
// botocore reports a bodiless S3 HEAD 404 ("404", "Not Found").
ErrorDetails parse_xml_error(const HttpResponse& response);

// ---- Writing ----

// The rest-xml document of the structure `value` as the element `root_name`, with
// xmlns="namespace_uri" when one is given: how an operation's body members travel. Members
// are written in the input's order; members located elsewhere (URI, query string, headers)
// are left out; xmlAttribute members become attributes; lists are wrapped in item elements
// (locationName, default "member") unless flattened; maps are entry/key/value; timestamps
// iso8601 unless the member says otherwise; blobs base64. An element without content is
// written "<Name />", as botocore's ElementTree writes it.
std::string write_xml_document(const model::Shape& shape, const Json& value, std::string_view root_name,
                               std::string_view namespace_uri);
// The same for a structure payload member: the root element is named and namespaced by the
// member (locationName, xmlNamespace uri and prefix).
std::string write_xml_document(const model::Member& payload, const Json& value);

}  // namespace firebreak::aws::protocol
