"""Policy variables: `${aws:username}`, `${aws:PrincipalTag/team}`, `${*}`, defaults.

AWS rules implemented here (IAM User Guide, "IAM policy elements: Variables and tags"):

- Variables exist only in policies whose Version is 2012-10-17; in 2008-10-17 (or with no
  Version) `${aws:username}` is literal text. The parser decides and calls `parse_template`
  only for 2012-10-17 documents.
- A variable names any request-context key, case-insensitively.
- `${*}`, `${?}` and `${$}` stand for the literal characters `*`, `?` and `$`, so a policy can
  match those characters without them acting as wildcards.
- `${key, 'default'}` supplies a value when the key is absent.
- A variable with no value (and no default) makes the place where it is used fail to match: "any
  attempt to match it fails and causes the statement to be invalid".
- A multivalued key cannot be used as a variable; we treat it as having no value.

A template is a tuple of parts: `str` (policy text, where `*`/`?` keep their wildcard meaning),
`Exact` (text that must match literally: a `${*}` escape) and `Var` (a context lookup).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from msgspec import Struct


class Var(Struct, frozen=True):
    """A `${key}` reference; `key` is lower-cased because context keys are case-insensitive."""

    key: str
    default: str | None = None
    name: str = ""  # the key as written, for reports


class Exact(Struct, frozen=True):
    """Literal text produced by `${*}`, `${?}` or `${$}`: never a wildcard."""

    text: str


Part = str | Exact | Var
Template = tuple[Part, ...]

_SPECIALS = {"*": "*", "?": "?", "$": "$"}


def parse_template(text: str) -> Template | None:
    """Split `text` into parts, or return None when it contains no `${...}` at all."""
    if "${" not in text:
        return None
    parts: list[Part] = []
    pos = 0
    find = text.find
    while True:  # each `${` with a `}` after it (the shortest such run), found with str.find
        start = find("${", pos)
        if start < 0:
            break
        end = find("}", start + 2)
        if end < 0:
            break
        if start > pos:
            parts.append(text[pos:start])
        parts.append(_part(text[start + 2 : end]))
        pos = end + 1
    if pos < len(text):
        parts.append(text[pos:])
    if all(isinstance(p, str) for p in parts):
        return None
    return tuple(parts)


@lru_cache(maxsize=1024)
def _part(body: str) -> Part:
    """The part for the text between `${` and `}` (policies repeat a few variables): `key` or
    `key, 'default'`, with whitespace allowed around each, as in AWS's examples."""
    if body in _SPECIALS:
        return Exact(_SPECIALS[body])
    key, comma, rest = body.partition(",")
    key = key.strip()
    default = None
    if comma:
        rest = rest.strip()
        if len(rest) >= 2 and rest[0] == rest[-1] == "'" and "'" not in rest[1:-1]:
            default = rest[1:-1]
        else:
            key = ""  # not `, 'default'`: not a variable
    if not key or "'" in key or any(c.isspace() for c in key):
        # Not a well-formed variable: AWS leaves such text alone, so do we.
        return "${" + body + "}"
    return Var(key.lower(), default, key)


def scalar_text(value: Any) -> str | None:
    """The string form of a single context value, as AWS compares it (`true`, `42`, ...)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return None


def lookup(var: Var, ctx: dict[str, Any]) -> str | None:
    """The value of one variable, its default if absent, or None when it has no value."""
    value = ctx.get(var.key)
    if value is None or isinstance(value, list | tuple):
        return var.default
    text = scalar_text(value)
    return var.default if text is None else text


def resolve_exact(template: Template, ctx: dict[str, Any]) -> str | None:
    """Substitute every variable, returning plain text (for equality comparisons)."""
    out: list[str] = []
    for p in template:
        if isinstance(p, str):
            out.append(p)
        elif isinstance(p, Exact):
            out.append(p.text)
        else:
            v = lookup(p, ctx)
            if v is None:
                return None
            out.append(v)
    return "".join(out)


def missing_variables(template: Template, ctx: dict[str, Any]) -> list[str]:
    """Keys whose variables cannot be resolved (for the result's missing_context_keys)."""
    return [p.name for p in template if isinstance(p, Var) and lookup(p, ctx) is None]
