"""Policy documents → typed, frozen `Policy` / `Statement` objects, validated once.

AWS grammar (IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM JSON
policy language"):

- Top level: `Version` ("2012-10-17" or "2008-10-17"; without it, policy variables are
  literal text), optional `Id`, and `Statement` (one object or a non-empty list).
- Statement: optional `Sid` (unique within the policy), `Effect` ("Allow" | "Deny"), exactly
  one of `Action` / `NotAction`, at most one of `Resource` / `NotResource`, at most one of
  `Principal` / `NotPrincipal`, optional `Condition`. Any other element is an error.
- Identity-based policies (and permissions boundaries, session policies and SCPs) take no
  `Principal` and need a `Resource`/`NotResource`; resource-based policies need a `Principal`;
  role trust policies need a `Principal` and take no `Resource`.
- Actions are `*` or `service:action`; resources are `*` or ARNs.

Every string-or-list element is normalised to a tuple here, and every pattern compiled, so the
evaluator never re-parses anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any, Literal

from msgspec import Struct

from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine.conditions import Condition, compile_condition
from iamctl.core.engine.match import PatternSet, PrincipalSpec, has_wildcard

VERSIONS = ("2012-10-17", "2008-10-17")
KINDS = ("identity", "resource", "trust", "boundary", "session", "scp", "rcp")
PolicyKind = Literal["identity", "resource", "trust", "boundary", "session", "scp", "rcp"]
"""The kinds of policy the engine evaluates (KINDS, as a type)."""
Effect = Literal["Allow", "Deny"]
# Kinds whose statements apply to the caller implicitly and so must not name a Principal.
_NO_PRINCIPAL_KINDS = frozenset({"identity", "boundary", "session", "scp"})

_TOP_KEYS = {"Version", "Id", "Statement"}
_STATEMENT_KEYS = {
    "Sid",
    "Effect",
    "Action",
    "NotAction",
    "Resource",
    "NotResource",
    "Principal",
    "NotPrincipal",
    "Condition",
}
_ACTION_RE = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+$")
_ACCOUNT_RE = re.compile(r"^\d{12}$")
# A user's or role's unique id (AIDA..., AROA...): IAM stores a trust policy's user and role ARNs
# as these ids and shows the id once the entity is deleted ("Principal": IAM role and user principals).
_UNIQUE_ID_RE = re.compile(r"^A(?:ID|RO)A[A-Z0-9]{12,}$")
_PRINCIPAL_ARN_RE = re.compile(
    r"^arn:[a-z-]+:(?:iam::(\d{12}):(root|user/.+|role/.+)|sts::(\d{12}):(assumed-role/[^/]+/.+|federated-user/.+))$"
)


class Statement(Struct, frozen=True):
    """One statement, with its elements normalised and compiled."""

    index: int  # 0-based position in the policy
    sid: str | None
    effect: Effect
    actions: PatternSet
    not_action: bool
    resources: PatternSet | None  # None: no Resource element (resource/trust policies)
    not_resource: bool
    principal: PrincipalSpec | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    raw: Mapping[str, Any]

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    @property
    def label(self) -> str:
        """`Sid "X"` or `statement #2` (1-based, as people count)."""
        return f'statement "{self.sid}"' if self.sid else f"statement #{self.index + 1}"

    def matches_action(self, action_l: str) -> bool:
        """Action / NotAction against a lower-cased action name (actions are case-insensitive)."""
        return self.actions.matches(action_l) != self.not_action


class Policy(Struct, frozen=True, dict=True):
    """A parsed policy document. `kind` is one of KINDS; `name` labels it in results."""

    name: str
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    document: Mapping[str, Any]

    @cached_property
    def _by_action(self) -> dict[str, tuple[tuple[Any, ...], ...]]:
        """Action (lower-case) → `entries_for`'s answer. Filled lazily, so that repeated requests
        for the same action skip every statement that cannot apply and allocate nothing to report
        a match. An attribute, not a field: a cache is neither compared nor shown."""
        return {}

    @cached_property
    def _refs(self) -> tuple[Any, ...]:
        """Each statement's MatchedStatement, built once."""
        return tuple(MatchedStatement(self.name, self.kind, s.sid, s.effect, s.index) for s in self.statements)

    def statements_for(self, action_l: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction matches `action_l` (cached per action)."""
        return tuple(entry[0] for entry in self.entries_for(action_l))

    def entries_for(self, action_l: str) -> tuple[tuple[Any, ...], ...]:
        """For statements whose Action/NotAction matches `action_l`: (statement, MatchedStatement,
        resource PatternSet or None when any resource matches, conditions, is_deny). Flat tuples,
        because the decision's hot loop unpacks them instead of reading attributes."""
        hit = self._by_action.get(action_l)
        if hit is None:
            if len(self._by_action) > 4096:
                self._by_action.clear()  # bound the cache; unknown-action floods stay cheap
            entries = []
            for s, ref in zip(self.statements, self._refs, strict=True):
                if not s.matches_action(action_l):
                    continue
                pats = s.resources
                if pats is not None and pats.any and not s.not_resource:
                    pats = None  # Resource "*": nothing to check per request
                entries.append((s, ref, pats, s.conditions, s.effect == "Deny"))
            hit = tuple(entries)
            self._by_action[action_l] = hit
        return hit


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise MalformedPolicyDocument(f"duplicate key {k!r} in policy document")
        out[k] = v
    return out


def load_document(text: str | bytes) -> dict[str, Any]:
    """Parse JSON text, reporting syntax errors with line and column."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedPolicyDocument(f"policy document is not UTF-8 text (byte {e.start})") from None
    try:
        doc = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as e:
        raise MalformedPolicyDocument(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
    except RecursionError:
        raise MalformedPolicyDocument("policy document is nested too deeply") from None
    if not isinstance(doc, dict):
        raise MalformedPolicyDocument("policy document must be a JSON object")
    return doc


def _str_list(value: Any, where: str, element: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise MalformedPolicyDocument(f"{where}: {element} must not be empty")
    for v in items:
        if not isinstance(v, str) or not v:
            raise MalformedPolicyDocument(f"{where}: {element} values must be non-empty strings, not {v!r}")
    return tuple(items)


def _parse_principal(value: Any, where: str, element: str) -> PrincipalSpec:
    if value == "*":
        return PrincipalSpec(
            True, False, frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), value
        )
    if not isinstance(value, dict) or not value:
        raise MalformedPolicyDocument(f'{where}: {element} must be "*" or an object such as {{"AWS": ...}}')
    accounts: set[str] = set()
    arns: set[str] = set()
    services: set[str] = set()
    federated: set[str] = set()
    canonical: set[str] = set()
    unique_ids: set[str] = set()
    aws_any = False
    for kind, raw in value.items():
        vals = _str_list(raw, where, f"{element}.{kind}")
        if kind == "AWS":
            for v in vals:
                if v == "*":
                    aws_any = True
                elif _ACCOUNT_RE.match(v):
                    accounts.add(v)
                elif _UNIQUE_ID_RE.match(v):
                    unique_ids.add(v)
                else:
                    m = _PRINCIPAL_ARN_RE.match(v)
                    # AWS accepts no partial wildcard in a principal ARN ("You cannot use a
                    # wildcard to match part of a principal name or ARN").
                    if m is None or has_wildcard(v):
                        raise MalformedPolicyDocument(f"{where}: invalid principal in policy: {v!r}")
                    if m.group(2) == "root":
                        accounts.add(m.group(1))
                    else:
                        arns.add(v)
        elif kind == "Service":
            services.update(vals)
        elif kind == "Federated":
            federated.update(vals)
        elif kind == "CanonicalUser":
            canonical.update(vals)
        else:
            raise MalformedPolicyDocument(f"{where}: unknown principal type {kind!r} in {element}")
    return PrincipalSpec(
        False,
        aws_any,
        frozenset(accounts),
        frozenset(arns),
        frozenset(services),
        frozenset(federated),
        frozenset(canonical),
        value,
        frozenset(unique_ids),
    )


def _exactly_one(raw: Mapping[str, Any], a: str, b: str, where: str, *, required: bool) -> str | None:
    has_a, has_b = a in raw, b in raw
    if has_a and has_b:
        raise MalformedPolicyDocument(f"{where}: a statement cannot have both {a} and {b}")
    if required and not (has_a or has_b):
        raise MalformedPolicyDocument(f"{where}: missing {a} (or {b})")
    return a if has_a else b if has_b else None


def _parse_statement(raw: Any, index: int, kind: PolicyKind, variables: bool, sids: set[str]) -> Statement:
    where = f"statement #{index + 1}"
    if not isinstance(raw, dict):
        raise MalformedPolicyDocument(f"{where}: a statement must be a JSON object")
    sid = raw.get("Sid")
    if sid is not None:
        if not isinstance(sid, str):
            raise MalformedPolicyDocument(f"{where}: Sid must be a string")
        where = f'statement #{index + 1} (Sid "{sid}")'
        if sid in sids:
            raise MalformedPolicyDocument(f"{where}: duplicate Sid; statement ids must be unique in a policy")
        sids.add(sid)
    unknown = sorted(set(raw) - _STATEMENT_KEYS)
    if unknown:
        raise MalformedPolicyDocument(f"{where}: unknown element {unknown[0]!r}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise MalformedPolicyDocument(f'{where}: Effect must be "Allow" or "Deny", not {effect!r}')

    act_el = _exactly_one(raw, "Action", "NotAction", where, required=True)
    assert act_el is not None
    actions = _str_list(raw[act_el], where, act_el)
    for a in actions:
        if a != "*" and not _ACTION_RE.match(a):
            raise MalformedPolicyDocument(
                f'{where}: {act_el} {a!r} must be "*" or prefaced by a service, e.g. iam:GetUser'
            )

    res_el = _exactly_one(raw, "Resource", "NotResource", where, required=kind in _NO_PRINCIPAL_KINDS)
    if kind == "trust" and res_el is not None:
        raise MalformedPolicyDocument(f"{where}: a role trust policy has no {res_el} element")
    resources = None
    if res_el is not None:
        res = _str_list(raw[res_el], where, res_el)
        for r in res:
            if r != "*" and not (r.startswith("arn:") and r.count(":") >= 5):
                raise MalformedPolicyDocument(f'{where}: {res_el} {r!r} must be an ARN or "*"')
        resources = PatternSet.compile(res, arn=True, lower=False, variables=variables)

    pr_el = _exactly_one(raw, "Principal", "NotPrincipal", where, required=kind not in _NO_PRINCIPAL_KINDS)
    if pr_el is not None and kind in _NO_PRINCIPAL_KINDS:
        raise MalformedPolicyDocument(f"{where}: a {kind} policy cannot have a {pr_el} element")
    principal = _parse_principal(raw[pr_el], where, pr_el) if pr_el is not None else None

    conditions: list[Condition] = []
    cond_raw = raw.get("Condition")
    if cond_raw is not None:
        if not isinstance(cond_raw, dict):
            raise MalformedPolicyDocument(
                f"{where}: Condition must be an object of operator → {{key: values}}"
            )
        for op, block in cond_raw.items():
            if not isinstance(block, dict) or not block:
                raise MalformedPolicyDocument(f"{where}: Condition {op!r} must map condition keys to values")
            for key, values in block.items():
                conditions.append(compile_condition(op, key, values, variables=variables, where=where))

    return Statement(
        index=index,
        sid=sid,
        effect=effect,
        actions=PatternSet.compile(actions, arn=False, lower=True, variables=False),
        not_action=act_el == "NotAction",
        resources=resources,
        not_resource=res_el == "NotResource",
        principal=principal,
        not_principal=pr_el == "NotPrincipal",
        conditions=tuple(conditions),
        raw=raw,
    )


def parse_policy(
    document: str | bytes | Mapping[str, Any], *, name: str = "policy", kind: PolicyKind = "identity"
) -> Policy:
    """Parse and validate a policy document (JSON text or an already-decoded object).

    `kind` is one of "identity", "resource", "trust", "boundary", "session", "scp", "rcp".
    Raises `MalformedPolicyDocument` naming the statement (index and Sid) and the fault, or the
    line and column of a JSON syntax error.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; expected one of {', '.join(KINDS)}")
    doc = load_document(document) if isinstance(document, str | bytes) else document
    if not isinstance(doc, Mapping):
        raise MalformedPolicyDocument("policy document must be a JSON object")
    unknown = sorted(set(doc) - _TOP_KEYS)
    if unknown:
        raise MalformedPolicyDocument(f"unknown top-level element {unknown[0]!r}")
    version = doc.get("Version")
    if version is not None and version not in VERSIONS:
        raise MalformedPolicyDocument(f"Version must be one of {', '.join(VERSIONS)}, not {version!r}")
    pid = doc.get("Id")
    if pid is not None and not isinstance(pid, str):
        raise MalformedPolicyDocument("Id must be a string")
    if "Statement" not in doc:
        raise MalformedPolicyDocument("missing Statement")
    raw_statements = doc["Statement"]
    if isinstance(raw_statements, dict):
        raw_statements = [raw_statements]
    if not isinstance(raw_statements, list) or not raw_statements:
        raise MalformedPolicyDocument("Statement must be an object or a non-empty list of objects")
    # Policy variables exist only in the 2012-10-17 language ("IAM JSON policy elements: Version").
    variables = version == "2012-10-17"
    sids: set[str] = set()
    statements = tuple(_parse_statement(s, i, kind, variables, sids) for i, s in enumerate(raw_statements))
    return Policy(name=name, kind=kind, version=version, id=pid, statements=statements, document=doc)


class MatchedStatement(Struct, frozen=True):
    """A statement that determined the decision."""

    policy: str
    kind: PolicyKind
    sid: str | None
    effect: Effect
    index: int  # 0-based position in its policy

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "kind": self.kind,
            "sid": self.sid,
            "effect": self.effect,
            "index": self.index,
        }
