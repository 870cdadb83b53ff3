"""Read and validate instance files (format documented in README.md, schema in schema.json).

Validation runs in two passes: the JSON Schema (structure and types, checked by ``jsonschema``)
and the semantic rules no schema can say (known goods and players, duplicates, table length,
value ranges, disjoint coalitions and endowments). Every violation raises :class:`InputError`
naming the file and the JSON path.
"""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache
from importlib import resources
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from instances.bundles import mask_of
from instances.errors import INVISIBLE, InputError, json_path, one_of, quoted, shown_value
from instances.files import MAX_STDIN_BYTES
from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.units import MAX_ABS_VALUE, MAX_SCALE, is_power_of_ten
from instances.valuation import Form, Valuation

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

__all__ = ["INVISIBLE", "cats_like", "KnowledgeReader", "MAX_ABS_VALUE", "MAX_DEPTH", "MAX_GOODS", "MAX_INTEGER_DIGITS",
           "MAX_STDIN_BYTES", "MAX_TABLE_GOODS", "OnValuations", "Path_", "SCALE_RULE", "STDIN", "has_surrogate",
           "load_instance",
           "parse_instance", "printed_as", "read_text", "schema", "source_name"]

MAX_TABLE_GOODS = 20
"""A table lists 2^m values; beyond 2^20 entries the explicit or bid forms are the right tool."""
MAX_GOODS = 4096
"""Most goods an instance may have: a bundle is a bit mask, so its memory grows with the goods."""
MAX_DEPTH = 32
"""Deepest nesting of lists and objects accepted (an instance needs at most about ten levels)."""
MAX_INTEGER_DIGITS = 20
"""Longest integer literal read: values are at most 10^12 (13 digits); longer ones are refused
before Python converts them (which costs time quadratic in the digits)."""

Path_ = list[str | int]



def printed_as(name: str) -> str:
    """``name`` as a reader sees it: composed (NFC: "é" whichever way it is written), without
    the :data:`INVISIBLE` characters and without leading or trailing spaces. Not NFKC: "m²" and
    "m2", "Ⅳ" and "IV" are different names."""
    import unicodedata

    shown = "".join(c for c in unicodedata.normalize("NFC", name) if c not in INVISIBLE).strip()
    # marks and format characters alone (a lone joiner or variation selector) print as nothing
    return shown if any(unicodedata.category(c) not in ("Mn", "Me", "Cf") for c in shown) else ""

class KnowledgeReader(Protocol):
    """What an ``on_valuations`` hook of :func:`load_instance` may return to follow the rest of
    the reading: each player's knowledge as soon as it is built, and whether the file failed."""

    def knowledge(self, i: int, knowledge: Knowledge | None) -> None:
        """Player ``i``'s knowledge (None: none), as the instance will hold it; called in player
        order, for every player, once each."""

    def failed(self) -> None:
        """The file proved invalid after the valuations (or reading was interrupted): the
        error is raised once this returns, and no instance is built."""


OnValuations = Callable[[int, "tuple[Valuation, ...]"], "KnowledgeReader | None"]
"""``on_valuations(m, valuations)`` of :func:`load_instance`."""


class _DuplicateKeys(dict):
    """A JSON object in which some key appeared twice (json keeps only the last one)."""

    duplicates: list[str]


def _with_duplicates(pairs: list[tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    dupes = sorted({k for k in keys if keys.count(k) > 1})
    if dupes:
        obj = _DuplicateKeys(pairs)
        obj.duplicates = dupes
        return obj
    return dict(pairs)


def _find_problem(data: Any) -> tuple[Path_, str] | None:
    """The first duplicate key, lone surrogate, integer literal longer than
    :data:`MAX_INTEGER_DIGITS`, table too long or excessive nesting in decoded JSON (depth first,
    without recursion: a hostile file must not exhaust the stack)."""
    stack: list[tuple[Any, Path_]] = [(data, [])]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            return path[:MAX_DEPTH], f"nested more than {MAX_DEPTH} levels deep; an instance needs about ten"
        if isinstance(node, str):
            if isinstance(node, _LongInteger):
                return path, node.problem(path)
            if has_surrogate(node):
                return path, f"text {quoted(node)} holds a lone surrogate (invalid Unicode)"
            continue
        if isinstance(node, _DuplicateKeys):
            return path, f"duplicate key {quoted(node.duplicates[0])}; each key may appear once"
        if isinstance(node, dict):
            for key in node:
                if not isinstance(key, str):  # (a dict built in Python, not decoded JSON)
                    return path, f"key {key!r} is not a string; JSON object keys are strings"
                if has_surrogate(key):
                    return path, f"key {quoted(key)} holds a lone surrogate (invalid Unicode)"
            table = node.get("table")
            if isinstance(table, list) and len(table) > 1 << MAX_TABLE_GOODS:
                return path + ["table"], f"{len(table)} entries; a table has at most 2^{MAX_TABLE_GOODS} entries"
            if set(map(type, node.values())) - _JSON_TYPES:
                key = next(k for k, child in node.items() if type(child) not in _JSON_TYPES)
                return path + [key], _not_json(node[key])
            stack.extend((child, path + [key]) for key, child in reversed(list(node.items()))
                         if isinstance(child, (dict, list, str)))
        elif isinstance(node, list):  # numbers need no check here: a big table costs no path per entry
            kinds = set(map(type, node))
            if not kinds - _NUMBERS:
                continue
            if kinds - _JSON_TYPES:
                k = next(k for k, child in enumerate(node) if type(child) not in _JSON_TYPES)
                return path + [k], _not_json(node[k])
            stack.extend((child, path + [k]) for k, child in reversed(list(enumerate(node)))
                         if isinstance(child, (dict, list, str)))
    return None


_NUMBERS = {int, float}


def _not_json(value: Any) -> str:
    """What is wrong with ``value`` in a dict built in Python rather than decoded from JSON."""
    hint = " (int() of a NumPy integer, float() of a NumPy float)" if type(value).__module__ == "numpy" else ""
    return (f"{type(value).__name__} {quoted(str(value))} is not a JSON value; convert it to a Python number, "
            f"string, list or dict{hint}")


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate (as JSON's ``\\ud800`` decodes to): no UTF-8 file can hold it."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


SCALE_RULE = (f"expected a power of ten from 1 to 10^{len(str(MAX_SCALE)) - 1} "
              "(values are integers in units of 1/scale)")


class _LongInteger(str):
    """An integer literal longer than :data:`MAX_INTEGER_DIGITS`, kept as its text (converting it
    costs time quadratic in its digits) until :func:`_find_problem` names its JSON path."""

    def problem(self, path: Path_) -> str:
        digits = len(self.lstrip("-"))
        if path == ["scale"]:
            return f"{SCALE_RULE}, got an integer with {digits} digits"
        if path[:1] in (["valuations"], ["knowledge"]):
            return f"an integer with {digits} digits; values are at most 10^12 in absolute value"
        return f"an integer with {digits} digits; cabench reads integers of at most {MAX_INTEGER_DIGITS} digits"


_JSON_TYPES = {dict, list, str, int, float, bool, type(None), _DuplicateKeys, _LongInteger}
"""What decoded JSON holds (with this module's own kinds of dict and string)."""


_ZEROS = str.maketrans("123456789", "000000000")


def _decode(text: str, source: str) -> tuple[Any, bool]:
    """(the decoded JSON of ``text``, whether the text alone shows that :func:`_find_problem`
    has nothing to find: no key twice, no escaped surrogate, no integer longer than
    :data:`MAX_INTEGER_DIGITS`, nesting within :data:`MAX_DEPTH`, no table). A 500-player file
    with knowledge decodes into millions of objects; walking them all again in Python took longer
    than decoding them."""
    # integers are bounded by their digits; when no run of digits in the whole text is that long
    # (the common case), the decoder's own integer parsing is safe and four times as fast on a
    # complete table's 2^20 entries
    # (every digit read as 0, then one substring search: 0.03 s on a 15 MB file, where the
    # regular expression [0-9]{21} took 0.2 s)
    long_digits = "0" * (MAX_INTEGER_DIGITS + 1) in text.translate(_ZEROS)
    duplicates = []

    def parse_int(literal: str) -> int | _LongInteger:
        return _LongInteger(literal) if len(literal.lstrip("-")) > MAX_INTEGER_DIGITS else int(literal)

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict:
        obj = dict(pairs)
        if len(obj) == len(pairs):  # no key twice (the common case, linear in the keys)
            return obj
        duplicates.append(True)
        return _with_duplicates(pairs)

    if not text.strip():  # (an empty pipe was "invalid JSON at line 1 column 1: Expecting value")
        raise InputError(source, "", "empty: expected an instance (a JSON object)")
    try:
        data = json.loads(text, object_pairs_hook=pairs_hook, parse_int=parse_int if long_digits else None)
    except json.JSONDecodeError as exc:
        hint = ("; it looks like a CATS file: convert it with `cabench import` (`cabench.import_cats` in Python)"
                if cats_like(text) else "")
        raise InputError(source, "", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}{hint}") from None
    except RecursionError:
        raise InputError(source, "", f"nested far too deep; an instance nests at most {MAX_DEPTH} levels") from None
    except ValueError as exc:  # anything else the decoder refuses
        raise InputError(source, "", f"invalid JSON: {exc}") from None
    return data, not duplicates and not long_digits and _plain(text)


_CATS_LINE = re.compile(r"%|(goods|bids|dummy)\s+\d+\s*$", re.IGNORECASE)


def cats_like(text: str) -> bool:
    """Whether ``text`` opens as a CATS file does (``instances.cats``): its first line that is
    not blank is a ``%`` comment or a ``goods N`` / ``bids N`` / ``dummy N`` header."""
    first = next((line.strip() for line in text[:4096].splitlines() if line.strip()), "")
    return bool(_CATS_LINE.match(first))


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
"""A JSON string literal (escapes included)."""
_MARKS = np.zeros(256, dtype=np.int8)
_MARKS[[ord("["), ord("{")]] = 1
_MARKS[[ord("]"), ord("}")]] = -1
_MARKS[ord('"')] = 2
_UNMARKED = bytes(c for c in range(256) if not _MARKS[c])
"""The bytes :func:`_plain` drops before it looks at the rest: all but brackets and quotes."""


def _without_escaped_strings(text: str) -> str:
    """Valid JSON ``text`` with every string literal from the first one holding a backslash to
    the last one holding one written ``""`` (``_STRING.sub('""', text)`` where it matters).
    A backslash lies inside a string, and every quote before the first backslash opens or
    closes one, so the string holding it starts at the last quote before it; from there the
    literals follow one another. Files written by cabench carry escapes in their description
    only (its provenance record, at the top): the whole 12 MB of a 500-player file with
    knowledge went through the regular expression (0.2 s of the 0.34 s of :func:`_plain`,
    2026-12-02), now a few hundred bytes do."""
    last = text.rindex("\\")
    start = end = text.rfind('"', 0, text.index("\\"))
    for match in _STRING.finditer(text, start):
        end = match.end()
        if end > last:
            break
    return text[:start] + _STRING.sub('""', text[start:end]) + text[end:]


def _plain(text: str) -> bool:
    """True when valid JSON ``text`` can hold none of :func:`_find_problem`'s findings but a
    duplicate key and a long integer (both seen by :func:`_decode`): no ``\\uD...`` escape (a
    lone surrogate can only come from one: the text itself is decoded UTF-8), no ``"table"`` (a
    long table is found by the walk), and brackets outside strings nested at most
    :data:`MAX_DEPTH` deep (a node at JSON path length d lies inside d brackets). Conservative:
    False sends the data to the walk."""
    if re.search(r"\\u[dD]", text) or '"table"' in text:
        return False
    if "\\" in text:  # escaped quotes: strings found by a regular expression and dropped
        text = _without_escaped_strings(text)
    # with no escape left, every quote opens or closes a string, and UTF-8 puts no ASCII byte
    # inside a character: the depth is a running sum over the brackets between strings
    # (the other bytes dropped by bytes.translate, in C: 12 MB of a 500-player file with
    # knowledge in 0.008 s, where marking every byte then filtering took 0.05 s, 2026-12-02)
    marks = _MARKS[np.frombuffer(text.encode("utf-8").translate(None, _UNMARKED), dtype=np.uint8)]
    quote = marks == 2
    inside = (np.cumsum(quote, dtype=np.int32) & 1).astype(bool)
    steps = np.where(inside | quote, 0, marks)
    return not len(steps) or int(np.cumsum(steps, dtype=np.int32).max()) <= MAX_DEPTH


@cache
def schema() -> dict:
    """The instance JSON Schema shipped with the package."""
    return json.loads(resources.files("instances").joinpath("schema.json").read_text())


@cache
def _fast_validator() -> Any:
    """A compiled validator of the same schema (``jsonschema_rs``, in Rust): it decides whether a
    file is valid hundreds of times faster than ``jsonschema`` (a 500-player file with exact
    knowledge holds 250,000 valuations). Only for an invalid file does ``jsonschema`` run, for its
    best error message."""
    import jsonschema_rs

    return jsonschema_rs.Draft202012Validator(schema())


STDIN = "-"
"""The file name that means standard input, as for most command-line tools."""


def read_text(path: str | Path, what: str = "a JSON instance") -> str:
    """The UTF-8 text of ``path``, or of standard input when ``path`` is ``"-"`` (at most
    :data:`MAX_STDIN_BYTES`); a file is read up to ``instances.files.MAX_INPUT_BYTES`` (so
    ``/dev/zero`` ends in one clean error); a UTF-8 byte-order mark is accepted; every failure
    is an :class:`InputError` naming the source."""
    from instances.files import read_input, read_standard_input

    if str(path) == STDIN:
        return read_standard_input(MAX_STDIN_BYTES, what)
    return read_input(path, what=what)


def source_name(path: str | Path) -> tuple[str, str]:
    """(the name errors use, the default instance name) of ``path``; ``"-"`` is standard input."""
    if str(path) == STDIN:
        return "<stdin>", "stdin"
    return str(path), Path(path).stem


def load_instance(path: str | Path, on_valuations: OnValuations | None = None) -> Instance:
    """Read, validate and build the instance in ``path`` (raises :class:`InputError`); ``"-"``
    reads standard input.

    Parameters
    ----------
    path : str or Path
        A JSON instance file (format in the README, "Instance files"), or ``"-"``.
    on_valuations : callable or None, optional
        Called as ``on_valuations(m, valuations)`` once the file is known valid up to its true
        valuations (the number of goods and the valuations, in player order: the same tuple
        the instance gets), before its knowledge is read: work that needs only the valuations
        (MSW) may start meanwhile. An error found later still raises, after the call. It may
        return a :class:`KnowledgeReader`, which is then given each player's knowledge as soon
        as it is read (work on player i may start meanwhile), and told if the file fails later.

    Returns
    -------
    Instance

    Raises
    ------
    InputError
        With the file, the JSON path and what is expected, for any invalid input.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> inst.goods, inst.players, inst.n, inst.m
    (('1', '2'), ('p1', 'p2', 'p3'), 3, 2)
    """
    source, default_name = source_name(path)
    # Reading allocates millions of small objects (a 500-player file with knowledge holds 250,000
    # valuations) and frees none: the cyclic collector, run every few hundred allocations, walked
    # the growing heap again and again and took 1.4 of 3.8 s. Nothing made here holds a cycle
    # (decoded JSON and frozen dataclasses), so collection waits until the instance is built.
    enabled = gc.isenabled()
    gc.disable()
    try:
        data, plain = _decode(read_text(path), source)
        return _parse(data, source, default_name, plain, on_valuations)
    finally:
        if enabled:
            gc.enable()


def parse_instance(data: Any, source: str = "<memory>", default_name: str = "instance") -> Instance:
    """Validate decoded JSON ``data`` and build the :class:`Instance` (raises :class:`InputError`).

    Parameters
    ----------
    data : object
        Decoded JSON (a dict), as in an instance file.
    source : str, optional
        Name used in error messages.
    default_name : str, optional
        The instance's name when ``data`` has none.

    Returns
    -------
    Instance

    Raises
    ------
    InputError
        Naming ``source``, the JSON path and what is expected.

    Examples
    --------
    >>> from instances import parse_instance
    >>> inst = parse_instance({"goods": ["1"], "players": ["a", "b"],
    ...                        "valuations": {"a": {"xor": [[["1"], 5]]}, "b": {"xor": [[["1"], 3]]}}})
    >>> inst.players, inst.valuations[0].value(0b1)
    (('a', 'b'), 5)
    """
    return _parse(data, source, default_name, False)


def _parse(data: Any, source: str, default_name: str, plain: bool,
           on_valuations: OnValuations | None = None) -> Instance:
    """:func:`parse_instance`; ``plain``: the text was checked already (``_decode``);
    ``on_valuations``: see :func:`load_instance`."""
    found = None if plain else _find_problem(data)
    if found:
        where, message = found
        raise InputError(source, json_path(where), message)
    if isinstance(data, dict) and isinstance(data.get("goods"), list) and len(data["goods"]) > MAX_GOODS:
        raise InputError(source, "goods", f"{len(data['goods'])} goods; cabench accepts at most {MAX_GOODS}")
    if _fast_validator().is_valid(data):
        return _Builder(source).build(data, default_name, on_valuations)
    # (``jsonschema`` is imported for an invalid file only: 0.05 s at every start of cabench and
    # of each of its worker processes, which import this module and never read a file)
    import jsonschema

    view = _schema_view(data)
    error = _most_relevant(jsonschema.Draft202012Validator(schema()).iter_errors(view), view)
    if error is not None:
        raise InputError(source, json_path(error.absolute_path), _schema_message(error))
    return _Builder(source).build(data, default_name)


def _most_relevant(errors: Iterable[Any], root: Any) -> Any:
    """The error to report of ``errors`` (jsonschema's, on ``root``): of the shallowest, the
    first in the file, and of several at that place the kind jsonschema ranks first
    (``relevance``: a stronger validator). ``best_match`` took the later path of two alike, the
    later list index or the later key in alphabetical order, so ``[[1, 2]]`` as coalitions named
    ``[0][1]``, and wrong valuations of p2 and p10 named p10's (a user's audit; the schema has no
    ``anyOf`` or ``oneOf``, whose nested errors ``best_match`` would descend into)."""
    from collections import deque

    from jsonschema.exceptions import relevance

    places: dict[int, dict[str, int]] = {}  # id(object) -> its keys' places (every error of 10^5 keys)

    def order(error: Any) -> tuple:
        # relevance: (-depth, [the path: newer jsonschema], the kind's flags), higher first
        depth, *kind = (part for part in relevance(error) if not isinstance(part, deque))
        return -depth, _position(root, error.absolute_path, places), [-flag for flag in kind]

    return min(errors, key=order, default=None)


def _position(root: Any, path: Iterable[str | int], places: dict[int, dict[str, int]]) -> tuple[int, ...]:
    """Where ``path`` lies in ``root`` in the file's order: each step's index in its list, or
    its key's place among its object's keys (``places``, filled as objects are met)."""
    node, out = root, []
    for part in path:
        if isinstance(node, dict):
            known = places.get(id(node))
            if known is None:
                known = places[id(node)] = {key: k for k, key in enumerate(node)}
            out.append(known[part])
        else:
            out.append(part)
        node = node[part]
    return tuple(out)


def _schema_view(node: Any) -> Any:
    """``node`` with every table of plain integers cut to its first entry, for the schema check.

    The schema only says a table is a list of integers; jsonschema checks each of a complete
    20-good table's 2^20 entries in about 20 s, a plain type test in milliseconds. Tables with
    another entry keep them all (the schema then names the first wrong one). Containers without
    a table are shared, not copied.
    """
    if isinstance(node, dict):
        changed = {}
        for key, child in node.items():
            if key == "table" and isinstance(child, list) and len(child) > 1 \
                    and all(type(entry) is int for entry in child):
                changed[key] = child[:1]
            elif isinstance(child, (dict, list)) and (view := _schema_view(child)) is not child:
                changed[key] = view
        return {**node, **changed} if changed else node
    if isinstance(node, list):
        views = [_schema_view(child) if isinstance(child, (dict, list)) else child for child in node]
        return views if any(v is not c for v, c in zip(views, node)) else node
    return node


_TYPE_NAMES = {
    "object": "an object",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
}


def _items(count: int) -> str:
    return f"{count} item" if count == 1 else f"{count} items"


def _schema_message(error: "ValidationError") -> str:
    """Turn a jsonschema error into a message saying what is wrong and what is expected."""
    got = shown_value(error.instance)
    kind = error.validator
    schema_ = error.schema if isinstance(error.schema, dict) else {}
    allowed = sorted(schema_.get("properties", {}))
    if kind == "minimum" and list(error.absolute_path) == ["scale"]:  # (said "less than the minimum of 1")
        return f"{SCALE_RULE}, got {got}"
    if kind == "type":
        return f"expected {_TYPE_NAMES.get(str(error.validator_value), error.validator_value)}, got {got}"
    if kind == "required":
        missing = [k for k in error.validator_value if k not in error.instance]
        return f'missing required field {quoted(missing[0])}'
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(allowed))
        what = "field"
        if "explicit" in allowed:
            what = "valuation form"
        elif "lower_bounds" in allowed:
            what = "knowledge form"
        return f'unknown {what} {quoted(extra[0])}; expected one of: {", ".join(allowed)}'
    if kind in ("minProperties", "maxProperties") and allowed:
        return f"expected exactly one of: {', '.join(allowed)}; got {len(error.instance)} keys"
    if kind == "const":
        return f"expected {json.dumps(error.validator_value)}, got {got}"
    if kind == "minItems":
        return f"expected at least {_items(error.validator_value)}, got {len(error.instance)}"
    if kind == "maxItems":
        return f"expected at most {_items(error.validator_value)}, got {len(error.instance)}"
    if kind == "minLength":
        return "expected a non-empty string"
    return error.message


_FORMS = {form.value: form for form in Form}


class _Builder:
    """Semantic validation and construction, one method per section of the file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.goods: dict[str, int] = {}
        self.players: dict[str, int] = {}
        self.market = False
        self._interned: dict[Valuation, Valuation] = {}
        self._read: dict[tuple, Valuation] = {}  # (form's name, bids) read -> the interned valuation
        self._bits: dict[str, int] = {}  # good -> its bit in a bundle mask

    def fail(self, path: Path_, message: str) -> InputError:
        return InputError(self.source, json_path(path), message)

    def build(self, data: Mapping[str, Any], default_name: str,
              on_valuations: OnValuations | None = None) -> Instance:
        self.goods = self._names(data["goods"], ["goods"], "good")
        self._bits = {good: 1 << k for good, k in self.goods.items()}
        self.players = self._names(data["players"], ["players"], "player")
        self.market = "endowment" in data
        valuations = data["valuations"]
        for name in valuations:
            self._player(name, ["valuations", name])
        for name in self.players:
            if name not in valuations:
                raise self.fail(["valuations"], f'missing valuation for player {quoted(name)}')
        true_values = tuple(
            self.valuation(valuations[name], ["valuations", name]) for name in self.players
        )
        # (the schema holds, and so do the goods, players and valuations)
        reader = on_valuations(len(self.goods), true_values) if on_valuations is not None else None
        if reader is None:
            return self._rest(data, default_name, true_values, None)
        try:
            return self._rest(data, default_name, true_values, reader)
        except BaseException:
            reader.failed()
            raise

    def _rest(self, data: Mapping[str, Any], default_name: str, true_values: tuple[Valuation, ...],
              reader: KnowledgeReader | None) -> Instance:
        """The instance, from the knowledge on (:meth:`build` read the valuations)."""
        knowledge_data = data.get("knowledge", {})
        for name in knowledge_data:
            self._player(name, ["knowledge", name])
        knowledge: list[Knowledge | None] = []
        for i, name in enumerate(self.players):
            known = (self._knowledge(knowledge_data[name], ["knowledge", name], i, true_values)
                     if name in knowledge_data else None)
            knowledge.append(known)
            if reader is not None:
                reader.knowledge(i, known)
        return Instance(
            name=data.get("name", default_name),
            description=data.get("description"),
            scale=self._scale(data.get("scale", 1)),
            goods=tuple(self.goods),
            players=tuple(self.players),
            valuations=true_values,
            knowledge=tuple(knowledge),
            coalitions=self._coalitions(data.get("coalitions", [])),
            endowment=self._endowment(data["endowment"]) if self.market else None,
            source=self.source,
        )

    def _scale(self, scale: int) -> int:
        if not is_power_of_ten(scale) or scale > MAX_SCALE:
            raise self.fail(["scale"], f"{SCALE_RULE}, got {scale}")
        return scale

    def _names(self, items: Sequence[str], path: Path_, what: str) -> dict[str, int]:
        """The names' positions. Names must be told apart where they are printed: none of spaces
        alone, and no two alike once read as printed (:func:`printed_as`: "é" as one letter or as
        "e" and an accent, "p1" and "p1 " or "p1" with a zero-width space, printed alike as two
        rows of one table)."""
        index: dict[str, int] = {}
        shown: dict[str, str] = {}
        for k, name in enumerate(items):
            if name in index:
                raise self.fail(path + [k], f'duplicate {what} {quoted(name)}; {what}s must be distinct')
            composed = printed_as(name)
            if name and not composed:
                raise self.fail(path + [k], f"a {what} named only by spaces or invisible characters; names must "
                                            "be visible")
            if composed in shown:
                raise self.fail(path + [k], f"{what} {quoted(name)} reads the same as {quoted(shown[composed])} (they "
                                            f"print alike: spaces, invisible characters or Unicode forms); {what}s "
                                            "must be told apart")
            index[name] = k
            shown[composed] = name
        return index

    def _player(self, name: str, path: Path_) -> int:
        if name not in self.players:
            raise self.fail(path, f'unknown player {quoted(name)}; expected one of: {one_of(self.players)}')
        return self.players[name]

    def bundle(self, goods: Sequence[str], path: Path_, allow_empty: bool = False) -> int:
        seen: set[str] = set()
        for k, good in enumerate(goods):
            if good not in self.goods:
                raise self.fail(path + [k], f'unknown good {quoted(good)}; expected one of: {one_of(self.goods)}')
            if good in seen:
                raise self.fail(path + [k], f'good {quoted(good)} appears twice in the bundle')
            seen.add(good)
        if not seen and not allow_empty:
            raise self.fail(path, "empty bundle; every bid needs at least one good (v(empty) = 0)")
        return mask_of(self.goods[g] for g in goods)

    def value(self, value: Any, path: Path_) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.fail(path, f"expected an integer value, got {shown_value(value)}")
        if abs(value) > MAX_ABS_VALUE:
            raise self.fail(path, f"value {value} out of range; expected at most 10^12 in absolute value")
        if value < 0 and not self.market:
            raise self.fail(
                path,
                f"expected a non-negative integer, got {value} "
                '(negative values are allowed only in markets, i.e. instances with an "endowment")',
            )
        return value

    def _bids(self, items: Sequence[Any], path: Path_, repeats: bool) -> tuple[tuple[int, int], ...]:
        """The bids as written; a bundle may repeat only when ``repeats`` (xor and or lists, where
        a repeated bundle is one more bid: see :mod:`instances.valuation`)."""
        first_at: dict[int, int] = {}
        bids = []
        for k, (goods, value) in enumerate(items):
            mask = self.bundle(goods, path + [k, 0])
            if mask in first_at and not repeats:
                raise self.fail(
                    path + [k, 0],
                    f"bundle {shown_value(sorted(goods, key=self.goods.get))} is already listed at "
                    f"{json_path(path[-1:] + [first_at[mask]])}; an explicit valuation lists each bundle once",
                )
            first_at.setdefault(mask, k)
            bids.append((mask, self.value(value, path + [k, 1])))
        return tuple(bids)

    def _quick_bids(self, items: Sequence[Any], repeats: bool) -> tuple[tuple[int, int], ...] | None:
        """:meth:`_bids` when every bid is valid (the common case), without a JSON path per bid:
        250,000 valuations in a 500-player file with knowledge. None sends the list to
        :meth:`_bids`, which names the first problem."""
        bit, low = self._bits, -MAX_ABS_VALUE if self.market else 0
        bids = []
        try:
            for goods, value in items:
                mask = sum(map(bit.__getitem__, goods))  # KeyError: an unknown good
                # a good named twice adds its bit twice: fewer bits set than goods named
                if not goods or mask.bit_count() != len(goods) or type(value) is not int or not (
                        low <= value <= MAX_ABS_VALUE):
                    return None
                bids.append((mask, value))
        except (KeyError, TypeError, ValueError):
            return None
        if not repeats and len({mask for mask, _ in bids}) != len(bids):
            return None
        return tuple(bids)

    def valuation(self, data: Mapping[str, Any], path: Path_) -> Valuation:
        """The valuation ``data`` describes; equal valuations come back as one object, so exact
        knowledge (a player's lower bound equal to the true valuation) costs no copy, and later
        steps (knowledge checks, program weights) recognise it by identity."""
        valuation = self._read_valuation(data, path)
        return self._interned.setdefault(valuation, valuation)

    def _quick_valuations(self, bodies: Iterable[Mapping[str, Any]]) -> list[Valuation] | None:
        """The valuations of ``bodies`` (each a list of bids: ``xor``, ``or``, ``explicit``), all
        valid, read without a JSON path in one loop; None when any is something else or invalid
        (then :meth:`valuation` reads each and names the problem). A player's lower bounds on
        the n - 1 others are n^2 valuations in a file with
        knowledge (L4-shaped, 250,000 bounds of one bid: 0.9 s read one call at a time)."""
        bit, low, high = self._bits, -MAX_ABS_VALUE if self.market else 0, MAX_ABS_VALUE
        intern, forms, out = self._interned.setdefault, _FORMS, []
        # Most bounds of such a file repeat one read before (L4-shaped, 500 players: 250,000
        # bounds, 76,000 distinct): looked up by the plain tuple (form's name, bids), hashed in
        # C, a repeat costs neither a Valuation nor its Python-level hash (building: 0.87 s to
        # 0.69 s, 2026-12-02)
        read = self._read
        found = read.get
        xor, or_, explicit = Form.XOR, Form.OR, Form.EXPLICIT
        try:
            for body in bodies:
                (key, items), = body.items()
                form = forms[key]
                if form is not xor and form is not or_ and form is not explicit:
                    return None
                bids = []
                for goods, value in items:  # (``_quick_bids``)
                    mask = sum(map(bit.__getitem__, goods))  # KeyError: an unknown good
                    if not goods or mask.bit_count() != len(goods) or type(value) is not int or not (
                            low <= value <= high):
                        return None
                    bids.append((mask, value))
                if form is explicit and len({mask for mask, _ in bids}) != len(bids):
                    return None
                bids = tuple(bids)
                valuation = found((key, bids))  # (the form's name: an Enum hashes in Python)
                if valuation is None:
                    valuation = Valuation(form, bids)
                    valuation = read[key, bids] = intern(valuation, valuation)
                out.append(valuation)
        except (KeyError, TypeError, ValueError):
            return None
        return out

    def _read_valuation(self, data: Mapping[str, Any], path: Path_) -> Valuation:
        (key, body), = data.items()
        form = _FORMS[key]
        if form in (Form.EXPLICIT, Form.XOR, Form.OR):
            repeats = form is not Form.EXPLICIT
            bids = self._quick_bids(body, repeats)
            return Valuation(form, bids if bids is not None else self._bids(body, path + [key], repeats))
        path = path + [key]
        if form is Form.SINGLE_MINDED:
            goods, value = body
            return Valuation(form, self._quick_bids((body,), True) or (
                (self.bundle(goods, path + [0]), self.value(value, path + [1])),))
        if form is Form.ADDITIVE:
            bids = []
            for good, value in body.items():
                if good not in self.goods:  # (the key is the good: no position in a list to name)
                    raise self.fail(path + [good], f'unknown good {quoted(good)}; expected one of: {one_of(self.goods)}')
                mask = self.bundle([good], path + [good])
                bids.append((mask, self.value(value, path + [good])))
            return Valuation(form, tuple(sorted(bids)))
        return self._table(body, path)

    def _table(self, body: Sequence[Any], path: Path_) -> Valuation:
        m = len(self.goods)
        if m > MAX_TABLE_GOODS:
            raise self.fail(path, f"tables are supported up to {MAX_TABLE_GOODS} goods (this instance has {m}); use explicit or bids")
        if len(body) != 1 << m:
            raise self.fail(
                path,
                f"expected 2^{m} = {1 << m} entries (entry k is the bundle whose bit j is goods[j]), got {len(body)}",
            )
        if set(map(type, body)) == {int} and 0 <= min(body) and max(body) <= MAX_ABS_VALUE:
            values = body  # the common case, without a JSON path per entry
        else:
            values = [self.value(v, path + [k]) for k, v in enumerate(body)]
        if values[0] != 0:
            raise self.fail(path + [0], f"the empty bundle is worth 0 by definition, got {values[0]}")
        listed = np.flatnonzero(np.array(values, dtype=np.int64))  # |values| <= 10^12 fit
        return Valuation(Form.TABLE, tuple(zip(listed.tolist(), map(values.__getitem__, listed.tolist()))))

    def _profile(self, data: Mapping[str, Any], path: Path_, owner: int) -> dict[int, Valuation]:
        # A 500-player file with knowledge holds 250,000 of these entries: when every name is a
        # player other than the owner and every valuation is read by :meth:`_quick_valuations`
        # (the common case), no JSON path is built; otherwise the loop below names the problem.
        players = self.players
        owners = list(map(players.get, data, repeat(-1)))
        if -1 not in owners and owner not in owners:
            valuations = self._quick_valuations(data.values())
            if valuations is not None:
                return dict(sorted(zip(owners, valuations), key=itemgetter(0)))
        profile = {}
        for name, body in data.items():
            j = self._player(name, path + [name])
            if j == owner:
                raise self.fail(path + [name], "knowledge about oneself; a player knows its own valuation exactly")
            profile[j] = self.valuation(body, path + [name])
        return dict(sorted(profile.items()))

    def _knowledge(self, data: Mapping[str, Any], path: Path_, owner: int,
                   true_values: tuple[Valuation, ...]) -> Knowledge:
        if "exact" in data:  # (the schema allows only true) the truth itself, shared, not copied
            return LowerBounds({j: v for j, v in enumerate(true_values) if j != owner})
        if "lower_bounds" in data:
            return LowerBounds(self._profile(data["lower_bounds"], path + ["lower_bounds"], owner))
        return Candidates(
            tuple(
                self._profile(profile, path + ["candidates", k], owner)
                for k, profile in enumerate(data["candidates"])
            )
        )

    def _coalitions(self, data: Sequence[Sequence[str]]) -> tuple[tuple[int, ...], ...]:
        where: dict[str, int] = {}
        result = []
        for c, members in enumerate(data):
            for k, name in enumerate(members):
                self._player(name, ["coalitions", c, k])
                if name in where:
                    other = "this coalition" if where[name] == c else f"coalitions[{where[name]}]"
                    raise self.fail(["coalitions", c, k],
                                    f"player {quoted(name)} is already in {other}; coalitions must be disjoint")
                where[name] = c
            result.append(tuple(sorted(self.players[name] for name in members)))
        return tuple(sorted(result))

    def _endowment(self, data: Mapping[str, Sequence[str]]) -> tuple[int, ...]:
        owner_of: dict[str, str] = {}
        masks = [0] * len(self.players)
        for name, goods in data.items():
            i = self._player(name, ["endowment", name])
            masks[i] = self.bundle(goods, ["endowment", name], allow_empty=True)
            for k, good in enumerate(goods):
                if good in owner_of:
                    raise self.fail(["endowment", name, k], f"good {quoted(good)} is already endowed to "
                                                            f"{quoted(owner_of[good])}; endowments must be disjoint")
                owner_of[good] = name
        return tuple(masks)
