#include "firebreak/base/time.h"

#include <gtest/gtest.h>

namespace firebreak {
namespace {

SystemTime at(double epoch) { return from_epoch_seconds(epoch); }

TEST(Timestamps, FormatsAwsUses) {
  const SystemTime t = at(1440938160);  // 2015-08-30T12:36:00Z
  EXPECT_EQ(format_amz_date(t), "20150830T123600Z");
  EXPECT_EQ(format_iso8601(t), "2015-08-30T12:36:00Z");
  EXPECT_EQ(format_rfc822(t), "Sun, 30 Aug 2015 12:36:00 GMT");
  EXPECT_EQ(format_boto_timestamp(t), "2015-08-30T12:36:00+00:00");
  EXPECT_EQ(format_boto_timestamp(at(1440938160.25)), "2015-08-30T12:36:00.250000+00:00");
  EXPECT_EQ(format_iso8601(at(1440938160.25)), "2015-08-30T12:36:00.250Z");
}

TEST(Timestamps, ParsesEveryFormAwsSends) {
  const SystemTime t = at(1440938160);
  EXPECT_EQ(parse_timestamp("2015-08-30T12:36:00Z"), t);
  EXPECT_EQ(parse_timestamp("2015-08-30T12:36:00.000Z"), t);
  EXPECT_EQ(parse_timestamp("2015-08-30T14:36:00+02:00"), t);
  EXPECT_EQ(parse_timestamp("2015-08-30T12:36:00"), t);
  EXPECT_EQ(parse_timestamp("Sun, 30 Aug 2015 12:36:00 GMT"), t);
  EXPECT_EQ(parse_timestamp("1440938160"), t);
  EXPECT_EQ(parse_timestamp("1440938160.5"), at(1440938160.5));
  EXPECT_EQ(parse_timestamp("2015-08-30"), at(1440892800));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  EXPECT_FALSE(parse_timestamp(""));
}

TEST(Clock, CanBeFixedForTests) {
  Clock::set_for_testing([] { return from_epoch_seconds(42); });
  EXPECT_EQ(Clock::now(), from_epoch_seconds(42));
  Clock::set_for_testing({});
  EXPECT_GT(Clock::now(), from_epoch_seconds(1.7e9));
}

}  // namespace
}  // namespace firebreak
