#include "firebreak/cloudtrail/decode.h"

#include <cstring>
#include <new>

#include <libdeflate.h>

namespace firebreak::cloudtrail {

bool is_gzip(std::string_view bytes) {
  return bytes.size() >= 18 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
         static_cast<unsigned char>(bytes[1]) == 0x8b;
}

size_t gzip_size_hint(std::string_view bytes) {
  if (bytes.size() < 4) return 0;
  uint32_t size;
  std::memcpy(&size, bytes.data() + bytes.size() - 4, 4);  // ISIZE, little-endian
  return size;
}

Decompressor::Decompressor() : decompressor_(libdeflate_alloc_decompressor()) {
  if (!decompressor_) throw std::bad_alloc();
}

Decompressor::~Decompressor() { libdeflate_free_decompressor(decompressor_); }

std::string Decompressor::gunzip(std::string_view input, Buffer& out) {
  size_t produced = 0;
  size_t hint = gzip_size_hint(input);
  // A hint smaller than the input is wrong (multi-member files, sizes past 4 GiB).
  out.reserve(hint >= input.size() / 2 ? hint : input.size() * 8);
  while (!input.empty()) {
    if (!is_gzip(input)) {
      // Trailing zero padding after the last member is common and harmless.
      if (input.find_first_not_of('\0') == std::string_view::npos) break;
      return "trailing data after the gzip stream";
    }
    size_t in_used = 0, out_used = 0;
    libdeflate_result result = libdeflate_gzip_decompress_ex(
        decompressor_, input.data(), input.size(), out.data() + produced,
        out.capacity() - produced, &in_used, &out_used);
    if (result == LIBDEFLATE_INSUFFICIENT_SPACE) {
      out.reserve(out.capacity() * 2, produced);
      continue;
    }
    if (result != LIBDEFLATE_SUCCESS) return "corrupt gzip data";
    produced += out_used;
    input.remove_prefix(in_used);
  }
  out.resize(produced);
  return {};
}

}  // namespace firebreak::cloudtrail
