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
  bool prefetched = false;  // downloaded ahead by the Prefetcher
};

// Downloads the objects of network sources ahead of the workers that read them, many at once:
// a GET mostly waits (S3 takes tens of milliseconds to its first byte), so only far more
// downloads than cores keep the cores busy. Objects are admitted in listing order within a
// budget of their own: the object a worker waits for is never kept out by later ones, and
// the bodies waiting for a worker stay within the budget.
class Prefetcher {
 public:
  Prefetcher(std::vector<Item>& items, size_t budget) : items_(items), slots_(items.size()), total_(budget) {
    for (size_t i = 0; i < items.size(); ++i)
      if (items[i].prefetched) order_.push_back(i);
  }
  ~Prefetcher() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    admitted_.notify_all();
    threads_.clear();  // joins
  }

  void start(size_t threads) {
    threads = std::min(threads, order_.size());
    for (size_t t = 0; t < threads; ++t) threads_.emplace_back([this] { run(); });
  }

  // Blocks until item i is downloaded and moves its body into `out`. Throws Error with the
  // reason it could not be read.
  void take(size_t i, Buffer& out) {
    Slot& slot = slots_[i];
    std::unique_lock lock(mutex_);
    fetched_.wait(lock, [&] { return slot.done; });
    used_ -= slot.reserved;
    lock.unlock();
    admitted_.notify_all();
    if (!slot.error.empty()) throw Error(slot.error);
    out = std::move(slot.body);
  }

 private:
  struct Slot {
    Buffer body;
    std::string error;
    size_t reserved = 0;
    bool done = false;
  };

  void run() {
    while (true) {
      size_t i;
      {
        std::unique_lock lock(mutex_);
        admitted_.wait(lock, [&] {
          if (stopping_ || next_ == order_.size()) return true;
          size_t n = reservation(order_[next_]);
          return used_ == 0 || used_ + n <= total_;
        });
        if (stopping_ || next_ == order_.size()) return;
        i = order_[next_++];
        slots_[i].reserved = reservation(i);
        used_ += slots_[i].reserved;
      }
      Slot& slot = slots_[i];
      try {
        items_[i].source->fetch(items_[i].object, slot.body);
      } catch (const std::exception& e) {
        slot.error = e.what();
      }
      {
        std::lock_guard lock(mutex_);
        slot.done = true;
      }
      fetched_.notify_all();
    }
  }

  size_t reservation(size_t i) const { return std::max<uint64_t>(items_[i].object.size, 1); }

  std::vector<Item>& items_;
  std::vector<Slot> slots_;
  std::vector<size_t> order_;  // the indices of the prefetched items
  size_t next_ = 0;            // in order_
  size_t total_, used_ = 0;
  bool stopping_ = false;
  std::mutex mutex_;
  std::condition_variable admitted_, fetched_;
  std::vector<std::jthread> threads_;
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

  void run(std::vector<Item>& items, std::atomic<size_t>& next, Prefetcher& prefetcher, OrderedPrinter& printer,
           Budget& budget, HuntDiagnostics& diagnostics, HuntStats& stats) {
    std::string text;
    while (true) {
      size_t i = next.fetch_add(1);
      if (i >= items.size()) break;
      printer.wait_turn(i);
      read_item(items[i], i, prefetcher, budget, diagnostics, stats);
      sink_.end_object(text);
      printer.done(i, std::move(text));
      text = std::string();
    }
  }

  uint64_t matched() const { return matched_; }

 private:
  void read_item(Item& item, size_t index, Prefetcher& prefetcher, Budget& budget, HuntDiagnostics& diagnostics,
                 HuntStats& stats) {
    const std::string& name = item.object.name;
    ++stats.objects;
    // A prefetched body is in memory already, within the prefetcher's budget.
    size_t fetched_reservation = item.prefetched ? 0 : std::max<uint64_t>(item.object.size, 1);
    budget.acquire(fetched_reservation);
    try {
      if (item.prefetched) {
        prefetcher.take(index, fetched_);
      } else {
        item.source->fetch(item.object, fetched_);
      }
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
  unsigned downloads = 0;
  for (auto& source : sources) {
    const unsigned ahead = source->concurrent_fetches();
    for (SourceObject& object : source->list(scope)) items.push_back({source.get(), std::move(object), ahead > 0});
    downloads = std::max(downloads, ahead);
  }
  unsigned cores = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
  size_t thread_count = std::min<size_t>(std::max<size_t>(items.size(), 1), cores);
  // Downloaded bodies waiting for a worker get a quarter of the memory; reading them, the rest.
  const size_t download_budget = downloads ? options.memory_budget / 4 : 0;

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
  Budget budget(options.memory_budget - download_budget);
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

  {
    Prefetcher prefetcher(items, download_budget);
    prefetcher.start(downloads);
    std::vector<std::jthread> threads;
    for (size_t t = 0; t < thread_count; ++t) {
      threads.emplace_back([&, t] { workers[t]->run(items, next, prefetcher, printer, budget, locked, stats[t]); });
    }
  }
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
