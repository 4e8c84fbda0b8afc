// The only file of the engine that calls the AWS client directly.
#include "firebreak/engine/aws_api.h"

namespace firebreak::engine {

std::string SessionApi::default_region() const { return session_.region(); }

Json SessionApi::call(std::string_view service, std::string_view region, std::string_view operation,
                      const Json& input) {
  return session_.client(service, region).call(operation, input);
}

Json SessionApi::paginate_all(std::string_view service, std::string_view region,
                              std::string_view operation, const Json& input) {
  return session_.client(service, region).paginate(operation, input).all();
}

Json SessionApi::wait(std::string_view service, std::string_view region, std::string_view waiter,
                      const Json& input, const aws::WaitOptions& options) {
  return session_.client(service, region).wait(waiter, input, options);
}

}  // namespace firebreak::engine
