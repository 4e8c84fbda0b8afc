#pragma once
// Calls that do not depend on one another go out together: AWS answers each in tens of
// milliseconds, so a playbook's reads and changes for many users, regions, instances or
// volumes cost about the round trips of one.
#include <cstddef>
#include <functional>

namespace firebreak::playbooks {

inline constexpr size_t kReadThreads = 16;

// Calls fn(i) for i in [0, count) on up to `threads` threads. Every call runs even if one
// throws; the first exception is rethrown once all have finished.
void for_each_parallel(size_t count, const std::function<void(size_t)>& fn, size_t threads = kReadThreads);

}  // namespace firebreak::playbooks
