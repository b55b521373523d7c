"""Golden files: a long rendering compared exactly with tests/golden/NAME, with a readable diff.

`pytest --update-golden` (tests/conftest.py) rewrites the files from the current output instead;
review the change with `git diff tests/golden`, then commit it.
"""

from __future__ import annotations

import difflib
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = "pytest --update-golden"


class GoldenMismatch(AssertionError):
    pass


def compare(path: Path, actual: str, *, update: bool = False) -> None:
    """`actual` must equal the file at `path` byte for byte; with `update`, the file becomes it."""
    if update:
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
        return
    if not path.exists():
        raise GoldenMismatch(f"no golden file {path.name} yet: run `{UPDATE}`, review it and commit it")
    expected = path.read_text(encoding="utf-8")
    if actual == expected:
        return
    # Trailing blanks are part of a table's lines; show them so the diff explains itself.
    visible = [line.replace(" \n", "·\n") if line.endswith(" \n") else line
               for line in difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                                f"tests/golden/{path.name}", "the output now")]
    raise GoldenMismatch(f"the output differs from tests/golden/{path.name}:\n{''.join(visible)}\n"
                         f"If the change is intended, run `{UPDATE}` and commit the new file.")
