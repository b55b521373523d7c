"""CSV cells that a spreadsheet would run as formulas (OWASP, "CSV Injection").

A cell starting with `=`, `+`, `-` or `@` (or a tab or carriage return) is a formula to Excel,
LibreOffice and Google Sheets: `=HYPERLINK(...)` in a user name or a tag would run when an
administrator opens a credential report or a user export. OWASP's remedy is to prefix such a
cell with a single quote, which spreadsheets show as text. IAM names, paths, tags and ARNs
never start with a quote, so `user import` removes the prefix again and an export imports back
unchanged.
"""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text: a leading `'` before a formula character."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def restore(cell: str) -> str:
    """The value `neutralise` protected (any other cell is returned as it is)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(FORMULA_START) else cell
