"""Input errors: every problem with user input names the file, the JSON path and what is expected.

The CLI prints ``str(error)`` as one line and exits with code 2 (modelled on Gambit's error.py
and NetworkX's exception.py: one small hierarchy, messages that say what was expected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

__all__ = ["CabenchError", "InputError", "json_path", "named", "one_of", "quoted"]


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
        elif not part or len(part) <= NAME_MOST and any(
                c in '.[]"\'\\' or c.isspace() or not c.isprintable() for c in part):
            out += f"[{json.dumps(part)}]"
        elif len(part) > NAME_MOST:  # (a key of a million characters made a message of a million)
            out += f"[{named(part)}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def quoted(text: str, most: int = 60) -> str:
    """``text`` for a one-line message: in double quotes, escaped (a line break or a control
    character shows as ``\\n``, ``\\u0007``), and cut to ``most`` characters when long (an
    instance passed where a name was expected made a message of 210,000)."""
    shown = json.dumps(text)
    return shown if len(shown) <= most else shown[:most - 3] + '..."'


NAME_MOST = 60
"""The most characters of a name a message shows (:func:`named`)."""


def named(name: str) -> str:
    """A name of the file (a player, a good, a field) as a message shows it: in double quotes,
    escaped as JSON escapes it (a quote, a line break) but with its letters as they are, and cut
    to :data:`NAME_MOST` characters with its length when longer (an unknown player named by a
    million characters made a message of a million, twice)."""
    shown = json.dumps(name, ensure_ascii=False)
    if len(shown) <= NAME_MOST + 2:
        return shown
    return f'{shown[:NAME_MOST - 2]}..." ({len(name):,} characters)'


def one_of(names: Iterable[str], most: int = 10) -> str:
    """The names a message says were expected: the first ``most`` and how many in all (a file of
    2,000 players listed them all in one line)."""
    names = list(names)
    shown = ", ".join(names[:most])
    return shown if len(names) <= most else f"{shown}, ... ({len(names):,} in all)"
