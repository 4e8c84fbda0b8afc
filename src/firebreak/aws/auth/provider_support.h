#pragma once
// Pieces the credential providers share; not part of the public API.
#include <string>
#include <string_view>

#include "firebreak/aws/auth/credentials.h"
#include "firebreak/base/json.h"

namespace firebreak::aws::detail {

// Credentials from a JSON object with AccessKeyId, SecretAccessKey, the session token under
// `token_key` (STS and credential_process say "SessionToken", the metadata services "Token")
// and an optional Expiration (ISO 8601 text or epoch seconds). A missing or malformed member is
// a ConfigError that names `source` and the member, never a value.
Credentials credentials_from_json(const Json& object, std::string_view token_key,
                                  std::string provider, std::string_view source);

// The name for STS's RoleSessionName when none is configured: "firebreak-<epoch seconds>", so
// CloudTrail shows who acted.
std::string default_role_session_name();

}  // namespace firebreak::aws::detail
