#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/cli/commands.h"

namespace firebreak::cli {
namespace {

Json printable(const Json& value) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    return base64_encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  if (value.is_array() || value.is_object()) {
    Json out = value.is_array() ? Json::array() : Json::object();
    for (auto it = value.begin(); it != value.end(); ++it) {
      if (value.is_array()) {
        out.push_back(printable(*it));
      } else {
        out[it.key()] = printable(*it);
      }
    }
    return out;
  }
  return value;
}

}  // namespace

aws::SessionOptions session_options(const GlobalOptions& global) {
  aws::SessionOptions options;
  options.profile = global.profile;
  options.region = global.region;
  options.endpoint_url = global.endpoint_url;
  return options;
}

void print_json(const Json& value) {
  // Invalid UTF-8 from a service is shown with replacement characters, never a crash.
  std::cout << printable(value).dump(4, ' ', false, Json::error_handler_t::replace) << '\n';
}

Json read_json_argument(const std::string& argument, const std::string& what) {
  std::string text;
  if (argument == "-") {
    std::stringstream buffer;
    buffer << std::cin.rdbuf();
    text = buffer.str();
  } else if (argument.starts_with("@")) {
    std::ifstream file(argument.substr(1), std::ios::binary);
    if (!file) throw InputError(fmt::format("{}: cannot read file {}", what, argument.substr(1)));
    std::stringstream buffer;
    buffer << file.rdbuf();
    text = buffer.str();
  } else {
    text = argument;
  }
  Json value;
  try {
    value = Json::parse(text);
  } catch (const Json::parse_error& e) {
    throw InputError(fmt::format("{} is not valid JSON: {}", what, e.what()));
  }
  if (!value.is_object()) throw InputError(fmt::format("{} must be a JSON object", what));
  return value;
}

}  // namespace firebreak::cli
