#pragma once
// Byte encodings used on the wire: hex, base64 and the RFC 3986 percent-encoding SigV4 wants.
#include <string>
#include <string_view>

namespace firebreak {

std::string to_hex(std::string_view bytes);
std::string base64_encode(std::string_view bytes);
// Throws InputError when text is not valid base64.
std::string base64_decode(std::string_view text);

// Percent-encodes every byte except the unreserved set A-Z a-z 0-9 - _ . ~ (and '/' when
// keep_slash), as SigV4 and the AWS query protocols require.
std::string uri_encode(std::string_view text, bool keep_slash = false);
// Decodes %XX sequences; '+' is left as is (AWS never form-encodes spaces as '+').
std::string uri_decode(std::string_view text);

std::string to_lower(std::string_view text);
std::string trim(std::string_view text);

}  // namespace firebreak
