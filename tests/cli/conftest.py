"""`world`: one account holding an example of everything the read commands show.

Built once per test module through the real commands (`iam`), then copied into each test's
own account directory, so every test starts from the same state and may change it freely.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass

import pytest

from iamctl.core.credentials import totp

T0 = 1_800_000_000
ACCOUNT = "111122223333"
PASSWORD = "Correct-Horse-9"
DOC = {"Version": "2012-10-17", "Statement": [{"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject",
                                               "Resource": "arn:aws:s3:::reports/*"}]}
TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/engineering/alice"},
    "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]}]}
LAX = {"Version": "2012-10-17", "Statement": [{"Sid": "Pass", "Effect": "Allow",
                                               "Action": ["iam:PassRole", "s3:GetObjekt"], "Resource": "*"}]}
SAML_METADATA = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
                 'entityID="https://idp.example.com" validUntil="2030-01-01T00:00:00Z">'
                 f'<!-- {"x" * 1000} --></md:EntityDescriptor>')


@dataclass
class World:
    """What the commands printed while the world was built: secrets shown once, ids."""

    secret_access_key: str
    access_key_id: str
    mfa_seed: str
    files: dict[str, str]


def _build(iam, tmp) -> World:
    files = {}
    for name, text in (("doc", json.dumps(DOC)), ("trust", json.dumps(TRUST)), ("lax", json.dumps(LAX)),
                       ("saml", SAML_METADATA),
                       ("import", "name,path,groups\ncarol,/sales/,developers\nbob,/sales/,\n")):
        (tmp / name).write_text(text)
        files[name] = str(tmp / name)
    iam("init", "--account-id", ACCOUNT)
    iam("account", "set-alias", "example-corp")
    iam("account", "password-policy", "set", "--minimum-password-length", "12", "--require-symbols",
        "--max-password-age", "90", "--password-reuse-prevention", "5", "--allow-users-to-change-password")
    iam("policy", "create", "ReadReports", "--document", files["doc"], "--path", "/teams/",
        "--description", "Read the reports bucket", "--tag", "team=finance")
    iam("policy", "create-version", "ReadReports", "--document", files["doc"], "--set-as-default")
    iam("user", "create", "alice", "--path", "/engineering/", "--tag", "team=web", "--tag", "cost-center=1234",
        "--permissions-boundary", "arn:aws:iam::aws:policy/PowerUserAccess")
    iam("user", "create", "bob")
    iam("group", "create", "developers", "--path", "/engineering/")
    iam("group", "add-user", "developers", "alice")
    iam("group", "attach-policy", "developers", f"arn:aws:iam::{ACCOUNT}:policy/teams/ReadReports")
    iam("group", "put-policy", "developers", "GroupInline", "--document", files["doc"])
    iam("user", "attach-policy", "alice", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam("user", "put-policy", "alice", "AllowS3", "--document", files["doc"])
    iam("user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n")
    key = iam("user", "create-access-key", "alice", "-o", "json").json()["AccessKey"]
    iam("mfa", "create", "alice-phone", "--seed-file", str(tmp / "seed"))
    seed = (tmp / "seed").read_text().strip()
    iam("mfa", "enable", "--user", "alice", "--serial", "alice-phone", "--code1", totp.code_at(seed, T0 - 30),
        "--code2", totp.code_at(seed, T0))
    iam("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(seed, T0 + 30), input=PASSWORD + "\n")
    iam("mfa", "create", "spare", "--seed-file", str(tmp / "spare-seed"))
    iam("role", "create", "deploy", "--trust-policy", files["trust"],
        "--description", "Deploys the web site", "--max-session-duration", "7200", "--tag", "team=platform",
        "--permissions-boundary", "arn:aws:iam::aws:policy/PowerUserAccess")
    iam("role", "attach-policy", "deploy", "arn:aws:iam::aws:policy/ReadOnlyAccess")
    iam("role", "put-policy", "deploy", "RoleInline", "--document", files["doc"])
    iam("role", "assume", "deploy", "--as", "user/alice", "--session-name", "alice-session",
        "--source-identity", "alice", "--tag", "project=web")
    iam("role", "instance-profile", "create", "web-server", "--path", "/web/")
    iam("role", "instance-profile", "add-role", "web-server", "deploy")
    iam("role", "provider", "create-oidc", "--url", "https://token.actions.githubusercontent.com",
        "--client-id", "sts.amazonaws.com")
    iam("role", "provider", "create-saml", "corp-idp", "--metadata", files["saml"])
    return World(secret_access_key=key["SecretAccessKey"], access_key_id=key["AccessKeyId"], mfa_seed=seed,
                 files=files)


@pytest.fixture
def terminal(monkeypatch):
    """Standard input as a terminal: iamctl prompts (hidden prompts included), and the test
    runner types the `input=` lines at them."""
    from iamctl.cli import common

    monkeypatch.setattr(common, "stdin_is_terminal", lambda: True, raising=False)


@pytest.fixture(scope="module")
def _world_template(tmp_path_factory):
    return {"dir": tmp_path_factory.mktemp("world") / "acct", "world": None}


@pytest.fixture
def world(iam, account_dir, tmp_path, monkeypatch, _world_template) -> World:
    """The example account in this test's directory; the clock pinned one minute after it was built."""
    monkeypatch.setenv("IAMCTL_NOW", str(T0))
    if _world_template["world"] is None:
        built = _build(iam, _world_template["dir"].parent)
        shutil.copytree(account_dir, _world_template["dir"], symlinks=True)
        _world_template["world"] = built
    else:
        shutil.copytree(_world_template["dir"], account_dir, symlinks=True)
    monkeypatch.setenv("IAMCTL_NOW", str(T0 + 60))
    return _world_template["world"]
