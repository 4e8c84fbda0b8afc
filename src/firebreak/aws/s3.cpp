#include "firebreak/aws/s3.h"

namespace firebreak::aws {

std::string bucket_region(const Json& get_bucket_location) {
  const Json& constraint = get_bucket_location.value("LocationConstraint", Json());
  if (!constraint.is_string() || constraint.get<std::string>().empty()) return "us-east-1";
  if (constraint == "EU") return "eu-west-1";
  return constraint.get<std::string>();
}

}  // namespace firebreak::aws
