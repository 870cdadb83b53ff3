"""The CATS file format: read files exactly as the CATS generator writes them, write XOR instances back.

Format (CATS readme, "File Formats"): ``%`` comment lines; header lines ``goods N``, ``bids M``,
``dummy D``; then one line per bid, ``id price good good ... #``. Goods 0..N-1 are real; goods
N..N+D-1 are dummy goods that CATS adds to encode a bidder's XOR: bids sharing a dummy good
come from the same bidder, a bid without one is a bidder of its own.

Prices are decimals (CATS prints six significant digits, so ``0.0375792`` and ``2142.55`` meet in
one file). cabench keeps money in integers: the import multiplies every price by a power of ten,
the instance's ``scale``, and export divides by it again (:mod:`instances.units`).

A bid holds at least one real good and at most one dummy good. The header's goods count can be
too small: CATS 2.1's paths generator writes the number of goods asked for, but its last path may
take a road or two more, numbered right after the others (a 40-good file whose bids use real good
40, beside dummy good 58 or alone). Read literally, good 40 would be a dummy good that ties four
unrelated bidders into one XOR. The reader therefore takes as real the smallest number of goods,
at least the header's, that leaves every bid a real good and at most one good above them
(:func:`real_goods`).
"""

from __future__ import annotations

import contextlib
import re
import shlex
import warnings
from fractions import Fraction
from pathlib import Path

from instances.bundles import mask_of
from instances.errors import InputError
from instances.loader import MAX_ABS_VALUE, MAX_GOODS, cats_like, read_text, source_name
from instances.model import Instance
from instances.units import MAX_SCALE, is_power_of_ten, show, smallest_scale
from instances.valuation import Form, Valuation

__all__ = ["GoodsBeyondHeader", "RoundedToZero", "header_distribution", "looks_like_cats", "read_cats",
           "read_instance_or_cats", "real_goods", "write_cats"]

_Bid = tuple[int, tuple[int, ...], Fraction, str]  # line number, goods, price, price as written
_PRICE = re.compile(r"\+?(?=\.?[0-9])([0-9]{0,30})(?:\.([0-9]{0,30}))?(?:[eE]([+-]?[0-9]{1,3}))?")
"""A price as C's printf and strtod write and read it: ``12``, ``0.5``, ``.5``, ``5.``, ``1.5e3``."""
_COUNT = re.compile(r"[0-9]{1,12}")
_DECIMAL = re.compile(r"\+?(?=\.?[0-9])[0-9]*(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?")
"""A decimal of any length: one that is no :data:`_PRICE` has too many digits to be a price."""
_DIGITS = re.compile(r"[0-9]+")


def _price(word: str) -> Fraction | None:
    """A CATS price as an exact fraction, or None if it is not a plain decimal. The pattern
    allows at most 30 digits on each side of the point and a three-digit exponent, so the exact
    value is at most a few thousand bits: ``1e1000000000``, which would take hours to expand, is
    no price. (Exponents beyond 30 were read as 10^13 or 10^-30 whatever the digits:
    ``999999999999999999999999999999e-31``, about 0.1, became 10^-30, and 0 under ``--round``.)"""
    if not _PRICE.fullmatch(word):
        return None
    return Fraction(word.lstrip("+"))


def _parse(source: str, text: str) -> tuple[dict[str, int], list[_Bid]]:
    if text.lstrip().startswith("{"):  # (it said "line 1: a bid before the header lines")
        raise InputError(source, "line 1", "this is JSON, not a CATS file; a JSON instance needs no import: "
                         "give it to benchmarks, evaluate or any other command as it is")
    header: dict[str, int] = {}
    header_lines: dict[str, int] = {}  # header word -> its line
    bids: list[_Bid] = []
    ids: dict[int, int] = {}  # bid id -> its line
    # lines end at "\n", "\r\n" or "\r" only: ``splitlines`` also breaks at a form feed or U+2028
    # inside a comment, which shifted every later line number
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    last = max((k for k, raw in enumerate(lines, start=1) if raw.strip()), default=0)  # (a cut file's last line)
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("%"):
            continue
        words = line.replace("\t", " ").split()
        where = f"line {number}"
        if words[0].lower() in ("goods", "bids", "dummy"):
            if len(words) != 2 or not _DIGITS.fullmatch(words[1]):
                raise InputError(source, where, f'expected "{words[0]} <count>" with a count in digits 0-9, '
                                 f"got {line[:60]!r}")
            if not _COUNT.fullmatch(words[1].lstrip("0") or "0"):  # digits, too many of them
                shown = words[1] if len(words[1]) <= 24 else f"{words[1][:12]}...({len(words[1])} digits)"
                limit = f"expected 1 to {MAX_GOODS}" if words[0].lower() == "goods" else "expected at most 12 digits"
                raise InputError(source, where, f'"{words[0]} {shown}": the count is too large; {limit}')
            if words[0].lower() in header:
                raise InputError(source, where, f'a second "{words[0]}" header line; each header appears once')
            header[words[0].lower()] = int(words[1])
            header_lines[words[0].lower()] = number
            if header.get("goods") == 0 or header.get("goods", 0) > MAX_GOODS:
                raise InputError(source, where, f"{header['goods']} goods; expected 1 to {MAX_GOODS}")
            continue
        if "goods" not in header or "bids" not in header:
            if not _COUNT.fullmatch(words[0]):  # (a typo or a cut header: "goo", "good 40")
                raise InputError(source, where, f"unrecognised line {line[:40]!r}; expected a header line "
                                 '"goods N", "bids N" or "dummy N", a comment starting with "%", or a bid '
                                 'after the "goods" and "bids" lines')
            missing = [word for word in ("goods", "bids") if word not in header]
            named = " and ".join(f'"{word}"' for word in missing)
            raise InputError(source, where, f"a bid before the {named} header line{'s' * (len(missing) > 1)}; "
                             f"expected {' and '.join(f'{word} N' for word in missing)} before the first bid")
        if words[-1] != "#" and not _DIGITS.fullmatch(words[0]):
            # (a stray line after the header said 'a bid line must end with "#"')
            raise InputError(source, where, f"unrecognised line {line[:40]!r}; expected a bid \"id price good ... #\" "
                             'or a comment starting with "%"')
        if words[-1] != "#":
            cut = " (is the file cut short?)" if number == last and "#" not in words else ""
            raise InputError(source, where, f'a bid line must end with "#"{cut}')
        if len(words) > 1 and words[1].startswith("-") and _price(words[1][1:]) != 0:  # ("-0" is 0)
            raise InputError(source, where, f"negative price {words[1][:40]}")
        price = _price(words[1].removeprefix("-")) if len(words) > 1 else None
        if price is None and len(words) > 1 and _DECIMAL.fullmatch(words[1]):
            raise InputError(source, where, f"price {words[1][:40]}: more digits than a price holds; expected at "
                             "most 30 digits each side of the point and an exponent of at most 3 digits")
        if price is None or not all(_COUNT.fullmatch(w) for w in words[2:-1]):
            raise InputError(source, where, f'expected "id price good ... #" with a decimal price and good '
                             f"numbers, got {line[:60]!r}")
        if not _DIGITS.fullmatch(words[0]):
            raise InputError(source, where, f"the bid id {words[0][:40]!r} is not a number in digits 0-9")
        if not _COUNT.fullmatch(words[0].lstrip("0") or "0"):  # (it said "is not a number in digits 0-9")
            raise InputError(source, where, f"the bid id {words[0][:40]!r} has {len(words[0])} digits; expected at "
                             "most 12")
        if int(words[0]) in ids:
            raise InputError(source, where,
                             f"bid id {int(words[0])} again (line {ids[int(words[0])]}); each bid has its own")
        ids[int(words[0])] = number
        goods = tuple(int(w) for w in words[2:-1])
        total = header["goods"] + header.get("dummy", 0)
        if not goods:
            raise InputError(source, where, "a bid with no good; a bid lists at least one good")
        if any(g >= total for g in goods):
            past = next(g for g in goods if g >= total)
            dummies = (f'and the "dummy {header["dummy"]}" line adds dummy goods up to {total - 1}'
                       if "dummy" in header else 'and there is no "dummy N" header line for dummy goods')
            raise InputError(source, where, f"good {past} is past the goods of the header: \"goods "
                             f"{header['goods']}\" numbers them 0..{header['goods'] - 1}, {dummies}")
        if len(set(goods)) != len(goods):
            twice = next(g for k, g in enumerate(goods) if g in goods[:k])
            raise InputError(source, where, f"good {twice} appears twice in this bid; a bid lists each good once")
        bids.append((number, goods, price, words[1]))
    if "goods" not in header:
        raise InputError(source, "", 'missing the "goods N" header line')
    if len(bids) != header.get("bids", len(bids)):
        short = " (is the file cut short?)" if len(bids) < header["bids"] else ""
        raise InputError(source, f"line {header_lines['bids']}", f'the header announces {header["bids"]} '
                         f"bid{'s' * (header['bids'] != 1)} but the file has {len(bids)}{short}")
    return header, bids


def _choose_scale(source: str, bids: list[_Bid], scale: int | None, round_digits: int | None) -> tuple[int, list[int]]:
    """The scale and every price times it, as integers (see :func:`read_cats`)."""
    prices = [round(price, round_digits) if round_digits is not None else price for _, _, price, _ in bids]
    if scale is None:
        needed = [(smallest_scale([p]), k) for k, p in enumerate(prices)]
        for need, k in needed:
            number, _, _, written = bids[k]
            if need is None:
                raise InputError(source, f"line {number}", f"price {written} is not a finite decimal; "
                                 "use --round DIGITS to round prices to DIGITS decimals")
            if need > MAX_SCALE:
                raise InputError(source, f"line {number}",
                                 f"price {written} needs scale 10^{len(str(need)) - 1} to be an integer, above the "
                                 "limit 10^9; use --round DIGITS to round prices to DIGITS decimals")
        scale = max((need for need, _ in needed), default=1)
    elif not is_power_of_ten(scale) or scale > MAX_SCALE:
        raise InputError(source, "", f"--scale must be a power of ten from 1 to 10^9, got {scale}")
    values = []
    for k, p in enumerate(prices):
        number, _, _, written = bids[k]
        value = p * scale
        if value.denominator != 1:
            # (with --round given, the advice to round was the one already taken)
            rounding = ("or round with --round DIGITS" if round_digits is None else
                        f"or round to fewer digits than --round {round_digits}")
            # (rounded to round_digits places: a finite decimal, so smallest_scale has one)
            places = smallest_scale([prices[k]])
            shown = written if round_digits is None else f"{written} (rounded to {show(int(prices[k] * places), places)})"
            raise InputError(source, f"line {number}", f"price {shown} x scale {scale} is not an integer; leave "
                             f"out --scale to use the smallest power of ten that fits every price, {rounding}")
        if p > MAX_ABS_VALUE:  # (a price of up to a thousand digits: no product to show)
            raise InputError(source, f"line {number}", f"price {written} is above 10^12, the largest value "
                             "cabench accepts")
        if value > MAX_ABS_VALUE:
            raise InputError(source, f"line {number}", f"price {written} x scale {scale} = {value} is above "
                             f"10^12, the largest value cabench accepts; use --round DIGITS with fewer digits")
        values.append(int(value))
    zeroed = [bids[k][0] for k, p in enumerate(prices) if p == 0 and bids[k][2] != 0]
    if zeroed:  # (a bid of price 1.234e-11 became a bid of 0 under --round 6, without a word)
        warnings.warn(RoundedToZero(f"{source}: {len(zeroed)} positive price{'s' if len(zeroed) > 1 else ''} "
                                    f"became 0 under --round {round_digits} (first at line {zeroed[0]}): such "
                                    "bids count for nothing; round to more digits to keep them"), stacklevel=3)
    return scale, values


class RoundedToZero(UserWarning):
    """Positive CATS prices that ``--round`` made 0 (``cabench import`` prints it): their bids
    then count for nothing."""


_SCALE_COMMENT = re.compile(r"%\s*cabench scale (\d{1,10})\s*")
"""The comment line ``write_cats`` writes with the instance's scale (``% cabench scale 1000``)."""


def _written_scale(text: str) -> int | None:
    """The scale a ``% cabench scale N`` comment line of ``text`` names, if any."""
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        found = _SCALE_COMMENT.fullmatch(raw.strip())
        if found is not None:
            return int(found.group(1))
    return None


def read_cats(path: str | Path, scale: int | None = None, round_digits: int | None = None) -> Instance:
    """Convert a CATS file (``"-"`` reads standard input) into an instance of XOR bidders.

    Parameters
    ----------
    path
        The CATS file.
    scale
        Multiply every price by this power of ten; by default the scale that a ``% cabench scale
        N`` comment line names (:func:`write_cats` writes it), else the smallest power of ten that
        makes every price an integer (an error when that is above 10^9).
    round_digits
        Round every price to this many decimals first (half to even), for files whose prices
        carry more digits than needed.

    Returns
    -------
    Instance
        One player ``bidder<k>`` per CATS bidder, in order of first bid, with the bidder's bids as
        an XOR list exactly as written (a repeated bundle stays repeated) and ``scale`` recorded.
    """
    source, name = source_name(path)
    text = read_text(path, "a CATS file")
    header, bids = _parse(source, text)
    if not bids:  # (the instance's check would say "players: expected at least 1 items")
        raise InputError(source, "", "no bids; an instance needs at least one bid")
    written = _written_scale(text) if scale is None and round_digits is None else None
    if written is not None:
        # the scale of the instance cabench exported (``write_cats``): prices like 1.23 of an
        # instance at scale 1000 were read back at scale 100, and the mechanisms' parameters,
        # in 1/scale units, changed with it; a file edited since to need more digits is read
        # at the scale it needs
        with contextlib.suppress(InputError):
            scale, values = _choose_scale(source, bids, written, None)
    if written is None or scale is None:
        scale, values = _choose_scale(source, bids, scale, round_digits)
    n_goods = real_goods(header["goods"], [goods for _, goods, _, _ in bids])
    bidders = _bidders(bids, values, n_goods)
    if n_goods > header["goods"]:
        # (said nowhere: a bid edited by hand to hold two dummy goods changed goods and players)
        first = next(number for number, goods, _, _ in bids if real_goods(header["goods"], [goods]) > header["goods"])
        # the players too: one dummy-only bid made a bidder of 28 bids 28 players of one bid
        announced = len(_bidders(bids, values, header["goods"]))
        players = (f", and {len(bidders)} players ({announced} with the header's count of goods)"
                   if announced != len(bidders) else "")
        warnings.warn(GoodsBeyondHeader(
            f"{source}: line {first}: this bid holds no good below the header's {header['goods']}, or two past "
            f"it, and a bid holds real goods and at most one dummy good: the file is read with {n_goods} real "
            f"goods (0..{n_goods - 1}; only the goods past them are dummies){players}. CATS 2.1's paths "
            "generator writes such files; check the file if it does not come from there"), stacklevel=2)
    valuations = tuple(Valuation(Form.XOR, tuple(book)) for book in bidders.values())
    instance = Instance(
        name=name,
        goods=tuple(str(g) for g in range(n_goods)),
        players=tuple(f"bidder{k + 1}" for k in range(len(valuations))),
        valuations=valuations,
        knowledge=(None,) * len(valuations),
        scale=scale,
        source=source,
    )
    return _validated(instance)


def _bidders(bids: list, values: list[int], n_goods: int) -> dict[object, list[tuple[int, int]]]:
    """The bidders of a CATS file read with ``n_goods`` real goods: the bids that share a dummy
    good (one past the real goods) are one bidder's XOR, each other bid a bidder of its own."""
    bidders: dict[object, list[tuple[int, int]]] = {}
    for (number, goods, _, _), value in zip(bids, values):
        dummy = max(goods)
        key = ("dummy", dummy) if dummy >= n_goods else ("bid", number)
        bidders.setdefault(key, []).append((mask_of(g for g in goods if g < n_goods), value))
    return bidders


def read_instance_or_cats(path: str | Path) -> Instance:
    """A cabench instance file (JSON, told by its first character whatever its name: ``s.JSON``
    was read as a CATS file), or any other file read as a CATS file as ``cabench import`` reads
    it without options: one XOR player per bidder, the smallest scale that makes every price an
    integer, no knowledge. What ``perf``, ``sweep`` and ``experiment`` read.

    A file read with more real goods than its header says (:class:`GoodsBeyondHeader`, as CATS
    2.1's paths generator writes them) is read so without a warning: ``cabench import`` prints
    it, for a user checking one file. A price that needs rounding is an :class:`InputError` that
    sends the user to ``cabench import --round`` (these commands have no ``--round``).

    Examples
    --------
    >>> read_instance_or_cats("instances/examples/seed004-example.json").players
    ('p1', 'p2', 'p3')
    """
    from instances.loader import load_instance

    with open(path, "rb") as handle:
        start = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if Path(path).suffix.lower() == ".json" or start.startswith((b"{", b"[")):
        return load_instance(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", GoodsBeyondHeader)
            return read_cats(path)
    except InputError as exc:
        if "--round DIGITS" not in exc.message:
            raise
        command = f"`cabench import {shlex.quote(str(path))} --round DIGITS -o NEW.json`"
        advice = "use --round DIGITS to round prices to DIGITS decimals"
        message = (exc.message.replace(advice, f"round the prices to DIGITS decimals with {command} and give "
                                               "NEW.json instead")
                   if advice in exc.message else exc.message.replace("--round DIGITS", command))
        raise InputError(exc.source, exc.path, message) from None


_DISTRIBUTION = re.compile(r"^%.*\bDistribution:\s*([A-Za-z0-9_.-]+)", re.MULTILINE)
_NAME = re.compile(r"[A-Za-z0-9_.-]+")  # (a distribution's name as the header holds it)
_WRITTEN_BY = "written by cabench"
"""How a CATS file cabench wrote ends its comment line naming the instance."""


def header_distribution(path: str | Path) -> str | None:
    """The distribution a CATS file's opening comments name, as CATS 2.1 writes them (``% Goods:
    40; Bids: 200; Distribution: regions; Runs: 1; Seed: 1``), or None: what ``cabench sweep``
    and ``cabench experiment`` record as a CATS file's ``distribution``, so that ``cabench
    table`` draws one line per distribution. (The header's seed is not the file's: one run of
    the generator writes several files under it.)

    Examples
    --------
    >>> header_distribution("tests/data/cats/L2-40-200-0000.txt"), header_distribution("LICENSE")
    ('L2', None)
    """
    with open(path, "rb") as handle:
        head = handle.read(4096).decode("utf-8", errors="replace")
    # (the line naming an instance cabench wrote holds the user's name, not a distribution)
    lines = (line for line in head.splitlines() if not line.endswith(f": {_WRITTEN_BY}"))
    found = next((match for match in map(_DISTRIBUTION.match, lines) if match), None)
    return found.group(1) if found else None


def looks_like_cats(path: str | Path) -> bool:
    """Whether the file opens as a CATS file does: its first line that is not blank is a ``%``
    comment or a ``goods N`` / ``bids N`` / ``dummy N`` header. How ``cabench sweep`` tells a
    folder's CATS files from its other ``*.txt`` files (notes, a README), which it leaves alone.

    Examples
    --------
    >>> looks_like_cats("tests/data/cats/paths-40-200-0000.txt"), looks_like_cats("LICENSE")
    (True, False)
    """
    with open(path, "rb") as handle:
        return cats_like(handle.read(4096).decode("utf-8", errors="replace").lstrip("\ufeff"))


class GoodsBeyondHeader(UserWarning):
    """A CATS file read with more real goods than its header says (:func:`real_goods`): the
    file is valid, but a user who edited it by hand should look (``cabench import`` prints it)."""


def real_goods(announced: int, bids: list[tuple[int, ...]]) -> int:
    """The number of real goods of a CATS file: the smallest, at least the header's ``announced``,
    that leaves every bid at least one real good and at most one dummy good.

    The CATS format (Leyton-Brown, Pearson, Shoham, EC-00, and the CATS readme, "File Formats")
    adds one dummy good to each bid of a bidder with several bids, so a bid holds real goods and
    at most one dummy good. A file that breaks this has more real goods than its header says:
    CATS 2.1's paths generator writes the requested count even when its last path took more roads.

    >>> real_goods(40, [(21, 41), (1, 40, 58), (40,), (40, 1)])
    41
    >>> real_goods(3, [(0, 1, 3), (2, 3)])
    3
    """
    real = announced
    for goods in bids:
        top = sorted(set(goods), reverse=True)
        real = max(real, (top[1] if len(top) > 1 else top[0]) + 1)
    return real


def _validated(instance: Instance) -> Instance:
    """``instance`` after the loader's checks, so that ``import`` never writes a file that
    ``benchmarks`` then rejects."""
    from instances.loader import parse_instance
    from instances.writer import instance_to_json

    parse_instance(instance_to_json(instance), source=instance.source, default_name=instance.name)
    return instance


def write_cats(instance: Instance, distribution: str | None = None) -> str:
    """The CATS text of an instance whose valuations are all XOR bids (xor or single_minded).

    Prices are divided by the instance's scale and written as exact decimals, so exporting an
    imported file gives back its prices exactly, and a scale above 1 is written on a comment line
    (``% cabench scale 1000``) that :func:`read_cats` reads back: prices 1.23 of an instance at
    scale 1000 were read at scale 100, and the mechanisms' parameters, in 1/scale units, changed.
    Bids are written in the order of the instance, a repeated bundle included, but a bid of price
    0 is left out (it adds nothing to an XOR valuation); a player left with no bid gets one bid of
    price 0 on the first good, so that it stays a player (the mechanisms count the players).
    Knowledge, coalitions and endowments have no place in the format and are dropped. A negative
    price (a market's) has no place either: an :class:`InputError` (it was left out as a 0 is,
    which changed the valuation). ``distribution``, the one the instance was drawn from, is
    written as CATS writes it (``% Distribution: regions``), where :func:`header_distribution`
    reads it back: an exported file kept no trace of it.
    """
    for i, v in enumerate(instance.valuations):
        if v.form not in (Form.XOR, Form.SINGLE_MINDED):
            raise InputError(instance.source, f"valuations.{instance.players[i]}",
                             f"CATS export needs xor or single_minded valuations, got {v.form.value}")
        for bundle, value in v.bids:
            if value < 0:
                goods = ", ".join(instance.goods[g] for g in range(instance.m) if bundle >> g & 1)
                raise InputError(instance.source, f"valuations.{instance.players[i]}",
                                 f"the bid of {show(value, instance.scale, strip=True)} on {{{goods}}}: CATS "
                                 "prices are positive, so a negative one cannot be exported")
    m = instance.m
    # the name on one comment line (a line break in it made lines of bids: a file import refused)
    # the distribution first: header_distribution reads the first 4096 bytes, and the name
    # (however long, whatever it says) must not hide or replace it
    lines = [*([f"% Distribution: {distribution}"] if distribution and _NAME.fullmatch(distribution) else []),
             f"% {' '.join(instance.name.splitlines())}: {_WRITTEN_BY}",
             *([f"% cabench scale {instance.scale}"] if instance.scale > 1 else []),
             f"goods {m}"]
    body = []
    dummy = 0
    for v in instance.valuations:
        bids = [(b, x) for b, x in v.bids if x > 0] or [(1, 0)]
        tag = []
        if len(bids) > 1:
            tag = [m + dummy]
            dummy += 1
        for bundle, value in bids:
            goods = [g for g in range(m) if bundle >> g & 1] + tag
            body.append(f"{len(body)}\t{show(value, instance.scale, strip=True)}\t" + "\t".join(str(g) for g in goods) + "\t#")
    lines += [f"bids {len(body)}", f"dummy {dummy}", ""]
    return "\n".join(lines + body) + "\n"
