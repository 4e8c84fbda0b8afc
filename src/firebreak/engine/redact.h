#pragma once
// Nothing secret reaches the ledger: AWS call parameters and results pass through here first.
#include <string_view>

#include "firebreak/base/json.h"

namespace firebreak::engine {

inline constexpr std::string_view kRedacted = "<redacted>";

enum class Direction { Input, Output };

// `value` with every member the service model marks sensitive (on the member's shape, at any
// depth) and every member with a secret's name replaced by kRedacted. An operation the model
// lacks is redacted by name only.
Json redact_call(std::string_view service, std::string_view operation, Direction direction,
                 const Json& value);
// By name only, for values with no model shape (a step's observations).
Json redact_by_name(const Json& value);
// True for names that hold secrets whatever the service: SecretAccessKey, SessionToken,
// SecretString, Password, PrivateKey...
bool is_secret_name(std::string_view name);

}  // namespace firebreak::engine
