#pragma once
// AWS Signature Version 4: the Authorization header form and the presigned-query form.
#include <chrono>
#include <string>

#include "firebreak/aws/auth/credentials.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {

struct SigningParams {
  std::string region;        // credential scope region
  std::string service;       // signing name ("s3", "ec2", "sso", ...)
  SystemTime time;
  // S3 rules: the path is used as given (no normalisation, no double encoding: only bytes not
  // yet percent-escaped, such as a raw space, are escaped) and the payload hash is always sent
  // as x-amz-content-sha256.
  bool s3_rules = false;
  // Sign "UNSIGNED-PAYLOAD" instead of the body's hash (S3 over TLS, presigned URLs).
  bool unsigned_payload = false;
  // Each half of s3_rules on its own: Glacier wants the payload-hash header with the usual
  // path rules, and AWS's signing test suite combines the two freely.
  bool path_as_given = false;
  bool payload_hash_header = false;
  // Adds the session token after signing instead of signing it (AWS IoT's WebSocket URLs).
  bool session_token_after_signing = false;
};

// The longest validity AWS accepts for a presigned URL.
inline constexpr std::chrono::seconds kMaxPresignExpiry{7 * 24 * 3600};

// Adds X-Amz-Date, X-Amz-Security-Token (when the credentials have one),
// x-amz-content-sha256 (S3 rules) and Authorization to the request, and a Host header
// from request.host when it has none. Signing again (a retry) replaces them all.
void sign_request(HttpRequest& request, const Credentials& credentials, const SigningParams& params);

// Adds the X-Amz-* query parameters of a presigned URL valid for `expires` (1 second to
// kMaxPresignExpiry; InputError otherwise), and a Host header when it has none. Under S3 rules
// the payload is UNSIGNED-PAYLOAD. Presigning again replaces the parameters.
void presign_request(HttpRequest& request, const Credentials& credentials,
                     const SigningParams& params, std::chrono::seconds expires);

// The intermediate products, exposed for AWS's signing test suites.
struct SigningDetails {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};
// What sign_request computes for this request.
SigningDetails signing_details(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params);
// What presign_request computes for this request.
SigningDetails presigning_details(const HttpRequest& request, const Credentials& credentials,
                                  const SigningParams& params, std::chrono::seconds expires);

}  // namespace firebreak::aws
