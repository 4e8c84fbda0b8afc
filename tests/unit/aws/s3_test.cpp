#include <gtest/gtest.h>

#include "firebreak/aws/s3.h"

namespace firebreak::aws {
namespace {

TEST(S3, BucketRegionFromGetBucketLocation) {
  EXPECT_EQ(bucket_region(Json::object()), "us-east-1");
  EXPECT_EQ(bucket_region({{"LocationConstraint", nullptr}}), "us-east-1");
  EXPECT_EQ(bucket_region({{"LocationConstraint", ""}}), "us-east-1");
  EXPECT_EQ(bucket_region({{"LocationConstraint", "EU"}}), "eu-west-1");
  EXPECT_EQ(bucket_region({{"LocationConstraint", "ap-south-2"}}), "ap-south-2");
}

}  // namespace
}  // namespace firebreak::aws
