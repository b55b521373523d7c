"""Unique ids of the principals a trust policy names (store/trust.py).

IAM User Guide, "AWS JSON policy elements: Principal" (IAM role and user principals): IAM keeps
the unique id of a user or role named in a trust policy when it is saved, shows the ARN while it
still names that principal, and the id once it no longer does.
"""

from __future__ import annotations

import json

import pytest
from msgspec import structs

from iamctl.core.identities import roles, users
from iamctl.core.store import trust
from iamctl.core.store.directory import Store

A, B = "111122223333", "444455556666"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "d")
    s.init(A)
    s.init(B)
    return s


def _doc(*principals) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": p, "Action": "sts:AssumeRole"} for p in principals]})


def test_ids_are_kept_for_users_and_roles_of_any_account_of_the_directory_named_exactly(store):
    with store.write() as txn:
        alice = users.create_user(txn, "alice", path="/staff/")
        ci = roles.create_role(txn, "ci", _doc({"Service": "ec2.amazonaws.com"}))
        other = roles.create_role(txn.in_account(B), "remote", _doc({"AWS": A}))
        ids = trust.trust_principal_ids(txn, _doc(
            {"AWS": [f"arn:aws:iam::{A}:user/staff/alice", f"arn:aws:iam::{A}:user/alice",  # wrong path: not her
                     f"arn:aws:iam::{A}:role/ci", A, "*"]},
            {"AWS": f"arn:aws:iam::{B}:role/remote"}, {"AWS": "arn:aws:iam::999999999999:user/alice"},
            {"Service": "ec2.amazonaws.com"}))
    assert ids == {f"arn:aws:iam::{A}:user/staff/alice": alice.user_id, f"arn:aws:iam::{A}:role/ci": ci.role_id,
                   f"arn:aws:iam::{B}:role/remote": other.role_id}


def test_the_policy_shows_the_arn_while_it_holds_and_the_id_once_it_does_not(store):
    arn = f"arn:aws:iam::{A}:user/alice"
    text = _doc({"AWS": [arn, A]})
    with store.write() as txn:
        alice = users.create_user(txn, "alice")
        role = roles.create_role(txn, "deploy", text)
        assert roles.trust_policy_to_show(txn, role) == text  # as written, formatting and all
        evaluated = json.loads(roles.trust_policy_to_evaluate(role))
        assert evaluated["Statement"][0]["Principal"] == {"AWS": [alice.user_id, A]}
        users.delete_user(txn, "alice")
        users.create_user(txn, "alice")
        shown = json.loads(roles.trust_policy_to_show(txn, role))
        assert shown["Statement"][0]["Principal"] == {"AWS": [alice.user_id, A]}


def test_a_policy_without_recorded_ids_is_used_as_written(store):
    with store.write() as txn:
        role = roles.create_role(txn, "deploy", _doc({"AWS": f"arn:aws:iam::{A}:user/nobody"}))
        assert role.trust_principal_ids == {}
        assert roles.trust_policy_to_evaluate(structs.replace(role)) == role.assume_role_policy
