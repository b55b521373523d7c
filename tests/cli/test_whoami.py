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


def test_whoami_prompts_for_the_secret_when_not_on_stdin(iam, key, terminal):
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


# -- temporary credentials (issue 19.14): sts get-caller-identity accepts them too ---------------


@pytest.fixture
def signed_in(iam, key):
    """alice signed in (a login session) and in a role session: their printed credentials."""
    iam("user", "set-password", "alice", "--password-stdin", input="Whoami-test-pw-1\n")
    login = iam("login", "alice", "--password-stdin", "-o", "json", input="Whoami-test-pw-1\n").json()
    account = iam("account", "show", "-o", "json").json()["Account"]["AccountId"]
    iam("role", "create", "deploy", "--trust-user", f"arn:aws:iam::{account}:user/staff/alice")
    role = iam("role", "assume", "deploy", "--as", "user/alice", "--session-name", "alice-s", "-o", "json").json()
    return account, login["Credentials"], role


def _whoami(iam, creds, *, expect=0, token=None):
    return iam("whoami", "--access-key-id", creds["AccessKeyId"], "--secret-stdin", "-o", "json", expect=expect,
               input=f"{creds['SecretAccessKey']}\n{token or creds['SessionToken']}\n")


def test_whoami_with_a_login_sessions_credentials_names_the_user(iam, signed_in):
    """GetCallerIdentity: UserId is what aws:userid holds, the user's unique id for credentials
    from GetSessionToken, and Arn the user's ARN."""
    account, login, _ = signed_in
    user = iam("user", "show", "alice", "-o", "json").json()["User"]
    assert _whoami(iam, login).json() == {"UserId": user["UserId"], "Account": account, "Arn": user["Arn"]}


def test_whoami_with_a_role_sessions_credentials_names_the_assumed_role(iam, signed_in):
    """For an assumed role: UserId ROLE-ID:SESSION-NAME and the assumed-role ARN."""
    account, _, role = signed_in
    out = _whoami(iam, role["Credentials"]).json()
    assert out == {"UserId": role["AssumedRoleUser"]["AssumedRoleId"], "Account": account,
                   "Arn": f"arn:aws:sts::{account}:assumed-role/deploy/alice-s"}
    assert out["UserId"].startswith("AROA") and out["UserId"].endswith(":alice-s")


def test_whoami_refuses_temporary_credentials_as_sts_does(iam, signed_in, monkeypatch):
    _, login, _ = signed_in
    assert "InvalidClientTokenId" in _whoami(iam, login, expect=1, token="x" * 128).stderr
    wrong = {**login, "SecretAccessKey": "y" * 40}
    assert "SignatureDoesNotMatch" in _whoami(iam, wrong, expect=1).stderr
    no_token = iam("whoami", "--access-key-id", login["AccessKeyId"], "--secret-stdin",
                   input=login["SecretAccessKey"] + "\n", expect=2)
    assert "session token" in no_token.stderr
    monkeypatch.setenv("IAMCTL_NOW", "2099-01-01T00:00:00Z")
    assert "ExpiredToken" in _whoami(iam, login, expect=1).stderr
