#include "firebreak/playbooks/s3/access_evaluation.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <map>
#include <tuple>
#include <utility>

#include <fmt/format.h>

#include "firebreak/base/error.h"
#include "firebreak/base/time.h"
#include "firebreak/cloudtrail/ip.h"
#include "firebreak/cloudtrail/text.h"

namespace firebreak::playbooks::s3 {
namespace {

using cloudtrail::ascii_lower;
using cloudtrail::iequals;

// ---------------------------------------------------------------------------------------------
// Matching text the way IAM does: * and ? wildcards, no escape character.

bool wildcard_match(std::string_view pattern, std::string_view text, bool ignore_case) {
  auto same = [ignore_case](char a, char b) { return ignore_case ? ascii_lower(a) == ascii_lower(b) : a == b; };
  // One backtrack point (the last *) keeps this linear for the patterns policies use.
  size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (p < pattern.size() && (pattern[p] == '?' || same(pattern[p], text[t]))) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool has_wildcard(std::string_view text) { return text.find_first_of("*?") != std::string_view::npos; }

// arn:partition:service:region:account:resource, the resource keeping its own colons.
std::vector<std::string_view> arn_parts(std::string_view arn) {
  std::vector<std::string_view> parts;
  while (parts.size() < 5) {
    size_t colon = arn.find(':');
    if (colon == std::string_view::npos) break;
    parts.push_back(arn.substr(0, colon));
    arn.remove_prefix(colon + 1);
  }
  parts.push_back(arn);
  return parts;
}

// ArnLike and Resource matching: case-sensitive, each of the six parts matched on its own; a
// pattern with fewer parts lets its last part (ending in *) run over the remaining colons.
bool arn_match(std::string_view pattern, std::string_view arn) {
  std::vector<std::string_view> want = arn_parts(pattern), have = arn_parts(arn);
  if (have.size() < 6 || want.size() > have.size()) return wildcard_match(pattern, arn, false);
  for (size_t i = 0; i + 1 < want.size(); ++i) {
    if (!wildcard_match(want[i], have[i], false)) return false;
  }
  size_t last = want.size() - 1;
  std::string_view rest = arn.substr(static_cast<size_t>(have[last].data() - arn.data()));
  return wildcard_match(want[last], rest, false);
}

bool is_account_id(std::string_view text) {
  return text.size() == 12 && std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A policy element that is one string or a list of them.
std::vector<std::string> strings_of(const Json& element) {
  std::vector<std::string> out;
  auto add = [&out](const Json& value) {
    if (value.is_string()) {
      out.push_back(value.get<std::string>());
    } else if (value.is_boolean()) {
      out.push_back(value.get<bool>() ? "true" : "false");
    } else if (value.is_number()) {
      out.push_back(value.dump());
    }
  };
  if (element.is_array()) {
    for (const Json& value : element) add(value);
  } else {
    add(element);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Who is asking.

struct Caller {
  enum class Kind { kAnonymous, kService, kRoot, kUser, kRole, kRoleSession, kOther };
  Kind kind = Kind::kAnonymous;
  std::string arn;        // as given; the service name for a service
  std::string partition;  // "aws"
  std::string account;
  std::string role_name;  // a role's or a role session's role
  std::string canonical_user_id;

  bool is_iam_identity() const { return kind != Kind::kAnonymous && kind != Kind::kService; }
};

Caller parse_caller(const AccessRequest& request) {
  Caller caller;
  caller.arn = request.principal_arn;
  caller.canonical_user_id = request.canonical_user_id;
  std::string_view arn = caller.arn;
  if (arn.empty()) return caller;
  if (!arn.starts_with("arn:") && arn.ends_with(".amazonaws.com")) {
    caller.kind = Caller::Kind::kService;
    return caller;
  }
  std::vector<std::string_view> parts = arn_parts(arn);
  auto bad = [&] {
    return InputError(fmt::format("principal {:?} is not an IAM or STS principal ARN "
                                  "(arn:aws:iam::ACCOUNT:user/NAME, ...:assumed-role/ROLE/SESSION, ...:root)",
                                  arn));
  };
  if (parts.size() != 6 || parts[0] != "arn" || parts[1].empty() || !parts[3].empty() || !is_account_id(parts[4])) {
    throw bad();
  }
  caller.partition = std::string(parts[1]);
  caller.account = std::string(parts[4]);
  std::string_view service = parts[2], resource = parts[5];
  auto after = [&](std::string_view prefix) { return resource.substr(prefix.size()); };
  if (service == "iam" && resource == "root") {
    caller.kind = Caller::Kind::kRoot;
  } else if (service == "iam" && resource.starts_with("user/") && resource.size() > 5) {
    caller.kind = Caller::Kind::kUser;
  } else if (service == "iam" && resource.starts_with("role/") && resource.size() > 5) {
    caller.kind = Caller::Kind::kRole;
    caller.role_name = std::string(resource.substr(resource.rfind('/') + 1));
  } else if (service == "sts" && resource.starts_with("assumed-role/") &&
             after("assumed-role/").find('/') != std::string_view::npos) {
    caller.kind = Caller::Kind::kRoleSession;
    std::string_view rest = after("assumed-role/");
    caller.role_name = std::string(rest.substr(0, rest.find('/')));
  } else if (service == "sts" && resource.starts_with("federated-user/")) {
    caller.kind = Caller::Kind::kOther;
  } else {
    throw bad();
  }
  return caller;
}

// How a Principal element names the caller, weakest first. Naming the caller's account delegates
// to the account: its identities still need an identity policy allow.
enum class PrincipalMatch { kNone, kAccount, kPublic, kExact };

// One "AWS" principal entry: "*", an account id, arn:...:root, a user, role or session ARN.
// IAM accepts no other wildcard in principals, so such entries name nobody.
PrincipalMatch match_aws_principal(std::string_view entry, const Caller& caller) {
  if (entry == "*") return PrincipalMatch::kPublic;
  if (!caller.is_iam_identity()) return PrincipalMatch::kNone;
  if (is_account_id(entry)) return entry == caller.account ? PrincipalMatch::kAccount : PrincipalMatch::kNone;
  std::vector<std::string_view> parts = arn_parts(entry);
  if (parts.size() != 6 || parts[4] != caller.account) return PrincipalMatch::kNone;
  if (parts[2] == "iam" && parts[5] == "root") return PrincipalMatch::kAccount;
  if (entry == caller.arn) return PrincipalMatch::kExact;
  // A role ARN (its path included) names every session of the role.
  if (parts[2] == "iam" && parts[5].starts_with("role/") && !caller.role_name.empty() &&
      parts[5].substr(parts[5].rfind('/') + 1) == caller.role_name) {
    return PrincipalMatch::kExact;
  }
  return PrincipalMatch::kNone;
}

PrincipalMatch match_principal(const Json& principal, const Caller& caller) {
  if (principal.is_string()) return principal == "*" ? PrincipalMatch::kPublic : PrincipalMatch::kNone;
  if (!principal.is_object()) return PrincipalMatch::kNone;
  PrincipalMatch best = PrincipalMatch::kNone;
  for (const auto& [type, entries] : principal.items()) {
    for (const std::string& entry : strings_of(entries)) {
      PrincipalMatch match = PrincipalMatch::kNone;
      if (type == "AWS") {
        match = match_aws_principal(entry, caller);
      } else if (entry == "*") {
        match = PrincipalMatch::kPublic;
      } else if (type == "Service") {
        match = caller.kind == Caller::Kind::kService && iequals(entry, caller.arn) ? PrincipalMatch::kExact
                                                                                     : PrincipalMatch::kNone;
      } else if (type == "CanonicalUser") {
        match = !caller.canonical_user_id.empty() && entry == caller.canonical_user_id ? PrincipalMatch::kAccount
                                                                                         : PrincipalMatch::kNone;
      }
      best = std::max(best, match);
    }
  }
  return best;
}

// NotPrincipal leaves out a caller only when it lists every identity AWS evaluates for it: the
// user or session itself, a session's role, and the account (AWS's documented examples list all).
bool not_principal_excludes(const Json& not_principal, const Caller& caller) {
  if (match_principal(not_principal, caller) == PrincipalMatch::kPublic) return true;
  bool self = false, role = false, account = false;
  if (not_principal.is_object()) {
    for (const auto& [type, entries] : not_principal.items()) {
      for (const std::string& entry : strings_of(entries)) {
        if (type == "Service" && caller.kind == Caller::Kind::kService && iequals(entry, caller.arn)) self = true;
        if (type != "AWS" || !caller.is_iam_identity()) continue;
        PrincipalMatch match = match_aws_principal(entry, caller);
        if (match == PrincipalMatch::kAccount) account = true;
        if (match == PrincipalMatch::kExact) (entry == caller.arn ? self : role) = true;
      }
    }
  }
  switch (caller.kind) {
    case Caller::Kind::kAnonymous: return false;
    case Caller::Kind::kService: return self;
    case Caller::Kind::kRoot: return account;
    case Caller::Kind::kRoleSession: return self && role && account;
    default: return self && account;
  }
}

// ---------------------------------------------------------------------------------------------
// Conditions.

// The request context with keys lower-cased (condition keys ignore case) and values as strings.
using Context = std::map<std::string, std::vector<std::string>, std::less<>>;

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ascii_lower);
  return out;
}

Context make_context(const AccessRequest& request, const Caller& caller, const BucketAccessState& state) {
  Context context;
  if (request.context.is_object()) {
    for (const auto& [key, value] : request.context.items()) {
      if (!value.is_null()) context[lower(key)] = strings_of(value);
    }
  }
  auto fill = [&context](std::string_view key, std::string value) {
    if (!value.empty()) context.try_emplace(lower(key), std::vector<std::string>{std::move(value)});
  };
  fill("aws:ResourceAccount", state.owner_account);
  if (caller.kind == Caller::Kind::kService) fill("aws:PrincipalServiceName", caller.arn);
  if (!caller.is_iam_identity()) return context;
  fill("aws:PrincipalAccount", caller.account);
  if (caller.kind != Caller::Kind::kRoleSession) fill("aws:PrincipalArn", caller.arn);
  if (caller.kind == Caller::Kind::kUser) fill("aws:username", caller.arn.substr(caller.arn.rfind('/') + 1));
  constexpr std::array<std::string_view, 7> kTypes = {"", "", "Account", "User", "AssumedRole", "AssumedRole",
                                                      "FederatedUser"};
  fill("aws:PrincipalType", std::string(kTypes[static_cast<size_t>(caller.kind)]));
  return context;
}

// Policy variables (${aws:username}, ${s3:prefix, 'default'}) replaced from the context; nullopt
// when one has no value, which AWS treats as a value that matches nothing.
std::optional<std::string> substitute(std::string_view text, const Context& context) {
  std::string out;
  while (true) {
    size_t open = text.find("${");
    size_t close = open == std::string_view::npos ? open : text.find('}', open);
    if (close == std::string_view::npos) break;
    out += text.substr(0, open);
    std::string_view inner = text.substr(open + 2, close - open - 2);
    if (inner == "*" || inner == "?" || inner == "$") {
      out += inner;
    } else {
      std::optional<std::string> fallback;
      if (size_t comma = inner.find(','); comma != std::string_view::npos) {
        std::string_view quoted = inner.substr(comma + 1);
        size_t first = quoted.find('\''), last = quoted.rfind('\'');
        if (first != last) fallback = std::string(quoted.substr(first + 1, last - first - 1));
        inner = inner.substr(0, comma);
        while (!inner.empty() && inner.back() == ' ') inner.remove_suffix(1);
      }
      auto found = context.find(lower(inner));
      if (found != context.end() && found->second.size() == 1) {
        out += found->second.front();
      } else if (fallback) {
        out += *fallback;
      } else {
        return std::nullopt;
      }
    }
    text.remove_prefix(close + 1);
  }
  out += text;
  return out;
}

enum class Family { kString, kStringIgnoreCase, kStringLike, kNumeric, kDate, kBool, kBinary, kIp, kArn, kNull };
enum class Compare { kEquals, kLess, kLessEquals, kGreater, kGreaterEquals };

struct OperatorSpec {
  std::string_view name;
  Family family;
  Compare compare;
  bool negated;
};

constexpr std::array<OperatorSpec, 27> kOperators = {{
    {"StringEquals", Family::kString, Compare::kEquals, false},
    {"StringNotEquals", Family::kString, Compare::kEquals, true},
    {"StringEqualsIgnoreCase", Family::kStringIgnoreCase, Compare::kEquals, false},
    {"StringNotEqualsIgnoreCase", Family::kStringIgnoreCase, Compare::kEquals, true},
    {"StringLike", Family::kStringLike, Compare::kEquals, false},
    {"StringNotLike", Family::kStringLike, Compare::kEquals, true},
    {"NumericEquals", Family::kNumeric, Compare::kEquals, false},
    {"NumericNotEquals", Family::kNumeric, Compare::kEquals, true},
    {"NumericLessThan", Family::kNumeric, Compare::kLess, false},
    {"NumericLessThanEquals", Family::kNumeric, Compare::kLessEquals, false},
    {"NumericGreaterThan", Family::kNumeric, Compare::kGreater, false},
    {"NumericGreaterThanEquals", Family::kNumeric, Compare::kGreaterEquals, false},
    {"DateEquals", Family::kDate, Compare::kEquals, false},
    {"DateNotEquals", Family::kDate, Compare::kEquals, true},
    {"DateLessThan", Family::kDate, Compare::kLess, false},
    {"DateLessThanEquals", Family::kDate, Compare::kLessEquals, false},
    {"DateGreaterThan", Family::kDate, Compare::kGreater, false},
    {"DateGreaterThanEquals", Family::kDate, Compare::kGreaterEquals, false},
    {"Bool", Family::kBool, Compare::kEquals, false},
    {"BinaryEquals", Family::kBinary, Compare::kEquals, false},
    {"IpAddress", Family::kIp, Compare::kEquals, false},
    {"NotIpAddress", Family::kIp, Compare::kEquals, true},
    {"ArnEquals", Family::kArn, Compare::kEquals, false},
    {"ArnLike", Family::kArn, Compare::kEquals, false},
    {"ArnNotEquals", Family::kArn, Compare::kEquals, true},
    {"ArnNotLike", Family::kArn, Compare::kEquals, true},
    {"Null", Family::kNull, Compare::kEquals, false},
}};

enum class SetQualifier { kNone, kForAnyValue, kForAllValues };

struct ParsedOperator {
  const OperatorSpec* spec = nullptr;  // null: not an operator AWS has
  SetQualifier set = SetQualifier::kNone;
  bool if_exists = false;
};

ParsedOperator parse_operator(std::string_view name) {
  ParsedOperator parsed;
  if (name.starts_with("ForAnyValue:")) {
    parsed.set = SetQualifier::kForAnyValue;
    name.remove_prefix(12);
  } else if (name.starts_with("ForAllValues:")) {
    parsed.set = SetQualifier::kForAllValues;
    name.remove_prefix(13);
  }
  if (name.ends_with("IfExists")) {
    parsed.if_exists = true;
    name.remove_suffix(8);
  }
  for (const OperatorSpec& spec : kOperators) {
    if (spec.name == name) parsed.spec = &spec;
  }
  if (parsed.spec && parsed.spec->family == Family::kNull && (parsed.if_exists || parsed.set != SetQualifier::kNone)) {
    parsed.spec = nullptr;
  }
  return parsed;
}

std::optional<double> number_of(const std::string& text) {
  char* end = nullptr;
  double value = std::strtod(text.c_str(), &end);
  if (text.empty() || end != text.c_str() + text.size()) return std::nullopt;
  return value;
}

template <typename T>
bool compare(const T& have, const T& want, Compare how) {
  switch (how) {
    case Compare::kEquals: return have == want;
    case Compare::kLess: return have < want;
    case Compare::kLessEquals: return have <= want;
    case Compare::kGreater: return have > want;
    case Compare::kGreaterEquals: return have >= want;
  }
  return false;
}

// Whether one value from the request matches one value from the policy, before negation.
bool value_matches(const OperatorSpec& op, const std::string& have, const std::string& want) {
  switch (op.family) {
    case Family::kString:
    case Family::kBinary: return have == want;
    case Family::kStringIgnoreCase: return iequals(have, want);
    case Family::kStringLike: return wildcard_match(want, have, false);
    case Family::kBool: return iequals(have, want);
    case Family::kArn: return arn_match(want, have);
    case Family::kIp: {
      std::optional<cloudtrail::Network> network = cloudtrail::Network::parse(want);
      return network && network->contains(have);
    }
    case Family::kNumeric: {
      std::optional<double> a = number_of(have), b = number_of(want);
      return a && b && compare(*a, *b, op.compare);
    }
    case Family::kDate: {
      std::optional<SystemTime> a = parse_timestamp(have), b = parse_timestamp(want);
      return a && b && compare(*a, *b, op.compare);
    }
    case Family::kNull: return false;
  }
  return false;
}

// One key of one operator: AWS's rules for missing keys, multivalued keys and set qualifiers.
bool key_holds(const ParsedOperator& op, std::string_view key, const Json& policy_values, const Context& context,
               bool variables) {
  auto found = context.find(lower(key));
  bool present = found != context.end() && !found->second.empty();
  if (op.spec->family == Family::kNull) {
    std::vector<std::string> wants = strings_of(policy_values);
    return std::any_of(wants.begin(), wants.end(), [&](const std::string& want) {
      return iequals(want, "true") ? !present : iequals(want, "false") && present;
    });
  }
  if (!present) {
    if (op.if_exists || op.set == SetQualifier::kForAllValues) return true;
    if (op.set == SetQualifier::kForAnyValue) return false;
    return op.spec->negated;
  }
  std::vector<std::string> wants;
  for (const std::string& want : strings_of(policy_values)) {
    std::optional<std::string> value = variables ? substitute(want, context) : want;
    if (value) wants.push_back(std::move(*value));
  }
  // A request value "is in" the policy's values when it matches any of them; negated operators
  // want it to match none of them.
  auto accepted = [&](const std::string& have) {
    bool in = std::any_of(wants.begin(), wants.end(),
                          [&](const std::string& want) { return value_matches(*op.spec, have, want); });
    return in != op.spec->negated;
  };
  const std::vector<std::string>& haves = found->second;
  if (op.set == SetQualifier::kForAllValues) return std::all_of(haves.begin(), haves.end(), accepted);
  if (op.set == SetQualifier::kForAnyValue) return std::any_of(haves.begin(), haves.end(), accepted);
  // A plain operator: positive ones want some value in, negated ones want no value in.
  bool any_in = std::any_of(haves.begin(), haves.end(), [&](const std::string& have) {
    return std::any_of(wants.begin(), wants.end(),
                       [&](const std::string& want) { return value_matches(*op.spec, have, want); });
  });
  return any_in != op.spec->negated;
}

struct ConditionResult {
  bool holds = false;
  std::string problem;  // why the statement cannot be judged (an unknown operator); empty when it can
};

ConditionResult condition_holds(const Json& condition, const Context& context, bool variables) {
  if (condition.is_null()) return {true, {}};
  if (!condition.is_object()) return {false, "its Condition is not an object"};
  for (const auto& [name, keys] : condition.items()) {
    ParsedOperator op = parse_operator(name);
    if (!op.spec) return {false, fmt::format("unknown condition operator {:?}", name)};
    if (!keys.is_object()) return {false, fmt::format("condition {:?} is not an object of keys", name)};
    for (const auto& [key, values] : keys.items()) {
      if (!key_holds(op, key, values, context, variables)) return {false, {}};
    }
  }
  return {true, {}};
}

// ---------------------------------------------------------------------------------------------
// Statements and policies.

// Statement[i] with its Sid: how verdicts name a statement.
std::string statement_label(std::string_view policy, size_t index, const Json& statement) {
  std::string label = fmt::format("{} Statement[{}]", policy, index);
  if (statement.contains("Sid") && statement["Sid"].is_string() && !statement["Sid"].get<std::string>().empty()) {
    label += fmt::format(" (Sid {})", statement["Sid"].get<std::string>());
  }
  return label;
}

std::vector<const Json*> statements_of(const Json& policy) {
  std::vector<const Json*> out;
  if (!policy.is_object() || !policy.contains("Statement")) return out;
  const Json& statements = policy["Statement"];
  if (statements.is_array()) {
    for (const Json& statement : statements) out.push_back(&statement);
  } else {
    out.push_back(&statements);
  }
  return out;
}

// Action/NotAction or Resource/NotResource: whether the statement covers `value`. Patterns may
// hold policy variables; one without a value matches nothing.
bool element_covers(const Json& statement, std::string_view positive, std::string_view negative,
                    std::string_view value, bool (*matches)(std::string_view, std::string_view),
                    const Context& context, bool variables) {
  bool negated = !statement.contains(positive);
  if (negated && !statement.contains(negative)) return false;
  bool any = false;
  for (const std::string& entry : strings_of(statement[negated ? negative : positive])) {
    std::optional<std::string> pattern = variables ? substitute(entry, context) : entry;
    any = any || (pattern && matches(*pattern, value));
  }
  return any != negated;
}

bool action_match(std::string_view pattern, std::string_view action) { return wildcard_match(pattern, action, true); }

bool resource_match(std::string_view pattern, std::string_view arn) { return pattern == "*" || arn_match(pattern, arn); }

// A statement that applies to the request.
struct Match {
  std::string label;
  bool deny = false;
  PrincipalMatch principal = PrincipalMatch::kExact;  // identity policy statements name their owner
  bool public_statement = false;                      // an Allow that grants to anyone (policy_is_public's rule)
};

struct PolicyEvaluation {
  std::vector<Match> matches;
  std::vector<std::string> notes;  // statements that could not be judged, and why
};

bool statement_is_public(const Json& statement);

void evaluate_policy(const Json& policy, std::string_view name, bool resource_policy, const AccessRequest& request,
                     const Caller& caller, const Context& context, PolicyEvaluation& out) {
  // Policy variables exist from policy language version 2012-10-17 on; before it ${...} is text.
  bool variables = policy.is_object() && policy.value("Version", "") == "2012-10-17";
  std::vector<const Json*> statements = statements_of(policy);
  for (size_t i = 0; i < statements.size(); ++i) {
    const Json& statement = *statements[i];
    if (!statement.is_object()) continue;
    std::string label = statement_label(name, i, statement);
    std::string effect = statement.value("Effect", "");
    if (effect != "Allow" && effect != "Deny") {
      out.notes.push_back(fmt::format("{} ignored: Effect is not Allow or Deny", label));
      continue;
    }
    if (!element_covers(statement, "Action", "NotAction", request.action, action_match, context, false) ||
        !element_covers(statement, "Resource", "NotResource", request.resource_arn, resource_match, context,
                        variables)) {
      continue;
    }
    Match match{label, effect == "Deny"};
    if (resource_policy) {
      if (statement.contains("Principal")) {
        match.principal = match_principal(statement["Principal"], caller);
      } else if (statement.contains("NotPrincipal")) {
        match.principal = not_principal_excludes(statement["NotPrincipal"], caller) ? PrincipalMatch::kNone
                                                                                   : PrincipalMatch::kPublic;
      } else {
        out.notes.push_back(fmt::format("{} ignored: a bucket policy statement needs a Principal", label));
        continue;
      }
      if (match.principal == PrincipalMatch::kNone) continue;
      match.public_statement = !match.deny && statement_is_public(statement);
    }
    ConditionResult condition = condition_holds(statement.contains("Condition") ? statement["Condition"] : Json(),
                                                context, variables);
    if (!condition.problem.empty()) {
      out.notes.push_back(fmt::format("{} does not apply: {}", label, condition.problem));
      continue;
    }
    if (condition.holds) out.matches.push_back(std::move(match));
  }
}

// ---------------------------------------------------------------------------------------------
// "Public", as S3 and Access Analyzer define it.

// IPv4 ranges wider than /8 and IPv6 ranges wider than /32 open a bucket to a large part of the
// internet: they do not pin a wildcard principal ("aws:SourceIp": "0.0.0.0/0" is public).
constexpr int kNarrowestPublicIpv4Prefix = 8;
constexpr int kNarrowestPublicIpv6Prefix = 32;

constexpr std::array<std::string_view, 14> kPinningKeys = {
    "aws:sourceip",         "aws:sourcevpc",   "aws:sourcevpce",          "aws:sourcearn",
    "aws:sourceaccount",    "aws:sourceowner", "aws:sourceorgid",         "aws:principalorgid",
    "aws:principalaccount", "aws:principalarn", "aws:userid",             "s3:dataaccesspointarn",
    "s3:dataaccesspointaccount", "s3:x-amz-server-side-encryption-aws-kms-key-id"};

bool fixed_value(const std::string& value, std::string_view key) {
  if (value.empty() || has_wildcard(value) || value.find("${") != std::string::npos) return false;
  if (key != "aws:sourceip") return true;
  std::optional<cloudtrail::Network> network = cloudtrail::Network::parse(value);
  return network && network->prefix() >= (network->base().v6 ? kNarrowestPublicIpv6Prefix : kNarrowestPublicIpv4Prefix);
}

// Whether a condition restricts the statement to fixed values of a key that pins who can use it.
// Negated operators, IfExists and ForAllValues leave room for anyone, so they pin nothing.
bool condition_pins(const Json& condition) {
  if (!condition.is_object()) return false;
  for (const auto& [name, keys] : condition.items()) {
    ParsedOperator op = parse_operator(name);
    if (!op.spec || op.spec->negated || op.if_exists || op.set == SetQualifier::kForAllValues || !keys.is_object()) {
      continue;
    }
    Family family = op.spec->family;
    for (const auto& [key, values] : keys.items()) {
      std::string lowered = lower(key);
      if (std::find(kPinningKeys.begin(), kPinningKeys.end(), lowered) == kPinningKeys.end()) continue;
      bool right_family = lowered == "aws:sourceip"
                              ? family == Family::kIp
                              : family == Family::kString || family == Family::kStringIgnoreCase ||
                                    family == Family::kStringLike || family == Family::kArn;
      std::vector<std::string> fixed = strings_of(values);
      if (right_family && !fixed.empty() &&
          std::all_of(fixed.begin(), fixed.end(), [&](const std::string& v) { return fixed_value(v, lowered); })) {
        return true;
      }
    }
  }
  return false;
}

bool principal_is_wildcard(const Json& principal) {
  if (principal.is_string()) return principal == "*";
  if (!principal.is_object()) return false;
  for (const auto& [type, entries] : principal.items()) {
    for (const std::string& entry : strings_of(entries)) {
      if (has_wildcard(entry)) return true;
    }
  }
  return false;
}

bool statement_is_public(const Json& statement) {
  if (!statement.is_object() || statement.value("Effect", "") != "Allow") return false;
  bool open = statement.contains("NotPrincipal") ||
              (statement.contains("Principal") && principal_is_wildcard(statement["Principal"]));
  return open && !(statement.contains("Condition") && condition_pins(statement["Condition"]));
}

// ---------------------------------------------------------------------------------------------
// ACLs.

constexpr std::string_view kAllUsers = "http://acs.amazonaws.com/groups/global/AllUsers";
constexpr std::string_view kAuthenticatedUsers = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers";
constexpr std::string_view kLogDelivery = "http://acs.amazonaws.com/groups/s3/LogDelivery";

struct AclPermission {
  std::string_view permission;
  std::vector<std::string_view> actions;
};

// S3's mapping of ACL permissions to policy actions ("ACL permissions and access policy permissions").
const std::vector<AclPermission>& bucket_acl_actions() {
  static const std::vector<AclPermission> table = {
      {"READ", {"s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"}},
      {"WRITE", {"s3:PutObject", "s3:DeleteObject"}},
      {"READ_ACP", {"s3:GetBucketAcl"}},
      {"WRITE_ACP", {"s3:PutBucketAcl"}},
  };
  return table;
}

const std::vector<AclPermission>& object_acl_actions() {
  static const std::vector<AclPermission> table = {
      {"READ", {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTorrent"}},
      {"READ_ACP", {"s3:GetObjectAcl", "s3:GetObjectVersionAcl"}},
      {"WRITE_ACP", {"s3:PutObjectAcl", "s3:PutObjectVersionAcl"}},
  };
  return table;
}

bool permission_grants(std::string_view permission, std::string_view action, const std::vector<AclPermission>& table) {
  for (const AclPermission& entry : table) {
    if (permission != "FULL_CONTROL" && permission != entry.permission) continue;
    for (std::string_view granted : entry.actions) {
      if (iequals(granted, action)) return true;
    }
  }
  return false;
}

std::string_view group_name(std::string_view uri) { return uri.substr(uri.rfind('/') + 1); }

bool grant_is_public(const Json& grant) {
  if (!grant.is_object() || !grant.contains("Grantee") || !grant["Grantee"].is_object()) return false;
  std::string uri = grant["Grantee"].value("URI", "");
  return uri == kAllUsers || uri == kAuthenticatedUsers;
}

// An ACL grant that reaches the caller for the action.
struct AclGrant {
  std::string label;
  bool is_public = false;  // to AllUsers or AuthenticatedUsers; any other grant names an account
};

std::optional<AclGrant> find_acl_grant(const Json& acl, std::string_view acl_name, const std::vector<AclPermission>& table,
                                       const AccessRequest& request, const Caller& caller, std::string_view owner_account,
                                       bool ignore_public, std::vector<std::string>& ignored) {
  if (!acl.is_object() || !acl.contains("Grants") || !acl["Grants"].is_array()) return std::nullopt;
  std::string owner_id = acl.contains("Owner") && acl["Owner"].is_object() ? acl["Owner"].value("ID", "") : "";
  std::optional<AclGrant> best;
  for (const Json& grant : acl["Grants"]) {
    if (!grant.is_object() || !grant.contains("Grantee") || !grant["Grantee"].is_object()) continue;
    std::string permission = grant.value("Permission", "");
    if (!permission_grants(permission, request.action, table)) continue;
    const Json& grantee = grant["Grantee"];
    std::string uri = grantee.value("URI", ""), id = grantee.value("ID", "");
    AclGrant found;
    bool reaches = false;
    if (uri == kAllUsers || (uri == kAuthenticatedUsers && caller.is_iam_identity())) {
      found = {fmt::format("{} grant {} to {}", acl_name, permission, group_name(uri)), true};
      if (ignore_public) {
        ignored.push_back(found.label);
        continue;
      }
      reaches = true;
    } else if (uri == kLogDelivery) {
      reaches = caller.kind == Caller::Kind::kService && caller.arn == "logging.s3.amazonaws.com";
      found = {fmt::format("{} grant {} to LogDelivery", acl_name, permission), false};
    } else if (!id.empty() && caller.is_iam_identity()) {
      // A canonical user is an account: the owner's id stands for the owner account.
      reaches = id == caller.canonical_user_id || (id == owner_id && caller.account == owner_account);
      found = {fmt::format("{} grant {} to canonical user {}", acl_name, permission, id), false};
    }
    if (!reaches) continue;
    // A grant to someone specific beats a public one: the caller is authorized either way.
    if (!best || (best->is_public && !found.is_public)) best = found;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Block Public Access.

const Json& bpa_configuration(const Json& settings) {
  if (settings.is_object() && settings.contains("PublicAccessBlockConfiguration")) {
    return settings["PublicAccessBlockConfiguration"];
  }
  return settings;
}

// "bucket", "account", "bucket and account", or empty when neither sets it.
std::string bpa_setter(const BucketAccessState& state, std::string_view setting) {
  auto on = [setting](const Json& settings) {
    const Json& configuration = bpa_configuration(settings);
    return configuration.is_object() && configuration.contains(setting) && configuration[setting] == true;
  };
  bool bucket = on(state.public_access_block), account = on(state.account_public_access_block);
  if (bucket && account) return "bucket and account";
  return bucket ? "bucket" : account ? "account" : "";
}

// ---------------------------------------------------------------------------------------------
// The decision.

std::string describe_caller(const Caller& caller) {
  return caller.kind == Caller::Kind::kAnonymous ? "an anonymous caller" : caller.arn;
}

std::string join_notes(const std::vector<std::string>& notes) {
  std::string out;
  for (const std::string& note : notes) out += "; " + note;
  return out;
}

class Evaluator {
 public:
  Evaluator(const AccessRequest& request, const BucketAccessState& state)
      : request_(request), state_(state), caller_(parse_caller(request)),
        context_(make_context(request, caller_, state)), who_(describe_caller(caller_)),
        what_(fmt::format("{} on {}", request.action, request.resource_arn)) {}

  Verdict run() {
    gather();
    for (const Match& match : matches_) {
      if (match.deny) {
        return finish(Decision::kDenied, match.label, fmt::format("{} explicitly denies {} {}", match.label, who_, what_));
      }
    }
    if (caller_.kind == Caller::Kind::kRoot && caller_.account == state_.owner_account) {
      return finish(Decision::kAllowed, "account root user of the bucket owner",
                    fmt::format("{} is the bucket owner's root user, and no policy here denies it {}", who_, what_));
    }
    const Match* bucket = find_bucket_allow();
    std::optional<AclGrant> acl = find_acl();
    if (!caller_.is_iam_identity()) return outside_verdict(bucket, acl);
    if (caller_.account == state_.owner_account) return same_account_verdict(bucket, acl);
    return cross_account_verdict(bucket, acl);
  }

 private:
  // Anonymous callers and AWS services: only the bucket side counts.
  Verdict outside_verdict(const Match* bucket, const std::optional<AclGrant>& acl) {
    if (bucket) return grant(*bucket);
    if (acl) return grant(*acl);
    return blocked_or_implicit_deny();
  }

  // The owner account's identities: an allow in either the identity policies or the bucket side.
  Verdict same_account_verdict(const Match* bucket, const std::optional<AclGrant>& acl) {
    if (const Match* identity = find_identity_allow()) {
      return finish(Decision::kAllowed, identity->label, fmt::format("{} allows {} {}", identity->label, who_, what_));
    }
    if (bucket && bucket->principal != PrincipalMatch::kAccount) return grant(*bucket);
    if (acl && acl->is_public) return grant(*acl);
    if (bucket || acl) {
      notes_.push_back(fmt::format("{} grants to the account, which still needs an identity policy allow",
                                   bucket ? bucket->label : acl->label));
    }
    if (!state_.identity_policies) notes_.push_back("the principal's identity policies are unknown");
    return implicit_deny();
  }

  // Another account: the bucket side and the caller's own identity policies must both allow it.
  Verdict cross_account_verdict(const Match* bucket, const std::optional<AclGrant>& acl) {
    if (!bucket && !acl) return blocked_or_implicit_deny();
    bool use_acl = !bucket || (bucket->public_statement && acl && !acl->is_public);
    std::string bucket_side = use_acl ? acl->label : bucket->label;
    Decision allowed = (use_acl ? acl->is_public : bucket->public_statement) ? Decision::kPublic : Decision::kAllowed;
    std::string allows = fmt::format("{} allows {} {}", bucket_side, who_, what_);
    if (caller_.kind == Caller::Kind::kRoot) {
      return finish(allowed, bucket_side,
                    fmt::format("{}; the root user of account {} needs no identity policy", allows, caller_.account));
    }
    if (!state_.identity_policies) {
      return finish(allowed, bucket_side,
                    fmt::format("{}; the identity side (account {}'s policies) is unknown, judged on the bucket side "
                                "only",
                                allows, caller_.account));
    }
    const Match* identity = find_identity_allow();
    if (!identity) {
      return finish(Decision::kDenied, "no identity policy of the principal allows it (implicit deny)",
                    fmt::format("{}, but cross-account access also needs the principal's own identity policies to "
                                "allow it, and none does",
                                allows));
    }
    return finish(allowed, bucket_side,
                  fmt::format("{}, and {} allows it in account {}", allows, identity->label, caller_.account));
  }

  void gather() {
    PolicyEvaluation evaluation;
    Json bucket_policy = state_.bucket_policy.is_string()
                             ? parse_policy_document(state_.bucket_policy.get<std::string>(),
                                                     fmt::format("bucket policy of {}", state_.bucket))
                             : state_.bucket_policy;
    evaluate_policy(bucket_policy, "bucket policy", true, request_, caller_, context_, evaluation);
    identity_start_ = evaluation.matches.size();
    if (caller_.is_iam_identity() && state_.identity_policies) {
      for (size_t i = 0; i < state_.identity_policies->size(); ++i) {
        const Json& entry = (*state_.identity_policies)[i];
        std::string name = fmt::format("#{}", i);
        const Json* document = &entry;
        if (entry.is_object() && entry.contains("PolicyDocument")) {
          name = entry.value("PolicyName", entry.value("PolicyArn", name));
          document = &entry["PolicyDocument"];
        }
        Json parsed = document->is_string()
                          ? parse_policy_document(document->get<std::string>(), fmt::format("identity policy {}", name))
                          : *document;
        evaluate_policy(parsed, fmt::format("identity policy '{}'", name), false, request_, caller_, context_,
                        evaluation);
      }
    }
    matches_ = std::move(evaluation.matches);
    notes_ = std::move(evaluation.notes);
    bucket_policy_public_ = policy_is_public(bucket_policy);
  }

  const Match* find_identity_allow() const {
    for (size_t i = identity_start_; i < matches_.size(); ++i) {
      if (!matches_[i].deny) return &matches_[i];
    }
    return nullptr;
  }

  // The strongest bucket policy allow for the caller, after RestrictPublicBuckets.
  const Match* find_bucket_allow() {
    std::string restrict_by = bucket_policy_public_ ? bpa_setter(state_, "RestrictPublicBuckets") : "";
    bool same_account = caller_.is_iam_identity() && caller_.account == state_.owner_account;
    bool restricted = !restrict_by.empty() && caller_.kind != Caller::Kind::kService && !same_account;
    // Specific grants first: a caller named outright is authorized, whatever else is open. In the
    // owner account a grant to the account alone does not authorize (the identity side must).
    auto rank = [same_account](const Match& m) {
      return std::tuple(!same_account || m.principal != PrincipalMatch::kAccount, !m.public_statement,
                        static_cast<int>(m.principal));
    };
    const Match* best = nullptr;
    std::string restricted_note;
    for (size_t i = 0; i < identity_start_; ++i) {
      Match& match = matches_[i];
      if (match.deny) continue;
      if (restricted) {
        blocked_by_ = {"Block Public Access (RestrictPublicBuckets)",
                       fmt::format("{} would allow it, but the bucket policy is public and RestrictPublicBuckets "
                                   "(set on the {}) limits it to the owner account and AWS services",
                                   match.label, restrict_by)};
        continue;
      }
      // Under RestrictPublicBuckets a public statement no longer opens the bucket to anyone.
      if (!restrict_by.empty() && match.public_statement) {
        match.public_statement = false;
        restricted_note = fmt::format("RestrictPublicBuckets (set on the {}) limits the public bucket policy to "
                                      "the owner account and AWS services",
                                      restrict_by);
      }
      if (!best || rank(match) > rank(*best)) best = &match;
    }
    if (!restricted_note.empty()) notes_.push_back(restricted_note);
    return best;
  }

  std::optional<AclGrant> find_acl() {
    if (state_.object_ownership == "BucketOwnerEnforced") {
      if (!state_.acl.is_null() || !state_.object_acl.is_null()) notes_.push_back("ACLs are disabled (BucketOwnerEnforced)");
      return std::nullopt;
    }
    std::string ignore_by = bpa_setter(state_, "IgnorePublicAcls");
    std::vector<std::string> ignored;
    std::optional<AclGrant> grant = find_acl_grant(state_.acl, "ACL", bucket_acl_actions(), request_, caller_,
                                                   state_.owner_account, !ignore_by.empty(), ignored);
    if (!grant) {
      grant = find_acl_grant(state_.object_acl, "object ACL", object_acl_actions(), request_, caller_,
                             state_.owner_account, !ignore_by.empty(), ignored);
    }
    if (!ignored.empty() && !blocked_by_) {
      blocked_by_ = {"Block Public Access (IgnorePublicAcls)",
                     fmt::format("{} would allow it, but IgnorePublicAcls (set on the {}) makes public ACL grants "
                                 "ineffective",
                                 ignored.front(), ignore_by)};
    }
    return grant;
  }

  Verdict grant(const Match& match) {
    if (match.public_statement) {
      return finish(Decision::kPublic, match.label,
                    fmt::format("{} allows anyone {}, so {} may too: the bucket policy is public", match.label, what_,
                                who_));
    }
    return finish(Decision::kAllowed, match.label, fmt::format("{} allows {} {}", match.label, who_, what_));
  }

  Verdict grant(const AclGrant& acl) {
    return finish(acl.is_public ? Decision::kPublic : Decision::kAllowed, acl.label,
                  fmt::format("{} allows {} {}", acl.label, who_, what_));
  }

  Verdict blocked_or_implicit_deny() {
    if (blocked_by_) return finish(Decision::kDenied, blocked_by_->first, blocked_by_->second);
    return implicit_deny();
  }

  Verdict implicit_deny() {
    return finish(Decision::kDenied, "no statement allows it (implicit deny)",
                  fmt::format("nothing allows {} {}", who_, what_));
  }

  Verdict finish(Decision decision, std::string decided_by, std::string explanation) {
    return {decision, std::move(decided_by), explanation + join_notes(notes_)};
  }

  const AccessRequest& request_;
  const BucketAccessState& state_;
  Caller caller_;
  Context context_;
  std::string who_, what_;  // the caller and the request, as explanations name them
  std::vector<Match> matches_;  // bucket policy's first, then the identity policies'
  size_t identity_start_ = 0;
  std::vector<std::string> notes_;
  bool bucket_policy_public_ = false;
  std::optional<std::pair<std::string, std::string>> blocked_by_;  // decided_by, explanation
};

}  // namespace

std::string_view decision_name(Decision decision) {
  switch (decision) {
    case Decision::kAllowed: return "allowed";
    case Decision::kPublic: return "public";
    case Decision::kDenied: return "denied";
  }
  return "denied";
}

Json Verdict::to_json() const {
  return {{"decision", decision_name(decision)}, {"decided_by", decided_by}, {"explanation", explanation}};
}

Verdict evaluate_access(const AccessRequest& request, const BucketAccessState& state) {
  return Evaluator(request, state).run();
}

bool policy_is_public(const Json& policy) {
  std::vector<const Json*> statements = statements_of(policy);
  return std::any_of(statements.begin(), statements.end(), [](const Json* s) { return statement_is_public(*s); });
}

bool acl_is_public(const Json& acl) {
  if (!acl.is_object() || !acl.contains("Grants") || !acl["Grants"].is_array()) return false;
  return std::any_of(acl["Grants"].begin(), acl["Grants"].end(), grant_is_public);
}

Json parse_policy_document(std::string_view text, std::string_view what) {
  Json policy;
  try {
    policy = Json::parse(text);
  } catch (const Json::parse_error& e) {
    // nlohmann's message reads "[json.exception.parse_error.101] parse error at line 1, ...".
    std::string_view detail = e.what();
    if (size_t end = detail.find("] "); end != std::string_view::npos) detail.remove_prefix(end + 2);
    throw InputError(fmt::format("{} is not valid JSON: {}", what, detail));
  }
  if (!policy.is_object()) throw InputError(fmt::format("{} is not a JSON object", what));
  if (!policy.contains("Statement")) throw InputError(fmt::format("{} has no Statement", what));
  std::vector<const Json*> statements = statements_of(policy);
  if (statements.empty()) throw InputError(fmt::format("{} has an empty Statement list", what));
  for (size_t i = 0; i < statements.size(); ++i) {
    const Json& statement = *statements[i];
    if (!statement.is_object()) throw InputError(fmt::format("{}: Statement[{}] is not an object", what, i));
    std::string effect = statement.value("Effect", "");
    if (effect != "Allow" && effect != "Deny") {
      throw InputError(fmt::format("{}: Statement[{}] has no Effect Allow or Deny", what, i));
    }
    if (!statement.contains("Action") && !statement.contains("NotAction")) {
      throw InputError(fmt::format("{}: Statement[{}] has no Action or NotAction", what, i));
    }
  }
  return policy;
}

}  // namespace firebreak::playbooks::s3
