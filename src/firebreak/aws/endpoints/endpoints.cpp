#include "firebreak/aws/endpoints/endpoints.h"

#include <regex>

#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

const Json* find_partition(const std::string& region) {
  const Json& partitions = model::endpoints_document()["partitions"];
  for (const auto& partition : partitions) {
    if (partition["regions"].contains(region)) return &partition;
  }
  for (const auto& partition : partitions) {
    if (std::regex_match(region, std::regex(partition["regionRegex"].get<std::string>()))) return &partition;
  }
  // Global pseudo-regions ("aws-global", "aws-cn-global") name their partition.
  for (const auto& partition : partitions) {
    const auto& services = partition["services"];
    for (const auto& [name, service] : services.items()) {
      if (service.contains("endpoints") && service["endpoints"].contains(region)) return &partition;
    }
  }
  return nullptr;
}

void merge_into(Json& target, const Json& source) {
  for (const auto& [key, value] : source.items()) target[key] = value;
}

std::string substitute(std::string text, const std::string& name, const std::string& value) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at + value.size())) {
    text.replace(at, name.size(), value);
  }
  return text;
}

Endpoint from_url(const std::string& url) {
  static const std::regex pattern(R"(^(https?)://([^/?#]+)(/[^?#]*)?$)");
  std::smatch match;
  if (!std::regex_match(url, match, pattern)) {
    throw ConfigError("endpoint URL '" + url + "' is not of the form http(s)://host[:port][/path]");
  }
  Endpoint endpoint;
  endpoint.scheme = match[1];
  endpoint.host = match[2];
  endpoint.base_path = match[3];
  while (!endpoint.base_path.empty() && endpoint.base_path.back() == '/') endpoint.base_path.pop_back();
  endpoint.overridden = true;
  return endpoint;
}

}  // namespace

std::string partition_of(const std::string& region) {
  const Json* partition = find_partition(region);
  return partition ? (*partition)["partition"].get<std::string>() : "aws";
}

bool is_ip_or_localhost(const std::string& host) {
  std::string name = host;
  if (!name.empty() && name.front() == '[') return true;  // IPv6 literal
  if (auto colon = name.rfind(':'); colon != std::string::npos) name.resize(colon);
  if (name == "localhost") return true;
  static const std::regex ipv4(R"(^\d{1,3}(\.\d{1,3}){3}$)");
  return std::regex_match(name, ipv4);
}

Endpoint resolve_endpoint(const model::ServiceModel& service, const std::string& region,
                          const std::string& endpoint_url) {
  if (region.empty()) {
    throw ConfigError("no AWS region: pass --region, or set AWS_REGION or a region in your profile");
  }
  static const std::regex region_name(R"(^[a-z0-9-]{1,50}$)");
  if (!std::regex_match(region, region_name)) {
    throw ConfigError("'" + region + "' is not a valid AWS region name");
  }
  const Json* partition = find_partition(region);
  Endpoint endpoint;
  if (!endpoint_url.empty()) {
    endpoint = from_url(endpoint_url);
    endpoint.signing_region = region;
    endpoint.signing_name = service.signing_name;
    endpoint.partition = partition ? (*partition)["partition"].get<std::string>() : "aws";
    return endpoint;
  }
  if (!partition) partition = &model::endpoints_document()["partitions"][0];
  endpoint.partition = (*partition)["partition"];
  const std::string dns_suffix = (*partition)["dnsSuffix"];

  Json settings = (*partition)["defaults"];
  std::string endpoint_region = region;
  const auto& services = (*partition)["services"];
  if (auto it = services.find(service.endpoint_prefix); it != services.end()) {
    if (it->contains("defaults")) merge_into(settings, (*it)["defaults"]);
    // Global services (IAM, Organizations, ...) have one endpoint per partition.
    if (it->value("isRegionalized", true) == false && it->contains("partitionEndpoint")) {
      endpoint_region = (*it)["partitionEndpoint"];
    }
    if (it->contains("endpoints") && (*it)["endpoints"].contains(endpoint_region)) {
      merge_into(settings, (*it)["endpoints"][endpoint_region]);
    }
  }
  std::string host = settings.value("hostname", "{service}.{region}.{dnsSuffix}");
  host = substitute(host, "{service}", service.endpoint_prefix);
  host = substitute(host, "{region}", endpoint_region);
  host = substitute(host, "{dnsSuffix}", dns_suffix);
  endpoint.host = host;
  endpoint.signing_region = region;
  endpoint.signing_name = service.signing_name;
  if (settings.contains("credentialScope")) {
    const auto& scope = settings["credentialScope"];
    if (scope.contains("region")) endpoint.signing_region = scope["region"];
    if (scope.contains("service")) endpoint.signing_name = scope["service"];
  }
  return endpoint;
}

}  // namespace firebreak::aws
