// The floor for `firebreak hunt`: read and gunzip every .gz file under a directory with
// libdeflate on every core, and nothing else. No hunt can be faster than this on the same
// files; bench/cloudtrail_hunt.py prints the hunt's time as a ratio of it.
//
//   bench_cloudtrail_floor DIR [THREADS]
#include <fcntl.h>
#include <libdeflate.h>
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
  std::atomic<uint64_t> compressed{0}, decompressed{0}, failed{0};
};

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

void worker(const std::vector<std::string>& files, std::atomic<size_t>& next, Totals& totals) {
  libdeflate_decompressor* d = libdeflate_alloc_decompressor();
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
    if (out.size() < isize) out.resize(isize);
    size_t produced = 0;
    if (libdeflate_gzip_decompress(d, in.data(), in.size(), out.data(), out.size(), &produced) !=
        LIBDEFLATE_SUCCESS) {
      ++totals.failed;
      continue;
    }
    totals.compressed += in.size();
    totals.decompressed += produced;
  }
  libdeflate_free_decompressor(d);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s DIR [THREADS]\n", argv[0]);
    return 2;
  }
  unsigned threads = argc > 2 ? static_cast<unsigned>(std::stoul(argv[2])) : std::thread::hardware_concurrency();
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(argv[1]))
    if (entry.is_regular_file() && entry.path().extension() == ".gz") files.push_back(entry.path().string());
  std::atomic<size_t> next{0};
  Totals totals;
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, threads); ++t)
    pool.emplace_back([&] { worker(files, next, totals); });
  for (auto& t : pool) t.join();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("files %zu compressed_bytes %llu decompressed_bytes %llu failed %llu seconds %.3f\n",
              files.size(), static_cast<unsigned long long>(totals.compressed.load()),
              static_cast<unsigned long long>(totals.decompressed.load()),
              static_cast<unsigned long long>(totals.failed.load()), seconds);
  return totals.failed ? 1 : 0;
}
