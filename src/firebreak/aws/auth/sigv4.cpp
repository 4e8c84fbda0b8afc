#include "firebreak/aws/auth/sigv4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <map>
#include <string_view>
#include <utility>
#include <vector>

#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";

// Headers that HTTP stacks and proxies add, drop or rewrite on the way, so the AWS SDKs leave
// them unsigned (botocore's list, plus the hop-by-hop Connection and any stale Authorization).
constexpr std::array<std::string_view, 6> kUnsignedHeaders = {
    "authorization", "connection", "expect", "transfer-encoding", "user-agent", "x-amzn-trace-id"};

// The query parameters presigning adds; presigning again replaces them.
constexpr std::array<std::string_view, 7> kPresignParams = {
    "X-Amz-Algorithm",     "X-Amz-Credential",     "X-Amz-Date",     "X-Amz-Expires",
    "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature"};

enum class Form { header, query };

bool is_hex_digit(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0; }

void erase_header(HttpRequest& request, std::string_view lower_name) {
  std::erase_if(request.headers, [&](const auto& h) { return to_lower(h.first) == lower_name; });
}

// RFC 3986 dot-segment removal that also drops empty segments, as botocore does: services
// other than S3 read "//" as "/". A trailing slash survives unless nothing else does.
std::string normalize_path(std::string_view path) {
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = std::min(path.find('/', start), path.size());
    std::string_view segment = path.substr(start, end - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  std::string out = "/";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out += segments[i];
  }
  if (!segments.empty() && path.back() == '/') out.push_back('/');
  return out;
}

// Non-S3: the normalised wire path is encoded again, so "%20" signs as "%2520" (botocore,
// and what the services expect). S3: the wire path's escapes stand; only bytes that are not
// yet escaped (a raw space or UTF-8 byte) are encoded, once.
std::string canonical_uri(std::string_view path, bool as_given) {
  if (path.empty()) return "/";
  if (!as_given) return uri_encode(normalize_path(path), /*keep_slash=*/true);
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    bool escape = path[i] == '%' && i + 2 < path.size() && is_hex_digit(path[i + 1]) &&
                  is_hex_digit(path[i + 2]);
    if (escape) {
      out.push_back('%');
    } else {
      out += uri_encode(path.substr(i, 1), /*keep_slash=*/true);
    }
  }
  return out;
}

// Sorted by encoded name, then encoded value; repeated names keep every value.
std::string canonical_query(const HeaderList& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) encoded.emplace_back(uri_encode(name), uri_encode(value));
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

// Trimmed, with every run of whitespace (a folded line included) turned into one space.
std::string canonical_header_value(std::string_view value) {
  std::string out;
  bool space_pending = false;
  for (char c : value) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space_pending = !out.empty();
      continue;
    }
    if (space_pending) out.push_back(' ');
    space_pending = false;
    out.push_back(c);
  }
  return out;
}

struct CanonicalHeaders {
  std::string block;  // "name:value\n" per signed header
  std::string names;  // "host;x-amz-date"
};

CanonicalHeaders canonical_headers(const HeaderList& headers) {
  std::map<std::string, std::string> merged;  // sorted by lower-case name
  for (const auto& [name, value] : headers) {
    std::string key = to_lower(name);
    if (std::ranges::find(kUnsignedHeaders, key) != kUnsignedHeaders.end()) continue;
    auto [it, inserted] = merged.try_emplace(key, canonical_header_value(value));
    if (!inserted) {  // a repeated header signs as one, its values joined in order
      it->second.push_back(',');
      it->second += canonical_header_value(value);
    }
  }
  CanonicalHeaders out;
  for (const auto& [name, value] : merged) {
    out.block += name + ":" + value + "\n";
    if (!out.names.empty()) out.names.push_back(';');
    out.names += name;
  }
  return out;
}

std::string signature_of(const Credentials& credentials, const SigningParams& params,
                         std::string_view date, std::string_view string_to_sign) {
  std::string key = hmac_sha256("AWS4" + credentials.secret_access_key, date);
  key = hmac_sha256(key, params.region);
  key = hmac_sha256(key, params.service);
  key = hmac_sha256(key, "aws4_request");
  return to_hex(hmac_sha256(key, string_to_sign));
}

// Adds the signing inputs of `form` to the request, signs it, then adds the signature.
SigningDetails sign(HttpRequest& request, const Credentials& credentials,
                    const SigningParams& params, Form form, std::chrono::seconds expires) {
  const bool path_as_given = params.s3_rules || params.path_as_given;
  const bool hash_header = form == Form::header && (params.s3_rules || params.payload_hash_header);
  const bool has_token = !credentials.session_token.empty();
  const bool sign_token = has_token && !params.session_token_after_signing;
  const std::string amz_date = format_amz_date(params.time);
  const std::string date = amz_date.substr(0, 8);
  const std::string scope = date + "/" + params.region + "/" + params.service + "/aws4_request";
  // A presigned URL's payload is unknown when it is made, so S3 takes it unsigned.
  const bool unsigned_payload = params.unsigned_payload || (form == Form::query && params.s3_rules);
  const std::string payload_hash =
      unsigned_payload ? std::string(kUnsignedPayload) : sha256_hex(request.body);

  if (!request.has_header("host")) request.set_header("Host", request.host);
  if (form == Form::header) {
    erase_header(request, "authorization");
    erase_header(request, "x-amz-security-token");
    if (sign_token) request.set_header("X-Amz-Security-Token", credentials.session_token);
    request.set_header("X-Amz-Date", amz_date);
    if (hash_header) request.set_header("X-Amz-Content-SHA256", payload_hash);
  } else {
    std::erase_if(request.query, [](const auto& p) {
      return std::ranges::find(kPresignParams, p.first) != kPresignParams.end();
    });
  }

  const CanonicalHeaders headers = canonical_headers(request.headers);
  if (form == Form::query) {
    request.query.emplace_back("X-Amz-Algorithm", kAlgorithm);
    request.query.emplace_back("X-Amz-Credential", credentials.access_key_id + "/" + scope);
    request.query.emplace_back("X-Amz-Date", amz_date);
    request.query.emplace_back("X-Amz-Expires", std::to_string(expires.count()));
    request.query.emplace_back("X-Amz-SignedHeaders", headers.names);
    if (sign_token) request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
  }

  SigningDetails details;
  details.canonical_request = request.method + "\n" + canonical_uri(request.path, path_as_given) +
                              "\n" + canonical_query(request.query) + "\n" + headers.block + "\n" +
                              headers.names + "\n" + payload_hash;
  details.string_to_sign = std::string(kAlgorithm) + "\n" + amz_date + "\n" + scope + "\n" +
                           sha256_hex(details.canonical_request);
  details.signature = signature_of(credentials, params, date, details.string_to_sign);

  const bool token_after = has_token && params.session_token_after_signing;
  if (form == Form::header) {
    if (token_after) request.set_header("X-Amz-Security-Token", credentials.session_token);
    request.set_header("Authorization", std::string(kAlgorithm) + " Credential=" +
                                            credentials.access_key_id + "/" + scope +
                                            ", SignedHeaders=" + headers.names +
                                            ", Signature=" + details.signature);
  } else {
    if (token_after) request.query.emplace_back("X-Amz-Security-Token", credentials.session_token);
    request.query.emplace_back("X-Amz-Signature", details.signature);
  }
  return details;
}

void check_expiry(std::chrono::seconds expires) {
  if (expires < std::chrono::seconds(1) || expires > kMaxPresignExpiry) {
    throw InputError("a presigned URL must expire within 1 second to 7 days, not " +
                     std::to_string(expires.count()) + " seconds");
  }
}

}  // namespace

void sign_request(HttpRequest& request, const Credentials& credentials,
                  const SigningParams& params) {
  sign(request, credentials, params, Form::header, {});
}

void presign_request(HttpRequest& request, const Credentials& credentials,
                     const SigningParams& params, std::chrono::seconds expires) {
  check_expiry(expires);
  sign(request, credentials, params, Form::query, expires);
}

SigningDetails signing_details(const HttpRequest& request, const Credentials& credentials,
                               const SigningParams& params) {
  HttpRequest copy = request;
  return sign(copy, credentials, params, Form::header, {});
}

SigningDetails presigning_details(const HttpRequest& request, const Credentials& credentials,
                                  const SigningParams& params, std::chrono::seconds expires) {
  check_expiry(expires);
  HttpRequest copy = request;
  return sign(copy, credentials, params, Form::query, expires);
}

}  // namespace firebreak::aws
