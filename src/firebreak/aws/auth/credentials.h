#pragma once
// AWS credentials and the providers that find them, in the order the SDKs use.
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "firebreak/base/time.h"

namespace firebreak::aws {

struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;             // empty for long-term keys
  std::optional<SystemTime> expiration;  // nullopt: does not expire
  std::string provider;                  // which provider found them ("env", "profile:dev", ...)

  bool expires_within(std::chrono::seconds window) const;
};

// One source of credentials. load() returns nullopt when the source is simply not configured
// (so the chain moves on), and throws ConfigError when the source exists but is wrong
// (a profile with a key id and no secret, a credential_process that fails, ...).
class CredentialProvider {
 public:
  virtual ~CredentialProvider() = default;
  virtual std::string name() const = 0;
  virtual std::optional<Credentials> load() = 0;
};

}  // namespace firebreak::aws
