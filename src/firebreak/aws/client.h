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
#include <iterator>
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

class SessionState;
class Pages;

struct WaitOptions {
  std::optional<std::chrono::seconds> delay;  // default: the waiter's own
  std::optional<int> max_attempts;            // default: the waiter's own
  // Told after each attempt that did not finish the wait: attempt number, the waiter's
  // maximum, and the last response (or error code as {"Error": {"Code": ...}}).
  std::function<void(int attempt, int max_attempts, const Json& response)> progress;
};

class ServiceClient {
 public:
  const std::string& service() const { return service_; }
  const std::string& region() const { return region_; }

  Json call(std::string_view operation, const Json& input = Json::object()) const;
  // Throws InputError when the operation has no paginator in the model.
  Pages paginate(std::string_view operation, const Json& input = Json::object()) const;
  // Polls until the waiter's success state; throws Error on its failure state or when it
  // gives up, and InputError for a waiter the model does not have.
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

// Pages of a paginated operation, fetched lazily as the range is iterated. Holds its own
// copy of the client, so `for (auto& page : session.client("iam").paginate("ListUsers"))` is safe.
class Pages {
 public:
  class iterator {
   public:
    using value_type = Json;
    using difference_type = std::ptrdiff_t;
    const Json& operator*() const { return page_; }
    const Json* operator->() const { return &page_; }
    iterator& operator++();
    void operator++(int) { ++*this; }
    bool operator==(std::default_sentinel_t) const { return done_; }

   private:
    friend class Pages;
    explicit iterator(const Pages& pages);
    void fetch();
    const Pages* pages_;
    Json input_;
    Json page_;
    bool done_ = false;
    bool last_ = false;  // the current page is the final one
  };

  Pages(ServiceClient client, std::string operation, Json input)
      : client_(std::move(client)), operation_(std::move(operation)), input_(std::move(input)) {}
  iterator begin() const { return iterator(*this); }
  std::default_sentinel_t end() const { return {}; }
  // Every page merged as boto3's build_full_result() does: result keys concatenated,
  // non-aggregate keys from the first page.
  Json all() const;

 private:
  ServiceClient client_;
  std::string operation_;
  Json input_;
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
