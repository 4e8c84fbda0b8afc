#include "firebreak/base/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak {

std::string sha256(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    throw Error("OpenSSL SHA-256 failed");
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), int(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest, &length)) {
    throw Error("OpenSSL HMAC-SHA256 failed");
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string sha256_hex(std::string_view data) { return to_hex(sha256(data)); }

std::string md5(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &length, EVP_md5(), nullptr) != 1) {
    throw Error("OpenSSL MD5 failed");
  }
  return std::string(reinterpret_cast<char*>(digest), length);
}

std::string random_bytes(size_t count) {
  std::string out(count, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(count)) != 1) {
    throw Error("OpenSSL RAND_bytes failed");
  }
  return out;
}

std::string random_uuid() {
  std::string b = random_bytes(16);
  b[6] = char((b[6] & 0x0f) | 0x40);
  b[8] = char((b[8] & 0x3f) | 0x80);
  std::string hex = to_hex(b);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" +
         hex.substr(16, 4) + "-" + hex.substr(20);
}

}  // namespace firebreak
