#include "firebreak/aws/auth/credentials.h"

namespace firebreak::aws {

bool Credentials::expires_within(std::chrono::seconds window) const {
  return expiration.has_value() && *expiration <= Clock::now() + window;
}

}  // namespace firebreak::aws
