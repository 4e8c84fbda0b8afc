#pragma once
// A hash table from strings to values for the aggregating answers (summary, resources): open
// addressing with a cheap 8-bytes-at-a-time hash, keys kept in one arena. Finding a key seen
// before allocates nothing and touches one cache line in the common case, which matters when
// every record of a trail is counted several times.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace firebreak::cloudtrail {

inline uint64_t hash_text(std::string_view text) {
  constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
  uint64_t h = kMul ^ text.size();
  const char* p = text.data();
  size_t n = text.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  if (n) {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    h = (h ^ w) * kMul;
    h ^= h >> 32;
  }
  return h * kMul ^ (h >> 29);
}

template <typename Value>
class StringTable {
 public:
  // The value for `key`, default-constructed when new.
  Value& operator[](std::string_view key) {
    // Records come in runs (one principal's calls from one address): try the last key first.
    if (last_ < slots_.size()) {
      Slot& s = slots_[last_];
      if (s.length == key.size() && std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
        return s.value;
    }
    if ((size_ + 1) * 2 > slots_.size()) grow();
    uint64_t h = hash_text(key);
    size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      Slot& s = slots_[i];
      last_ = i;
      if (!s.used) {
        s.used = true;
        s.hash = h;
        s.offset = static_cast<uint32_t>(arena_.size());
        s.length = static_cast<uint32_t>(key.size());
        arena_.append(key);
        ++size_;
        return s.value;
      }
      if (s.hash == h && s.length == key.size() &&
          std::memcmp(arena_.data() + s.offset, key.data(), key.size()) == 0)
        return s.value;
    }
  }

  size_t size() const { return size_; }

  template <typename F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.used) f(std::string_view(arena_.data() + s.offset, s.length), s.value);
  }

 private:
  struct Slot {
    uint64_t hash = 0;
    uint32_t offset = 0, length = 0;
    bool used = false;
    Value value{};
  };

  void grow() {
    last_ = SIZE_MAX;
    std::vector<Slot> old = std::move(slots_);
    slots_ = std::vector<Slot>(old.empty() ? 16 : old.size() * 2);
    size_t mask = slots_.size() - 1;
    for (Slot& s : old) {
      if (!s.used) continue;
      size_t i = s.hash & mask;
      while (slots_[i].used) i = (i + 1) & mask;
      slots_[i] = std::move(s);
    }
  }

  std::vector<Slot> slots_;
  std::string arena_;
  size_t size_ = 0;
  size_t last_ = SIZE_MAX;
};

}  // namespace firebreak::cloudtrail
