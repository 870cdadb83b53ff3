"""Input errors: every problem with user input names the file, the JSON path and what is expected.

The CLI prints ``str(error)`` as one line and exits with code 2 (modelled on Gambit's error.py
and NetworkX's exception.py: one small hierarchy, messages that say what was expected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

__all__ = ["CabenchError", "InputError", "json_path", "quoted"]


class CabenchError(Exception):
    """Base class of every error cabench raises on purpose."""


class InputError(CabenchError):
    """Bad user input: a file, a field in it (JSON path) and what is wrong."""

    def __init__(self, source: str, path: str, message: str) -> None:
        self.source = source
        self.path = path
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.source}: {self.path}" if self.path else self.source
        return f"{where}: {self.message}"


def json_path(parts: Iterable[str | int]) -> str:
    """Format a JSON path like ``valuations.p3.explicit[1][0]``. A name that would make the path
    ambiguous is quoted as a JSON string in brackets, every character beyond ASCII escaped:
    ``valuations["p.1"].additive`` (``valuations.p.1`` reads as three steps). Such a name is
    empty, or holds a dot, bracket, quote, backslash, or a character that is a space or not
    printable (a non-breaking or zero-width space looks like another name, or like none)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or any(c in '.[]"\'\\' or c.isspace() or not c.isprintable() for c in part):
            out += f"[{json.dumps(part)}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def quoted(text: str, most: int = 60) -> str:
    """``text`` for a one-line message: in double quotes, escaped (a line break or a control
    character shows as ``\\n``, ``\\u0007``), and cut to ``most`` characters when long (an
    instance passed where a name was expected made a message of 210,000)."""
    shown = json.dumps(text)
    return shown if len(shown) <= most else shown[:most - 3] + '..."'
