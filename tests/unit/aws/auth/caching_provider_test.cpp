// Caching and refreshing temporary credentials, with a fake clock.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "firebreak/aws/auth/providers.h"
#include "firebreak/base/error.h"
#include "firebreak/base/time.h"

namespace firebreak::aws {
namespace {

using std::chrono::minutes;

// Hands out scripted results in order: credentials, "nothing", or an error.
class ScriptedProvider : public CredentialProvider {
 public:
  struct Step {
    std::optional<Credentials> credentials;
    bool fail = false;
  };
  std::string name() const override { return "scripted"; }
  std::optional<Credentials> load() override {
    ++calls;
    std::lock_guard lock(mutex_);
    if (steps_.empty()) throw ConfigError("script exhausted");
    Step step = steps_.front();
    steps_.pop_front();
    if (step.fail) throw ConfigError("refresh failed");
    return step.credentials;
  }
  void then(std::optional<Credentials> credentials) {
    std::lock_guard lock(mutex_);
    steps_.push_back({std::move(credentials), false});
  }
  void then_fail() {
    std::lock_guard lock(mutex_);
    steps_.push_back({std::nullopt, true});
  }
  std::atomic<int> calls{0};

 private:
  std::mutex mutex_;
  std::deque<Step> steps_;
};

class CachingProviderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    now_ = from_epoch_seconds(1'800'000'000);
    Clock::set_for_testing([this] {
      std::lock_guard lock(clock_mutex_);
      return now_;
    });
    auto inner = std::make_unique<ScriptedProvider>();
    script_ = inner.get();
    cache_ = std::make_unique<CachingCredentialProvider>(std::move(inner), " for profile \"t\"");
  }
  void TearDown() override { Clock::set_for_testing({}); }

  void advance(std::chrono::seconds by) {
    std::lock_guard lock(clock_mutex_);
    now_ += by;
  }
  Credentials temporary(std::string id, std::chrono::seconds valid_for) {
    Credentials out;
    out.access_key_id = std::move(id);
    out.secret_access_key = "fake-secret";
    out.session_token = "fake-token";
    out.expiration = Clock::now() + valid_for;
    out.provider = "scripted";
    return out;
  }

  std::mutex clock_mutex_;
  SystemTime now_;
  ScriptedProvider* script_ = nullptr;
  std::unique_ptr<CachingCredentialProvider> cache_;
};

TEST_F(CachingProviderTest, LongTermCredentialsAreLoadedOnce) {
  Credentials keys;
  keys.access_key_id = "AKIDSTATIC";
  keys.secret_access_key = "s";
  script_->then(keys);
  EXPECT_EQ(cache_->load()->access_key_id, "AKIDSTATIC");
  advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(cache_->load()->access_key_id, "AKIDSTATIC");
  EXPECT_EQ(script_->calls.load(), 1);
}

TEST_F(CachingProviderTest, TemporaryCredentialsRefreshInsideTheAdvisoryWindow) {
  script_->then(temporary("ASIAONE", minutes(60)));
  script_->then(temporary("ASIATWO", minutes(60)));
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  advance(minutes(44));  // 16 minutes left: still fresh
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  EXPECT_EQ(script_->calls.load(), 1);
  advance(minutes(2));  // 14 minutes left: refresh
  EXPECT_EQ(cache_->load()->access_key_id, "ASIATWO");
  EXPECT_EQ(script_->calls.load(), 2);
}

TEST_F(CachingProviderTest, FailedAdvisoryRefreshKeepsTheCurrentCredentials) {
  script_->then(temporary("ASIAONE", minutes(60)));
  script_->then_fail();
  script_->then(std::nullopt);
  script_->then_fail();
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  advance(minutes(47));  // 13 minutes left
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  EXPECT_EQ(script_->calls.load(), 2);
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  EXPECT_EQ(script_->calls.load(), 2) << "no new attempt right after a failed one";
  advance(std::chrono::seconds(40));
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");  // "nothing" is tolerated too
  EXPECT_EQ(script_->calls.load(), 3);
  advance(minutes(3));  // under 10 minutes left: the refresh is mandatory now
  try {
    cache_->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("refresh failed"), std::string::npos);
  }
}

TEST_F(CachingProviderTest, ProviderWithNothingLeftAtMandatoryRefresh) {
  script_->then(temporary("ASIAONE", minutes(5)));
  script_->then(std::nullopt);
  EXPECT_EQ(cache_->load()->access_key_id, "ASIAONE");
  try {
    cache_->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("no longer provides any"), std::string::npos) << e.what();
  }
}

TEST_F(CachingProviderTest, NothingFound) {
  script_->then(std::nullopt);
  try {
    cache_->load();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "no AWS credentials found for profile \"t\" (looked in: scripted)");
  }
}

TEST_F(CachingProviderTest, ManyThreadsShareOneLoad) {
  script_->then(temporary("ASIAONE", minutes(60)));
  std::vector<std::thread> threads;
  std::atomic<int> matches{0};
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 100; ++j) {
        if (cache_->load()->access_key_id == "ASIAONE") ++matches;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(matches.load(), 1600);
  EXPECT_EQ(script_->calls.load(), 1);
}

TEST(ChainProviderTest, RemembersTheProviderThatAnswered) {
  auto first = std::make_unique<ScriptedProvider>();
  auto second = std::make_unique<ScriptedProvider>();
  ScriptedProvider* first_raw = first.get();
  ScriptedProvider* second_raw = second.get();
  Credentials keys;
  keys.access_key_id = "AKIDSECOND";
  first->then(std::nullopt);
  second->then(keys);
  second->then(keys);
  std::vector<std::unique_ptr<CredentialProvider>> providers;
  providers.push_back(std::move(first));
  providers.push_back(std::move(second));
  ChainProvider chain(std::move(providers));
  EXPECT_EQ(chain.name(), "scripted, scripted");
  EXPECT_EQ(chain.load()->access_key_id, "AKIDSECOND");
  EXPECT_EQ(chain.load()->access_key_id, "AKIDSECOND");
  EXPECT_EQ(first_raw->calls.load(), 1);
  EXPECT_EQ(second_raw->calls.load(), 2);
}

}  // namespace
}  // namespace firebreak::aws
