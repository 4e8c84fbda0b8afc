#pragma once
// Whole-buffer gzip decompression with libdeflate (every member of a multi-member file).
#include <string>
#include <string_view>

#include "firebreak/cloudtrail/buffer.h"

struct libdeflate_decompressor;

namespace firebreak::cloudtrail {

bool is_gzip(std::string_view bytes);
// The size gzip's trailer claims for the last member: a good first guess for the output.
size_t gzip_size_hint(std::string_view bytes);

class Decompressor {
 public:
  Decompressor();
  ~Decompressor();
  Decompressor(const Decompressor&) = delete;
  Decompressor& operator=(const Decompressor&) = delete;

  // Inflates every gzip member of `input` into `out`. Returns an error message, empty on success.
  std::string gunzip(std::string_view input, Buffer& out);

 private:
  libdeflate_decompressor* decompressor_;
};

}  // namespace firebreak::cloudtrail
