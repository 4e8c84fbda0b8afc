"""Known answers from Panther's labelled CloudTrail cases (../shared/data/panther-analysis).

Every case is a real-shaped CloudTrail event labelled by Panther's rule authors. The hunt must
read all of them; its filters must select exactly what an independent reading of the same
events selects; and where a Sigma rule detects what a Panther rule detects, the Sigma rule must
fire on the Panther rule's positive cases and stay quiet on negatives about other calls.
"""
import fnmatch
import ipaddress
import json

import pytest

from helpers import SHARED, panther_cases

# Panther rule -> the Sigma rule (by title) written for the same behaviour. Left out where the
# two disagree on the event itself: Panther's EnableRegion case has eventSource cloudtrail (Sigma
# wants account), its user-data change has no requestParameters.attribute, and its versioning
# case says "Disabled" where S3 (and Sigma) say "Suspended".
SAME_DETECTION = {
    "AWS.CloudTrail.Stopped": "AWS CloudTrail Important Change",
    "AWS.VPCFlow.LogsDeleted": "AWS VPC Flow Logs Deleted",
    "AWS.ConfigService.DisabledDeleted": "AWS Config Disabling Channel/Recorder",
    "AWS.STS.GetCallerIdentity.TruffleHog": "AWS STS GetCallerIdentity Enumeration Via TruffleHog",
    "AWS.SecurityHub.Finding.Evasion": "AWS SecurityHub Findings Evasion",
    "AWS.RDS.MasterPasswordUpdated": "AWS RDS Master Password Change",
}


@pytest.fixture(scope="module")
def cases():
    return panther_cases()


@pytest.fixture(scope="module")
def corpus(cases, tmp_path_factory):
    """The cases as JSON lines, each event's eventID set to its index."""
    path = tmp_path_factory.mktemp("panther") / "cases.jsonl"
    with path.open("w") as out:
        for i, (_, _, _, event) in enumerate(cases):
            out.write(json.dumps({**event, "eventID": f"case-{i}"}) + "\n")
    return path


def selected(stdout):
    return sorted(int(json.loads(line)["eventID"][5:]) for line in stdout.splitlines())


def test_reads_every_labelled_case(firebreak, cases, corpus):
    result = firebreak.run("hunt", corpus, "--output", "jsonl", check=True)
    assert selected(result.stdout) == list(range(len(cases)))
    assert "malformed" not in result.stderr


def identity(e):
    return e.get("userIdentity") or {}


def address_in(e, network):
    try:
        return ipaddress.ip_address(e.get("sourceIPAddress") or "") in ipaddress.ip_network(network, strict=False)
    except ValueError:
        return False


def named(e, who):
    u = identity(e)
    issuer = ((u.get("sessionContext") or {}).get("sessionIssuer") or {})
    arn = u.get("arn") or ""
    session = arn.rsplit("/", 1)[-1] if ":assumed-role/" in arn else None
    return who in (u.get("arn"), u.get("userName"), u.get("accountId"), u.get("principalId"), issuer.get("arn"),
                   issuer.get("userName"), session)


def glob(value, pattern):
    return isinstance(value, str) and fnmatch.fnmatchcase(value.lower(), pattern.lower())


# (arguments, the same question asked of the events directly)
QUESTIONS = [
    (["--event-name", "Delete*"], lambda e: glob(e.get("eventName"), "delete*")),
    (["--event-name", "CreateUser", "--event-name", "CreateAccessKey"],
     lambda e: e.get("eventName") in ("CreateUser", "CreateAccessKey")),
    (["--event-source", "iam.amazonaws.com", "--errors"],
     lambda e: e.get("eventSource") == "iam.amazonaws.com" and bool(e.get("errorCode"))),
    (["--error-code", "AccessDenied*"], lambda e: glob(e.get("errorCode"), "accessdenied*")),
    (["--principal", "123456789012"], lambda e: named(e, "123456789012")),
    (["--access-key", "ASIAIOSFODNN7EXAMPLE"], lambda e: identity(e).get("accessKeyId") == "ASIAIOSFODNN7EXAMPLE"),
    (["--source-ip", "111.111.111.0/24"], lambda e: address_in(e, "111.111.111.0/24")),
    (["--region", "us-west-2"], lambda e: e.get("awsRegion") == "us-west-2"),
    (["--read-only", "false", "--event-source", "s3.amazonaws.com"],
     lambda e: e.get("readOnly") is False and e.get("eventSource") == "s3.amazonaws.com"),
    (["--user-agent", "*console*"], lambda e: glob(e.get("userAgent"), "*console*")),
    (["--since", "2021-01-01", "--until", "2022-12-31"],
     lambda e: "2021-01-01T00:00:00Z" <= (e.get("eventTime") or "") < "2023-01-01T00:00:00Z"),
]


@pytest.mark.parametrize("arguments,question", QUESTIONS, ids=[" ".join(q[0]) for q in QUESTIONS])
def test_filters_select_what_an_independent_reading_selects(firebreak, cases, corpus, arguments, question):
    expected = [i for i, (_, _, _, e) in enumerate(cases) if question(e)]
    result = firebreak.run("hunt", corpus, *arguments, "--output", "jsonl", check=True)
    assert expected, "the question must select something"
    assert selected(result.stdout) == expected


def test_sigma_agrees_with_panther_labels(firebreak, cases, corpus):
    result = firebreak.run("hunt", corpus, "--sigma", SHARED / "sigma-cloudtrail", "--output", "jsonl", check=True)
    fired = {}
    for line in result.stdout.splitlines():
        event = json.loads(line)
        fired[int(event["eventID"][5:])] = {r["title"] for r in event["sigma"]}
    for rule, title in SAME_DETECTION.items():
        mine = [(i, expect, e) for i, (r, _, expect, e) in enumerate(cases) if r == rule]
        assert mine, rule
        positives = [i for i, expect, e in mine if expect and not e.get("errorCode")]
        assert positives, rule
        for i in positives:
            assert title in fired.get(i, set()), f"{rule}: case {i} ({cases[i][1]}) not caught by {title}"
        detected_names = {e["eventName"] for i, expect, e in mine if expect}
        for i, expect, e in mine:
            if not expect and e["eventName"] not in detected_names:
                assert title not in fired.get(i, set()), f"{rule}: negative case {i} ({cases[i][1]}) caught by {title}"
