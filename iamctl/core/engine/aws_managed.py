"""AWS managed policies (`arn:aws:iam::aws:policy/...`), read from the bundle shipped with iamctl.

The bundle (`iamctl/data/aws-managed-policies/`, see its SOURCE.md) holds every AWS managed
policy's default version; `scripts/refresh_managed_policies.py` rebuilds it. Its `index.json`
names every policy with its path, version id and dates, and says where its document is in
`documents.gz`, one gzip member per policy. The index is read lazily, once per process, on the
first call here (plain commands never pay for it); a lookup decodes the policy's own row only,
and its document is read, from its own member only, the first time `document` is asked for.
Listing policies decodes the whole index and reads no document.

    >>> get("arn:aws:iam::aws:policy/AdministratorAccess").default_version_id
    'v1'
"""

from __future__ import annotations

import builtins
import functools
import zlib
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import msgspec.json
from msgspec import Struct

if TYPE_CHECKING:
    import datetime as dt

ARN_PREFIX = "arn:aws:iam::aws:policy"
# The bundle's directory when not the one shipped with iamctl (tests read copies of it).
_DIR: Path | None = None
_COLUMNS = ["name", "path", "default_version_id", "create_date", "update_date", "offset", "length"]
_Row = tuple[str, str, str, str, str, int, int]


class AwsManagedPolicy:
    """One AWS managed policy at its default version.

    `document` is the default version's policy JSON as text (2-space indent, AWS's key order; see
    the bundle's SOURCE.md for why not byte-for-byte AWS's whitespace). Dates are timezone-aware UTC.
    A policy from the bundle reads its document from the bundle when it is first asked for, so
    that listing policies costs no decompression; one built with `document=` holds it from the
    start. Frozen, like the record types: attributes cannot be set.
    """

    __slots__ = ("arn", "name", "path", "default_version_id", "create_date", "update_date", "_document",
                 "_member")

    arn: str
    name: str
    path: str
    default_version_id: str
    create_date: dt.datetime
    update_date: dt.datetime
    _document: str | None
    _member: tuple[int, int] | None

    def __init__(self, *, arn: str, name: str, path: str, default_version_id: str, create_date: dt.datetime,
                 update_date: dt.datetime, document: str | None = None,
                 _member: tuple[int, int] | None = None) -> None:
        if (document is None) == (_member is None):
            raise TypeError("an AwsManagedPolicy needs its document, or (from the bundle) where it is")
        init = object.__setattr__
        init(self, "arn", arn)
        init(self, "name", name)
        init(self, "path", path)
        init(self, "default_version_id", default_version_id)
        init(self, "create_date", create_date)
        init(self, "update_date", update_date)
        init(self, "_document", document)
        init(self, "_member", _member)

    @property
    def document(self) -> str:
        document = self._document
        if document is None:
            assert self._member is not None  # __init__ requires one or the other
            document = _read_document(*self._member)
            object.__setattr__(self, "_document", document)
        return document

    def _key(self) -> tuple[str, str, str, str, dt.datetime, dt.datetime, str]:
        return (self.arn, self.name, self.path, self.default_version_id, self.create_date, self.update_date,
                self.document)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"AwsManagedPolicy is frozen: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"AwsManagedPolicy is frozen: cannot delete {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AwsManagedPolicy):
            return NotImplemented
        return self is other or self._key() == other._key()

    def __hash__(self) -> int:
        # Equal policies have equal ARNs; hashing the ARN alone needs no document read.
        return hash(self.arn)

    def __repr__(self) -> str:
        return f"AwsManagedPolicy(arn={self.arn!r}, default_version_id={self.default_version_id!r})"


class _Index(Struct, frozen=True):
    # Literal: a bundle from a newer refresh script fails to decode, rather than being misread.
    format: Literal[2]
    source: dict[str, str]
    columns: builtins.list[str]
    documents_size: int
    policies: builtins.list[_Row]


class _Loaded(Struct, frozen=True):
    raw: bytes  # index.json as read
    head: _Index  # its first line: everything but the rows (`policies` is empty)


def _bundle_dir() -> Path:
    return _DIR if _DIR is not None else _shipped_dir()


@functools.cache
def _shipped_dir() -> Path:
    # Computed on first use, not at import (resolve() costs system calls on every start-up). A
    # plain path next to the package, not importlib.resources: that import alone costs ~12 ms,
    # and iamctl is never installed zipped (setuptools installs package data as files).
    return Path(__file__).resolve().parents[2] / "data" / "aws-managed-policies"


def _damaged(what: str, detail: object) -> RuntimeError:
    return RuntimeError(f"the AWS managed policy bundle in {_bundle_dir()} is damaged ({what}: {detail}); "
                        "reinstall iamctl or run scripts/refresh_managed_policies.py")


@functools.cache
def _index() -> _Loaded:
    """index.json's bytes and its first line, checked. The rows are decoded only as asked for."""
    try:
        raw = (_bundle_dir() / "index.json").read_bytes()
        # The refresh script writes the head on the first line and one row per line after it, so
        # the first line closed with `]}` is the index without its rows.
        head = msgspec.json.decode(raw[: raw.find(b"\n")] + b"]}", type=_Index)
    except (OSError, msgspec.DecodeError) as err:
        raise _damaged("index.json", err) from None
    if head.columns != _COLUMNS:
        raise _damaged("index.json", f"unexpected columns {head.columns!r}")
    return _Loaded(raw=raw, head=head)


@functools.cache
def _rows() -> dict[str, _Row]:
    """Every row, by name (names are unique across paths), in the index's order (sorted by name)."""
    try:
        index = msgspec.json.decode(_index().raw, type=_Index)
    except msgspec.DecodeError as err:
        raise _damaged("index.json", err) from None
    return {row[0]: row for row in index.policies}


def _row(name: str) -> _Row | None:
    """The index row of the policy called `name`, found without decoding the other 1,600 rows."""
    raw = _index().raw
    # Rows start a line with their name, JSON-encoded: `["ReadOnlyAccess","/",...],`.
    at = raw.find(b"\n[" + msgspec.json.encode(name) + b",")
    if at < 0:
        return None
    line = raw[at + 1 : raw.find(b"\n", at + 1)].removesuffix(b",")
    try:
        return msgspec.json.decode(line, type=_Row)
    except msgspec.DecodeError as err:
        raise _damaged("index.json", f"the row of {name}: {err}") from None


def _read_document(offset: int, length: int) -> str:
    """The document in documents.gz's member at `offset`: that member only is read and inflated."""
    try:
        with (_bundle_dir() / "documents.gz").open("rb") as f:
            if (size := f.seek(0, 2)) != (expected := _index().head.documents_size):
                raise _damaged("documents.gz", f"{size} bytes, not the {expected} its index says")
            f.seek(offset)
            member = f.read(length)
    except OSError as err:
        raise _damaged("documents.gz", err) from None
    inflate = zlib.decompressobj(wbits=31)  # 31: a gzip member, its CRC-32 and length checked
    try:
        text = inflate.decompress(member)
    except zlib.error as err:
        raise _damaged("documents.gz", f"member at {offset}: {err}") from None
    if not inflate.eof or inflate.unused_data:  # the index's length must be the member's, exactly
        raise _damaged("documents.gz", f"member at {offset} is not {length} bytes long")
    return text.decode("utf-8")


def _policy(row: _Row) -> AwsManagedPolicy:
    import datetime as dt  # lazy: start-up

    name, path, version_id, created, updated, offset, length = row
    return AwsManagedPolicy(
        arn=f"{ARN_PREFIX}{path}{name}",
        name=name,
        path=path,
        default_version_id=version_id,
        # 3.11's fromisoformat reads the bundle's "2015-02-06T18:39:46.000Z" directly.
        create_date=dt.datetime.fromisoformat(created),
        update_date=dt.datetime.fromisoformat(updated),
        _member=(offset, length),
    )


def get(arn: str) -> AwsManagedPolicy | None:
    """The AWS managed policy with this exact ARN, or None if there is none.

    The ARN is `arn:aws:iam::aws:policy{path}{name}`, e.g. `arn:aws:iam::aws:policy/ReadOnlyAccess`
    or `arn:aws:iam::aws:policy/service-role/AWSLambdaRole`. Matching is exact, as IAM's is for ARNs.
    """
    row = _row(arn.rpartition("/")[2])
    if row is None or arn != f"{ARN_PREFIX}{row[1]}{row[0]}":
        return None
    return _policy(row)


# `list` shadows the builtin inside this module on purpose (callers write `aws_managed.list()`);
# annotations therefore say `builtins.list`.
def list(path_prefix: str | None = None) -> builtins.list[AwsManagedPolicy]:
    """All AWS managed policies whose path starts with `path_prefix` (all if None), sorted by name.

    Mirrors `aws iam list-policies --scope AWS --path-prefix ...`: the prefix is compared with the
    policy's path (`/`, `/service-role/`, `/aws-service-role/`, `/job-function/`, ...), so `/service-role/`
    does not match `/aws-service-role/` policies. Reads the index only: no document is read until
    one is asked for.
    """
    # The index is written sorted by name, and dicts keep insertion order.
    return [_policy(row) for row in _rows().values()
            if path_prefix is None or row[1].startswith(path_prefix)]


def names() -> builtins.list[str]:
    """The names of all AWS managed policies, sorted (names are unique across paths)."""
    return builtins.list(_rows())


def source() -> dict[str, str]:
    """Where the bundle came from: `package`, `version`, `licence` and `retrieved` (a date)."""
    return dict(_index().head.source)
