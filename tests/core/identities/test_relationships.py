"""Relationship consistency under random sequences of operations.

AWS relates entities both ways (ListGroupsForUser / GetGroup, ListAttachedUserPolicies /
ListEntitiesForPolicy, ListMFADevices / ListVirtualMFADevices, GetRole / GetInstanceProfile,
PermissionsBoundaryUsageCount); iamctl stores both sides, so every operation must keep them in
step. These tests run seeded random sequences of core operations (creates, renames with case
changes, deletes with and without force, attach/detach, boundaries, group membership, access
keys, MFA devices, instance profiles), refused ones included, then check that `account check`
finds nothing and that every relationship reads the same from both ends.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from iamctl.core.base import clock
from iamctl.core.base.errors import IamError
from iamctl.core.credentials import access_keys, mfa, totp
from iamctl.core.identities import account, documents, groups, instance_profiles, policies, roles, users
from iamctl.core.store.directory import Store

DATA = Path(__file__).resolve().parents[2] / "data"
DOC = (DATA / "rotate_own_credentials_aws_username.json").read_text()
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
AWS_POLICIES = ["arn:aws:iam::aws:policy/ReadOnlyAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]
USERS = ["alice", "Alice", "bob", "carol"]
GROUPS = ["devs", "DEVS", "ops"]
ROLES = ["app", "web"]
POLICIES = ["P1", "p1", "P2"]
PROFILES = ["prof", "Prof2"]
DEVICES = ["dev-a", "dev-b"]


def _policy_arn(txn, rng) -> str:
    if rng.random() < 0.4:
        return rng.choice(AWS_POLICIES)
    return f"arn:aws:iam::{txn.account_id}:policy/{rng.choice(POLICIES)}"


def _enable(txn, rng) -> None:
    device = txn.get("mfa", rng.choice(DEVICES))
    if device is None:
        return
    seed = (txn.get_secret("mfa", device.name) or {})["seed"]
    now = totp.time_step(clock.now()) * 30
    mfa.enable_mfa_device(txn, rng.choice(USERS), device.serial, totp.code_at(seed, now - 30), totp.code_at(seed, now))


def _one_operation(txn, rng) -> None:
    u, g, r, p = rng.choice(USERS), rng.choice(GROUPS), rng.choice(ROLES), rng.choice(POLICIES)
    kind, name = rng.choice([("user", u), ("group", g), ("role", r)])
    op = rng.randrange(32)
    if op >= 24:  # creations, weighted so that the account is seldom empty
        op = [0, 0, 3, 9, 14, 17, 22, 6][op - 24]
    if op == 0:
        users.create_user(txn, u, permissions_boundary=_policy_arn(txn, rng) if rng.random() < 0.3 else None)
    elif op == 1:
        users.update_user(txn, u, new_name=rng.choice(USERS))
    elif op == 2:
        users.delete_user(txn, u, force=rng.random() < 0.7)
    elif op == 3:
        groups.create_group(txn, g)
    elif op == 4:
        groups.update_group(txn, g, new_name=rng.choice(GROUPS))
    elif op == 5:
        groups.delete_group(txn, g, force=rng.random() < 0.7)
    elif op in (6, 7):
        groups.add_user_to_group(txn, g, u)
    elif op == 8:
        groups.remove_user_from_group(txn, g, u)
    elif op == 9:
        policies.create_policy(txn, p, DOC)
    elif op == 10:
        policies.delete_policy(txn, p)
    elif op in (11, 12):
        policies.attach_policy(txn, kind, name, _policy_arn(txn, rng))
    elif op == 13:
        policies.detach_policy(txn, kind, name, _policy_arn(txn, rng))
    elif op == 14:
        roles.create_role(txn, r, TRUST, permissions_boundary=_policy_arn(txn, rng) if rng.random() < 0.3 else None)
    elif op == 15:
        roles.delete_role(txn, r, force=rng.random() < 0.7)
    elif op == 16:
        boundary = _policy_arn(txn, rng) if rng.random() < 0.6 else None
        if rng.random() < 0.5:
            roles.update_role(txn, r, permissions_boundary=boundary)
        else:
            users.update_user(txn, u, permissions_boundary=boundary)
    elif op == 17:
        instance_profiles.create_instance_profile(txn, rng.choice(PROFILES))
    elif op == 18:
        instance_profiles.add_role_to_instance_profile(txn, rng.choice(PROFILES), r)
    elif op == 19:
        instance_profiles.remove_role_from_instance_profile(txn, rng.choice(PROFILES), r)
    elif op == 20:
        instance_profiles.delete_instance_profile(txn, rng.choice(PROFILES), force=rng.random() < 0.5)
    elif op == 21:
        user = txn.get("user", u)
        if user is not None and user.access_keys and rng.random() < 0.5:
            access_keys.delete_access_key(txn, u, rng.choice(user.access_keys).access_key_id)
        else:
            access_keys.create_access_key(txn, u)
    elif op == 22:
        mfa.create_virtual_mfa_device(txn, rng.choice(DEVICES))
    elif op == 23:
        device = txn.get("mfa", rng.choice(DEVICES))
        if device is not None and device.user is not None and rng.random() < 0.5:
            mfa.deactivate_mfa_device(txn, device.serial)
        elif device is not None and rng.random() < 0.3:
            mfa.delete_virtual_mfa_device(txn, device.serial)
        else:
            _enable(txn, rng)


def _holder(txn, arn: str):
    name = arn.rsplit("/", 1)[-1]
    return txn.get("aws-policy", name) if arn.startswith("arn:aws:iam::aws:") else txn.get("policy", name)


def relationship_problems(txn) -> list[str]:
    """Every place where the two stored sides of a relationship disagree."""
    found: list[str] = []
    everyone = {k: {e.name: e for e in txn.list(k)} for k in ("user", "group", "role")}
    for kind, entities in everyone.items():
        for name, entity in entities.items():
            if len(set(entity.attached_policies)) != len(entity.attached_policies):
                found.append(f"{kind}/{name}: a policy attached twice")
            for arn in entity.attached_policies:
                holder = _holder(txn, arn)
                if holder is None or f"{kind}/{name}" not in holder.attachments:
                    found.append(f"{kind}/{name} has {arn} attached; the policy does not list it")
            boundary = getattr(entity, "permissions_boundary", None)
            if boundary:
                holder = _holder(txn, boundary)
                if holder is None or f"{kind}/{name}" not in holder.boundary_uses:
                    found.append(f"{kind}/{name} has boundary {boundary}; the policy does not list it")
    for holder in [*txn.list("policy"), *txn.list("aws-policy")]:
        arn = getattr(holder, "arn", None) or documents.policy_arn(txn, holder)
        if not (holder.attachments or holder.boundary_uses) and not hasattr(holder, "policy_id"):
            found.append(f"{arn}: an AWS managed policy record with nothing in it")
        for target in holder.attachments:
            kind, _, name = target.partition("/")
            entity = everyone[kind].get(name)
            if entity is None or arn not in entity.attached_policies:
                found.append(f"{arn} lists {target}, which does not have it attached")
        for target in holder.boundary_uses:
            kind, _, name = target.partition("/")
            entity = everyone[kind].get(name)
            if entity is None or entity.permissions_boundary != arn:
                found.append(f"{arn} lists boundary use {target}, which does not have it as boundary")
    for name, user in everyone["user"].items():
        for g in user.groups:
            group = everyone["group"].get(g)
            if group is None or name not in group.members:
                found.append(f"user {name} is in group {g}, which does not list it")
        for key in user.access_keys:
            record = txn.get("access-key", key.access_key_id)
            if record is None or record.user != name:
                found.append(f"user {name} has key {key.access_key_id}, whose index record is {record}")
        for serial in user.mfa_devices:
            device = txn.get("mfa", serial.rsplit("/", 1)[-1])
            if device is None or device.user != name:
                found.append(f"user {name} has MFA device {serial}, which names {device and device.user}")
    for name, group in everyone["group"].items():
        for m in group.members:
            user = everyone["user"].get(m)
            if user is None or name not in user.groups:
                found.append(f"group {name} lists member {m}, who is not in it")
    for record in txn.list("access-key"):
        user = everyone["user"].get(record.user)
        if user is None or record.access_key_id not in [k.access_key_id for k in user.access_keys]:
            found.append(f"access key {record.access_key_id} names user {record.user}, who does not have it")
    for device in txn.list("mfa"):
        if device.user is not None:
            user = everyone["user"].get(device.user)
            if user is None or device.serial not in user.mfa_devices:
                found.append(f"MFA device {device.name} names user {device.user}, who does not have it")
    for profile in txn.list("instance-profile"):
        for r in profile.roles:
            role = everyone["role"].get(r)
            if role is None or profile.name not in role.instance_profiles:
                found.append(f"instance profile {profile.name} holds role {r}, which does not list it")
    for name, role in everyone["role"].items():
        for pname in role.instance_profiles:
            profile = txn.get("instance-profile", pname)
            if profile is None or name not in profile.roles:
                found.append(f"role {name} is in instance profile {pname}, which does not hold it")
    return found


@pytest.mark.parametrize("seed", range(8))
def test_random_operations_keep_every_relationship_symmetric(tmp_path, monkeypatch, seed):
    """After any sequence of operations, refused ones included, both sides of every relationship
    agree and `iamctl account check` reports nothing (AWS's views of a relationship from either
    end always agree)."""
    monkeypatch.setenv("IAMCTL_NOW", "2026-01-01T00:00:00Z")
    rng = random.Random(seed)
    store = Store(tmp_path / "a")
    store.init()
    for step in range(150):
        try:
            with store.write() as txn:
                _one_operation(txn, rng)
        except IamError:
            pass  # refused: the transaction wrote nothing
        if step % 25 == 24:
            with store.read() as txn:
                assert relationship_problems(txn) == [], f"seed {seed}, step {step}"
    with store.read() as txn:
        assert account.check_directory(txn) == []
        assert relationship_problems(txn) == []
