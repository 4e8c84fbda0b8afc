#include "firebreak/aws/endpoints/endpoints.h"

#include <gtest/gtest.h>

#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

Endpoint resolve(const char* service, const char* region, const char* url = "") {
  return resolve_endpoint(model::service_model(service), region, url);
}

TEST(Endpoints, RegionalServicesInEachPartition) {
  EXPECT_EQ(resolve("ec2", "eu-west-1").host, "ec2.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve("ec2", "cn-north-1").host, "ec2.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve("ec2", "cn-north-1").partition, "aws-cn");
  EXPECT_EQ(resolve("ec2", "us-gov-west-1").partition, "aws-us-gov");
  EXPECT_EQ(resolve("guardduty", "ap-southeast-2").signing_name, "guardduty");
  EXPECT_EQ(resolve("sso-admin", "eu-west-1").signing_name, "sso");
}

TEST(Endpoints, GlobalServicesUseThePartitionEndpointAndItsCredentialScope) {
  Endpoint iam = resolve("iam", "eu-west-1");
  EXPECT_EQ(iam.host, "iam.amazonaws.com");
  EXPECT_EQ(iam.signing_region, "us-east-1");
  Endpoint gov = resolve("iam", "us-gov-west-1");
  EXPECT_EQ(gov.host, "iam.us-gov.amazonaws.com");
  EXPECT_EQ(gov.signing_region, "us-gov-west-1");
}

TEST(Endpoints, ANewRegionOfAKnownPartitionFollowsItsPattern) {
  EXPECT_EQ(resolve("ec2", "eu-north-9").host, "ec2.eu-north-9.amazonaws.com");
}

TEST(Endpoints, ConfiguredUrlWinsAndKeepsTheSigningRegion) {
  Endpoint local = resolve("s3", "eu-west-1", "http://127.0.0.1:5000/base/");
  EXPECT_TRUE(local.overridden);
  EXPECT_EQ(local.scheme, "http");
  EXPECT_EQ(local.host, "127.0.0.1:5000");
  EXPECT_EQ(local.base_path, "/base");
  EXPECT_EQ(local.signing_region, "eu-west-1");
  EXPECT_EQ(local.signing_name, "s3");
  EXPECT_THROW(resolve("s3", "eu-west-1", "ftp://x"), ConfigError);
}

TEST(Endpoints, MissingOrInvalidRegionIsAConfigError) {
  EXPECT_THROW(resolve("ec2", ""), ConfigError);
  EXPECT_THROW(resolve("ec2", "eu west 1"), ConfigError);
}

TEST(Endpoints, LocalHostsAreRecognised) {
  EXPECT_TRUE(is_ip_or_localhost("127.0.0.1:5000"));
  EXPECT_TRUE(is_ip_or_localhost("localhost"));
  EXPECT_TRUE(is_ip_or_localhost("[::1]:80"));
  EXPECT_FALSE(is_ip_or_localhost("s3-control.us-east-1.amazonaws.com"));
}

}  // namespace
}  // namespace firebreak::aws
