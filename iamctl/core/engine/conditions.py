"""Condition operators: every family, `...IfExists`, `ForAllValues:` and `ForAnyValue:`.

AWS rules (IAM User Guide, "IAM JSON policy elements: Condition operators", "Condition element",
"Single-valued vs. multivalued context keys"):

- Several values for one key are OR'ed; several keys, and several operators, are AND'ed.
- Key names are case-insensitive; values of String operators are case-sensitive (except the
  IgnoreCase ones).
- A key absent from the request makes a positive operator false; a negated operator
  (StringNotEquals, NotIpAddress, ...) is true on an absent key; `...IfExists` is true on an
  absent key.
- `ForAllValues:` is true when every request value matches some policy value, and true for an
  absent key or an empty set; `ForAnyValue:` is true when at least one request value matches,
  and false for an absent key or an empty set.
- Without a set operator, a multivalued request value matches a positive operator when any of
  its values does; a negated operator is the negation of its positive form.
- `Null` tests presence: `true` means the key is absent (or an empty list).
- Policy variables may appear in String, ARN and Bool operator values only ("Condition
  operators": Boolean - "Policy variables: Supported"; Numeric, Date, Binary, IP: not supported).

Malformed policy values (a bad CIDR, a non-number for Numeric...) are rejected at parse time
with `MalformedPolicyDocument`; malformed *request* values raise `ConditionEvaluationError` at
evaluation time, which the decision reports and skips (Cedar's ErrorHandling::Skip).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from msgspec import Struct

from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine.match import PatternSet, compiled_regex, glob_regex, has_wildcard, resolve_fragments
from iamctl.core.engine.variables import Var, parse_template, resolve_exact, scalar_text


class ConditionEvaluationError(Exception):
    """A request value could not be compared (e.g. a malformed date); the statement is skipped."""


# base operator (lower-case) → (canonical name, family, negated)
_OPERATORS: dict[str, tuple[str, str, bool]] = {}


def _op(name: str, family: str, negated: bool = False) -> None:
    _OPERATORS[name.lower()] = (name, family, negated)


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

_CMP: dict[str, Callable[[float, float], bool]] = {
    "equals": lambda a, b: a == b,
    "notequals": lambda a, b: a == b,  # negation is applied by the caller
    "lessthan": lambda a, b: a < b,
    "lessthanequals": lambda a, b: a <= b,
    "greaterthan": lambda a, b: a > b,
    "greaterthanequals": lambda a, b: a >= b,
}


def parse_number(text: str) -> float:
    value = float(text)
    if math.isnan(value):
        raise ValueError("not a number")
    return value


_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")


def parse_date(text: Any) -> float:
    """W3C ISO 8601 (`2026-01`, `2026-01-01`, `2026-01-01T12:00Z`, `2026-01-01T12:00:00Z`, with
    offset or fraction) or epoch seconds. A bare `YYYY` reads as epoch seconds: both forms are
    documented and only one can win, and epoch values are what aws:EpochTime holds."""
    if isinstance(text, bool):
        raise ValueError("a boolean is not a date")
    if isinstance(text, int | float):
        return float(text)
    s = str(text).strip()
    try:
        return float(s)
    except ValueError:
        pass
    if _YEAR_MONTH.match(s):
        s += "-01"  # W3C "YYYY-MM": the month's first day
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp()


def _base64(text: str) -> bytes:
    """Strict base64, as BinaryEquals values are written; a bad one raises ValueError."""
    import base64  # lazy: start-up

    return base64.b64decode(text, validate=True)


@lru_cache(maxsize=1024)
def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    # Parsing an address costs more than the comparison; requests repeat the same few.
    return ipaddress.ip_address(text)


def _date(value: Any) -> float:
    return _date_text(value) if isinstance(value, str) else parse_date(value)


@lru_cache(maxsize=1024)
def _date_text(text: str) -> float:
    return parse_date(text)


def _request_values(raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple | set | frozenset):
        return list(raw)
    return [raw]


class Condition(Struct, frozen=True):
    """One (operator, key, values) triple of a Condition block, compiled for evaluation."""

    operator: str  # as written, e.g. "ForAnyValue:StringLikeIfExists"
    key: str  # as written
    key_l: str
    values: tuple[str, ...]  # as written (booleans shown as true/false)
    family: str
    base: str  # canonical base operator, e.g. "StringLike"
    negated: bool
    if_exists: bool
    qualifier: str | None  # "ForAllValues" | "ForAnyValue" | None
    prepared: tuple[Any, ...]  # per-value comparison data; a Template where a variable is used
    templated: bool
    absent: bool  # the result when the key is not in the request (see the module docstring)
    # For the commonest shape (one string request value, no variable, no set operator): the
    # positive test, precomputed so that evaluation is one call.
    fast: Callable[[str], bool] | None
    variables: tuple[Var, ...] = ()  # the policy variables in its values

    def absent_keys(self, ctx: dict[str, Any]) -> list[str]:
        """The context keys this condition reads (its key, its variables) that `ctx` lacks."""
        out = [] if self.key_l in ctx else [self.key]
        out += [v.name for v in self.variables if v.default is None and v.key not in ctx]
        return out

    def evaluate(self, ctx: dict[str, Any], missing: set[str] | None = None) -> bool:
        """The condition's truth for the request context `ctx` (keys already lower-cased)."""
        raw = ctx.get(self.key_l)
        if raw is None:
            if missing is not None:
                missing.add(self.key)
            return self.absent
        fast = self.fast
        if fast is not None:
            kind = type(raw)
            if kind is str:
                return fast(raw) != self.negated
            if kind is bool:
                return fast("true" if raw else "false") != self.negated
        if self.family == "null":
            empty = isinstance(raw, list | tuple) and not raw
            return any(empty == want for want in self.prepared)
        wanted = self._resolved(ctx, missing)
        if wanted is None:
            # An unresolved policy variable "causes the statement to be invalid".
            return False
        values = _request_values(raw)
        pos = self._positive
        if self.qualifier == "ForAllValues":
            return all(pos(v, wanted) != self.negated for v in values)
        if self.qualifier == "ForAnyValue":
            return any(pos(v, wanted) != self.negated for v in values)
        return any(pos(v, wanted) for v in values) != self.negated

    def _resolved(self, ctx: dict[str, Any], missing: set[str] | None) -> tuple[Any, ...] | None:
        if not self.templated:
            return self.prepared
        out: list[Any] = []
        for p in self.prepared:
            if not (isinstance(p, tuple) and p and p[0] == "tpl"):
                out.append(p)
                continue
            _, tpl, pset = p
            if pset is None:  # StringEquals / IgnoreCase: plain substitution
                text = resolve_exact(tpl, ctx)
                if text is None:
                    if missing is not None:
                        missing.update(v.name for v in tpl if isinstance(v, Var))
                    return None
                # A Bool value that resolves to neither true nor false matches nothing.
                out.append(text.lower() if self.family == "bool" else _prepare_string(self.base, text))
            else:  # Like / ARN: substituted values are escaped, `${*}` stays a literal star
                src = resolve_fragments(pset.templated[0], ctx, missing)
                if src is None:
                    return None
                out.append(compiled_regex(src))
        return tuple(out)

    def _positive(self, value: Any, wanted: tuple[Any, ...]) -> bool:
        fam = self.family
        if fam == "string":
            text = scalar_text(value)
            if text is None:
                return False
            base = self.base
            if base.endswith("IgnoreCase"):
                text = text.lower()
            if base.endswith("Like"):
                return any(w.fullmatch(text) is not None for w in wanted)
            return text in wanted
        if fam == "arn":
            text = scalar_text(value)
            if text is None:
                return False
            return any(w.fullmatch(text) is not None for w in wanted)
        if fam in ("numeric", "date"):
            try:
                num = parse_number(scalar_text(value) or "") if fam == "numeric" else _date(value)
            except (TypeError, ValueError):
                raise ConditionEvaluationError(
                    f"{self.operator} on {self.key}: request value {value!r} is not a valid {fam}"
                ) from None
            cmp = _CMP[self.base[len(fam) :].lower()]
            return any(cmp(num, w) for w in wanted)
        if fam == "bool":
            text = scalar_text(value)
            return text is not None and text.lower() in wanted
        if fam == "binary":
            if isinstance(value, bytes | bytearray):
                data = bytes(value)
            else:
                try:
                    data = _base64(str(value))
                except ValueError:
                    raise ConditionEvaluationError(
                        f"{self.operator} on {self.key}: request value {value!r} is not base64"
                    ) from None
            return data in wanted
        if fam == "ip":
            try:
                addr = _ip(str(value).strip())
            except ValueError:
                raise ConditionEvaluationError(
                    f"{self.operator} on {self.key}: request value {value!r} is not an IP address"
                ) from None
            return any(addr.version == net.version and addr in net for net in wanted)
        raise AssertionError(fam)  # pragma: no cover - every family is handled above


def _bool_value(text: str) -> str:
    tl = text.lower()
    if tl not in ("true", "false"):
        raise ValueError(text)
    return tl


def _prepare_string(base: str, text: str) -> Any:
    if base.endswith("IgnoreCase"):
        return text.lower()
    if base.endswith("Like"):
        return glob_regex(text, arn=False) if has_wildcard(text) else _Exactly(text)
    return text


class _Exactly(Struct, frozen=True):
    """A StringLike value without wildcards: plain equality, no regex."""

    text: str

    def fullmatch(self, value: str) -> bool | None:
        return True if value == self.text else None


def _value_text(v: Any, where: str) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return str(v)
    raise MalformedPolicyDocument(
        f"{where}: condition values must be strings, numbers or booleans, not {v!r}"
    )


def split_operator(name: str) -> tuple[str | None, str, bool]:
    """`ForAnyValue:StringLikeIfExists` → ("ForAnyValue", "StringLike", True)."""
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
            raise MalformedPolicyDocument(f"unknown set operator {q!r} in condition operator {name!r}")
    if_exists = False
    rl = rest.lower()
    if rl.endswith("ifexists"):
        if_exists = True
        rl = rl[: -len("ifexists")]
    return qualifier, rl, if_exists


def compile_condition(operator: str, key: str, raw_values: Any, *, variables: bool, where: str) -> Condition:
    """Validate and compile one operator/key/values triple; `where` names the statement for errors."""
    qualifier, base_l, if_exists = split_operator(operator)
    spec = _OPERATORS.get(base_l)
    if spec is None:
        raise MalformedPolicyDocument(f"{where}: invalid condition operator {operator!r}")
    base, family, negated = spec
    if family == "null" and (if_exists or qualifier):
        raise MalformedPolicyDocument(f"{where}: Null cannot take IfExists or a set operator ({operator!r})")
    if not isinstance(key, str) or not key:
        raise MalformedPolicyDocument(f"{where}: condition key must be a non-empty string")
    items = raw_values if isinstance(raw_values, list) else [raw_values]
    values = tuple(_value_text(v, where) for v in items)
    if not values:
        raise MalformedPolicyDocument(f"{where}: condition {operator} {key} has no values")
    prepared: list[Any] = []
    templated = False
    bad = f"{where}: invalid value for {operator} {key}"
    for text in values:
        try:
            if family in ("string", "arn", "bool"):
                tpl = parse_template(text) if variables else None
                if tpl is not None:
                    templated = True
                    pset = None
                    if family == "arn" or base.endswith("Like"):
                        pset = PatternSet.compile((text,), arn=family == "arn", lower=False, variables=True)
                    prepared.append(("tpl", tpl, pset))
                elif family == "arn":
                    prepared.append(glob_regex(text, arn=True) if has_wildcard(text) else _Exactly(text))
                elif family == "bool":
                    prepared.append(_bool_value(text))
                else:
                    prepared.append(_prepare_string(base, text))
            elif family == "numeric":
                prepared.append(parse_number(text))
            elif family == "date":
                prepared.append(parse_date(text))
            elif family == "null":
                prepared.append(_bool_value(text) == "true")
            elif family == "binary":
                prepared.append(_base64(text))
            elif family == "ip":
                prepared.append(ipaddress.ip_network(text.strip(), strict=False))
        except ValueError:  # binascii.Error is one too
            raise MalformedPolicyDocument(f"{bad}: {text!r}") from None
    if family == "null":
        absent = any(prepared)  # Null "true" matches an absent key
    elif if_exists or qualifier == "ForAllValues":
        absent = True
    elif qualifier == "ForAnyValue":
        absent = False
    else:
        absent = negated
    fast = None if templated or qualifier else _fast_test(family, base, tuple(prepared))
    return Condition(
        operator=operator,
        key=key,
        key_l=key.lower(),
        values=values,
        family=family,
        base=base,
        negated=negated,
        if_exists=if_exists,
        qualifier=qualifier,
        prepared=tuple(prepared),
        templated=templated,
        absent=absent,
        fast=fast,
        variables=tuple(
            v for p in prepared if isinstance(p, tuple) and p and p[0] == "tpl" for v in p[1] if isinstance(v, Var)
        ),
    )


def _fast_test(family: str, base: str, prepared: tuple[Any, ...]) -> Callable[[str], bool] | None:
    if family == "string" and not base.endswith("Like"):
        wanted = frozenset(prepared)
        if base.endswith("IgnoreCase"):
            return lambda v: v.lower() in wanted
        return wanted.__contains__
    if family == "bool":
        wanted = frozenset(prepared)
        return lambda v: v.lower() in wanted
    if family == "arn" or (family == "string" and base.endswith("Like")):
        return lambda v: any(p.fullmatch(v) is not None for p in prepared)
    return None


def describe(cond: Condition) -> str:
    """`aws:SourceIp IpAddress 10.0.0.0/8` — the condition in the words of the policy."""
    vals = ", ".join(cond.values)
    return f"{cond.key} {cond.operator} {vals}"
