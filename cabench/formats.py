"""Tables in the formats of ``--format``: a terminal table, JSON, CSV, Markdown and LaTeX
(booktabs). A :class:`TableData` holds the cells as text (numbers already formatted in full,
never cut); each renderer only lays them out. A table may also carry its rows as typed
``records`` (numbers as numbers, one column per quantity): JSON and CSV, the formats read by
programs, then write those instead of the text."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

from instances.spreadsheet import neutral
from instances.writer import floats_written_alike

__all__ = ["FORMATS", "LATEX_SPECIAL", "TableData", "csv_text", "indented_json", "json_text", "latex", "latex_escape",
           "latex_label", "markdown", "render", "rich_table"]

FORMATS = ("table", "json", "csv", "markdown", "latex")


@dataclass(frozen=True)
class TableData:
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: tuple[str, ...] = ()  # "l" or "r" per column; numbers right
    notes: tuple[str, ...] = ()
    # the rows for JSON and CSV, when the text cells join several numbers ("0.500 ± 0.012",
    # "4 / 0 / 0"): column -> int, float or str, None where there is no value
    records: tuple[dict[str, object], ...] = ()

    def machine(self) -> tuple[tuple[str, ...], list[list[object]]]:
        """The columns and rows that JSON and CSV write: the records when there are any, else
        the text cells."""
        if not self.records:
            return self.columns, [list(row) for row in self.rows]
        columns = tuple(dict.fromkeys(c for r in self.records for c in r))
        return columns, [[r.get(c) for c in columns] for r in self.records]

    def aligned(self) -> tuple[str, ...]:
        return self.align or tuple("l" for _ in self.columns)


def markdown(tables: list[TableData]) -> str:
    """GitHub-flavoured Markdown: a bold title line, the table, its notes."""
    out = []
    for t in tables:
        out.append(f"**{_md(t.title)}**\n")
        out.append("| " + " | ".join(_md(c) for c in t.columns) + " |")
        out.append("|" + "|".join("---:" if a == "r" else ":---" for a in t.aligned()) + "|")
        out += ["| " + " | ".join(_md(c) for c in row) + " |" for row in t.rows]
        out += [""] + [_md(n) for n in t.notes] + [""] if t.notes else [""]
    return "\n".join(out).rstrip("\n") + "\n"


_MD_SPECIAL = re.compile(r"([\\|*`\[\]<>~&])|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
"""What Markdown would read as syntax in a cell: emphasis, code, links, HTML, entities, strike,
the table's bars; an underscore only where it can open or close emphasis (``MIEW_i`` stays)."""


def _md(text: str) -> str:
    """``text`` as literal Markdown: a player named ``*star*`` or ``[x](y)`` showed in italics or
    as a link (CommonMark's backslash escapes of ASCII punctuation)."""
    return _MD_SPECIAL.sub(lambda m: "\\" + m.group(0), str(text)).replace("\n", " ")


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                 "|": r"\textbar{}", "<": r"\textless{}", ">": r"\textgreater{}",
                 "±": r"$\pm$", "ε": r"$\varepsilon$", "−": "{--}", "–": "{--}", "≥": r"$\geq$",
                 "[": "{[}", "]": "{]}"}
"""Characters LaTeX reads as commands, and a few it would not print. Brackets are braced: a cell
starting with ``[`` after a row's ``\\`` was read as its optional argument (a family named for a
file ``[x].json`` broke the table); so is an en dash, which a hyphen beside it made an em dash."""


def latex_escape(text: str) -> str:
    """``text`` as LaTeX prints it: :data:`LATEX_SPECIAL` replaced, and ``--`` kept two hyphens
    (``--per-point``, which LaTeX would join into an en dash)."""
    text = str(text)
    return "".join("-{}" if ch == "-" and text[k + 1:k + 2] == "-" else LATEX_SPECIAL.get(ch, ch)
                   for k, ch in enumerate(text))


def latex_label(title: str, taken: set[str]) -> str:
    """A ``\\label`` key for a table of this title: ``tab:`` and the title's ASCII letters and
    digits in lower case, runs of anything else as one ``-``, made unique among ``taken`` (which
    it joins) by ``-2``, ``-3``...

    Examples
    --------
    >>> taken = set()
    >>> latex_label("seed-004-example: exact expectations", taken), latex_label("Coût", taken)
    ('tab:seed-004-example-exact-expectations', 'tab:co-t')
    >>> latex_label("seed-004-example: exact expectations", taken), latex_label("€", taken)
    ('tab:seed-004-example-exact-expectations-2', 'tab:table')
    """
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "table"
    label, k = f"tab:{slug}", 1
    while label in taken:
        k += 1
        label = f"tab:{slug}-{k}"
    taken.add(label)
    return label


def latex(tables: list[TableData]) -> str:
    """One ``table`` environment per table: booktabs rules (``\\usepackage{booktabs}``), the
    title as caption with a label to cite it by (:func:`latex_label`), notes below."""
    out: list[str] = []
    taken: set[str] = set()
    for t in tables:
        out += [r"\begin{table}[t]", r"\centering", rf"\caption{{{latex_escape(t.title)}}}",
                rf"\label{{{latex_label(t.title, taken)}}}",
                rf"\begin{{tabular}}{{{''.join(t.aligned())}}}", r"\toprule",
                " & ".join(latex_escape(c) for c in t.columns) + r" \\", r"\midrule"]
        out += [" & ".join(latex_escape(c) for c in row) + r" \\" for row in t.rows]
        out += [r"\bottomrule", r"\end{tabular}"]
        out += [rf"\par\smallskip{{\footnotesize {latex_escape(n)}}}" for n in t.notes]
        out += [r"\end{table}", ""]
    return "\n".join(out)


def csv_text(tables: list[TableData]) -> str:
    """CSV: one table as is; several tables as one tidy table: a single header, a first column
    ``table`` naming each row's table, and the union of the tables' columns (empty where a row's
    table has no such column), so that ``pandas.read_csv`` or a spreadsheet reads it at once."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    machine = [t.machine() for t in tables]
    if len(tables) == 1:
        columns, rows = machine[0]
        writer.writerow(map(neutral, columns))
        writer.writerows([_csv_cell(c) for c in row] for row in rows)
        return buffer.getvalue()
    columns = list(dict.fromkeys(c for names, _ in machine for c in names))
    writer.writerow(["table", *columns])
    for t, (names, rows) in zip(tables, machine):
        for row in rows:
            cells = dict(zip(names, row))
            writer.writerow([neutral(t.title), *(_csv_cell(cells.get(c)) for c in columns)])
    return buffer.getvalue()


def _csv_cell(value: object) -> object:
    """A CSV cell: empty for no value (None, NaN); a float is written in full (its ``repr``); a
    text a spreadsheet would run as a formula gets a leading apostrophe (``instances.spreadsheet``)."""
    return "" if value is None or isinstance(value, float) and value != value else neutral(value)


_ORJSON = orjson.OPT_INDENT_2 | orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS | (
    orjson.OPT_PASSTHROUGH_DATETIME)


def indented_json(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False)``, byte for byte, written by orjson (in C:
    a 500-player report with knowledge is 7 MB of JSON, 0.2 s with ``json``'s indenting encoder,
    which is pure Python, and 0.015 s here). Whatever orjson would write differently or refuses
    goes to ``json`` itself: floats (``1e-05`` against ``1e-5``), integers beyond 64 bits,
    non-string keys, lone surrogates, subclasses of the builtin types, dataclasses and dates
    (``json`` refuses the last two, as before). One difference is kept: NaN and infinities,
    which JSON has no words for, are written ``null`` (``json`` writes ``NaN``, which JSON
    readers refuse); a report holds no float at all."""
    try:
        out = orjson.dumps(data, option=_ORJSON)
    except TypeError:  # orjson.JSONEncodeError included
        out = None
    if out is None or not floats_written_alike(out):
        return json.dumps(data, indent=2, ensure_ascii=False)
    return out.decode()


def json_text(tables: list[TableData]) -> str:
    data = []
    for t in tables:
        columns, rows = t.machine()
        data.append({"title": t.title, "columns": list(columns),
                     "rows": [dict(zip(columns, map(_json_value, r))) for r in rows], "notes": list(t.notes)})
    return json.dumps(data[0] if len(data) == 1 else data, indent=2, ensure_ascii=False) + "\n"


def _json_value(value: object) -> object:
    """NaN and infinities, which JSON has no words for, as null; an exact decimal (money in the
    file's units) as a JSON number: an integer, or the nearest float when it has decimals."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and value.as_tuple().exponent >= 0 else float(value)
    return None if isinstance(value, float) and not math.isfinite(value) else value


def rich_table(t: TableData):
    """A rich table that never cuts a cell (it wraps instead when the terminal is narrow)."""
    from rich.table import Table
    from rich.text import Text

    table = Table(title=t.title, header_style="bold")
    for column, a in zip(t.columns, t.aligned()):
        table.add_column(column, justify="right" if a == "r" else "left", overflow="fold")
    for row in t.rows:
        table.add_row(*(Text(str(c)) for c in row))
    return table


def render(tables: list[TableData], fmt: str) -> str | None:
    """The text of ``tables`` in ``fmt``; None for "table" (print :func:`rich_table` instead)."""
    return {"json": json_text, "csv": csv_text, "markdown": markdown, "latex": latex}.get(fmt, lambda t: None)(tables)
