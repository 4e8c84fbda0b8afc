#include "firebreak/cloudtrail/buffer.h"

#include <cstring>

#include <simdjson.h>

namespace firebreak::cloudtrail {

void Buffer::reserve(size_t n, size_t keep) {
  if (data_ && n <= capacity_) return;
  size_t grown = std::max(n, capacity_ + capacity_ / 2);
  std::unique_ptr<char[]> bigger(new char[grown + simdjson::SIMDJSON_PADDING]);
  if (keep) std::memcpy(bigger.get(), data_.get(), std::min(keep, capacity_));
  data_ = std::move(bigger);
  capacity_ = grown;
}

void Buffer::resize(size_t n) {
  reserve(n, size_);
  size_ = n;
  std::memset(data_.get() + n, 0, simdjson::SIMDJSON_PADDING);
}

void Buffer::shrink_if_above(size_t limit) {
  if (capacity_ <= limit) return;
  data_.reset();
  size_ = capacity_ = 0;
}

}  // namespace firebreak::cloudtrail
