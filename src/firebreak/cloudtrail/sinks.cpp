#include <algorithm>

#include <fmt/format.h>
#include <simdjson.h>

#include "firebreak/cloudtrail/sink.h"
#include "firebreak/cloudtrail/string_table.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::cloudtrail {
namespace {

// Counts by value. Counting a value seen before allocates nothing.
class Counts {
 public:
  void add(std::string_view key, uint64_t n = 1) {
    if (!key.empty()) table_[key] += n;
  }
  void merge(const Counts& other) {
    other.table_.for_each([&](std::string_view k, uint64_t v) { add(k, v); });
  }
  // Largest first, then by value.
  std::vector<std::pair<std::string, uint64_t>> sorted() const {
    std::vector<std::pair<std::string, uint64_t>> out;
    table_.for_each([&](std::string_view k, uint64_t v) { out.emplace_back(k, v); });
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    return out;
  }

 private:
  StringTable<uint64_t> table_;
};

std::string_view service_of(std::string_view event_source) {
  size_t dot = event_source.find(".amazonaws.com");
  return dot == std::string_view::npos ? event_source : event_source.substr(0, dot);
}

// "arn:aws:iam::123456789012:user/alice" reads as "123456789012:user/alice" in narrow columns.
std::string_view short_principal(std::string_view principal) {
  size_t colons = principal.starts_with("arn:") ? principal.find("::") : std::string_view::npos;
  return colons == std::string_view::npos ? principal : principal.substr(colons + 2);
}

void append_rules_json(std::string& out, RuleMatches rules) {
  out += '[';
  for (size_t i = 0; i < rules.size(); ++i) {
    if (i) out += ',';
    out += "{\"title\":";
    append_json_string(out, rules[i]->title);
    out += ",\"id\":";
    append_json_string(out, rules[i]->id);
    out += ",\"level\":";
    append_json_string(out, rules[i]->level);
    out += '}';
  }
  out += ']';
}

std::string rules_text(RuleMatches rules) {
  std::string out;
  for (const RuleInfo* rule : rules) {
    if (!out.empty()) out += "; ";
    out += fmt::format("{} [{}]", rule->title, rule->level);
  }
  return out;
}

// The record on one line; with Sigma matches, a "sigma" member naming the rules is added.
void append_event_json(std::string& out, const Event& event, RuleMatches rules) {
  std::string_view raw = event.raw;
  size_t at = out.size();
  if (raw.find_first_of("\r\n") == std::string_view::npos) {
    out += raw;
  } else {
    out.resize(at + raw.size());
    size_t written = 0;
    if (simdjson::minify(raw.data(), raw.size(), out.data() + at, written) != simdjson::SUCCESS) written = 0;
    out.resize(at + written);
    if (written == 0) out += raw;  // cannot happen for text the reader accepted
  }
  if (!rules.empty() && out.size() > at && out.back() == '}') {
    out.pop_back();
    out += out.back() == '{' ? "\"sigma\":" : ",\"sigma\":";
    append_rules_json(out, rules);
    out += '}';
  }
}

constexpr std::string_view kCsvHeader =
    "eventTime,eventSource,eventName,awsRegion,sourceIPAddress,userIdentityType,principal,"
    "accessKeyId,userAgent,errorCode,readOnly,eventID,sigmaRules\n";

void append_csv_row(std::string& out, const Event& e, RuleMatches rules) {
  std::string_view read_only = e.read_only == ReadOnly::kTrue    ? "true"
                               : e.read_only == ReadOnly::kFalse ? "false"
                                                                 : "";
  const std::string_view fields[] = {e.event_time, e.event_source, e.event_name, e.aws_region,
                                     e.source_ip, e.identity.type, principal_of(e),
                                     e.identity.access_key_id, e.user_agent, e.error_code,
                                     read_only, e.event_id};
  for (std::string_view f : fields) {
    append_csv_field(out, f);
    out += ',';
  }
  append_csv_field(out, rules_text(rules));
  out += '\n';
}

void append_json_line(std::string& out, const Event& e, RuleMatches rules) {
  append_event_json(out, e, rules);
  out += '\n';
}

// Fixed column widths: the table streams, so it cannot measure the rows first.
std::string fit(std::string_view text, size_t width) {
  if (text.size() <= width) return fmt::format("{:<{}}", text, width);
  return std::string(text.substr(0, width - 1)) + "~";
}

void append_table_row(std::string& out, const Event& e, RuleMatches rules) {
  std::string event = fmt::format("{}:{}", service_of(e.event_source), e.event_name);
  std::string row = fmt::format("{} {} {} {} {} {}", fit(e.event_time, 20), fit(event, 40),
                                fit(short_principal(principal_of(e)), 48), fit(e.aws_region, 14),
                                fit(e.source_ip, 39), e.error_code);
  if (!rules.empty()) row += (e.error_code.empty() ? "" : " ") + std::string(" <- ") + rules_text(rules);
  while (!row.empty() && row.back() == ' ') row.pop_back();
  out += row;
  out += '\n';
}

std::string table_header() {
  return fmt::format("{} {} {} {} {} {}", fit("TIME", 20), fit("EVENT", 40), fit("PRINCIPAL", 48), fit("REGION", 14),
                     fit("SOURCE IP", 39), "ERROR") +
         "\n";
}

// How an answer writes one matching event as a row (a JSON line, a CSV or a table row).
using AppendRow = void (*)(std::string& out, const Event& event, RuleMatches rules);

// The answers that are one row per matching event (jsonl, csv, table): each worker gathers an
// object's rows, handed over whole so that rows keep the object's order.
class RowSink final : public Sink {
 public:
  RowSink(AppendRow append, std::string header) : append_(append), header_(std::move(header)) {}

  std::unique_ptr<SinkWorker> make_worker() override { return std::make_unique<Worker>(append_); }
  std::string header() const override { return header_; }

 private:
  class Worker final : public SinkWorker {
   public:
    explicit Worker(AppendRow append) : append_(append) {}
    void matched(const Event& event, RuleMatches rules) override { append_(text_, event, rules); }
    void end_object(std::string& out) override {
      out += text_;
      text_.clear();
    }

   private:
    AppendRow append_;
    std::string text_;
  };

  AppendRow append_;
  std::string header_;
};

struct PrincipalStats {
  std::string type;
  int64_t first = INT64_MAX, last = INT64_MIN;
  uint64_t calls = 0, errors = 0;
  Counts events, regions, ips, agents, keys;

  void merge(const PrincipalStats& o) {
    if (type.empty()) type = o.type;
    first = std::min(first, o.first);
    last = std::max(last, o.last);
    calls += o.calls;
    errors += o.errors;
    events.merge(o.events);
    regions.merge(o.regions);
    ips.merge(o.ips);
    agents.merge(o.agents);
    keys.merge(o.keys);
  }
};

std::string time_text(int64_t t) {
  return t == INT64_MAX || t == INT64_MIN || t == kNoTime ? std::string("-") : format_event_time(t);
}

std::string counts_json(const Counts& counts) {
  std::string out = "{";
  for (const auto& [k, v] : counts.sorted()) {
    if (out.size() > 1) out += ',';
    append_json_string(out, k);
    out += fmt::format(":{}", v);
  }
  return out + "}";
}

std::string counts_text(const Counts& counts, size_t limit = 8) {
  std::string out;
  size_t shown = 0;
  auto sorted = counts.sorted();
  for (const auto& [k, v] : sorted) {
    if (shown++ == limit) break;
    if (!out.empty()) out += ", ";
    out += fmt::format("{} ({})", k, v);
  }
  if (sorted.size() > limit) out += fmt::format(", and {} more", sorted.size() - limit);
  return out.empty() ? "-" : out;
}

class SummarySink final : public Sink {
  class Worker final : public SinkWorker {
   public:
    void matched(const Event& e, RuleMatches) override {
      Principal& p = principals_[principal_of(e)];
      PrincipalStats& s = p.stats;
      if (s.type.empty() && !e.identity.type.empty()) s.type = e.identity.type;
      if (e.time != kNoTime) {
        s.first = std::min(s.first, e.time);
        s.last = std::max(s.last, e.time);
      }
      ++s.calls;
      s.errors += !e.error_code.empty();
      if (!e.event_name.empty()) {
        uint32_t& id = event_ids_[e.event_name];
        if (id == 0) {
          event_names_.emplace_back(e.event_name);
          id = static_cast<uint32_t>(event_names_.size());
        }
        if (p.calls_by_event.size() < id) p.calls_by_event.resize(event_names_.size());
        ++p.calls_by_event[id - 1];
      }
      s.regions.add(e.aws_region);
      s.ips.add(e.source_ip);
      s.agents.add(e.user_agent);
      s.keys.add(e.identity.access_key_id);
    }

    // Every principal calls most event names: a table of names per principal would spread
    // its lookups over far more memory than the cache holds. Names get an id once per worker
    // (a small table, always in cache) and a principal counts its calls by id.
    struct Principal {
      PrincipalStats stats;
      std::vector<uint64_t> calls_by_event;  // by event-name id - 1
    };
    StringTable<Principal> principals_;
    StringTable<uint32_t> event_ids_;  // 0: not seen yet
    std::vector<std::string> event_names_;
  };

 public:
  explicit SummarySink(bool json) : json_(json) {}
  std::unique_ptr<SinkWorker> make_worker() override { return std::make_unique<Worker>(); }

  void finish(std::vector<std::unique_ptr<SinkWorker>>& workers, std::FILE* out) override {
    StringTable<PrincipalStats> all;
    for (auto& w : workers) {
      const Worker& worker = static_cast<Worker&>(*w);
      worker.principals_.for_each([&](std::string_view principal, const Worker::Principal& p) {
        PrincipalStats& merged = all[principal];
        merged.merge(p.stats);
        for (size_t id = 0; id < p.calls_by_event.size(); ++id)
          if (p.calls_by_event[id]) merged.events.add(worker.event_names_[id], p.calls_by_event[id]);
      });
    }
    std::vector<std::pair<std::string, const PrincipalStats*>> rows;
    all.for_each([&](std::string_view principal, const PrincipalStats& stats) { rows.emplace_back(principal, &stats); });
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second->calls != b.second->calls ? a.second->calls > b.second->calls : a.first < b.first;
    });
    std::string text;
    if (json_) text += "[";
    for (size_t i = 0; i < rows.size(); ++i) {
      const auto& [principal, s] = rows[i];
      double rate = s->calls ? static_cast<double>(s->errors) / static_cast<double>(s->calls) : 0.0;
      if (json_) {
        text += i ? ",\n{" : "\n{";
        text += "\"principal\":";
        append_json_string(text, principal);
        text += ",\"type\":";
        append_json_string(text, s->type);
        text += fmt::format(",\"firstSeen\":\"{}\",\"lastSeen\":\"{}\",\"calls\":{},\"errors\":{},\"errorRate\":{:.4f}",
                            time_text(s->first), time_text(s->last), s->calls, s->errors, rate);
        text += ",\"eventNames\":" + counts_json(s->events) + ",\"regions\":" + counts_json(s->regions) +
                ",\"sourceIPs\":" + counts_json(s->ips) + ",\"userAgents\":" + counts_json(s->agents) +
                ",\"accessKeys\":" + counts_json(s->keys) + "}";
      } else {
        text += fmt::format(
            "{}{}\n  first seen   {}\n  last seen    {}\n  calls        {} ({} errors, {:.1f}%)\n"
            "  event names  {}\n  regions      {}\n  source IPs   {}\n  user agents  {}\n  access keys  {}\n\n",
            principal, s->type.empty() ? "" : " (" + s->type + ")", time_text(s->first), time_text(s->last),
            s->calls, s->errors, rate * 100, counts_text(s->events), counts_text(s->regions),
            counts_text(s->ips), counts_text(s->agents, 4), counts_text(s->keys));
      }
    }
    if (json_) text += rows.empty() ? "]\n" : "\n]\n";
    std::fwrite(text.data(), 1, text.size(), out);
  }

 private:
  bool json_;
};

// The rows of every matching event (JSON lines or table rows), sorted by time at the end.
class TimelineSink final : public Sink {
  class Worker final : public SinkWorker {
   public:
    explicit Worker(AppendRow append) : append_(append) {}
    void matched(const Event& e, RuleMatches rules) override {
      std::string line;
      append_(line, e, rules);
      entries_.emplace_back(e.time, std::move(line));
    }
    AppendRow append_;
    std::vector<std::pair<int64_t, std::string>> entries_;
  };

 public:
  TimelineSink(AppendRow append, std::string header) : append_(append), header_(std::move(header)) {}
  std::unique_ptr<SinkWorker> make_worker() override { return std::make_unique<Worker>(append_); }
  std::string header() const override { return header_; }

  void finish(std::vector<std::unique_ptr<SinkWorker>>& workers, std::FILE* out) override {
    std::vector<std::pair<int64_t, std::string>> all;
    for (auto& w : workers) {
      auto& entries = static_cast<Worker&>(*w).entries_;
      std::move(entries.begin(), entries.end(), std::back_inserter(all));
      entries.clear();
    }
    std::sort(all.begin(), all.end());
    for (const auto& [time, line] : all) std::fwrite(line.data(), 1, line.size(), out);
  }

 private:
  AppendRow append_;
  std::string header_;
};

// What an event created or changed, for "review AWS resources": the ARNs in `resources`, the
// identifiers at the top of requestParameters (the call's target) and every identifier in
// responseElements (what it made). Identifiers are members named *Id, *Name, *Arn or *ARN,
// less those that name context rather than a resource.
class ResourceFinder {
 public:
  template <typename F>
  void find(const Event& e, F&& found) {
    if (e.read_only == ReadOnly::kTrue) return;
    if (e.read_only == ReadOnly::kUnknown) {
      for (std::string_view verb : {"Get", "List", "Describe", "Head", "Lookup", "Search", "Batch Get"})
        if (e.event_name.starts_with(verb)) return;
    }
    simdjson::dom::element root;
    if (!e.resources.empty() && !parser_.parse(e.resources.data(), e.resources.size(), false).get(root)) {
      simdjson::dom::array array;
      if (!root.get_array().get(array)) {
        for (simdjson::dom::element item : array) {
          std::string_view arn;
          if (!item["ARN"].get_string().get(arn)) found("ARN", arn);
        }
      }
    }
    if (!e.request_parameters.empty() && !parser_.parse(e.request_parameters.data(), e.request_parameters.size(), false).get(root))
      walk(root, 1, found);
    if (!e.response_elements.empty() && !parser_.parse(e.response_elements.data(), e.response_elements.size(), false).get(root))
      walk(root, 6, found);
  }

 private:
  static bool is_identifier(std::string_view key) {
    static constexpr std::string_view kContext[] = {
        "requestId", "ownerId", "requesterId", "imageId", "kernelId", "ramdiskId", "accountId",
        "principalId", "clientToken", "clientRequestToken", "regionName", "keyName", "x-amz-id-2",
        "availabilityZoneId", "callerReference"};
    if (std::find(std::begin(kContext), std::end(kContext), key) != std::end(kContext)) return false;
    return key == "name" || key.ends_with("Id") || key.ends_with("Name") || key.ends_with("Arn") ||
           key.ends_with("ARN");
  }

  template <typename F>
  void walk(simdjson::dom::element e, int depth, F&& found) {
    if (depth == 0) return;
    simdjson::dom::array array;
    if (!e.get_array().get(array)) {
      for (simdjson::dom::element child : array) walk(child, depth, found);
      return;
    }
    simdjson::dom::object object;
    if (e.get_object().get(object)) return;
    for (auto [key, value] : object) {
      std::string_view text;
      if (!value.get_string().get(text)) {
        if (!text.empty() && is_identifier(key)) found(key, text);
      } else {
        walk(value, depth - 1, found);
      }
    }
  }

  simdjson::dom::parser parser_;
};

struct ResourceStats {
  std::string kind, service;
  int64_t first = INT64_MAX, last = INT64_MIN;
  uint64_t events = 0;
  Counts actions, principals;

  void merge(const ResourceStats& o) {
    if (kind.empty()) kind = o.kind, service = o.service;
    first = std::min(first, o.first);
    last = std::max(last, o.last);
    events += o.events;
    actions.merge(o.actions);
    principals.merge(o.principals);
  }
};

class ResourcesSink final : public Sink {
  class Worker final : public SinkWorker {
   public:
    void matched(const Event& e, RuleMatches) override {
      finder_.find(e, [&](std::string_view kind, std::string_view id) {
        ResourceStats& r = resources_[id];
        if (r.kind.empty()) {
          r.kind = kind;
          r.service = service_of(e.event_source);
        }
        if (e.time != kNoTime) {
          r.first = std::min(r.first, e.time);
          r.last = std::max(r.last, e.time);
        }
        ++r.events;
        r.actions.add(e.event_name);
        r.principals.add(principal_of(e));
      });
    }
    ResourceFinder finder_;
    StringTable<ResourceStats> resources_;
  };

 public:
  explicit ResourcesSink(bool json) : json_(json) {}
  bool needs_nested_members() const override { return true; }
  std::unique_ptr<SinkWorker> make_worker() override { return std::make_unique<Worker>(); }

  void finish(std::vector<std::unique_ptr<SinkWorker>>& workers, std::FILE* out) override {
    StringTable<ResourceStats> all;
    for (auto& w : workers)
      static_cast<Worker&>(*w).resources_.for_each(
          [&](std::string_view id, const ResourceStats& stats) { all[id].merge(stats); });
    std::vector<std::pair<std::string, const ResourceStats*>> rows;
    all.for_each([&](std::string_view id, const ResourceStats& stats) { rows.emplace_back(id, &stats); });
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
      return a.second->first != b.second->first ? a.second->first < b.second->first : a.first < b.first;
    });
    std::string text;
    if (json_) {
      text += "[";
      for (size_t i = 0; i < rows.size(); ++i) {
        const auto& [id, r] = rows[i];
        text += i ? ",\n{" : "\n{";
        text += "\"resource\":";
        append_json_string(text, id);
        text += ",\"kind\":";
        append_json_string(text, r->kind);
        text += ",\"service\":";
        append_json_string(text, r->service);
        text += fmt::format(",\"firstSeen\":\"{}\",\"lastSeen\":\"{}\",\"events\":{}", time_text(r->first),
                            time_text(r->last), r->events);
        text += ",\"eventNames\":" + counts_json(r->actions) + ",\"principals\":" + counts_json(r->principals) + "}";
      }
      text += rows.empty() ? "]\n" : "\n]\n";
    } else {
      text += fmt::format("{} {} {} {} {}\n", fit("FIRST SEEN", 20), fit("SERVICE", 16), fit("KIND", 24),
                          fit("RESOURCE", 60), "CHANGED BY");
      for (const auto& [id, r] : rows) {
        text += fmt::format("{} {} {} {} {}: {}\n", fit(time_text(r->first), 20), fit(r->service, 16),
                            fit(r->kind, 24), fit(id, 60), counts_text(r->actions, 4),
                            counts_text(r->principals, 2));
      }
    }
    std::fwrite(text.data(), 1, text.size(), out);
  }

 private:
  bool json_;
};

}  // namespace

std::unique_ptr<Sink> make_sink(Answer answer, bool json) {
  switch (answer) {
    case Answer::kTable: return std::make_unique<RowSink>(append_table_row, table_header());
    case Answer::kJsonLines: return std::make_unique<RowSink>(append_json_line, "");
    case Answer::kCsv: return std::make_unique<RowSink>(append_csv_row, std::string(kCsvHeader));
    case Answer::kSummary: return std::make_unique<SummarySink>(json);
    case Answer::kTimeline:
      return json ? std::make_unique<TimelineSink>(append_json_line, "")
                  : std::make_unique<TimelineSink>(append_table_row, table_header());
    case Answer::kResources: return std::make_unique<ResourcesSink>(json);
  }
  return nullptr;
}

}  // namespace firebreak::cloudtrail
