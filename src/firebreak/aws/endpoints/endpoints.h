#pragma once
// Where a service's requests go and how they are signed, from botocore's endpoints.json
// partitions (aws, aws-cn, aws-us-gov, ...) or from a configured endpoint URL.
#include <string>

#include "firebreak/aws/model/model.h"

namespace firebreak::aws {

struct Endpoint {
  std::string scheme = "https";
  std::string host;            // host[:port]
  std::string base_path;       // path prefix of an overridden endpoint URL, without trailing '/'
  std::string signing_region;
  std::string signing_name;
  std::string partition;       // "aws", "aws-cn", "aws-us-gov", ...
  bool overridden = false;     // from AWS_ENDPOINT_URL*/--endpoint-url/config: S3 goes path-style
};

// Throws ConfigError when the region is empty or not a valid region name, or the URL is malformed.
Endpoint resolve_endpoint(const model::ServiceModel& service, const std::string& region,
                          const std::string& endpoint_url);

// The partition a region belongs to ("aws" when none claims it, as botocore does).
std::string partition_of(const std::string& region);

// True for literal IP addresses and "localhost": hosts where DNS-style host prefixes
// (s3control's "{AccountId}.") and virtual-hosted S3 buckets cannot resolve.
bool is_ip_or_localhost(const std::string& host);

}  // namespace firebreak::aws
