"""`iamctl whoami`: verify an access key pair like sts get-caller-identity."""

from __future__ import annotations

import pytest


@pytest.fixture
def key(iam):
    iam("user", "create", "alice", "--path", "/staff/")
    return iam("user", "create-access-key", "alice", "-o", "json").json()["AccessKey"]


def test_whoami_prints_the_caller_identity(iam, key):
    out = iam("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", "-o", "json",
              input=key["SecretAccessKey"] + "\n").json()
    user = iam("user", "show", "alice", "-o", "json").json()["User"]
    account = iam("account", "show", "-o", "json").json()["Account"]["AccountId"]
    assert out == {"UserId": user["UserId"], "Account": account,
                   "Arn": f"arn:aws:iam::{account}:user/staff/alice"}


def test_whoami_prompts_for_the_secret_when_not_on_stdin(iam, key):
    out = iam("whoami", "--access-key-id", key["AccessKeyId"], "-o", "json", input=key["SecretAccessKey"] + "\n")
    assert "alice" in out.json()["Arn"]
    assert key["SecretAccessKey"] not in out.stdout


def test_whoami_records_last_use(iam, key):
    iam("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", input=key["SecretAccessKey"],
        env={"IAMCTL_NOW": "2026-06-01T00:00:00Z"})
    listed = iam("user", "list-access-keys", "alice", "-o", "json").json()["AccessKeyMetadata"]
    assert listed[0]["LastUsedDate"] == "2026-06-01T00:00:00Z"


def test_wrong_secret_is_signature_does_not_match(iam, key):
    r = iam("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", input="x" * 40, expect=1)
    assert r.stderr.startswith("iamctl: error: SignatureDoesNotMatch:") and r.stdout == ""
    listed = iam("user", "list-access-keys", "alice", "-o", "json").json()["AccessKeyMetadata"]
    assert listed[0]["LastUsedDate"] is None  # a failure is not a use


def test_unknown_key_is_invalid_client_token_id(iam, key):
    r = iam("whoami", "--access-key-id", "AKIAAAAAAAAAAAAAAAAA", "--secret-stdin", input=key["SecretAccessKey"],
            expect=1)
    assert r.stderr == ("iamctl: error: InvalidClientTokenId: The security token included in the request "
                        "is invalid.\n")


def test_inactive_key_is_invalid_client_token_id(iam, key):
    iam("user", "update-access-key", "alice", key["AccessKeyId"], "--status", "Inactive")
    r = iam("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", input=key["SecretAccessKey"],
            expect=1)
    assert "InvalidClientTokenId: The security token included in the request is invalid." in r.stderr


def test_deleted_user_key_no_longer_authenticates(iam, key):
    iam("user", "delete", "alice", "--force")
    iam("whoami", "--access-key-id", key["AccessKeyId"], "--secret-stdin", input=key["SecretAccessKey"], expect=1)
