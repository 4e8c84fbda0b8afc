// The providers that ask a local metadata service: the ECS container endpoint and EC2's IMDSv2.
#include <arpa/inet.h>

#include <charconv>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/auth/provider_support.h"
#include "firebreak/aws/auth/providers.h"
#include "firebreak/aws/http/curl_transport.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

constexpr const char* ecs_host = "169.254.170.2";
constexpr int container_attempts = 3;
constexpr std::chrono::milliseconds container_timeout{2000};  // botocore's
constexpr std::chrono::milliseconds container_retry_pause{200};
constexpr double default_imds_timeout_seconds = 1;
constexpr int default_imds_attempts = 2;  // one retry, then the chain moves on
constexpr const char* imds_token_ttl_seconds = "21600";

struct Url {
  std::string scheme;
  std::string host;      // as in the URL, with any port and IPv6 brackets
  std::string hostname;  // the name or address alone
  std::string path;      // the path and query as written
};

std::optional<Url> parse_url(std::string_view text) {
  size_t separator = text.find("://");
  if (separator == std::string_view::npos) return std::nullopt;
  Url url;
  url.scheme = to_lower(text.substr(0, separator));
  std::string_view rest = text.substr(separator + 3);
  rest = rest.substr(0, rest.find('#'));
  size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  url.host = std::string(authority);
  url.path =
      authority_end == std::string_view::npos ? "/" : std::string(rest.substr(authority_end));
  if (url.path.front() == '?') url.path.insert(0, "/");
  if (authority.front() == '[') {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    url.hostname = std::string(authority.substr(1, close - 1));
  } else {
    url.hostname = std::string(authority.substr(0, authority.find(':')));
  }
  if (url.hostname.empty()) return std::nullopt;
  return url;
}

bool same_ipv6(const std::string& a, const char* b) {
  in6_addr x{}, y{};
  return inet_pton(AF_INET6, a.c_str(), &x) == 1 && inet_pton(AF_INET6, b, &y) == 1 &&
         std::memcmp(&x, &y, sizeof x) == 0;
}

// Over plain http only these hosts may serve credentials: anything else could be an attacker's
// server named in the environment.
bool allowed_container_host(const std::string& hostname) {
  if (to_lower(hostname) == "localhost") return true;
  if (hostname == ecs_host || hostname == "169.254.170.23") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, hostname.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return same_ipv6(hostname, "::1") || same_ipv6(hostname, "fd00:ec2::23");
}

std::optional<std::string> container_authorization() {
  std::optional<std::string> token;
  if (auto file = get_env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      throw ConfigError(fmt::format("cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE {}: {}",
                                    *file, std::strerror(errno)));
    }
    std::ostringstream text;
    text << in.rdbuf();
    token = trim(text.str());
  } else {
    token = get_env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token && token->find_first_of("\r\n") != std::string::npos) {
    throw ConfigError("the container authorization token contains a line break");
  }
  return token;
}

std::string describe_failure(const HttpResponse& response) {
  std::string out = fmt::format("HTTP {}", response.status);
  Json body = Json::parse(response.body, nullptr, false);
  if (body.is_object()) {
    auto message = body.find("message");
    if (message == body.end()) message = body.find("Message");
    if (message != body.end() && message->is_string()) {
      out += ": " + message->get<std::string>().substr(0, 300);
    }
  }
  return out;
}

// Sends with retries on transport errors and 5xx answers. nullopt: the service never answered.
std::optional<HttpResponse> fetch(HttpTransport& transport, const HttpRequest& request,
                                  int attempts) {
  std::optional<HttpResponse> last;
  for (int attempt = 0; attempt < attempts; ++attempt) {
    try {
      last = transport.send(request);
      if (last->status < 500) return last;
    } catch (const TransportError&) {
    }
  }
  return last;
}

std::string first_line(std::string_view text) { return trim(text.substr(0, text.find('\n'))); }

}  // namespace

ContainerProvider::ContainerProvider(std::shared_ptr<HttpTransport> transport)
    : transport_(std::move(transport)) {}

std::optional<Credentials> ContainerProvider::load() {
  auto relative = get_env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  auto full = get_env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) return std::nullopt;

  HttpRequest request;
  if (relative) {
    request.scheme = "http";
    request.host = ecs_host;
    request.path = relative->starts_with('/') ? *relative : "/" + *relative;
  } else {
    auto url = parse_url(*full);
    if (!url || (url->scheme != "http" && url->scheme != "https")) {
      throw ConfigError(
          fmt::format("AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL: \"{}\"", *full));
    }
    if (url->scheme == "http" && !allowed_container_host(url->hostname)) {
      throw ConfigError(fmt::format(
          "AWS_CONTAINER_CREDENTIALS_FULL_URI names host \"{}\": over http only a loopback "
          "address, 169.254.170.2, 169.254.170.23 or fd00:ec2::23 may serve credentials",
          url->hostname));
    }
    request.scheme = url->scheme;
    request.host = url->host;
    request.path = url->path;
  }
  request.set_header("Accept", "application/json");
  if (auto token = container_authorization()) request.set_header("Authorization", *token);

  if (!transport_) {
    TransportOptions options;
    options.connect_timeout = container_timeout;
    options.request_timeout = container_timeout;
    transport_ = std::make_shared<CurlTransport>(options);
  }
  std::string last_error;
  for (int attempt = 0; attempt < container_attempts; ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(container_retry_pause * attempt);
    HttpResponse response;
    try {
      response = transport_->send(request);
    } catch (const TransportError& e) {
      last_error = e.what();
      continue;
    }
    if (response.status == 200) {
      Json body = Json::parse(response.body, nullptr, false);
      return detail::credentials_from_json(body, "Token", "container-role",
                                           "the container credentials endpoint");
    }
    last_error = describe_failure(response);
    if (response.status < 500 && response.status != 429) break;  // an answer, not a hiccup
  }
  throw ConfigError(fmt::format("could not get credentials from the container endpoint {}: {}",
                                request.host, last_error));
}

InstanceMetadataProvider::InstanceMetadataProvider(std::shared_ptr<const SharedConfig> config,
                                                   std::string profile,
                                                   std::shared_ptr<HttpTransport> transport)
    : config_(std::move(config)), profile_(std::move(profile)), transport_(std::move(transport)) {}

std::optional<Credentials> InstanceMetadataProvider::load() {
  if (auto disabled = get_env("AWS_EC2_METADATA_DISABLED");
      disabled && to_lower(trim(*disabled)) == "true") {
    return std::nullopt;
  }
  auto setting = [&](const char* env_name, std::string_view key) -> std::optional<std::string> {
    if (auto value = get_env(env_name)) return value;
    auto value = config_->get(profile_, key);
    if (value && trim(*value).empty()) return std::nullopt;
    return value;
  };

  std::string endpoint;
  if (auto configured =
          setting("AWS_EC2_METADATA_SERVICE_ENDPOINT", "ec2_metadata_service_endpoint")) {
    endpoint = trim(*configured);
  } else {
    std::string mode = to_lower(trim(
        setting("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE", "ec2_metadata_service_endpoint_mode")
            .value_or("IPv4")));
    if (mode == "ipv4") {
      endpoint = "http://169.254.169.254";
    } else if (mode == "ipv6") {
      endpoint = "http://[fd00:ec2::254]";
    } else {
      throw ConfigError(fmt::format(
          "ec2_metadata_service_endpoint_mode must be IPv4 or IPv6, not \"{}\"", mode));
    }
  }
  auto url = parse_url(endpoint);
  if (!url || (url->scheme != "http" && url->scheme != "https")) {
    throw ConfigError(
        fmt::format("the EC2 metadata endpoint is not an http(s) URL: \"{}\"", endpoint));
  }

  double timeout_seconds = default_imds_timeout_seconds;
  if (auto text = setting("AWS_METADATA_SERVICE_TIMEOUT", "metadata_service_timeout")) {
    std::string value = trim(*text);
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), timeout_seconds);
    if (ec != std::errc() || end != value.data() + value.size() || timeout_seconds <= 0) {
      throw ConfigError(fmt::format(
          "metadata_service_timeout must be a positive number of seconds, not \"{}\"", *text));
    }
  }
  int attempts = default_imds_attempts;
  if (auto text = setting("AWS_METADATA_SERVICE_NUM_ATTEMPTS", "metadata_service_num_attempts")) {
    std::string value = trim(*text);
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), attempts);
    if (ec != std::errc() || end != value.data() + value.size() || attempts < 1) {
      throw ConfigError(fmt::format(
          "metadata_service_num_attempts must be a positive integer, not \"{}\"", *text));
    }
  }
  bool v1_disabled = false;
  if (auto text = setting("AWS_EC2_METADATA_V1_DISABLED", "ec2_metadata_v1_disabled")) {
    v1_disabled = parse_config_bool(*text, "ec2_metadata_v1_disabled");
  }

  if (!transport_) {
    TransportOptions options;
    options.connect_timeout = std::chrono::milliseconds(static_cast<long>(timeout_seconds * 1000));
    options.request_timeout = options.connect_timeout;
    transport_ = std::make_shared<CurlTransport>(options);
  }
  std::string base = url->path;
  while (!base.empty() && base.back() == '/') base.pop_back();
  auto make_request = [&](const char* method, const std::string& path) {
    HttpRequest request;
    request.method = method;
    request.scheme = url->scheme;
    request.host = url->host;
    request.path = base + path;
    return request;
  };

  HttpRequest token_request = make_request("PUT", "/latest/api/token");
  token_request.set_header("x-aws-ec2-metadata-token-ttl-seconds", imds_token_ttl_seconds);
  auto token_response = fetch(*transport_, token_request, attempts);
  if (!token_response) return std::nullopt;  // nothing there: not on EC2
  std::string token;
  if (token_response->status == 200) {
    token = trim(token_response->body);
  } else {
    // 403/404/405 come from metadata services without IMDSv2: botocore then uses IMDSv1.
    int status = token_response->status;
    if (v1_disabled || (status != 403 && status != 404 && status != 405)) return std::nullopt;
  }

  auto get = [&](const std::string& path) {
    HttpRequest request = make_request("GET", path);
    if (!token.empty()) request.set_header("X-aws-ec2-metadata-token", token);
    return fetch(*transport_, request, attempts);
  };
  const std::string credentials_path = "/latest/meta-data/iam/security-credentials/";
  auto roles = get(credentials_path);
  if (!roles || roles->status != 200) return std::nullopt;  // no instance profile
  std::string role = first_line(roles->body);
  if (role.empty()) return std::nullopt;
  auto answer = get(credentials_path + uri_encode(role));
  if (!answer || answer->status != 200) return std::nullopt;

  Json body = Json::parse(answer->body, nullptr, false);
  if (body.is_object()) {
    auto code = body.find("Code");
    if (code != body.end() && code->is_string() && code->get<std::string>() != "Success") {
      throw ConfigError(fmt::format("EC2 instance metadata reports \"{}\" for role {}",
                                    code->get<std::string>(), role));
    }
  }
  return detail::credentials_from_json(body, "Token", "iam-role",
                                       fmt::format("EC2 instance metadata (role {})", role));
}

}  // namespace firebreak::aws
