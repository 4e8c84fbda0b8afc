#pragma once
// The part of YAML that Sigma rules are written in: block mappings and sequences, plain and
// quoted scalars, literal and folded block scalars, flow sequences and mappings, comments and
// several documents. Scalars stay strings (Sigma compares text), except null and ~.
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::cloudtrail {

// Every document of the text. Throws InputError ("line N: ...") when the text is not YAML
// this reader understands.
std::vector<Json> parse_yaml(std::string_view text);

}  // namespace firebreak::cloudtrail
