"""Matching actions, resources (ARNs) and principals, without compiling anything up front.

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
patterns whose only wildcard ends them ("s3:Get*"), a `Globs` for other wildcard patterns, and
the templates of patterns with policy variables. Building one only sorts the patterns: nothing
is translated or compiled until a request needs it, so a statement whose action never matches
costs nothing more (one-shot commands parse many statements and test few).

A `Globs` matches simple wildcards (`*` anywhere, or `?` without `*`) in Python, by pieces
(`startswith`, `find`, `endswith`; an ARN split at its first five colons, each part on its own),
and compiles one regular expression only once it has been asked `COMPILE_AFTER` times: compiling
costs as much as some hundred Python matches, which a long-running analysis repays and a
one-shot command does not. Both ways give the same answer (tests/policy/test_wildcards.py).
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

# A `Globs` matches in Python this many times before it compiles a regular expression.
COMPILE_AFTER = 64


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


# -- wildcards in Python ---------------------------------------------------------------------------

# A plan for one wildcard-free or simple run of text (an ARN part, or a whole non-ARN pattern):
# None: anything; str: exactly that; tuple: the pieces between `*`s; _Fixed: `?`s, no `*`.


class _Fixed(Struct, frozen=True, gc=False):
    """A run with `?` and no `*`: this length, these characters where the pattern has no `?`."""

    pattern: str


def _run_plan(text: str) -> Any:
    """The plan for one run of pattern text, or False when Python does not match it (`*` and `?`
    together)."""
    if text == "*":
        return None
    star, qmark = "*" in text, "?" in text
    if star and qmark:
        return False
    if star:
        return tuple(text.split("*"))
    if qmark:
        return _Fixed(text)
    return text


def _plan(pattern: str, arn: bool) -> Any:
    """How Python matches `pattern`: a run plan, for an ARN a list of part plans (one per part,
    split at the first five colons), or False when only a regex will do."""
    if not arn:
        return _run_plan(pattern)
    parts = [_run_plan(p) for p in pattern.split(":", 5)]
    return False if False in parts else parts


_cached_plan = lru_cache(maxsize=4096)(_plan)  # for substituted patterns, which requests repeat


def _pieces_match(pieces: tuple[str, ...], value: str) -> bool:
    """`value` against `a*b*c` given as ("a", "b", "c"): the first and last pieces anchored, each
    other one at its first place after the one before (which is right for `*`: an earlier place
    leaves the later pieces more room)."""
    first, last = pieces[0], pieces[-1]
    end = len(value) - len(last)
    if end < len(first) or not value.startswith(first) or not value.endswith(last):
        return False
    pos = len(first)
    for piece in pieces[1:-1]:
        if piece:
            at = value.find(piece, pos, end)
            if at < 0:
                return False
            pos = at + len(piece)
    return True


def _run_match(plan: Any, value: str) -> bool:
    if plan is None:
        return True
    kind = type(plan)
    if kind is str:
        return plan == value
    if kind is tuple:
        return _pieces_match(plan, value)
    text = plan.pattern
    return len(text) == len(value) and all(p == "?" or p == v for p, v in zip(text, value, strict=True))


def _plan_match(plan: Any, value: str) -> bool:
    if type(plan) is not list:
        return _run_match(plan, value)
    parts = value.split(":", 5)
    if len(parts) != len(plan):
        return False
    for part_plan, part in zip(plan, parts, strict=True):
        if part_plan is not None and not (part_plan == part if type(part_plan) is str else _run_match(part_plan, part)):
            return False
    return True


def _glob_match(pattern: str, value: str, arn: bool) -> bool:
    """One wildcard pattern against `value`: in Python when it can be, else by its regex."""
    plan = _cached_plan(pattern, arn)
    if plan is False:
        return glob_regex(pattern, arn=arn).fullmatch(value) is not None
    return _plan_match(plan, value)


def _literal_end(text: str, *, last: bool) -> str:
    """The run of `text` up to its first (`last`: after its last) `*` or `?`."""
    if last:
        return text[max(text.rfind("*"), text.rfind("?")) + 1 :]
    star, qmark = text.find("*"), text.find("?")
    if star < 0:
        return text if qmark < 0 else text[:qmark]
    return text[: star if qmark < 0 else min(star, qmark)]


class Globs:
    """Wildcard patterns (none of them a plain prefix), matched together: `fullmatch(value)` is
    True when one of them matches, else None, as a compiled pattern's is (so a `Globs` stands
    where a regex would). Python matches them until COMPILE_AFTER calls, then one regex does."""

    __slots__ = ("patterns", "arn", "heads", "_plans", "_regex", "_calls")

    def __init__(self, patterns: tuple[str, ...], *, arn: bool) -> None:
        self.patterns = patterns
        self.arn = arn
        # Each pattern's text before its first wildcard, set on the first call: a value that
        # starts with none of them matches none of the patterns, which one `startswith` tells.
        self.heads: tuple[str, ...] = ("",)
        self._plans: list[Any] | None = None  # planned on the first call
        self._regex: re.Pattern[str] | None = None
        self._calls = 0

    def __repr__(self) -> str:
        return f"Globs({self.patterns!r}, arn={self.arn})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Globs) and (self.patterns, self.arn) == (other.patterns, other.arn)

    def __hash__(self) -> int:
        return hash((self.patterns, self.arn))

    @property
    def regex(self) -> re.Pattern[str]:
        """All the patterns in one compiled alternation (compiled now if it was not yet)."""
        if self._regex is None:
            if len(self.patterns) == 1:
                self._regex = glob_regex(self.patterns[0], arn=self.arn)
            else:
                self._regex = compiled_regex("|".join(f"(?:{_translate(p, arn=self.arn)[0]})" for p in self.patterns))
        return self._regex

    def fullmatch(self, value: str) -> bool | None:
        if not value.startswith(self.heads):
            return None
        rx = self._regex
        if rx is not None:
            return True if rx.fullmatch(value) is not None else None
        plans = self._plans
        if plans is None:
            plans = self._plans = [(_literal_end(p, last=False), _plan(p, self.arn), p) for p in self.patterns]
            self.heads = tuple(head for head, _, _ in plans)
            if not value.startswith(self.heads):
                return None
        self._calls += 1
        if self._calls > COMPILE_AFTER:
            return True if self.regex.fullmatch(value) is not None else None
        for head, plan, pattern in plans:
            if value.startswith(head):
                if plan is False:  # `*` and `?` together: this pattern's own regex
                    if glob_regex(pattern, arn=self.arn).fullmatch(value) is not None:
                        return True
                elif _plan_match(plan, value):
                    return True
        return None


def glob_matcher(pattern: str, *, arn: bool) -> Globs:
    """One wildcard pattern, as a matcher with a regex's `fullmatch` (see `Globs`)."""
    return Globs((pattern,), arn=arn)


# -- pattern sets ---------------------------------------------------------------------------------


class _Template(Struct, frozen=True, gc=False):
    """A pattern with policy variables, and how to match it once they are substituted.

    `literal_safe`: its `${*}`-style escapes hold no wildcard character and (in an ARN) no
    variable stands before the fifth colon, so the pattern with each variable widened to `*` is
    the same test as the regex `skeleton`, and the substituted pattern a plain wildcard pattern
    whenever the values hold no `*`, `?` (nor, in an ARN, `:`)."""

    template: Template
    literal_safe: bool
    # The literal text before the first and after the last variable or wildcard: a value that
    # does not start and end with them cannot match, whatever the variables hold.
    head: str
    tail: str


def _template_info(tpl: Template, *, arn: bool) -> _Template:
    safe = True
    colons = 0
    for part in tpl:
        if isinstance(part, str):
            colons += part.count(":")
        elif isinstance(part, Exact):
            safe = safe and part.text not in ("*", "?")
        elif arn and colons < 5:
            safe = False
    first, last = tpl[0], tpl[-1]
    head = _literal_end(first, last=False) if isinstance(first, str) else ""
    tail = _literal_end(last, last=True) if isinstance(last, str) else ""
    return _Template(tpl, safe, head, tail)


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


_NOTHING: frozenset[str] = frozenset()


class PatternSet(Struct, gc=False):
    """A list of patterns (Action, Resource, ArnLike values...), sorted for `matches`.

    `exact`, `prefixes` and `any` are tested in C; `globs` (a `Globs`, or None) and the
    `templates` (patterns with policy variables) only when those fail. `regex`, `skeleton`,
    `templated` and `skeletons` give the compiled forms, compiling them on first use."""

    patterns: tuple[str, ...]
    any: bool
    exact: frozenset[str]
    prefixes: tuple[str, ...]  # patterns ending in their only wildcard, `*`, without it
    globs: Globs | None
    templates: tuple[Template, ...]
    lower: bool
    arn: bool = False
    _infos: tuple[_Template, ...] = ()
    # The templates' literal heads: a value that starts with none of them matches no template.
    template_heads: tuple[str, ...] = ()
    _compiled: Any = None  # (templated, skeletons, skeleton), built on first use

    @classmethod
    def compile(cls, patterns: tuple[str, ...], *, arn: bool, lower: bool, variables: bool) -> PatternSet:
        """`lower` for case-insensitive sets (actions); `variables` when Version is 2012-10-17.

        Nothing is compiled here (see the module docstring): the patterns are sorted in a few
        passes over the list, only the wildcard ones looked at one by one."""
        if len(patterns) == 1:  # the commonest case, in the fewest steps
            p = patterns[0].lower() if lower else patterns[0]
            tpl = parse_template(p) if variables and "${" in p else None
            if tpl is not None:
                info = _template_info(tpl, arn=arn)
                return cls(patterns, False, _NOTHING, (), None, (tpl,), lower, arn, (info,), (info.head,))
            if "*" not in p and "?" not in p:
                return cls(patterns, False, frozenset((p,)), (), None, (), lower, arn)
            if p == "*":
                return cls(patterns, True, _NOTHING, (), None, (), lower, arn)
            if "?" not in p and p.find("*") == len(p) - 1 and (not arn or p.count(":") >= 5):
                return cls(patterns, False, _NOTHING, (p[:-1],), None, (), lower, arn)
            return cls(patterns, False, _NOTHING, (), Globs((p,), arn=arn), (), lower, arn)
        values = list(map(str.lower, patterns)) if lower else list(patterns)
        templates: list[Template] = []
        if variables and "${" in (values[0] if len(values) == 1 else "\0".join(values)):
            plain = []
            for p in values:
                tpl = parse_template(p) if "${" in p else None
                if tpl is None:
                    plain.append(p)
                else:
                    templates.append(tpl)
            values = plain
        any_ = False
        prefixes: list[str] = []
        wild: list[str] = []
        if len(values) <= 16:
            exact_list = []
            for p in values:
                if "*" not in p and "?" not in p:
                    exact_list.append(p)
                elif p == "*":
                    any_ = True
                elif _is_prefix(p, arn=arn):
                    prefixes.append(p[:-1])
                else:
                    wild.append(p)
            exact = frozenset(exact_list)
        else:  # thousands of actions: sets and comprehensions, most names looked at in C
            wildcards = [p for p in values if "*" in p or "?" in p]
            rest = set(values)
            rest.difference_update(wildcards)
            exact = frozenset(rest)
            any_ = "*" in wildcards
            # _is_prefix, in line: a final `*` the only wildcard (spanning colons, in an ARN)
            prefixes = [p[:-1] for p in wildcards
                        if p[-1] == "*" and p.count("*") == 1 and "?" not in p and p != "*"
                        and (not arn or p.count(":") >= 5)]
            if len(prefixes) + any_ < len(wildcards):
                wild = [p for p in wildcards if p != "*" and not _is_prefix(p, arn=arn)]
        infos = tuple(_template_info(t, arn=arn) for t in templates) if templates else ()
        return cls(tuple(patterns), any_, exact, tuple(prefixes), Globs(tuple(wild), arn=arn) if wild else None,
                   tuple(templates), lower, arn, infos, tuple(info.head for info in infos))

    # -- compiled forms, on first use ---------------------------------------------------------

    @property
    def regex(self) -> re.Pattern[str] | None:
        """The wildcard patterns (not prefixes, not templates) as one regex, or None."""
        return self.globs.regex if self.globs is not None else None

    def _compile_templates(self) -> tuple[Any, ...]:
        c = self._compiled
        if c is None:
            templated = tuple(_template_fragments(t, arn=self.arn) for t in self.templates)
            skeletons = tuple(
                compiled_regex("".join(".*" if isinstance(f, Var) else f for f in frags)) for frags in templated
            )
            skeleton = compiled_regex("|".join(f"(?:{k.pattern})" for k in skeletons)) if skeletons else None
            c = self._compiled = (templated, skeletons, skeleton)
        return c

    @property
    def templated(self) -> tuple[tuple[Any, ...], ...]:
        """Each template as regex fragments and `Var`s (see `resolve_fragments`)."""
        return self._compile_templates()[0] if self.templates else ()

    @property
    def skeletons(self) -> tuple[re.Pattern[str], ...]:
        """One regex per template with each variable widened to `.*`: a necessary condition for
        a match, checked before paying for substitution."""
        return self._compile_templates()[1] if self.templates else ()

    @property
    def skeleton(self) -> re.Pattern[str] | None:
        """All the skeletons in one alternation, or None without templates."""
        return self._compile_templates()[2] if self.templates else None

    # -- matching -------------------------------------------------------------------------------

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
        if self.globs is not None and self.globs.fullmatch(value):
            return True
        if not self.templates:
            return False
        return self.matches_templates(value, ctx, missing, exhaustive=exhaustive)

    def matches_templates(
        self, value: str, ctx: dict[str, Any] | None, missing: set[str] | None, *, exhaustive: bool = False
    ) -> bool:
        """The patterns that hold policy variables, substituted from `ctx`. Unless `exhaustive`,
        a pattern whose variables are widened to match anything and still does not match is not
        substituted (nor are its unresolved variables noted)."""
        ctx = ctx or {}
        for n, info in enumerate(self._infos):
            if not exhaustive and not (value.startswith(info.head) and value.endswith(info.tail)):
                continue  # no value of the variables can make it match (nor is one missing)
            if info.literal_safe:
                found = _substitute(info.template, ctx, colon=self.arn)
                if found is _UNSAFE:
                    pass  # a value with a wildcard character or a colon: the regex way below
                elif found is None:  # a variable without a value: it matches nothing
                    if missing is not None and (exhaustive or self._skeleton_matches(n, value)):
                        missing.add(_first_unresolved(info.template, ctx))
                    continue
                else:
                    if _glob_match(found, value, self.arn):
                        return True
                    continue
            templated, skeletons, _ = self._compile_templates()
            if not exhaustive and skeletons[n].fullmatch(value) is None:
                continue
            src = resolve_fragments(templated[n], ctx, missing)
            if src is not None and compiled_regex(src).fullmatch(value) is not None:
                return True
        return False

    def _skeleton_matches(self, n: int, value: str) -> bool:
        """Whether template `n` with its variables widened to anything could match `value`."""
        info = self._infos[n]
        if info.literal_safe:
            widened = "".join(p if isinstance(p, str) else p.text if isinstance(p, Exact) else "*"
                              for p in info.template)
            return _glob_match(widened, value, self.arn)
        return self._compile_templates()[1][n].fullmatch(value) is not None

    def resolved(self, n: int, ctx: dict[str, Any], missing: set[str] | None) -> Any:
        """Template `n` substituted from `ctx`, as a matcher with `fullmatch` (None when a
        variable has no value, which is noted in `missing`); for condition values."""
        info = self._infos[n]
        if info.literal_safe:
            found = _substitute(info.template, ctx, colon=self.arn)
            if found is None:
                if missing is not None:
                    missing.add(_first_unresolved(info.template, ctx))
                return None
            if found is not _UNSAFE:
                return glob_matcher(found, arn=self.arn) if has_wildcard(found) else _Literal(found)
        src = resolve_fragments(self._compile_templates()[0][n], ctx, missing)
        return compiled_regex(src) if src is not None else None

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


class _Literal(Struct, frozen=True, gc=False):
    """A substituted pattern without wildcards: plain equality, with a regex's `fullmatch`."""

    text: str

    def fullmatch(self, value: str) -> bool | None:
        return True if value == self.text else None


_UNSAFE = object()  # `_substitute`: a value that Python's wildcard plans cannot take literally


def _substitute(template: Template, ctx: dict[str, Any], *, colon: bool) -> Any:
    """The template with its variables' values in: a wildcard pattern; None when a variable has
    no value; _UNSAFE when a value holds `*` or `?` (data, not wildcards) or, in an ARN, `:`."""
    text = resolve_exact(template, ctx)
    if text is None:
        return None
    for part in template:
        if isinstance(part, Var):
            v = lookup(part, ctx) or ""
            if "*" in v or "?" in v or (colon and ":" in v):
                return _UNSAFE
    return text


def _first_unresolved(template: Template, ctx: dict[str, Any]) -> str:
    return next(p.name for p in template if isinstance(p, Var) and lookup(p, ctx) is None)


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
