"""The policy language, written once: elements, versions, operators, per-type rules, findings.

Everything that says what a policy document may contain lives here, and nowhere else: the
parser (`parse.py`) walks a document against these rules, the validator (`validate.py`) reports
the walk's findings plus its catalogue and security checks, and storing a policy (a managed,
inline, trust or session policy) refuses the walk's ERRORs. Sources:

- IAM User Guide, "IAM JSON policy element reference" and "Grammar of the IAM JSON policy
  language": the elements, `Version` ("2012-10-17" or "2008-10-17"), exactly one of
  `Action`/`NotAction`, at most one of `Resource`/`NotResource` and of `Principal`/`NotPrincipal`.
- "IAM JSON policy elements: Principal": `"*"`, or an object of `AWS`, `Service`, `Federated`,
  `CanonicalUser`; "You cannot use a wildcard to match part of a principal name or ARN".
- "IAM JSON policy elements: NotPrincipal": it "must be used with "Effect":"Deny". Using it with
  "Effect":"Allow" is not supported", and "You cannot use the NotPrincipal element in an IAM
  identity-based policy nor in an IAM role trust policy"; SCPs and RCPs do not support it.
- "Roles terms and concepts" (role trust policy) and the Service Authorization Reference (the
  STS actions whose resource type is `role`): what a trust policy may grant.
- AWS Organizations, "SCP syntax": since September 2025 SCPs take the full IAM policy language
  (wildcards anywhere in an action, `NotAction`, `Resource`/`NotResource` and `Condition` with
  Allow and Deny); they name no principal.
- AWS Organizations, "RCP syntax": `Version` must be "2012-10-17"; `Principal` must be `"*"`
  (conditions narrow it); no `NotAction` or `NotPrincipal`; Effect `Deny`, except in the AWS
  managed `RCPFullAWSAccess`; actions only of the services RCPs support ("Resource control
  policies (RCPs)": the list, which the catalogue carries).
- "IAM JSON policy elements: Condition operators": the operator families (what each family's
  values look like is checked where they are compiled, `conditions.prepare_value`, which the
  walk calls: one definition for checking and evaluating).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any, Final, Literal

from msgspec import Struct, structs

VERSIONS = ("2012-10-17", "2008-10-17")
CURRENT_VERSION = "2012-10-17"
KINDS = ("identity", "resource", "trust", "boundary", "session", "scp", "rcp")
PolicyKind = Literal["identity", "resource", "trust", "boundary", "session", "scp", "rcp"]
"""The kinds of policy the engine evaluates (KINDS, as a type)."""
Effect = Literal["Allow", "Deny"]
# The types `policy validate --policy-type` takes (boundaries and session policies follow the
# identity rules).
POLICY_TYPES = ("identity", "resource", "trust", "scp", "rcp")
TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal", "NotPrincipal", "Condition"}
)
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
PARTITIONS = ("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc")
_PARTITION_SET = frozenset(PARTITIONS)

# Patterns compile on first use: compiling one costs more at start-up than a simulation's whole
# decision, and a plain simulation meets only some of them. ARN parts are tested without any.
_DIGITS = frozenset("0123456789")


_ACTION = r"\*|[A-Za-z0-9*?-]+:[A-Za-z0-9*?_.-]+"


@cache
def action_pattern() -> re.Pattern[str]:
    """`*`, or `service:Action` with letters, digits, `-` (and `_` `.` in the name) and wildcards."""
    return re.compile(_ACTION)


@cache
def _action_lines() -> re.Pattern[str]:
    """`action_pattern`, each followed by a newline, any number of times (the one regex the
    parser compiles for actions)."""
    return re.compile(rf"(?:(?:{_ACTION})\n)*")


_SERVICE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789*?-")
_NAME_CHARS = _SERVICE_CHARS | {"_", "."}


def is_action(text: str) -> bool:
    """Whether an Action value is well-formed (see `action_pattern`), without a regex: a process
    that checks a few actions should not pay for compiling one."""
    if text == "*":
        return True
    service, colon, name = text.partition(":")
    return bool(colon and service and name) and _SERVICE_CHARS.issuperset(service) and _NAME_CHARS.issuperset(name)


def all_actions(values: list[Any]) -> bool:
    """Whether every value is a well-formed action string. A long list (ReadOnlyAccess lists
    ~2,900) is checked in one pass of a regex over the values joined by newlines, which no
    well-formed action holds; a short one value by value."""
    if len(values) <= 256:
        return all(type(v) is str and is_action(v) for v in values)
    try:
        text = "\n".join(values) + "\n"
    except TypeError:  # a value that is not a string
        return False
    return text.count("\n") == len(values) and _action_lines().fullmatch(text) is not None


def is_account_id(text: str) -> bool:
    return len(text) == 12 and set(text) <= _DIGITS


@cache
def _principal_patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    # A user's or role's unique id (AIDA..., AROA...): IAM stores a trust policy's user and role
    # ARNs as these ids and shows the id once the entity is deleted ("Principal": IAM role and user
    # principals).
    unique_id = re.compile(r"^A(?:ID|RO)A[A-Z0-9]{12,}$")
    arn = re.compile(
        r"^arn:[a-z-]+:(?:iam::(\d{12}):(root|user/.+|role/.+)|sts::(\d{12}):(assumed-role/[^/]+/.+|federated-user/.+))$"
    )
    return unique_id, arn


def is_unique_id(text: str) -> bool:
    return _principal_patterns()[0].match(text) is not None


def principal_arn(text: str) -> re.Match[str] | None:
    """A user, role, root, assumed-role or federated-user ARN: groups (account, resource) for IAM,
    (account, resource) in groups 3-4 for STS."""
    return _principal_patterns()[1].match(text)


def has_variable(text: str) -> bool:
    """Whether `text` holds a `${...}` policy variable."""
    start = text.find("${")
    return start >= 0 and text.find("}", start + 2) >= 0


# -- findings -------------------------------------------------------------------------------------

FindingType = Literal["ERROR", "SECURITY_WARNING", "WARNING", "SUGGESTION"]
"""IAM Access Analyzer's finding types, most serious first (FINDING_TYPES)."""
ERROR: Final = "ERROR"
SECURITY_WARNING: Final = "SECURITY_WARNING"
WARNING: Final = "WARNING"
SUGGESTION: Final = "SUGGESTION"
FINDING_TYPES = (ERROR, SECURITY_WARNING, WARNING, SUGGESTION)


class Finding(Struct, frozen=True):
    """One finding: `type` (ERROR, ...), `code` (e.g. PASS_ROLE_WITH_STAR_IN_RESOURCE), a message
    and its location: `statement` (the statement's 0-based index, None for the whole document),
    `path` (JSON path such as `$.Statement[1].Action[0]`), `line` and `column` (1-based; 0 when
    the document was given as an object, not text)."""

    type: FindingType
    code: str
    message: str
    statement: int | None
    path: str
    line: int = 0
    column: int = 0

    def as_dict(self) -> dict[str, Any]:
        return structs.asdict(self)


# ERROR codes that an evaluation may tolerate (`parse_policy(..., strict=False)`): AWS refuses to
# store such a policy, but a document being simulated is evaluated as AWS's rules give, with a
# warning. A partly wildcarded principal matches no one; a NotPrincipal that AWS does not support
# (with Allow, or in a trust policy) never grants anything.
TOLERABLE = frozenset({"INVALID_PRINCIPAL_WILDCARD", "NOT_PRINCIPAL_WITH_ALLOW", "NOT_PRINCIPAL_IN_TRUST_POLICY"})


def statement_label(index: int, sid: str | None = None) -> str:
    """`statement #2` or `statement #2 (Sid "X")`: statements count from 1, as the AWS console
    counts them (JSON paths and `index` keys stay 0-based)."""
    return f'statement #{index + 1} (Sid "{sid}")' if sid else f"statement #{index + 1}"


# -- per-type rules ---------------------------------------------------------------------------------


class Rules(Struct, frozen=True):
    """What a policy type requires and refuses (see the module docstring for the sources)."""

    principal: str  # "required" | "forbidden"
    resource: str  # "required" | "optional" | "forbidden"
    principal_code: str = "UNSUPPORTED_PRINCIPAL"  # when a Principal is given but forbidden
    trust: bool = False  # only the STS actions that use a role; no NotAction, no NotPrincipal
    rcp: bool = False  # Version 2012-10-17, Principal "*", Deny only, RCP services only
    grants: bool = True  # grant-shaped security warnings apply (SCPs and RCPs grant nothing)


_IDENTITY = Rules(principal="forbidden", resource="required")
RULES: dict[PolicyKind, Rules] = {
    "identity": _IDENTITY,
    "boundary": _IDENTITY,
    "session": _IDENTITY,
    "resource": Rules(principal="required", resource="optional"),
    "trust": Rules(principal="required", resource="forbidden", trust=True),
    "scp": Rules(principal="forbidden", resource="required", principal_code="SCP_SYNTAX_ERROR_PRINCIPAL",
                 grants=False),
    "rcp": Rules(principal="required", resource="required", rcp=True, grants=False),
}


# -- trust policies -----------------------------------------------------------------------------

# The STS actions that act on a role (their resource type in the Service Authorization Reference
# is `role`): the only ones a role's trust policy can grant, and those for which the role's trust
# policy is the resource policy ("Cross-account policy evaluation logic").
TRUST_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithSAML",
    "sts:AssumeRoleWithWebIdentity",
    "sts:SetContext",
    "sts:SetSourceIdentity",
    "sts:TagSession",
)
TRUST_ACTIONS_LOWER = frozenset(a.lower() for a in TRUST_ACTIONS)


_GLOBS: dict[str, re.Pattern[str]] = {}


def action_glob(pattern: str) -> re.Pattern[str]:
    """An action pattern (`*` any run, `?` one character, the rest literal; not fnmatch, which
    would also read `[` as a class) as a case-insensitive regex, compiled once per pattern."""
    found = _GLOBS.get(pattern)
    if found is None:
        if len(_GLOBS) > 4096:
            _GLOBS.clear()
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
        found = _GLOBS[pattern] = re.compile(body, re.IGNORECASE | re.DOTALL)
    return found


def trust_action_problem(pattern: str) -> str | None:
    """Why an Action value cannot appear in a role trust policy, or None.

    A pattern is fine when it matches at least one STS action that uses a role and nothing else:
    `sts:AssumeRole*` is, `sts:*` (which matches sts:GetCallerIdentity too) is not. Wildcard
    patterns are compared with the STS actions of AWS's catalogue.
    """
    lower = pattern.lower()
    if "*" not in lower and "?" not in lower:
        return None if lower in TRUST_ACTIONS_LOWER else "not an STS action that uses a role"
    regex = action_glob(lower)
    if not any(regex.fullmatch(a) for a in TRUST_ACTIONS_LOWER):
        return "matches no STS action that uses a role"
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue, only for wildcard patterns

    others = [a for a in catalog.expand_actions("sts:*") if a.lower() not in TRUST_ACTIONS_LOWER]
    broader = [a for a in others if regex.fullmatch(a)]
    return f"also matches {', '.join(broader[:3])}" if broader else None


# -- RCPs -----------------------------------------------------------------------------------------

RCP_FULL_AWS_ACCESS_NAME = "RCPFullAWSAccess"
# The AWS managed RCP that Organizations attaches to the root, every OU and every account when RCPs
# are enabled, and that cannot be detached ("RCP syntax"): it lets everything through, so an RCP
# level only ever restricts with Deny statements.
RCP_FULL_AWS_ACCESS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


def is_full_access_statement(raw: Any) -> bool:
    """The one Allow statement an RCP may hold: RCPFullAWSAccess's (everyone, everything)."""
    if not isinstance(raw, dict) or set(raw) - {"Sid", "Effect", "Principal", "Action", "Resource"}:
        return False
    return (
        raw.get("Effect") == "Allow"
        and raw.get("Principal") == "*"
        and raw.get("Action") in ("*", ["*"])
        and raw.get("Resource") in ("*", ["*"])
    )


def rcp_supports(service_pattern: str) -> bool:
    """Whether an action's service part names a service RCPs apply to (`*` matches them)."""
    from iamctl.core.engine import catalog  # lazy: AWS's catalogue

    services = catalog.rcp_services()
    if "*" in service_pattern or "?" in service_pattern:
        regex = action_glob(service_pattern.lower())
        return any(regex.fullmatch(s) for s in services)
    return service_pattern.lower() in services


# -- ARNs ---------------------------------------------------------------------------------------


def split_arn(arn: str) -> list[str]:
    """An ARN's six colon-separated parts; a colon inside a `${...}` policy variable (such as
    `${aws:PrincipalAccount}`) does not separate parts. Fewer than six when the ARN is short."""
    first = arn.find("${")
    if first < 0 or arn.count(":", 0, first) >= 5:  # no variable before the resource part
        return arn.split(":", 5)
    parts: list[str] = []
    start = depth = 0
    for m in _arn_tokens().finditer(arn):  # only `${`, `}` and `:` matter: found in C
        token = m.group()
        if token == "${":
            depth += 1
        elif token == "}":
            if depth:
                depth -= 1
        elif not depth:
            parts.append(arn[start : m.start()])
            start = m.end()
            if len(parts) == 5:
                break
    parts.append(arn[start:])
    return parts


@cache
def _arn_tokens() -> re.Pattern[str]:
    return re.compile(r"\$\{|\}|:")


def _strip_variables(text: str) -> str | None:
    """`text` without its `${...}` policy variables (each replaced by `x`); None when a `${` is
    never closed."""
    out = []
    i = 0
    while True:
        j = text.find("${", i)
        if j < 0:
            out.append(text[i:])
            return "".join(out)
        k = text.find("}", j + 2)
        if k < 0:
            return None
        out.append(text[i:j])
        out.append("x")
        i = k + 1


_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_*?-")
_SERVICE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789*?-")


def _account_ok(account: str) -> bool:
    # A 12-digit id, a wildcard pattern of digits, `aws` (AWS managed policies), or a variable.
    if account in ("", "aws") or (account.startswith("${") and account.endswith("}") and len(account) > 3):
        return True
    chars = set(account)
    return (len(account) == 12 and chars <= _DIGITS) or ("*" in chars and chars <= _DIGITS | {"*", "?"})


def arn_problem(arn: str) -> str | None:
    """Why `arn` is not a Resource value of shape arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE, or None.

    `*` alone is fine; wildcards and policy variables may appear in any part; the resource part
    may be empty (AWS managed policies use `arn:aws:organizations::*:`).
    """
    if arn == "*":
        return None
    parts = split_arn(arn)
    if parts[0] != "arn":
        return "it must start with arn:"
    if len(parts) < 6:
        return "it needs six parts, arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE"
    _, partition, service, region, account, _resource = parts
    if partition not in _PARTITION_SET and not any(c in partition for c in "*?$"):
        return f"unknown partition {partition!r}"
    plain_service = _strip_variables(service) if "${" in service else service
    if not plain_service or not set(plain_service) <= _SERVICE:
        return f"the service part {service!r} is not valid"
    plain_region = _strip_variables(region) if "${" in region else region
    plain_account = _strip_variables(account) if "${" in account else account
    if plain_region is None or plain_account is None or not (set(plain_region) | set(plain_account)) <= _WORD:
        return "the region and account parts may hold only letters, digits, - and wildcards"
    if not _account_ok(account):
        return f"the account part {account!r} must be a 12-digit account id"
    return None


# -- condition operators ------------------------------------------------------------------------

# base operator (lower-case) -> (canonical name, family, negated)
OPERATORS: dict[str, tuple[str, str, bool]] = {}


def _op(name: str, family: str, negated: bool = False) -> None:
    OPERATORS[name.lower()] = (name, family, negated)


for _n, _neg in (
    ("StringEquals", False),
    ("StringNotEquals", True),
    ("StringEqualsIgnoreCase", False),
    ("StringNotEqualsIgnoreCase", True),
    ("StringLike", False),
    ("StringNotLike", True),
):
    _op(_n, "string", _neg)
for _fam in ("Numeric", "Date"):
    for _suffix, _neg in (
        ("Equals", False),
        ("NotEquals", True),
        ("LessThan", False),
        ("LessThanEquals", False),
        ("GreaterThan", False),
        ("GreaterThanEquals", False),
    ):
        _op(_fam + _suffix, _fam.lower(), _neg)
_op("Bool", "bool")
_op("BinaryEquals", "binary")
_op("IpAddress", "ip")
_op("NotIpAddress", "ip", True)
for _n, _neg in (("ArnEquals", False), ("ArnLike", False), ("ArnNotEquals", True), ("ArnNotLike", True)):
    _op(_n, "arn", _neg)
_op("Null", "null")

# What each family's values look like, for messages.
FAMILY_VALUES = {
    "numeric": "numbers",
    "date": "dates such as 2026-01-01T00:00:00Z or epoch seconds",
    "bool": "true or false",
    "null": "true or false",
    "ip": "IP addresses or CIDR ranges",
    "binary": "base64 text",
    "string": "strings",
    "arn": "ARNs",
}
# Policy variables are substituted in String, ARN and Bool operator values only ("Condition
# operators": Boolean - "Policy variables: Supported"; Numeric, Date, Binary, IP: not supported).
VARIABLE_FAMILIES = frozenset({"string", "arn", "bool"})


def split_operator(name: str) -> tuple[str | None, str, bool] | None:
    """`ForAnyValue:StringLikeIfExists` -> ("ForAnyValue", "stringlike", True); None when the set
    qualifier is unknown. The base operator is lower-cased (operators are case-insensitive)."""
    qualifier = None
    rest = name
    if ":" in name:
        q, rest = name.split(":", 1)
        ql = q.lower()
        if ql == "forallvalues":
            qualifier = "ForAllValues"
        elif ql == "foranyvalue":
            qualifier = "ForAnyValue"
        else:
            return None
    rl = rest.lower()
    if_exists = rl.endswith("ifexists")
    if if_exists:
        rl = rl[: -len("ifexists")]
    return qualifier, rl, if_exists
