#pragma once
// The hunt: reads every object of every source on all cores, keeps the events that pass the
// filter (and, when rules are given, match a Sigma rule) and hands them to the sink.
//
// Each worker owns its reader, decompressor and sink worker, so the hot path shares nothing.
// Objects are printed whole and in listing order. Memory stays bounded whatever the data
// size: a byte budget limits what is in flight at once, and documents too large to parse
// whole are read record by record.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/reader.h"
#include "firebreak/cloudtrail/sigma.h"
#include "firebreak/cloudtrail/sink.h"
#include "firebreak/cloudtrail/source.h"

namespace firebreak::cloudtrail {

struct HuntOptions {
  unsigned threads = 0;                   // 0: every core
  size_t memory_budget = 160u << 20;      // bytes of objects in flight (text, parser) at once
  size_t max_reported = 50;               // malformed records named on stderr; the rest counted
};

struct HuntStats {
  uint64_t objects = 0;
  uint64_t objects_skipped_by_literal = 0;  // could not contain a match: not parsed
  uint64_t unreadable = 0;                  // could not be fetched or decompressed
  uint64_t bytes_fetched = 0;
  uint64_t bytes_read = 0;                  // decompressed
  uint64_t records = 0;
  uint64_t matched = 0;
  uint64_t malformed = 0;
  uint64_t not_cloudtrail = 0;
};

// Where the hunt reports what it could not read; the default prints to stderr.
class HuntDiagnostics : public Diagnostics {
 public:
  virtual void unreadable(std::string_view name, std::string_view message) = 0;
};

std::unique_ptr<HuntDiagnostics> make_stderr_diagnostics(size_t max_reported);

HuntStats run_hunt(std::vector<std::unique_ptr<Source>>& sources, const Filter& filter,
                   const SigmaRules* rules, Sink& sink, std::FILE* out,
                   HuntDiagnostics& diagnostics, const HuntOptions& options = {});

}  // namespace firebreak::cloudtrail
