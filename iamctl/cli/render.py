"""Everything that reaches the terminal goes through here; the only module importing rich.

Three formats render the same rows: `table` (Rich, for people), `json` (sorted keys, for
scripts and jq) and `text` (tab-separated, like the AWS CLI's text output). Rich is imported
inside the functions so that JSON and text output never pay for it.
"""

import json
import os
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Literal

OutputFormat = Literal["table", "json", "text"]
"""What `--output` takes."""
FORMATS: tuple[OutputFormat, ...] = ("table", "json", "text")

# Characters that act on a terminal instead of showing, or that disguise text: C0 controls (ESC
# starts ANSI and OSC sequences), DEL, C1 controls (U+009B is a one-character CSI), the Unicode
# bidirectional marks, embeddings, overrides and isolates ("Trojan Source"), the line and
# paragraph separators, and lone surrogates (which cannot even be written out as UTF-8).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                     "\ud800-\udfff]")
# The same, outside the C0 range that json.dumps escapes itself.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
                          "\ud800-\udfff]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep: str = "") -> str:
    """`text` safe for a terminal: every character in `_UNSAFE` (but those in `keep`) written
    as an escape, `\\x1b` for ESC, `\\u202e` for RIGHT-TO-LEFT OVERRIDE. Every human output and
    error goes through this, so a name, Sid or description cannot recolour, retitle or rewrite
    the terminal."""
    if _UNSAFE.search(text) is None:
        return text
    return _UNSAFE.sub(lambda m: m.group() if m.group() in keep else _escape(m), text)


def json_text(payload: Any, *, indent: int | None = 2, sort_keys: bool = True) -> str:
    """JSON text as iamctl prints it: UTF-8 as is, except the characters a terminal would act on
    (and lone surrogates, which UTF-8 cannot carry), as `\\uXXXX` escapes: the same JSON value."""
    text = json.dumps(payload, indent=indent, sort_keys=sort_keys, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def default_format() -> OutputFormat:
    """`table` on a terminal, `json` when stdout is piped or redirected."""
    try:
        return "table" if sys.stdout.isatty() else "json"
    except (AttributeError, ValueError):
        return "json"


def _console(stderr: bool = False):
    # A fresh console per call: CliRunner swaps the streams, and NO_COLOR / TTY may differ.
    from rich.console import Console  # lazy: heavy library

    return Console(
        file=sys.stderr if stderr else sys.stdout,
        no_color=bool(os.environ.get("NO_COLOR")) or None,
        highlight=False,
        soft_wrap=False,
    )


def error(message: str) -> None:
    """One line on stderr, no markup interpretation, no colour."""
    sys.stderr.write(f"iamctl: error: {visible(message)}\n")
    sys.stderr.flush()


def note(message: str) -> None:
    """A human note on stderr (warnings, hints): never mixed into stdout data."""
    sys.stderr.write(f"iamctl: {visible(message)}\n")
    sys.stderr.flush()


def json_dump(payload: Any) -> None:
    sys.stdout.write(json_text(payload) + "\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={_cell(v)}" for k, v in value.items())
    return visible(str(value), keep="\n")


def _text_cell(value: Any) -> str:
    # Tab-separated output must stay one record per line.
    return visible(_cell(value).replace("\t", " ").replace("\n", " "))


def rows(
    fmt: OutputFormat,
    *,
    key: str,
    items: Sequence[dict[str, Any]],
    columns: Sequence[str],
    title: str | None = None,
    extra: dict[str, Any] | None = None,
    styles: dict[str, dict[str, str]] | None = None,
) -> None:
    """A list of records: JSON `{key: [...]}`, text one line per record, or a table.

    `styles` colours table cells by value, e.g. {"Decision": {"allowed": "green"}}; colour
    shows only on a terminal without NO_COLOR.
    """
    if fmt == "json":
        json_dump({key: list(items), **(extra or {})})
    elif fmt == "text":
        for item in items:
            sys.stdout.write("\t".join(_text_cell(item.get(c)) for c in columns) + "\n")
    else:
        from rich.table import Table  # lazy: heavy library
        from rich.text import Text  # lazy: heavy library

        table = Table(title=title, show_lines=False)
        for column in columns:
            table.add_column(column, overflow="fold")  # ARNs wrap whole rather than lose their end
        styles = styles or {}
        for item in items:
            table.add_row(*(Text(_cell(item.get(c)), style=styles.get(c, {}).get(_cell(item.get(c)), ""))
                            for c in columns))
        _console().print(table)


def record(fmt: OutputFormat, *, key: str | None, item: dict[str, Any], title: str | None = None) -> None:
    """One record: JSON `{key: {...}}` (the bare object when `key` is None, as
    sts get-caller-identity prints), text `field<TAB>value` lines, or a two-column table."""
    if fmt == "json":
        json_dump(item if key is None else {key: item})
    elif fmt == "text":
        for field, value in item.items():
            sys.stdout.write(f"{field}\t{_text_cell(_flat(value))}\n")
    else:
        from rich.table import Table  # lazy: heavy library
        from rich.text import Text  # lazy: heavy library

        table = Table(title=title, show_header=False, show_lines=False)
        table.add_column("field", style="bold")
        table.add_column("value")
        for field, value in item.items():
            table.add_row(Text(field), Text(_cell(_flat(value))))
        _console().print(table)


def _flat(value: Any) -> Any:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "; ".join(_cell(v) for v in value)
    return value


def data(text: str) -> None:
    """Data a command produces in a file format of its own (CSV, JSON built by `json_text`),
    written to stdout unchanged."""
    sys.stdout.write(text)


def lines(text_lines: Iterable[str]) -> None:
    """Plain text, printed literally (no markup), control characters made visible."""
    for line in text_lines:
        sys.stdout.write(visible(line, keep="\t") + "\n")


@contextmanager
def progress(total: int, description: str, *, minimum: int = 0) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr for a long job; yields `advance(n)`.

    Shown only when both stdout and stderr are terminals and `total` reaches `minimum`: piped or
    redirected output stays quiet, and the yielded function then does nothing.
    """
    try:
        shown = total >= minimum and sys.stdout.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError):
        shown = False
    if not shown:
        def nothing(n: int = 1) -> None:
            return None

        yield nothing
        return
    from rich.progress import Progress  # lazy: heavy library

    with Progress(console=_console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)
        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance
