"""What users, groups, roles and instance profiles share: pages of listings (MaxItems /
Marker, AWS's pagination), path-prefix filters, and tag updates within AWS's limits."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Literal

from msgspec import Struct

from iamctl.core.base.errors import (
    InvalidInput,
    ValidationError,
)
from iamctl.core.store.directory import Txn, file_key


class Page(Struct, frozen=True):
    """One page of a listing: the items, and the token that continues it (None at the end)."""

    items: list
    next_token: str | None = None


def check_path_prefix(prefix: str | None) -> str:
    """AWS's PathPrefix: 1-512 characters, starting with `/` (default `/`, meaning everything)."""
    if prefix is None:
        return "/"
    if not 1 <= len(prefix) <= 512 or not prefix.startswith("/") or not re.fullmatch(r"[\x21-\x7f]+", prefix):
        raise ValidationError(f"path prefix {prefix!r} must start with / and be 1 to 512 printable characters")
    return prefix


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        return file_key(key)
    except (binascii.Error, UnicodeDecodeError, ValueError, InvalidInput):
        raise InvalidInput(f"the starting token {token!r} is not valid (use a NextToken from a listing)") from None


def paginate(txn: Txn, kind: Literal["user", "group", "role", "instance-profile"], *, path_prefix: str | None, max_items: int | None,
             starting_token: str | None) -> Page:
    """List entities of `kind` sorted by name, filtered by path prefix, one page at a time.

    The token names the next entity to return, so a page reads only its own files (plus, with a
    path filter, the ones it skips), never the whole folder.
    """
    prefix = check_path_prefix(path_prefix)
    if max_items is not None and max_items < 1:
        raise InvalidInput(f"MaxItems must be at least 1, not {max_items}")
    keys = txn.keys(kind)
    start = 0
    if starting_token is not None:
        after = decode_token(starting_token)
        start = next((i for i, k in enumerate(keys) if k >= after), len(keys))
    items: list = []
    for i in range(start, len(keys)):
        obj = txn.get(kind, keys[i])
        if obj is None or not obj.path.startswith(prefix):
            continue
        if max_items is not None and len(items) == max_items:
            return Page(items, encode_token(keys[i]))
        items.append(obj)
    return Page(items)


def tag_list(tags: dict[str, str], updates: dict[str, str]) -> dict[str, str]:
    """`tags` with `updates` applied: a key equal to an existing one without regard to case
    replaces it (AWS TagUser: "If a tag with the same key name already exists, then that tag is
    overwritten with the new value")."""
    merged = dict(tags)
    for key, value in updates.items():
        for old in [k for k in merged if k.lower() == key.lower()]:
            del merged[old]
        merged[key] = value
    return merged
