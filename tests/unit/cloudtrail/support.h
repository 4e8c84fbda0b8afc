#pragma once
// Helpers for the cloudtrail tests: read text or files into owned copies of what the reader saw.
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "firebreak/cloudtrail/buffer.h"
#include "firebreak/cloudtrail/decode.h"
#include "firebreak/cloudtrail/reader.h"

namespace firebreak::cloudtrail::testing {

inline const std::string kSharedData = FIREBREAK_SHARED_DATA;
inline const std::string kTestData = FIREBREAK_TEST_DATA;

struct Problem {
  std::string name;
  uint64_t line, column;
  std::string message;
};

class Collected : public EventHandler, public Diagnostics {
 public:
  std::vector<std::string> raw, names, principals, access_keys;
  std::vector<Problem> problems;
  std::function<void(const Event&)> also;

  void on_event(const Event& e) override {
    raw.emplace_back(e.raw);
    names.emplace_back(e.event_name);
    principals.emplace_back(principal_of(e));
    access_keys.emplace_back(e.identity.access_key_id);
    if (also) also(e);
  }
  void malformed(std::string_view name, uint64_t line, uint64_t column, std::string_view message) override {
    problems.push_back({std::string(name), line, column, std::string(message)});
  }
};

inline Buffer buffer_of(std::string_view text) {
  Buffer b;
  b.reserve(text.size());
  std::copy(text.begin(), text.end(), b.data());
  b.resize(text.size());
  return b;
}

inline std::string file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Reads text (gunzipped first when it is gzip) the way the hunt does.
inline ReadCounts read_text(std::string_view text, Collected& out, ReaderOptions options = {},
                            std::string_view name = "test.json") {
  Buffer raw = buffer_of(text);
  Buffer plain;
  if (is_gzip(raw.view())) {
    Decompressor d;
    std::string error = d.gunzip(raw.view(), plain);
    if (!error.empty()) throw std::runtime_error(error);
  } else {
    plain = std::move(raw);
  }
  RecordReader reader(options);
  return reader.read(name, plain.view(), out, out);
}

}  // namespace firebreak::cloudtrail::testing
