"""Matching actions, resources (ARNs) and principals, with wildcards compiled once.

AWS rules (IAM User Guide, "IAM JSON policy elements: Action", "Resource", "Principal",
"NotPrincipal", and "Condition operators: Amazon Resource Name (ARN) condition operators"):

- Actions are case-insensitive; `*` matches any run of characters and `?` one character.
- ARNs are case-sensitive and matched segment by segment: "each of the six colon-delimited
  components of the ARN is checked separately and each can include multi-character match
  wildcards (*) or single-character match wildcards (?)". A wildcard in the first five segments
  therefore never crosses a colon; the sixth (resource) segment may itself contain colons and
  slashes, which its wildcards do cross.
- Principals do not take partial wildcards; `"*"` and `{"AWS": "*"}` are the only wildcards.

Every pattern list becomes a `PatternSet`: a frozenset for exact strings, a tuple of prefixes for
patterns whose only wildcard ends them ("s3:Get*"), one alternation regex for other wildcard
patterns, and pre-translated fragments for patterns with policy variables, so a match is a set
lookup, one `startswith` or one `fullmatch` (the benchmark depends on this).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from iamctl.core.engine.grammar import split_arn
from iamctl.core.engine.variables import Exact, Template, Var, lookup, parse_template, resolve_exact

if TYPE_CHECKING:
    from iamctl.core.engine.request import PrincipalInfo

# How a resource-policy statement grants to the caller. The decision needs this because AWS
# treats a grant to the caller's own ARN differently from one to its role or its account
# ("Policy evaluation logic": resource-based policies and implicit denies, same account).
NO_GRANT = 0
GRANT_ACCOUNT = 1  # names the caller's account: the account must delegate (identity policy)
GRANT_ROLE = 2  # names the role (or the IAM user behind a federated session): boundary/session limit it
GRANT_DIRECT = 3  # names the user/session itself, or everyone: not limited by implicit denies


def _translate(text: str, *, arn: bool, segment: int = 0) -> tuple[str, int]:
    """Glob → regex source. For ARNs, wildcards before the fifth colon stay inside a segment.

    A `*` followed by text and then by another `*` matches up to the *first* place that text
    occurs, atomically: the later `*` can absorb anything a later occurrence would have left,
    so the answer is the same, and patterns such as `*a*a*a*a*a*a` cost linear time instead of
    exponential backtracking. (Not done when that text holds a colon after a segment-bound
    `*`: there the first occurrence is not always the right one.)
    """
    out: list[str] = []
    open_star = -1  # index in `out` of the last `*`, whose text runs to the next `*`
    restricted = False  # whether that `*` stays inside its ARN segment
    colon_in_chunk = False
    for ch in text:
        if ch == "*":
            if open_star >= 0 and not (restricted and colon_in_chunk):
                out[open_star] = f"(?>{out[open_star]}?"
                out.append(")")
            restricted = arn and segment < 5
            open_star = len(out)
            colon_in_chunk = False
            out.append("[^:]*" if restricted else ".*")
        elif ch == "?":
            out.append("[^:]" if arn and segment < 5 else ".")
        else:
            if ch == ":" and arn:
                segment += 1
                colon_in_chunk = True
            out.append(re.escape(ch))
    return "".join(out), segment


@lru_cache(maxsize=4096)
def compiled_regex(source: str) -> re.Pattern[str]:
    # DOTALL: a `*` in StringLike matches newlines too; nothing in AWS's docs excludes them.
    return re.compile(source, re.DOTALL)


def glob_regex(pattern: str, *, arn: bool) -> re.Pattern[str]:
    """Compile one wildcard pattern (cached per pattern)."""
    return compiled_regex(_translate(pattern, arn=arn)[0])


def has_wildcard(text: str) -> bool:
    return "*" in text or "?" in text


def _is_prefix(pattern: str, *, arn: bool) -> bool:
    """Whether a pattern's only wildcard is a final `*` that may span colons, so that it matches
    exactly the strings that start with the rest ("s3:Get*", "arn:aws:s3:::bucket/*"): the
    commonest wildcards in real policies, checked without compiling a regex. In an ARN a `*`
    before the fifth colon stays inside its segment, which a prefix test would not."""
    return pattern.endswith("*") and not has_wildcard(pattern[:-1]) and (not arn or pattern.count(":") >= 5)


def _template_fragments(template: Template, *, arn: bool) -> tuple[Any, ...]:
    frags: list[Any] = []
    segment = 0
    for part in template:
        if isinstance(part, str):
            src, segment = _translate(part, arn=arn, segment=segment)
            frags.append(src)
        elif isinstance(part, Exact):
            frags.append(re.escape(part.text))
        else:
            frags.append(part)
    return tuple(frags)


class PatternSet(Struct, frozen=True):
    """A list of patterns (Action, Resource, ArnLike values...) compiled for one `matches` call."""

    patterns: tuple[str, ...]
    any: bool
    exact: frozenset[str]
    regex: re.Pattern[str] | None
    templated: tuple[tuple[Any, ...], ...]
    templates: tuple[Template, ...]
    lower: bool
    # One regex per templated pattern with each variable widened to `.*`: a necessary condition
    # for a match, checked before paying for substitution.
    skeletons: tuple[re.Pattern[str], ...] = ()
    skeleton: re.Pattern[str] | None = None  # all of them in one alternation
    prefixes: tuple[str, ...] = ()  # patterns ending in their only wildcard, `*`, without it

    @classmethod
    def compile(cls, patterns: tuple[str, ...], *, arn: bool, lower: bool, variables: bool) -> PatternSet:
        """`lower` for case-insensitive sets (actions); `variables` when Version is 2012-10-17."""
        exact: set[str] = set()
        prefixes: list[str] = []
        wild: list[str] = []
        templated: list[tuple[Any, ...]] = []
        templates: list[Template] = []
        any_ = False
        for raw in patterns:
            p = raw.lower() if lower else raw
            tpl = parse_template(p) if variables else None
            if tpl is not None:
                templated.append(_template_fragments(tpl, arn=arn))
                templates.append(tpl)
            elif p == "*":
                any_ = True
            elif _is_prefix(p, arn=arn):
                prefixes.append(p[:-1])
            elif has_wildcard(p):
                wild.append(_translate(p, arn=arn)[0])
            else:
                exact.add(p)
        regex = compiled_regex("|".join(f"(?:{w})" for w in wild)) if wild else None
        skeletons = tuple(
            compiled_regex("".join(".*" if isinstance(f, Var) else f for f in frags)) for frags in templated
        )
        skeleton = compiled_regex("|".join(f"(?:{k.pattern})" for k in skeletons)) if skeletons else None
        return cls(
            tuple(patterns),
            any_,
            frozenset(exact),
            regex,
            tuple(templated),
            tuple(templates),
            lower,
            skeletons,
            skeleton,
            tuple(prefixes),
        )

    def matches(
        self,
        value: str,
        ctx: dict[str, Any] | None = None,
        missing: set[str] | None = None,
        *,
        exhaustive: bool = False,
    ) -> bool:
        """True when `value` matches any pattern; unresolved variables are noted in `missing`.

        `exhaustive` resolves every variable even where the pattern cannot match anyway, so that
        `missing` is complete (NotResource needs it: an unresolved variable voids the statement).
        """
        if self.any or value in self.exact or value.startswith(self.prefixes):
            return True
        if self.regex is not None and self.regex.fullmatch(value) is not None:
            return True
        if self.skeleton is None or (not exhaustive and self.skeleton.fullmatch(value) is None):
            return False
        return self.matches_templates(value, ctx, missing, exhaustive=exhaustive)

    def matches_templates(
        self, value: str, ctx: dict[str, Any] | None, missing: set[str] | None, *, exhaustive: bool = False
    ) -> bool:
        """The patterns that hold policy variables, substituted from `ctx`."""
        for frags, skeleton in zip(self.templated, self.skeletons, strict=True):
            if not exhaustive and skeleton.fullmatch(value) is None:
                continue
            src = resolve_fragments(frags, ctx or {}, missing)
            if src is not None and compiled_regex(src).fullmatch(value) is not None:
                return True
        return False


    def covers_everything(self, service: str, account: str | None, ctx: dict[str, Any]) -> bool:
        """Whether a pattern covers every resource of `service` in `account`: `*`, or an ARN
        pattern whose partition and service parts match, whose region and account parts are empty,
        wildcards or that account, and whose resource part is only `*`s (`arn:aws:s3:::*`,
        `arn:aws:iam::111122223333:*`). This is what "all resources" means for an action that
        acts on no resource type (see `Request.resourceless`)."""
        if self.any:
            return True
        texts = list(self.patterns)
        for tpl in self.templates:
            resolved = resolve_exact(tpl, ctx)
            if resolved is not None:
                texts.append(resolved)
        return any(_covers_service(p, service, account) for p in texts)


def _covers_service(pattern: str, service: str, account: str | None) -> bool:
    if pattern == "*":
        return True
    parts = split_arn(pattern)
    if len(parts) != 6 or parts[0] != "arn":
        return False
    _, partition, svc, region, acct, resource = parts

    def wild(text: str) -> bool:
        return text == "" or set(text) <= {"*"}

    return (
        glob_regex(partition, arn=False).fullmatch("aws") is not None
        and glob_regex(svc, arn=False).fullmatch(service) is not None
        and wild(region)
        and (wild(acct) or acct == account)
        and resource != ""
        and set(resource) <= {"*"}
    )


def resolve_fragments(frags: tuple[Any, ...], ctx: dict[str, Any], missing: set[str] | None) -> str | None:
    out: list[str] = []
    for f in frags:
        if isinstance(f, Var):
            v = lookup(f, ctx)
            if v is None:
                if missing is not None:
                    missing.add(f.name)
                return None
            # A substituted value is data, not pattern: its `*` matches only a `*`.
            out.append(re.escape(v))
        else:
            out.append(f)
    return "".join(out)


# --- principals -------------------------------------------------------------------------------

AWS_PRINCIPAL_TYPES = frozenset({"User", "AssumedRole", "FederatedUser", "Account"})


class PrincipalSpec(Struct, frozen=True):
    """A parsed Principal / NotPrincipal element."""

    everyone: bool  # "Principal": "*"
    aws_any: bool  # {"AWS": "*"}
    accounts: frozenset[str]  # 12-digit ids, from "123456789012" or "arn:aws:iam::123456789012:root"
    arns: frozenset[str]  # user, role, assumed-role session and federated-user ARNs
    services: frozenset[str]
    federated: frozenset[str]
    canonical: frozenset[str]
    raw: Any
    unique_ids: frozenset[str] = frozenset()  # AIDA... (users) and AROA... (roles)


def _own_id(p: PrincipalInfo) -> str | None:
    """The unique id a Principal element can name the caller by: a user's AIDA... id."""
    return p.userid if p.type == "User" else None


def _role_id(p: PrincipalInfo) -> str | None:
    """The AROA... id of the role behind a role session (aws:userid is `role-id:session`)."""
    if p.type == "AssumedRole" and p.userid:
        return p.userid.split(":", 1)[0]
    return None


def principal_grant(spec: PrincipalSpec, p: PrincipalInfo | None) -> int:
    """How a `Principal` element names the caller: GRANT_DIRECT, GRANT_ROLE, GRANT_ACCOUNT or 0.

    IAM User Guide, "AWS JSON policy elements: Principal": a role ARN in Principal matches the
    sessions of that role; an account id or root ARN delegates to everyone in the account; `*`
    (and `{"AWS": "*"}` for signed requests) matches everyone.
    """
    if spec.everyone:
        return GRANT_DIRECT
    if p is None:
        return NO_GRANT
    ptype = p.type
    if ptype in AWS_PRINCIPAL_TYPES:
        if spec.aws_any or (p.arn is not None and p.arn in spec.arns):
            return GRANT_DIRECT
        if p.base_arn is not None and p.base_arn in spec.arns:
            return GRANT_ROLE
        if spec.unique_ids:
            if _own_id(p) in spec.unique_ids:
                return GRANT_DIRECT
            if _role_id(p) in spec.unique_ids:
                return GRANT_ROLE
        if p.account_id is not None and p.account_id in spec.accounts:
            return GRANT_ACCOUNT
        return NO_GRANT
    if ptype == "Service":
        return GRANT_DIRECT if p.service in spec.services else NO_GRANT
    if ptype in ("WebIdentity", "SAML"):
        return GRANT_DIRECT if p.provider in spec.federated else NO_GRANT
    if ptype == "CanonicalUser":
        return GRANT_DIRECT if p.canonical_user in spec.canonical else NO_GRANT
    if ptype == "Anonymous":
        # "For anonymous users, the following elements are equivalent: "Principal": "*" and
        # "Principal": {"AWS": "*"}" (Principal, "All principals").
        return GRANT_DIRECT if spec.aws_any else NO_GRANT
    return NO_GRANT


def not_principal_applies(
    spec: PrincipalSpec, p: PrincipalInfo | None, *, has_boundary: bool, deny: bool
) -> bool:
    """Whether a `NotPrincipal` statement covers the caller.

    IAM User Guide, "NotPrincipal": AWS may check the account, then the role, then the session,
    so the caller escapes the statement only when *every* one of those identities is listed
    (the docs tell you to list the account and role ARNs next to the session for this reason).
    "Permissions boundaries": a Deny with NotPrincipal always denies a principal that has a
    permissions boundary, whatever NotPrincipal lists.
    """
    if deny and has_boundary:
        return True
    if spec.everyone:
        return False
    if p is None:
        return True
    if p.type == "Anonymous":
        return not spec.aws_any  # {"AWS": "*"} names anonymous callers too (see principal_grant)
    ids_listed: list[bool] = []
    if p.type in AWS_PRINCIPAL_TYPES:
        if spec.aws_any:
            return False
        # The root user's ARN is stored as its account id (the parser folds `:root` ARNs).
        if p.arn is not None and p.type != "Account":
            ids_listed.append(p.arn in spec.arns or _own_id(p) in spec.unique_ids)
        if p.base_arn is not None:
            ids_listed.append(p.base_arn in spec.arns or _role_id(p) in spec.unique_ids)
        if p.account_id is not None:
            ids_listed.append(p.account_id in spec.accounts)
    elif p.type == "Service":
        ids_listed.append(p.service in spec.services)
    elif p.type in ("WebIdentity", "SAML"):
        ids_listed.append(p.provider in spec.federated)
    elif p.type == "CanonicalUser":
        ids_listed.append(p.canonical_user in spec.canonical)
    return not (ids_listed and all(ids_listed))
