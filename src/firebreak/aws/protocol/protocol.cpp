#include "firebreak/aws/protocol/protocol.h"

#include <utility>

#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/base/error.h"

namespace firebreak::aws::protocol {

const Protocol& protocol_for(std::string_view name) {
  static const std::pair<std::string_view, const Protocol& (*)()> table[] = {
      {"ec2", ec2_protocol},
      {"query", query_protocol},
      {"json", json_protocol},
      {"rest-json", rest_json_protocol},
      {"rest-xml", rest_xml_protocol},
  };
  for (const auto& [protocol_name, make] : table) {
    if (protocol_name == name) return make();
  }
  throw Error("firebreak does not speak the AWS protocol '" + std::string(name) + "'");
}

}  // namespace firebreak::aws::protocol
