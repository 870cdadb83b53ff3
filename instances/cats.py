"""The CATS file format: read files written by the CATS generator, write XOR instances back.

Format (CATS readme, "File Formats"): ``%`` comment lines; header lines ``goods N``, ``bids M``,
``dummy D``; then one line per bid, ``id price good good ... #``. Goods 0..N-1 are real; goods
N..N+D-1 are dummy goods that CATS adds to encode a bidder's XOR: bids sharing a dummy good
come from the same bidder, a bid without one is a bidder of its own.
"""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from instances.errors import InputError
from instances.model import Instance
from instances.valuation import Form, Valuation


_PRICE = re.compile(r"\+?([0-9]{1,30})(?:\.([0-9]{0,30}))?(?:[eE]([+-]?[0-9]{1,3}))?")
_COUNT = re.compile(r"[0-9]{1,12}")
MAX_EXPONENT = 30
"""Largest decimal exponent read in a price (``1e1000000000`` would take hours to expand)."""


def _price(word: str) -> Fraction | None:
    """A CATS price as an exact fraction, or None if it is not a plain decimal; a huge exponent
    gives a value just above the cap (or a non-integer) instead of expanding it."""
    match = _PRICE.fullmatch(word)
    if not match:
        return None
    exponent = int(match.group(3) or 0)
    if not (match.group(1) + (match.group(2) or "")).strip("0"):
        return Fraction(0)
    if exponent > MAX_EXPONENT:
        return Fraction(10**13)
    if exponent < -MAX_EXPONENT:
        return Fraction(1, 10**MAX_EXPONENT)
    return Fraction(word.lstrip("+"))


def read_cats(path: str | Path, scale: int = 1) -> Instance:
    """Convert a CATS file; prices are multiplied by ``scale`` and must then be integers. The
    result obeys every rule of the instance format (it is validated like a loaded file)."""
    from instances.files import read_input
    from instances.loader import MAX_ABS_VALUE, MAX_GOODS

    source = str(path)
    lines = read_input(path).splitlines()
    header: dict[str, int] = {}
    bids: list[tuple[int, tuple[int, ...], Fraction]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        words = line.replace("\t", " ").split()
        where = f"line {number}"
        if words[0].lower() in ("goods", "bids", "dummy"):
            if len(words) != 2 or not _COUNT.fullmatch(words[1]):
                raise InputError(source, where, f'expected "{words[0]} <count>" with a count in digits 0-9, '
                                 f"got {line[:60]!r}")
            if words[0].lower() in header:
                raise InputError(source, where, f'a second "{words[0]}" header line; each header appears once')
            header[words[0].lower()] = int(words[1])
            if header.get("goods") == 0 or header.get("goods", 0) > MAX_GOODS:
                raise InputError(source, where, f"{header['goods']} goods; expected 1 to {MAX_GOODS}")
            continue
        if "goods" not in header or "bids" not in header:
            raise InputError(source, where, 'a bid before the "goods" and "bids" header lines')
        if words[-1] != "#":
            raise InputError(source, where, 'a bid line must end with "#"')
        raw_price = _price(words[1]) if len(words) > 1 else None
        if raw_price is None or not all(_COUNT.fullmatch(w) for w in words[2:-1]):
            raise InputError(source, where, f'expected "id price good ... #" with a decimal price and good '
                             f"numbers, got {line[:60]!r}")
        price = raw_price * scale
        goods = tuple(int(w) for w in words[2:-1])
        if price.denominator != 1:
            raise InputError(source, where, f"price {words[1]} x scale {scale} is not an integer; "
                             "use --scale (e.g. --scale 100) to convert prices to integers")
        if price > MAX_ABS_VALUE:
            raise InputError(source, where, f"price {words[1]} x scale {scale} is above 10^12, the largest value "
                             "cabench accepts")
        total = header["goods"] + header.get("dummy", 0)
        if not goods or any(g < 0 or g >= total for g in goods):
            raise InputError(source, where, f"goods must be numbers 0..{total - 1}, at least one real good")
        bids.append((number, goods, price))
    if "goods" not in header:
        raise InputError(source, "", 'missing the "goods N" header line')
    if len(bids) != header.get("bids", len(bids)):
        raise InputError(source, "", f'the header announces {header["bids"]} bids but the file has {len(bids)}')
    n_goods = header["goods"]
    bidders: dict[object, dict[int, int]] = {}
    for number, goods, price in bids:
        dummies = [g for g in goods if g >= n_goods]
        real = [g for g in goods if g < n_goods]
        if len(dummies) > 1:
            raise InputError(source, f"line {number}", "a bid with more than one dummy good")
        if not real:
            raise InputError(source, f"line {number}", "a bid with no real good")
        key = ("dummy", dummies[0]) if dummies else ("bid", number)
        book = bidders.setdefault(key, {})
        bundle = sum(1 << g for g in set(real))
        book[bundle] = max(int(price), book.get(bundle, 0))
    valuations = tuple(Valuation(Form.XOR, tuple(sorted(book.items()))) for book in bidders.values())
    instance = Instance(
        name=Path(path).stem,
        goods=tuple(str(g) for g in range(n_goods)),
        players=tuple(f"bidder{k + 1}" for k in range(len(valuations))),
        valuations=valuations,
        knowledge=(None,) * len(valuations),
        source=source,
    )
    return _validated(instance)


def _validated(instance: Instance) -> Instance:
    """``instance`` after the loader's checks, so that ``import`` never writes a file that
    ``benchmarks`` then rejects."""
    from instances.loader import parse_instance
    from instances.writer import instance_to_json

    parse_instance(instance_to_json(instance), source=instance.source, default_name=instance.name)
    return instance


def write_cats(instance: Instance) -> str:
    """The CATS text of an instance whose valuations are all XOR bids (xor or single_minded);
    knowledge, coalitions and endowments have no place in the format and are dropped."""
    for i, v in enumerate(instance.valuations):
        if v.form not in (Form.XOR, Form.SINGLE_MINDED):
            raise InputError(instance.source, f"valuations.{instance.players[i]}",
                             f"CATS export needs xor or single_minded valuations, got {v.form.value}")
    m = instance.m
    lines = [f"% {instance.name}: written by cabench", f"goods {m}"]
    body = []
    dummy = 0
    for v in instance.valuations:
        bids = [(b, x) for b, x in v.bids if x > 0]
        tag = []
        if len(bids) > 1:
            tag = [m + dummy]
            dummy += 1
        for bundle, value in bids:
            goods = [g for g in range(m) if bundle >> g & 1] + tag
            body.append(f"{len(body)}\t{value}\t" + "\t".join(str(g) for g in goods) + "\t#")
    lines += [f"bids {len(body)}", f"dummy {dummy}", ""]
    return "\n".join(lines + body) + "\n"
