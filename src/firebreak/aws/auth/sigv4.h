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
  // S3 rules: the path is used as given (no normalisation, no double encoding) and the
  // payload hash is always sent as x-amz-content-sha256.
  bool s3_rules = false;
  // Sign "UNSIGNED-PAYLOAD" instead of the body's hash (S3 over TLS, presigned URLs).
  bool unsigned_payload = false;
};

// Adds X-Amz-Date, X-Amz-Security-Token (when the credentials have one),
// x-amz-content-sha256 (S3 rules) and Authorization to the request.
void sign_request(HttpRequest& request, const Credentials& credentials, const SigningParams& params);

// Adds the X-Amz-* query parameters of a presigned URL valid for `expires` (at most 7 days).
void presign_request(HttpRequest& request, const Credentials& credentials,
                     const SigningParams& params, std::chrono::seconds expires);

// The intermediate products, exposed for AWS's signing test suites.
struct SigningDetails {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
};
SigningDetails signing_details(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params);

}  // namespace firebreak::aws
