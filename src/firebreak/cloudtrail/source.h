#pragma once
// Where CloudTrail records come from. A Source lists its objects (pruned to the hunt's scope)
// and fetches one object's bytes; the hunt decompresses and reads them. Local files and
// directories, S3 prefixes and CloudTrail's LookupEvents are sources.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/cloudtrail/buffer.h"

namespace firebreak::cloudtrail {

// What the hunt asks about, as far as a source can use it to skip objects.
struct Scope {
  std::optional<int64_t> since, until;  // seconds since the epoch; until is exclusive
  std::vector<std::string> regions;
};

struct SourceObject {
  std::string name;  // a path, or s3://bucket/key
  uint64_t size = 0;
};

class Source {
 public:
  virtual ~Source() = default;
  // The objects to read, in a stable order. Throws InputError when the source does not exist.
  virtual std::vector<SourceObject> list(const Scope& scope) = 0;
  // Reads the object's bytes into `out`. Throws Error when it cannot be read.
  virtual void fetch(const SourceObject& object, Buffer& out) = 0;
  // How many of its objects are worth downloading at once, ahead of the workers that read
  // them: 0 when fetching costs no waiting (files), many when each fetch waits on a network.
  virtual unsigned concurrent_fetches() const { return 0; }
};

// A file (read whatever its name) or a directory (CloudTrail-like files under it).
std::unique_ptr<Source> make_file_source(std::string path);

// False when a path in CloudTrail's layout (.../CloudTrail/REGION/YYYY/MM/DD/...) lies outside
// the scope. A day of margin on each side: records land in the file delivered after them.
bool in_scope(std::string_view path, const Scope& scope);

}  // namespace firebreak::cloudtrail
