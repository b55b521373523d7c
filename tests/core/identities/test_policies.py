"""iamctl.core.identities.policies called directly: the helpers other features build on (delete --force,
rename, the simulator), and the both-sides bookkeeping of attachments."""

from __future__ import annotations

from pathlib import Path

import pytest

from iamctl.core.base.errors import LimitExceeded, MalformedPolicyDocument, NoSuchEntity
from iamctl.core.identities import documents, policies
from iamctl.core.store.directory import Store
from iamctl.core.store.records import Group, Role, User

DATA = Path(__file__).resolve().parents[2] / "data"
MFA = (DATA / "force_mfa_self_manage_credentials.json").read_text()
ROTATE = (DATA / "rotate_own_credentials_aws_username.json").read_text()
DATES = (DATA / "allow_between_dates.json").read_text()
SOURCE_IP = (DATA / "deny_outside_source_ip.json").read_text()
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
T0 = "2024-01-01T00:00:00Z"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a")
    with s.write() as txn:
        txn.put("user", User("alice", "AIDAALICE", "/", T0, groups=["devs"]))
        txn.put("group", Group("devs", "AGPADEVS", "/", T0, members=["alice"]))
        txn.put("role", Role("app", "AROAAPP", "/", T0, assume_role_policy="{}"))
    return s


def test_document_size_does_not_count_whitespace():
    """IAM and AWS STS quotas: "IAM doesn't count white space" against policy size."""
    assert policies.document_size('{ "a" :\n\t"b c" }') == 10


def test_validate_document_returns_the_text_unchanged():
    assert policies.validate_document(ROTATE) is ROTATE


def test_validate_document_checks_a_trust_policy_grammar_for_roles():
    trust = (DATA / "trust_require_mfa.json").read_text()
    assert policies.validate_document(trust, kind="trust") == trust
    with pytest.raises(MalformedPolicyDocument):
        policies.validate_document(trust)  # an identity policy needs a Resource and takes no Principal


def test_effective_policies_of_a_user_include_its_groups_inline_and_attached(store):
    with store.write() as txn:
        arn = policies.create_policy(txn, "Rotate", ROTATE).arn
        policies.put_inline_policy(txn, "user", "alice", "Dates", DATES)
        policies.attach_policy(txn, "user", "alice", arn)
        policies.put_inline_policy(txn, "group", "devs", "Ip", SOURCE_IP)
        policies.attach_policy(txn, "group", "devs", READ_ONLY)
        policies.attach_policy(txn, "group", "devs", arn)  # reached twice: listed once
    with store.read() as txn:
        docs = documents.effective_policies(txn, "user", "alice")
    assert [d.label for d in docs] == ["user/alice inline Dates", arn, "group/devs inline Ip", READ_ONLY]
    assert docs[0].document == DATES and docs[1].document == ROTATE and docs[2].document == SOURCE_IP
    assert '"Version"' in docs[3].document  # the bundled AWS managed document


def test_effective_policies_follow_the_default_version(store):
    with store.write() as txn:
        arn = policies.create_policy(txn, "P", ROTATE).arn
        policies.attach_policy(txn, "role", "app", arn)
        policies.create_version(txn, "P", DATES, set_as_default=True)
    with store.read() as txn:
        assert documents.effective_policies(txn, "role", "app") == [documents.NamedDocument(arn, DATES)]


def test_boundary_document_is_the_boundary_policy_default_version(store):
    with store.write() as txn:
        arn = policies.create_policy(txn, "Boundary", ROTATE).arn
        txn.require("user", "alice").permissions_boundary = arn
        txn.put("user", txn.require("user", "alice"))
    with store.read() as txn:
        assert documents.boundary_document(txn, "user", "alice") == documents.NamedDocument(arn, ROTATE)
        assert documents.boundary_document(txn, "role", "app") is None
        assert documents.boundary_document(txn, "group", "devs") is None


def test_detach_all_clears_both_sides_and_inline_policies(store):
    with store.write() as txn:
        arn = policies.create_policy(txn, "P", ROTATE).arn
        policies.attach_policy(txn, "group", "devs", arn)
        policies.attach_policy(txn, "group", "devs", READ_ONLY)
        policies.put_inline_policy(txn, "group", "devs", "Ip", SOURCE_IP)
    with store.write() as txn:
        assert policies.detach_all(txn, "group", "devs") == [arn, READ_ONLY]
    with store.read() as txn:
        group = txn.require("group", "devs")
        assert group.attached_policies == [] and group.inline_policies == {}
        assert txn.require("policy", "P").attachments == []
        # The AWS managed policy's attachment record goes when its last attachment does.
        assert txn.get("aws-policy", "ReadOnlyAccess") is None
    with store.write() as txn:
        policies.delete_policy(txn, "P")  # nothing attached any more: no DeleteConflict


def test_rename_attachments_rewrites_the_policy_side(store):
    with store.write() as txn:
        arn = policies.create_policy(txn, "P", ROTATE).arn
        policies.attach_policy(txn, "user", "alice", arn)
        policies.attach_policy(txn, "user", "alice", READ_ONLY)
    with store.write() as txn:
        user = txn.require("user", "alice")
        txn.delete("user", "alice")
        user.name = "alicia"
        txn.put("user", user)
        policies.rename_attachments(txn, "user", "alice", "alicia")
    with store.read() as txn:
        assert txn.require("policy", "P").attachments == ["user/alicia"]
        assert txn.require("aws-policy", "ReadOnlyAccess").attachments == ["user/alicia"]


def test_attachment_records_match_without_regard_to_case(store):
    """Entity names are unique without regard to case: detaching via "ALICE" detaches alice."""
    with store.write() as txn:
        arn = policies.create_policy(txn, "P", ROTATE).arn
        policies.attach_policy(txn, "user", "alice", arn)
        policies.detach_policy(txn, "user", "ALICE", arn)
        assert txn.require("policy", "P").attachments == []


def test_managed_document_of_an_unknown_arn_is_no_such_entity(store):
    with store.read() as txn, pytest.raises(NoSuchEntity):
        documents.managed_document(txn, "arn:aws:iam::aws:policy/NotAPolicy")


def test_quota_can_be_raised_per_account(store):
    """Quotas live in the account, so a local account can allow more than AWS's 5 versions."""
    from iamctl.core.identities import account

    with store.write() as txn:
        policies.create_policy(txn, "P", ROTATE)
        for _ in range(4):
            policies.create_version(txn, "P", ROTATE)
        with pytest.raises(LimitExceeded):
            policies.create_version(txn, "P", ROTATE)
        account.set_quota(txn, "versions-per-policy", 6)
        assert policies.create_version(txn, "P", ROTATE).version_id == "v6"


@pytest.mark.parametrize("path", ["/a b/", "/team#1/", "/a~b/", "//"])
def test_policy_paths_follow_create_policys_stricter_pattern(store, path):
    """CreatePolicy's Path is ((/[A-Za-z0-9.,+@=_-]+)*)/ : unlike a user's path, no other
    printable ASCII such as # or ~, and no empty segment."""
    from iamctl.core.base.errors import ValidationError

    with store.write() as txn, pytest.raises(ValidationError, match="policy path"):
        policies.create_policy(txn, "P", ROTATE, path=path)
    with store.write() as txn:
        assert policies.create_policy(txn, "P", ROTATE, path="/team.a/b+c@d=e_f-g,h/").path == "/team.a/b+c@d=e_f-g,h/"
