#include "http_peer.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "firebreak/base/encoding.h"

namespace firebreak::aws {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

std::string header_value(const HeaderList& headers, std::string_view name) {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return {};
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 202: return "Accepted";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 429: return "Too Many Requests";
    case 500: return "Internal Server Error";
    case 502: return "Bad Gateway";
    case 503: return "Service Unavailable";
    case 504: return "Gateway Timeout";
    default: return "Status";
  }
}

bool send_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

// Reads from a connection, giving up when the peer is stopping.
class Reader {
 public:
  Reader(int fd, int wake) : fd_(fd), wake_(wake) {}

  // Appends what is available; false at end of stream, on error, or when stopping.
  bool fill() {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_, POLLIN, 0}};
    while (true) {
      int ready = ::poll(fds, 2, -1);
      if (ready < 0 && errno == EINTR) continue;
      if (ready < 0 || (fds[1].revents & POLLIN)) return false;
      break;
    }
    char chunk[16384];
    ssize_t n;
    do {
      n = ::recv(fd_, chunk, sizeof chunk, 0);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  // A CRLF-terminated line (without the CRLF).
  std::optional<std::string> line() {
    size_t end;
    while ((end = buffer_.find("\r\n")) == std::string::npos) {
      if (!fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, end);
    buffer_.erase(0, end + 2);
    return out;
  }

  std::optional<std::string> bytes(size_t count) {
    while (buffer_.size() < count) {
      if (!fill()) return std::nullopt;
    }
    std::string out = buffer_.substr(0, count);
    buffer_.erase(0, count);
    return out;
  }

  bool buffered() const { return !buffer_.empty(); }

 private:
  int fd_;
  int wake_;
  std::string buffer_;
};

HeaderList parse_query(std::string_view query) {
  HeaderList out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.emplace_back(uri_decode(pair), "");
    } else {
      out.emplace_back(uri_decode(pair.substr(0, eq)), uri_decode(pair.substr(eq + 1)));
    }
  }
  return out;
}

// Reads one request; nullopt when the connection ended (or is unusable) before a whole one.
std::optional<HttpRequest> read_request(Reader& reader, int fd, bool& keep_alive) {
  std::optional<std::string> request_line;
  do {  // tolerate stray CRLFs between requests (RFC 9112 section 2.2)
    request_line = reader.line();
    if (!request_line) return std::nullopt;
  } while (request_line->empty());

  HttpRequest request;
  request.scheme = "http";
  size_t first_space = request_line->find(' ');
  size_t last_space = request_line->rfind(' ');
  if (first_space == std::string::npos || last_space == first_space) return std::nullopt;
  request.method = request_line->substr(0, first_space);
  std::string target = request_line->substr(first_space + 1, last_space - first_space - 1);
  std::string version = request_line->substr(last_space + 1);
  size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = parse_query(target.substr(question + 1));

  while (true) {
    auto header = reader.line();
    if (!header) return std::nullopt;
    if (header->empty()) break;
    size_t colon = header->find(':');
    if (colon == std::string::npos) return std::nullopt;
    request.headers.emplace_back(header->substr(0, colon), trim(header->substr(colon + 1)));
  }
  request.host = header_value(request.headers, "Host");

  std::string connection = to_lower(header_value(request.headers, "Connection"));
  keep_alive = version == "HTTP/1.1" ? connection != "close" : connection == "keep-alive";

  const bool chunked =
      to_lower(header_value(request.headers, "Transfer-Encoding")).find("chunked") !=
      std::string::npos;
  std::string length_text = header_value(request.headers, "Content-Length");
  const bool has_body = chunked || (!length_text.empty() && length_text != "0");
  if (has_body && iequals(header_value(request.headers, "Expect"), "100-continue") &&
      !reader.buffered()) {
    if (!send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n")) return std::nullopt;
  }

  if (chunked) {
    while (true) {
      auto size_line = reader.line();
      if (!size_line) return std::nullopt;
      size_t size = 0;
      auto [end, ec] = std::from_chars(size_line->data(), size_line->data() + size_line->size(),
                                       size, 16);
      if (ec != std::errc()) return std::nullopt;
      if (size == 0) {
        while (true) {  // trailers, up to the blank line
          auto trailer = reader.line();
          if (!trailer) return std::nullopt;
          if (trailer->empty()) break;
        }
        break;
      }
      auto data = reader.bytes(size);
      if (!data || !reader.bytes(2)) return std::nullopt;
      request.body += *data;
    }
  } else if (!length_text.empty()) {
    size_t length = 0;
    auto [end, ec] = std::from_chars(length_text.data(), length_text.data() + length_text.size(),
                                     length);
    if (ec != std::errc()) return std::nullopt;
    auto body = reader.bytes(length);
    if (!body) return std::nullopt;
    request.body = std::move(*body);
  }
  return request;
}

std::string serialize(const HttpResponse& response, bool head, bool keep_alive) {
  std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " +
                    reason_phrase(response.status) + "\r\n";
  bool has_length = false;
  for (const auto& [name, value] : response.headers) {
    if (iequals(name, "Connection")) continue;
    if (iequals(name, "Content-Length")) has_length = true;
    out += name + ": " + value + "\r\n";
  }
  if (!has_length) out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
  out += keep_alive ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  out += "\r\n";
  if (!head) out += response.body;
  return out;
}

}  // namespace

HttpPeer::HttpPeer(Handler handler)
    : handler_(std::make_shared<const Handler>(std::move(handler))) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t size = sizeof address;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listen_fd_, 128) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
    int error = errno;
    ::close(listen_fd_);
    throw std::runtime_error(std::string("cannot listen on 127.0.0.1: ") + std::strerror(error));
  }
  port_ = ntohs(address.sin_port);
  int wake[2];
  if (::pipe2(wake, O_CLOEXEC) != 0) {
    ::close(listen_fd_);
    throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  }
  wake_read_ = wake[0];
  wake_write_ = wake[1];
  acceptor_ = std::thread([this] { accept_loop(); });
}

HttpPeer::~HttpPeer() {
  stop();
  ::close(wake_read_);
  ::close(wake_write_);
}

void HttpPeer::set_handler(Handler handler) {
  auto shared = std::make_shared<const Handler>(std::move(handler));
  std::lock_guard lock(mutex_);
  handler_ = std::move(shared);
}

void HttpPeer::stop() {
  if (stopped_.exchange(true)) return;
  // Never read, so every poll() watching wake_read_ sees it readable from now on.
  char byte = 1;
  while (::write(wake_write_, &byte, 1) < 0 && errno == EINTR) {
  }
  if (acceptor_.joinable()) acceptor_.join();
  // Closed now, not at destruction, so that connecting to a stopped peer is refused.
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> workers;
  {
    std::lock_guard lock(mutex_);
    workers.swap(workers_);
  }
  for (auto& worker : workers) worker.join();
}

std::string HttpPeer::host() const { return "127.0.0.1:" + std::to_string(port_); }

std::string HttpPeer::url() const { return "http://" + host(); }

std::vector<HttpRequest> HttpPeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

size_t HttpPeer::request_count() const {
  std::lock_guard lock(mutex_);
  return requests_.size();
}

void HttpPeer::accept_loop() {
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_read_, POLLIN, 0}};
  while (true) {
    int ready = ::poll(fds, 2, -1);
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0 || (fds[1].revents & POLLIN)) return;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    ++connections_;
    std::lock_guard lock(mutex_);
    workers_.emplace_back([this, fd] { serve(fd); });
  }
}

void HttpPeer::serve(int fd) {
  Reader reader(fd, wake_read_);
  bool keep_alive = true;
  while (keep_alive) {
    auto request = read_request(reader, fd, keep_alive);
    if (!request) break;
    std::shared_ptr<const Handler> handler;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(*request);
      handler = handler_;
    }
    HttpResponse response;
    try {
      response = (*handler)(*request);
    } catch (const std::exception& e) {
      response = HttpResponse{500, {{"Content-Type", "text/plain"}}, e.what()};
    }
    if (response.status == 0) break;  // drop the connection unanswered
    if (iequals(header_value(response.headers, "Connection"), "close")) keep_alive = false;
    if (!send_all(fd, serialize(response, request->method == "HEAD", keep_alive))) break;
  }
  ::close(fd);
}

}  // namespace firebreak::aws
