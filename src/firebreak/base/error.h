#pragma once
// Errors that end an operation. Each can carry the error that caused it, and what() reads
// as a chain: "could not isolate i-0abc <- ec2 ModifyNetworkInterfaceAttribute: UnauthorizedOperation ...".
#include <memory>
#include <stdexcept>
#include <string>

namespace firebreak {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  Error(const std::string& message, const std::exception& cause)
      : std::runtime_error(message + " <- " + cause.what()) {}
};

// The input given to firebreak is wrong (bad JSON, unknown operation, bad id): exit code 2.
class InputError : public Error {
 public:
  using Error::Error;
};

// Configuration or credentials are missing or wrong: nothing could run, exit code 3.
class ConfigError : public Error {
 public:
  using Error::Error;
};

}  // namespace firebreak
