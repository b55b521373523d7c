"""Tests for iamctl.core.credentials.totp: RFC 4226 / RFC 6238 vectors, drift, replay, throttle, enable pair."""

from __future__ import annotations

import base64
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from iamctl.core.base.errors import EntityTemporarilyUnmodifiable, InvalidAuthenticationCode, ValidationError
from iamctl.core.credentials import totp

# The RFC test key: ASCII "12345678901234567890" (20 bytes, the SHA-1 key of both RFCs).
RFC_SEED = base64.b32encode(b"12345678901234567890").decode()

# A fixed instant well inside a time step (step boundaries at multiples of 30).
T0 = 1_700_000_010.0
STEP0 = totp.time_step(T0)


# --- the algorithm --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counter", "expected"),
    # RFC 4226 Appendix D, HOTP values for counters 0-9.
    list(enumerate(["755224", "287082", "359152", "969429", "338314",
                    "254676", "287922", "162583", "399871", "520489"])),
)
def test_rfc4226_appendix_d_hotp_vectors(counter, expected):
    assert totp.hotp(RFC_SEED, counter) == expected


@pytest.mark.parametrize(
    ("t", "expected"),
    # RFC 6238 Appendix B, SHA1 mode, 8 digits.
    [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"),
     (1234567890, "89005924"), (2000000000, "69279037"), (20000000000, "65353130")],
)
def test_rfc6238_appendix_b_sha1_vectors(t, expected):
    assert totp.code_at(RFC_SEED, t, digits=8) == expected


def test_time_step_is_floor_of_t_over_30():
    # RFC 6238 Appendix B lists T = 0x0000000000000001 for t=59 and 0x23523EC for 1111111109.
    assert totp.time_step(59) == 1
    assert totp.time_step(1111111109) == 0x23523EC
    assert totp.time_step(60) == 2 and totp.time_step(89.999) == 2


def test_six_digit_codes_are_zero_padded():
    codes = {totp.hotp(RFC_SEED, c) for c in range(2000)}
    assert all(re.fullmatch(r"[0-9]{6}", c) for c in codes)
    assert any(c.startswith("0") for c in codes)


def test_new_seed_is_160_bits_of_base32_and_random():
    seeds = {totp.new_seed() for _ in range(50)}
    assert len(seeds) == 50
    for s in seeds:
        assert re.fullmatch(r"[A-Z2-7]{32}", s)
        assert len(base64.b32decode(s)) == 20


def test_bad_seed_is_a_validation_error():
    with pytest.raises(ValidationError):
        totp.hotp("not base32!", 0)


# --- otpauth URI (Google Authenticator Key Uri Format) ----------------------------------------------


def test_otpauth_uri_shape():
    seed = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    uri = totp.otpauth_uri(seed, account_label="alice", issuer="iamctl (ALIAS)")
    assert uri == f"otpauth://totp/iamctl%20(ALIAS):alice?secret={seed}&issuer=iamctl%20(ALIAS)"


def test_otpauth_uri_encodes_awkward_names_reversibly():
    seed = totp.new_seed()
    uri = totp.otpauth_uri(seed, account_label="a+b=c,d.e@f-g_h", issuer="Acme & Co/dev?#")
    parts = urlsplit(uri)
    assert parts.scheme == "otpauth" and parts.netloc == "totp"
    issuer, label = unquote(parts.path[1:]).split(":")
    assert (issuer, label) == ("Acme & Co/dev?#", "a+b=c,d.e@f-g_h")
    q = parse_qs(parts.query)
    assert q == {"secret": [seed], "issuer": ["Acme & Co/dev?#"]}
    assert "+" not in parts.path  # '+' could be read as a space by form decoders


@pytest.mark.parametrize(("label", "issuer"), [("al:ice", "iamctl"), ("alice", "iam:ctl"), ("", "x"), ("x", "")])
def test_otpauth_uri_refuses_colons_and_empty_parts(label, issuer):
    with pytest.raises(ValidationError):
        totp.otpauth_uri(totp.new_seed(), account_label=label, issuer=issuer)


# --- verify: drift, replay, throttle -----------------------------------------------------------------


@pytest.fixture
def seed():
    return totp.new_seed()


def code_for_step(seed, step):
    return totp.hotp(seed, step)


@pytest.mark.parametrize("offset", [-1, 0, 1])
def test_verify_accepts_current_step_and_drift_of_one(seed, offset):
    ok, state = totp.verify(seed, code_for_step(seed, STEP0 + offset), totp.MfaState(), T0)
    assert ok
    assert state == totp.MfaState(last_used_step=STEP0 + offset, failures=0, locked_until=None)


@pytest.mark.parametrize("offset", [-3, -2, 2, 3])
def test_verify_refuses_drift_of_two_or_more(seed, offset):
    code = code_for_step(seed, STEP0 + offset)
    # Guard against a chance collision with an in-window code (1 in ~333,000 per seed).
    if code in {code_for_step(seed, STEP0 + d) for d in (-1, 0, 1)}:
        pytest.skip("random seed collided")
    result = totp.check(seed, code, totp.MfaState(), T0)
    assert (result.ok, result.reason, result.state.failures) == (False, "invalid", 1)


def test_verify_refuses_a_wrong_code(seed):
    good = code_for_step(seed, STEP0)
    wrong = f"{(int(good) + 1) % 10**6:06d}"
    ok, state = totp.verify(seed, wrong, totp.MfaState(), T0)
    assert not ok and state.failures == 1 and state.last_used_step is None


def test_replay_of_the_same_code_is_refused(seed):
    code = code_for_step(seed, STEP0)
    ok, state = totp.verify(seed, code, totp.MfaState(), T0)
    assert ok
    again = totp.check(seed, code, state, T0 + 5)
    assert (again.ok, again.reason, again.step) == (False, "replayed", STEP0)
    assert again.state.failures == 1 and again.state.last_used_step == STEP0


def test_replay_guard_refuses_earlier_steps_too(seed):
    _, state = totp.verify(seed, code_for_step(seed, STEP0 + 1), totp.MfaState(), T0)
    # The previous step's code is still inside the drift window but older than the last used.
    result = totp.check(seed, code_for_step(seed, STEP0), state, T0)
    assert result.reason == "replayed" and not result.ok


def test_next_step_code_is_accepted_after_a_success(seed):
    _, state = totp.verify(seed, code_for_step(seed, STEP0), totp.MfaState(), T0)
    ok, state = totp.verify(seed, code_for_step(seed, STEP0 + 1), state, T0 + 30)
    assert ok and state.last_used_step == STEP0 + 1


def test_success_resets_the_failure_count(seed):
    state = totp.MfaState(failures=4)
    ok, state = totp.verify(seed, code_for_step(seed, STEP0), state, T0)
    assert ok and state.failures == 0


def _wrong(seed, now):
    window = {code_for_step(seed, totp.time_step(now) + d) for d in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(10**6) if f"{n:06d}" not in window)


def test_five_failures_lock_the_device_for_the_lockout_period(seed):
    state = totp.MfaState()
    now = T0
    for i in range(1, totp.MAX_FAILURES + 1):
        ok, state = totp.verify(seed, _wrong(seed, now), state, now)
        assert not ok and state.failures == i
        assert (state.locked_until is None) == (i < totp.MAX_FAILURES)
        now += 1
    assert totp.MAX_FAILURES == 5 and totp.LOCKOUT_SECONDS == 300
    assert state.locked_until == pytest.approx(T0 + 4 + 300)

    # While locked, even the right code is refused, with the time left, and the state unchanged.
    with pytest.raises(EntityTemporarilyUnmodifiable, match=r"locked .* try again in 299 seconds"):
        totp.verify(seed, totp.code_at(seed, now), state, now)
    with pytest.raises(EntityTemporarilyUnmodifiable, match="try again in 1 seconds"):
        totp.verify(seed, totp.code_at(seed, state.locked_until - 0.5), state, state.locked_until - 0.5)


def test_lock_is_released_after_the_period(seed):
    locked = totp.MfaState(last_used_step=None, failures=5, locked_until=T0)
    ok, state = totp.verify(seed, totp.code_at(seed, T0), locked, T0)
    assert ok and state == totp.MfaState(last_used_step=STEP0)


def test_after_release_a_wrong_code_starts_a_fresh_count(seed):
    locked = totp.MfaState(last_used_step=7, failures=5, locked_until=T0)
    ok, state = totp.verify(seed, _wrong(seed, T0), locked, T0 + 1)
    assert not ok and state == totp.MfaState(last_used_step=7, failures=1, locked_until=None)


def test_locked_check_does_not_look_at_the_code(seed, monkeypatch):
    def boom(*a, **k):
        raise AssertionError("code computed while locked")

    monkeypatch.setattr(totp, "hotp", boom)
    with pytest.raises(EntityTemporarilyUnmodifiable):
        totp.verify(seed, "123456", totp.MfaState(failures=5, locked_until=T0 + 10), T0)


@pytest.mark.parametrize("code", ["12345", "1234567", "abcdef", "12 456", "١٢٣٤٥٦", ""])
def test_malformed_code_is_a_validation_error_and_not_a_failure(seed, code):
    with pytest.raises(ValidationError, match="6 digits"):
        totp.verify(seed, code, totp.MfaState(), T0)


def test_codes_are_compared_with_compare_digest(seed, monkeypatch):
    calls = []
    real = totp.hmac.compare_digest
    monkeypatch.setattr(totp.hmac, "compare_digest", lambda a, b: calls.append(1) or real(a, b))
    totp.verify(seed, "000000", totp.MfaState(), T0)
    assert len(calls) == 3  # every step of the window, none skipped


# --- verify_consecutive (EnableMFADevice / ResyncMFADevice) ------------------------------------------


@pytest.mark.parametrize("second_offset", [-2, -1, 0, 1])
def test_consecutive_pair_accepted_within_window(seed, second_offset):
    s2 = STEP0 + second_offset
    assert totp.verify_consecutive(seed, code_for_step(seed, s2 - 1), code_for_step(seed, s2), T0) == s2


@pytest.mark.parametrize("second_offset", [-4, -3, 2, 3])
def test_consecutive_pair_refused_outside_window(seed, second_offset):
    s2 = STEP0 + second_offset
    with pytest.raises(InvalidAuthenticationCode, match="not valid"):
        totp.verify_consecutive(seed, code_for_step(seed, s2 - 1), code_for_step(seed, s2), T0)


def test_consecutive_pair_in_wrong_order_is_explained(seed):
    with pytest.raises(InvalidAuthenticationCode, match="wrong order"):
        totp.verify_consecutive(seed, code_for_step(seed, STEP0), code_for_step(seed, STEP0 - 1), T0)


def test_non_consecutive_codes_are_refused(seed):
    with pytest.raises(InvalidAuthenticationCode, match="consecutive"):
        totp.verify_consecutive(seed, code_for_step(seed, STEP0 - 2), code_for_step(seed, STEP0), T0)


def test_the_same_code_twice_is_refused(seed):
    c = code_for_step(seed, STEP0)
    with pytest.raises(InvalidAuthenticationCode, match="different"):
        totp.verify_consecutive(seed, c, c, T0)


def test_consecutive_step_feeds_the_replay_guard(seed):
    step = totp.verify_consecutive(seed, code_for_step(seed, STEP0 - 1), code_for_step(seed, STEP0), T0)
    result = totp.check(seed, code_for_step(seed, STEP0), totp.MfaState(last_used_step=step), T0)
    assert result.reason == "replayed"


def test_consecutive_malformed_code_is_a_validation_error(seed):
    with pytest.raises(ValidationError, match="second authentication code"):
        totp.verify_consecutive(seed, "123456", "12345", T0)
