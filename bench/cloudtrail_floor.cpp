// The floor for `firebreak hunt`: read and gunzip every .gz file under a directory with
// libdeflate on every core, and nothing else. No hunt can be faster than this on the same
// files; bench/cloudtrail_hunt.py prints the hunt's time as a ratio of it.
//
// With --walk it also steps over every record of each file's Records array with simdjson's
// on-demand API, reading no field: the least any answer that looks at every record (the
// summary) costs when it parses with that API, the one the hunt uses.
//
//   bench_cloudtrail_floor DIR [THREADS] [--walk]
#include <fcntl.h>
#include <libdeflate.h>
#include <simdjson.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Totals {
  std::atomic<uint64_t> compressed{0}, decompressed{0}, records{0}, failed{0};
};

// The number of elements of the document's Records array, stepping over each unread.
bool walk_records(simdjson::ondemand::parser& parser, const char* text, size_t size, size_t capacity,
                  uint64_t& records) {
  simdjson::ondemand::document document;
  simdjson::ondemand::array array;
  if (parser.iterate(text, size, capacity).get(document) || document["Records"].get_array().get(array)) return false;
  for (auto element : array) {
    if (element.error()) return false;
    ++records;
  }
  return true;
}

bool read_file(const std::string& path, std::vector<char>& out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t size = 0;
  while (true) {
    if (size == out.size()) out.resize(std::max<size_t>(out.size() * 2, 1 << 20));
    ssize_t n = ::read(fd, out.data() + size, out.size() - size);
    if (n <= 0) break;
    size += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(size);
  return true;
}

void worker(const std::vector<std::string>& files, bool walk, std::atomic<size_t>& next, Totals& totals) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
  simdjson::ondemand::parser parser;
  std::vector<char> in, out;
  while (true) {
    size_t i = next.fetch_add(1);
    if (i >= files.size()) break;
    in.resize(in.capacity());
    if (!read_file(files[i], in) || in.size() < 18) {
      ++totals.failed;
      continue;
    }
    uint32_t isize;
    std::memcpy(&isize, in.data() + in.size() - 4, 4);
    if (out.size() < isize + simdjson::SIMDJSON_PADDING) out.resize(isize + simdjson::SIMDJSON_PADDING);
    size_t produced = 0;
    if (libdeflate_gzip_decompress(d, in.data(), in.size(), out.data(), out.size() - simdjson::SIMDJSON_PADDING, &produced) != LIBDEFLATE_SUCCESS) {
      ++totals.failed;
      continue;
    }
    uint64_t records = 0;
    if (walk && !walk_records(parser, out.data(), produced, out.size(), records)) {
      ++totals.failed;
      continue;
    }
    totals.records += records;
    totals.compressed += in.size();
    totals.decompressed += produced;
  }
  libdeflate_free_decompressor(d);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  const bool walk = std::erase(args, "--walk") > 0;
  if (args.empty()) {
    std::fprintf(stderr, "usage: %s DIR [THREADS] [--walk]\n", argv[0]);
    return 2;
  }
  unsigned threads = args.size() > 1 ? static_cast<unsigned>(std::stoul(args[1])) : std::thread::hardware_concurrency();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(args[0]))
    if (entry.is_regular_file() && entry.path().extension() == ".gz") files.push_back(entry.path().string());
  std::atomic<size_t> next{0};
  Totals totals;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t)
    pool.emplace_back([&] { worker(files, walk, next, totals); });
  for (auto& t : pool) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("files %zu compressed_bytes %llu decompressed_bytes %llu records %llu failed %llu seconds %.3f\n",
              files.size(), static_cast<unsigned long long>(totals.compressed.load()),
              static_cast<unsigned long long>(totals.decompressed.load()),
              static_cast<unsigned long long>(totals.records.load()),
              static_cast<unsigned long long>(totals.failed.load()), seconds);
  return totals.failed ? 1 : 0;
}
