"""Write an :class:`Instance` back to the JSON file format (the inverse of ``loader``)."""

from __future__ import annotations

import gc
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from instances.bundles import names
from instances.model import Candidates, Instance, LowerBounds
from instances.valuation import Form, Valuation

__all__ = ["dump_instance", "floats_written_alike", "holds_float", "instance_text", "instance_to_json",
           "valuation_to_json"]


def valuation_to_json(valuation: Valuation, goods: tuple[str, ...]) -> dict[str, Any]:
    form = valuation.form
    if form is Form.TABLE:
        table = [0] * (1 << len(goods))
        for mask, value in valuation.bids:
            table[mask] = value
        return {"table": table}
    if form is Form.ADDITIVE:
        return {"additive": {names(mask, goods)[0]: value for mask, value in valuation.bids}}
    if form is Form.SINGLE_MINDED:
        (mask, value), = valuation.bids
        return {"single_minded": [names(mask, goods), value]}
    return {form.value: [[names(mask, goods), value] for mask, value in valuation.bids]}


def instance_to_json(instance: Instance) -> dict[str, Any]:
    """``instance`` as decoded JSON (the dict an instance file holds), for :func:`parse_instance`.

    Parameters
    ----------
    instance : Instance
        Any instance.

    Returns
    -------
    dict
        ``name``, ``goods``, ``players``, ``valuations`` and, when present, ``knowledge``,
        ``coalitions``, ``endowment``, ``scale`` and ``description``.

    Examples
    --------
    >>> from instances import instance_to_json, load_instance, parse_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> data = instance_to_json(inst)
    >>> data["valuations"]["p3"]
    {'explicit': [[['1', '2'], 50]]}
    >>> parse_instance(data) == inst
    True
    """
    goods, players = instance.goods, instance.players

    def profile(p: dict[int, Valuation]) -> dict[str, Any]:
        return {players[j]: valuation_to_json(v, goods) for j, v in p.items()}

    data: dict[str, Any] = {"name": instance.name}
    if instance.description is not None:
        data["description"] = instance.description
    if instance.scale != 1:  # instances in integer units look exactly as before the field existed
        data["scale"] = instance.scale
    data |= {
        "goods": list(goods),
        "players": list(players),
        "valuations": {players[i]: valuation_to_json(v, goods) for i, v in enumerate(instance.valuations)},
    }
    knowledge: dict[str, Any] = {}
    truth = instance.valuations
    for i, k in enumerate(instance.knowledge):
        if isinstance(k, LowerBounds) and _exact(k, truth, i):
            # n - 1 copies of the other players' valuations, n^2 in all: a 400-player CATS file
            # with exact knowledge was 96 MB written out, 130 KB so
            knowledge[players[i]] = {"exact": True}
        elif isinstance(k, LowerBounds):
            knowledge[players[i]] = {"lower_bounds": profile(dict(k.bounds))}
        elif isinstance(k, Candidates):
            knowledge[players[i]] = {"candidates": [profile(dict(p)) for p in k.profiles]}
    if knowledge:
        data["knowledge"] = knowledge
    if instance.coalitions:
        data["coalitions"] = [[players[i] for i in c] for c in instance.coalitions]
    if instance.endowment is not None:
        data["endowment"] = {players[i]: names(e, goods) for i, e in enumerate(instance.endowment) if e}
    return data


def _exact(known: LowerBounds, truth: tuple[Valuation, ...], owner: int) -> bool:
    """Whether ``known`` bounds every other player by its true valuation (the file's
    ``{"exact": true}``; a lone player's empty bounds stay written out)."""
    bounds = known.bounds
    return 0 < len(bounds) == len(truth) - 1 and all(
        j != owner and (v is truth[j] or v == truth[j]) for j, v in bounds.items())


def _one_line(node: Any, end: int, width: int) -> bool:
    """Whether :func:`_format` writes ``node`` on one line: a scalar, a list of scalars (a
    table, however long), or anything whose compact text ends (``end``) within ``width``."""
    if end <= width or not isinstance(node, (list, dict)):
        return True
    return isinstance(node, list) and all(not isinstance(x, (list, dict)) for x in node)


def _format(node: Any, indent: int = 0, width: int = 100, fast: bytes | None = None) -> str:
    """Compact JSON where it fits on a line (and always for lists of numbers, i.e. tables),
    otherwise one entry per line. ``fast``: the node's orjson text when :func:`_plain_strings`
    found it safe (:func:`_format_fast`). A node that is not is written here, and each of its
    parts is asked again: a generated file's name and description hold colons, quotes and
    "0.8", and its knowledge (nearly all of it) need not be written by ``json`` for that."""
    if fast is not None:
        return _format_fast(node, indent, width, fast)
    if _longer_than(node, width - indent):
        compact = None  # (not encoded by ``json`` only to be found too long: a whole document)
    else:
        compact = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))
        if _one_line(node, indent + len(compact), width):
            return compact
    pad = " " * (indent + 1)
    if isinstance(node, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 1, width, _plain_strings(v))}"
                 for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _format(v, indent + 1, width, _plain_strings(v)) for v in node]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def _longer_than(node: Any, room: int) -> bool:
    """Whether ``node`` is a dict or a list of lists and dicts whose ``json`` text cannot fit in
    ``room`` characters: orjson's compact text, with no float, is never longer (the same
    escapes and integers, no separators' spaces), and it is already longer. False when unsure."""
    if not isinstance(node, (list, dict)) or (isinstance(node, list) and all(
            not isinstance(x, (list, dict)) for x in node)):
        return False  # written on one line whatever its length (:func:`_one_line`)
    try:
        text = orjson.dumps(node)
    except TypeError:  # orjson.JSONEncodeError included
        return False
    return len(text.decode()) > room and not holds_float(text)  # (characters, as json counts them)


def _format_fast(node: Any, indent: int, width: int, text: bytes) -> str:
    """:func:`_format` of a part of a document :func:`_plain_strings` found safe, from orjson's
    compact ``text`` of it: with a space after every separator it is the text ``json.dumps``
    writes, and a key is its characters in quotes (a 15 MB file with knowledge: 1 s instead
    of 2 s, every level of the file writing its whole subtree again)."""
    compact = text.replace(b",", b", ").replace(b":", b": ").decode()
    if _one_line(node, indent + len(compact), width):
        return compact
    pad = " " * (indent + 1)
    dumps = orjson.dumps
    if isinstance(node, dict):
        items = [f'{pad}"{k}": {_format_fast(v, indent + 1, width, dumps(v))}' for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _format_fast(v, indent + 1, width, dumps(v)) for v in node]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


_QUOTE, _COMMA, _COLON, _BACKSLASH = ord('"'), ord(","), ord(":"), ord("\\")
_NOT_AN_INTEGER = re.compile(rb"[0-9][.eE]")
"""In orjson's output: perhaps a float (or a string holding a digit then ".", "e" or "E")."""


def _inside_strings(text: bytes) -> np.ndarray:
    """Which bytes of orjson's JSON ``text`` lie inside a string: those after an odd number of
    quotes (UTF-8 puts no ASCII byte inside a character), where a quote opens or closes a string
    unless an odd number of backslashes precede it (orjson writes a quote in a string as \\")."""
    codes = np.frombuffer(text, dtype=np.uint8)
    quotes = codes == _QUOTE
    for at in np.flatnonzero(quotes[1:] & (codes[:-1] == _BACKSLASH)) + 1:  # (few: escaped ones)
        run = 0
        while text[at - 1 - run] == _BACKSLASH:
            run += 1
        quotes[at] = run % 2 == 0
    return (np.cumsum(quotes, dtype=np.uint8) & 1).astype(bool)  # (the parity survives the wrap)


def holds_float(text: bytes, inside: np.ndarray | None = None) -> bool:
    """Whether orjson's JSON ``text`` holds a float: a digit followed by ".", "e" or "E" outside
    every string (inside one, "0.8" is only characters). ``inside``: :func:`_inside_strings` of
    ``text``, when the caller has it already."""
    hits = [m.start() for m in _NOT_AN_INTEGER.finditer(text)]
    if not hits:
        return False
    if inside is None:
        inside = _inside_strings(text)
    return not bool(np.all(inside[hits]))


_NUMBER = re.compile(rb"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def floats_written_alike(out: bytes) -> bool:
    """Whether every float of orjson's JSON ``out`` is written as ``json`` writes it (its
    ``repr``): ``0.16000847662522755`` alike, ``1e-05`` not (orjson: ``1e-5``). An unproven
    report holds a float (the gap): it went to ``json``'s encoder, 8 s for the 74 MB of a
    10,000-player report. Only the few places where a digit meets ".", "e" or "E" outside a
    string are looked at (as :func:`holds_float` does)."""
    inside = None  # (found once, if a digit meets ".", "e" or "E" at all)
    for hit in _NOT_AN_INTEGER.finditer(out):
        at = hit.start()
        if inside is None:
            inside = _inside_strings(out)
        if inside[at]:  # (in a string: a name holding "0.8" is no float)
            continue
        while at > 0 and out[at - 1] in b"-0123456789":
            at -= 1
        token = _NUMBER.match(out, at).group()
        if repr(float(token)).encode() != token:
            return False
    return True


def _plain_strings(data: Any) -> bytes | None:
    """orjson's compact text of ``data`` (decoded instance JSON: dicts with string keys, lists,
    strings, integers) when it is ``json.dumps``'s with the separators' spaces left out: orjson
    wrote it (integers within 64 bits, no lone surrogate, nothing but JSON's own types), with no
    escape at all (so both write every string as its raw characters, ``ensure_ascii=False``),
    no number but integers, no null (orjson writes NaN so), and no string holds a comma or a
    colon (so every comma and colon is a separator). None otherwise: :func:`_format` then uses
    ``json``."""
    try:
        text = orjson.dumps(data, option=orjson.OPT_PASSTHROUGH_SUBCLASS | orjson.OPT_PASSTHROUGH_DATACLASS
                            | orjson.OPT_PASSTHROUGH_DATETIME)
    except TypeError:  # orjson.JSONEncodeError included
        return None
    if b"\\" in text or b"null" in text:
        return None
    inside = _inside_strings(text)  # (once, for both checks below)
    if holds_float(text, inside):
        return None
    codes = np.frombuffer(text, dtype=np.uint8)
    if np.any(inside & ((codes == _COMMA) | (codes == _COLON))):
        return None
    return text


def instance_text(instance: Instance) -> str:
    """``instance`` as deterministic JSON text (compact where it fits, tables on one line).

    Parameters
    ----------
    instance : Instance
        Any instance.

    Returns
    -------
    str
        The same text for the same instance; :func:`load_instance` reads it back.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from instances import instance_text, parse_instance
    >>> import json
    >>> parse_instance(json.loads(instance_text(inst))) == inst
    True
    """
    # 250,000 lower bounds at 500 players: millions of small containers and no cycle among
    # them; the cyclic collector, run every few hundred allocations, took 2 of 2.5 s to build them
    enabled = gc.isenabled()
    gc.disable()
    try:
        data = instance_to_json(instance)
    finally:
        if enabled:
            gc.enable()
    return _format(data, fast=_plain_strings(data)) + "\n"


def dump_instance(instance: Instance, path: str | Path) -> None:
    """Write ``instance`` to ``path`` (see :func:`instance_text`).

    Parameters
    ----------
    instance : Instance
        Any instance.
    path : str or Path
        The file to write (replaced if it exists).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from instances import dump_instance, load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "copy.json"
    ...     dump_instance(inst, path)
    ...     load_instance(path).valuations == inst.valuations
    True
    """
    Path(path).write_text(instance_text(instance), encoding="utf-8")
