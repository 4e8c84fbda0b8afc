#include "firebreak/aws/http/http.h"

#include <strings.h>

#include "firebreak/base/encoding.h"

namespace firebreak::aws {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

}  // namespace

std::string HttpRequest::query_string() const {
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    out += uri_encode(name);
    out.push_back('=');
    out += uri_encode(value);
  }
  return out;
}

std::string HttpRequest::url() const {
  std::string out = scheme + "://" + host + path;
  if (!query.empty()) out += "?" + query_string();
  return out;
}

std::string HttpRequest::header(std::string_view name) const { return find_header(headers, name); }

bool HttpRequest::has_header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return true;
  }
  return false;
}

void HttpRequest::set_header(std::string name, std::string value) {
  std::erase_if(headers, [&](const auto& h) { return iequals(h.first, name); });
  headers.emplace_back(std::move(name), std::move(value));
}

std::string HttpResponse::header(std::string_view name) const { return find_header(headers, name); }

}  // namespace firebreak::aws
