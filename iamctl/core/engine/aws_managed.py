"""AWS managed policies (`arn:aws:iam::aws:policy/...`), read from the bundle shipped with iamctl.

The bundle (`iamctl/data/aws-managed-policies/policies.json.gz`, see its SOURCE.md) holds every AWS
managed policy's default version; `scripts/refresh_managed_policies.py` rebuilds it. It is read
lazily, once per process, on the first call here: plain commands never pay for it.

    >>> get("arn:aws:iam::aws:policy/AdministratorAccess").default_version_id
    'v1'
"""

from __future__ import annotations

import builtins
import functools
from pathlib import Path
from typing import TYPE_CHECKING

from msgspec import Struct

if TYPE_CHECKING:
    import datetime as dt

ARN_PREFIX = "arn:aws:iam::aws:policy"
_BUNDLE = ("data", "aws-managed-policies", "policies.json.gz")


class AwsManagedPolicy(Struct, frozen=True):
    """One AWS managed policy at its default version.

    `document` is the default version's policy JSON as text (2-space indent, AWS's key order; see
    the bundle's SOURCE.md for why not byte-for-byte AWS's whitespace). Dates are timezone-aware UTC.
    """

    arn: str
    name: str
    path: str
    default_version_id: str
    document: str
    create_date: dt.datetime
    update_date: dt.datetime


class _Bundle(Struct, frozen=True):
    source: dict[str, str]
    # arn -> raw row in the bundle's column order; records are built on demand, so loading
    # costs one decompress and one json.loads and nothing per policy.
    rows: dict[str, list[str]]


@functools.cache
def _bundle() -> _Bundle:
    import gzip  # lazy: start-up
    import json  # lazy: start-up

    # A plain path next to the package, not importlib.resources: that import alone costs ~12 ms,
    # and iamctl is never installed zipped (setuptools installs package data as files).
    raw = Path(__file__).resolve().parents[2].joinpath(*_BUNDLE).read_bytes()
    data = json.loads(gzip.decompress(raw))
    if data.get("format") != 1:
        # A bundle from a newer refresh script: better to say so than to misread its columns.
        raise RuntimeError(f"unsupported AWS managed policy bundle format {data.get('format')!r}")
    expected = ["name", "path", "default_version_id", "create_date", "update_date", "document"]
    if data["columns"] != expected:
        raise RuntimeError(f"unexpected AWS managed policy bundle columns {data['columns']!r}")
    rows = {f"{ARN_PREFIX}{row[1]}{row[0]}": row for row in data["policies"]}
    return _Bundle(source=data["source"], rows=rows)


def _policy(arn: str, row: builtins.list[str]) -> AwsManagedPolicy:
    import datetime as dt  # lazy: start-up

    name, path, version_id, created, updated, document = row
    return AwsManagedPolicy(
        arn=arn,
        name=name,
        path=path,
        default_version_id=version_id,
        document=document,
        # 3.11's fromisoformat reads the bundle's "2015-02-06T18:39:46.000Z" directly.
        create_date=dt.datetime.fromisoformat(created),
        update_date=dt.datetime.fromisoformat(updated),
    )


def get(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy with this exact ARN, or None if there is none.

    The ARN is `arn:aws:iam::aws:policy{path}{name}`, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`
    or `arn:aws:iam::aws:policy/service-role/AWSLambdaRole`. Matching is exact, as IAM's is for ARNs.
    """
    row = _bundle().rows.get(arn)
    return None if row is None else _policy(arn, row)


# `list` shadows the builtin inside this module on purpose (callers write `aws_managed.list()`);
# annotations therefore say `builtins.list`.
def list(path_prefix: str | None = None) -> builtins.list[AwsManagedPolicy]:
    """All AWS managed policies whose path starts with `path_prefix` (all if None), sorted by name.

    Mirrors `aws iam list-policies --scope AWS --path-prefix ...`: the prefix is compared with the
    policy's path (`/`, `/service-role/`, `/aws-service-role/`, `/job-function/`, ...), so `/service-role/`
    does not match `/aws-service-role/` policies.
    """
    rows = _bundle().rows
    # The bundle is written sorted by name, and dicts keep insertion order.
    return [
        _policy(arn, row)
        for arn, row in rows.items()
        if path_prefix is None or row[1].startswith(path_prefix)
    ]


def names() -> builtins.list[str]:
    """The names of all AWS managed policies, sorted (names are unique across paths)."""
    return [row[0] for row in _bundle().rows.values()]


def source() -> dict[str, str]:
    """Where the bundle came from: `package`, `version`, `licence` and `retrieved` (a date)."""
    return dict(_bundle().source)
