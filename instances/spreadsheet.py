"""CSV cells a spreadsheet will not run: every CSV cabench writes (sweeps, experiments, tables,
the per-player and per-coalition exports) passes its text cells through :func:`neutral`.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
spreadsheet programs (CSV injection: a player named ``=HYPERLINK(...)`` in an instance file
would run when the results are opened). Such a cell gets a leading apostrophe, as OWASP advises
and common CSV writers do, unless it is a number written plainly (``-3``, ``-0.5``, ``-5/151``):
then it is left as it is. A cell that starts with an apostrophe gets one too, so that two names
never become one cell (``'=x`` and ``=x`` were both written ``'=x``): a reader takes off one
leading apostrophe to get the name back.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

__all__ = ["FORMULA_START", "neutral", "records_csv", "restored"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What a text cell starts with when a spreadsheet reads it as a formula."""

_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?\d+/\d+", re.ASCII)
"""A number written plainly: a decimal or an exact fraction (Python's ``float`` also reads
``-nan``, ``-inf`` and ``-1_0``, which a spreadsheet does not read as numbers)."""


def neutral(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet will not read as a formula (module docstring).

    Examples
    --------
    >>> neutral("=HYPERLINK(1)"), neutral("-3"), neutral("p1"), neutral(-3), neutral("-5/151")
    ("'=HYPERLINK(1)", '-3', 'p1', -3, '-5/151')
    >>> neutral("'=x"), neutral("-inf")
    ("''=x", "'-inf")
    """
    if not isinstance(value, str):
        return value
    if value.startswith("'"):
        return "'" + value
    if not value.startswith(FORMULA_START) or _NUMBER.fullmatch(value):  # (a negative number, not a formula)
        return value
    return "'" + value


def restored(value: Any) -> Any:
    """The value :func:`neutral` was given, from the cell it wrote: one leading apostrophe taken
    off (cabench reads its own CSVs back through it: a sweep resumed wrote every earlier row
    through :func:`neutral` again, one more apostrophe at each run).

    Examples
    --------
    >>> [restored(neutral(v)) for v in ("=x", "'=x", "-3", "p1", 5)]
    ['=x', "'=x", '-3', 'p1', 5]
    """
    return value[1:] if isinstance(value, str) and value.startswith("'") else value


def records_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """``rows`` as CSV text: a header line of ``columns``, then one line per row, every cell
    passed through :func:`neutral` (the per-player, per-coalition and per-agent exports).

    Examples
    --------
    >>> print(records_csv(("player", "MIEW"), [{"player": "=p1", "MIEW": 25}]), end="")
    player,MIEW
    '=p1,25
    """
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(columns), lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: neutral(v) for k, v in row.items()} for row in rows)
    return buffer.getvalue()
