#include "firebreak/cloudtrail/hunt.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/cloudtrail/decode.h"

namespace firebreak::cloudtrail {
namespace {

class StderrDiagnostics final : public HuntDiagnostics {
 public:
  explicit StderrDiagnostics(size_t max_reported) : max_reported_(max_reported) {}
  ~StderrDiagnostics() override {
    if (reported_ > max_reported_)
      fmt::print(stderr, "firebreak: {} more problems not shown\n", reported_ - max_reported_);
  }

  void malformed(std::string_view name, uint64_t line, uint64_t column, std::string_view message) override {
    print(fmt::format("{}:{}:{}: {}", name, line, column, message));
  }
  void unreadable(std::string_view name, std::string_view message) override {
    print(fmt::format("{}: skipped: {}", name, message));
  }

 private:
  void print(const std::string& text) {
    std::lock_guard lock(mutex_);
    if (reported_++ < max_reported_) fmt::print(stderr, "firebreak: {}\n", text);
  }

  std::mutex mutex_;
  size_t max_reported_;
  size_t reported_ = 0;
};

// Bytes in flight. A request larger than the whole budget still runs, alone.
class Budget {
 public:
  explicit Budget(size_t total) : total_(total) {}
  void acquire(size_t n) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return used_ == 0 || used_ + n <= total_; });
    used_ += n;
  }
  void release(size_t n) {
    {
      std::lock_guard lock(mutex_);
      used_ -= n;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t total_;
  size_t used_ = 0;
};

struct Item {
  Source* source;
  SourceObject object;
};

// Prints each object's text in listing order; holds back at most `window` objects.
class OrderedPrinter {
 public:
  OrderedPrinter(std::FILE* out, size_t window) : out_(out), window_(window) {}

  // Blocks until item i is within the window of the next one to print.
  void wait_turn(size_t i) {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [&] { return i < next_ + window_; });
  }

  void done(size_t i, std::string text) {
    std::unique_lock lock(mutex_);
    pending_.emplace(i, std::move(text));
    while (!pending_.empty() && pending_.begin()->first == next_) {
      const std::string& t = pending_.begin()->second;
      if (!t.empty()) std::fwrite(t.data(), 1, t.size(), out_);
      pending_.erase(pending_.begin());
      ++next_;
    }
    lock.unlock();
    cv_.notify_all();
  }

 private:
  std::FILE* out_;
  size_t window_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::map<size_t, std::string> pending_;
  size_t next_ = 0;
};

class Worker final : public EventHandler {
 public:
  Worker(const Filter& filter, const SigmaRules* rules, SinkWorker& sink, ReaderOptions reader)
      : filter_(filter), rules_(rules), sink_(sink), reader_options_(reader), reader_(reader) {}

  void on_event(const Event& event) override {
    if (!filter_.matches(event)) return;
    if (rules_) {
      hits_.clear();
      rules_->match(event, context_, hits_);
      if (hits_.empty()) return;
    }
    ++matched_;
    sink_.matched(event, hits_);
  }

  void run(std::vector<Item>& items, std::atomic<size_t>& next, OrderedPrinter& printer,
           Budget& budget, HuntDiagnostics& diagnostics, HuntStats& stats) {
    std::string text;
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= items.size()) break;
      printer.wait_turn(i);
      read_item(items[i], budget, diagnostics, stats);
      sink_.end_object(text);
      printer.done(i, std::move(text));
      text = std::string();
    }
  }

  uint64_t matched() const { return matched_; }

 private:
  void read_item(Item& item, Budget& budget, HuntDiagnostics& diagnostics, HuntStats& stats) {
    const std::string& name = item.object.name;
    ++stats.objects;
    size_t fetched_reservation = std::max<uint64_t>(item.object.size, 1);
    budget.acquire(fetched_reservation);
    try {
      item.source->fetch(item.object, fetched_);
    } catch (const std::exception& e) {
      budget.release(fetched_reservation);
      ++stats.unreadable;
      diagnostics.unreadable(name, e.what());
      return;
    }
    stats.bytes_fetched += fetched_.size();
    // Now that the size is known, the object, its text and the parser's index over it (up to
    // a whole-document size) take their share of the budget. Released and taken again as one
    // request, so no worker waits while holding part of the budget.
    budget.release(fetched_reservation);
    bool gzip = is_gzip(fetched_.view());
    size_t text_size = gzip ? std::max(gzip_size_hint(fetched_.view()), fetched_.size()) : fetched_.size();
    size_t reservation = fetched_.size() + (gzip ? text_size : 0) +
                         std::min(text_size, reader_options_.max_whole_document) * 2;
    budget.acquire(reservation);
    Buffer* text = &fetched_;
    if (gzip) {
      std::string error = decompressor_.gunzip(fetched_.view(), text_);
      if (!error.empty()) {
        ++stats.malformed;  // broken data, like a malformed record: not a failure to read
        diagnostics.unreadable(name, error);
        text = nullptr;
      } else {
        text = &text_;
      }
    }
    if (text) {
      stats.bytes_read += text->size();
      if (could_match(text->view())) {
        ReadCounts counts = reader_.read(name, text->view(), *this, diagnostics);
        stats.records += counts.records;
        stats.malformed += counts.malformed;
        stats.not_cloudtrail += counts.not_cloudtrail;
      } else {
        ++stats.objects_skipped_by_literal;
      }
    }
    // A rare huge object must not keep its memory after it is done.
    fetched_.shrink_if_above(kKeep);
    text_.shrink_if_above(kKeep);
    if (text_size > kKeep) reader_ = RecordReader(reader_options_);
    budget.release(reservation);
  }

  // False when the text lacks every literal a match needs (a fast scan, no parsing).
  bool could_match(std::string_view text) const {
    const auto& literals = filter_.required_literals();
    if (literals.empty()) return true;
    return std::any_of(literals.begin(), literals.end(), [&](const std::string& literal) {
      return memmem(text.data(), text.size(), literal.data(), literal.size()) != nullptr;
    });
  }

  static constexpr size_t kKeep = 8u << 20;

  const Filter& filter_;
  const SigmaRules* rules_;
  SinkWorker& sink_;
  SigmaRules::Context context_;
  std::vector<const RuleInfo*> hits_;
  ReaderOptions reader_options_;
  RecordReader reader_;
  Decompressor decompressor_;
  Buffer fetched_, text_;
  uint64_t matched_ = 0;
};

}  // namespace

std::unique_ptr<HuntDiagnostics> make_stderr_diagnostics(size_t max_reported) {
  return std::make_unique<StderrDiagnostics>(max_reported);
}

HuntStats run_hunt(std::vector<std::unique_ptr<Source>>& sources, const Filter& filter,
                   const SigmaRules* rules, Sink& sink, std::FILE* out,
                   HuntDiagnostics& diagnostics, const HuntOptions& options) {
  Scope scope = filter.scope();
  std::vector<Item> items;
  unsigned fetches_per_core = 1;
  for (auto& source : sources) {
    for (SourceObject& object : source->list(scope)) items.push_back({source.get(), std::move(object)});
    fetches_per_core = std::max(fetches_per_core, source->fetches_per_core());
  }
  unsigned cores = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  size_t thread_count = std::min<size_t>(std::max<size_t>(items.size(), 1), cores * fetches_per_core);

  std::string header = sink.header();
  if (!header.empty()) std::fwrite(header.data(), 1, header.size(), out);

  std::vector<std::unique_ptr<SinkWorker>> sink_workers;
  std::vector<std::unique_ptr<Worker>> workers;
  std::vector<HuntStats> stats(thread_count);
  for (size_t t = 0; t < thread_count; ++t) {
    sink_workers.push_back(sink.make_worker());
    ReaderOptions reader;
    reader.nested_members = sink.needs_nested_members() || filter.needs_nested_members();
    reader.required_literals = filter.required_literals();
    workers.push_back(std::make_unique<Worker>(filter, rules, *sink_workers.back(), reader));
  }
  std::atomic<size_t> next{0};
  OrderedPrinter printer(out, thread_count * 4);
  Budget budget(options.memory_budget);
  // Diagnostics may be called from any worker: serialize them.
  struct Locked final : HuntDiagnostics {
    explicit Locked(HuntDiagnostics& d) : inner(d) {}
    void malformed(std::string_view n, uint64_t l, uint64_t c, std::string_view m) override {
      std::lock_guard lock(mutex);
      inner.malformed(n, l, c, m);
    }
    void unreadable(std::string_view n, std::string_view m) override {
      std::lock_guard lock(mutex);
      inner.unreadable(n, m);
    }
    HuntDiagnostics& inner;
    std::mutex mutex;
  } locked(diagnostics);

  std::vector<std::thread> threads;
  for (size_t t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] { workers[t]->run(items, next, printer, budget, locked, stats[t]); });
  }
  for (auto& thread : threads) thread.join();
  std::fflush(out);
  sink.finish(sink_workers, out);
  std::fflush(out);

  HuntStats total;
  for (size_t t = 0; t < thread_count; ++t) {
    const HuntStats& s = stats[t];
    total.objects += s.objects;
    total.objects_skipped_by_literal += s.objects_skipped_by_literal;
    total.unreadable += s.unreadable;
    total.bytes_fetched += s.bytes_fetched;
    total.bytes_read += s.bytes_read;
    total.records += s.records;
    total.malformed += s.malformed;
    total.not_cloudtrail += s.not_cloudtrail;
    total.matched += workers[t]->matched();
  }
  return total;
}

}  // namespace firebreak::cloudtrail
