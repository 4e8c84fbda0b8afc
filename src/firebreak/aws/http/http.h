#pragma once
// A plain description of an HTTP exchange, not tied to any HTTP library: serializers produce
// an HttpRequest, the signer adds headers to it, a transport sends it.
#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "firebreak/base/error.h"

namespace firebreak::aws {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method = "GET";
  std::string scheme = "https";
  std::string host;          // "host" or "host:port"
  std::string path = "/";    // as sent on the wire: already percent-encoded by the protocol
  HeaderList query;          // decoded names and values; encoded when the URL is built
  HeaderList headers;        // names as given; lookups are case-insensitive
  std::string body;

  // The URL to send: scheme://host + path + "?" + the query, each name and value uri_encode()d.
  std::string url() const;
  std::string query_string() const;
  // Case-insensitive lookup; empty when absent.
  std::string header(std::string_view name) const;
  bool has_header(std::string_view name) const;
  // Replaces any header of the same name (case-insensitive).
  void set_header(std::string name, std::string value);
};

struct HttpResponse {
  int status = 0;
  HeaderList headers;  // names lower-cased by the transport
  std::string body;

  std::string header(std::string_view name) const;
};

// The request could not be completed at the transport level (DNS, connect, TLS, timeout).
// request_sent says whether any of the request may have reached the service, which decides
// whether a non-idempotent call can be retried.
class TransportError : public Error {
 public:
  TransportError(const std::string& message, bool request_sent)
      : Error(message), request_sent_(request_sent) {}
  bool request_sent() const { return request_sent_; }

 private:
  bool request_sent_;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{120'000};
  std::string ca_bundle;  // AWS_CA_BUNDLE; empty means the system store
  std::string proxy;      // empty: libcurl honours HTTPS_PROXY / HTTP_PROXY / NO_PROXY itself
};

// Sends requests. Implementations must be safe to call from many threads at once.
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // Throws TransportError when no HTTP response was received.
  virtual HttpResponse send(const HttpRequest& request) = 0;
};

}  // namespace firebreak::aws
