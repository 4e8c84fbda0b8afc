#pragma once
// Paths to the real finding samples in ../shared/data (used in place, never copied) and to
// the hand-written fixtures in tests/data/findings.
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::findings::testing {

inline std::string shared_data(const std::string& relative) { return std::string(FIREBREAK_SHARED_DATA) + "/" + relative; }
inline std::string fixture(const std::string& name) { return std::string(FIREBREAK_TEST_DATA) + "/findings/" + name; }

inline std::string read_text(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::stringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

inline Json read_json(const std::string& path) { return Json::parse(read_text(path)); }

// Panther's GuardDuty rules carry test findings as YAML flow mappings after "Log:": JSON but
// for trailing commas. Each one is cut out and its trailing commas dropped.
inline std::vector<Json> panther_logs(const std::string& path) {
  const std::string text = read_text(path);
  std::vector<Json> logs;
  for (size_t at = text.find("Log:"); at != std::string::npos; at = text.find("Log:", at)) {
    size_t start = text.find('{', at);
    std::string json;
    int depth = 0;
    bool in_string = false, escaped = false;
    size_t i = start;
    for (; i < text.size(); ++i) {
      char c = text[i];
      if (in_string) {
        if (escaped) {
          escaped = false;
        } else if (c == '\\') {
          escaped = true;
        } else if (c == '"') {
          in_string = false;
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        // A trailing comma before a closing bracket is YAML, not JSON.
        auto last = json.find_last_not_of(" \t\r\n");
        if (last != std::string::npos && json[last] == ',') json.erase(last, 1);
        --depth;
      }
      json += c;
      if (depth == 0) break;
    }
    logs.push_back(Json::parse(json));
    at = i;
  }
  return logs;
}

inline std::vector<std::string> panther_rule_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(shared_data("panther-analysis/aws_guardduty_rules"))) {
    if (entry.path().extension() == ".yml") files.push_back(entry.path().string());
  }
  return files;
}

}  // namespace firebreak::findings::testing
