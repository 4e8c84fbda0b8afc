#include "firebreak/aws/http/curl_transport.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "../support/http_peer.h"
#include "../support/test_env.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/json.h"

namespace firebreak::aws {
namespace {

HttpResponse echo(const HttpRequest& request) {
  Json seen = {{"method", request.method}, {"path", request.path}, {"body", request.body}};
  for (const auto& [name, value] : request.query) seen["query"][name] = value;
  for (const auto& [name, value] : request.headers) seen["headers"][to_lower(name)] = value;
  return {200, {{"Content-Type", "application/json"}, {"X-Amzn-RequestId", "req-1"}},
          seen.dump()};
}

class CurlTransportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A proxy in the test machine's environment must not take loopback traffic.
    env_.set("http_proxy", "http://127.0.0.1:9");
  }

  HttpRequest request(std::string method, std::string path) {
    HttpRequest out;
    out.method = std::move(method);
    out.scheme = "http";
    out.host = peer_.host();
    out.path = std::move(path);
    return out;
  }

  ScopedEnv env_;
  HttpPeer peer_{echo};
  CurlTransport transport_;
};

TEST_F(CurlTransportTest, GetWithQueryAndHeaders) {
  HttpRequest get = request("GET", "/a%20b/c");
  get.query = {{"Action", "DescribeInstances"}, {"Filter.1.Value", "a b/c"}};
  get.set_header("X-Amz-Target", "svc.Op");
  get.set_header("X-Empty", "");
  HttpResponse response = transport_.send(get);
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.header("x-amzn-requestid"), "req-1");
  // Names arrive lower-cased.
  bool lower = true;
  for (const auto& [name, value] : response.headers) lower = lower && name == to_lower(name);
  EXPECT_TRUE(lower);

  Json seen = Json::parse(response.body);
  EXPECT_EQ(seen["method"], "GET");
  EXPECT_EQ(seen["path"], "/a%20b/c");
  EXPECT_EQ(seen["query"]["Filter.1.Value"], "a b/c");
  EXPECT_EQ(seen["headers"]["x-amz-target"], "svc.Op");
  EXPECT_EQ(seen["headers"]["x-empty"], "");
  // curl adds nothing of its own that the signer did not see.
  EXPECT_FALSE(seen["headers"].contains("accept"));
  EXPECT_FALSE(seen["headers"].contains("content-type"));
  EXPECT_FALSE(seen["headers"].contains("expect"));
}

TEST_F(CurlTransportTest, PostSendsTheBodyWithoutExpectContinue) {
  HttpRequest post = request("POST", "/");
  // Large enough that curl would normally ask for a 100 Continue first.
  post.body = std::string(2 << 20, 'x');
  post.set_header("Content-Type", "application/x-amz-json-1.1");
  Json seen = Json::parse(transport_.send(post).body);
  EXPECT_EQ(seen["body"].get<std::string>().size(), post.body.size());
  EXPECT_EQ(seen["headers"]["content-type"], "application/x-amz-json-1.1");
  EXPECT_EQ(seen["headers"]["content-length"], std::to_string(post.body.size()));
  EXPECT_FALSE(seen["headers"].contains("expect"));
  EXPECT_FALSE(seen["headers"].contains("transfer-encoding"));
}

TEST_F(CurlTransportTest, MethodsAndEmptyBodies) {
  Json put = Json::parse(transport_.send(request("PUT", "/latest/api/token")).body);
  EXPECT_EQ(put["method"], "PUT");
  EXPECT_EQ(put["headers"]["content-length"], "0");

  Json del = Json::parse(transport_.send(request("DELETE", "/key")).body);
  EXPECT_EQ(del["method"], "DELETE");
  EXPECT_FALSE(del["headers"].contains("content-length"));

  HttpRequest patch = request("PATCH", "/x");
  patch.body = "{}";
  EXPECT_EQ(Json::parse(transport_.send(patch).body)["body"], "{}");

  HttpResponse head = transport_.send(request("HEAD", "/object"));
  EXPECT_EQ(head.status, 200);
  EXPECT_TRUE(head.body.empty());
  EXPECT_EQ(peer_.requests().back().method, "HEAD");
}

TEST_F(CurlTransportTest, PathIsSentAsIs) {
  transport_.send(request("GET", "/bucket/a/../b/./c"));
  EXPECT_EQ(peer_.requests().back().path, "/bucket/a/../b/./c");
}

TEST_F(CurlTransportTest, ErrorStatusesAreResponses) {
  peer_.set_handler([](const HttpRequest&) {
    return HttpResponse{503, {{"Retry-After", "1"}}, "<Error><Code>SlowDown</Code></Error>"};
  });
  HttpResponse response = transport_.send(request("GET", "/"));
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.header("Retry-After"), "1");
  EXPECT_EQ(response.body, "<Error><Code>SlowDown</Code></Error>");
}

TEST_F(CurlTransportTest, RepeatedHeadersAreKept) {
  peer_.set_handler([](const HttpRequest&) {
    return HttpResponse{200, {{"X-Multi", "a"}, {"X-Multi", "b"}}, ""};
  });
  HttpResponse response = transport_.send(request("GET", "/"));
  int count = 0;
  for (const auto& [name, value] : response.headers) count += name == "x-multi";
  EXPECT_EQ(count, 2);
}

TEST_F(CurlTransportTest, ReusesConnections) {
  for (int i = 0; i < 5; ++i) transport_.send(request("GET", "/" + std::to_string(i)));
  EXPECT_EQ(peer_.request_count(), 5u);
  EXPECT_EQ(peer_.connection_count(), 1u);
}

TEST_F(CurlTransportTest, SafeFromManyThreads) {
  constexpr int kThreads = 8;
  constexpr int kEach = 25;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        HttpRequest post = request("POST", "/t" + std::to_string(t));
        post.body = std::to_string(i);
        Json seen = Json::parse(transport_.send(post).body);
        if (seen["path"] == "/t" + std::to_string(t) && seen["body"] == std::to_string(i)) ++ok;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kThreads * kEach);
  EXPECT_LE(peer_.connection_count(), static_cast<size_t>(kThreads));
}

TEST_F(CurlTransportTest, ConnectFailureWasNotSent) {
  HttpRequest get = request("GET", "/");
  HttpPeer closed([](const HttpRequest&) { return HttpResponse{}; });
  get.host = closed.host();
  closed.stop();
  try {
    transport_.send(get);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_FALSE(e.request_sent());
    EXPECT_NE(std::string(e.what()).find(get.host), std::string::npos) << e.what();
  }
}

TEST_F(CurlTransportTest, UnknownHostWasNotSent) {
  HttpRequest get = request("GET", "/");
  get.host = "no-such-host.invalid";
  try {
    transport_.send(get);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_FALSE(e.request_sent());
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos) << e.what();
  }
}

TEST_F(CurlTransportTest, DroppedConnectionMayHaveBeenSent) {
  peer_.set_handler([](const HttpRequest&) { return HttpResponse{}; });  // status 0: hang up
  try {
    transport_.send(request("POST", "/"));
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.request_sent());
  }
}

TEST_F(CurlTransportTest, TimeoutAfterSendingMayHaveBeenSent) {
  TransportOptions options;
  options.request_timeout = std::chrono::milliseconds(300);
  CurlTransport impatient(options);
  peer_.set_handler([](const HttpRequest&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
    return HttpResponse{200, {}, "late"};
  });
  auto start = std::chrono::steady_clock::now();
  try {
    impatient.send(request("GET", "/slow"));
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_TRUE(e.request_sent());
    EXPECT_NE(std::string(e.what()).find("curl error 28"), std::string::npos) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(750));
}

TEST_F(CurlTransportTest, ErrorsNameTheHostNotTheQuery) {
  HttpRequest get = request("GET", "/");
  get.host = "no-such-host.invalid";
  get.query = {{"X-Amz-Signature", "presigned-secret-signature"}};
  try {
    transport_.send(get);
    FAIL() << "expected TransportError";
  } catch (const TransportError& e) {
    EXPECT_EQ(std::string(e.what()).find("presigned-secret-signature"), std::string::npos);
  }
}

TEST_F(CurlTransportTest, ExplicitProxyIsUsedForOtherHosts) {
  // The peer plays a forward proxy: curl sends it the absolute URL.
  TransportOptions options;
  options.proxy = peer_.url();
  CurlTransport proxied(options);
  HttpRequest get;
  get.scheme = "http";
  get.host = "service.example.com";
  get.path = "/via-proxy";
  EXPECT_EQ(proxied.send(get).status, 200);
  EXPECT_EQ(peer_.requests().back().path, "http://service.example.com/via-proxy");
  EXPECT_EQ(peer_.requests().back().host, "service.example.com");
}

}  // namespace
}  // namespace firebreak::aws
