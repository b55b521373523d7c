"""Policy documents -> typed, frozen `Policy` / `Statement` objects, checked against the grammar once.

`check_policy` walks a document against the rules of `grammar.py` and returns every finding
(with its JSON path, and its line and column when the document is text) beside the `Policy` it
built; `parse_policy` is the same walk that raises `MalformedPolicyDocument` for the first ERROR.
`validate.py` adds its catalogue and security checks to the same walk's result, and storing a
policy refuses the same ERRORs: there is one grammar, walked once per document.

Every string-or-list element is normalised to a tuple here and every pattern list sorted into a
`PatternSet`, so the evaluator never re-parses anything; nothing is compiled to a regular
expression here (match.py says when that happens), so that a one-shot command pays only for
the statements its requests reach.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cached_property
from typing import Any, ClassVar, TypeAlias

from msgspec import Struct

from iamctl.core.base import jsonload
from iamctl.core.base.errors import MalformedPolicyDocument
from iamctl.core.engine import grammar
from iamctl.core.engine.conditions import (
    Condition,
    compile_condition,
    operator_spec,
    prepare_value,
    value_text,
)
from iamctl.core.engine.grammar import ERROR, SUGGESTION, WARNING, Finding, statement_label
from iamctl.core.engine.match import PatternSet, PrincipalSpec, has_wildcard

# Kept for callers that import them from here.
VERSIONS = grammar.VERSIONS
KINDS = grammar.KINDS
PolicyKind: TypeAlias = grammar.PolicyKind
Effect: TypeAlias = grammar.Effect


class Statement(Struct, frozen=True):
    """One statement, with its elements normalised and compiled."""

    index: int  # 0-based position in the policy
    sid: str | None
    effect: Effect
    actions: PatternSet
    not_action: bool
    resources: PatternSet | None  # None: no Resource element (resource/trust policies)
    not_resource: bool
    principal: PrincipalSpec | None
    not_principal: bool
    conditions: tuple[Condition, ...]
    raw: Mapping[str, Any]
    path: str = "$.Statement[0]"  # its JSON path in the document

    @property
    def is_deny(self) -> bool:
        return self.effect == "Deny"

    @property
    def label(self) -> str:
        """`statement "X"` (its Sid) or `statement #2` (counted from 1, as people count)."""
        return f'statement "{self.sid}"' if self.sid else f"statement #{self.index + 1}"

    def matches_action(self, action_l: str) -> bool:
        """Action / NotAction against a lower-cased action name (actions are case-insensitive)."""
        return self.actions.matches(action_l) != self.not_action


class Policy(Struct, frozen=True, dict=True):
    """A parsed policy document. `kind` is one of KINDS; `name` labels it in results.

    `warnings` are the grammar errors an evaluation tolerated (`parse_policy(strict=False)`),
    in words, for the simulator to pass on."""

    name: str
    kind: PolicyKind
    version: str | None
    id: str | None
    statements: tuple[Statement, ...]
    document: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    # Set per instance by __post_init__ (in the instance's __dict__; ClassVar keeps it from being
    # a field).
    _by_action: ClassVar[dict[str, tuple[tuple[Any, ...], ...]]]

    def __post_init__(self) -> None:
        # Action (lower-case) -> `entries_for`'s answer, filled as requests come, so that repeated
        # requests for the same action skip every statement that cannot apply and allocate
        # nothing to report a match. An attribute, not a field: a cache is neither compared nor
        # shown. (Not a cached_property: on Python 3.11 each first access of one takes a lock.)
        self.__dict__["_by_action"] = {}

    @property
    def _refs(self) -> tuple[MatchedStatement, ...]:
        """Each statement's MatchedStatement (the same objects every request reports)."""
        return tuple(entry[1] for entry, *_ in self._tests())

    def _tests(self) -> tuple[tuple[Any, ...], ...]:
        """For each statement, built on the policy's first request: (its `entries_for` tuple, and
        its Action list's any, exact, prefixes, globs and whether it is a NotAction), flat, for
        `entries_for`'s loop to unpack."""
        found: tuple[tuple[Any, ...], ...] | None = self.__dict__.get("_tests_")
        if found is None:
            tests = []
            name, kind = self.name, self.kind
            for s in self.statements:
                pats = s.resources
                if pats is not None and pats.any and not s.not_resource:
                    pats = None  # Resource "*": nothing to check per request
                entry = (s, MatchedStatement(name, kind, s.sid, s.effect, s.index), pats, s.conditions,
                         s.effect == "Deny")
                acts = s.actions
                tests.append((entry, acts.any, acts.exact, acts.prefixes, acts.globs, s.not_action))
            found = self.__dict__["_tests_"] = tuple(tests)
        return found

    def statements_for(self, action_l: str) -> tuple[Statement, ...]:
        """The statements whose Action/NotAction matches `action_l` (cached per action)."""
        return tuple(entry[0] for entry in self.entries_for(action_l))

    def entries_for(self, action_l: str) -> tuple[tuple[Any, ...], ...]:
        """For statements whose Action/NotAction matches `action_l`: (statement, MatchedStatement,
        resource PatternSet or None when any resource matches, conditions, is_deny). Flat tuples,
        because the evaluator's loop unpacks them instead of reading attributes.

        The first request for an action tests each statement's Action list in line (a set
        lookup, one `startswith`, and the wildcard patterns only when those fail); the answer
        is kept for the next request."""
        cache = self._by_action
        hit: tuple[tuple[Any, ...], ...] | None = cache.get(action_l)
        if hit is None:
            hit = tuple([
                entry
                for entry, any_, exact, prefixes, globs, negated in self._tests()
                if (any_ or action_l in exact or action_l.startswith(prefixes)
                    or (globs is not None and globs.fullmatch(action_l) is not None)) != negated
            ])
            if len(cache) >= 4096:
                cache.clear()  # bound the cache; unknown-action floods stay cheap
            cache[action_l] = hit
        return hit


class MatchedStatement(Struct, frozen=True):
    """A statement that determined the decision."""

    policy: str
    kind: PolicyKind
    sid: str | None
    effect: Effect
    index: int  # 0-based position in its policy

    def as_dict(self) -> dict[str, Any]:
        return {
            "policy": self.policy,
            "kind": self.kind,
            "sid": self.sid,
            "effect": self.effect,
            "index": self.index,
        }


# -- JSON text -------------------------------------------------------------------------------------


class DocumentSyntaxError(MalformedPolicyDocument):
    """JSON that does not parse; `line` and `column` are 1-based, `reason` is the parser's."""

    def __init__(self, message: str, *, line: int, column: int, reason: str) -> None:
        super().__init__(message)
        self.line, self.column, self.reason = line, column, reason


def load_document(text: str | bytes, *, duplicates: list[str] | None = None) -> Any:
    """Parse JSON text: the one place a policy document's text becomes data.

    Syntax errors raise DocumentSyntaxError with line and column. A key repeated in one object
    raises MalformedPolicyDocument, unless `duplicates` is given: then the repeated keys are
    appended to it (the last value wins, as in `json.loads`) for the caller to report.
    """
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise MalformedPolicyDocument(f"policy document is not UTF-8 text (byte {e.start})") from None

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                if duplicates is None:
                    raise MalformedPolicyDocument(f"duplicate key {k!r} in policy document")
                duplicates.append(k)
            out[k] = v
        return out

    try:
        return jsonload.loads(text, object_pairs_hook=pairs)
    except json.JSONDecodeError as e:
        raise DocumentSyntaxError(
            f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}", line=e.lineno, column=e.colno, reason=e.msg
        ) from None
    except RecursionError:
        raise MalformedPolicyDocument("policy document is nested too deeply") from None


class Positions:
    """Where each value of a JSON text starts (line, column), by JSON path, and the paths of
    repeated keys. Built only when a finding needs locating: the standard library parser
    reports no positions for valid documents, so this small scanner (reusing its string
    scanner) walks the text once more, for locations only."""

    def __init__(self, text: str) -> None:
        import bisect  # lazy: start-up

        self._ws = re.compile(r"[ \t\n\r]*")
        self._number = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
        self.text = text
        self.where: dict[str, tuple[int, int]] = {}
        self.duplicates: list[tuple[str, str]] = []  # (object path, key)
        self._lines = [0] + [m.end() for m in re.finditer("\n", text)]
        self._bisect = bisect.bisect_right
        self._value(self._skip(0), "$")

    def position(self, offset: int) -> tuple[int, int]:
        line = self._bisect(self._lines, offset)
        return line, offset - self._lines[line - 1] + 1

    def locate(self, path: str) -> tuple[int, int]:
        """The position of `path`, or of its nearest ancestor that has one."""
        while path not in self.where and path != "$":
            path = re.sub(r"(\.[^.\[]*|\[\d+\])$", "", path) or "$"
        return self.where.get(path, (1, 1))

    def _skip(self, i: int) -> int:
        m = self._ws.match(self.text, i)
        return m.end() if m else i

    def _value(self, i: int, path: str) -> int:
        # scanstring exists at run time (json's own string scanner); typeshed leaves it out.
        from json.decoder import scanstring  # type: ignore[attr-defined]  # lazy: start-up

        text = self.text
        self.where.setdefault(path, self.position(i))
        c = text[i]
        if c == "{":
            seen: set[str] = set()
            i = self._skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                key, i = scanstring(text, i + 1)
                child = f"{path}.{key}"
                if key in seen:
                    self.duplicates.append((path, key))
                    self.where.pop(child, None)  # point at the repeat
                seen.add(key)
                i = self._skip(self._skip(i) + 1)  # past ':'
                i = self._skip(self._value(i, child))
                if text[i] == "}":
                    return i + 1
                i = self._skip(i + 1)
        if c == "[":
            n = 0
            i = self._skip(i + 1)
            if text[i] == "]":
                return i + 1
            while True:
                i = self._skip(self._value(i, f"{path}[{n}]"))
                n += 1
                if text[i] == "]":
                    return i + 1
                i = self._skip(i + 1)
        if c == '"':
            return scanstring(text, i + 1)[1]
        for word in ("true", "false", "null"):
            if text.startswith(word, i):
                return i + len(word)
        m = self._number.match(text, i)
        return m.end() if m else i + 1


# -- the walk --------------------------------------------------------------------------------------


# Resource "*": never mutated (a PatternSet fills in only what its wildcards and templates need).
_ANY_RESOURCE = PatternSet.compile(("*",), arn=True, lower=False, variables=True)


def _at(path: str, n: int) -> str:
    """The JSON path of value `n` of a string-or-list element at `path` (-1: the lone string)."""
    return path if n < 0 else f"{path}[{n}]"


class StatementInfo(Struct, frozen=True):
    """What the walk learnt about one statement object, for the validator's further checks (also
    when the statement has errors and no `Statement` was built)."""

    index: int
    path: str
    raw: Mapping[str, Any]
    action_element: str | None  # "Action" | "NotAction" | None (missing)
    actions: tuple[tuple[str, int], ...]  # (well-formed value, its index: see `action_path`)
    condition_keys: tuple[tuple[str, str], ...]  # (key, its JSON path), for known operators

    def action_path(self, n: int) -> str:
        """The JSON path of an action value (`n` from `actions`)."""
        return _at(f"{self.path}.{self.action_element}", n)


class Analysis(Struct, frozen=True, dict=True):
    """`check_policy`'s answer: the findings in document order, the policy (None when an ERROR
    kept it from being built), and what the walk learnt about each statement object."""

    findings: tuple[Finding, ...]
    policy: Policy | None
    statements: tuple[StatementInfo, ...]
    version: str | None
    text: str | None = None  # the document's text, when it was given as text

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.type == ERROR]

    @cached_property
    def positions(self) -> Positions | None:
        """Where each value starts in the text (scanned on first use: only findings need it)."""
        return Positions(self.text) if self.text is not None else None

    def locate(self, path: str) -> tuple[int, int]:
        """(line, column) of a JSON path in the text; (0, 0) for a document given as an object."""
        pos = self.positions
        return pos.locate(path) if pos is not None else (0, 0)


def _a(word: str) -> str:
    return f"an {word}" if word[0] in "aeiou" else f"a {word}"


class _Walk:
    """One pass over a decoded document, collecting findings and building statements."""

    def __init__(self, kind: PolicyKind, *, strict: bool, infos: bool = True) -> None:
        self.kind = kind
        self.rules = grammar.RULES[kind]
        self.strict = strict
        self.findings: list[Finding] = []
        self.tolerated: list[str] = []
        self.infos: list[StatementInfo] = []
        self.keep_infos = infos  # False: `parse_policy`, which needs only the policy
        self._statement_errors = 0

    def add(self, kind: grammar.FindingType, code: str, message: str, path: str, index: int | None = None) -> None:
        self.findings.append(Finding(kind, code, message, index, path))
        if kind == ERROR and (self.strict or code not in grammar.TOLERABLE):
            self._statement_errors += 1

    def error(self, code: str, message: str, path: str, index: int | None = None) -> None:
        self.add(ERROR, code, message, path, index)

    # -- the document --------------------------------------------------------------------------

    def document(self, doc: Any) -> tuple[str | None, str | None, tuple[Statement, ...] | None] | None:
        if not isinstance(doc, Mapping):
            self.error("DATA_TYPE_MISMATCH", "policy document must be a JSON object", "$")
            return None
        for key in doc:
            if key not in grammar.TOP_ELEMENTS:
                self.error("INVALID_POLICY_ELEMENT", f"unknown top-level element {key!r}", f"$.{key}")
        version = doc.get("Version")
        if version is None:
            if self.rules.rcp:
                self.error("RCP_SYNTAX_ERROR_VERSION", 'an RCP must have "Version": "2012-10-17"', "$")
            else:
                self.add(SUGGESTION, "MISSING_VERSION", 'add "Version": "2012-10-17"; without it the policy uses '
                         "the 2008-10-17 language, where policy variables such as ${aws:username} are plain text", "$")
        elif version not in grammar.VERSIONS:
            self.error("INVALID_VERSION", f"Version must be one of {', '.join(grammar.VERSIONS)}, not {version!r}",
                       "$.Version")
            version = None
        elif self.rules.rcp and version != grammar.CURRENT_VERSION:
            self.error("RCP_SYNTAX_ERROR_VERSION", f'an RCP must have "Version": "2012-10-17", not {version!r}',
                       "$.Version")
        pid = doc.get("Id")
        if pid is not None and not isinstance(pid, str):
            self.error("DATA_TYPE_MISMATCH", "Id must be a string", "$.Id")
            pid = None
        if "Statement" not in doc:
            self.error("MISSING_STATEMENT", "missing Statement", "$")
            return None
        raw = doc["Statement"]
        if isinstance(raw, Mapping):
            items = [("$.Statement", raw)]
        elif isinstance(raw, list) and raw:
            items = [(f"$.Statement[{i}]", s) for i, s in enumerate(raw)]
        else:
            self.error("DATA_TYPE_MISMATCH", "Statement must be an object or a non-empty list of objects",
                       "$.Statement")
            return None
        # Policy variables exist only in the 2012-10-17 language ("IAM JSON policy elements: Version").
        variables = version == grammar.CURRENT_VERSION
        sids: dict[str, int] = {}
        statements: list[Statement] = []
        whole = True
        for index, (path, st) in enumerate(items):
            built = self.statement(index, path, st, variables, sids)
            if built is None:
                whole = False
            else:
                statements.append(built)
        return version, pid, tuple(statements) if whole else None

    # -- one statement -----------------------------------------------------------------------------

    def statement(self, i: int, path: str, st: Any, variables: bool, sids: dict[str, int]) -> Statement | None:
        if type(st) is not dict and not isinstance(st, Mapping):
            self.error("DATA_TYPE_MISMATCH", "a statement must be a JSON object", path, i)
            return None
        before = self._statement_errors
        sid = st.get("Sid")
        if sid is not None:
            if not isinstance(sid, str):
                self.error("DATA_TYPE_MISMATCH", "Sid must be a string", f"{path}.Sid", i)
                sid = None
            elif sid == "":
                self.add(SUGGESTION, "EMPTY_SID", "the Sid is empty: give the statement a unique, descriptive "
                         "Sid or remove the element", f"{path}.Sid", i)
                sid = None
            elif sid in sids:
                self.error("UNIQUE_SIDS_REQUIRED", f"duplicate Sid {sid!r} (also {statement_label(sids[sid])}); "
                           "statement ids must be unique in a policy", f"{path}.Sid", i)
            else:
                sids[sid] = i
        if not grammar.STATEMENT_ELEMENTS.issuperset(st):
            for key in st:
                if key not in grammar.STATEMENT_ELEMENTS:
                    self.error("INVALID_POLICY_ELEMENT", f"unknown element {key!r}", f"{path}.{key}", i)
        effect = st.get("Effect")
        if effect is None:
            self.error("MISSING_EFFECT", 'missing Effect ("Allow" or "Deny")', path, i)
        elif effect not in ("Allow", "Deny"):
            self.error("INVALID_EFFECT", f'Effect must be "Allow" or "Deny", not {effect!r}', f"{path}.Effect", i)
            effect = None
        elif self.rules.rcp and effect == "Allow" and not grammar.is_full_access_statement(st):
            self.error("RCP_SYNTAX_ERROR_EFFECT", 'a customer RCP can only Deny: "Allow" is only supported in '
                       f"the AWS managed {grammar.RCP_FULL_AWS_ACCESS_NAME}", f"{path}.Effect", i)

        act_el, actions, positions = self.actions(i, path, st)
        res_el, resources = self.resources(i, path, st, variables)
        if "Principal" in st or "NotPrincipal" in st or self.rules.principal == "required":
            pr_el, principal = self.principal(i, path, st, effect)
        else:
            pr_el, principal = None, None
        conditions, keys = self.conditions(i, path, st, variables) if "Condition" in st else ([], [])
        if self.keep_infos:
            numbered = zip(actions, range(len(actions)) if positions is None else positions, strict=True)
            self.infos.append(StatementInfo(i, path, st, act_el, tuple(numbered), tuple(keys)))
        if self._statement_errors != before or effect is None or act_el is None:
            return None
        return Statement(  # positional, in field order (index, sid, effect, actions, ...): the quickest
            i,
            sid,
            effect,
            PatternSet.compile(tuple(actions), arn=False, lower=True, variables=False),
            act_el == "NotAction",
            resources,
            res_el == "NotResource",
            principal,
            pr_el == "NotPrincipal",
            tuple(conditions),
            st,
            path,
        )

    def _one_of(self, i: int, path: str, st: Mapping[str, Any], a: str, b: str) -> str | None:
        if a in st:
            if b in st:
                self.error("INVALID_POLICY_ELEMENT", f"a statement cannot have both {a} and {b}", f"{path}.{b}", i)
            return a
        return b if b in st else None

    def _strings(self, i: int, path: str, value: Any, element: str) -> list[tuple[str, int]]:
        """(value, its index in the list, or -1 for a lone string) for a string-or-list element;
        type faults are findings. A value's JSON path is `_at(path, n)`, built only when needed
        (a policy such as ReadOnlyAccess holds thousands of actions)."""
        if isinstance(value, str) and value:
            return [(value, -1)]
        if not isinstance(value, list):
            self.error("DATA_TYPE_MISMATCH", f"{element} must be a non-empty string or list of strings", path, i)
            return []
        if not value:
            self.error("DATA_TYPE_MISMATCH", f"{element} must not be empty", path, i)
            return []
        out = []
        for n, v in enumerate(value):
            if isinstance(v, str) and v:
                out.append((v, n))
            else:
                self.error("DATA_TYPE_MISMATCH", f"{element} values must be non-empty strings, not {v!r}",
                           f"{path}[{n}]", i)
        return out

    def actions(self, i: int, path: str, st: Mapping[str, Any]) -> tuple[str | None, list[str], list[int] | None]:
        """(the element, its well-formed values, each one's index in the list as `_at` takes it;
        None: all of them, in order)."""
        raw = st.get("Action")
        rules = self.rules
        if type(raw) is str and "NotAction" not in st and not (rules.trust or rules.rcp) and grammar.is_action(raw):
            return "Action", [raw], None  # the commonest case: one well-formed action
        element = self._one_of(i, path, st, "Action", "NotAction")
        if element is None:
            self.error("MISSING_ACTION", "missing Action (or NotAction)", path, i)
            return None, [], []
        where = f"{path}.{element}"
        if element == "NotAction" and rules.trust:
            self.error("INVALID_POLICY_ELEMENT", "a trust policy names its actions with Action, not NotAction",
                       where, i)
        elif element == "NotAction" and rules.rcp:
            self.error("RCP_SYNTAX_ERROR_NOT_ACTION", "an RCP names its actions with Action: NotAction is not "
                       "supported", where, i)
        raw = st[element]
        if type(raw) is list and raw and not (rules.trust or rules.rcp) and grammar.all_actions(raw):
            # The common case, and the one that must be quick (ReadOnlyAccess lists ~2,900
            # actions): every value well-formed, no per-type action rule. One C-level pass.
            return element, raw, None
        found: list[str] = []
        positions: list[int] = []
        for action, n in self._strings(i, where, raw, element):
            if not grammar.is_action(action):
                self.error("INVALID_ACTION", f'{element} {action!r} must be "*" or prefaced by a service, e.g. '
                           "iam:GetUser", _at(where, n), i)
                continue
            if rules.trust and element == "Action":
                problem = grammar.trust_action_problem(action)
                if problem:
                    self.error("UNSUPPORTED_ACTION_IN_TRUST_POLICY", f"AssumeRolepolicy contained an invalid "
                               f"action: {action!r} ({problem}; a trust policy may grant only "
                               f"{', '.join(grammar.TRUST_ACTIONS)})", _at(where, n), i)
            if rules.rcp and action != "*" and not grammar.rcp_supports(action.partition(":")[0]):
                self.error("RCP_SYNTAX_ERROR_SERVICE", f"{action!r}: RCPs apply only to the services that support "
                           "them (AWS Organizations, \"Resource control policies\")", _at(where, n), i)
            found.append(action)
            positions.append(n)
        return element, found, positions

    def resources(self, i: int, path: str, st: Mapping[str, Any], variables: bool
                  ) -> tuple[str | None, PatternSet | None]:
        rule = self.rules.resource
        raw = st.get("Resource")
        if type(raw) is str and variables and rule != "forbidden" and "NotResource" not in st:
            if raw == "*":
                return "Resource", _ANY_RESOURCE
            if grammar.arn_problem(raw) is None:  # the commonest case: one well-formed ARN
                return "Resource", PatternSet.compile((raw,), arn=True, lower=False, variables=True)
        element = self._one_of(i, path, st, "Resource", "NotResource")
        if element is None:
            if rule == "required":
                self.error("MISSING_RESOURCE", "missing Resource (or NotResource)", path, i)
            return None, None
        where = f"{path}.{element}"
        if rule == "forbidden":
            self.error("INVALID_POLICY_ELEMENT", f"a role trust policy has no {element} element", where, i)
            return element, None
        raw = st[element]
        values = [(raw, -1)] if type(raw) is str and raw else self._strings(i, where, raw, element)
        good = []
        for arn, n in values:
            problem = grammar.arn_problem(arn)
            if problem:
                self.error("INVALID_ARN", f'{element} {arn!r} must be an ARN or "*": {problem}', _at(where, n), i)
            else:
                good.append(arn)
            if not variables:
                self.variable_check(i, arn, _at(where, n), variables)
        if not good:
            return element, None
        return element, PatternSet.compile(tuple(good), arn=True, lower=False, variables=variables)

    def variable_check(self, i: int, text: str, path: str, variables: bool) -> None:
        if not variables and grammar.has_variable(text):
            self.add(WARNING, "VARIABLE_WITHOUT_VERSION", f"{text!r} uses a policy variable, which is plain text "
                     'unless the policy has "Version": "2012-10-17"', path, i)

    def principal(self, i: int, path: str, st: Mapping[str, Any], effect: Any
                  ) -> tuple[str | None, PrincipalSpec | None]:
        element = self._one_of(i, path, st, "Principal", "NotPrincipal")
        rules = self.rules
        if element is None:
            if rules.principal == "required":
                self.error("MISSING_PRINCIPAL", f"missing Principal: {_a(self.kind)} policy statement names one", path, i)
            return None, None
        where = f"{path}.{element}"
        if rules.principal == "forbidden":
            self.error(rules.principal_code, f"{_a(self.kind)} policy cannot have a {element} element", where, i)
            return element, None
        value = st[element]
        if rules.rcp and (element == "NotPrincipal" or value != "*"):
            self.error("RCP_SYNTAX_ERROR_PRINCIPAL", 'an RCP names "Principal": "*" (narrow it with conditions '
                       "such as aws:PrincipalOrgID)", where, i)
            return element, None
        if element == "NotPrincipal":
            if rules.trust:
                self.tolerable(i, "NOT_PRINCIPAL_IN_TRUST_POLICY", "NotPrincipal cannot be used in a role trust "
                               "policy (it never grants anything here)", where)
            elif effect == "Allow":
                self.tolerable(i, "NOT_PRINCIPAL_WITH_ALLOW", 'NotPrincipal must be used with "Effect": "Deny"; '
                               'with "Allow" it is not supported (and grants nothing here)', where)
        if value == "*":
            return element, PrincipalSpec(
                True, False, frozenset(), frozenset(), frozenset(), frozenset(), frozenset(), value
            )
        if not isinstance(value, Mapping) or not value:
            self.error("INVALID_PRINCIPAL_FORMAT", f'{element} must be "*" or an object such as '
                       '{"AWS": "arn:aws:iam::111122223333:root"}', where, i)
            return element, None
        accounts: set[str] = set()
        arns: set[str] = set()
        services: set[str] = set()
        federated: set[str] = set()
        canonical: set[str] = set()
        unique_ids: set[str] = set()
        aws_any = False
        for key, raw in value.items():
            kwhere = f"{where}.{key}"
            if key not in grammar.PRINCIPAL_TYPES:
                self.error("INVALID_PRINCIPAL_KEY", f"unknown principal type {key!r} in {element} (use "
                           f"{', '.join(grammar.PRINCIPAL_TYPES)})", kwhere, i)
                continue
            values = self._strings(i, kwhere, raw, f"{element}.{key}")
            if key == "Service":
                services.update(v for v, _ in values)
            elif key == "Federated":
                federated.update(v for v, _ in values)
            elif key == "CanonicalUser":
                canonical.update(v for v, _ in values)
            else:
                for v, n in values:
                    vpath = _at(kwhere, n)
                    if v == "*":
                        aws_any = True
                    elif grammar.is_account_id(v):
                        accounts.add(v)
                    elif grammar.is_unique_id(v):
                        unique_ids.add(v)
                    elif has_wildcard(v):
                        self.tolerable(i, "INVALID_PRINCIPAL_WILDCARD", f"invalid principal {v!r}: a wildcard "
                                       "cannot match part of a principal ARN (it matches no principal here)", vpath)
                    else:
                        m = grammar.principal_arn(v)
                        if m is None:
                            self.error("INVALID_PRINCIPAL_FORMAT", f"invalid principal {v!r}: use an account id, a "
                                       'user, role or session ARN, or "*"', vpath, i)
                        elif m.group(2) == "root":
                            accounts.add(m.group(1))
                        else:
                            arns.add(v)
        return element, PrincipalSpec(
            False,
            aws_any,
            frozenset(accounts),
            frozenset(arns),
            frozenset(services),
            frozenset(federated),
            frozenset(canonical),
            value,
            frozenset(unique_ids),
        )

    def tolerable(self, i: int, code: str, message: str, path: str) -> None:
        """An ERROR that AWS refuses to store but an evaluation can tolerate (grammar.TOLERABLE)."""
        self.error(code, message, path, i)
        if not self.strict:
            self.tolerated.append(f"{statement_label(i)}: {message}")

    def conditions(self, i: int, path: str, st: Mapping[str, Any], variables: bool
                   ) -> tuple[list[Condition], list[tuple[str, str]]]:
        conditions: list[Condition] = []
        keys: list[tuple[str, str]] = []
        if "Condition" not in st:
            return conditions, keys
        block = st["Condition"]
        where = f"{path}.Condition"
        if type(block) is not dict and not isinstance(block, Mapping):
            self.error("DATA_TYPE_MISMATCH", "Condition must be an object of operator -> {key: values}", where, i)
            return conditions, keys
        keep = self.keep_infos
        for op, entries in block.items():
            spec = operator_spec(op)
            if spec is None:
                self.error("INVALID_CONDITION_OPERATOR", f"invalid condition operator {op!r}", f"{where}.{op}", i)
                continue
            qualifier, base, family, _negated, if_exists = spec
            if family == "null" and (if_exists or qualifier):
                self.error("NULL_WITH_IF_EXISTS", f"Null cannot take IfExists or a set operator ({op!r})",
                           f"{where}.{op}", i)
                continue
            if (type(entries) is not dict and not isinstance(entries, Mapping)) or not entries:
                self.error("DATA_TYPE_MISMATCH", f"Condition {op!r} must map condition keys to values",
                           f"{where}.{op}", i)
                continue
            check_variables = not variables and family in grammar.VARIABLE_FAMILIES
            for key, raw_values in entries.items():
                if ":" not in key or key.startswith(":") or key.endswith(":"):
                    self.error("INVALID_CONDITION_KEY_FORMAT", f"condition key {key!r} must be prefix:name, e.g. "
                               "aws:SourceIp", f"{where}.{op}.{key}", i)
                    continue
                if keep:
                    keys.append((key, f"{where}.{op}.{key}"))
                if type(raw_values) is str and not check_variables:  # the commonest case: one string value
                    try:
                        value = prepare_value(family, base, raw_values, variables=variables)
                    except ValueError:
                        self.error("INVALID_CONDITION_DATA_TYPE", f"invalid value for {op} {key}: {raw_values!r} "
                                   f"(it takes {grammar.FAMILY_VALUES.get(family, family + ' values')})",
                                   f"{where}.{op}.{key}", i)
                        continue
                    conditions.append(compile_condition(op, key, (raw_values,), variables=variables,
                                                        prepared=(value,), spec=spec))
                    continue
                kwhere = f"{where}.{op}.{key}"
                items = raw_values if isinstance(raw_values, list) else [raw_values]
                if not items:
                    self.error("DATA_TYPE_MISMATCH", f"condition {op} {key} has no values", kwhere, i)
                    continue
                texts: list[str] = []
                prepared: list[Any] = []
                listed = isinstance(raw_values, list)
                for n, v in enumerate(items):
                    text = v if type(v) is str else value_text(v)
                    if text is None:
                        self.error("DATA_TYPE_MISMATCH", f"condition values must be strings, numbers or booleans, "
                                   f"not {v!r}", _at(kwhere, n if listed else -1), i)
                        continue
                    try:
                        prepared.append(prepare_value(family, base, text, variables=variables))
                    except ValueError:  # binascii.Error is one too
                        self.error("INVALID_CONDITION_DATA_TYPE", f"invalid value for {op} {key}: {text!r} (it takes "
                                   f"{grammar.FAMILY_VALUES.get(family, family + ' values')})",
                                   _at(kwhere, n if listed else -1), i)
                        continue
                    if check_variables:
                        self.variable_check(i, text, _at(kwhere, n if listed else -1), variables)
                    texts.append(text)
                if len(texts) == len(items):
                    conditions.append(compile_condition(op, key, tuple(texts), variables=variables,
                                                        prepared=tuple(prepared), spec=spec))
        return conditions, keys


_SYNTAX = "fix the JSON syntax error: "


def check_policy(document: str | bytes | Mapping[str, Any], *, kind: PolicyKind = "identity", name: str = "policy",
                 strict: bool = True) -> Analysis:
    """Walk a document against the grammar for `kind`; every finding, and the policy when it has
    no ERROR (with `strict=False`, tolerable ERRORs still build it: see grammar.TOLERABLE).

    A JSON syntax error is a finding too (JSON_SYNTAX_ERROR), as is a repeated key (DUPLICATE_KEYS).
    """
    return _check(document, kind=kind, name=name, strict=strict, full=True)


def _check(document: str | bytes | Mapping[str, Any], *, kind: PolicyKind, name: str, strict: bool,
           full: bool) -> Analysis:
    """`check_policy`; without `full`, for `parse_policy`: no StatementInfos and no line and
    column for the findings (only an error's message needs them, and it walks again)."""
    if kind not in grammar.KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; expected one of {', '.join(grammar.KINDS)}")
    text: str | None = None
    findings: list[Finding] = []
    if isinstance(document, str | bytes):
        duplicates: list[str] = []
        try:
            doc = load_document(document, duplicates=duplicates)
        except DocumentSyntaxError as e:
            found = Finding(ERROR, "JSON_SYNTAX_ERROR", f"{_SYNTAX}{e.reason}", None, "$",
                            e.line, e.column)
            return Analysis((found,), None, (), None, None)
        text = document.decode("utf-8") if isinstance(document, bytes) else document
        if duplicates:
            for parent, key in Positions(text).duplicates:
                findings.append(Finding(ERROR, "DUPLICATE_KEYS", f"duplicate key {key!r} in policy document (only "
                                        "the last would be used)", None, f"{parent}.{key}"))
    else:
        doc = document
    walk = _Walk(kind, strict=strict, infos=full)
    walked = walk.document(doc)
    findings += walk.findings
    policy = None
    version = None
    if walked is not None:
        version, pid, statements = walked
        blocking = [f for f in findings if f.type == ERROR and (strict or f.code not in grammar.TOLERABLE)]
        if statements is not None and not blocking:
            policy = Policy(name=name, kind=kind, version=version, id=pid, statements=statements,
                            document=doc, warnings=tuple(walk.tolerated))
    positions = Positions(text) if full and findings and text is not None else None
    if positions is not None:
        # Give each finding its line and column (they stay in document order).
        findings = [Finding(f.type, f.code, f.message, f.statement, f.path, *positions.locate(f.path))
                    for f in findings]
    analysis = Analysis(tuple(findings), policy, tuple(walk.infos), version, text)
    if positions is not None:
        analysis.__dict__["positions"] = positions  # scanned once: the cached property's value
    return analysis


def parse_policy(document: str | bytes | Mapping[str, Any], *, name: str = "policy", kind: PolicyKind = "identity",
                 strict: bool = True) -> Policy:
    """Parse and check a policy document (JSON text or an already-decoded object).

    `kind` is one of "identity", "resource", "trust", "boundary", "session", "scp", "rcp".
    Raises `MalformedPolicyDocument` for the first ERROR finding, naming the statement (counted
    from 1, with its Sid) and the fault, or the line and column of a JSON syntax error. With
    `strict=False` (evaluating a document rather than storing it) the errors in
    grammar.TOLERABLE are not raised but kept as `Policy.warnings`.
    """
    quick = _check(document, kind=kind, name=name, strict=strict, full=False)
    if quick.policy is not None:
        return quick.policy
    result = check_policy(document, kind=kind, name=name, strict=strict)  # again, for the message's detail
    blocking = [f for f in result.errors if strict or f.code not in grammar.TOLERABLE]
    first = blocking[0] if blocking else result.errors[0]
    raise MalformedPolicyDocument(finding_message(first, result))


def finding_message(f: Finding, result: Analysis) -> str:
    """A MalformedPolicyDocument message for an ERROR finding: the statement (counted from 1,
    with its Sid), the fault, and the code and position for tools."""
    if f.code == "JSON_SYNTAX_ERROR":
        return f"invalid JSON at line {f.line} column {f.column}: {f.message.removeprefix(_SYNTAX)}"
    sid = None
    if f.statement is not None:
        for info in result.statements:
            if info.index == f.statement:
                raw_sid = info.raw.get("Sid")
                sid = raw_sid if isinstance(raw_sid, str) and raw_sid else None
                break
    where = "" if f.statement is None else f"{statement_label(f.statement, sid)}: "
    at = f"{f.code} at {f.path}" + (f", line {f.line}, column {f.column}" if f.line else "")
    return f"{where}{f.message} ({at})"
