"""AWS's rules for names, paths, tags and ARNs, shared by every entity type.

Sources: IAM API Reference (CreateUser, CreateGroup, CreateRole, CreatePolicy, TagUser) and
the IAM User Guide's "IAM object quotas" and "Tagging IAM resources" pages.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from iamctl.core.base.errors import InvalidInput, LimitExceeded, ValidationError

# [\w+=,.@-]+ where \w is ASCII letters, digits and underscore (AWS's pattern for entity names).
_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]+\Z")  # \Z: "$" would let a final "\n" through
# Paths: "/" alone, or "/" + segments of printable ASCII except "/" ... ending in "/".
_PATH = re.compile(r"^/([\x21-\x7e]+/)*\Z")
# CreatePolicy's policyPathType: segments of letters, digits and . , + @ = _ - only (stricter
# than the path of users, groups and roles).
_POLICY_PATH = re.compile(r"^(/[A-Za-z0-9.,+@=_-]+)*/\Z")

NAME_LIMITS = {"user": 64, "group": 128, "role": 64, "policy": 128, "instance-profile": 128, "mfa": 226}


def check_name(kind: str, name: str, *, label: str | None = None) -> str:
    """Validate an entity name: 1..N characters of `A-Za-z0-9+=,.@_-` (N per kind, AWS's)."""
    label = label or f"{kind} name"
    limit = NAME_LIMITS[kind]
    if not name:
        raise ValidationError(f"{label} must not be empty")
    if len(name) > limit:
        raise ValidationError(f"{label} {name!r} is longer than {limit} characters")
    if not _NAME.match(name):
        raise ValidationError(
            f"{label} {name!r} may contain only letters, digits and the characters + = , . @ _ -"
        )
    return name


def check_path(path: str) -> str:
    """Validate a path: `/` or `/a/b/`, at most 512 characters of printable ASCII."""
    if len(path) > 512:
        raise ValidationError(f"path {path[:40]!r}... is longer than 512 characters")
    if not _PATH.match(path):
        raise ValidationError(f"path {path!r} must begin and end with / and contain printable ASCII only")
    return path


def check_policy_path(path: str) -> str:
    """A managed policy's path (CreatePolicy): `/` or `/a/b/`, at most 512 characters, each
    segment letters, digits and `. , + @ = _ -` (botocore's policyPathType)."""
    if len(path) > 512:
        raise ValidationError(f"path {path[:40]!r}... is longer than 512 characters")
    if not _POLICY_PATH.match(path):
        raise ValidationError(
            f"policy path {path!r} must begin and end with / and contain only letters, digits, / and "
            "the characters . , + @ = _ -"
        )
    return path


def _tag_text_ok(text: str) -> bool:
    # AWS's tag pattern [\p{L}\p{Z}\p{N}_.:/=+\-@]: letters, separators (spaces, not tabs or
    # line breaks), numbers and _ . : / = + - @.
    import unicodedata  # lazy: start-up

    return all(c in "_.:/=+-@" or unicodedata.category(c)[0] in "LZN" for c in text)


def check_tags(tags: dict[str, str], *, limit: int = 50) -> dict[str, str]:
    """Validate tags: key 1-128 and value 0-256 characters, keys unique without regard to case,
    no `aws:` prefix (reserved by AWS), at most `limit` tags (50 by default)."""
    seen: dict[str, str] = {}
    for key, value in tags.items():
        if not 1 <= len(key) <= 128:
            raise ValidationError(f"tag key {key!r} must be 1 to 128 characters long")
        if len(value) > 256:
            raise ValidationError(f"tag {key!r}: value must be at most 256 characters long")
        if not _tag_text_ok(key) or not _tag_text_ok(value):
            raise ValidationError(
                f"tag {key!r} may contain only letters, digits, spaces and the characters _ . : / = + - @ "
                "(no tabs or line breaks)"
            )
        if key.lower().startswith("aws:"):
            raise InvalidInput(f"tag key {key!r}: the aws: prefix is reserved for AWS's own tags")
        if key.lower() in seen:
            raise InvalidInput(f"duplicate tag key {key!r} (tag keys are unique without regard to case)")
        seen[key.lower()] = key
    if len(tags) > limit:
        raise LimitExceeded(f"Cannot exceed quota for TagsPerEntity: {limit} (asked for {len(tags)}).")
    return tags


def tags_from_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """The (key, value) pairs of one request's Tags list as a dict; a key given twice, in any
    case, is InvalidInput, as AWS refuses duplicate keys in one request (TagUser: "keys are
    unique without regard to case"). The keys and values themselves are `check_tags`' to judge."""
    tags: dict[str, str] = {}
    for key, value in pairs:
        if any(k.lower() == key.lower() for k in tags):
            raise InvalidInput(f"duplicate tag key {key!r} (tag keys are unique without regard to case)")
        tags[key] = value
    return tags


def arn(account_id: str, kind: str, path: str, name: str) -> str:
    """`arn:aws:iam::ACCOUNT:KIND/PATH/NAME`, e.g. arn:aws:iam::123456789012:user/division/alice."""
    return f"arn:aws:iam::{account_id}:{kind}{path}{name}"
