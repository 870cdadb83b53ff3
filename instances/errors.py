"""Input errors: every problem with user input names the file, the JSON path and what is expected.

The CLI prints ``str(error)`` as one line and exits with code 2 (modelled on Gambit's error.py
and NetworkX's exception.py: one small hierarchy, messages that say what was expected).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

__all__ = ["NAME_MOST", "CabenchError", "InputError", "json_path", "one_of", "quoted"]


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
    ambiguous, or a long one, is quoted in brackets (:func:`quoted`: escaped where it would not
    print, cut when long): ``valuations["p.1"].additive`` (``valuations.p.1`` reads as three
    steps). Such a name is empty, longer than :data:`NAME_MOST`, or holds a dot, bracket, quote,
    backslash, or a character that is a space or not printable (a non-breaking or zero-width
    space looks like another name, or like none)."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not part or len(part) > NAME_MOST or any(
                c in '.[]"\'\\' or c.isspace() or not c.isprintable() for c in part):
            out += f"[{quoted(part)}]"
        else:
            out += f".{part}" if out else str(part)
    return out


NAME_MOST = 60
"""The most characters of a name or a value a message shows (:func:`quoted`)."""


def quoted(text: str, most: int = NAME_MOST) -> str:
    """``text`` for a one-line message: in double quotes, escaped where it would not print (a
    quote or a backslash, a line break, a control character, a zero-width or non-breaking space:
    ``\\n``, ``\\u200b``) with its letters as they are, and cut to ``most`` characters with its
    length when longer (an instance passed where a name was expected made a message of 210,000;
    an unknown player named by a million characters, one of a million, twice)."""
    if len(text) <= most:
        return _escaped(text)
    return f'{_escaped(text[:most - 3])[:-1]}..." ({len(text):,} characters)'


def _escaped(text: str) -> str:
    """``text`` as a JSON string, every character that does not print as JSON escapes it in
    ASCII (``\\u00a0``, a surrogate pair beyond the first plane), the others as they are."""
    return "".join(c if c.isprintable() else json.dumps(c)[1:-1] for c in json.dumps(text, ensure_ascii=False))


def one_of(names: Iterable[str], most: int = 10) -> str:
    """The names a message says were expected: the first ``most`` (a long one cut by
    :func:`quoted`) and how many in all (a file of 2,000 players listed them all in one line)."""
    names = list(names)
    shown = ", ".join(name if len(name) <= NAME_MOST else quoted(name) for name in names[:most])
    return shown if len(names) <= most else f"{shown}, ... ({len(names):,} in all)"
