"""`iamctl login USER`: password, MFA code, new password when due; credentials printed once."""

from __future__ import annotations

import pytest

from iamctl.core.credentials import totp

T0 = 1_800_000_000
PASSWORD = "Correct-Horse-9"
BLOCK = "tests/data/block_most_access_unless_signed_in_with_mfa.json"


@pytest.fixture
def alice(iam, monkeypatch, tmp_path):
    """alice with a password and an enabled MFA device; returns the device's seed."""
    monkeypatch.setenv("IAMCTL_NOW", str(T0))
    iam("user", "create", "alice")
    iam("user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n")
    iam("mfa", "create", "phone", "--seed-file", str(tmp_path / "seed"))
    seed = (tmp_path / "seed").read_text().strip()
    iam("mfa", "enable", "--user", "alice", "--serial", "phone", "--code1", totp.code_at(seed, T0 - 30),
        "--code2", totp.code_at(seed, T0))
    monkeypatch.setenv("IAMCTL_NOW", str(T0 + 60))
    return seed


def test_login_prints_get_session_token_credentials_once(iam, alice):
    out = iam("login", "alice", "--password-stdin", "--duration-seconds", "900", "-o", "json",
              input=f"{PASSWORD}\n{totp.code_at(alice, T0 + 60)}\n").json()
    creds = out["Credentials"]
    assert sorted(creds) == ["AccessKeyId", "Expiration", "SecretAccessKey", "SessionToken"]
    assert creds["AccessKeyId"].startswith("ASIA") and creds["Expiration"] == "2027-01-15T08:16:00Z"


def test_wrong_password_is_one_line_access_denied(iam, alice):
    bad = iam("login", "alice", "--password-stdin", "--mfa-code", "123456", input="nope\n", expect=1)
    assert bad.stderr == "iamctl: error: AccessDenied: Your authentication information is incorrect. Please try again.\n"


def test_wrong_mfa_code_fails_and_counts_toward_the_throttle(iam, alice):
    for _ in range(5):
        iam("login", "alice", "--password-stdin", "--mfa-code", "000000", input=PASSWORD + "\n", expect=1)
    good = totp.code_at(alice, T0 + 60)
    locked = iam("login", "alice", "--password-stdin", "--mfa-code", good, input=PASSWORD + "\n", expect=1)
    assert "EntityTemporarilyUnmodifiable" in locked.stderr


@pytest.mark.parametrize("seconds", ["899", "129601"])
def test_duration_outside_15_minutes_to_36_hours_is_refused(iam, alice, seconds):
    bad = iam("login", "alice", "--password-stdin", "--duration-seconds", seconds, "--mfa-code", "123456",
              input=PASSWORD + "\n", expect=1)
    assert "ValidationError" in bad.stderr and "durationSeconds" in bad.stderr


def test_reset_required_takes_the_new_password_as_the_next_line(iam, alice):
    iam("user", "attach-policy", "alice", "arn:aws:iam::aws:policy/IAMUserChangePassword")
    iam("user", "set-password", "alice", "--password-stdin", "--require-reset", input="Temp-Pass-123\n")
    code = totp.code_at(alice, T0 + 60)
    missing = iam("login", "alice", "--password-stdin", "--mfa-code", code, input="Temp-Pass-123\n", expect=2)
    assert "expected the new password on standard input" in missing.stderr
    iam("login", "alice", "--password-stdin", "--mfa-code", code, "-o", "json",
        input="Temp-Pass-123\nBrand-New-Pass-9\n")
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["LoginProfile"]["PasswordResetRequired"] is False


def test_simulating_as_the_session_applies_the_mfa_policy(iam, alice):
    """AWS's example: DeactivateMFADevice on one's own user only when signed in with MFA."""
    iam("user", "put-policy", "alice", "BlockUnlessMFA", "--document", BLOCK)
    creds = iam("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(alice, T0 + 60), "-o", "json",
                input=PASSWORD + "\n").json()["Credentials"]
    account = iam("account", "show", "-o", "json").json()["Account"]["AccountId"]
    request = ["-a", "iam:DeactivateMFADevice", "-r", f"arn:aws:iam::{account}:user/alice"]
    iam("simulate", "principal", "--session", creds["SessionToken"], *request, expect=0)
    iam("simulate", "principal", "--session", creds["AccessKeyId"], *request, expect=0)
    iam("simulate", "principal", "--user", "alice", *request, expect=3)  # long-term keys: no MFA key
