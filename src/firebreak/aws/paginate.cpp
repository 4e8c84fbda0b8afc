// Pagination driven by botocore's paginators-1.json: input tokens are filled from the
// previous page's output tokens (JMESPath expressions) until a page has none.
#include <fmt/format.h>

#include "firebreak/aws/client.h"
#include "firebreak/aws/jmespath.h"
#include "firebreak/aws/model/model.h"
#include "firebreak/base/error.h"

namespace firebreak::aws {
namespace {

bool token_present(const Json& token) {
  return !token.is_null() && !(token.is_string() && token.get_ref<const std::string&>().empty());
}

// Sets a dotted path ("DistributionList.Items") inside `target`.
void set_path(Json& target, const std::string& path, Json value) {
  Json* at = &target;
  size_t start = 0;
  for (size_t dot = path.find('.'); dot != std::string::npos; dot = path.find('.', start)) {
    at = &(*at)[path.substr(start, dot - start)];
    start = dot + 1;
  }
  (*at)[path.substr(start)] = std::move(value);
}

}  // namespace

Pages::iterator::iterator(const Pages& pages) : pages_(&pages), input_(pages.input_) { fetch(); }

void Pages::iterator::fetch() {
  const model::Paginator& paginator = *model::service_model(pages_->client_.service()).paginator(pages_->operation_);
  page_ = pages_->client_.call(pages_->operation_, input_);
  last_ = true;
  // A missing "more results" flag (moto leaves IsTruncated out) means no more, as in boto3.
  if (!paginator.more_results.empty() && jmespath_search(paginator.more_results, page_) != true) return;
  Json next_input = input_;
  bool any_token = false;
  for (size_t i = 0; i < paginator.output_tokens.size() && i < paginator.input_tokens.size(); ++i) {
    Json token = jmespath_search(paginator.output_tokens[i], page_);
    if (token_present(token)) {
      any_token = true;
      next_input[paginator.input_tokens[i]] = token;
    } else {
      next_input.erase(paginator.input_tokens[i]);
    }
  }
  // A service that hands back the token it was given would loop forever.
  if (any_token && next_input != input_) {
    input_ = std::move(next_input);
    last_ = false;
  }
}

Pages::iterator& Pages::iterator::operator++() {
  if (last_) {
    done_ = true;
  } else {
    fetch();
  }
  return *this;
}

Json Pages::all() const {
  const model::Paginator& paginator = *model::service_model(client_.service()).paginator(operation_);
  Json result = Json::object();
  std::vector<Json> aggregated(paginator.result_keys.size(), Json::array());
  bool first = true;
  for (const Json& page : *this) {
    for (size_t i = 0; i < paginator.result_keys.size(); ++i) {
      Json items = jmespath_search(paginator.result_keys[i], page);
      if (items.is_array()) {
        for (auto& item : items) aggregated[i].push_back(std::move(item));
      }
    }
    if (first) {
      for (const auto& key : paginator.non_aggregate_keys) {
        Json value = jmespath_search(key, page);
        if (!value.is_null()) set_path(result, key, std::move(value));
      }
      first = false;
    }
  }
  for (size_t i = 0; i < paginator.result_keys.size(); ++i) {
    set_path(result, paginator.result_keys[i], std::move(aggregated[i]));
  }
  return result;
}

}  // namespace firebreak::aws
