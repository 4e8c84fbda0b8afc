#include "firebreak/aws/protocol/protocols.h"
#include "firebreak/aws/protocol/query.h"

namespace firebreak::aws::protocol {
namespace {

// The query protocol as EC2 speaks it: ec2 naming and list rules in the request, and a response
// without a result wrapper whose request id is a <requestId> child of the root.
class Ec2Protocol final : public Protocol {
 public:
  SerializedRequest serialize(const model::ServiceModel& service, const model::Operation& operation,
                              const Json& input) const override {
    return serialize_query_request(service, operation, input, QueryDialect::Ec2);
  }

  // <OperationResponse><requestId>id</requestId>members</OperationResponse>
  Json parse(const model::ServiceModel& service, const model::Operation& operation,
             const HttpResponse& response) const override {
    pugi::xml_document document;
    load_xml(document, response.body);
    const pugi::xml_node root = document.document_element();
    return query_output(operation, root, xml_text(xml_child(root, "requestId")), response);
  }

  // <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>
  ErrorDetails parse_error(const model::ServiceModel& service, const model::Operation& operation,
                           const HttpResponse& response) const override {
    return parse_xml_error(response);
  }
};

}  // namespace

const Protocol& ec2_protocol() {
  static const Ec2Protocol protocol;
  return protocol;
}

}  // namespace firebreak::aws::protocol
