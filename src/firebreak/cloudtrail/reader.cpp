#include "firebreak/cloudtrail/reader.h"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

enum class Key : uint8_t {
  kOther, kEventVersion, kEventTime, kEventSource, kEventName, kAwsRegion, kSourceIp,
  kUserAgent, kErrorCode, kErrorMessage, kEventId, kEventType, kRecipientAccountId, kReadOnly,
  kUserIdentity, kRequestParameters, kResponseElements, kResources,
  // Only meaningful at the top of a document:
  kRecords, kDetail, kDetailType,
  // userIdentity and its sessionContext.sessionIssuer:
  kType, kArn, kUserName, kAccountId, kAccessKeyId, kPrincipalId, kInvokedBy, kSessionContext,
};

// Keys are compared in place, without unescaping or measuring them first: CloudTrail's keys
// never contain escapes (a key that does matches no known name), and the text after a key
// is always readable (the closing quote, then padding at worst).
template <size_t N>
bool is(const char* key, const char (&name)[N]) {
  // Word-sized loads with a constant count: the compiler unrolls this into a few compares,
  // where memcmp would be a call per key.
  constexpr size_t n = N - 1;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t a, b;
    std::memcpy(&a, key + i, 8);
    std::memcpy(&b, name + i, 8);
    if (a != b) return false;
  }
  for (; i < n; ++i)
    if (key[i] != name[i]) return false;
  return key[n] == '"';
}

Key record_key(od::field& field) {
  const char* k = field.key().raw();
  switch (k[0]) {
    case 'e':
      if (is(k, "eventTime")) return Key::kEventTime;
      if (is(k, "eventSource")) return Key::kEventSource;
      if (is(k, "eventName")) return Key::kEventName;
      if (is(k, "eventVersion")) return Key::kEventVersion;
      if (is(k, "eventID")) return Key::kEventId;
      if (is(k, "eventType")) return Key::kEventType;
      if (is(k, "errorCode")) return Key::kErrorCode;
      if (is(k, "errorMessage")) return Key::kErrorMessage;
      break;
    case 'a':
      if (is(k, "awsRegion")) return Key::kAwsRegion;
      break;
    case 's':
      if (is(k, "sourceIPAddress")) return Key::kSourceIp;
      break;
    case 'u':
      if (is(k, "userIdentity")) return Key::kUserIdentity;
      if (is(k, "userAgent")) return Key::kUserAgent;
      break;
    case 'r':
      if (is(k, "readOnly")) return Key::kReadOnly;
      if (is(k, "requestParameters")) return Key::kRequestParameters;
      if (is(k, "responseElements")) return Key::kResponseElements;
      if (is(k, "resources")) return Key::kResources;
      if (is(k, "recipientAccountId")) return Key::kRecipientAccountId;
      break;
    case 'R':
      if (is(k, "Records")) return Key::kRecords;
      break;
    case 'd':
      if (is(k, "detail")) return Key::kDetail;
      if (is(k, "detail-type")) return Key::kDetailType;
      break;
  }
  return Key::kOther;
}

Key identity_key(od::field& field) {
  const char* k = field.key().raw();
  switch (k[0]) {
    case 't': return is(k, "type") ? Key::kType : Key::kOther;
    case 'a':
      if (is(k, "arn")) return Key::kArn;
      if (is(k, "accountId")) return Key::kAccountId;
      if (is(k, "accessKeyId")) return Key::kAccessKeyId;
      break;
    case 'u': return is(k, "userName") ? Key::kUserName : Key::kOther;
    case 'p': return is(k, "principalId") ? Key::kPrincipalId : Key::kOther;
    case 'i': return is(k, "invokedBy") ? Key::kInvokedBy : Key::kOther;
    case 's': return is(k, "sessionContext") ? Key::kSessionContext : Key::kOther;
  }
  return Key::kOther;
}

// Strings are read unescaped; anything else (null, numbers) leaves the view empty.
error_code read_text(od::value value, std::string_view& out) {
  auto result = value.get_string();
  if (result.error() == simdjson::INCORRECT_TYPE) return SUCCESS;
  return std::move(result).get(out);
}

error_code read_nested_raw(od::value value, std::string_view& out) {
  od::json_type type;
  SIMDJSON_TRY(value.type().get(type));
  if (type == od::json_type::object) {
    od::object object;
    SIMDJSON_TRY(value.get_object().get(object));
    return object.raw_json().get(out);
  }
  if (type == od::json_type::array) {
    od::array array;
    SIMDJSON_TRY(value.get_array().get(array));
    return array.raw_json().get(out);
  }
  return SUCCESS;
}

error_code read_read_only(od::value value, ReadOnly& out) {
  bool flag;
  if (!value.get_bool().get(flag)) {
    out = flag ? ReadOnly::kTrue : ReadOnly::kFalse;
    return SUCCESS;
  }
  std::string_view text;
  SIMDJSON_TRY(read_text(value, text));
  if (text == "true") out = ReadOnly::kTrue;
  if (text == "false") out = ReadOnly::kFalse;
  return SUCCESS;
}

error_code read_identity(od::object object, Identity& id, bool issuer) {
  for (auto member : object) {
    od::field field;
    SIMDJSON_TRY(std::move(member).get(field));
    Key key = identity_key(field);
    std::string_view* target = nullptr;
    switch (key) {
      case Key::kType: target = issuer ? &id.issuer_type : &id.type; break;
      case Key::kArn: target = issuer ? &id.issuer_arn : &id.arn; break;
      case Key::kUserName: target = issuer ? &id.issuer_user_name : &id.user_name; break;
      case Key::kAccountId: if (!issuer) target = &id.account_id; break;
      case Key::kAccessKeyId: if (!issuer) target = &id.access_key_id; break;
      case Key::kPrincipalId: if (!issuer) target = &id.principal_id; break;
      case Key::kInvokedBy: if (!issuer) target = &id.invoked_by; break;
      case Key::kSessionContext: {
        od::object context;
        if (issuer || field.value().get_object().get(context)) break;  // null: nothing to read
        for (auto inner : context) {
          od::field inner_field;
          SIMDJSON_TRY(std::move(inner).get(inner_field));
          if (!is(inner_field.key().raw(), "sessionIssuer")) continue;
          od::object session_issuer;
          if (inner_field.value().get_object().get(session_issuer)) continue;
          SIMDJSON_TRY(read_identity(session_issuer, id, true));
        }
        break;
      }
      default: break;
    }
    if (target) SIMDJSON_TRY(read_text(field.value(), *target));
  }
  return SUCCESS;
}

}  // namespace

std::string_view principal_of(const Event& event) {
  const Identity& id = event.identity;
  if (!id.arn.empty()) return id.arn;
  if (!id.invoked_by.empty()) return id.invoked_by;
  if (!id.principal_id.empty()) return id.principal_id;
  return id.type;
}

// One read of one file: the state shared by the document, line and record-by-record paths.
class RecordReader::Pass {
 public:
  Pass(od::parser& parser, const ReaderOptions& options, std::string_view name, std::string_view text,
       EventHandler& handler, Diagnostics& diagnostics)
      : parser_(parser), max_whole_(options.max_whole_document), nested_(options.nested_members),
        literals_(options.required_literals), name_(name), text_(text), handler_(handler),
        diagnostics_(diagnostics) {}

  ReadCounts run() {
    size_t first = skip_space(text_, 0);
    if (first == text_.size()) return counts_;
    if (text_[first] == '{' && first_line_is_whole(first)) {
      // JSON lines: every line is a document, so a broken line costs only itself.
      size_t at = first;
      while (at < text_.size()) {
        const char* nl = static_cast<const char*>(std::memchr(text_.data() + at, '\n', text_.size() - at));
        size_t end = nl ? nl - text_.data() : text_.size();
        size_t begin = skip_space(text_, at);
        if (begin < end) read_document(begin, end);
        at = end + 1;
      }
    } else {
      read_document(first, text_.size());
    }
    return counts_;
  }

 private:
  // Bookkeeping for the top-level object of a document (or of a top-level array element).
  struct Envelope {
    bool top = true;           // Records, detail and detail-type only count at the top
    bool container = false;    // it held a Records array
    bool has_detail = false;   // EventBridge: its detail
    bool record_keys = false;  // it has keys of a CloudTrail record itself
    std::string_view detail_type;
    Event detail;
  };

  bool first_line_is_whole(size_t first) const {
    const char* nl = static_cast<const char*>(std::memchr(text_.data() + first, '\n', text_.size() - first));
    std::string_view line = trim_end(text_.substr(first, nl ? nl - (text_.data() + first) : std::string_view::npos));
    return line.size() > 1 && line.back() == '}';
  }

  void read_document(size_t begin, size_t end) {
    std::string_view doc = trim_end(text_.substr(begin, end - begin));
    doc_begin_ = begin;
    doc_text_ = doc;
    resume_ = 0;
    if (!literals_.empty()) {
      if (size_t content = container_content(doc); content != std::string_view::npos && read_around_literals(doc, content))
        return;
    }
    if (doc.size() > max_whole_) {
      if (size_t content = container_content(doc); content != std::string_view::npos) {
        read_one_by_one(doc, content);
        return;
      }
    }
    size_t failed_at = 0;
    error_code error = read_whole(doc, failed_at);
    if (error == SUCCESS) return;
    size_t content = container_content(doc);
    if (content == std::string_view::npos) {
      report(failed_at, fmt::format("malformed JSON ({})", simdjson::error_message(error)));
      ++counts_.malformed;
      return;
    }
    // Go on after the last record that was read, one record at a time.
    read_one_by_one(doc, std::max(content, resume_), failed_at, error);
  }

  error_code read_whole(std::string_view doc, size_t& failed_at) {
    od::document document;
    error_code error = parser_.iterate(doc.data(), doc.size(), doc.size() + simdjson::SIMDJSON_PADDING).get(document);
    if (error) return error;  // found before iterating (unclosed string, bad UTF-8): no position
    document_ = &document;
    error = read_top(document);
    document_ = nullptr;
    const char* at = nullptr;
    if (error && !document.current_location().get(at) && at >= doc.data() && at <= doc.data() + doc.size())
      failed_at = static_cast<size_t>(at - doc.data());
    return error;
  }

  error_code read_top(od::document& document) {
    od::json_type type;
    SIMDJSON_TRY(document.type().get(type));
    if (type == od::json_type::array) {
      od::array array;
      SIMDJSON_TRY(document.get_array().get(array));
      for (auto element : array) {
        od::value value;
        SIMDJSON_TRY(std::move(element).get(value));
        SIMDJSON_TRY(read_top_value(value));
      }
      return SUCCESS;
    }
    if (type != od::json_type::object) {
      report(0, "not a CloudTrail record (a JSON scalar)");
      ++counts_.not_cloudtrail;
      return SUCCESS;
    }
    od::object object;
    SIMDJSON_TRY(document.get_object().get(object));
    return read_top_object(object, doc_text_.data());
  }

  error_code read_top_value(od::value value) {
    std::string_view token = value.raw_json_token();
    od::object object;
    if (error_code e = value.get_object().get(object)) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      report(static_cast<size_t>(token.data() - doc_text_.data()), "not a CloudTrail record (not an object)");
      ++counts_.not_cloudtrail;
      return SUCCESS;
    }
    return read_top_object(object, token.data());
  }

  // A top-level object: a log file ({"Records": [...]}), an EventBridge envelope, or a record.
  error_code read_top_object(od::object object, const char* start) {
    Event event;
    Envelope envelope;
    SIMDJSON_TRY(read_object(object, event, &envelope));
    if (envelope.container) return SUCCESS;
    if (envelope.has_detail && envelope.detail_type.ends_with("via CloudTrail")) {
      deliver(envelope.detail);
    } else if (envelope.record_keys && envelope.detail_type.empty()) {
      event.raw = span_from(start);
      deliver(event);
    } else {
      report(static_cast<size_t>(start - doc_text_.data()), "not a CloudTrail record");
      ++counts_.not_cloudtrail;
      resume_ = static_cast<size_t>(span_from(start).end() - doc_text_.data());
    }
    return SUCCESS;
  }

  error_code read_object(od::object object, Event& event, Envelope* envelope) {
    for (auto member : object) {
      od::field field;
      SIMDJSON_TRY(std::move(member).get(field));
      Key key = record_key(field);
      std::string_view* target = nullptr;
      switch (key) {
        case Key::kOther: continue;
        case Key::kEventTime: target = &event.event_time; break;
        case Key::kEventSource: target = &event.event_source; break;
        case Key::kEventName: target = &event.event_name; break;
        case Key::kAwsRegion: target = &event.aws_region; break;
        case Key::kSourceIp: target = &event.source_ip; break;
        case Key::kUserAgent: target = &event.user_agent; break;
        case Key::kErrorCode: target = &event.error_code; break;
        case Key::kErrorMessage: target = &event.error_message; break;
        case Key::kEventId: target = &event.event_id; break;
        case Key::kEventType: target = &event.event_type; break;
        case Key::kRecipientAccountId: target = &event.recipient_account_id; break;
        case Key::kReadOnly: SIMDJSON_TRY(read_read_only(field.value(), event.read_only)); break;
        case Key::kUserIdentity: {
          od::object identity;
          if (!field.value().get_object().get(identity)) SIMDJSON_TRY(read_identity(identity, event.identity, false));
          break;
        }
        // Skipped unless wanted: finding where a large member ends costs more than skipping it.
        case Key::kRequestParameters:
          if (nested_) SIMDJSON_TRY(read_nested_raw(field.value(), event.request_parameters));
          break;
        case Key::kResponseElements:
          if (nested_) SIMDJSON_TRY(read_nested_raw(field.value(), event.response_elements));
          break;
        case Key::kResources:
          if (nested_) SIMDJSON_TRY(read_nested_raw(field.value(), event.resources));
          break;
        case Key::kRecords:
        case Key::kDetail:
        case Key::kDetailType:
          if (envelope && envelope->top) SIMDJSON_TRY(read_envelope_member(key, field.value(), *envelope));
          continue;
        default: break;
      }
      if (envelope && (key == Key::kEventVersion || key == Key::kEventTime || key == Key::kEventSource ||
                       key == Key::kEventName || key == Key::kUserIdentity))
        envelope->record_keys = true;
      if (target) SIMDJSON_TRY(read_text(field.value(), *target));
    }
    event.time = event.event_time.empty() ? kNoTime : parse_event_time(event.event_time);
    return SUCCESS;
  }

  error_code read_envelope_member(Key key, od::value value, Envelope& envelope) {
    if (key == Key::kDetailType) return read_text(value, envelope.detail_type);
    std::string_view token = value.raw_json_token();
    if (key == Key::kDetail) {
      od::object object;
      if (value.get_object().get(object)) return SUCCESS;
      SIMDJSON_TRY(read_object(object, envelope.detail, nullptr));
      envelope.detail.raw = span_from(token.data());
      envelope.has_detail = true;
      return SUCCESS;
    }
    od::array records;
    if (value.get_array().get(records)) return SUCCESS;
    envelope.container = true;
    for (auto element : records) {
      od::value record;
      SIMDJSON_TRY(std::move(element).get(record));
      SIMDJSON_TRY(read_record(record));
    }
    return SUCCESS;
  }

  // An element of a Records array.
  error_code read_record(od::value value) {
    std::string_view token = value.raw_json_token();
    od::object object;
    if (error_code e = value.get_object().get(object)) {
      if (e != simdjson::INCORRECT_TYPE) return e;
      report(static_cast<size_t>(token.data() - doc_text_.data()), "malformed record (not an object)");
      ++counts_.malformed;
      return SUCCESS;
    }
    return read_record_object(object, token.data());
  }

  error_code read_record_object(od::object object, const char* start) {
    Event event;
    Envelope keys;
    keys.top = false;
    SIMDJSON_TRY(read_object(object, event, &keys));
    event.raw = span_from(start);
    if (keys.record_keys) {
      deliver(event);
    } else {
      // Other services use the Records form too (SNS, S3 notifications).
      report(static_cast<size_t>(start - doc_text_.data()), "not a CloudTrail record");
      ++counts_.not_cloudtrail;
      resume_ = static_cast<size_t>(event.raw.end() - doc_text_.data());
    }
    return SUCCESS;
  }

  // The text of the value that starts at `start` and was just read to its end.
  std::string_view span_from(const char* start) const {
    const char* end = doc_text_.data() + doc_text_.size();
    const char* at = nullptr;
    if (document_ && !document_->current_location().get(at) && at > start && at <= end) end = at;
    while (end > start && end[-1] != '}' && end[-1] != ']') --end;
    return {start, static_cast<size_t>(end - start)};
  }

  void deliver(const Event& event) {
    ++counts_.records;
    handler_.on_event(event);
    resume_ = static_cast<size_t>(event.raw.data() + event.raw.size() - doc_text_.data());
  }

  // Where the records of a container start: after the top-level '[' or after "Records": [.
  static size_t container_content(std::string_view doc) {
    if (doc.empty()) return std::string_view::npos;
    if (doc[0] == '[') return 1;
    size_t key = doc.find("\"Records\"");
    if (key == std::string_view::npos) return key;
    size_t at = skip_space(doc, key + 9);
    if (at >= doc.size() || doc[at] != ':') return std::string_view::npos;
    at = skip_space(doc, at + 1);
    return at < doc.size() && doc[at] == '[' ? at + 1 : std::string_view::npos;
  }

  // Where the records of a container end: at its closing bracket when the document has one
  // (a truncated document has none).
  static size_t container_end(std::string_view doc) {
    std::string_view rest = trim_end(doc);
    if (rest.starts_with('{') && rest.ends_with('}')) rest = trim_end(rest.substr(0, rest.size() - 1));
    return rest.ends_with(']') ? rest.size() - 1 : doc.size();
  }

  // Reads records one at a time from `from` on. A record starts at a '{' followed by the key
  // the container's first record starts with (writers put keys in a fixed order), which finds
  // the next record even after one whose brackets do not balance.
  void read_one_by_one(std::string_view doc, size_t from, size_t failed_at = 0,
                       error_code error = SUCCESS) {
    size_t content = container_content(doc);
    std::string_view first_key = first_record_key(doc, content);
    bool top_array = doc[0] == '[';
    size_t end = container_end(doc);
    size_t start = first_key.empty() ? std::string_view::npos : next_record_start(doc, from, first_key);
    if (start == std::string_view::npos && error != SUCCESS && resume_ == 0) {
      report(failed_at, fmt::format("malformed JSON ({})", simdjson::error_message(error)));
      ++counts_.malformed;
      return;
    }
    while (start != std::string_view::npos) {
      size_t next = next_record_start(doc, start + 1, first_key);
      read_records_in(doc.substr(start, (next == std::string_view::npos ? end : next) - start), top_array);
      start = next;
    }
  }

  // Parses only the records that contain one of the required literals. Around each hit, the
  // span from the record start before it to the record start after it is split into records
  // by their brackets. False when record starts cannot be told apart (no first key): the
  // caller then reads the whole document.
  bool read_around_literals(std::string_view doc, size_t content) {
    std::string_view first_key = first_record_key(doc, content);
    if (first_key.empty()) return false;
    bool top_array = doc[0] == '[';
    size_t end = container_end(doc);
    size_t from = content;
    while (true) {
      size_t hit = find_literal(doc, from);
      if (hit == std::string_view::npos) return true;
      size_t start = previous_record_start(doc, from, hit, first_key);
      size_t next = next_record_start(doc, hit, first_key);
      read_records_with_literal(doc.substr(start, (next == std::string_view::npos ? end : next) - start), top_array);
      if (next == std::string_view::npos) return true;
      from = next;
    }
  }

  // Where the first required literal at or after `from` starts.
  size_t find_literal(std::string_view doc, size_t from) const {
    size_t first = std::string_view::npos;
    for (const std::string& literal : literals_) {
      const void* at = memmem(doc.data() + from, doc.size() - from, literal.data(), literal.size());
      if (at) first = std::min(first, static_cast<size_t>(static_cast<const char*>(at) - doc.data()));
    }
    return first;
  }

  // The last record start in [floor, before], or `floor` when there is none.
  static size_t previous_record_start(std::string_view doc, size_t floor, size_t before, std::string_view key) {
    // Backwards from brace to brace: a record holds few, where searching back for the key
    // would compare at every byte.
    size_t end = before + 1;
    while (end > floor) {
      const void* found = memrchr(doc.data() + floor, '{', end - floor);
      if (!found) break;
      size_t brace = static_cast<size_t>(static_cast<const char*>(found) - doc.data());
      size_t quote = skip_space(doc, brace + 1);
      if (doc.substr(quote).starts_with(key)) {
        size_t colon = skip_space(doc, quote + key.size());
        if (colon < doc.size() && doc[colon] == ':') return brace;
      }
      end = brace;
    }
    return floor;
  }

  // Reads the records of `span` that contain a required literal. Records whose keys start
  // differently from the first record's share a span with it: splitting by brackets keeps
  // those that cannot match from being parsed. What does not split cleanly (a broken
  // record) is left to the parser to report.
  void read_records_with_literal(std::string_view span, bool top_array) {
    size_t at = skip_space(span, 0);
    while (at < span.size()) {
      size_t end = span[at] == '{' ? object_end(span, at) : std::string_view::npos;
      if (end == std::string_view::npos) return read_records_in(span.substr(at), top_array);
      std::string_view record = span.substr(at, end - at);
      if (find_literal(record, 0) != std::string_view::npos) read_candidate(record, top_array);
      at = skip_space(span, end);
      if (at == span.size()) return;
      if (span[at] != ',') return read_records_in(span.substr(at), top_array);
      at = skip_space(span, at + 1);
    }
  }

  // Just past the object that starts at `at`, or npos when it does not close within `text`.
  static size_t object_end(std::string_view text, size_t at) {
    size_t depth = 0;
    for (size_t i = at; i < text.size(); ++i) {
      switch (text[i]) {
        case '"':
          for (++i; i < text.size() && text[i] != '"'; ++i)
            if (text[i] == '\\') ++i;
          break;
        case '{': case '[': ++depth; break;
        case '}': case ']':
          if (--depth == 0) return i + 1;
          break;
        default: break;
      }
    }
    return std::string_view::npos;
  }

  // Reads the records in `span`: one, or several when some did not start with the first key.
  void read_records_in(std::string_view span, bool top_array) {
    while (true) {
      while (!span.empty() && (is_space(span.back()) || span.back() == ',')) span.remove_suffix(1);
      if (span.empty()) return;
      span.remove_prefix(read_candidate(span, top_array));
      span.remove_prefix(skip_space(span, 0));
      if (span.empty() || span[0] != ',') return;
      span.remove_prefix(1);
      span.remove_prefix(skip_space(span, 0));
    }
  }

  // Reads the record that starts `candidate`; returns how much of it was read (all of it when
  // it was broken).
  size_t read_candidate(std::string_view candidate, bool top_array) {
    od::document document;
    std::string_view saved = doc_text_;
    size_t base = static_cast<size_t>(candidate.data() - saved.data());
    error_code error = parser_.iterate(candidate.data(), candidate.size(),
                                       candidate.size() + simdjson::SIMDJSON_PADDING).get(document);
    if (!error) {
      document_ = &document;
      doc_text_ = candidate;
      od::object object;
      error = document.get_object().get(object);
      if (!error) {
        error = top_array ? read_top_object(object, candidate.data())
                          : read_record_object(object, candidate.data());
      }
      document_ = nullptr;
      doc_text_ = saved;
    }
    if (error) {
      report(base, fmt::format("malformed record skipped ({})", simdjson::error_message(error)));
      ++counts_.malformed;
      return candidate.size();
    }
    // Anything after the record is where iteration stopped; at the end there is no location.
    const char* after = nullptr;
    if (document.current_location().get(after) || after < candidate.data()) return candidate.size();
    return std::min(static_cast<size_t>(after - candidate.data()), candidate.size());
  }

  static std::string_view first_record_key(std::string_view doc, size_t content) {
    size_t brace = doc.find('{', content);
    if (brace == std::string_view::npos) return {};
    size_t quote = skip_space(doc, brace + 1);
    if (quote >= doc.size() || doc[quote] != '"') return {};
    size_t close = doc.find('"', quote + 1);
    return close == std::string_view::npos ? std::string_view() : doc.substr(quote, close - quote + 1);
  }

  static size_t next_record_start(std::string_view doc, size_t from, std::string_view key) {
    while (true) {
      size_t at = doc.find(key, from);
      if (at == std::string_view::npos) return at;
      size_t brace = at;
      while (brace > 0 && is_space(doc[brace - 1])) --brace;
      size_t colon = skip_space(doc, at + key.size());
      if (brace > 0 && doc[brace - 1] == '{' && colon < doc.size() && doc[colon] == ':' && brace - 1 >= from)
        return brace - 1;
      from = at + 1;
    }
  }

  void report(size_t offset_in_doc, std::string_view message) {
    size_t offset = std::min(doc_begin_ + offset_in_doc, text_.size());
    // Line and column are counted only here, on the error path.
    uint64_t line = 1 + std::count(text_.begin(), text_.begin() + offset, '\n');
    size_t line_start = text_.rfind('\n', offset == 0 ? 0 : offset - 1);
    uint64_t column = offset - (line_start == std::string_view::npos || offset == 0 ? 0 : line_start + 1) + 1;
    diagnostics_.malformed(name_, line, column, message);
  }

  od::parser& parser_;
  size_t max_whole_;
  bool nested_;
  const std::vector<std::string>& literals_;
  std::string_view name_;
  std::string_view text_;
  EventHandler& handler_;
  Diagnostics& diagnostics_;
  ReadCounts counts_;
  size_t doc_begin_ = 0;        // where the current document starts in text_
  std::string_view doc_text_;   // the document (or record candidate) being iterated
  od::document* document_ = nullptr;
  size_t resume_ = 0;           // offset in the document just after the last record delivered
};

RecordReader::RecordReader(ReaderOptions options) : options_(options) {}

ReadCounts RecordReader::read(std::string_view name, std::string_view text, EventHandler& handler,
                              Diagnostics& diagnostics) {
  return Pass(parser_, options_, name, text, handler, diagnostics).run();
}

}  // namespace firebreak::cloudtrail
