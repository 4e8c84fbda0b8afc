#pragma once
// Hashes and MACs from OpenSSL, returning raw bytes.
#include <string>
#include <string_view>

namespace firebreak {

std::string sha256(std::string_view data);
std::string hmac_sha256(std::string_view key, std::string_view data);
std::string sha256_hex(std::string_view data);
// MD5, only for S3's Content-MD5 header.
std::string md5(std::string_view data);
// Random bytes from OpenSSL's CSPRNG (idempotency tokens, jitter seeds).
std::string random_bytes(size_t count);
// A random RFC 4122 version 4 UUID, as botocore makes idempotency tokens.
std::string random_uuid();

}  // namespace firebreak
