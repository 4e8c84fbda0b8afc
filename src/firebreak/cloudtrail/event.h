#pragma once
// One CloudTrail record as the hunt sees it: views into the text it was read from and into the
// parser's string buffer, so reading a record allocates nothing. An Event is only valid during
// the call that receives it; whatever must outlive the call is copied by the receiver.
#include <cstdint>
#include <string_view>

#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {

enum class ReadOnly : uint8_t { kUnknown, kTrue, kFalse };

struct Identity {
  std::string_view type, arn, user_name, account_id, access_key_id, principal_id, invoked_by;
  // userIdentity.sessionContext.sessionIssuer: the role behind an assumed-role session.
  std::string_view issuer_type, issuer_arn, issuer_user_name;
};

struct Event {
  std::string_view raw;  // the record's JSON text as it appears in the file
  std::string_view event_time, event_source, event_name, aws_region, source_ip, user_agent,
      error_code, error_message, event_id, event_type, recipient_account_id;
  int64_t time = kNoTime;  // eventTime in seconds since the epoch
  ReadOnly read_only = ReadOnly::kUnknown;
  Identity identity;
  // Raw JSON of the nested members the resources answer and Sigma rules look into; empty when
  // absent or null.
  std::string_view request_parameters, response_elements, resources;
};

// Who did it, as one key: the ARN when CloudTrail gives one, else the service or principal id.
std::string_view principal_of(const Event& event);

// Where a record sits, for reports: the file (or object) name and a byte offset into its text.
struct Position {
  std::string_view name;
  uint64_t offset = 0;
};

}  // namespace firebreak::cloudtrail
