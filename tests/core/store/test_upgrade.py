"""Upgrading a directory written at schema version 1 to version 2, in place (store/upgrade.py).

tests/data/store-v1/acct was written by iamctl at version 1 (see tests/data/README.md). Readers
read it as it is; the first command that writes upgrades it, in one transaction: sessions and
trust policies are bound to unique ids, and locks set by a clock pinned into the future end at
most 300 seconds of the system clock later (issue 20, items 1, 6, 7 and 9).
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

V1 = Path(__file__).resolve().parents[2] / "data" / "store-v1"
ACCOUNT = "111122223333"
NOW = 1_768_480_200  # 2026-01-15T12:30:00Z: both sessions of the fixture are live


@pytest.fixture
def old(account_dir, monkeypatch, wall):
    shutil.copytree(V1 / "acct", account_dir)
    monkeypatch.setenv("IAMCTL_NOW", str(NOW))
    wall(NOW)
    return account_dir


def _version(root: Path) -> int:
    return tomllib.loads((root / "iamctl.toml").read_text())["schema_version"]


def _secret(root: Path, *parts: str) -> dict:
    return tomllib.loads((root / "secrets" / ACCOUNT / Path(*parts)).read_text())


def test_readers_read_a_version_1_directory_as_it_is(iam, old):
    assert [u["UserName"] for u in iam("user", "list", "-o", "json").json()["Users"]] == ["alice", "bob"]
    assert _version(old) == 1


def test_the_first_write_upgrades_and_binds_sessions_and_trust_to_unique_ids(iam, old):
    iam("user", "tag", "bob", "team=ops")
    assert _version(old) == 2
    alice = tomllib.loads((old / ACCOUNT / "users" / "alice.toml").read_text())
    role = tomllib.loads((old / ACCOUNT / "roles" / "deploy.toml").read_text())
    assert role["trust_principal_ids"] == {f"arn:aws:iam::{ACCOUNT}:user/alice": alice["user_id"]}
    sessions = {s["type"]: s for s in (tomllib.loads(p.read_text())
                                        for p in (old / "secrets" / ACCOUNT / "sessions").iterdir())}
    assert sessions["user"]["user_id"] == alice["user_id"]
    assert sessions["assumed-role"]["role_id"] == role["role_id"]
    # The sessions go on working, with all three parts of their credentials.
    for printed in ("login.json", "assume.json"):
        creds = (V1 / printed).read_text()
        iam("simulate", "principal", "--session", "-", "-a", "sts:GetCallerIdentity", input=creds, expect=3)


def test_a_lock_set_by_a_clock_pinned_into_the_future_ends_within_300_seconds(iam, old, wall):
    """Five failures under IAMCTL_NOW=2099 locked alice's sign-in and bob's MFA device until 2099."""
    iam("user", "tag", "bob", "team=ops")
    assert "signin" not in _secret(old, "users", "alice.toml")
    attempts = _secret(old, "password-attempts", "alice.toml")
    assert attempts["failures"] == 5
    assert _secret(old, "mfa", "bob-phone.toml")["locked_until"] == NOW + 300
    iam("login", "alice", "--password-stdin", input="V1-fixture-pw-1!\n", expect=1)  # still locked ...
    wall(NOW + 300)
    iam("login", "alice", "--password-stdin", input="V1-fixture-pw-1!\n")  # ... for 300 s, not 73 years


def test_a_session_issued_to_an_earlier_namesake_is_dropped(iam, old):
    user_file = old / ACCOUNT / "users" / "alice.toml"  # alice created again after her session was issued
    user_file.write_text(user_file.read_text().replace('created = "2026-01-15T12:00:00Z"\ngroups',
                                                       'created = "2026-01-15T12:20:00Z"\ngroups'))
    iam("user", "tag", "bob", "team=ops")
    kinds = [tomllib.loads(p.read_text())["type"] for p in (old / "secrets" / ACCOUNT / "sessions").iterdir()]
    assert kinds == ["assumed-role"]
    r = iam("simulate", "principal", "--session", "-", "-a", "s3:GetObject", input=(V1 / "login.json").read_text(),
            expect=1)
    assert "InvalidClientTokenId" in r.stderr
