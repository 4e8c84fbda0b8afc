#include "firebreak/aws/retry/retry.h"

#include <gtest/gtest.h>

namespace firebreak::aws {
namespace {

AttemptFailure service_error(const std::string& code, int status) {
  AttemptFailure f;
  f.code = code;
  f.http_status = status;
  return f;
}

TEST(RetryDecision, ThrottlingIsRetriedEvenForNonIdempotentOperations) {
  for (const char* code : {"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown",
                           "TooManyRequestsException", "ProvisionedThroughputExceededException"}) {
    EXPECT_TRUE(is_throttling(service_error(code, 400))) << code;
    EXPECT_TRUE(is_retryable(service_error(code, 400), false)) << code;
  }
  EXPECT_TRUE(is_retryable(service_error("", 429), false));
}

TEST(RetryDecision, ServerErrorsAreRetriedOnlyWhenRepeatingIsSafe) {
  for (int status : {500, 502, 503, 504}) {
    EXPECT_TRUE(is_retryable(service_error("InternalError", status), true)) << status;
    EXPECT_FALSE(is_retryable(service_error("InternalError", status), false)) << status;
  }
}

TEST(RetryDecision, ConnectionFaultsAreRetriedWhenTheRequestNeverLeft) {
  AttemptFailure refused;
  refused.transport_error = true;
  refused.request_sent = false;
  EXPECT_TRUE(is_retryable(refused, false));
  AttemptFailure reset_mid_request = refused;
  reset_mid_request.request_sent = true;
  EXPECT_FALSE(is_retryable(reset_mid_request, false));
  EXPECT_TRUE(is_retryable(reset_mid_request, true));
}

TEST(RetryDecision, ClientErrorsAreNeverRetried) {
  for (const char* code : {"AccessDenied", "InvalidInstanceID.NotFound", "ValidationException", "UnauthorizedOperation"}) {
    EXPECT_FALSE(is_retryable(service_error(code, 400), true)) << code;
  }
}

TEST(Backoff, FullJitterWithinExponentialBoundsCappedAtTwentySeconds) {
  EXPECT_EQ(backoff_delay(0, 0.0, RetryMode::standard).count(), 0);
  EXPECT_EQ(backoff_delay(0, 0.999, RetryMode::standard).count(), 999);
  EXPECT_EQ(backoff_delay(3, 0.5, RetryMode::standard).count(), 4000);
  EXPECT_EQ(backoff_delay(10, 0.999, RetryMode::standard).count(), 19980);
  EXPECT_LE(backoff_delay(30, 0.999999, RetryMode::standard).count(), 20000);
  EXPECT_EQ(backoff_delay(2, 0.5, RetryMode::legacy).count(), 100);
}

TEST(RetryQuota, RetriesDrainItAndSuccessesRefillIt) {
  RetryQuota quota;
  int retries = 0;
  while (quota.acquire(false)) ++retries;
  EXPECT_EQ(retries, RetryQuota::kInitial / RetryQuota::kRetryCost);
  EXPECT_FALSE(quota.acquire(true));
  quota.on_success(RetryQuota::kRetryCost);
  EXPECT_EQ(quota.available(), RetryQuota::kRetryCost);
  EXPECT_TRUE(quota.acquire(false));
  quota.on_success(0);
  EXPECT_EQ(quota.available(), 1);
}

}  // namespace
}  // namespace firebreak::aws
