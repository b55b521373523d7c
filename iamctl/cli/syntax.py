"""Command-line syntax: the words a user types, parsed into the values the core takes.

The core never sees `KEY=VALUE` words or `user/NAME` specs: each option here has a parser that
turns one word into a value, so a malformed word is a usage error naming the option (exit 2,
through the error boundary in main.py), raised while Click processes that option. What the
values mean (tag rules, duplicate keys, whether a user exists) stays the core's to decide.
"""

import re
from typing import TYPE_CHECKING, Annotated, Literal, NamedTuple

import typer

if TYPE_CHECKING:
    from iamctl.core.credentials.sessions import SessionCredentials

# -- tags: --tag KEY=VALUE ---------------------------------------------------------------------


class Tag(NamedTuple):
    """One `KEY=VALUE` word; a list of them is what `dict()` and the core's tag rules take."""

    key: str
    value: str


def parse_tag(text: str) -> Tag:
    """`KEY=VALUE` (the value may be empty and may contain `=`)."""
    key, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"{text!r} must be written KEY=VALUE")
    return Tag(key, value)


TagOpt = Annotated[list[Tag] | None, typer.Option("--tag", help="A tag KEY=VALUE (repeatable).", parser=parse_tag,
                                                   metavar="KEY=VALUE")]
TagsArg = Annotated[list[Tag], typer.Argument(help="Tags as KEY=VALUE.", parser=parse_tag, metavar="KEY=VALUE...")]


def tag_dict(tags: list[Tag] | None) -> dict[str, str]:
    """The tags of one request; a key given twice (in any case) is the core's InvalidInput, as AWS
    refuses duplicate keys in one request."""
    from iamctl.core.base.names import tags_from_pairs  # lazy: start-up

    return tags_from_pairs(tags or [])


# -- simulate's request context: --context KEY=VALUE -------------------------------------------


class ContextEntry(NamedTuple):
    key: str
    value: str | list[str]


def parse_context(text: str) -> ContextEntry:
    """`KEY=VALUE`; a comma in VALUE makes it a list (a multivalued key)."""
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise typer.BadParameter(f"{text!r} must be written KEY=VALUE")
    return ContextEntry(key.strip(), value.split(",") if "," in value else value)


ContextOpt = Annotated[list[ContextEntry] | None, typer.Option(
    "--context", "-c", help="Context key KEY=VALUE; commas make a list. Repeatable.", parser=parse_context,
    metavar="KEY=VALUE")]


# -- role assume --as user/NAME | role/NAME | session --------------------------------------------


class CallerSpec(NamedTuple):
    """Who calls `role assume`: a user with long-term credentials, a role (chaining), or the
    session whose credentials are on standard input (`name` None)."""

    kind: Literal["user", "role", "session"]
    name: str | None = None


def parse_caller(text: str) -> CallerSpec:
    if text == "session":
        return CallerSpec("session")
    kind, _, name = text.partition("/")
    if kind == "user" and name:
        return CallerSpec("user", name)
    if kind == "role" and name:
        return CallerSpec("role", name)
    raise typer.BadParameter(f"{text!r}: expected user/NAME, role/NAME or session")


CallerOpt = Annotated[CallerSpec | None, typer.Option(
    "--as", help="user/NAME, role/NAME (role chaining) or session (its credentials on stdin, as login -o json "
    "prints them).", parser=parse_caller, metavar="CALLER")]


# -- role create --condition '[OPERATOR ]KEY=VALUE' -----------------------------------------------

_CONDITION = re.compile(r"^(?:(?P<op>[A-Za-z]+)\s+)?(?P<key>[^=\s]+)=(?P<value>.*)$", re.S)


class Condition(NamedTuple):
    """(operator, key, value), as the core's trust-policy shorthand takes conditions."""

    operator: str
    key: str
    value: str


def parse_condition(text: str) -> Condition:
    """`[OPERATOR ]KEY=VALUE`, the operator StringEquals by default, e.g.
    "StringLike token.actions.githubusercontent.com:sub=repo:o/r:*"."""
    m = _CONDITION.match(text.strip())
    if m is None or not m.group("key"):
        raise typer.BadParameter(f"{text!r} must be written [OPERATOR ]KEY=VALUE, e.g. "
                                 "'StringLike token.actions.githubusercontent.com:sub=repo:org/repo:*'")
    return Condition(m.group("op") or "StringEquals", m.group("key"), m.group("value"))


ConditionOpt = Annotated[list[Condition] | None, typer.Option(
    "--condition", help="'[OPERATOR ]KEY=VALUE' (default StringEquals), e.g. 'StringLike HOST:sub=repo:org/repo:*'.",
    parser=parse_condition, metavar="CONDITION")]


# -- a session's credentials, on standard input or in a file -------------------------------------

# The credentials a session is used with, as `login -o json`, `role assume -o json` and AWS's
# `aws sts get-session-token` / `assume-role` print them.
_CREDENTIAL_KEYS = ("AccessKeyId", "SecretAccessKey", "SessionToken")
_CREDENTIALS_LIMIT = 64 * 1024


def session_credentials(text: str, *, option: str) -> "SessionCredentials":
    """Temporary credentials from the text a user gave for `option`: the JSON that `login -o
    json` or `role assume -o json` prints (an object with a "Credentials" member, or that member
    itself), or three lines: access key id, secret access key, session token."""
    from iamctl.core.base import jsonload  # lazy: start-up
    from iamctl.core.credentials.sessions import SessionCredentials  # lazy: start-up

    expected = ("the session's credentials: the JSON `iamctl login -o json` or `iamctl role assume -o json` "
                "prints, or three lines (access key id, secret access key, session token)")
    if len(text) > _CREDENTIALS_LIMIT:
        raise typer.BadParameter(f"expected {expected}; got {len(text)} characters", param_hint=option)
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            data = jsonload.loads(stripped)
        except (ValueError, RecursionError):
            raise typer.BadParameter(f"expected {expected}; the JSON does not parse", param_hint=option) from None
        inner = data.get("Credentials", data) if isinstance(data, dict) else None
        found = [inner.get(k) for k in _CREDENTIAL_KEYS] if isinstance(inner, dict) else []
        values = [v for v in found if isinstance(v, str) and v]
        if len(values) != 3:
            raise typer.BadParameter(f"expected {expected}; the JSON lacks {', '.join(_CREDENTIAL_KEYS)}",
                                     param_hint=option)
        return SessionCredentials(*values)
    lines = [line.strip() for line in stripped.splitlines() if line.strip()]
    if len(lines) != 3:
        hint = (" (a session token or access key id alone is not a credential: give all three)"
                if len(lines) == 1 else "")
        raise typer.BadParameter(f"expected {expected}{hint}", param_hint=option)
    return SessionCredentials(*lines)
