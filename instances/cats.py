"""The CATS file format: read files written by the CATS generator, write XOR instances back.

Format (CATS readme, "File Formats"): ``%`` comment lines; header lines ``goods N``, ``bids M``,
``dummy D``; then one line per bid, ``id price good good ... #``. Goods 0..N-1 are real; goods
N..N+D-1 are dummy goods that CATS adds to encode a bidder's XOR: bids sharing a dummy good
come from the same bidder, a bid without one is a bidder of its own.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

from instances.errors import InputError
from instances.model import Instance
from instances.valuation import Form, Valuation


def read_cats(path: str | Path, scale: int = 1) -> Instance:
    """Convert a CATS file; prices are multiplied by ``scale`` and must then be integers."""
    source = str(path)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(source, "", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}") from None
    header: dict[str, int] = {}
    bids: list[tuple[int, tuple[int, ...], Fraction]] = []
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        words = line.replace("\t", " ").split()
        where = f"line {number}"
        if words[0].lower() in ("goods", "bids", "dummy"):
            if len(words) != 2 or not words[1].isdigit():
                raise InputError(source, where, f'expected "{words[0]} <count>", got "{line}"')
            header[words[0].lower()] = int(words[1])
            continue
        if "goods" not in header or "bids" not in header:
            raise InputError(source, where, 'a bid before the "goods" and "bids" header lines')
        if words[-1] != "#":
            raise InputError(source, where, 'a bid line must end with "#"')
        try:
            price = Fraction(words[1]) * scale
            goods = tuple(int(w) for w in words[2:-1])
        except (ValueError, IndexError, ZeroDivisionError):
            raise InputError(source, where, f'expected "id price good ... #", got "{line}"') from None
        if price.denominator != 1:
            raise InputError(source, where, f"price {words[1]} x scale {scale} is not an integer; "
                             "use --scale (e.g. --scale 100) to convert prices to integers")
        if price < 0:
            raise InputError(source, where, f"negative price {words[1]}")
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
    return Instance(
        name=Path(path).stem,
        goods=tuple(str(g) for g in range(n_goods)),
        players=tuple(f"bidder{k + 1}" for k in range(len(valuations))),
        valuations=valuations,
        knowledge=(None,) * len(valuations),
        source=source,
    )


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
