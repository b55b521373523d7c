"""Throttling of guesses, and comparisons whose timing tells nothing.

README ("MFA and signing in"): 5 wrong MFA codes in a row lock the device for 300 seconds, and
5 wrong passwords in a row lock the user's sign-in for 300 seconds (the AWS console also locks
out repeated failed sign-ins), whatever is typed meanwhile; both persist between commands.
"""

from __future__ import annotations

import inspect
import statistics
import time

import pytest

from .support import ACCOUNT, run

T0 = 1_768_478_400  # 2026-01-15T12:00:00Z
PASSWORD = "Throttle-test-pw-1!"


def _at(seconds: float) -> dict:
    return {"IAMCTL_NOW": str(seconds)}


@pytest.fixture
def root(tmp_path):
    root = tmp_path / "acct"
    assert run(root, "init", "--account-id", ACCOUNT).code == 0
    assert run(root, "user", "create", "alice").code == 0
    assert run(root, "user", "set-password", "alice", "--password-stdin", input=PASSWORD + "\n").code == 0
    return root


def _login(root, password: str, now: float):
    return run(root, "login", "alice", "--password-stdin", "-o", "json", input=password + "\n", env=_at(now))


def test_five_wrong_passwords_lock_sign_in_for_300_seconds_even_for_the_right_one(root, wall):
    for i in range(5):
        wrong = _login(root, "wrong-password", wall(T0 + i))
        assert wrong.clean_failure() and "authentication information is incorrect" in wrong.stderr
    wall(T0 + 10)
    locked = _login(root, PASSWORD, T0 + 10)
    # Locked: refused as a wrong password is (one answer for every failure, issue 20.8).
    assert locked.clean_failure() and locked.stderr == wrong.stderr, locked.stderr
    assert "SecretAccessKey" not in locked.stdout
    still = _login(root, PASSWORD, wall(T0 + 4 + 299))
    assert still.stderr == wrong.stderr
    # The lock runs out 300 s after the fifth failure, by the system clock; the right password
    # then signs in.
    ok = _login(root, PASSWORD, wall(T0 + 4 + 300))
    assert ok.code == 0, ok.stderr
    assert ok.json()["Credentials"]["AccessKeyId"].startswith("ASIA")


def test_a_right_password_resets_the_count_of_failures(root):
    for i in range(4):
        assert _login(root, "wrong-password", T0 + i).code == 1
    assert _login(root, PASSWORD, T0 + 5).code == 0
    for i in range(4):
        assert "incorrect" in _login(root, "wrong-password", T0 + 10 + i).stderr
    assert _login(root, PASSWORD, T0 + 20).code == 0  # 4 + 4 failures, never 5 in a row


def test_unknown_users_and_users_without_password_are_not_locked_and_look_alike(root):
    assert run(root, "user", "create", "nopass").code == 0
    for user in ("ghost", "nopass"):
        for i in range(6):
            result = run(root, "login", user, "--password-stdin", input="x\n", env=_at(T0 + i))
            assert result.clean_failure() and "authentication information is incorrect" in result.stderr


def test_five_wrong_mfa_codes_lock_the_device_for_300_seconds(root, tmp_path, wall):
    import pyotp

    seed_file = tmp_path / "seed"
    assert run(root, "mfa", "create", "alice-phone", "--seed-file", str(seed_file), env=_at(T0)).code == 0
    totp = pyotp.TOTP(seed_file.read_text().strip())
    enable = run(root, "mfa", "enable", "--user", "alice", "--serial", "alice-phone",
                 "--code1", totp.at(T0 - 30), "--code2", totp.at(T0), env=_at(T0))
    assert enable.code == 0, enable.stderr
    right = totp.at(T0 + 60)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    wall(T0 + 64)
    for i in range(5):
        result = run(root, "mfa", "verify", "alice", wrong, env=_at(T0 + 60 + i))
        assert result.code == 1 and result.clean_failure(), result.stderr
    locked = run(root, "mfa", "verify", "alice", right, env=_at(T0 + 66))
    assert locked.clean_failure() and "locked" in locked.stderr
    later = wall(T0 + 64 + 300)  # 300 s of the system clock after the fifth failure
    ok = run(root, "mfa", "verify", "alice", totp.at(later), env=_at(later))
    assert ok.code == 0, ok.stderr


# -- constant time ------------------------------------------------------------------------------


def test_secret_comparisons_use_constant_time_primitives():
    """Codes and key/token secrets are compared with hmac.compare_digest; passwords through
    argon2's verify (which compares the derived keys in constant time); nowhere with ==."""
    from iamctl.core.credentials import hashing, totp

    for fn in (totp._matching_steps, hashing.verify_secret):
        source = inspect.getsource(fn)
        assert "hmac.compare_digest(" in source
        assert "==" not in source.replace("!=", "")
    source = inspect.getsource(hashing.verify_password)
    assert "_hasher().verify(" in source and "==" not in source


def _medians(fn, right, wrong, rounds: int, batch: int) -> tuple[float, float]:
    """Median time of `batch` calls, right and wrong interleaved so drift hits both alike."""
    times = {"right": [], "wrong": []}
    for _ in range(rounds):
        for label, value in (("right", right), ("wrong", wrong)):
            start = time.perf_counter()
            for _ in range(batch):
                fn(value)
            times[label].append(time.perf_counter() - start)
    return statistics.median(times["right"]), statistics.median(times["wrong"])


@pytest.mark.parametrize("what", ["password", "secret access key", "mfa code"])
def test_a_wrong_secret_takes_as_long_to_refuse_as_a_right_one_to_accept(what):
    """Median verification times of a right and a wrong secret differ by less than 25%; a
    wrong secret that shares a long prefix with the right one is refused no faster either."""
    from iamctl.core.credentials import hashing, totp

    if what == "password":
        stored = hashing.hash_password(PASSWORD)

        def fn(v):
            return hashing.verify_password(stored, v)

        right, wrong, rounds, batch = PASSWORD, PASSWORD[:-1] + "?", 15, 1
    elif what == "secret access key":
        secret = hashing.new_secret_access_key()
        stored = hashing.hash_secret(secret)

        def fn(v):
            return hashing.verify_secret(stored, v)

        right, wrong, rounds, batch = secret, secret[:-1] + ("A" if secret[-1] != "A" else "B"), 41, 2000
    else:
        seed = totp.new_seed()
        now = T0 + 3

        def fn(v):
            return totp._matching_steps(seed, v, range(totp.time_step(now) - 1, totp.time_step(now) + 2))

        right = totp.code_at(seed, now)
        wrong = f"{(int(right) + 1) % 1_000_000:06d}"
        rounds, batch = 41, 300
    assert fn(right) and not fn(wrong)
    t_right, t_wrong = _medians(fn, right, wrong, rounds, batch)
    assert abs(t_right - t_wrong) < 0.25 * max(t_right, t_wrong), (what, t_right, t_wrong)
    print(f"\ntiming {what}: right {t_right / batch * 1e6:.1f} us, wrong {t_wrong / batch * 1e6:.1f} us")


def test_the_lock_is_kept_with_the_secrets_not_in_the_diffable_files(root):
    for i in range(5):
        _login(root, "wrong-password", T0 + i)
    user_file = (root / ACCOUNT / "users" / "alice.toml").read_text()
    assert "locked" not in user_file and "failures" not in user_file
    secret = (root / "secrets" / ACCOUNT / "password-attempts" / "alice.toml").read_text()
    assert "failures = 5" in secret and "locked_until" in secret
