"""`iamctl mfa ...` driven as a user would: the terminal QR code scans and enrols a device,
codes are checked with drift, replay guard and throttle that persist between commands, and no
secret shows up anywhere after enrolment."""

from __future__ import annotations

import os
import select
import stat
import subprocess
import sys
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from iamctl.core.credentials import totp

from .test_qr import decode, rasterise

T0 = 1_800_000_000
PASSWORD = "Correct-Horse-9"




def _pair(seed: str, t: float) -> tuple[str, str]:
    return totp.code_at(seed, t - totp.PERIOD), totp.code_at(seed, t)


def _enrol_interactively(account_dir, user: str, *args: str) -> tuple[str, subprocess.CompletedProcess]:
    """Run `iamctl mfa enroll` in a real process, read the QR code it prints, decode it as a
    phone would, and type the two codes the decoded secret gives. Returns (uri, result)."""
    env = {**os.environ, "IAMCTL_DIR": str(account_dir), "IAMCTL_NOW": str(T0), "LINES": "24", "COLUMNS": "80"}
    proc = subprocess.Popen([sys.executable, "-m", "iamctl", "mfa", "enroll", user, *args], env=env,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    asked = b""  # prompts go to stderr, so that stdout holds only what the command shows
    while not asked.endswith(b"Code 1 (six digits):"):  # the space after it goes to stdout (Click)
        chunk = proc.stderr.read1(4096)
        assert chunk, f"enroll ended before asking for a code: {asked!r}"
        asked += chunk
    shown = b""  # everything shown before the prompt is in the pipe by now
    while select.select([proc.stdout], [], [], 0.5)[0] and (chunk := proc.stdout.read1(65536)):
        shown += chunk
    text = shown.decode().removesuffix(" ")  # Click prints the prompt's trailing space on stdout
    qr_lines = [line for line in text.split("\n") if line and set(line) <= set(" \u2580\u2584\u2588")]
    background = "light" if "--invert" in args else "dark"
    (uri,) = decode(rasterise("\n".join(qr_lines), background=background))
    seed = parse_qs(urlsplit(uri).query)["secret"][0]
    out, err = proc.communicate("\n".join(_pair(seed, T0)).encode() + b"\n", timeout=30)
    return uri, subprocess.CompletedProcess(proc.args, proc.returncode, text + out.decode(), err.decode())


@pytest.mark.parametrize("invert", [False, True])
def test_terminal_qr_from_enroll_scans_and_its_codes_enable_the_device(iam, account_dir, now, invert):
    iam("account", "set-alias", "acme")
    iam("user", "create", "alice")
    uri, done = _enrol_interactively(account_dir, "alice", *(["--invert"] if invert else []))
    assert done.returncode == 0, done.stderr
    parts = urlsplit(uri)
    seed = parse_qs(parts.query)["secret"][0]
    assert (parts.scheme, parts.netloc, unquote(parts.path)) == ("otpauth", "totp", "/iamctl (acme):alice")
    assert parse_qs(parts.query)["issuer"] == ["iamctl (acme)"] and len(seed) == 32
    assert f"Secret:  {seed}" in done.stdout and "Issuer:  iamctl (acme)" in done.stdout
    qr_rows = [line for line in done.stdout.split("\n") if line and set(line) <= set(" \u2580\u2584\u2588")]
    assert len(qr_rows) + 1 <= 24 and len(qr_rows[0]) <= 80  # the QR code and the prompt fit 80x24
    (device,) = iam("mfa", "list", "--user", "alice", "-o", "json").json()["MFADevices"]
    assert device["UserName"] == "alice" and device["SerialNumber"].endswith(":mfa/alice")


def test_wrong_codes_at_enrolment_leave_no_device(iam, now):
    iam("user", "create", "alice")
    bad = iam("mfa", "enroll", "alice", "--no-qr", "--code1", "123456", "--code2", "654321", expect=1)
    assert "InvalidAuthenticationCode" in bad.stderr and len(bad.stderr.splitlines()) == 1
    assert iam("mfa", "list", "-o", "json").json() == {"VirtualMFADevices": []}
    assert iam("user", "show", "alice", "-o", "json").json()["User"]["MFADevices"] == []


def test_interrupted_enrolment_leaves_no_device(iam, now):
    iam("user", "create", "alice")
    iam("mfa", "enroll", "alice", "--no-qr", input="", expect=1)  # end of input, as Ctrl-D
    assert iam("mfa", "list", "-o", "json").json() == {"VirtualMFADevices": []}


def test_create_writes_the_seed_once_to_a_private_new_file(iam, now, tmp_path):
    seed_file = tmp_path / "bob.seed"
    iam("mfa", "create", "bob-phone", expect=2)  # no place for the seed: a usage error
    out = iam("mfa", "create", "bob-phone", "--seed-file", str(seed_file), "-o", "json").json()
    seed = seed_file.read_text().strip()
    assert stat.S_IMODE(os.stat(seed_file).st_mode) == 0o600
    assert seed not in str(out) and out["VirtualMFADevice"]["SerialNumber"].endswith(":mfa/bob-phone")
    iam("mfa", "create", "other", "--seed-file", str(seed_file), expect=2)  # never overwrites
    assert iam("mfa", "list", "-o", "json").json()["VirtualMFADevices"][0]["SerialNumber"].endswith("bob-phone")


def test_create_enable_deactivate_delete_follow_aws_rules(iam, now, tmp_path):
    iam("user", "create", "bob")
    iam("mfa", "create", "bob-phone", "--seed-file", str(tmp_path / "s"))
    seed = (tmp_path / "s").read_text().strip()
    c1, c2 = _pair(seed, T0)
    iam("mfa", "enable", "--user", "bob", "--serial", "bob-phone", "--code1", c1, "--code2", c2)
    conflict = iam("mfa", "delete", "--serial", "bob-phone", expect=1)
    assert "DeleteConflict" in conflict.stderr
    iam("mfa", "deactivate", "--serial", "bob-phone", "--user", "bob")
    assert iam("mfa", "list", "--assignment-status", "Unassigned", "-o", "text").stdout.startswith("arn:aws:iam::")
    iam("mfa", "delete", "--serial", "bob-phone")
    assert iam("mfa", "list", "-o", "json").json() == {"VirtualMFADevices": []}


def _enabled(iam, tmp_path) -> str:
    iam("user", "create", "alice")
    iam("mfa", "create", "phone", "--seed-file", str(tmp_path / "seed"))
    seed = (tmp_path / "seed").read_text().strip()
    c1, c2 = _pair(seed, T0)
    iam("mfa", "enable", "--user", "alice", "--serial", "phone", "--code1", c1, "--code2", c2)
    return seed


def test_verify_accepts_one_step_of_drift_and_never_the_same_code_twice(iam, now, tmp_path):
    seed = _enabled(iam, tmp_path)
    t = now(T0 + 10 * totp.PERIOD)
    iam("mfa", "verify", "alice", totp.code_at(seed, t - 2 * totp.PERIOD), expect=1)
    iam("mfa", "verify", "alice", totp.code_at(seed, t - totp.PERIOD))
    iam("mfa", "verify", "alice", totp.code_at(seed, t + totp.PERIOD))
    replay = iam("mfa", "verify", "alice", totp.code_at(seed, t + totp.PERIOD), expect=1)
    assert replay.stderr.startswith("iamctl: error: InvalidAuthenticationCode:") and "already used" in replay.stderr
    assert len(replay.stderr.splitlines()) == 1 and replay.stdout == ""
    iam("mfa", "verify", "alice", totp.code_at(seed, t), expect=1)  # older than the last accepted


def test_five_wrong_codes_lock_the_device_for_300_seconds_across_commands(iam, now, wall, tmp_path):
    seed = _enabled(iam, tmp_path)
    t = now(T0 + 5 * totp.PERIOD)
    for _ in range(5):
        iam("mfa", "verify", "alice", "000000", expect=1)
    locked = iam("mfa", "verify", "alice", totp.code_at(seed, t), expect=1)
    assert "EntityTemporarilyUnmodifiable" in locked.stderr and "300 seconds" in locked.stderr
    wall(T0 + 299)  # the lock runs on the system clock
    t = now(t + 30)
    assert "try again in 1 seconds" in iam("mfa", "verify", "alice", totp.code_at(seed, t), expect=1).stderr
    wall(T0 + 300)
    iam("mfa", "verify", "alice", totp.code_at(seed, t))


def test_a_malformed_code_is_a_validation_error_not_a_failure(iam, now, tmp_path):
    _enabled(iam, tmp_path)
    for _ in range(6):
        assert "ValidationError" in iam("mfa", "verify", "alice", "12345", expect=1).stderr


def test_no_secret_appears_in_any_output_or_diffable_file_after_enrolment_and_login(iam, account_dir, now,
                                                                                    tmp_path):
    seed = _enabled(iam, tmp_path)
    iam("user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n")
    t = now(T0 + 60)
    creds = iam("login", "alice", "--password-stdin", "--mfa-code", totp.code_at(seed, t), "-o", "json",
                input=PASSWORD + "\n").json()["Credentials"]
    secrets = [seed, creds["SecretAccessKey"], creds["SessionToken"], PASSWORD]
    outputs = []
    for fmt in ("json", "text", "table"):
        for args in (["mfa", "list"], ["mfa", "list", "--user", "alice"], ["user", "show", "alice"],
                     ["user", "list"], ["account", "show"]):
            outputs.append(iam(*args, "-o", fmt))
    outputs.append(iam("simulate", "principal", "--session", creds["SessionToken"], "-a", "iam:GetUser",
                       expect=None))
    for result in outputs:
        for secret in secrets:
            assert secret not in result.stdout and secret not in result.stderr
    secret_dir = account_dir / "secrets"
    for path in account_dir.rglob("*"):
        if path.is_file() and secret_dir not in path.parents and ".iamctl" not in path.parts:
            text = path.read_text(errors="replace")
            assert not any(s in text for s in secrets), path
    assert any(seed in p.read_text() for p in secret_dir.rglob("*.toml"))
    for path in secret_dir.rglob("*"):
        assert stat.S_IMODE(os.stat(path).st_mode) == (0o700 if path.is_dir() else 0o600), path
