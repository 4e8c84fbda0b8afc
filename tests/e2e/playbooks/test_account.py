"""`firebreak baseline capture` and `firebreak account` against moto, boto3 checking the state:
every key inactive but the responder's, the extra user's credentials gone and the baseline
users untouched, key pairs gone in three regions and recorded, the account check reporting
what changed."""
import json

import pytest

from identity_world import STRATUS_LOGS, World, evidence, key_status, make_user, refusing_proxy, steps_of

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


def compromise(world, boto):
    """After the baseline: mallory appears with a key, a password and an SSH key; the security contact changes."""
    (mallory_key,) = make_user(world.iam, "mallory")
    world.iam.create_login_profile(UserName="mallory", Password="Correct-Horse-9")
    world.iam.upload_ssh_public_key(UserName="mallory", SSHPublicKeyBody=SSH_KEY)
    boto("account").put_alternate_contact(AlternateContactType="SECURITY", Name="Evil", Title="x",
                                          EmailAddress="evil@example.com", PhoneNumber="+1000")


def apply(world, baseline, *extra):
    return world.run("account", "--baseline", baseline, "--apply", "--trail-logs", STRATUS_LOGS, *extra)


def test_account_apply(world, boto, tmp_path):
    path = capture(world, tmp_path)
    compromise(world, boto)

    result = apply(world, path, "--case", "acct-1")
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
    recorded_mallory = evidence(result, "remove-unauthorized-credentials", "user-mallory")
    assert recorded_mallory["LoginProfile"]["UserName"] == "mallory"
    assert [k["Status"] for k in recorded_mallory["AccessKeys"]] == ["Active"]
    # The baseline users keep their credentials: deactivated, not removed.
    assert set(key_status(world.iam, "alice")) == {world.alice_exposed["AccessKeyId"], world.alice_other["AccessKeyId"]}
    assert set(key_status(world.iam, "bob")) == {world.bob_key["AccessKeyId"]}

    assert steps["delete-key-pairs"]["state"] == "done", steps["delete-key-pairs"]
    for region in REGIONS:
        assert boto("ec2", region_name=region).describe_key_pairs()["KeyPairs"] == []
    recorded = evidence(result, "delete-key-pairs", "key-pairs")
    assert {r: [p["KeyName"] for p in pairs] for r, pairs in recorded.items() if pairs} == {
        r: [f"ops-{r}"] for r in REGIONS}
    assert all(p["KeyFingerprint"] and p["KeyPairId"] for pairs in recorded.values() for p in pairs)

    checked = evidence(result, "verify-account", "account-check")
    assert checked["alternate-contact:SECURITY"]["status"] == "changed"
    assert checked["alternate-contact:SECURITY"]["current"]["Name"] == "Evil"
    assert checked["root-mfa"]["status"] == "ok"
    assert checked["credential-report"]["status"] == "changed"  # mallory is new

    assert steps["check-cloudtrail"]["state"] == "done", steps["check-cloudtrail"]
    hunted = evidence(result, "check-cloudtrail", "cloudtrail-summary")
    assert hunted["summary"] and hunted["resources"]
    assert result.returncode == 0, result.stdout + result.stderr

    undone = world.firebreak.run("case", "undo", "acct-1", "--apply", env=world.env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    for user in ("alice", "bob"):
        assert set(key_status(world.iam, user).values()) == {"Active"}


def account_state(world, boto):
    """What the account playbook could change, as boto3 sees it."""
    iam = world.iam
    users = sorted(u["UserName"] for u in iam.list_users()["Users"])
    state = {"users": users, "secrets": [s["Name"] for s in boto("secretsmanager").list_secrets()["SecretList"]]}
    for user in users:
        state[user] = {
            "keys": key_status(iam, user),
            "ssh": [k["SSHPublicKeyId"] for k in iam.list_ssh_public_keys(UserName=user)["SSHPublicKeys"]],
            "mfa": [d["SerialNumber"] for d in iam.list_mfa_devices(UserName=user)["MFADevices"]],
            "inline": {name: iam.get_user_policy(UserName=user, PolicyName=name)["PolicyDocument"]
                       for name in iam.list_user_policies(UserName=user)["PolicyNames"]},
            "attached": iam.list_attached_user_policies(UserName=user)["AttachedPolicies"],
        }
        try:
            state[user]["login"] = iam.get_login_profile(UserName=user)["LoginProfile"]["CreateDate"]
        except iam.exceptions.NoSuchEntityException:
            state[user]["login"] = None
    for region in REGIONS:
        state[region] = boto("ec2", region_name=region).describe_key_pairs()["KeyPairs"]
    return state


CHANGING_STEPS = {"deactivate-keys", "remove-unauthorized-credentials", "delete-key-pairs"}


def test_rerunning_changes_nothing(world, boto, tmp_path):
    path = capture(world, tmp_path)
    compromise(world, boto)
    first = apply(world, path, "--case", "acct-2")
    assert first.returncode == 0, first.stdout + first.stderr
    before = account_state(world, boto)

    # The same case again: every step reports itself done, nothing is called that changes anything.
    again = apply(world, path, "--case", "acct-2")
    assert again.returncode == 0, again.stdout + again.stderr
    steps = steps_of(again)
    assert CHANGING_STEPS <= set(steps)
    for name, step in steps.items():
        assert step["changes"] == [], (name, step)
        if step["state"] == "skipped":
            assert step["detail"].startswith("needs the decision"), (name, step)
        else:
            assert step["state"] == "done", (name, step)
            assert step["detail"] in ("verified: still done", "done in an earlier run"), (name, step)
    assert account_state(world, boto) == before

    # A new case finds the account already answered.
    fresh = apply(world, path, "--case", "acct-3")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    for name in CHANGING_STEPS:
        assert steps_of(fresh)[name]["state"] == "already-done", (name, steps_of(fresh)[name])
    assert account_state(world, boto) == before


def test_a_kept_key_of_a_user_outside_the_baseline_stays(world, boto, tmp_path):
    path = capture(world, tmp_path)
    compromise(world, boto)
    (kept,) = [k["AccessKeyId"] for k in world.iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"]]
    result = apply(world, path, "--keep", kept)
    assert steps_of(result)["remove-unauthorized-credentials"]["state"] == "done", result.stdout + result.stderr
    assert key_status(world.iam, "mallory") == {kept: "Active"}
    assert world.iam.list_ssh_public_keys(UserName="mallory")["SSHPublicKeys"] == []


def test_a_region_that_refuses_key_pairs_is_named_and_the_others_are_done(world, boto, tmp_path):
    denied = "eu-west-1"
    with refusing_proxy(world.firebreak.env["AWS_ENDPOINT_URL"], denied, "ec2") as url:
        result = world.run("account", "--apply", "--case", "acct-4", "--trail-logs", STRATUS_LOGS,
                           env={"AWS_ENDPOINT_URL": url})
    steps = steps_of(result)
    assert result.returncode == 1
    assert steps["delete-key-pairs"]["state"] == "failed"
    assert denied in steps["delete-key-pairs"]["detail"]
    assert "UnauthorizedOperation" in steps["delete-key-pairs"]["detail"]
    for region in REGIONS:
        pairs = boto("ec2", region_name=region).describe_key_pairs()["KeyPairs"]
        assert [p["KeyName"] for p in pairs] == ([f"ops-{region}"] if region == denied else []), region
    # The other steps did not wait for it.
    assert steps["deactivate-keys"]["state"] == "done"
    # The case says so too.
    case = world.firebreak.run("--output", "json", "case", "show", "acct-4", env=world.env)
    assert denied in case.stdout, case.stdout + case.stderr


SSH_KEY = ("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQDiGzJmL9c0u7eP1w2P7w2bT8F9Ggq3xM3e7d3oKq0bXwJ9GvS3P5hM1o"
           "Kz8c8m2u3a7y1p2x9QWbV5zZrLk1G4yPp0aH8vNq0O4p9Zx2tQ8c4dJ5a3X9F0k6LwYb7e2W1R3p4fS8u0TqVn5mY2h6Gj1C0x"
           "zq7Jv9b3KdF2sN6a8L1u4Qm0eT5yW7rP3cX9oH2i4kZ6jB8gA1fD5nS7vU0wE3tR9lM2bY4pC6qI8hK0xO1zG3aJ5dL7eN9f"
           "T1vX3cQ5sU7wY9A2kE4mG6iO8rT0uW2yB4dF6hJ8lN0pR2tV4xZ6B8D0F2H4J6L8N0P2R4T6V8X0Z2b4d6f8h0j2l4n6p8r0t"
           "2v4x6z8B0D2F4H6J8L0N2P4R6T8V0X2Z4b6d8f0h2j4l6n8p0r2t4v6x8z0 test@example")
