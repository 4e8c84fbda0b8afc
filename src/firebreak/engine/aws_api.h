#pragma once
// The engine's view of the AWS client: the three things steps, stores and evidence uploads do
// with it. SessionApi forwards to an aws::Session; tests give the engine a fake so that the
// executor, contexts and stores are tested without a network.
#include <memory>
#include <string>
#include <string_view>

#include "firebreak/aws/client.h"
#include "firebreak/base/json.h"

namespace firebreak::engine {

class AwsApi {
 public:
  virtual ~AwsApi() = default;

  // The region used when a call names none.
  virtual std::string default_region() const = 0;
  // As aws::ServiceClient::call / paginate(...).all() / wait; errors are thrown as AwsError.
  virtual Json call(std::string_view service, std::string_view region, std::string_view operation,
                    const Json& input) = 0;
  virtual Json paginate_all(std::string_view service, std::string_view region,
                            std::string_view operation, const Json& input) = 0;
  virtual Json wait(std::string_view service, std::string_view region, std::string_view waiter,
                    const Json& input, const aws::WaitOptions& options) = 0;
};

class SessionApi : public AwsApi {
 public:
  explicit SessionApi(const aws::Session& session) : session_(session) {}

  std::string default_region() const override;
  Json call(std::string_view service, std::string_view region, std::string_view operation,
            const Json& input) override;
  Json paginate_all(std::string_view service, std::string_view region, std::string_view operation,
                    const Json& input) override;
  Json wait(std::string_view service, std::string_view region, std::string_view waiter,
            const Json& input, const aws::WaitOptions& options) override;

 private:
  const aws::Session& session_;
};

}  // namespace firebreak::engine
