#include "firebreak/engine/redact.h"

#include <array>
#include <string>

#include "firebreak/aws/model/model.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::engine {
namespace {

using aws::model::Shape;
using aws::model::ShapeType;

// Lower-cased endings of names that hold secrets in AWS APIs whether or not the model marks
// them (it marks most, not all). Endings, so that MasterUserPassword is caught while
// PasswordPolicy and PasswordLastUsed, which responders need on the record, are not.
constexpr std::array<std::string_view, 11> kSecretEndings = {
    "secretaccesskey", "sessiontoken", "secretstring", "secretbinary", "password", "privatekey",
    "keymaterial",     "clientsecret", "authtoken",    "plaintext",    "passphrase"};

// Exact lower-cased names too generic to match as endings.
constexpr std::array<std::string_view, 3> kSecretNames = {"secret", "token", "credentials"};

Json redact_shape(const Shape* shape, const Json& value);

Json redact_member(const std::string& name, const Shape* shape, const Json& value) {
  if (is_secret_name(name) || (shape && shape->sensitive)) return Json(kRedacted);
  return redact_shape(shape, value);
}

Json redact_shape(const Shape* shape, const Json& value) {
  if (!shape) return redact_by_name(value);
  if (shape->sensitive) return Json(kRedacted);
  switch (shape->type) {
    case ShapeType::Structure: {
      if (!value.is_object()) return value;
      Json out = Json::object();
      for (const auto& [key, member_value] : value.items()) {
        const auto* member = shape->find_member(key);
        out[key] = redact_member(key, member ? member->shape : nullptr, member_value);
      }
      return out;
    }
    case ShapeType::List: {
      if (!value.is_array()) return value;
      Json out = Json::array();
      const Shape* element = shape->member ? shape->member->shape : nullptr;
      for (const auto& item : value) out.push_back(redact_shape(element, item));
      return out;
    }
    case ShapeType::Map: {
      if (!value.is_object()) return value;
      Json out = Json::object();
      const Shape* element = shape->value ? shape->value->shape : nullptr;
      for (const auto& [key, member_value] : value.items()) {
        out[key] = redact_member(key, element, member_value);
      }
      return out;
    }
    default:
      return value;
  }
}

}  // namespace

bool is_secret_name(std::string_view name) {
  std::string lower = to_lower(name);
  for (auto ending : kSecretEndings) {
    if (lower.ends_with(ending)) return true;
  }
  for (auto exact : kSecretNames) {
    if (lower == exact) return true;
  }
  return false;
}

Json redact_by_name(const Json& value) {
  if (value.is_object()) {
    Json out = Json::object();
    for (const auto& [key, member] : value.items()) {
      out[key] = is_secret_name(key) ? Json(kRedacted) : redact_by_name(member);
    }
    return out;
  }
  if (value.is_array()) {
    Json out = Json::array();
    for (const auto& item : value) out.push_back(redact_by_name(item));
    return out;
  }
  return value;
}

Json redact_call(std::string_view service, std::string_view operation, Direction direction,
                 const Json& value) {
  const Shape* shape = nullptr;
  try {
    const auto& op = aws::model::service_model(service).operation(operation);
    shape = direction == Direction::Input ? op.input : op.output;
  } catch (const InputError&) {
    // Not in the model: the call itself will fail; still keep secrets out of the record.
  }
  return redact_shape(shape, value);
}

}  // namespace firebreak::engine
