#pragma once
// JMESPath, the query language of botocore's paginators and waiters and of `--query`:
// identifiers, sub-expressions, indexes, slices, flatten ([]), wildcards, filters ([?...]),
// comparisons, || && !, pipes, multi-select lists and hashes, literals, and the functions
// length, contains, starts_with, ends_with, keys, values, join, sort, not_null, to_string, type.
#include <memory>
#include <string>
#include <string_view>

#include "firebreak/base/json.h"

namespace firebreak::aws {

class JmesPath {
 public:
  // Throws InputError naming the position when the expression is not valid.
  explicit JmesPath(std::string_view expression);
  ~JmesPath();
  JmesPath(JmesPath&&) noexcept;
  JmesPath& operator=(JmesPath&&) noexcept;

  Json search(const Json& data) const;
  const std::string& expression() const { return expression_; }

  struct Node;

 private:
  std::string expression_;
  std::unique_ptr<Node> root_;
};

// One-off search (parses the expression each time).
Json jmespath_search(std::string_view expression, const Json& data);

}  // namespace firebreak::aws
