#pragma once
// What S3's API leaves to the caller to know.
#include <string>

#include "firebreak/base/json.h"

namespace firebreak::aws {

// A bucket's region from GetBucketLocation's answer: "us-east-1" when LocationConstraint is
// empty or null, "eu-west-1" for its legacy "EU".
std::string bucket_region(const Json& get_bucket_location);

}  // namespace firebreak::aws
