"""Batch onboarding: a file of users in (CSV or JSON Lines), users with groups, tags, policies
and one-time credentials out; and the same file format out of an account (export).

Three steps, so that an import tells the truth before it changes anything:

1. `parse_file` reads the text into `Row`s, collecting every syntax problem (`RowError`).
2. `plan_import` checks every row against the account (names, duplicates in the file without
   regard to case, groups, policies, quotas) and decides, per user, `create`, `update`,
   `unchanged` or `conflict`. Any problem anywhere raises `ImportRejected` carrying all of them;
   nothing has been staged by then. Planning writes nothing, so a dry run is a plan.
3. `apply_import` carries the plan out in the caller's transaction (one transaction for the whole
   file: all or nothing), issuing credentials only to users it creates.

Columns (the CSV header, or the JSON Lines keys): `name` (required), `path`, `groups` (`;`),
`tags` (`k=v;k=v`), `policies` (managed policy ARNs or names, `;`), `boundary`, `password`
(`generate` or empty), `require_reset` (default true when a password is generated),
`access_key` (`yes` or empty), `mfa` (`required` or empty). A column absent from the file is
left alone on existing users; a column present but empty means "none".

Idempotence: an existing user whose attributes match the row is `unchanged`; one that differs is
a `conflict`, left as it is, unless `sync=True`, which brings its path, groups, tags, policies,
boundary and MFA mark to the file's state (`update`). The credential columns apply only to users
this import creates, so running the same file twice issues no second set.

Scale: every changed entity is serialised once, when the import ends (`_WriteBehind`), and group
memberships are added per group in one pass, so a 10,000-row file costs O(rows), not O(rows²).
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from msgspec import Struct, field, structs

from iamctl.core.base import jsonload, names
from iamctl.core.base.errors import IamError, InvalidInput
from iamctl.core.bulk import spreadsheet
from iamctl.core.credentials import access_keys, password_policy, passwords
from iamctl.core.engine import aws_managed
from iamctl.core.identities import documents, entities, groups, policies, users
from iamctl.core.identities.documents import policy_arn
from iamctl.core.store.records import KINDS, KindName, User

if TYPE_CHECKING:
    from iamctl.core.store.directory import Txn

COLUMNS = ("name", "path", "groups", "tags", "policies", "boundary", "password", "require_reset",
           "access_key", "mfa")
#: What `export_users` writes: everything but the credential columns (no secrets, ever).
EXPORT_COLUMNS = ("name", "path", "groups", "tags", "policies", "boundary", "mfa")
FORMATS = ("csv", "jsonl")
#: The customer managed policy attached to users marked `mfa=required`, created on first use.
FORCE_MFA_POLICY = "ForceMFA"
FORCE_MFA_DESCRIPTION = ("Denies everything but MFA self-service until the user signs in with MFA "
                         "(AWS IAM User Guide example policy).")
#: Above this many passwords to hash, hashing runs on every core (Argon2id: ~20 ms each).
PARALLEL_HASHING_FROM = 8

_TRUE = {"true", "yes", "1", "y"}
_FALSE = {"false", "no", "0", "n"}


# -- errors -----------------------------------------------------------------------------------


class RowError(Struct, frozen=True):
    """One problem in an import file: the row (its line number; the CSV header is line 1), the
    column, and what is wrong. `remedy` names the `plan_import` keyword that would accept the
    row as it is (`create_groups` for an unknown group, besides creating it first), for the
    caller to offer in its own terms."""

    row: int
    column: str
    message: str
    remedy: str | None = None

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


class ImportRejected(InvalidInput):
    """An import file with problems: `errors` lists every one of them; nothing was written."""

    def __init__(self, source: str, errors: list[RowError]):
        self.source = source
        self.errors = sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else -1))
        rows = len({e.row for e in errors})
        super().__init__(f"{source}: {len(errors)} problem{'s' if len(errors) != 1 else ''} in "
                         f"{rows} row{'s' if rows != 1 else ''}; nothing was written")


# -- parsing ----------------------------------------------------------------------------------


class Row(Struct):
    """One user as the file describes it. `columns` says which columns the file has: the others
    are left alone on an existing user."""

    row: int
    name: str
    columns: frozenset[str]
    path: str = "/"
    groups: list[str] = field(default_factory=list)
    tags: dict[str, str] = field(default_factory=dict)
    policies: list[str] = field(default_factory=list)  # as written: ARNs or names
    boundary: str | None = None
    password: bool = False
    require_reset: bool = True
    access_key: bool = False
    mfa: bool = False


class ImportFile(Struct):
    """A parsed import file: its rows and the syntax problems found in it."""

    source: str
    format: str
    columns: tuple[str, ...]
    rows: list[Row]
    errors: list[RowError]


def detect_format(source: str, text: str) -> str:
    """`jsonl` for a `.jsonl`/`.ndjson`/`.json` file name or text starting with `{`; else `csv`."""
    lowered = source.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")):
        return "jsonl"
    if lowered.endswith(".csv"):
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def parse_file(text: str, *, fmt: str | None = None, source: str = "-") -> ImportFile:
    """Read an import file (CSV with a header row, or JSON Lines) into rows.

    Never raises for the file's content: every problem becomes a `RowError`, reported together
    with the account checks by `plan_import`.
    """
    fmt = fmt or detect_format(source, text)
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    text = text.removeprefix("\ufeff")  # spreadsheets save CSV with a byte-order mark
    records, columns, errors = _read_csv(text) if fmt == "csv" else _read_jsonl(text)
    rows = []
    for number, cells in records:
        row = _row(number, cells, frozenset(columns), errors)
        if row is not None:
            rows.append(row)
    return ImportFile(source, fmt, tuple(columns), rows, errors)


def _read_csv(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[str], list[RowError]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    errors: list[RowError] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [], [RowError(1, "name", "the file is empty (expected a header row naming the columns)")]
    except csv.Error as e:
        return [], [], [RowError(1, "name", f"unreadable CSV: {e}")]
    columns = [h.strip().lower() for h in header]
    errors += _check_columns(columns, 1)
    records = []
    start = reader.line_num + 1
    try:
        for cells in reader:
            number, start = start, reader.line_num + 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(columns):
                errors.append(RowError(number, columns[-1] if columns else "name",
                                       f"{len(cells)} cells, but the header names {len(columns)} columns"))
                continue
            records.append((number, {c: spreadsheet.restore(v) for c, v in zip(columns, cells, strict=False)
                                     if c in COLUMNS}))
    except csv.Error as e:
        errors.append(RowError(reader.line_num, "name", f"unreadable CSV: {e}"))
    return records, [c for c in columns if c in COLUMNS], errors


def _check_columns(columns: list[str], row: int) -> list[RowError]:
    errors = []
    for column in columns:
        if column not in COLUMNS:
            errors.append(RowError(row, column, f"unknown column (known: {', '.join(COLUMNS)})"))
    if "name" not in columns:
        errors.append(RowError(row, "name", "the required column 'name' is missing"))
    return errors


def _read_jsonl(text: str) -> tuple[list[tuple[int, dict[str, str]]], list[str], list[RowError]]:
    records, seen, errors = [], [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = jsonload.loads(line)
        except json.JSONDecodeError as e:
            errors.append(RowError(number, "name", f"not valid JSON: {e.msg} at column {e.colno}"))
            continue
        if not isinstance(obj, dict):
            errors.append(RowError(number, "name", "each line must be a JSON object"))
            continue
        cells = {}
        for key, value in obj.items():
            column = str(key).strip().lower()
            if column not in COLUMNS:
                errors.append(RowError(number, column, f"unknown key (known: {', '.join(COLUMNS)})"))
                continue
            if column not in seen:
                seen.append(column)
            cells[column] = _json_cell(column, value)
        if "name" not in cells:
            errors.append(RowError(number, "name", "the required key 'name' is missing"))
            continue
        records.append((number, cells))
    return records, [c for c in COLUMNS if c in seen], errors


def _json_cell(column: str, value: Any) -> str:
    """A JSON value as the CSV cell that means the same: lists joined with `;`, a tags object
    as `k=v;k=v`, true as `yes`/`required`, null as empty."""
    if value is None or value is False:
        return "false" if column == "require_reset" and value is False else ""
    if value is True:
        return {"access_key": "yes", "mfa": "required", "password": "generate"}.get(column, "true")
    if isinstance(value, dict):
        return ";".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def _split(cell: str) -> list[str]:
    return [part.strip() for part in cell.split(";") if part.strip()]


def _tag(text: str) -> tuple[str, str]:
    # The file's `key=value` (the value may be empty and may contain `=`).
    key, sep, value = text.partition("=")
    if not sep:
        raise InvalidInput(f"tag {text!r} must be written KEY=VALUE")
    return key, value


def _row(number: int, cells: dict[str, str], columns: frozenset[str], errors: list[RowError]) -> Row | None:
    def problem(column: str, message: str) -> None:
        errors.append(RowError(number, column, message))

    get = {c: (cells.get(c) or "").strip() for c in COLUMNS}
    row = Row(row=number, name=get["name"], columns=columns)
    row.path = get["path"] or "/"
    unique: dict[str, str] = {}
    for group in _split(get["groups"]):
        unique.setdefault(group.lower(), group)  # the same group twice is the same membership
    row.groups = list(unique.values())
    try:
        row.tags = names.tags_from_pairs(_tag(text) for text in _split(get["tags"]))
    except IamError as e:
        problem("tags", e.message)
    row.policies = list(dict.fromkeys(_split(get["policies"])))
    row.boundary = get["boundary"] or None
    password = get["password"].lower()
    if password not in ("", "generate"):
        problem("password", "must be 'generate' or empty (iamctl never reads a password from a file)")
    row.password = password == "generate"
    reset = get["require_reset"].lower()
    if reset and reset not in _TRUE | _FALSE:
        problem("require_reset", f"{get['require_reset']!r} is not true or false")
    row.require_reset = reset not in _FALSE if reset else row.password
    key = get["access_key"].lower()
    if key not in ("", "yes", "no", "true", "false"):
        problem("access_key", f"{get['access_key']!r} must be 'yes' or empty")
    row.access_key = key in ("yes", "true")
    mfa = get["mfa"].lower()
    if mfa not in ("", "required", "no", "false"):
        problem("mfa", f"{get['mfa']!r} must be 'required' or empty")
    row.mfa = mfa == "required"
    return row


# -- planning ---------------------------------------------------------------------------------

ACTIONS = ("create", "update", "unchanged", "conflict")


class PlanItem(Struct):
    """What the import does to one user. `changes` describes each difference for people
    ("groups: +eng -ops"); the resolved fields are what the user will have."""

    row: int
    name: str
    action: str
    changes: list[str]
    source: Row
    groups: list[str]  # group names as stored (or as written, for groups to be created)
    policies: list[str]  # ARNs, ForceMFA's included when the user is marked
    boundary: str | None
    mfa: bool  # marked for MFA enrolment (mfa=required)


class Plan(Struct):
    """The whole import, decided: per-user items, the groups to create, whether the ForceMFA
    policy must be created, and the options it was planned with."""

    items: list[PlanItem]
    new_groups: list[str]
    create_force_mfa: bool
    sync: bool

    def count(self, action: str) -> int:
        return sum(1 for item in self.items if item.action == action)

    @property
    def credentials_needed(self) -> bool:
        """True when applying would issue a password or an access key (created users only)."""
        return any(i.action == "create" and (i.source.password or i.source.access_key) for i in self.items)

    @property
    def steps(self) -> int:
        """Units of work for a progress bar: one per row, one per password to hash."""
        return len(self.items) + sum(1 for i in self.items if i.action == "create" and i.source.password)


def force_mfa_arn(txn: Txn) -> str:
    """The ARN of the account's ForceMFA policy (whether or not it exists yet)."""
    existing = txn.get("policy", FORCE_MFA_POLICY)
    path = existing.path if existing is not None else "/"
    name = existing.name if existing is not None else FORCE_MFA_POLICY
    return names.arn(txn.account_id, "policy", path, name)


class _PolicyResolver:
    """Managed policy references (ARNs, or names: customer managed first, else AWS managed) to
    ARNs, each distinct reference looked up once."""

    def __init__(self, txn: Txn):
        self.txn = txn
        self.found: dict[str, str | IamError] = {}
        self._aws_names: dict[str, str] | None = None

    def __call__(self, ref: str) -> str:
        if ref not in self.found:
            try:
                self.found[ref] = self._resolve(ref)
            except IamError as e:
                self.found[ref] = e
        result = self.found[ref]
        if isinstance(result, IamError):
            raise result
        return result

    def _resolve(self, ref: str) -> str:
        if ref.startswith("arn:"):
            return documents.resolve_policy_arn(self.txn, ref)
        customer = self.txn.get("policy", ref)
        if self._aws_names is None:

            self._aws_names = {p.name.lower(): p.arn for p in aws_managed.list()}
        aws = self._aws_names.get(ref.lower())
        if customer is not None and aws is not None:
            raise InvalidInput(f"{ref} names both the customer managed policy {policy_arn(self.txn, customer)} "
                               f"and the AWS managed policy {aws}: write the ARN")
        if customer is not None:
            return policy_arn(self.txn, customer)
        if aws is not None:
            return aws
        raise InvalidInput(f"unknown policy {ref!r} (no customer managed or AWS managed policy has that name)")


def plan_import(txn: Txn, parsed: ImportFile, *, sync: bool = False, create_groups: bool = False) -> Plan:
    """Check every row against the account and decide what to do with each user.

    Raises `ImportRejected` with every problem of the file (syntax, names, duplicates by case,
    unknown groups or policies, quotas the import would exceed). Writes nothing.
    """
    planner = _Planner(txn, create_groups=create_groups)
    items = []
    for row in parsed.rows:
        item = planner.plan_row(row, sync=sync)
        if item is not None:
            items.append(item)
    errors = parsed.errors + planner.errors
    if errors:
        raise ImportRejected(parsed.source, errors)
    needs_force = any(i.action in ("create", "update") and i.mfa for i in items)
    new_groups = [name for name in _groups_in_order(items) if planner.group_names.get(name.lower(), "") is None]
    return Plan(items, new_groups, needs_force and not planner.force_exists, sync)


class _Planner:
    """The state of planning one file: what was seen in earlier rows, what the account holds
    (read once), and every problem found so far."""

    def __init__(self, txn: Txn, *, create_groups: bool):
        self.txn = txn
        self.quotas = txn.account.quotas
        self.create_groups = create_groups
        self.resolve = _PolicyResolver(txn)
        self.errors: list[RowError] = []
        self.group_names: dict[str, str | None] = {}  # lower-case name -> stored name (None: to create)
        self.seen: dict[str, int] = {}  # lower-case user name -> first row
        self.mfa_arn = force_mfa_arn(txn)
        self.force_exists = txn.exists("policy", FORCE_MFA_POLICY)
        self.users_before = txn.count("user")
        self.created_users = 0
        self.groups_before: int | None = None
        self.reported: set[str] = set()  # account-wide quotas are reported once, at the first row past them

    def problem(self, row: Row, column: str, message: str, remedy: str | None = None) -> None:
        self.errors.append(RowError(row.row, column, message, remedy))

    def _once(self, quota: str) -> bool:
        first = quota not in self.reported
        self.reported.add(quota)
        return first

    def plan_row(self, row: Row, *, sync: bool) -> PlanItem | None:
        before = len(self.errors)
        self._check_attributes(row)
        groups = self._groups(row)
        arns = self._policies(row, "policies", row.policies)
        boundary = self._policies(row, "boundary", [row.boundary] if row.boundary else [])
        if len(self.errors) > before:
            return None
        user = self.txn.get("user", row.name)
        mfa = row.mfa if "mfa" in row.columns or user is None else user.mfa_required
        if "policies" in row.columns or user is None:
            wanted = [a for a in arns if a != self.mfa_arn]
        else:  # only the MFA mark can change the user's policies
            wanted = [a for a in user.attached_policies if a != self.mfa_arn]
        wanted += [self.mfa_arn] if mfa else []
        if len(wanted) > self.quotas.managed_policies_per_user:
            self.problem(row, "policies", f"{len(wanted)} managed policies would exceed the quota PoliciesPerUser "
                                          f"({self.quotas.managed_policies_per_user})"
                                          + (" (ForceMFA counts, for mfa=required)" if mfa else ""))
            return None
        target = boundary[0] if boundary else None
        if user is None:
            self._check_creation(row, mfa)
            return PlanItem(row.row, row.name, "create", [], row, groups, wanted, target, mfa)
        changes = _differences(user, row, groups, wanted, target, mfa)
        action = "unchanged" if not changes else "update" if sync else "conflict"
        return PlanItem(row.row, user.name, action, changes, row, groups, wanted, target, mfa)

    def _check_attributes(self, row: Row) -> None:
        try:
            names.check_name("user", row.name)
        except IamError as e:
            self.problem(row, "name", e.message)
        else:
            first = self.seen.setdefault(row.name.lower(), row.row)
            if first != row.row:
                self.problem(row, "name", f"{row.name!r} is a duplicate of row {first} (user names are unique "
                                          "without regard to case)")
        for column, check in (("path", lambda: names.check_path(row.path)),
                              ("tags", lambda: names.check_tags(row.tags, limit=self.quotas.tags_per_entity))):
            try:
                check()
            except IamError as e:
                self.problem(row, column, e.message)

    def _groups(self, row: Row) -> list[str]:
        """The row's groups as stored (or as written, for groups to create)."""
        found = []
        for group in row.groups:
            key = group.lower()
            if key not in self.group_names and not self._new_group(row, group):
                continue
            found.append(self.group_names[key] or group)
        if len(row.groups) > self.quotas.groups_per_user:
            self.problem(row, "groups", f"{len(row.groups)} groups would exceed the quota GroupsPerUser "
                                        f"({self.quotas.groups_per_user})")
        return found

    def _new_group(self, row: Row, group: str) -> bool:
        """Look a group up for the first time; False (and a problem) if it cannot be used."""
        try:
            names.check_name("group", group)
        except IamError as e:
            self.problem(row, "groups", e.message)
            return False
        existing = self.txn.get("group", group)
        if existing is not None:
            self.group_names[group.lower()] = existing.name
            return True
        if not self.create_groups:
            self.problem(row, "groups", f"unknown group {group!r}",
                         remedy="create_groups")
            return False
        self.group_names[group.lower()] = None
        if self.groups_before is None:
            self.groups_before = self.txn.count("group")
        new = sum(1 for v in self.group_names.values() if v is None)
        if self.groups_before + new > self.quotas.groups and self._once("groups"):
            self.problem(row, "groups", f"creating group {group!r} would exceed the quota GroupsPerAccount "
                                        f"({self.quotas.groups})")
        return True

    def _policies(self, row: Row, column: str, refs: list[str]) -> list[str]:
        arns = []
        for ref in refs:
            try:
                arns.append(self.resolve(ref))
            except IamError as e:
                self.problem(row, column, e.message)
        return arns

    def _check_creation(self, row: Row, mfa: bool) -> None:
        self.created_users += 1
        if self.users_before + self.created_users > self.quotas.users and self._once("users"):
            self.problem(row, "name", f"creating user {row.name!r} would exceed the quota UsersPerAccount "
                                      f"({self.quotas.users}; the account has {self.users_before})")
        if mfa and not self.force_exists and "policies" not in self.reported:
            if self.txn.count("policy") >= self.quotas.policies and self._once("policies"):
                self.problem(row, "mfa", f"creating the {FORCE_MFA_POLICY} policy would exceed the quota "
                                         f"PoliciesPerAccount ({self.quotas.policies})")
            self.reported.add("policies")  # counted once: the answer cannot change within the file


def _groups_in_order(items: list[PlanItem]) -> list[str]:
    ordered: dict[str, str] = {}
    for item in items:
        if item.action in ("create", "update"):
            for group in item.groups:
                ordered.setdefault(group.lower(), group)
    return list(ordered.values())


def _differences(user: User, row: Row, groups: list[str], policies: list[str], boundary: str | None,
                 mfa: bool) -> list[str]:
    changes = []
    if "path" in row.columns and user.path != row.path:
        changes.append(f"path: {user.path} -> {row.path}")
    if "groups" in row.columns:
        have, want = {g.lower(): g for g in user.groups}, {g.lower(): g for g in groups}
        diff = _set_change(have, want)
        if diff:
            changes.append(f"groups: {diff}")
    if "tags" in row.columns and user.tags != row.tags:
        gone = [f"-{k}" for k in user.tags if k not in row.tags]
        new = [f"+{k}={v}" for k, v in row.tags.items() if user.tags.get(k) != v]
        changes.append(f"tags: {' '.join(new + gone)}")
    have_p, want_p = {a: a for a in user.attached_policies}, {a: a for a in policies}
    diff = _set_change(have_p, want_p)
    if diff:
        changes.append(f"policies: {diff}")
    if "boundary" in row.columns and user.permissions_boundary != boundary:
        changes.append(f"boundary: {user.permissions_boundary or 'none'} -> {boundary or 'none'}")
    if user.mfa_required != mfa:
        changes.append(f"mfa: {'required' if user.mfa_required else 'not required'} -> "
                       f"{'required' if mfa else 'not required'}")
    return changes


def _set_change(have: dict[str, str], want: dict[str, str]) -> str:
    added = [f"+{want[k]}" for k in want if k not in have]
    removed = [f"-{have[k]}" for k in have if k not in want]
    return " ".join(added + removed)


# -- applying ---------------------------------------------------------------------------------


class IssuedCredentials(Struct, frozen=True):
    """One-time credentials of a user created by this import: shown once, never stored."""

    user_name: str
    password: str | None
    access_key_id: str | None
    secret_access_key: str | None


class ImportResult(Struct):
    plan: Plan
    credentials: list[IssuedCredentials]

    @property
    def summary(self) -> dict[str, int]:
        return summary(self.plan, len(self.credentials))


def summary(plan: Plan, credentials_issued: int = 0) -> dict[str, int]:
    """The counts a run reports: created, updated, unchanged, conflicts, credentials issued."""
    return {
        "created": plan.count("create"),
        "updated": plan.count("update"),
        "unchanged": plan.count("unchanged"),
        "conflicts": plan.count("conflict"),
        "credentials_issued": credentials_issued,
    }


class _WriteBehind:
    """A view of a transaction that keeps changed entities in memory and hands each to the store
    once, at `flush`. The core operations re-`put` a group or a policy for every member they
    add, and the store serialises on every `put`: for a 10,000-user import into one group that
    would be 10,000 dumps of a growing member list. Counts are kept here too (the store's
    `count` lists a folder). Only what the operations used by the import need is offered."""

    def __init__(self, txn: Txn):
        self._txn = txn
        self._pending: dict[tuple[KindName, str], Any] = {}
        self._counts: dict[KindName, int] = {}

    @property
    def account(self):
        return self._txn.account

    @property
    def account_id(self) -> str:
        return self._txn.account_id

    @property
    def writable(self) -> bool:
        return True

    def get(self, kind: KindName, name: str) -> Any | None:
        key = (kind, name.lower())
        if key in self._pending:
            return self._pending[key]
        return self._txn.get(kind, name)

    def require(self, kind: KindName, name: str) -> Any:
        found = self.get(kind, name)
        if found is None:
            return self._txn.require(kind, name)  # raises with AWS's wording
        return found

    def exists(self, kind: KindName, name: str) -> bool:
        key = (kind, name.lower())
        if key in self._pending:
            return self._pending[key] is not None
        return self._txn.exists(kind, name)

    def count(self, kind: KindName) -> int:
        if kind not in self._counts:
            self._counts[kind] = self._txn.count(kind)
        return self._counts[kind]

    def put(self, kind: KindName, obj: Any) -> None:
        name = getattr(obj, KINDS[kind].key_field)
        if not self.exists(kind, name):
            self._counts[kind] = self.count(kind) + 1
        self._pending[(kind, name.lower())] = obj

    def delete(self, kind: KindName, name: str) -> None:
        if self.exists(kind, name):
            self._counts[kind] = self.count(kind) - 1
        self._pending[(kind, name.lower())] = None

    def get_secret(self, kind: KindName, name: str) -> dict[str, Any] | None:
        return self._txn.get_secret(kind, name)

    def put_secret(self, kind: KindName, name: str, record: dict[str, Any]) -> None:
        self._txn.put_secret(kind, name, record)

    def flush(self) -> None:
        for (kind, name), obj in self._pending.items():
            if obj is None:
                if self._txn.exists(kind, name):
                    self._txn.delete(kind, name)
            else:
                self._txn.put(kind, obj)
        self._pending.clear()


def apply_import(txn: Txn, plan: Plan, *, progress: Callable[[int], None] | None = None) -> ImportResult:
    """Carry out a plan in `txn`: create groups and the ForceMFA policy if needed, create users
    with their groups, tags, policies, boundary, MFA mark and credentials, and (with sync)
    update the users that differ. Conflicts and unchanged users are left alone.

    Generated passwords are hashed before anything is staged, on every core when there are many
    (`progress` is called once per hash and once per row). Their plain text and the access-key
    secrets are returned in `ImportResult.credentials` and stored nowhere.
    """

    advance = progress or (lambda n: None)
    creates = [i for i in plan.items if i.action == "create"]
    generated = {i.name: password_policy.generate_password(txn.account.password_policy)
                 for i in creates if i.source.password}
    hashes = _hash_all(generated, advance)
    staged = _WriteBehind(txn)
    # The operations take a Txn; _WriteBehind offers the part of one they use (duck typing a
    # type checker cannot see), and through Txn's overloads `get("user", n)` is a User here too.
    batch = cast("Txn", staged)
    for group in plan.new_groups:
        groups.create_group(batch, group)
    if plan.create_force_mfa:
        policies.create_policy(batch, FORCE_MFA_POLICY, _force_mfa_document(), description=FORCE_MFA_DESCRIPTION)
    joins: dict[str, list[str]] = {}
    issued: list[IssuedCredentials] = []
    for item in plan.items:
        if item.action == "create":
            row = item.source
            users.create_user(batch, item.name, path=row.path, tags=row.tags, permissions_boundary=item.boundary)
            if row.mfa:
                batch.put("user", structs.replace(batch.require("user", item.name), mfa_required=True))
            for arn in item.policies:
                policies.attach_policy(batch, "user", item.name, arn)
            for group in item.groups:
                joins.setdefault(group.lower(), []).append(item.name)
            issued += _credentials(batch, item, generated, hashes)
        elif item.action == "update":
            _sync_user(batch, item, joins)
        advance(1)
    _join_groups(batch, joins)
    staged.flush()
    return ImportResult(plan, issued)


def _credentials(batch: Txn, item: PlanItem, generated: dict[str, str],
                 hashes: dict[str, str]) -> list[IssuedCredentials]:
    row = item.source
    if not (row.password or row.access_key):
        return []
    password = generated.get(item.name)
    if password is not None:
        passwords.set_password(batch, item.name, password, require_reset=row.require_reset,
                            password_hash=hashes[item.name])
    key = access_keys.create_access_key(batch, item.name) if row.access_key else None
    return [IssuedCredentials(item.name, password, key.key.access_key_id if key else None,
                              key.secret_access_key if key else None)]


def _hash_all(passwords: dict[str, str], advance: Callable[[int], None]) -> dict[str, str]:
    """Argon2id hashes of many passwords. argon2-cffi releases the GIL while hashing, so threads
    use every core without the start-up and pickling of a process pool."""

    from iamctl.core.credentials.hashing import hash_password  # lazy: start-up

    if len(passwords) < PARALLEL_HASHING_FROM:
        result = {}
        for name, password in passwords.items():
            result[name] = hash_password(password)
            advance(1)
        return result
    from concurrent.futures import ThreadPoolExecutor  # lazy: start-up

    hashes: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        for name, hashed in zip(passwords, pool.map(hash_password, passwords.values()), strict=True):
            hashes[name] = hashed
            advance(1)
    return hashes


def _sync_user(batch: Txn, item: PlanItem, joins: dict[str, list[str]]) -> None:
    """Bring an existing user to the row's state (only the columns the file has)."""

    row, name = item.source, item.name
    user = batch.require("user", name)
    if "path" in row.columns and user.path != row.path:
        users.update_user(batch, name, new_path=row.path)
    if "groups" in row.columns:
        want = {g.lower() for g in item.groups}
        for group in [g for g in user.groups if g.lower() not in want]:
            groups.remove_user_from_group(batch, group, name)
        have = {g.lower() for g in user.groups}
        for group in item.groups:
            if group.lower() not in have:
                joins.setdefault(group.lower(), []).append(name)
    if "tags" in row.columns and batch.require("user", name).tags != row.tags:
        batch.put("user", structs.replace(batch.require("user", name), tags=dict(row.tags)))
    attached = list(batch.require("user", name).attached_policies)
    for arn in [a for a in attached if a not in item.policies]:
        policies.detach_policy(batch, "user", name, arn)
    for arn in [a for a in item.policies if a not in attached]:
        policies.attach_policy(batch, "user", name, arn)
    if "boundary" in row.columns:
        policies.set_boundary(batch, "user", name, item.boundary)  # both sides (boundary use count)
    current = batch.require("user", name)
    if current.mfa_required != item.mfa:
        current = structs.replace(current, mfa_required=item.mfa)
    batch.put("user", current)


def _join_groups(batch: Txn, joins: dict[str, list[str]]) -> None:
    """Add users to groups, both sides, one pass per group (AddUserToGroup in bulk: the import
    checked GroupsPerUser while planning)."""
    for key, members in joins.items():
        group = batch.require("group", key)
        present = {m.lower() for m in group.members}
        added = []
        for name in members:
            if name.lower() in present:
                continue
            present.add(name.lower())
            added.append(name)
            user = batch.require("user", name)
            batch.put("user", structs.replace(user, groups=[*user.groups, group.name]))
        if added:
            batch.put("group", structs.replace(group, members=[*group.members, *added]))


def _force_mfa_document() -> str:
    from importlib import resources  # lazy: start-up

    return (resources.files("iamctl") / "data" / "aws-doc-policies" /
            "force_mfa_self_manage_credentials.json").read_text(encoding="utf-8")


# -- credentials file --------------------------------------------------------------------------

#: The AWS console's credentials CSV columns (the file it offers after creating users).
CREDENTIALS_COLUMNS = ("User name", "Password", "Access key ID", "Secret access key", "Console sign-in link")


def signin_url(txn: Txn) -> str:
    """The console sign-in link: https://ALIAS_OR_ACCOUNT.signin.aws.amazon.com/console."""
    return f"https://{txn.account.alias or txn.account_id}.signin.aws.amazon.com/console"


def credentials_csv(issued: list[IssuedCredentials], link: str) -> str:
    """The credentials of created users in the AWS console's CSV layout, one row per user."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CREDENTIALS_COLUMNS)
    for c in issued:
        # The user name is neutralised (see spreadsheet.py); a password or secret cannot be altered.
        writer.writerow([spreadsheet.neutralise(c.user_name), c.password or "", c.access_key_id or "",
                         c.secret_access_key or "", link if c.password else ""])
    return out.getvalue()


# -- export -----------------------------------------------------------------------------------


def export_users(txn: Txn, *, fmt: str = "csv") -> str:
    """Every user of the account in the import format (no credential columns, no secrets), so an
    account can be exported, edited and imported again. Reads every user file."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    mfa_arn = force_mfa_arn(txn)
    records = [_export_record(user, mfa_arn) for user in txn.list("user")]
    if fmt == "jsonl":
        return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(EXPORT_COLUMNS)
    for r in records:
        writer.writerow([spreadsheet.neutralise(cell) for cell in (
            r["name"], r["path"], ";".join(r["groups"]), ";".join(f"{k}={v}" for k, v in r["tags"].items()),
            ";".join(r["policies"]), r["boundary"] or "", r["mfa"])])
    return out.getvalue()


def _export_record(user: User, mfa_arn: str) -> dict[str, Any]:
    for key in user.tags:
        if "=" in key:
            raise InvalidInput(f"user {user.name}: tag key {key!r} contains '=' and cannot be written "
                               "in the k=v format of an import file")
    for arn in user.attached_policies:
        if ";" in arn:
            raise InvalidInput(f"user {user.name}: policy ARN {arn} contains ';', the list separator")
    return {
        "name": user.name,
        "path": user.path,
        "groups": list(user.groups),
        "tags": dict(user.tags),
        "policies": [a for a in user.attached_policies if not (user.mfa_required and a == mfa_arn)],
        "boundary": user.permissions_boundary,
        "mfa": "required" if user.mfa_required else "",
    }


# -- MFA enrolment status ---------------------------------------------------------------------


def mfa_pending(txn: Txn, *, path_prefix: str | None = None, max_items: int | None = None,
                starting_token: str | None = None) -> entities.Page:
    """Users marked `mfa_required` (by an import's `mfa=required`) who have no enabled MFA device
    yet, sorted by name and paginated like ListUsers. Reads every user file: the answer needs it."""
    prefix = entities.check_path_prefix(path_prefix)
    if max_items is not None and max_items < 1:
        raise InvalidInput(f"MaxItems must be at least 1, not {max_items}")
    keys = txn.keys("user")
    if starting_token is not None:
        after = entities.decode_token(starting_token)
        keys = [k for k in keys if k >= after]
    items: list[User] = []
    for key in keys:
        user = txn.get("user", key)
        if user is None or not user.mfa_required or user.mfa_devices or not user.path.startswith(prefix):
            continue
        if max_items is not None and len(items) == max_items:
            return entities.Page(items, entities.encode_token(key))
        items.append(user)
    return entities.Page(items)
