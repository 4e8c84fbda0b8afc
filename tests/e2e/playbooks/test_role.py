"""`firebreak role` against moto: the deny on older sessions, Identity Center assignments
removed for AWSReservedSSO_* roles (and restored by undo), refusals for bad roles."""
import json
from datetime import datetime, timedelta

import pytest

from identity_world import STRATUS_LOGS, World, steps_of, utc_now

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def world(fresh_moto, boto, firebreak):
    return World(boto, firebreak)


def test_role_sessions_are_revoked(world):
    world.iam.create_role(RoleName="Deployer", AssumeRolePolicyDocument=TRUST)
    started = utc_now()
    result = world.run("role", "Deployer", "--apply", "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps_of(result)["revoke-sessions"]["state"] == "done"
    policy = world.iam.get_role_policy(RoleName="Deployer", PolicyName="AWSRevokeOlderSessions")["PolicyDocument"]
    policy = json.loads(policy) if isinstance(policy, str) else policy
    statement = policy["Statement"][-1]
    assert statement["Effect"] == "Deny"
    issued = datetime.fromisoformat(statement["Condition"]["DateLessThan"]["aws:TokenIssueTime"].replace("Z", "+00:00"))
    assert started - timedelta(seconds=5) <= issued <= utc_now()


def test_identity_center_role_loses_its_assignment_and_undo_restores_it(world, boto):
    sso = boto("sso-admin")
    instance = sso.list_instances()["Instances"][0]
    account = boto("sts").get_caller_identity()["Account"]
    permission_set = sso.create_permission_set(InstanceArn=instance["InstanceArn"], Name="ReadOnly")["PermissionSet"]
    store = boto("identitystore")
    user_id = store.create_user(IdentityStoreId=instance["IdentityStoreId"], UserName="jane", DisplayName="Jane",
                                Name={"GivenName": "Jane", "FamilyName": "Doe"})["UserId"]
    assignment = dict(InstanceArn=instance["InstanceArn"], TargetId=account, TargetType="AWS_ACCOUNT",
                      PermissionSetArn=permission_set["PermissionSetArn"], PrincipalType="USER", PrincipalId=user_id)
    sso.create_account_assignment(**assignment)
    world.iam.create_role(RoleName="AWSReservedSSO_ReadOnly_0123456789abcdef", AssumeRolePolicyDocument=TRUST,
                          Path="/aws-reserved/sso.amazonaws.com/")

    def assigned():
        return sso.list_account_assignments(InstanceArn=instance["InstanceArn"], AccountId=account,
                                            PermissionSetArn=permission_set["PermissionSetArn"])["AccountAssignments"]

    result = world.run("role", "AWSReservedSSO_ReadOnly_0123456789abcdef", "--session", "jane", "--apply",
                       "--case", "sso-1", "--trail-logs", STRATUS_LOGS)
    assert result.returncode == 0, result.stdout + result.stderr
    assert steps_of(result)["identity-center"]["state"] == "done"
    assert "revoke-sessions" not in steps_of(result)
    assert assigned() == []

    undone = world.firebreak.run("case", "undo", "sso-1", "--apply", env=world.env)
    assert undone.returncode == 0, undone.stdout + undone.stderr
    assert [a["PrincipalId"] for a in assigned()] == [user_id]


def test_service_linked_role_is_refused(world):
    role = world.iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]
    result = world.run("role", role["RoleName"], "--apply")
    assert result.returncode == 2
    assert "service-linked" in result.stderr


@pytest.mark.parametrize("name, message", [("NoSuchRole", "no IAM role"), ("bad/role", "IAM names")])
def test_bad_roles_exit_2(world, name, message):
    result = world.run("role", name, "--apply")
    assert result.returncode == 2
    assert message in result.stderr
