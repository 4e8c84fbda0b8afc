#include "firebreak/aws/client.h"

#include <fmt/format.h>

#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include "firebreak/aws/auth/providers.h"
#include "firebreak/aws/auth/sigv4.h"
#include "firebreak/aws/config/shared_config.h"
#include "firebreak/aws/endpoints/endpoints.h"
#include "firebreak/aws/http/curl_transport.h"
#include "firebreak/aws/jmespath.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/aws/protocol/protocol.h"
#include "firebreak/aws/protocol/validate.h"
#include "firebreak/aws/retry/retry.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

constexpr const char* kUserAgent = "firebreak/0.1.0";
constexpr const char* kDefaultStsRegion = "us-east-1";

double unit_random() {
  thread_local std::mt19937_64 engine{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

// Bucket names that can be a DNS label in front of the S3 host (virtual-hosted style).
bool virtual_host_compatible(const std::string& bucket) {
  static const std::regex pattern(R"(^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$)");
  return std::regex_match(bucket, pattern);
}

bool is_success(int status) { return status >= 200 && status < 300; }

}  // namespace

// How a call is authenticated: the session's credential chain, fixed credentials (the
// credential providers' own STS calls), or not at all (AssumeRoleWithWebIdentity).
struct CallAuth {
  enum class Kind { Session, Fixed, Unsigned } kind = Kind::Session;
  std::optional<Credentials> fixed;
};

class SessionState : public std::enable_shared_from_this<SessionState> {
 public:
  explicit SessionState(SessionOptions options) : options_(std::move(options)) {
    config_ = std::make_shared<const SharedConfig>(SharedConfig::load());
    profile_ = active_profile(*config_, options_.profile);
    region_ = resolve_region(*config_, profile_, options_.region);
    retry_ = resolve_retry(*config_, profile_);
    if (options_.transport) {
      transport_ = options_.transport;
    } else {
      TransportOptions transport_options;
      transport_options.ca_bundle = resolve_ca_bundle(*config_, profile_);
      transport_ = std::make_shared<CurlTransport>(transport_options);
    }
  }

  // Built after construction: the chain's STS calls need a pointer back to this state.
  void init_credentials() {
    std::weak_ptr<SessionState> weak = weak_from_this();
    StsCall sts = [weak](std::string_view operation, const Json& input,
                         const std::optional<Credentials>& credentials) {
      auto self = weak.lock();
      if (!self) throw Error("the AWS session has ended");
      CallAuth auth;
      auth.kind = credentials ? CallAuth::Kind::Fixed : CallAuth::Kind::Unsigned;
      auth.fixed = credentials;
      const std::string region = self->region_.empty() ? kDefaultStsRegion : self->region_;
      return self->invoke("sts", region, operation, input, auth);
    };
    credentials_ = default_credential_chain(*config_, options_.profile, sts, nullptr);
  }

  const std::string& region() const { return region_; }
  // The chain throws ConfigError naming where it looked when it finds nothing.
  Credentials credentials() { return credentials_->load().value(); }

  Json invoke(const std::string& service, const std::string& region, std::string_view operation_name,
              const Json& input, const CallAuth& auth = {}) {
    const model::ServiceModel& model = model::service_model(service);
    const model::Operation& operation = model.operation(operation_name);
    protocol::validate_input(model, operation, input);
    const protocol::Protocol& protocol = protocol::protocol_for(model.protocol);
    Endpoint endpoint = endpoint_for(model, region);
    HttpRequest request = prepare(model, operation, protocol, input, endpoint);

    int tokens_acquired = 0;
    for (int attempt = 0;; ++attempt) {
      HttpRequest signed_request = request;
      sign(signed_request, model, operation, endpoint, auth);
      AttemptFailure failure;
      std::optional<AwsError> error;
      try {
        const HttpResponse response = transport_->send(signed_request);
        if (is_success(response.status)) {
          try {
            Json out = protocol.parse(model, operation, response);
            out["ResponseMetadata"]["RetryAttempts"] = attempt;
            quota_.on_success(tokens_acquired);
            return out;
          } catch (const AwsError& e) {
            // S3 can answer 200 and then an <Error> body (CopyObject, CompleteMultipartUpload):
            // the SDKs treat it as a 500, retryable where the operation is.
            failure.code = e.code();
            failure.http_status = 500;
            error.emplace(e);
          }
        } else if (auto moved = s3_region_redirect(model, endpoint, response); moved && attempt == 0) {
          // The bucket lives in another region: sign for it and go there, as the SDKs do.
          endpoint = endpoint_for(model, *moved);
          request = prepare(model, operation, protocol, input, endpoint);
          continue;
        } else {
          ErrorDetails details = protocol.parse_error(model, operation, response);
          failure.code = details.code;
          failure.http_status = response.status;
          error.emplace(model.name, operation.name, std::move(details), response.status);
        }
      } catch (const TransportError& e) {
        failure.transport_error = true;
        failure.request_sent = e.request_sent();
        error.emplace(model.name, operation.name,
                      ErrorDetails{"EndpointConnectionError",
                                   fmt::format("could not reach {}: {}", endpoint.host, e.what()), ""},
                      0);
      }
      const bool may_retry = attempt + 1 < retry_.max_attempts &&
                             is_retryable(failure, operation.idempotent()) &&
                             (retry_.mode == RetryMode::legacy || quota_.acquire(failure.transport_error));
      if (!may_retry) throw *error;
      if (retry_.mode != RetryMode::legacy) {
        tokens_acquired += failure.transport_error ? RetryQuota::kTimeoutCost : RetryQuota::kRetryCost;
      }
      std::this_thread::sleep_for(backoff_delay(attempt, unit_random(), retry_.mode));
    }
  }

  std::string presign(const std::string& service, const std::string& region, std::string_view operation_name,
                      const Json& input, std::chrono::seconds expires) {
    const model::ServiceModel& model = model::service_model(service);
    const model::Operation& operation = model.operation(operation_name);
    protocol::validate_input(model, operation, input);
    const protocol::Protocol& protocol = protocol::protocol_for(model.protocol);
    const Endpoint endpoint = endpoint_for(model, region);
    HttpRequest request = prepare(model, operation, protocol, input, endpoint);
    // A presigned URL carries no body or content headers: the holder sends those.
    request.body.clear();
    std::erase_if(request.headers, [](const auto& h) { return to_lower(h.first) != "host"; });
    presign_request(request, credentials(), signing_params(model, endpoint), expires);
    return request.url();
  }

 private:
  Endpoint endpoint_for(const model::ServiceModel& model, const std::string& region) {
    const std::string key = model.name + "\n" + region;
    std::lock_guard lock(endpoints_mutex_);
    if (auto it = endpoints_.find(key); it != endpoints_.end()) return it->second;
    std::string url = options_.endpoint_url;
    if (url.empty()) url = resolve_endpoint_url(*config_, profile_, model.service_id);
    return endpoints_.emplace(key, resolve_endpoint(model, region, url)).first->second;
  }

  HttpRequest prepare(const model::ServiceModel& model, const model::Operation& operation,
                      const protocol::Protocol& protocol, const Json& input, const Endpoint& endpoint) {
    protocol::SerializedRequest serialized = protocol.serialize(model, operation, input);
    HttpRequest request = std::move(serialized.http);
    request.scheme = endpoint.scheme;
    request.host = endpoint.host;
    // Host prefixes ("123456789012.s3-control...") cannot resolve in front of an IP address
    // or localhost, so a local endpoint gets the request without it.
    if (!serialized.host_prefix.empty() && !is_ip_or_localhost(endpoint.host)) {
      request.host = serialized.host_prefix + request.host;
    }
    if (model.name == "s3" && !endpoint.overridden && input.contains("Bucket")) {
      const std::string bucket = input["Bucket"].get<std::string>();
      const std::string prefix = "/" + uri_encode(bucket);
      if (virtual_host_compatible(bucket) && request.path.starts_with(prefix)) {
        request.host = bucket + "." + request.host;
        request.path = request.path.substr(prefix.size());
        if (request.path.empty() || request.path[0] != '/') request.path.insert(0, "/");
      }
    }
    request.path = endpoint.base_path + request.path;
    request.set_header("User-Agent", kUserAgent);
    return request;
  }

  SigningParams signing_params(const model::ServiceModel& model, const Endpoint& endpoint) const {
    SigningParams params;
    params.region = endpoint.signing_region;
    params.service = endpoint.signing_name;
    params.time = Clock::now();
    params.s3_rules = endpoint.signing_name == "s3";
    // Over TLS the SDKs leave S3 payloads unsigned; the transport already protects them.
    params.unsigned_payload = params.s3_rules && endpoint.scheme == "https";
    return params;
  }

  void sign(HttpRequest& request, const model::ServiceModel& model, const model::Operation& operation,
            const Endpoint& endpoint, const CallAuth& auth) {
    if (auth.kind == CallAuth::Kind::Unsigned || operation.auth_type == "none") return;
    SigningParams params = signing_params(model, endpoint);
    if (operation.auth_type == "v4-unsigned-body") params.unsigned_payload = true;
    sign_request(request, auth.kind == CallAuth::Kind::Fixed ? *auth.fixed : credentials(), params);
  }

  // S3 names the bucket's region when a request went to the wrong one.
  std::optional<std::string> s3_region_redirect(const model::ServiceModel& model, const Endpoint& endpoint,
                                                const HttpResponse& response) const {
    if (model.name != "s3" || (response.status != 301 && response.status != 400 && response.status != 403)) {
      return {};
    }
    std::string bucket_region = response.header("x-amz-bucket-region");
    if (bucket_region.empty() || bucket_region == endpoint.signing_region) return {};
    return bucket_region;
  }

  SessionOptions options_;
  std::shared_ptr<const SharedConfig> config_;
  std::string profile_;
  std::string region_;
  RetrySettings retry_;
  RetryQuota quota_;
  std::shared_ptr<HttpTransport> transport_;
  std::unique_ptr<CredentialProvider> credentials_;
  std::mutex endpoints_mutex_;
  std::map<std::string, Endpoint> endpoints_;
};

// ---- Session ----

Session::Session(SessionOptions options) : state_(std::make_shared<SessionState>(std::move(options))) {
  state_->init_credentials();
}

Session::~Session() = default;

ServiceClient Session::client(std::string_view service, std::string_view region) const {
  model::service_model(service);  // unknown services fail here, naming the known ones
  std::string chosen(region.empty() ? state_->region() : region);
  if (chosen.empty()) {
    throw ConfigError("no AWS region: pass --region, or set AWS_REGION or a region in your profile");
  }
  return ServiceClient(state_, std::string(service), std::move(chosen));
}

const std::string& Session::region() const { return state_->region(); }

Credentials Session::credentials() const { return state_->credentials(); }

// ---- ServiceClient ----

Json ServiceClient::call(std::string_view operation, const Json& input) const {
  return state_->invoke(service_, region_, operation, input);
}

std::string ServiceClient::presign(std::string_view operation, const Json& input,
                                   std::chrono::seconds expires) const {
  return state_->presign(service_, region_, operation, input, expires);
}

Pages ServiceClient::paginate(std::string_view operation, const Json& input) const {
  const model::ServiceModel& model = model::service_model(service_);
  model.operation(operation);
  if (!model.paginator(operation)) {
    throw InputError(fmt::format("{} {} cannot be paginated (the model has no paginator for it)", service_,
                                 operation));
  }
  return Pages(*this, std::string(operation), input.is_null() ? Json::object() : input);
}

}  // namespace firebreak::aws
