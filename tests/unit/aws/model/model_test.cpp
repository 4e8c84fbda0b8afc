#include "firebreak/aws/model/model.h"

#include <gtest/gtest.h>

#include "firebreak/base/error.h"

namespace firebreak::aws::model {
namespace {

TEST(ServiceModel, EveryEmbeddedServiceLoadsWithAProtocolFirebreakSpeaks) {
  const std::vector<std::string> protocols = {"ec2", "query", "json", "rest-json", "rest-xml"};
  ASSERT_GE(service_names().size(), 27u);
  for (const auto& name : service_names()) {
    const ServiceModel& model = service_model(name);
    EXPECT_NE(std::find(protocols.begin(), protocols.end(), model.protocol), protocols.end()) << name;
    EXPECT_FALSE(model.operations.empty()) << name;
    EXPECT_FALSE(model.signing_name.empty()) << name;
  }
}

TEST(ServiceModel, Ec2OperationShapesAndTraits) {
  const ServiceModel& ec2 = service_model("ec2");
  EXPECT_EQ(ec2.protocol, "ec2");
  const Operation& op = ec2.operation("DescribeInstances");
  ASSERT_NE(op.input, nullptr);
  const Member* ids = op.input->find_member("InstanceIds");
  ASSERT_NE(ids, nullptr);
  EXPECT_EQ(ids->shape->type, ShapeType::List);
  EXPECT_EQ(ids->location_name, "InstanceId");
  EXPECT_TRUE(op.idempotent());
  EXPECT_FALSE(ec2.operation("TerminateInstances").idempotent());
  EXPECT_TRUE(ec2.operation("RunInstances").idempotent()) << "RunInstances has a ClientToken";
  ASSERT_NE(ec2.paginator("DescribeInstances"), nullptr);
  EXPECT_EQ(ec2.paginator("DescribeInstances")->result_keys.front(), "Reservations");
  EXPECT_TRUE(ec2.waiters.contains("InstanceRunning"));
}

TEST(ServiceModel, RestXmlLocationsAndHostPrefix) {
  const ServiceModel& s3 = service_model("s3");
  const Operation& put = s3.operation("PutObject");
  EXPECT_EQ(put.http_method, "PUT");
  EXPECT_EQ(put.input->payload, "Body");
  EXPECT_EQ(put.input->find_member("Bucket")->location, Location::Uri);
  EXPECT_EQ(put.input->find_member("ContentType")->location, Location::Header);
  EXPECT_TRUE(put.input->find_member("Body")->is_streaming());
  const Operation& get_pab = service_model("s3control").operation("GetPublicAccessBlock");
  EXPECT_EQ(get_pab.host_prefix, "{AccountId}.");
  EXPECT_EQ(service_model("sts").operation("GetCallerIdentity").result_wrapper, "GetCallerIdentityResult");
}

TEST(ServiceModel, UnknownNamesAreRefusedByName) {
  try {
    service_model("not-a-service");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("not-a-service"), std::string::npos);
  }
  try {
    service_model("ec2").operation("DescribeInstancez");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("DescribeInstancez"), std::string::npos);
  }
}

TEST(ServiceModel, EndpointsDocumentHasTheThreeMainPartitions) {
  std::vector<std::string> partitions;
  for (const auto& p : endpoints_document()["partitions"]) partitions.push_back(p["partition"]);
  for (const char* name : {"aws", "aws-cn", "aws-us-gov"}) {
    EXPECT_NE(std::find(partitions.begin(), partitions.end(), name), partitions.end()) << name;
  }
}

}  // namespace
}  // namespace firebreak::aws::model
