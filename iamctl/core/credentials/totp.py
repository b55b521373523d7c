"""Virtual MFA device mathematics: seeds, otpauth URIs, TOTP verification with replay guard
and throttling. Pure functions over an explicit state; storage belongs to the MFA operations.

The algorithm is TOTP (RFC 6238) with AWS's virtual-device settings, which are also the
defaults of every authenticator app: HMAC-SHA1, 6 digits, 30-second steps, time zero at the
Unix epoch. TOTP is HOTP (RFC 4226) with the counter set to the current time step.

State machine of ``verify`` (the caller stores the returned ``MfaState`` after every call):

* **Drift.** A code is accepted for the current step and one step either side (``DRIFT_STEPS``),
  the window RFC 6238 section 5.2 recommends for network and clock delay: 90 s in all.
* **Replay guard.** A code whose step is at or before ``last_used_step`` is refused, even if
  correct: once a step's code has been accepted, no code of that step or an earlier one is
  accepted again (RFC 6238 section 5.2: "the verifier MUST NOT accept the second attempt of
  the same OTP"). A replayed code counts as a failure.
* **Throttle.** ``MAX_FAILURES`` (5) consecutive failures lock the device for
  ``LOCKOUT_SECONDS`` (300 s). While locked, ``verify`` raises ``EntityTemporarilyUnmodifiable``
  *without looking at the code*, so a locked device reveals nothing about guesses; the state is
  unchanged, so nothing need be stored. When the lock has run out, the count restarts at zero.
  A success resets the count. With 3 codes accepted per attempt this bounds online guessing to
  about 5 x 3 / 10^6 per 5 minutes (~0.4% a day against a device under constant attack).
"""

from __future__ import annotations

import binascii
import hmac
import math
import re
from typing import Literal
from urllib.parse import quote

from msgspec import Struct, structs

from iamctl.core.base.errors import EntityTemporarilyUnmodifiable, InvalidAuthenticationCode, ValidationError

__all__ = [
    "CONSECUTIVE_LOOKAHEAD_STEPS",
    "CONSECUTIVE_LOOKBACK_STEPS",
    "DIGITS",
    "DRIFT_STEPS",
    "LOCKOUT_SECONDS",
    "MAX_FAILURES",
    "PERIOD",
    "SEED_LENGTH",
    "MfaState",
    "Verification",
    "check",
    "code_at",
    "hotp",
    "new_seed",
    "otpauth_uri",
    "time_step",
    "verify",
    "verify_consecutive",
]

PERIOD = 30  # seconds per time step (RFC 6238 X, AWS and authenticator-app default)
DIGITS = 6  # AWS AuthenticationCode: "a string of six digits"
DRIFT_STEPS = 1  # accept current step +/- this many
MAX_FAILURES = 5
LOCKOUT_SECONDS = 300
# EnableMFADevice/ResyncMFADevice: the later of the two consecutive codes may be from up to two
# steps ago (the user read code 1, waited up to 30 s for code 2, then typed both) or one step
# ahead (clock skew). AWS only says "submit your request immediately after generating the codes".
CONSECUTIVE_LOOKBACK_STEPS = 2
CONSECUTIVE_LOOKAHEAD_STEPS = 1
# 32 base32 characters = 160 bits, the shared-secret length RFC 4226 section 4 recommends
# (and an HMAC-SHA1 key of one full output length); it also keeps the QR code small.
SEED_LENGTH = 32


def new_seed() -> str:
    """A fresh random seed: 32 base32 characters (160 bits) from the OS CSPRNG."""
    import pyotp  # lazy: heavy library

    return pyotp.random_base32(length=SEED_LENGTH)


def otpauth_uri(seed: str, *, account_label: str, issuer: str) -> str:
    """The Key URI an authenticator app scans (Google Authenticator "Key Uri Format").

    ``otpauth://totp/ISSUER:LABEL?secret=SEED&issuer=ISSUER``, e.g.
    ``otpauth://totp/iamctl%20(ALIAS):alice?secret=...&issuer=iamctl%20(ALIAS)``: the label is
    prefixed by the issuer *and* the issuer parameter is given, as the format recommends.
    Both are percent-encoded (``@``, ``(`` and ``)`` kept literal, as they are legal there);
    algorithm SHA1, 6 digits and period 30 are the format's defaults, so they are left out to
    keep the QR code small. Neither issuer nor label may contain a colon (the format forbids
    it); that raises ``ValidationError``.
    """
    for what, value in (("issuer", issuer), ("account label", account_label)):
        if ":" in value:
            raise ValidationError(f"the MFA {what} may not contain a colon: {value!r}")
        if not value:
            raise ValidationError(f"the MFA {what} must not be empty")
    _secret_bytes(seed)  # refuse a malformed seed before it reaches a QR code
    q_issuer = quote(issuer, safe="@()")
    q_label = quote(account_label, safe="@()")
    return f"otpauth://totp/{q_issuer}:{q_label}?secret={seed}&issuer={q_issuer}"


def _secret_bytes(seed: str) -> bytes:
    import pyotp  # lazy: heavy library

    try:
        return pyotp.HOTP(seed).byte_secret()
    except (binascii.Error, ValueError) as e:
        raise ValidationError(f"MFA seed is not valid base32: {e}") from None


def time_step(t: float) -> int:
    """The RFC 6238 time step (counter) for Unix time `t`: floor(t / 30)."""
    return math.floor(t / PERIOD)


def hotp(seed: str, counter: int, *, digits: int = DIGITS) -> str:
    """The RFC 4226 HOTP value for `counter` under the base32 `seed`, zero-padded to `digits`."""
    import pyotp  # lazy: heavy library

    _secret_bytes(seed)
    return pyotp.HOTP(seed, digits=digits).at(counter)


def code_at(seed: str, t: float, *, digits: int = DIGITS) -> str:
    """The TOTP code a device with `seed` shows at Unix time `t` (RFC 6238, SHA-1, 30 s)."""
    return hotp(seed, time_step(t), digits=digits)


class MfaState(Struct, frozen=True):
    """What the verifier remembers about one device between calls.

    ``last_used_step``: the time step of the last accepted code (None: none yet).
    ``failures``: consecutive refused codes since the last success or lock.
    ``locked_until``: Unix time until which the device refuses every code (None: not locked).
    """

    last_used_step: int | None = None
    failures: int = 0
    locked_until: float | None = None


class Verification(Struct, frozen=True):
    """The outcome of ``check``: whether the code was accepted, why not, and the state to store.

    ``step`` is the time step the code matched (None when it matched none).
    """

    ok: bool
    state: MfaState
    reason: Literal["accepted", "invalid", "replayed"]
    step: int | None


_CODE = re.compile(rf"[0-9]{{{DIGITS}}}")


def _check_format(code: str, what: str = "authentication code") -> None:
    # AWS's AuthenticationCode: fixed length 6, pattern [\d]+. A malformed code is an input
    # error, not a guess, so it neither counts as a failure nor reaches the comparison.
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise ValidationError(f"the {what} must be exactly {DIGITS} digits")


def _matching_steps(seed: str, code: str, steps: range) -> list[int]:
    # Every candidate is computed and compared, none skipped, and with compare_digest: how long
    # the check takes says nothing about which step (if any) matched.
    matched = []
    for step in steps:
        if hmac.compare_digest(hotp(seed, step).encode(), code.encode()):
            matched.append(step)
    return matched


def check(seed: str, code: str, state: MfaState, now: float, *, wall: float | None = None) -> Verification:
    """Verify one MFA code at time `now` against `state`; see the module docstring for the rules.

    `wall` is the clock the lock is kept on (default `now`): the caller passes a clock that whoever
    submits codes cannot set, so that the time which decides the codes cannot lift or lengthen a
    lock. Returns a ``Verification`` whose ``state`` the caller must store whatever the outcome.
    Raises ``EntityTemporarilyUnmodifiable`` while the device is locked (state unchanged), and
    ``ValidationError`` for a code that is not six digits (state unchanged).
    """
    wall = now if wall is None else wall
    if state.locked_until is not None:
        if wall < state.locked_until:
            wait = math.ceil(state.locked_until - wall)
            raise EntityTemporarilyUnmodifiable(
                f"MFA device is locked after {MAX_FAILURES} consecutive invalid codes; "
                f"try again in {wait} seconds"
            )
        # The lock has run out: a fresh set of attempts, keeping the replay guard.
        state = structs.replace(state, failures=0, locked_until=None)
    _check_format(code)

    current = time_step(now)
    matched = _matching_steps(seed, code, range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1))
    fresh = [s for s in matched if state.last_used_step is None or s > state.last_used_step]
    if fresh:
        step = max(fresh)
        return Verification(True, MfaState(last_used_step=step), "accepted", step)

    failures = state.failures + 1
    locked_until = wall + LOCKOUT_SECONDS if failures >= MAX_FAILURES else None
    new_state = structs.replace(state, failures=failures, locked_until=locked_until)
    if matched:
        return Verification(False, new_state, "replayed", max(matched))
    return Verification(False, new_state, "invalid", None)


def verify(seed: str, code: str, state: MfaState, now: float) -> tuple[bool, MfaState]:
    """``check`` reduced to ``(ok, new_state)``; same rules, same exceptions."""
    result = check(seed, code, state, now)
    return result.ok, result.state


def verify_consecutive(seed: str, code1: str, code2: str, now: float) -> int:
    """Check two consecutive codes, as EnableMFADevice and ResyncMFADevice require.

    Accepts when `code1` is the device's code for some step s and `code2` for s + 1, with
    s + 1 from ``CONSECUTIVE_LOOKBACK_STEPS`` (2) steps before the current step to
    ``CONSECUTIVE_LOOKAHEAD_STEPS`` (1) after it: the user may take up to about a minute
    between reading the second code and submitting. Returns s + 1; store it as
    ``MfaState(last_used_step=...)`` so that neither code can be used again to sign in.

    Raises ``ValidationError`` for a code that is not six digits, and
    ``InvalidAuthenticationCode`` (AWS: "Authentication code for device is not valid") with
    the reason when the pair does not fit.
    """
    _check_format(code1, "first authentication code")
    _check_format(code2, "second authentication code")
    if code1 == code2:
        raise InvalidAuthenticationCode(
            "Authentication code for device is not valid: the two codes must be two different, "
            "consecutive codes (wait for the device to show the next code)"
        )
    current = time_step(now)
    seconds: range = range(current - CONSECUTIVE_LOOKBACK_STEPS, current + CONSECUTIVE_LOOKAHEAD_STEPS + 1)
    second = _matching_steps(seed, code2, seconds)
    first = _matching_steps(seed, code1, range(seconds.start - 1, seconds.stop - 1))
    pairs = [s for s in second if s - 1 in first]
    if pairs:
        return max(pairs)
    if any(s + 1 in first for s in second):
        hint = "the codes were given in the wrong order"
    elif first or second:
        hint = "only one of the codes is valid now; the two must be consecutive"
    else:
        hint = ("neither code is valid now; submit the two codes right after the device shows "
                "them, and check that this computer's clock is correct")
    raise InvalidAuthenticationCode(f"Authentication code for device is not valid: {hint}")
