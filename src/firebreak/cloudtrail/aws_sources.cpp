#include "firebreak/cloudtrail/aws_sources.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "firebreak/aws/s3.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

// A trail of 90 days in 16 regions has about 1,500 day folders, each one listing round trip;
// no object is read until they are all listed.
constexpr unsigned kListThreads = 32;

// How many components of CloudTrail's layout (REGION, YYYY, MM, DD) follow "CloudTrail/".
int depth_below_cloudtrail(std::string_view prefix) {
  size_t at = prefix.rfind("/CloudTrail/");
  if (at == std::string_view::npos) {
    if (!prefix.starts_with("CloudTrail/")) return -1;
    at = 0;
  } else {
    at += 1;
  }
  std::string_view rest = prefix.substr(at + 11);
  return static_cast<int>(std::count(rest.begin(), rest.end(), '/'));
}

class S3Source final : public Source {
 public:
  S3Source(const aws::Session& session, const std::string& url) {
    std::string_view rest = std::string_view(url).substr(5);
    size_t slash = rest.find('/');
    bucket_ = std::string(rest.substr(0, slash));
    prefix_ = slash == std::string_view::npos ? std::string() : std::string(rest.substr(slash + 1));
    if (bucket_.empty()) throw InputError(fmt::format("{}: no bucket name", url));
    client_.emplace(session.client("s3", bucket_region(session)));
  }

  std::vector<SourceObject> list(const Scope& scope) override {
    // Folders are listed by a few threads: each listing is one round trip.
    std::mutex mutex;
    std::condition_variable cv;
    std::vector<std::string> pending{prefix_};
    std::vector<SourceObject> objects;
    size_t active = 0;
    std::exception_ptr failure;
    auto work = [&] {
      std::unique_lock lock(mutex);
      while (true) {
        cv.wait(lock, [&] { return !pending.empty() || active == 0 || failure; });
        if (failure || (pending.empty() && active == 0)) break;
        std::string prefix = std::move(pending.back());
        pending.pop_back();
        ++active;
        lock.unlock();
        std::vector<std::string> folders;
        std::vector<SourceObject> found;
        try {
          list_folder(prefix, scope, folders, found);
        } catch (...) {
          lock.lock();
          failure = std::current_exception();
          --active;
          cv.notify_all();
          break;
        }
        lock.lock();
        --active;
        for (auto& f : folders) pending.push_back(std::move(f));
        for (auto& o : found) objects.push_back(std::move(o));
        cv.notify_all();
      }
    };
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < kListThreads; ++i) threads.emplace_back(work);
    for (auto& t : threads) t.join();
    if (failure) std::rethrow_exception(failure);
    std::sort(objects.begin(), objects.end(),
              [](const SourceObject& a, const SourceObject& b) { return a.name < b.name; });
    return objects;
  }

  void fetch(const SourceObject& object, Buffer& out) override {
    std::string key = object.name.substr(5 + bucket_.size() + 1);
    Json response = client_->call("GetObject", {{"Bucket", bucket_}, {"Key", key}});
    const auto& body = response["Body"].get_binary();
    out.reserve(body.size());
    if (!body.empty()) std::memcpy(out.data(), body.data(), body.size());
    out.resize(body.size());
  }

  // S3 answers each GET after tens of milliseconds whatever the object's size, and trail
  // objects are small: keeping two cores reading takes about a hundred GETs in flight.
  unsigned concurrent_fetches() const override { return 96; }

 private:
  std::string bucket_region(const aws::Session& session) const {
    // A bucket answers only in its own region; ask where it is (null means us-east-1).
    try {
      return aws::bucket_region(session.client("s3").call("GetBucketLocation", {{"Bucket", bucket_}}));
    } catch (const aws::AwsError&) {
      return session.region();  // not allowed to ask: assume the session's region
    }
  }

  void list_folder(const std::string& prefix, const Scope& scope, std::vector<std::string>& folders,
                   std::vector<SourceObject>& found) const {
    // Down to a day's folder, list one level at a time so that whole regions and days can be
    // skipped; below it, list everything at once.
    bool by_level = depth_below_cloudtrail(prefix) < 4;
    Json input = {{"Bucket", bucket_}, {"Prefix", prefix}};
    if (by_level) input["Delimiter"] = "/";
    for (const Json& page : client_->paginate("ListObjectsV2", input)) {
      if (page.contains("CommonPrefixes")) {
        for (const Json& p : page["CommonPrefixes"]) {
          std::string folder = p.value("Prefix", "");
          if (folder.ends_with("CloudTrail-Digest/") || !in_scope("/" + folder, scope)) continue;
          folders.push_back(folder);
        }
      }
      if (!page.contains("Contents")) continue;
      for (const Json& o : page["Contents"]) {
        std::string key = o.value("Key", "");
        if (key.ends_with("/") || key.find("/CloudTrail-Digest/") != std::string::npos || !in_scope("/" + key, scope))
          continue;
        found.push_back({fmt::format("s3://{}/{}", bucket_, key), o.value("Size", uint64_t{0})});
      }
    }
  }

  std::string bucket_, prefix_;
  std::optional<aws::ServiceClient> client_;
};

// At most `per_second` calls a second, shared by every thread.
class RateLimit {
 public:
  explicit RateLimit(double per_second) : interval_(std::chrono::duration<double>(1.0 / per_second)) {}
  void wait() {
    std::unique_lock lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    auto at = std::max(now, next_);
    next_ = at + std::chrono::duration_cast<std::chrono::steady_clock::duration>(interval_);
    lock.unlock();
    std::this_thread::sleep_until(at);
  }

 private:
  std::mutex mutex_;
  std::chrono::duration<double> interval_;
  std::chrono::steady_clock::time_point next_{};
};

class LookupEventsSource final : public Source {
 public:
  LookupEventsSource(const aws::Session& session, std::string region, const FilterOptions& filter)
      : client_(session.client("cloudtrail", region)), region_(client_.region()), limit_(2.0) {
    // LookupEvents takes one attribute: the most selective one the filter pins down.
    auto single = [](const std::vector<std::string>& v) { return v.size() == 1 && Glob(v[0]).is_literal(); };
    if (filter.access_keys.size() == 1) attribute_ = {"AccessKeyId", filter.access_keys[0]};
    else if (filter.buckets.size() == 1) attribute_ = {"ResourceName", filter.buckets[0]};
    else if (filter.event_names.size() == 1 && single(filter.event_names)) attribute_ = {"EventName", filter.event_names[0]};
    else if (filter.event_sources.size() == 1 && single(filter.event_sources)) attribute_ = {"EventSource", filter.event_sources[0]};
  }

  std::vector<SourceObject> list(const Scope& scope) override {
    // LookupEvents keeps 90 days; one object a day keeps each fetch's memory bounded.
    int64_t now = std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
    int64_t end = std::min(now, scope.until.value_or(now));
    int64_t start = std::max(now - 90 * 86400, scope.since.value_or(now - 90 * 86400));
    std::vector<SourceObject> days;
    for (int64_t day_end = end; day_end > start; day_end -= 86400) {
      int64_t day_start = std::max(start, day_end - 86400);
      days.push_back({fmt::format("cloudtrail-lookup://{}/{}/{}", region_, format_event_time(day_start),
                                  format_event_time(day_end)),
                      0});
    }
    std::reverse(days.begin(), days.end());
    return days;
  }

  void fetch(const SourceObject& object, Buffer& out) override {
    std::string_view range = std::string_view(object.name).substr(std::string_view("cloudtrail-lookup://").size() + region_.size() + 1);
    size_t slash = range.find('/');
    Json input = {{"StartTime", std::string(range.substr(0, slash))}, {"EndTime", std::string(range.substr(slash + 1))},
                  {"MaxResults", 50}};
    if (!attribute_.first.empty())
      input["LookupAttributes"] = Json::array({{{"AttributeKey", attribute_.first}, {"AttributeValue", attribute_.second}}});
    // Each event's CloudTrailEvent is the record as JSON text: one per line.
    std::string lines;
    while (true) {
      limit_.wait();
      Json page = client_.call("LookupEvents", input);
      for (const Json& event : page.value("Events", Json::array())) {
        if (!event.contains("CloudTrailEvent")) continue;
        lines += event["CloudTrailEvent"].get<std::string>();
        lines += '\n';
      }
      if (!page.contains("NextToken") || page["NextToken"].get<std::string>().empty()) break;
      input["NextToken"] = page["NextToken"];
    }
    out.reserve(lines.size());
    std::memcpy(out.data(), lines.data(), lines.size());
    out.resize(lines.size());
  }

 private:
  aws::ServiceClient client_;
  std::string region_;
  RateLimit limit_;
  std::pair<std::string, std::string> attribute_;
};

}  // namespace

std::unique_ptr<Source> make_s3_source(const aws::Session& session, const std::string& url) {
  return std::make_unique<S3Source>(session, url);
}

std::unique_ptr<Source> make_lookup_events_source(const aws::Session& session, std::string region,
                                                  const FilterOptions& filter) {
  return std::make_unique<LookupEventsSource>(session, std::move(region), filter);
}

}  // namespace firebreak::cloudtrail
