#pragma once
// Sinks: what the hunt does with matching events. Each worker thread gets its own SinkWorker
// and tells it about every match; after each object the worker hands over the text to print
// for it (the hunt prints objects in order). Answers that need every match (summary,
// timeline, resources) merge the workers' results in finish().
#include <cstdio>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "firebreak/cloudtrail/event.h"
#include "firebreak/cloudtrail/sigma.h"

namespace firebreak::cloudtrail {

using RuleMatches = std::span<const RuleInfo* const>;

class SinkWorker {
 public:
  virtual ~SinkWorker() = default;
  virtual void matched(const Event& event, RuleMatches rules) = 0;
  // Appends what to print for the object just read.
  virtual void end_object(std::string& out) {}
};

class Sink {
 public:
  virtual ~Sink() = default;
  virtual std::unique_ptr<SinkWorker> make_worker() = 0;
  // Whether matches must carry requestParameters, responseElements and resources.
  virtual bool needs_nested_members() const { return false; }
  // Printed before any object's text.
  virtual std::string header() const { return {}; }
  // Called once after every object was read, with every worker made.
  virtual void finish(std::vector<std::unique_ptr<SinkWorker>>& workers, std::FILE* out) {}
};

enum class Answer { kTable, kJsonLines, kCsv, kSummary, kTimeline, kResources };

// `json`: print summary, timeline and resources as JSON instead of text.
std::unique_ptr<Sink> make_sink(Answer answer, bool json);

}  // namespace firebreak::cloudtrail
