"""CSV cells made safe for spreadsheets: a cell that starts like a formula is shown as
text, never run (CSV injection: a username such as `=HYPERLINK(...)` in an export
must not become a live link or a command when the file is opened)."""

from __future__ import annotations

# OWASP's list of the characters a spreadsheet takes as the start of a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    return "'" + value if value.startswith(_FORMULA_START) else value
