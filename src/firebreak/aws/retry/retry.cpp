#include "firebreak/aws/retry/retry.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>

namespace firebreak::aws {
namespace {

// Error codes the SDKs treat as throttling (botocore retries/standard.py and the SDK spec).
constexpr std::array<std::string_view, 14> kThrottlingCodes = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
};

constexpr std::array<std::string_view, 3> kTransientCodes = {
    "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"};

constexpr std::array<int, 4> kTransientStatuses = {500, 502, 503, 504};

constexpr std::chrono::milliseconds kMaxBackoff{20'000};

}  // namespace

bool is_throttling(const AttemptFailure& failure) {
  if (failure.http_status == 429) return true;
  return std::find(kThrottlingCodes.begin(), kThrottlingCodes.end(), failure.code) != kThrottlingCodes.end();
}

bool is_transient(const AttemptFailure& failure) {
  if (failure.transport_error) return true;
  if (std::find(kTransientCodes.begin(), kTransientCodes.end(), failure.code) != kTransientCodes.end()) {
    return true;
  }
  return std::find(kTransientStatuses.begin(), kTransientStatuses.end(), failure.http_status) !=
         kTransientStatuses.end();
}

bool is_retryable(const AttemptFailure& failure, bool idempotent_operation) {
  if (is_throttling(failure)) return true;
  if (!is_transient(failure)) return false;
  return idempotent_operation || !failure.request_sent;
}

std::chrono::milliseconds backoff_delay(int attempt, double unit_random, RetryMode mode) {
  // Legacy mode waits base 50 ms * 2^attempt (botocore's legacy handler); standard uses 1 s.
  const double base_ms = mode == RetryMode::legacy ? 50.0 : 1000.0;
  const double ceiling = std::min(base_ms * std::pow(2.0, attempt), double(kMaxBackoff.count()));
  return std::chrono::milliseconds(static_cast<long long>(unit_random * ceiling));
}

bool RetryQuota::acquire(bool timeout) {
  std::lock_guard lock(mutex_);
  const int cost = timeout ? kTimeoutCost : kRetryCost;
  if (available_ < cost) return false;
  available_ -= cost;
  return true;
}

void RetryQuota::on_success(int tokens_acquired) {
  std::lock_guard lock(mutex_);
  available_ = std::min(kInitial, available_ + (tokens_acquired > 0 ? tokens_acquired : 1));
}

int RetryQuota::available() const {
  std::lock_guard lock(mutex_);
  return available_;
}

}  // namespace firebreak::aws
