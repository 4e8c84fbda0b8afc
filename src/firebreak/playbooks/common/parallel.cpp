#include "firebreak/playbooks/common/parallel.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace firebreak::playbooks {

void for_each_parallel(size_t count, const std::function<void(size_t)>& fn, size_t threads) {
  std::atomic<size_t> next{0};
  std::exception_ptr first_error;
  std::mutex mutex;
  auto work = [&] {
    for (size_t i = next++; i < count; i = next++) {
      try {
        fn(i);
      } catch (...) {
        std::lock_guard lock(mutex);
        if (!first_error) first_error = std::current_exception();
      }
    }
  };
  std::vector<std::jthread> pool;
  for (size_t t = 1; t < std::min(threads, count); ++t) pool.emplace_back(work);
  work();
  pool.clear();
  if (first_error) std::rethrow_exception(first_error);
}

}  // namespace firebreak::playbooks
