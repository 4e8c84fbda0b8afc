"""`firebreak baseline capture` and `firebreak account` against moto, boto3 checking the state:
every key inactive but the responder's, the extra user's credentials gone and the baseline
users untouched, key pairs gone in three regions and recorded, the account check reporting
what changed."""
import json

import pytest

from identity_world import STRATUS_LOGS, World, evidence, key_status, make_user, steps_of

REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2"]


@pytest.fixture
def world(fresh_moto, boto, firebreak):
    w = World(boto, firebreak)
    for region in REGIONS:
        boto("ec2", region_name=region).create_key_pair(KeyName=f"ops-{region}")
    return w


def capture(world, tmp_path):
    path = tmp_path / "baseline.json"
    result = world.firebreak.run("baseline", "capture", "-o", path, env=world.env)
    assert result.returncode == 0, result.stderr
    return path


def test_baseline_goes_to_standard_output_by_default(world):
    result = world.firebreak.run("baseline", "capture", env=world.env)
    assert result.returncode == 0, result.stderr
    baseline = json.loads(result.stdout)
    assert set(baseline["users"]) == {"alice", "bob", "responder"}
    assert baseline["key_pairs"]["eu-west-1"] == ["ops-eu-west-1"]


def test_account_apply(world, boto, tmp_path):
    path = capture(world, tmp_path)
    (mallory_key,) = make_user(world.iam, "mallory")
    world.iam.create_login_profile(UserName="mallory", Password="Correct-Horse-9")
    world.iam.upload_ssh_public_key(UserName="mallory", SSHPublicKeyBody=SSH_KEY)
    boto("account").put_alternate_contact(AlternateContactType="SECURITY", Name="Evil", Title="x",
                                          EmailAddress="evil@example.com", PhoneNumber="+1000")

    result = world.run("account", "--baseline", path, "--apply", "--trail-logs", STRATUS_LOGS)
    steps = steps_of(result)
    assert steps["deactivate-keys"]["state"] == "done", result.stdout + result.stderr
    for user in ("alice", "bob"):
        assert set(key_status(world.iam, user).values()) == {"Inactive"}
    assert key_status(world.iam, "responder") == {world.responder_key["AccessKeyId"]: "Active"}

    assert steps["remove-unauthorized-credentials"]["state"] == "done", steps["remove-unauthorized-credentials"]
    assert key_status(world.iam, "mallory") == {}
    assert world.iam.list_ssh_public_keys(UserName="mallory")["SSHPublicKeys"] == []
    with pytest.raises(world.iam.exceptions.NoSuchEntityException):
        world.iam.get_login_profile(UserName="mallory")
    assert world.iam.get_user(UserName="alice")["User"]["UserName"] == "alice"

    assert steps["delete-key-pairs"]["state"] == "done", steps["delete-key-pairs"]
    for region in REGIONS:
        assert boto("ec2", region_name=region).describe_key_pairs()["KeyPairs"] == []
    recorded = evidence(result, "delete-key-pairs", "key-pairs")
    assert {r: [p["KeyName"] for p in pairs] for r, pairs in recorded.items() if pairs} == {
        r: [f"ops-{r}"] for r in REGIONS}

    checked = evidence(result, "verify-account", "account-check")
    assert checked["alternate-contact:SECURITY"]["status"] in ("changed", "new")
    assert checked["root-mfa"]["status"] == "ok"

    again = world.run("account", "--baseline", path, "--apply", "--trail-logs", STRATUS_LOGS, "--case",
                      json.loads(result.stdout)["case"]["id"])
    for name, step in steps_of(again).items():
        assert step["state"] in ("done", "already-done", "skipped", "failed"), name
        assert step["changes"] == [] or step["state"] != "done" or "earlier" in step.get("detail", "") \
            or name in ("check-cloudtrail", "review-resources", "verify-account", "identify-user"), (name, step)


SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDiGzJmL9c0u7eP1w2P7w2bT8F9Ggq3xM3e7d3oKq0bXwJ9GvS3P5hM1o"
           "Kz8c8m2u3a7y1p2x9QWbV5zZrLk1G4yPp0aH8vNq0O4p9Zx2tQ8c4dJ5a3X9F0k6LwYb7e2W1R3p4fS8u0TqVn5mY2h6Gj1C0x"
           "zq7Jv9b3KdF2sN6a8L1u4Qm0eT5yW7rP3cX9oH2i4kZ6jB8gA1fD5nS7vU0wE3tR9lM2bY4pC6qI8hK0xO1zG3aJ5dL7eN9f"
           "T1vX3cQ5sU7wY9A2kE4mG6iO8rT0uW2yB4dF6hJ8lN0pR2tV4xZ6B8D0F2H4J6L8N0P2R4T6V8X0Z2b4d6f8h0j2l4n6p8r0t"
           "2v4x6z8B0D2F4H6J8L0N2P4R6T8V0X2Z4b6d8f0h2j4l6n8p0r2t4v6x8z0 test@example")
