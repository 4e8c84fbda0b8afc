// Makes N DescribeInstances calls with C threads through firebreak's AWS client and prints
// the client-side CPU time they took, for bench/aws_client.py to compare with boto3.
// Usage: bench_aws_client_calls CALLS CONCURRENCY   (endpoint, region, keys from the environment)
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "firebreak/aws/client.h"

namespace {

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s CALLS CONCURRENCY\n", argv[0]);
    return 2;
  }
  const int calls = std::atoi(argv[1]);
  const int concurrency = std::atoi(argv[2]);
  firebreak::aws::Session session;
  auto ec2 = session.client("ec2");
  ec2.call("DescribeInstances");  // warm-up: model load and first connection, as boto3's client creation

  std::atomic<int> next{0};
  std::atomic<long> instances{0};
  const double cpu_before = cpu_seconds();
  std::vector<std::thread> workers;
  for (int t = 0; t < concurrency; ++t) {
    workers.emplace_back([&] {
      while (next.fetch_add(1) < calls) {
        auto out = ec2.call("DescribeInstances");
        for (const auto& reservation : out["Reservations"]) instances += long(reservation["Instances"].size());
      }
    });
  }
  for (auto& worker : workers) worker.join();
  const double cpu = cpu_seconds() - cpu_before;
  std::printf("{\"calls\": %d, \"cpu_seconds\": %.6f, \"instances_seen\": %ld}\n", calls, cpu, instances.load());
  return 0;
}
