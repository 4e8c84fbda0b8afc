#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/source.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

namespace fs = std::filesystem;

bool looks_like_cloudtrail_file(const fs::path& path) {
  std::string name = path.filename().string();
  if (name.empty() || name[0] == '.') return false;
  for (std::string_view suffix : {".json", ".json.gz", ".jsonl", ".jsonl.gz", ".ndjson", ".gz"})
    if (name.ends_with(suffix)) return true;
  return false;
}

class FileSource final : public Source {
 public:
  explicit FileSource(std::string path) : path_(std::move(path)) {}

  std::vector<SourceObject> list(const Scope& scope) override {
    std::error_code ec;
    fs::file_status status = fs::status(path_, ec);
    if (ec || !fs::exists(status)) throw InputError(fmt::format("{}: no such file or directory", path_));
    std::vector<SourceObject> objects;
    if (!fs::is_directory(status)) {
      objects.push_back({path_, static_cast<uint64_t>(fs::file_size(path_, ec))});
      return objects;
    }
    fs::recursive_directory_iterator it(path_, fs::directory_options::skip_permission_denied, ec);
    if (ec) throw InputError(fmt::format("{}: {}", path_, ec.message()));
    for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const fs::directory_entry& entry = *it;
      std::string path = entry.path().string();
      if (entry.is_directory(ec)) {
        std::string name = entry.path().filename().string();
        // Digest files prove integrity; they hold no events.
        if (name == "CloudTrail-Digest" || name.starts_with(".") || !in_scope(path + "/", scope))
          it.disable_recursion_pending();
        continue;
      }
      if (!entry.is_regular_file(ec) || !looks_like_cloudtrail_file(entry.path())) continue;
      if (!in_scope(path, scope)) continue;
      objects.push_back({std::move(path), static_cast<uint64_t>(entry.file_size(ec))});
    }
    std::sort(objects.begin(), objects.end(),
              [](const SourceObject& a, const SourceObject& b) { return a.name < b.name; });
    return objects;
  }

  void fetch(const SourceObject& object, Buffer& out) override {
    int fd = ::open(object.name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(fmt::format("{}: {}", object.name, std::strerror(errno)));
    size_t size = 0;
    out.reserve(std::max<size_t>(object.size, 4096));
    while (true) {
      if (size == out.capacity()) out.reserve(out.capacity() * 2, size);
      ssize_t n = ::read(fd, out.data() + size, out.capacity() - size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        int error = errno;
        ::close(fd);
        throw Error(fmt::format("{}: {}", object.name, std::strerror(error)));
      }
      if (n == 0) break;
      size += static_cast<size_t>(n);
    }
    ::close(fd);
    out.resize(size);
  }

 private:
  std::string path_;
};

// Parses an all-digit component of exactly `width` characters.
std::optional<int> number(std::string_view text, size_t width) {
  if (text.size() != width || text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  return std::stoi(std::string(text));
}

}  // namespace

std::unique_ptr<Source> make_file_source(std::string path) {
  return std::make_unique<FileSource>(std::move(path));
}

bool in_scope(std::string_view path, const Scope& scope) {
  // Split into components; a trailing one without '/' after it is a file name, not a folder.
  std::vector<std::string_view> parts;
  size_t at = 0;
  while (at < path.size()) {
    size_t slash = path.find('/', at);
    if (slash == std::string_view::npos) break;
    if (slash > at) parts.push_back(path.substr(at, slash - at));
    at = slash + 1;
  }
  auto trail = std::find(parts.rbegin(), parts.rend(), std::string_view("CloudTrail"));
  if (trail == parts.rend()) return true;
  size_t i = parts.size() - (trail - parts.rbegin());  // index just after "CloudTrail"
  if (i < parts.size() && !scope.regions.empty() &&
      std::find(scope.regions.begin(), scope.regions.end(), parts[i]) == scope.regions.end())
    return false;
  if (!scope.since && !scope.until) return true;
  std::optional<int> year = i + 1 < parts.size() ? number(parts[i + 1], 4) : std::nullopt;
  if (!year) return true;
  std::optional<int> month = i + 2 < parts.size() ? number(parts[i + 2], 2) : std::nullopt;
  std::optional<int> day = month && i + 3 < parts.size() ? number(parts[i + 3], 2) : std::nullopt;
  // The folder covers [first, end): a year, a month or a day.
  int64_t first = parse_event_time(fmt::format("{:04}-{:02}-{:02}T00:00:00Z", *year, month.value_or(1), day.value_or(1)));
  int64_t end;
  if (day) {
    end = first + 86400;
  } else if (month) {
    int next_year = *month == 12 ? *year + 1 : *year;
    int next_month = *month == 12 ? 1 : *month + 1;
    end = parse_event_time(fmt::format("{:04}-{:02}-01T00:00:00Z", next_year, next_month));
  } else {
    end = parse_event_time(fmt::format("{:04}-01-01T00:00:00Z", *year + 1));
  }
  if (first == kNoTime || end == kNoTime) return true;  // not a real date: not CloudTrail's layout
  constexpr int64_t kMargin = 86400;
  if (scope.since && end + kMargin <= *scope.since) return false;
  if (scope.until && first - kMargin >= *scope.until) return false;
  return true;
}

}  // namespace firebreak::cloudtrail
