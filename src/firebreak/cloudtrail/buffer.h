#pragma once
// A growable byte buffer with simdjson's padding after the data, so parsers may read past the
// end. Growth does not zero memory: pages nobody writes are never made resident.
#include <cstddef>
#include <memory>
#include <string_view>

namespace firebreak::cloudtrail {

class Buffer {
 public:
  char* data() { return data_.get(); }
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }
  // Makes room for n bytes (keeping the first `keep` bytes) plus padding.
  void reserve(size_t n, size_t keep = 0);
  // Sets the size (<= capacity) and zeroes the padding after it.
  void resize(size_t n);
  // Frees the storage when it grew past `limit`, so one huge file does not pin its memory.
  void shrink_if_above(size_t limit);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace firebreak::cloudtrail
