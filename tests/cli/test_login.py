"""`iamctl login USER`: password, MFA code, new password when due; credentials printed once."""

from __future__ import annotations

import json

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
    assert bad.stderr == ("iamctl: error: AccessDenied: Your authentication information is incorrect. Please try "
                          "again. (After 5 failures in a row, sign-in is refused for 300 seconds.)\n")


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


def test_simulating_as_the_session_applies_the_mfa_policy(iam, alice, tmp_path):
    """AWS's example: DeactivateMFADevice on one's own user only when signed in with MFA."""
    iam("user", "put-policy", "alice", "BlockUnlessMFA", "--document", BLOCK)
    out = iam("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(alice, T0 + 60), "-o", "json",
              input=PASSWORD + "\n").stdout
    (tmp_path / "creds.json").write_text(out)
    account = iam("account", "show", "-o", "json").json()["Account"]["AccountId"]
    request = ["-a", "iam:DeactivateMFADevice", "-r", f"arn:aws:iam::{account}:user/alice"]
    iam("simulate", "principal", "--session", str(tmp_path / "creds.json"), *request, expect=0)
    iam("simulate", "principal", "--session", "-", *request, expect=0, input=out)
    iam("simulate", "principal", "--user", "alice", *request, expect=3)  # long-term keys: no MFA key


# -- on a terminal: the code is asked for, and checked, before the new password (issue 19.5) ------


@pytest.fixture
def reset_due(iam, alice):
    iam("user", "attach-policy", "alice", "arn:aws:iam::aws:policy/IAMUserChangePassword")
    iam("user", "set-password", "alice", "--password-stdin", "--require-reset", input="Temp-Pass-123\n")
    return alice


def test_a_wrong_code_is_refused_before_the_new_password_is_asked_for(iam, reset_due, terminal):
    r = iam("login", "alice", input="Temp-Pass-123\n000000\nBrand-New-Pass-9\nBrand-New-Pass-9\n", expect=1)
    assert "InvalidAuthenticationCode" in r.stderr
    assert "MFA code from" in r.stderr and "New password" not in r.stderr


def test_prompts_come_in_the_readmes_order_and_a_refused_new_password_is_asked_again(iam, reset_due, terminal):
    code = totp.code_at(reset_due, T0 + 60)
    r = iam("login", "alice", "-o", "json",
            input=f"Temp-Pass-123\n{code}\nshort\nshort\nBrand-New-Pass-9\nBrand-New-Pass-9\n")
    printed = json.loads(r.stdout[r.stdout.index("{"):])  # the test runner echoes what was typed to stdout
    assert printed["Credentials"]["AccessKeyId"].startswith("ASIA")
    prompts = [r.stderr.index(p) for p in ("Password:", "MFA code from", "New password:")]
    assert prompts == sorted(prompts)
    assert "Choose another" in r.stderr and r.stderr.count("New password:") == 2  # too short: asked again
    iam("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(reset_due, T0 + 90),
        input="Brand-New-Pass-9\n")


def test_login_on_a_real_terminal_prompts_hidden_and_signs_in(iam, alice, account_dir, tmp_path):
    """The terminal path end to end, in a pseudo-terminal: hidden password, then the code."""
    import os
    import pty
    import select
    import signal
    import sys
    import time

    code = totp.code_at(alice, T0 + 60)
    pid, fd = pty.fork()
    if pid == 0:  # the child: iamctl on the terminal
        os.execve(sys.executable, [sys.executable, "-m", "iamctl", "login", "alice", "-o", "json"],
                  {**os.environ, "IAMCTL_DIR": str(account_dir), "IAMCTL_NOW": str(T0 + 60)})
    seen = b""

    def until(text: bytes) -> None:
        nonlocal seen
        deadline = time.monotonic() + 30
        while text not in seen and time.monotonic() < deadline:
            if select.select([fd], [], [], 1)[0]:
                try:
                    seen += os.read(fd, 4096)
                except OSError:
                    break
        if text not in seen:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        assert text in seen, seen

    until(b"Password: ")  # the space comes once echo is off (getpass), so the password is not shown
    os.write(fd, PASSWORD.encode() + b"\n")
    until(b"MFA code from")
    os.write(fd, code.encode() + b"\n")
    until(b'"SessionToken"')
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert PASSWORD.encode() not in seen  # typed hidden: not echoed
