"""Loader for the data-driven conformance corpus in tests/policy/cases/*.json.

One scenario per file::

    {
      "description": "IAM User Guide, <page>: <rule>",       # required: the rule checked
      "principal": "alice" | {PrincipalInfo fields},          # default caller (optional)
      "policies": {                                            # any of these kinds
        "identity": [P...], "resource": [P...], "trust": [P...], "boundary": [P...],
        "session": [P...], "scps": [[P...], ...], "rcps": [[P...], ...]
      },
      "requests": [
        {"action": ..., "resource": ..., "context": {...}, "principal": ...,
         "resource_account": ..., "now": ISO time,
         "resourceless": true (the action acts on no resource type, as the catalogue says),
         "decision": "allowed" | "explicitDeny" | "implicitDeny",    # required
         "matched": [Sid or "policy#N"], "errors": [Sid...], "missing": [key...],
         "explain": "substring of the explanation", "why": "free text"}
      ]
    }

where P is {"name": ..., "document": {...}} or {"name": ..., "file": "policy/X.json"} (under
tests/data), parsed as the simulator parses documents (`strict=False`: grammar errors AWS
refuses to store but an evaluation tolerates, such as NotPrincipal with Allow, are evaluated as
AWS's rules give); a P may add "warnings": [substring...], the tolerated errors it must report.
Unknown keys at any level are errors, so a misspelt expectation cannot pass silently (Cedar's
`deny_unknown_fields`). Statement numbers ("policy#N") count from 1.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from iamctl.core.engine.parse import Policy, parse_policy
from iamctl.core.engine.request import PrincipalInfo, Request, make_request

CASES = Path(__file__).parent / "cases"
DATA = Path(__file__).parent.parent / "data"
DEFAULT_NOW = "2026-06-15T12:00:00Z"

A = "111122223333"
B = "444455556666"
NAMED_PRINCIPALS: dict[str, PrincipalInfo] = {
    "alice": PrincipalInfo(
        "User",
        arn=f"arn:aws:iam::{A}:user/alice",
        account_id=A,
        username="alice",
        userid="AIDAALICEEXAMPLE",
        tags={"team": "blue", "project": "apollo", "CostCenter": "cc-1"},
    ),
    "bob": PrincipalInfo(
        "User",
        arn=f"arn:aws:iam::{A}:user/division/bob",
        account_id=A,
        username="bob",
        userid="AIDABOBEXAMPLE",
        tags={"team": "red"},
    ),
    "dev-session": PrincipalInfo(
        "AssumedRole",
        arn=f"arn:aws:sts::{A}:assumed-role/dev/s1",
        account_id=A,
        userid="AROADEVEXAMPLE:s1",
        base_arn=f"arn:aws:iam::{A}:role/dev",
        session_name="s1",
        tags={"team": "blue"},
    ),
    "carol-fed": PrincipalInfo(
        "FederatedUser",
        arn=f"arn:aws:sts::{A}:federated-user/carol",
        account_id=A,
        userid=f"{A}:carol",
        base_arn=f"arn:aws:iam::{A}:user/carol-src",
    ),
    "root": PrincipalInfo("Account", arn=f"arn:aws:iam::{A}:root", account_id=A),
    "ext-user": PrincipalInfo(
        "User", arn=f"arn:aws:iam::{B}:user/erin", account_id=B, username="erin", userid="AIDAERINEXAMPLE"
    ),
    "ext-session": PrincipalInfo(
        "AssumedRole",
        arn=f"arn:aws:sts::{B}:assumed-role/auditor/a1",
        account_id=B,
        userid="AROAAUDITOR:a1",
        base_arn=f"arn:aws:iam::{B}:role/auditor",
        session_name="a1",
    ),
    "ext-root": PrincipalInfo("Account", arn=f"arn:aws:iam::{B}:root", account_id=B),
    "ec2": PrincipalInfo("Service", service="ec2.amazonaws.com"),
    "google": PrincipalInfo("WebIdentity", provider="accounts.google.com"),
    "anonymous": PrincipalInfo("Anonymous"),
}

_SCENARIO_KEYS = {"description", "principal", "policies", "requests"}
_POLICY_KINDS = {"identity", "resource", "trust", "boundary", "session", "scps", "rcps"}
_POLICY_KEYS = {"name", "document", "file", "warnings"}
_REQUEST_KEYS = {
    "action",
    "resource",
    "context",
    "principal",
    "resource_account",
    "now",
    "resourceless",
    "decision",
    "matched",
    "errors",
    "missing",
    "explain",
    "why",
}
_DECISIONS = {"allowed", "explicitDeny", "implicitDeny"}


class CorpusError(ValueError):
    """A case file that does not follow the corpus schema."""


def _check_keys(obj: Any, allowed: set[str], where: str, required: set[str] = frozenset()) -> None:
    if not isinstance(obj, dict):
        raise CorpusError(f"{where}: expected an object")
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise CorpusError(f"{where}: unknown key {unknown[0]!r} (allowed: {', '.join(sorted(allowed))})")
    absent = sorted(required - set(obj))
    if absent:
        raise CorpusError(f"{where}: missing key {absent[0]!r}")


def _principal(value: Any, where: str) -> PrincipalInfo | None:
    if value is None:
        return None
    if isinstance(value, str):
        if value not in NAMED_PRINCIPALS:
            raise CorpusError(f"{where}: unknown named principal {value!r}")
        return NAMED_PRINCIPALS[value]
    if not isinstance(value, dict):
        raise CorpusError(f"{where}: principal must be a name or an object")
    try:
        return PrincipalInfo(**value)
    except TypeError as e:
        raise CorpusError(f"{where}: {e}") from None


def _policy(entry: Any, kind: str, where: str) -> Policy:
    _check_keys(entry, _POLICY_KEYS, where, {"name"})
    if ("document" in entry) == ("file" in entry):
        raise CorpusError(f"{where}: give exactly one of document or file")
    doc = entry["document"] if "document" in entry else json.loads((DATA / entry["file"]).read_text())
    policy = parse_policy(doc, name=entry["name"], kind=kind, strict=False)
    for wanted in entry.get("warnings", []):
        if not any(wanted in w for w in policy.warnings):
            raise CorpusError(f"{where}: no warning contains {wanted!r} (got {list(policy.warnings)})")
    if policy.warnings and not entry.get("warnings"):
        raise CorpusError(f"{where}: unexpected warnings {list(policy.warnings)}")
    return policy


@dataclass(frozen=True)
class Case:
    """One request of one scenario, with everything `evaluate` needs and what it must return."""

    id: str
    file: str
    description: str
    request: Request
    policies: dict[str, Any]
    expect: dict[str, Any]


def load_scenario(path: Path) -> list[Case]:
    """Parse one case file into Cases; raises CorpusError on any schema fault."""
    data = json.loads(path.read_text())
    where = path.name
    _check_keys(data, _SCENARIO_KEYS, where, {"description", "policies", "requests"})
    desc = data["description"]
    if not isinstance(desc, str) or "IAM User Guide" not in desc and "AWS" not in desc:
        raise CorpusError(f"{where}: description must cite the AWS page and rule it checks")
    pols = data["policies"]
    _check_keys(pols, _POLICY_KINDS, f"{where}: policies")
    kw: dict[str, Any] = {}
    for kind, entries in pols.items():
        if kind in ("scps", "rcps"):
            kw[kind] = [
                [_policy(e, kind[:-1], f"{where}: {kind}[{i}][{j}]") for j, e in enumerate(level)]
                for i, level in enumerate(entries)
            ]
        else:
            kw[kind] = [_policy(e, kind, f"{where}: {kind}[{i}]") for i, e in enumerate(entries)]
    default_principal = data.get("principal", "alice")
    cases = []
    for i, req in enumerate(data["requests"]):
        rw = f"{where}: requests[{i}]"
        _check_keys(req, _REQUEST_KEYS, rw, {"action", "decision"})
        if req["decision"] not in _DECISIONS:
            raise CorpusError(f"{rw}: decision must be one of {sorted(_DECISIONS)}")
        principal = _principal(req.get("principal", default_principal), rw)
        now = datetime.fromisoformat(req.get("now", DEFAULT_NOW))
        request = make_request(
            req["action"],
            req.get("resource", "*"),
            principal=principal,
            context=req.get("context"),
            now=now,
            resource_account=req.get("resource_account"),
            resourceless=req.get("resourceless", False),
        )
        expect = {k: req[k] for k in ("decision", "matched", "errors", "missing", "explain") if k in req}
        cases.append(Case(f"{path.stem}[{i}]", path.name, desc, request, kw, expect))
    return cases


def load_all() -> list[Case]:
    return [c for p in sorted(CASES.glob("*.json")) for c in load_scenario(p)]
