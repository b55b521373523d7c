"""Identifiers AWS mints: access key ids (AKIA, ASIA) and unique ids (AIDA, AGPA, AROA, ...).

IAM User Guide, "IAM identifiers" (unique ID prefixes). Random characters come from `secrets`,
except inside `reproducible(seed)`, which tests use for golden output files.
"""

from __future__ import annotations

import random
import secrets
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from iamctl.core.base.errors import ValidationError

# AWS access key ids and unique ids are upper-case base32 (A-Z, 2-7) after a four-letter prefix.
_BASE32 = string.ascii_uppercase + "234567"

# The seeded generator of `reproducible`, when inside one; otherwise ids come from
# `secrets.choice`, looked up at each call. Only ids: secrets (keys, tokens, MFA seeds,
# passwords) have their own sources.
_seeded: Callable[[str], str] | None = None


@contextmanager
def reproducible(seed: int) -> Iterator[None]:
    """Within the block, mint ids from a generator seeded with `seed`, so that the same commands
    give the same ids (AIDA..., AKIA..., ...) on every run: golden files of `user show` and the
    like. Ids are not secrets, but only tests should want this; it is not reachable from the CLI."""
    global _seeded
    saved, _seeded = _seeded, random.Random(seed).choice  # reproducible on purpose: ids, not secrets
    try:
        yield
    finally:
        _seeded = saved


def new_access_key_id(prefix: str = "AKIA") -> str:
    """A 20-character access key id: `prefix` (AKIA long-term, ASIA temporary) + 16 base32 chars.

    16 base32 characters are 80 random bits, plenty for uniqueness within an account; the
    caller still checks for a clash before storing.
    """
    return _prefixed(prefix, 20)


# AWS "IAM identifiers", unique ID prefixes. A unique id is 21 characters: the prefix plus
# 17 upper-case base32 characters (85 random bits).
UNIQUE_ID_PREFIXES = {
    "ABIA": "STS service bearer token",
    "ACCA": "context-specific credential",
    "AGPA": "group",
    "AIDA": "user",
    "AIPA": "EC2 instance profile",
    "AKIA": "access key",
    "ANPA": "managed policy",
    "ANVA": "version in a managed policy",
    "APKA": "public key",
    "AROA": "role",
    "ASCA": "certificate",
    "ASIA": "temporary (STS) access key",
}


def new_unique_id(prefix: str) -> str:
    """A 21-character IAM unique id: a known four-letter prefix (AIDA user, AGPA group, AROA
    role, ANPA managed policy, ASIA/AKIA keys, ...) and 17 random base32 characters.

    An unknown prefix raises ``ValidationError``: a typo here would mint ids no tool recognises.
    """
    if prefix not in UNIQUE_ID_PREFIXES:
        raise ValidationError(f"unknown IAM unique id prefix {prefix!r}; expected one of "
                              f"{', '.join(sorted(UNIQUE_ID_PREFIXES))}")
    return _prefixed(prefix, 21)


# AWS Organizations ids (API Reference, the Id shapes): `o-`, `r-`, `ou-ROOT-` and `p-` followed by
# lower-case letters and digits.
_ORG_CHARS = string.ascii_lowercase + string.digits
ORG_PREFIXES = ("o-", "r-", "ou-", "p-")


def new_organizations_id(prefix: str, length: int) -> str:
    """An AWS Organizations id: `prefix` (o-, r-, p-, or ou-<root suffix>-) and `length` random
    lower-case letters and digits (10 for an organization, 4 for a root, 8 for an OU or policy)."""
    if not prefix.startswith(ORG_PREFIXES):
        raise ValidationError(f"unknown Organizations id prefix {prefix!r}; expected one of {', '.join(ORG_PREFIXES)}")
    choice = _seeded or secrets.choice
    return prefix + "".join(choice(_ORG_CHARS) for _ in range(length))


def _prefixed(prefix: str, total: int) -> str:
    if len(prefix) != 4 or not prefix.isascii() or not prefix.isupper() or not prefix.isalpha():
        raise ValidationError(f"id prefix must be four upper-case letters, got {prefix!r}")
    choice = _seeded or secrets.choice
    return prefix + "".join(choice(_BASE32) for _ in range(total - len(prefix)))
