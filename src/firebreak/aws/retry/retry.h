#pragma once
// The SDKs' retry behaviour: which failures are worth another attempt, how long to wait,
// and a quota that stops a client from retrying into an outage (standard mode).
#include <chrono>
#include <mutex>
#include <string>

#include "firebreak/aws/config/shared_config.h"  // RetryMode, RetrySettings

namespace firebreak::aws {

// What went wrong on one attempt.
struct AttemptFailure {
  std::string code;            // AWS error code; empty for transport failures
  int http_status = 0;         // 0 when no response arrived
  bool transport_error = false;
  bool request_sent = true;    // false when the connection was never made
};

bool is_throttling(const AttemptFailure& failure);
bool is_transient(const AttemptFailure& failure);

// Whether the failure may be retried at all, before attempts and quota are counted:
// throttling always (the service refused before acting); transient faults only when the
// request never reached the service or the operation is safe to repeat.
bool is_retryable(const AttemptFailure& failure, bool idempotent_operation);

// Full-jitter exponential backoff: random in [0, min(20 s, base * 2^attempt)], attempt from 0.
// `unit_random` is a number in [0, 1).
std::chrono::milliseconds backoff_delay(int attempt, double unit_random, RetryMode mode);

// Standard mode's retry quota (shared by a session's calls): a retry costs 5 tokens (10 after a
// timeout), a success without retries gives 1 back, a success after retries gives its cost back.
class RetryQuota {
 public:
  static constexpr int kInitial = 500;
  static constexpr int kRetryCost = 5;
  static constexpr int kTimeoutCost = 10;

  // Takes the tokens for one retry; false when the quota is exhausted.
  bool acquire(bool timeout);
  void on_success(int tokens_acquired);
  int available() const;

 private:
  mutable std::mutex mutex_;
  int available_ = kInitial;
};

}  // namespace firebreak::aws
