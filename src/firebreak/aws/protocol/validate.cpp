#include "firebreak/aws/protocol/validate.h"

#include <fmt/format.h>

#include <vector>

#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {
namespace {

using model::Shape;
using model::ShapeType;

class Validator {
 public:
  void check(const Shape& shape, const Json& value, const std::string& path) {
    switch (shape.type) {
      case ShapeType::Structure:
        if (shape.document) return;  // free-form JSON
        check_structure(shape, value, path);
        return;
      case ShapeType::List:
        if (!value.is_array()) return problem(path, "must be a list", value);
        for (size_t i = 0; i < value.size(); ++i) {
          check(*shape.member->shape, value[i], fmt::format("{}[{}]", path, i));
        }
        return;
      case ShapeType::Map:
        if (!value.is_object()) return problem(path, "must be a map (JSON object)", value);
        for (const auto& [key, item] : value.items()) check(*shape.value->shape, item, path + "." + key);
        return;
      case ShapeType::String:
        if (!value.is_string()) return problem(path, "must be a string", value);
        return;
      case ShapeType::Integer:
      case ShapeType::Long:
        if (!value.is_number_integer()) return problem(path, "must be an integer", value);
        if (shape.min && value.get<double>() < *shape.min) {
          return problem(path, fmt::format("must be at least {}", *shape.min), value);
        }
        return;
      case ShapeType::Float:
      case ShapeType::Double:
        if (!value.is_number()) return problem(path, "must be a number", value);
        return;
      case ShapeType::Boolean:
        if (!value.is_boolean()) return problem(path, "must be true or false", value);
        return;
      case ShapeType::Timestamp:
        if (value.is_number()) return;
        if (!value.is_string() || !parse_timestamp(value.get<std::string>())) {
          return problem(path, "must be a timestamp (ISO 8601 text or epoch seconds)", value);
        }
        return;
      case ShapeType::Blob:
        if (!value.is_string() && !value.is_binary()) return problem(path, "must be bytes (a string)", value);
        return;
    }
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  void check_structure(const Shape& shape, const Json& value, const std::string& path) {
    if (!value.is_object()) return problem(path, "must be a structure (JSON object)", value);
    for (const auto& [key, item] : value.items()) {
      const model::Member* member = shape.find_member(key);
      if (!member) {
        std::string valid;
        for (const auto& m : shape.members) valid += (valid.empty() ? "" : ", ") + m.name;
        problems_.push_back(fmt::format("unknown parameter {}{}{}; valid parameters: {}", path,
                                        path.empty() ? "" : ".", key, valid.empty() ? "(none)" : valid));
        continue;
      }
      check(*member->shape, item, path.empty() ? key : path + "." + key);
    }
    for (const auto& member : shape.members) {
      if (member.required && !value.contains(member.name)) {
        problems_.push_back(fmt::format("missing required parameter {}{}{}", path,
                                        path.empty() ? "" : ".", member.name));
      }
    }
  }

  void problem(const std::string& path, const std::string& rule, const Json& value) {
    std::string shown = value.is_binary() ? "<bytes>" : value.dump();
    if (shown.size() > 60) shown = shown.substr(0, 57) + "...";
    problems_.push_back(fmt::format("parameter {} {}, got {}", path.empty() ? "(input)" : path, rule, shown));
  }

  std::vector<std::string> problems_;
};

}  // namespace

void validate_input(const model::ServiceModel& service, const model::Operation& operation,
                    const Json& input) {
  Validator validator;
  if (!operation.input) {
    if (!input.is_null() && !(input.is_object() && input.empty())) {
      throw InputError(fmt::format("{} {} takes no parameters", service.name, operation.name));
    }
    return;
  }
  validator.check(*operation.input, input.is_null() ? Json::object() : input, "");
  if (!validator.problems().empty()) {
    std::string text = fmt::format("invalid input for {} {}:", service.name, operation.name);
    for (const auto& p : validator.problems()) text += "\n  " + p;
    throw InputError(text);
  }
}

SystemTime timestamp_input(const Json& value) {
  if (value.is_number()) return from_epoch_seconds(value.get<double>());
  if (value.is_string()) {
    if (auto t = parse_timestamp(value.get<std::string>())) return *t;
  }
  throw InputError("not a timestamp: " + value.dump());
}

std::string blob_input(const Json& value) {
  if (value.is_binary()) {
    const auto& bytes = value.get_binary();
    return std::string(bytes.begin(), bytes.end());
  }
  if (value.is_string()) return value.get<std::string>();
  throw InputError("not bytes: " + value.dump());
}

}  // namespace firebreak::aws::protocol
