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
  absent key or a key whose value "resolves to a null data set, such as an empty string"
  (`[]`, `""`, `[""]`); `ForAnyValue:` is true when at least one request value matches, and
  false for an absent key or a null data set ("Multivalued context keys"). With `IfExists`,
  both are true for an absent key or a null data set.
- Without a set operator, a multivalued request value matches a positive operator when any of
  its values does; a negated operator is the negation of its positive form.
- `Null` tests presence: `true` means the key is absent (or an empty list).
- Policy variables may appear in String, ARN and Bool operator values only ("Condition
  operators": Boolean - "Policy variables: Supported"; Numeric, Date, Binary, IP: not supported).
- A policy value whose variable cannot be resolved has no value ("Policy variables with no
  value": the value "is effectively null"): nothing equals or is like it. So a positive operator
  does not match through it, and an inverted one (StringNotEquals, StringNotLike, ArnNotEquals,
  ArnNotLike, ...) does: "access is specifically denied when aws:principaltag/Team is not set"
  for a Deny with StringNotEquals on `${aws:principaltag/Team}`.

Malformed policy values (a bad CIDR, a non-number for Numeric...) are grammar errors, found by
the parser (`prepare_value` raises ValueError for them); malformed *request* values raise `ConditionEvaluationError` at
evaluation time, which the decision reports and skips (Cedar's ErrorHandling::Skip).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from msgspec import Struct

from iamctl.core.engine.grammar import OPERATORS, VARIABLE_FAMILIES, split_operator
from iamctl.core.engine.match import PatternSet, glob_matcher, has_wildcard
from iamctl.core.engine.variables import Var, missing_variables, parse_template, resolve_exact, scalar_text


class ConditionEvaluationError(Exception):
    """A request value could not be compared (e.g. a malformed date); the statement is skipped."""


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
    if len(s) == 7 and s[4] == "-" and s[:4].isdecimal() and s[5:].isdecimal():  # YYYY-MM
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
def _ip(text: str) -> Any:
    # Parsing an address costs more than the comparison; requests repeat the same few.
    import ipaddress  # lazy: start-up (only IP conditions need it)

    return ipaddress.ip_address(text)


_ALL = (1 << 32) - 1


class _IPv4Net(Struct, frozen=True, gc=False):
    """An IPv4 range written `a.b.c.d/n` (or an address), as integers: what IpAddress values
    mostly are, read and compared without the ipaddress module. (Other forms, such as IPv6 or a
    dotted netmask, are `ipaddress` networks.) Host bits are cleared, as `strict=False` does."""

    network: int
    mask: int


def _decimal(text: str, most: int) -> int | None:
    """`text` as a number 0..most written in ASCII digits without a leading zero, else None."""
    if not (text.isascii() and text.isdigit()) or len(text) > 3 or (len(text) > 1 and text[0] == "0"):
        return None
    value = int(text)
    return value if value <= most else None


def _ipv4(text: str) -> int | None:
    """A dotted-quad IPv4 address (octets without leading zeros, as the ipaddress module takes
    them) as an integer, or None for any other text."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        octet = _decimal(part, 255)
        if octet is None:
            return None
        value = (value << 8) | octet
    return value


def _network(text: str) -> Any:
    text = text.strip()
    address, slash, bits = text.partition("/")
    v4 = _ipv4(address)
    size = _decimal(bits, 32) if slash else 32
    if v4 is not None and size is not None:
        mask = _ALL ^ ((1 << (32 - size)) - 1)
        return _IPv4Net(v4 & mask, mask)
    import ipaddress  # lazy: start-up (only IP conditions in other forms need it)

    return ipaddress.ip_network(text, strict=False)


def _in_network(addr: Any, v4: int | None, net: Any) -> bool:
    """Whether an address (`v4` its integer when it is IPv4, else an ipaddress object) is in `net`."""
    if type(net) is _IPv4Net:
        if v4 is None:
            if addr.version != 4:
                return False
            v4 = int(addr)
        return (v4 & net.mask) == net.network
    if v4 is not None:
        addr = _ip(_int_ip(v4))
    return bool(addr.version == net.version and addr in net)


def _int_ip(v4: int) -> str:
    return f"{v4 >> 24}.{(v4 >> 16) & 255}.{(v4 >> 8) & 255}.{v4 & 255}"


def _date(value: Any) -> float:
    return _date_text(value) if isinstance(value, str) else parse_date(value)


@lru_cache(maxsize=1024)
def _date_text(text: str) -> float:
    return parse_date(text)


def _request_values(raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple | set | frozenset):
        return list(raw)
    return [raw]


def _null_data_set(values: list[Any]) -> bool:
    """No values, or only empty strings ("Multivalued context keys": a null data set)."""
    return all(v == "" for v in values)


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
        values = _request_values(raw)
        qualifier = self.qualifier
        if qualifier is not None and _null_data_set(values):
            return self.absent  # a null data set is treated as an absent key
        wanted = self._resolved(ctx, missing) if self.templated else self.prepared
        pos = self._positive
        if qualifier == "ForAllValues":
            return all(pos(v, wanted) != self.negated for v in values)
        if qualifier == "ForAnyValue":
            return any(pos(v, wanted) != self.negated for v in values)
        return any(pos(v, wanted) for v in values) != self.negated

    def _resolved(self, ctx: dict[str, Any], missing: set[str] | None) -> tuple[Any, ...]:
        """The policy values with their variables substituted. A value whose variable cannot be
        resolved is dropped: it is null, and nothing matches it (see the module docstring)."""
        out: list[Any] = []
        for p in self.prepared:
            if not (isinstance(p, tuple) and p and p[0] == "tpl"):
                out.append(p)
                continue
            _, tpl, pset = p
            if pset is None:  # StringEquals / IgnoreCase / Bool: plain substitution
                text = resolve_exact(tpl, ctx)
                if text is None:
                    if missing is not None:
                        missing.update(missing_variables(tpl, ctx))
                    continue
                # A Bool value that resolves to neither true nor false matches nothing.
                out.append(text.lower() if self.family == "bool" else _prepare_string(self.base, text))
            else:  # Like / ARN: substituted values are data (their `*` is a star), `${*}` too
                matcher = pset.resolved(0, ctx, missing)
                if matcher is not None:
                    out.append(matcher)
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
            text = str(value).strip()
            v4 = _ipv4(text)
            addr = None
            if v4 is None:
                try:
                    addr = _ip(text)
                except ValueError:
                    raise ConditionEvaluationError(
                        f"{self.operator} on {self.key}: request value {value!r} is not an IP address"
                    ) from None
            return any(_in_network(addr, v4, net) for net in wanted)
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
        return glob_matcher(text, arn=False) if has_wildcard(text) else _Exactly(text)
    return text


class _Exactly(Struct, frozen=True):
    """A StringLike value without wildcards: plain equality, no regex."""

    text: str

    def fullmatch(self, value: str) -> bool | None:
        return True if value == self.text else None


def value_text(v: Any) -> str | None:
    """A condition value as text (`true`, `42`), or None when it is not a string, number or
    boolean (the grammar allows only those)."""
    if type(v) is str:
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return v
    if isinstance(v, int | float):
        return str(v)
    return None


def prepare_value(family: str, base: str, text: str, *, variables: bool) -> Any:
    """One policy value of a condition, ready to compare; ValueError when it is not a value of
    the operator's family (a non-number for Numeric, a bad CIDR, non-base64 for Binary...)."""
    if family in ("string", "arn", "bool"):
        tpl = parse_template(text) if variables and "${" in text else None
        if tpl is not None:
            pset = None
            if family == "arn" or base.endswith("Like"):
                pset = PatternSet.compile((text,), arn=family == "arn", lower=False, variables=True)
            return ("tpl", tpl, pset)
        if family == "arn":
            return glob_matcher(text, arn=True) if has_wildcard(text) else _Exactly(text)
        if family == "bool":
            return _bool_value(text)
        return _prepare_string(base, text)
    if family == "numeric":
        return parse_number(text)
    if family == "date":
        return parse_date(text)
    if family == "null":
        return _bool_value(text) == "true"
    if family == "binary":
        return _base64(text)
    if family == "ip":
        return _network(text)
    raise AssertionError(family)  # pragma: no cover - the grammar knows every family


@lru_cache(maxsize=512)
def operator_spec(operator: str) -> tuple[str | None, str, str, bool, bool] | None:
    """`ForAnyValue:StringLikeIfExists` -> (qualifier, canonical base, family, negated, if_exists),
    or None for an operator the grammar does not know. (Kept per spelling: policies use a few.)"""
    split = split_operator(operator)
    if split is None:
        return None
    qualifier, base_l, if_exists = split
    spec = OPERATORS.get(base_l)
    if spec is None:
        return None
    base, family, negated = spec
    return qualifier, base, family, negated, if_exists


def compile_condition(operator: str, key: str, values: tuple[str, ...], *, variables: bool,
                      prepared: tuple[Any, ...] | None = None,
                      spec: tuple[str | None, str, str, bool, bool] | None = None) -> Condition:
    """Compile one operator/key/values triple that the grammar has checked (parse.py): a valid
    operator, a non-empty key, values of the operator's family as text. `prepared` and `spec`:
    the values as `prepare_value` gave them and `operator_spec(operator)`, when the caller has
    them already (the parser checks each)."""
    if spec is None:
        spec = operator_spec(operator)
    assert spec is not None, operator
    qualifier, base, family, negated, if_exists = spec
    if prepared is None:
        prepared = tuple(prepare_value(family, base, text, variables=variables) for text in values)
    # ("tpl", template, pattern set) is the only tuple a prepared value can be
    templated = variables and family in VARIABLE_FAMILIES and any(type(p) is tuple for p in prepared)
    if family == "null":
        absent = any(prepared)  # Null "true" matches an absent key
    elif if_exists or qualifier == "ForAllValues":
        absent = True
    elif qualifier == "ForAnyValue":
        absent = False
    else:
        absent = negated
    fast = None if templated or qualifier else _fast_test(family, base, prepared)
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
        prepared=prepared,
        templated=templated,
        absent=absent,
        fast=fast,
        variables=tuple(
            v for p in prepared if type(p) is tuple for v in p[1] if isinstance(v, Var)
        ) if templated else (),
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
