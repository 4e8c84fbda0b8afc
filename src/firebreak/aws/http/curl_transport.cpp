#include "firebreak/aws/http/curl_transport.h"

#include <arpa/inet.h>
#include <curl/curl.h>

#include <array>
#include <mutex>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "firebreak/base/encoding.h"

namespace firebreak::aws {
namespace {

// Kept idle for reuse; more concurrent calls than this still work, their handles are just freed.
constexpr size_t max_idle_handles = 64;

void global_init_once() {
  static std::once_flag once;
  // curl_global_cleanup is deliberately never called: other threads may use libcurl until exit.
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// "host", "host:443", "[::1]:8080" -> the host name or address alone.
std::string hostname_of(std::string_view host) {
  if (host.starts_with('[')) {
    size_t close = host.find(']');
    return std::string(host.substr(1, close == std::string_view::npos ? host.size() : close - 1));
  }
  size_t colon = host.find(':');
  if (colon != std::string_view::npos && host.find(':', colon + 1) == std::string_view::npos) {
    host = host.substr(0, colon);
  }
  return std::string(host);
}

// Loopback and link-local addresses (the EC2 and ECS metadata services) are only reachable
// from this machine, so a proxy could never reach them for us.
bool only_reachable_directly(const std::string& hostname) {
  if (to_lower(hostname) == "localhost") return true;
  in_addr v4{};
  if (inet_pton(AF_INET, hostname.c_str(), &v4) == 1) {
    uint32_t address = ntohl(v4.s_addr);
    return (address >> 24) == 127 || (address >> 16) == 0xA9FE;  // 127/8, 169.254/16
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, hostname.c_str(), &v6) == 1) {
    const uint8_t* b = v6.s6_addr;
    if (IN6_IS_ADDR_LOOPBACK(&v6) || IN6_IS_ADDR_LINKLOCAL(&v6)) return true;
    return b[0] == 0xfd && b[1] == 0x00 && b[2] == 0x0e && b[3] == 0xc2;  // fd00:ec2::/32
  }
  return false;
}

// Failures that come before the request could have been written to a socket.
bool fails_before_sending(CURLcode code) {
  switch (code) {
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
      return true;
    default:
      return false;
  }
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HeaderList*>(user);
  std::string_view line(data, size * count);
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  if (line.starts_with("HTTP/")) {
    headers->clear();  // a new response begins (after a 100 Continue, for one)
  } else if (size_t colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
    headers->emplace_back(to_lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
  }
  return size * count;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void append(Slist& list, const std::string& line) {
  curl_slist* grown = curl_slist_append(list.get(), line.c_str());
  if (grown == nullptr) throw TransportError("out of memory building request headers", false);
  list.release();
  list.reset(grown);
}

}  // namespace

struct CurlTransport::State {
  struct IdleHandle {
    CURL* curl;
    std::string host;  // the host its last request went to, whose connection it may keep open
  };

  TransportOptions options;
  CURLSH* share = nullptr;
  std::array<std::mutex, CURL_LOCK_DATA_LAST> locks;
  std::mutex pool_mutex;
  std::vector<IdleHandle> idle;

  explicit State(TransportOptions opts) : options(std::move(opts)) {
    share = curl_share_init();
    if (share == nullptr) throw TransportError("curl_share_init failed", false);
    curl_share_setopt(share, CURLSHOPT_LOCKFUNC, &State::lock);
    curl_share_setopt(share, CURLSHOPT_UNLOCKFUNC, &State::unlock);
    curl_share_setopt(share, CURLSHOPT_USERDATA, this);
    // Connections are not shared here: libcurl does not support one connection cache used by
    // concurrent threads. The handle pool gives connection reuse instead.
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
  }

  ~State() {
    for (IdleHandle& handle : idle) curl_easy_cleanup(handle.curl);
    curl_share_cleanup(share);
  }

  static void lock(CURL*, curl_lock_data data, curl_lock_access, void* user) {
    static_cast<State*>(user)->locks[static_cast<size_t>(data)].lock();
  }
  static void unlock(CURL*, curl_lock_data data, void* user) {
    static_cast<State*>(user)->locks[static_cast<size_t>(data)].unlock();
  }

  // An idle handle, preferring one that last talked to `host` (its connection may be open).
  CURL* acquire(const std::string& host) {
    {
      std::lock_guard guard(pool_mutex);
      for (size_t i = idle.size(); i-- > 0;) {
        if (idle[i].host == host) {
          CURL* curl = idle[i].curl;
          idle.erase(idle.begin() + static_cast<std::ptrdiff_t>(i));
          return curl;
        }
      }
      if (!idle.empty()) {
        CURL* curl = idle.back().curl;
        idle.pop_back();
        return curl;
      }
    }
    CURL* curl = curl_easy_init();
    if (curl == nullptr) throw TransportError("curl_easy_init failed", false);
    curl_easy_setopt(curl, CURLOPT_SHARE, share);  // kept across curl_easy_reset
    return curl;
  }

  void release(CURL* curl, std::string host) {
    {
      std::lock_guard guard(pool_mutex);
      if (idle.size() < max_idle_handles) {
        idle.push_back({curl, std::move(host)});
        return;
      }
    }
    curl_easy_cleanup(curl);
  }
};

CurlTransport::CurlTransport(TransportOptions options) {
  global_init_once();
  state_ = std::make_unique<State>(std::move(options));
}

CurlTransport::~CurlTransport() = default;

HttpResponse CurlTransport::send(const HttpRequest& request) {
  CURL* curl = state_->acquire(request.host);
  struct Returner {
    State& state;
    CURL* curl;
    const std::string& host;
    ~Returner() { state.release(curl, host); }
  } returner{*state_, curl, request.host};

  curl_easy_reset(curl);
  const TransportOptions& options = state_->options;
  const std::string url = request.url();
  char error[CURL_ERROR_SIZE] = {};
  HttpResponse response;

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM-based DNS timeouts in threads
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);  // S3 keys may contain "/../"
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(options.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options.request_timeout.count()));
  if (!options.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options.ca_bundle.c_str());
  if (only_reachable_directly(hostname_of(request.host))) {
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
  } else if (!options.proxy.empty()) {
    curl_easy_setopt(curl, CURLOPT_PROXY, options.proxy.c_str());
  }

  const bool sends_body = !request.body.empty() || request.method == "POST" ||
                          request.method == "PUT" || request.method == "PATCH";
  if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (sends_body) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
    if (request.method != "POST") {
      curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }

  Slist headers;
  for (const auto& [name, value] : request.headers) {
    // "Name;" is curl's way to send a header with an empty value.
    append(headers, value.empty() ? name + ";" : name + ": " + value);
  }
  // "Name:" removes a header curl would add on its own.
  for (const char* name : {"Expect", "Content-Type", "Accept"}) {
    if (!request.has_header(name)) append(headers, std::string(name) + ":");
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());

  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);

  CURLcode code = curl_easy_perform(curl);
  if (code != CURLE_OK) {
    long request_size = 0;
    curl_easy_getinfo(curl, CURLINFO_REQUEST_SIZE, &request_size);
    // A timeout counts as sent unless no request byte was written (it timed out connecting).
    bool sent = !fails_before_sending(code) &&
                !(code == CURLE_OPERATION_TIMEDOUT && request_size == 0);
    // The host, not the URL: a presigned query string is a credential.
    throw TransportError(fmt::format("{} {}: {} (curl error {})", request.method, request.host,
                                     error[0] != '\0' ? error : curl_easy_strerror(code),
                                     static_cast<int>(code)),
                         sent);
  }
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace firebreak::aws
