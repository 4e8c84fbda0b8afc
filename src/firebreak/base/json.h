#pragma once
// firebreak's JSON value: the shape of every AWS request and response, as boto3 uses dicts.
// Ordered so that responses print in the order the service model lists their members.
#include <nlohmann/json.hpp>

namespace firebreak {
using Json = nlohmann::ordered_json;
}  // namespace firebreak
