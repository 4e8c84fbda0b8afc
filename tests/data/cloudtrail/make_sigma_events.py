#!/usr/bin/env python3
"""Writes sigma_rule_events.jsonl: for each Sigma rule in ../shared/data/sigma-cloudtrail, events
that must match it and events that must not, made from the rule's own text (independently of
firebreak's rule engine, with PyYAML):

  - a positive event from the selections the condition requires (the first value of each field,
    shaped by its modifier: contains, startswith, endswith, all, re);
  - a negative event with one required field changed;
  - for "... and not filter" conditions, the positive event plus the filter's fields.

  python3 tests/data/cloudtrail/make_sigma_events.py
"""
import copy
import json
import re
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
RULES = HERE.parents[2].parent / "shared" / "data" / "sigma-cloudtrail"
# Strings that match the few regular expressions in the rules.
REGEX_EXAMPLES = {".+:assumed-role/aws:.+": "arn:aws:sts::123456789012:assumed-role/aws:ec2-instance/i-0abc"}


def value_for(field, value, modifiers):
    if "re" in modifiers:
        return REGEX_EXAMPLES[value]
    text = str(value).replace("*", "x")
    if "contains" in modifiers:
        return f"pre-{text}-post"
    if "startswith" in modifiers:
        return f"{text}-post"
    if "endswith" in modifiers:
        return f"pre-{text}"
    return text


def set_path(event, path, value):
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def get_path(event, path):
    node = event
    for part in path.split("."):
        node = node.get(part) if isinstance(node, dict) else None
    return node


def apply_selection(event, selection):
    """Makes the event satisfy the selection (its first alternative)."""
    if isinstance(selection, list):
        selection = selection[0]
    for key, value in selection.items():
        field, *modifiers = key.split("|")
        if "fieldref" in modifiers:
            set_path(event, field, get_path(event, value) or "same-value")
            set_path(event, value, get_path(event, field))
            continue
        values = value if isinstance(value, list) else [value]
        if "all" in modifiers:
            text = "-".join(str(v).replace("*", "x") for v in values)
            set_path(event, field, f"pre-{text}-post")
        elif field in ("requestParameters", "responseElements") and "contains" in modifiers:
            event[field] = {"document": value_for(field, values[0], modifiers)}
        else:
            set_path(event, field, value_for(field, values[0], modifiers))


def required(condition, names):
    """Selections the condition needs (positives) and the ones it negates."""
    tokens = condition.replace("(", " ").replace(")", " ").split()
    positive, negative = [], []
    i = 0
    negate = False
    while i < len(tokens):
        t = tokens[i]
        if t == "not":
            negate = True
        elif t in ("and", "or"):
            pass
        elif t in ("1", "all") and tokens[i + 1] == "of":
            pattern = re.compile("^" + tokens[i + 2].replace("*", ".*") + "$")
            matching = [n for n in names if pattern.match(n)]
            (negative if negate else positive).append(matching if t == "1" else matching)
            negate = False
            i += 2
        else:
            (negative if negate else positive).append([t])
            negate = False
        i += 1
    return positive, negative


def base_event():
    return {"eventVersion": "1.08", "eventTime": "2024-01-01T00:00:00Z", "awsRegion": "us-east-1",
            "eventType": "AwsApiCall", "sourceIPAddress": "198.51.100.7", "userAgent": "test-agent",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::123456789012:user/tester",
                             "accountId": "123456789012", "userName": "tester"}}


def main():
    lines = []
    for path in sorted(RULES.glob("*.yml")):
        rule = yaml.safe_load(path.read_text())
        detection = rule["detection"]
        names = [n for n in detection if n != "condition"]
        positive, negative = required(detection["condition"], names)
        event = base_event()
        chosen = []
        for group in positive:
            for name in (group if len(group) == 1 or "all" in detection["condition"] else group[:1]):
                apply_selection(event, detection[name])
                chosen.append(name)
        lines.append({"rule": rule["id"], "title": rule["title"], "expect": True, "event": event})
        # One field of the first required selection changed: no longer a match.
        first = detection[chosen[0]]
        first = first[0] if isinstance(first, list) else first
        key = next(iter(first))
        field = key.split("|")[0]
        miss = copy.deepcopy(event)
        if field in ("requestParameters", "responseElements"):
            miss[field] = {"document": "nothing-to-see"}
        else:
            set_path(miss, field, "NoMatchValue")
        lines.append({"rule": rule["id"], "title": rule["title"], "expect": False, "event": miss})
        for group in negative:
            filtered = copy.deepcopy(event)
            apply_selection(filtered, detection[group[0]])
            lines.append({"rule": rule["id"], "title": rule["title"], "expect": False, "event": filtered})
    out = HERE / "sigma_rule_events.jsonl"
    out.write_text("".join(json.dumps(line, sort_keys=True) + "\n" for line in lines))
    print(f"{out}: {len(lines)} cases for {len({l['rule'] for l in lines})} rules")


if __name__ == "__main__":
    main()
