"""Cells of a CSV the bot hands people, safe to open in a spreadsheet (pure).

A spreadsheet runs a cell that starts with `=`, `+`, `-` or `@` (and, in some, a tab or a
carriage return) as a formula: text someone typed — an address, a role, a reason — could
then compute, link or fetch. `text_cell` makes any such cell read as text.
"""

from __future__ import annotations

__all__ = ["FORMULA_START", "text_cell"]

# A spreadsheet runs a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    return f"'{value}" if value.startswith(FORMULA_START) else value
