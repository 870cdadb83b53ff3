"""Input errors: every problem with user input names the file, the JSON path and what is expected.

The CLI prints ``str(error)`` as one line and exits with code 2 (modelled on Gambit's error.py
and NetworkX's exception.py: one small hierarchy, messages that say what was expected).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["INVISIBLE", "NAME_MOST", "CabenchError", "InputError", "json_path", "one_of", "quoted", "shown_value"]

INVISIBLE = frozenset("\u00ad\u034f\u115f\u1160\u17b4\u17b5\u180e\u200b\u200e\u200f\u202a\u202b\u202c\u202d"
                      "\u202e\u2060\u2061\u2062\u2063\u2064\u2066\u2067\u2068\u2069\u3164\ufeff\uffa0")
"""Characters that print as nothing: soft hyphen, zero-width space, word joiner, the invisible
operators (U+2061-2064), the combining grapheme joiner, the Hangul and Khmer fillers, the
Mongolian vowel separator, byte-order mark and the direction marks. Joiners (ZWJ, ZWNJ),
variation selectors and emoji tags are kept: they change what prints ("👩‍💻", Persian words,
"❤️", flags); a name of nothing else prints as nothing (``instances.loader.printed_as``)."""


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
        elif not _plain(part, '.[]"\'\\'):
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
    """``text`` as a JSON string, every character that does not print (or prints as nothing,
    :data:`INVISIBLE`) as JSON escapes it in ASCII (``\\u00a0``, a surrogate pair beyond the first
    plane), the others as they are."""
    return "".join(c if _prints(c) else json.dumps(c)[1:-1] for c in json.dumps(text, ensure_ascii=False))


def _prints(c: str) -> bool:
    return c.isprintable() and c not in INVISIBLE


def _plain(name: str, special: str) -> bool:
    """Whether ``name`` can be shown as it is in a message: not empty, not long, every character
    visible and none a space or of ``special`` (the characters that would make it ambiguous)."""
    return bool(name) and len(name) <= NAME_MOST and all(_prints(c) and not c.isspace() and c not in special
                                                         for c in name)


def shown_value(value: Any) -> str:
    """A value of the file (a string as :func:`quoted` shows it; a number, list or object as
    JSON) for a one-line message, escaped as :func:`quoted` escapes and cut at an escape's end to
    :data:`NAME_MOST` characters (a list of goods was shown whole, its letters as escapes)."""
    if isinstance(value, str):
        return quoted(value)
    text = "".join(c if _prints(c) else json.dumps(c)[1:-1] for c in json.dumps(value, ensure_ascii=False, default=str))
    if len(text) <= NAME_MOST:
        return text
    shown = ""
    for piece in re.findall(r"\\u[0-9a-fA-F]{4}|\\.|.", text, re.S):  # (an escape is one piece)
        if len(shown) + len(piece) > NAME_MOST - 3:
            break
        shown += piece
    return shown + "..."


def one_of(names: Iterable[str], most: int = 10) -> str:
    """The names a message says were expected: the first ``most`` (one that is long, holds an
    invisible character, a space or a comma, as :func:`quoted` shows it) and how many in all (a
    file of 2,000 players listed them all in one line)."""
    names = list(names)
    shown = ", ".join(name if _plain(name, ',"\\') else quoted(name) for name in names[:most])
    return shown if len(names) <= most else f"{shown}, ... ({len(names):,} in all)"
