"""A managed policy used as a permissions boundary: AWS counts the users and roles that use it
(PermissionsBoundaryUsageCount, GetPolicy / ListPolicies) and DeletePolicy refuses with
DeleteConflict "Cannot delete a policy attached to entities." while any does. Both sides are
stored (the entity's `permissions_boundary`, the policy's `boundary_uses`) and every path that
sets, moves or drops a boundary keeps them in step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iamctl.core.base.errors import DeleteConflict
from iamctl.core.bulk import account_export, account_import, onboarding
from iamctl.core.identities import policies, roles, users
from iamctl.core.store.directory import Store

DATA = Path(__file__).resolve().parents[2] / "data"
ROTATE = (DATA / "rotate_own_credentials_aws_username.json").read_text()
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
POWER = "arn:aws:iam::aws:policy/PowerUserAccess"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    s.init()
    return s


def _count(txn, ref):
    return policies.get_policy(txn, ref).boundary_usage_count


def test_delete_policy_is_a_delete_conflict_while_it_is_a_users_or_roles_boundary(store):
    """DeletePolicy: a policy in use as a permissions boundary cannot be deleted (AWS refuses
    with DeleteConflict until DeleteUserPermissionsBoundary / DeleteRolePermissionsBoundary)."""
    with store.write() as txn:
        arn = policies.create_policy(txn, "Bound", ROTATE).arn
        users.create_user(txn, "alice", permissions_boundary=arn)
        roles.create_role(txn, "app", TRUST, permissions_boundary=arn)
        assert _count(txn, arn) == 2
    with store.write() as txn, pytest.raises(DeleteConflict, match="Cannot delete a policy attached to entities"):
        policies.delete_policy(txn, "Bound")
    with store.write() as txn:
        users.update_user(txn, "alice", permissions_boundary=None)
        roles.update_role(txn, "app", permissions_boundary=None)
        assert _count(txn, arn) == 0
        policies.delete_policy(txn, "Bound")


def test_boundary_usage_count_follows_rename_move_and_delete_of_the_user(store):
    """UpdateUser renames carry the boundary use; DeleteUser (which a boundary does not block)
    and DeleteRole release it."""
    with store.write() as txn:
        arn = policies.create_policy(txn, "Bound", ROTATE).arn
        users.create_user(txn, "alice", permissions_boundary=arn)
        users.update_user(txn, "alice", new_name="alicia")
        assert txn.get("policy", "Bound").boundary_uses == ["user/alicia"]
        users.delete_user(txn, "alicia")
        roles.create_role(txn, "app", TRUST, permissions_boundary=arn)
        roles.delete_role(txn, "app", force=True)
        assert _count(txn, arn) == 0
        policies.delete_policy(txn, "Bound")


def test_aws_managed_boundary_use_is_recorded_and_released(store):
    """PermissionsBoundaryUsageCount of an AWS managed policy counts this account's users and roles."""
    with store.write() as txn:
        users.create_user(txn, "alice", permissions_boundary=POWER)
        roles.create_role(txn, "app", TRUST)
        roles.update_role(txn, "app", permissions_boundary=POWER)
        assert _count(txn, POWER) == 2
        info = next(p for p in policies.list_policies(txn, scope="AWS") if p.arn == POWER)
        assert info.boundary_usage_count == 2 and info.attachment_count == 0
        roles.update_role(txn, "app", permissions_boundary=None)
        users.update_user(txn, "alice", permissions_boundary=None)
        assert _count(txn, POWER) == 0
        assert not txn.exists("aws-policy", "PowerUserAccess")


def test_changing_a_boundary_moves_the_use_from_the_old_policy_to_the_new(store):
    with store.write() as txn:
        a = policies.create_policy(txn, "A", ROTATE).arn
        b = policies.create_policy(txn, "B", ROTATE).arn
        users.create_user(txn, "alice", permissions_boundary=a)
        users.update_user(txn, "alice", permissions_boundary=b)
        assert (_count(txn, a), _count(txn, b)) == (0, 1)


def test_onboarding_sync_keeps_boundary_uses_in_step(store):
    """The CSV import's boundary column (create, and --sync changes) records the use."""
    with store.write() as txn:
        a = policies.create_policy(txn, "A", ROTATE).arn
        b = policies.create_policy(txn, "B", ROTATE).arn
    for boundary in (a, b):
        parsed = onboarding.parse_file(f"name,boundary\nalice,{boundary}\n", fmt="csv")
        with store.write() as txn:
            onboarding.apply_import(txn, onboarding.plan_import(txn, parsed, sync=True))
    with store.read() as txn:
        assert (_count(txn, a), _count(txn, b)) == (0, 1)


def test_import_records_boundary_uses_from_authorization_details(store):
    """get-account-authorization-details: a user's PermissionsBoundary counts on the policy."""
    local = "arn:aws:iam::123456789012:policy/Bound"
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    details = {
        "UserDetailList": [{"UserName": "alice", "UserId": "AIDAALICE", "Path": "/", "CreateDate": "2024-01-01T00:00:00Z",
                            "Arn": "arn:aws:iam::123456789012:user/alice",
                            "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                                    "PermissionsBoundaryArn": local}}],
        "RoleDetailList": [{"RoleName": "app", "RoleId": "AROAAPP", "Path": "/", "CreateDate": "2024-01-01T00:00:00Z",
                            "Arn": "arn:aws:iam::123456789012:role/app", "AssumeRolePolicyDocument": json.loads(TRUST),
                            "PermissionsBoundary": {"PermissionsBoundaryType": "PermissionsBoundaryPolicy",
                                                    "PermissionsBoundaryArn": POWER}}],
        "GroupDetailList": [],
        "Policies": [{"PolicyName": "Bound", "PolicyId": "ANPABOUND", "Arn": local, "Path": "/",
                      "DefaultVersionId": "v1", "CreateDate": "2024-01-01T00:00:00Z", "UpdateDate": "2024-01-01T00:00:00Z",
                      "PolicyVersionList": [{"Document": doc, "VersionId": "v1", "IsDefaultVersion": True,
                                             "CreateDate": "2024-01-01T00:00:00Z"}]}],
    }
    s = Store(store.root.parent / "imported")
    account_import.import_files(s, [("details.json", json.dumps(details))])
    with s.write() as txn:
        assert txn.get("policy", "Bound").boundary_uses == ["user/alice"]
        assert txn.get("aws-policy", "PowerUserAccess").boundary_uses == ["role/app"]
        with pytest.raises(DeleteConflict):
            policies.delete_policy(txn, "Bound")
        exported = account_export.export_details(txn)
    assert [p["Arn"] for p in exported["Policies"]] == [local]  # a boundary-only AWS policy is not listed
