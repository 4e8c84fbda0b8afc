#pragma once
// HttpTransport over libcurl. Safe to use from many threads: idle easy handles are pooled (each
// keeps its open connections, so a handle returned by one call is reused, connections and all,
// by the next call to the same host), and DNS and TLS sessions are shared between them.
#include <memory>

#include "firebreak/aws/http/http.h"

namespace firebreak::aws {

class CurlTransport final : public HttpTransport {
 public:
  explicit CurlTransport(TransportOptions options = {});
  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // Sends the request as given: no redirects followed, no "Expect: 100-continue", no
  // Content-Type or Accept of curl's own, the path as is (no dot-segment removal). Hosts only
  // this machine can reach (loopback, link-local such as the metadata services) bypass proxies.
  // Throws TransportError naming the host and curl's error; request_sent is false when the
  // failure came before any byte of the request could have left (DNS, connect, TLS handshake).
  HttpResponse send(const HttpRequest& request) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace firebreak::aws
