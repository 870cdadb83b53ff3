"""Money units: values are integers inside cabench, in units of 1/scale of the file's money.

An instance imported from a file with decimal prices (CATS writes ``967.433``) keeps every value
as an exact integer multiple of 10^-k and records ``scale = 10^k``. Only the edges divide by the
scale: import and export, and what reports show (``80190.81``, an exact decimal, never a float).
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

__all__ = ["MAX_ABS_VALUE", "MAX_SCALE", "TooLong", "decimal", "exact_number", "is_power_of_ten", "show",
           "show_fraction", "show_probability", "smallest_scale"]

MAX_SCALE = 10**9
"""Largest scale: beyond nine decimal places a price has more digits than any generator writes."""
MAX_ABS_VALUE = 10**12
"""Largest absolute value accepted: sums over thousands of bids stay far inside int64 (CP-SAT)."""


def is_power_of_ten(scale: int) -> bool:
    return scale >= 1 and str(scale).rstrip("0") == "1"


def decimal(value: int, scale: int) -> Decimal:
    """``value / scale`` as an exact :class:`Decimal` (``scale`` is a power of ten)."""
    digits = len(str(scale)) - 1
    return Decimal(value).scaleb(-digits) if digits else Decimal(value)


def show(value: int, scale: int = 1, strip: bool = False) -> str:
    """``value`` in the file's units as exact decimal text with as many decimals as the scale has
    zeros (so columns align): ``show(8019081, 100) == "80190.81"``, ``show(1500, 100) == "15.00"``;
    scale 1 prints the integer unchanged. With ``strip``, trailing zeros after the point are
    dropped (``"15"``), as generators write prices."""
    text = format(decimal(value, scale), "f")
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def show_fraction(x: Fraction, scale: int = 1, places: int = 4, telling: bool = False) -> str:
    """An exact expectation ``x`` (in 1/scale units) in the file's units, rounded exactly (half to
    even) to ``places`` digits after the point plus the scale's own digits, so no digit of a
    price is lost (through a float, values near 10^12 printed digits that are not theirs).

    Examples
    --------
    >>> show_fraction(Fraction(999999999999), 10**9, 6), show_fraction(Fraction(4000000000000, 3), 1, 6)
    ('999.999999999000000', '1333333333333.333333')
    >>> show_fraction(Fraction(-1, 8), 1, 2), show_fraction(Fraction(-1, 10**9), 1, 4)
    ('-0.12', '-0.0000')

    A value below 0 that rounds to 0 keeps its sign, as a float's formatting kept it (a
    deviation's loss of 10^-6 is not "no gain"). With ``telling``, a value other than 0 gets
    places until its first two digits show (a gain of 2 * 10^-6 is not "+0.0000"):

    >>> show_fraction(Fraction(1, 510000), 1, 4, telling=True), show_fraction(Fraction(1, 3), 1, 4, telling=True)
    ('0.0000020', '0.3333')
    """
    digits = places + len(str(scale)) - 1
    if telling and x:
        while abs(Fraction(x)) * 10**digits < 10 * scale:
            digits += 1
    n = round(Fraction(x) * 10**digits / scale)
    text = show(n, 10**digits)
    return "-" + text if n == 0 and x < 0 else text


def show_probability(p: Fraction) -> str:
    """An exact probability as a decimal with enough places to tell it from 0 and 1: at least
    4, and 2 beyond the first digit where it differs from the nearer of them (1 - 1/2560 is
    0.999609, 1 - 3/500000 is 0.99999400, never 1.0000)."""
    if p in (0, 1):
        return str(int(p))
    distance = min(p, 1 - p)
    places = 4
    while distance < Fraction(1, 10 ** (places - 2)):
        places += 1
    return show(round(p * 10**places), 10**places)  # (exactly: a float would make 1 - 10^-20 one)


def smallest_scale(prices: list[Fraction]) -> int | None:
    """The smallest power of ten that makes every price an integer, or None when some price is
    not a finite decimal (its denominator has a prime factor other than 2 and 5)."""
    scale = 1
    for price in prices:
        d = price.denominator
        twos = fives = 0
        while d % 2 == 0:
            d //= 2
            twos += 1
        while d % 5 == 0:
            d //= 5
            fives += 1
        if d != 1:
            return None
        scale = max(scale, 10 ** max(twos, fives))
    return scale


class TooLong(ValueError):
    """A number too long, or of too large an exponent, for :func:`exact_number`."""


def exact_number(text: str) -> Fraction:
    """A number written by a user (``"0.1"``, ``"1/10"``, ``"1e-3"``) as an exact fraction;
    ValueError for one that is not a number, :class:`TooLong` for one too long (over 40
    characters) or of too large an exponent (over 99) to be read quickly:
    ``Fraction("1e-99999999")`` builds a hundred-million-digit integer (minutes). Only ASCII
    digits, without Python's ``_`` separators: ``Fraction("0_1")`` is 1, so a typo for 0.1 was
    taken as ten times it, and ``Fraction("٠.١")`` is 0.1 in Arabic-Indic digits."""
    if not text.isascii() or "_" in text:
        raise ValueError(f"not a number: {text!r}")
    exponent = re.search(r"[eE][+-]?(\d+)$", text)
    if len(text) > 40 or (exponent and int(exponent.group(1)) > 99):
        raise TooLong(text)
    return Fraction(text)
