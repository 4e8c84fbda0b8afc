#pragma once
// The AWS client every playbook stands on. A Session holds what the SDKs hold: resolved
// configuration, the credential chain, one HTTP transport with pooled connections, and the
// retry quota. A ServiceClient is a cheap handle for one service in one region:
//
//   auto out = session.client("ec2", region).call("DescribeInstances", {{"InstanceIds", {id}}});
//   for (const Json& page : session.client("iam").paginate("ListUsers")) { ... }
//   session.client("ec2", region).wait("SnapshotCompleted", {{"SnapshotIds", {snap}}});
//
// Input and output have the shape boto3 uses. Errors are thrown as AwsError (service,
// operation, code, message, HTTP status, request id); bad input as InputError before any
// request is sent. Session and ServiceClient are safe to use from many threads.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/aws/auth/credentials.h"
#include "firebreak/aws/errors.h"
#include "firebreak/aws/http/http.h"
#include "firebreak/base/json.h"

namespace firebreak::aws {

struct SessionOptions {
  std::string profile;   // empty: AWS_PROFILE, then "default"
  std::string region;    // empty: AWS_REGION, AWS_DEFAULT_REGION, then the profile's region
  std::string endpoint_url;  // empty: AWS_ENDPOINT_URL[_<SERVICE>] / profile, then the partition's
  std::shared_ptr<HttpTransport> transport;  // empty: libcurl
};

class ServiceClient;
class SessionState;

// Pages of a paginated operation, fetched lazily as the range is iterated.
class Pages {
 public:
  class iterator;
  Pages(const ServiceClient& client, std::string operation, Json input);
  iterator begin();
  std::default_sentinel_t end() { return {}; }
  // Every page merged the way boto3's build_full_result() does.
  Json all();

 private:
  friend class iterator;
  const ServiceClient& client_;
  std::string operation_;
  Json input_;
};

struct WaitOptions {
  std::optional<std::chrono::seconds> delay;  // default: the waiter's own
  std::optional<int> max_attempts;            // default: the waiter's own
  // Told each attempt: attempt number, the waiter's max, and the last response.
  std::function<void(int attempt, int max_attempts, const Json& response)> progress;
};

class ServiceClient {
 public:
  const std::string& service() const { return service_; }
  const std::string& region() const { return region_; }

  Json call(std::string_view operation, const Json& input = Json::object()) const;
  Pages paginate(std::string_view operation, const Json& input = Json::object()) const;
  // Polls until the waiter's success state; throws Error on its failure state or timeout.
  Json wait(std::string_view waiter, const Json& input, const WaitOptions& options = {}) const;
  // A presigned URL for the operation (e.g. S3 PutObject for on-host uploads).
  std::string presign(std::string_view operation, const Json& input,
                      std::chrono::seconds expires) const;

 private:
  friend class Session;
  ServiceClient(std::shared_ptr<SessionState> state, std::string service, std::string region)
      : state_(std::move(state)), service_(std::move(service)), region_(std::move(region)) {}
  std::shared_ptr<SessionState> state_;
  std::string service_;
  std::string region_;
};

class Session {
 public:
  // Resolves configuration from options, the environment and the shared config files.
  // Throws ConfigError when the configuration is invalid (not when credentials are absent:
  // that is found on the first call).
  explicit Session(SessionOptions options = {});
  ~Session();

  // A client for the service in `region` (empty: the session's region). Throws InputError
  // for a service firebreak does not embed, ConfigError when no region is known.
  ServiceClient client(std::string_view service, std::string_view region = "") const;
  const std::string& region() const;
  // The current credentials (refreshed when near expiry); throws ConfigError when none.
  Credentials credentials() const;

 private:
  std::shared_ptr<SessionState> state_;
};

}  // namespace firebreak::aws
