#pragma once
// A small HTTP/1.1 server on 127.0.0.1 for tests: it plays AWS services, IMDS, the ECS
// credentials endpoint, a Lambda Runtime API. Each connection gets a thread; connections stay
// open between requests (keep-alive) unless a side asks to close.
//
//   HttpPeer peer([](const HttpRequest& request) {
//     return HttpResponse{200, {{"Content-Type", "application/json"}}, "{}"};
//   });
//   transport.send({.method = "GET", .scheme = "http", .host = peer.host(), .path = "/"});
//   EXPECT_EQ(peer.requests().at(0).path, "/");
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "firebreak/aws/http/http.h"

namespace firebreak::aws {

class HttpPeer {
 public:
  // Called on the connection's thread, so possibly on several threads at once. The request
  // has scheme "http", host from the Host header, path as sent (still percent-encoded) and
  // the query decoded into pairs. A response with status 0 makes the peer close the connection
  // without answering (a connection lost after the request was sent). The peer adds
  // Content-Length unless the handler gives one (a HEAD response or a truncated body).
  // An exception from the handler becomes a 500 response carrying its message.
  using Handler = std::function<HttpResponse(const HttpRequest&)>;

  // Binds 127.0.0.1 on a free port and starts accepting.
  explicit HttpPeer(Handler handler);
  ~HttpPeer();
  HttpPeer(const HttpPeer&) = delete;
  HttpPeer& operator=(const HttpPeer&) = delete;

  void set_handler(Handler handler);
  // Stops accepting, closes every connection and joins the threads (waiting for handlers
  // still running). Called by the destructor; calling it twice is harmless.
  void stop();

  uint16_t port() const { return port_; }
  std::string host() const;  // "127.0.0.1:PORT"
  std::string url() const;   // "http://127.0.0.1:PORT"

  // Every request received so far, in arrival order (recorded before the handler runs).
  std::vector<HttpRequest> requests() const;
  size_t request_count() const;
  // TCP connections accepted so far: fewer than requests when connections were reused.
  size_t connection_count() const { return connections_.load(); }

 private:
  void accept_loop();
  void serve(int fd);

  int listen_fd_ = -1;
  int wake_read_ = -1;  // readable once stop() begins: every poll() also watches it
  int wake_write_ = -1;
  uint16_t port_ = 0;
  std::atomic<size_t> connections_{0};
  std::atomic<bool> stopped_{false};

  mutable std::mutex mutex_;  // guards handler_, requests_, workers_
  std::shared_ptr<const Handler> handler_;
  std::vector<HttpRequest> requests_;
  std::vector<std::thread> workers_;
  std::thread acceptor_;
};

}  // namespace firebreak::aws
