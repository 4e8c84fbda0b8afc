#pragma once
// Sigma rules for CloudTrail (logsource product aws, service cloudtrail): field paths into the
// record, value lists, the contains/startswith/endswith/re/all/exists/cidr/fieldref modifiers
// and conditions with and/or/not, "1 of", "all of" and parentheses.
//
// Rules are compiled once; matching an event reads the fields the reader already extracted
// and parses the record again (into a per-thread DOM) only when a rule needs another field.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <simdjson.h>

#include "firebreak/cloudtrail/event.h"

namespace firebreak::cloudtrail {

struct RuleInfo {
  std::string title, id, level, path;
};

class CompiledRule;

class SigmaRules {
 public:
  // Per-thread state for matching: the lazily parsed record and scratch space.
  class Context {
   public:
    Context();
    ~Context();

   private:
    friend class SigmaRules;
    friend class CompiledRule;
    struct State;
    std::unique_ptr<State> state_;
  };

  SigmaRules();
  ~SigmaRules();
  SigmaRules(SigmaRules&&) noexcept;
  SigmaRules& operator=(SigmaRules&&) noexcept;

  // Every .yml/.yaml file under each path (a file or a directory). Rules for other log
  // sources are left out and counted. Throws InputError naming the file of a rule that
  // cannot be loaded and why.
  static SigmaRules load(const std::vector<std::string>& paths);
  // One rule from its text (`name` is used in errors and as its path).
  void add(std::string_view yaml, std::string_view name);

  size_t size() const;
  size_t skipped_other_logsources() const { return skipped_; }
  // Appends the rules the event matches.
  void match(const Event& event, Context& context, std::vector<const RuleInfo*>& out) const;

 private:
  std::vector<std::unique_ptr<CompiledRule>> rules_;
  size_t skipped_ = 0;
};

}  // namespace firebreak::cloudtrail
