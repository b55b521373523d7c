"""The one source of "now", so that tests and simulations can pin time.

`IAMCTL_NOW` (an ISO 8601 instant or epoch seconds) freezes the clock for a process; it exists
for reproducible examples and tests of expiry rules, and is documented in the README.

What guards against guessing (the sign-in lockout, the MFA throttle) keeps time by
`system_now` instead, which IAMCTL_NOW does not move: whoever runs iamctl chooses IAMCTL_NOW,
so trusting it there would let a pinned clock lift a lock (`IAMCTL_NOW=now+301`) or set one
for decades (`IAMCTL_NOW=2099-...`).
"""

from __future__ import annotations

import math
import os
import time
from datetime import UTC, datetime

from iamctl.core.base.errors import InvalidInput

#: The last instant an ISO 8601 timestamp of four-digit years can show (9999-12-31T23:59:59Z).
LATEST = 253402300799


def now() -> float:
    """Seconds since the epoch (UTC), honouring IAMCTL_NOW."""
    pinned = os.environ.get("IAMCTL_NOW")
    if pinned:
        return pinned_now(pinned)
    return time.time()


def pinned_now(text: str) -> float:
    """The instant IAMCTL_NOW pins the clock to; InvalidInput for anything that is not an
    instant between 1970 and 9999 (a typo must not become a crash, or the year 1e20)."""
    try:
        value = parse_instant(text)
    except (ValueError, OverflowError):
        value = math.nan
    if not (math.isfinite(value) and 0 <= value <= LATEST):
        raise InvalidInput(f"IAMCTL_NOW={text!r} is not an ISO 8601 instant or epoch seconds between 1970 and 9999")
    return value


def system_now() -> float:
    """Seconds since the epoch by the operating system's clock, whatever IAMCTL_NOW says: the
    clock lockouts and throttles are kept on (see the module docstring)."""
    return time.time()


def iso_precise(ts: float | None = None) -> str:
    """`iso` with the fraction of a second when there is one (2026-11-28T07:07:18.25Z): for
    instants that are compared with each other, such as a session's issue time and a
    revocation's, where whole seconds would put two different instants in the same second."""
    if ts is None:
        ts = now()
    value = datetime.fromtimestamp(ts, UTC)
    fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def iso(ts: float | None = None) -> str:
    """An AWS-style timestamp, e.g. 2026-11-28T07:07:18Z (second precision, UTC)."""
    if ts is None:
        ts = now()
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def normalise_iso(text: str) -> str:
    """`2023-03-09 10:41:45+00:00`, `2013-10-14T18:32:24Z`, ... → `2023-03-09T10:41:45Z` (UTC,
    fractions of a second kept). Raises ValueError for text that is not an ISO 8601 date."""
    value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00:00+01:00 is before year 1 in UTC
        raise ValueError(f"{text!r} is outside the years 1 to 9999 in UTC") from None
    fraction = f".{value.microsecond:06d}".rstrip("0") if value.microsecond else ""
    return value.strftime("%Y-%m-%dT%H:%M:%S") + fraction + "Z"


def is_iso(text: str) -> bool:
    """Whether `text` is an ISO 8601 date and time that `parse_instant` reads (as stored)."""
    try:
        datetime.fromisoformat(text.strip().replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        return False
    return True


def parse_instant(text: str) -> float:
    """Epoch seconds from an ISO 8601 instant or a number of epoch seconds.

    Raises ValueError for anything else.
    """
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def parse_datetime(text: str) -> datetime:
    """`parse_instant` as an aware UTC datetime, exact to the microsecond for ISO 8601 text
    (no detour through a float)."""
    text = text.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except ValueError:
        pass
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
