#pragma once
// The record reader: turns the text of one CloudTrail file into Events. It knows every shape
// CloudTrail records arrive in: S3 log files ({"Records":[...]}, one line or pretty-printed), a
// top-level array of records, JSON lines, single records, and EventBridge "... via CloudTrail"
// envelopes. Malformed records are reported with their position and skipped; reading goes on.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "firebreak/cloudtrail/buffer.h"
#include "firebreak/cloudtrail/event.h"

namespace firebreak::cloudtrail {

class EventHandler {
 public:
  virtual ~EventHandler() = default;
  virtual void on_event(const Event& event) = 0;
};

// Told about each record or document that could not be used. Called from the reading thread.
class Diagnostics {
 public:
  virtual ~Diagnostics() = default;
  // `line` and `column` are 1-based, in the (decompressed) text.
  virtual void malformed(std::string_view name, uint64_t line, uint64_t column,
                         std::string_view message) = 0;
};

struct ReadCounts {
  uint64_t records = 0;        // delivered to the handler
  uint64_t malformed = 0;      // records (or whole documents) skipped as broken
  uint64_t not_cloudtrail = 0; // well-formed JSON documents that are not CloudTrail records
};

struct ReaderOptions {
  // Documents larger than this are not parsed whole: their records are found and parsed one
  // at a time, which bounds the parser's memory whatever the file size.
  static constexpr size_t kMaxWholeDocument = 16u << 20;
  size_t max_whole_document = kMaxWholeDocument;
  // Fill Event::request_parameters, response_elements and resources.
  bool nested_members = true;
  // Text every wanted record contains (any one of these), never escaped in JSON. When given,
  // only the records of a Records array that contain one are parsed: finding text costs far
  // less than parsing it, and the other records cannot be wanted.
  std::vector<std::string> required_literals;
};

class RecordReader {
 public:
  explicit RecordReader(ReaderOptions options = {});

  // `text` must be followed by simdjson::SIMDJSON_PADDING readable bytes (Buffer does this).
  ReadCounts read(std::string_view name, std::string_view text, EventHandler& handler,
                  Diagnostics& diagnostics);

 private:
  class Pass;
  simdjson::ondemand::parser parser_;
  ReaderOptions options_;
};

}  // namespace firebreak::cloudtrail
