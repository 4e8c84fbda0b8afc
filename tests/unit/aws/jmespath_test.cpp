#include "firebreak/aws/jmespath.h"

#include <gtest/gtest.h>

#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

const Json kReservations = Json::parse(R"({
  "Reservations": [
    {"Instances": [{"InstanceId": "i-1", "State": {"Name": "running"}, "Tags": [{"Key": "a", "Value": "1"}]},
                   {"InstanceId": "i-2", "State": {"Name": "stopped"}}]},
    {"Instances": [{"InstanceId": "i-3", "State": {"Name": "running"}}]}
  ],
  "NextToken": null,
  "Contents": [{"Key": "a"}, {"Key": "b"}]
})");

Json search(const char* expression, const Json& data = kReservations) {
  return jmespath_search(expression, data);
}

TEST(JmesPath, FieldsIndexesAndFlattenProjections) {
  EXPECT_EQ(search("Reservations[].Instances[].InstanceId"), Json::parse(R"(["i-1","i-2","i-3"])"));
  EXPECT_EQ(search("Reservations[].Instances[].State.Name"), Json::parse(R"(["running","stopped","running"])"));
  EXPECT_EQ(search("Reservations[0].Instances[1].InstanceId"), "i-2");
  EXPECT_EQ(search("Contents[-1].Key"), "b");
  EXPECT_EQ(search("Reservations[*].Instances[0].InstanceId"), Json::parse(R"(["i-1","i-3"])"));
  EXPECT_TRUE(search("Missing.Field").is_null());
}

TEST(JmesPath, WaiterExpressions) {
  EXPECT_EQ(search("length(Reservations[]) > `0`"), true);
  EXPECT_EQ(search("length(Reservations[].Instances[]) == `3`"), true);
  EXPECT_EQ(search("NextMarker || Contents[-1].Key"), "b");
  EXPECT_EQ(search("Reservations[].Instances[?State.Name == 'running'][].InstanceId"),
            Json::parse(R"(["i-1","i-3"])"));
  const Json services = Json::parse(
      R"({"services":[{"deployments":[1],"runningCount":2,"desiredCount":2},{"deployments":[1,2],"runningCount":1,"desiredCount":2}]})");
  EXPECT_EQ(jmespath_search(
                "length(services[?!(length(deployments) == `1` && runningCount == desiredCount)]) == `0`", services),
            false);
}

TEST(JmesPath, MultiSelectSlicesAndFunctions) {
  EXPECT_EQ(search("Reservations[].Instances[].{id: InstanceId, state: State.Name}")[1],
            Json::parse(R"({"id":"i-2","state":"stopped"})"));
  EXPECT_EQ(search("Contents[].[Key]"), Json::parse(R"([["a"],["b"]])"));
  EXPECT_EQ(search("Contents[:1].Key"), Json::parse(R"(["a"])"));
  EXPECT_EQ(search("Contents[::-1].Key"), Json::parse(R"(["b","a"])"));
  EXPECT_EQ(search("join(',', Contents[].Key)"), "a,b");
  EXPECT_EQ(search("contains(Contents[].Key, 'b')"), true);
  EXPECT_EQ(search("Reservations[].Instances[] | [0].InstanceId"), "i-1");
}

TEST(JmesPath, SyntaxErrorsNameThePosition) {
  try {
    JmesPath("Reservations[.Instances");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("position"), std::string::npos) << e.what();
  }
  EXPECT_THROW(JmesPath("foo ||"), InputError);
  EXPECT_THROW(JmesPath("`unterminated"), InputError);
}

}  // namespace
}  // namespace firebreak::aws
