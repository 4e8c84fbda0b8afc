#pragma once
// The protocol implementations, one per file; protocol_for() picks among them by name.
#include "firebreak/aws/protocol/protocol.h"

namespace firebreak::aws::protocol {

const Protocol& ec2_protocol();        // ec2.cpp
const Protocol& query_protocol();      // query.cpp
const Protocol& json_protocol();       // json.cpp
const Protocol& rest_json_protocol();  // rest_json.cpp
const Protocol& rest_xml_protocol();   // rest_xml.cpp

}  // namespace firebreak::aws::protocol
