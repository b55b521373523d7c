"""The one JSON loader for everything a user hands iamctl: policy documents, trust policies,
authorization-details files, JSON Lines rows, context files, claims, JWKS.

`json.loads` alone accepts what no IAM input needs and what later crashes or poisons the
account directory: nesting deep enough to exhaust the interpreter's stack (a RecursionError),
integers longer than Python converts (a ValueError), `NaN` and `Infinity` (not JSON at all,
RFC 8259 section 6), and escaped lone surrogates (`"\\ud800"`), which decode to a string that
cannot be written out as UTF-8 again. `loads` refuses each of them with a
`json.JSONDecodeError` carrying the line and column, so every caller's existing handling of a
syntax error reports these too, in its own words.

Limits: `MAX_DEPTH` levels of arrays and objects (policies nest about 6, authorization details
about 10), numbers of at most `MAX_NUMBER_CHARS` characters, and finite floats only. The checks
cost nothing measurable for policy-sized text: the depth walk runs only when the text holds more
than `MAX_DEPTH` brackets, the string walk only when it holds a surrogate or its escape.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from typing import Any

from iamctl.core.base.errors import StoreError

MAX_DEPTH = 64
MAX_NUMBER_CHARS = 100

# A surrogate code point, or the escape of one, anywhere in the text: only then can a decoded
# string hold a lone surrogate.
_SURROGATE = re.compile(r"[\ud800-\udfff]|\\u[dD][89abAB]")
# Tokens of (syntactically valid) JSON text, to find where a refused value starts.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]|-?Infinity|NaN|-?[0-9][0-9.eE+-]*')
_LONE = re.compile(r"[\ud800-\udfff]")


class _Refused(Exception):
    """Raised inside the decoder's hooks; turned into a JSONDecodeError with a position."""

    def __init__(self, what: str, problem: str):
        super().__init__(problem)
        self.what = what
        self.problem = problem


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused("number", f"a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS})")
    return int(text)


def _float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused("number", f"a number of {len(text):,} characters (at most {MAX_NUMBER_CHARS})")
    value = float(text)
    if not math.isfinite(value):
        raise _Refused("number", f"the number {text} is out of range")
    return value


def _constant(text: str) -> Any:
    raise _Refused("constant", f"{text} is not a JSON value")


def loads(text: str | bytes, *, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None) -> Any:
    """`json.loads` with limits: deep nesting, huge or non-finite numbers, NaN/Infinity and lone
    surrogates raise `json.JSONDecodeError` (message, line, column), like a syntax error."""
    if isinstance(text, bytes | bytearray):
        text = text.decode("utf-8")
    try:
        value = json.loads(text, parse_int=_int, parse_float=_float, parse_constant=_constant,
                           object_pairs_hook=object_pairs_hook)
    except _Refused as e:
        raise _error(e.problem, text, _find(text, e.what)) from None
    except RecursionError:
        raise _error(f"nested more than {MAX_DEPTH} levels deep", text, _find(text, "depth")) from None
    if text.count("[") + text.count("{") > MAX_DEPTH and _depth_exceeds(value):
        raise _error(f"nested more than {MAX_DEPTH} levels deep", text, _find(text, "depth"))
    # Two C-speed scans spare the regex for nearly every document: ASCII text holds no raw
    # surrogate, and one without any `\u` escape none escaped either.
    may_hold = not text.isascii() or "\\u" in text
    if may_hold and _SURROGATE.search(text) and _has_lone_surrogate(value):
        raise _error("a string holds a lone surrogate (an unpaired \\ud800-\\udfff), which is not Unicode text",
                     text, _find(text, "surrogate"))
    return value


def _error(problem: str, text: str, pos: int) -> json.JSONDecodeError:
    return json.JSONDecodeError(problem, text, pos)


def _depth_exceeds(value: Any) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > MAX_DEPTH:
                    return True
                stack.append((child, depth + 1))
    return False


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if _LONE.search(item):
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _find(text: str, what: str) -> int:
    """The offset of the first refused value of kind `what` (0 when it cannot be placed)."""
    depth = 0
    for m in _TOKEN.finditer(text):
        token = m.group()
        first = token[0]
        if first in "[{":
            depth += 1
            if what == "depth" and depth > MAX_DEPTH:
                return m.start()
        elif first in "]}":
            depth -= 1
        elif first == '"':
            if what == "surrogate" and (_LONE.search(token) or "\\u" in token):
                try:
                    if _LONE.search(json.loads(token)):
                        return m.start()
                except ValueError:
                    continue
        elif what == "constant" and token.lstrip("-") in ("Infinity", "NaN"):
            return m.start()
        elif what == "number" and first in "-0123456789":
            if len(token) > MAX_NUMBER_CHARS:
                return m.start()
            try:
                if not math.isfinite(float(token)):
                    return m.start()
            except ValueError:
                continue
    return 0


def stored(text: str, *, where: str) -> Any:
    """JSON text kept in the account directory (a policy document, an imported field), parsed
    with the same limits; damage is a StoreError naming `where`, never an internal error."""
    try:
        return loads(text)
    except json.JSONDecodeError as e:
        raise StoreError(f"{where}: damaged: not acceptable JSON ({e.msg} at line {e.lineno}, column {e.colno}); "
                         "`iamctl account check` lists every damaged file") from None
