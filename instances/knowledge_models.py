"""Knowledge models: draw what each player knows about the others, and who colludes, for any instance.

The papers leave the players' knowledge as data of the instance: a set of candidate sub-profiles
of the others' valuations (seed 001 §2 Definition 1; seed 004 §3 Definition 1, possibilistic
beliefs, which may be wrong) or guaranteed lower bounds (seed 000 §1.2 Definition 1,
"knowledge" K^i_j with TV_j >= K^i_j). These models turn a short spec into such data, so that
instances written without knowledge (CATS files, hand-written files, generated bids) get nonzero
knowledge benchmarks. ``cabench generate``, ``import`` and ``annotate`` all use them.

Knowledge specs (every bid of every form is drawn the same way, in bid order):

=================== =========================================================================
``none``            nobody knows anything (every MIEW_i is 0)
``exact``           lower bounds equal to the truth: player i knows TV_j exactly
``noisy-lower:F``   lower bounds: each positive bid of TV_j scaled by U(F, 1), rounded down;
                    other bids kept. Always correct: bound(S) <= TV_j(S) for every S and form
``wrong:P``         as ``noisy-lower:0.5``, but each bid is raised above its true value with
                    probability P, so the beliefs are (in general) incorrect (seed 004 allows it)
``candidates:K``    K candidate sub-profiles, the truth at a random position among them, the
                    others with every bid scaled by U(0.5, 1.5): correct knowledge
=================== =========================================================================

Coalition specs: ``none``; ``pairs:K`` (K disjoint random pairs); ``random:K:SIZE`` (K disjoint
random coalitions of SIZE players).
"""

from __future__ import annotations

import dataclasses
import random
import re
from decimal import Context, Decimal

from instances.errors import CabenchError
from instances.files import MAX_STDIN_BYTES
from instances.model import Candidates, Instance, Knowledge, LowerBounds
from instances.units import MAX_ABS_VALUE
from instances.valuation import Form, Valuation, valuation_key

__all__ = ["ARGUMENTS", "MAX_KNOWLEDGE_VALUES", "SpecError", "annotate", "check_knowledge_size", "draw_coalitions",
           "draw_knowledge", "parse_coalitions", "parse_knowledge", "spelled"]

MAX_KNOWLEDGE_VALUES = 5_000_000
"""Most values the drawn knowledge may hold: it repeats every other player's valuation for every
player (n(n-1) copies, times K for candidates), and a table counts all its 2^m entries. Exact
knowledge copies nothing (every player holds the true valuations themselves, and a file says
``{"exact": true}``): it counts its n(n-1) entries, one per pair of players, whatever the
valuations' size."""


class SpecError(CabenchError):
    """A --knowledge or --coalitions spec that cannot be read or cannot apply to the instance."""

    def flag(self) -> tuple[str, str, str] | None:
        """(flag, value, what) of a message that starts with its flag, ``--flag: what`` or
        ``--flag VALUE: what`` (value "" then); None for an error about an instance."""
        head, sep, what = str(self).partition(": ")
        if not head.startswith("--") or not sep:
            return None
        flag, _, value = head.partition(" ")
        return flag.rstrip(","), value, what


def _plain(number: str) -> str:
    """``number`` if written in ASCII digits (a decimal, possibly with an exponent), else a
    ValueError: ``float`` and ``int`` also take ``0_1`` (1, so ``noisy-lower:0_1`` was
    ``noisy-lower:1``), other scripts' digits, ``nan`` and spaces."""
    if not re.fullmatch(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", number):
        raise ValueError(number)
    return number


def spelled(number: str) -> str:
    """The one spelling of a decimal ``number`` in a knowledge spec: no exponent, no trailing
    zeros or dot, a 0 before the point (``0.5`` for ``0.50``, ``.5e0`` or ``5e-1``). Exact,
    whatever the precision of the caller's ``decimal`` context."""
    value = Decimal(number)  # (exact: a context rounds only arithmetic)
    digits = len(value.as_tuple().digits)
    return format(value.normalize(Context(prec=max(digits, 1))), "f")


def parse_knowledge(spec: str) -> tuple[str, float]:
    """(kind, argument) of a knowledge spec (module docstring); :class:`SpecError` if unreadable."""
    kind, colon, arg = spec.partition(":")
    try:
        if arg:
            _plain(arg)
        if kind in ("none", "exact") and not colon:  # ("exact:" was read as exact)
            return kind, 0.0
        if (kind == "noisy-lower" and 0 < float(arg) <= 1) or (kind == "wrong" and 0 <= float(arg) <= 1):
            # one spelling per model: the spec names the files, is recorded in them and seeds the
            # draw, so "0.50", "1." or ".5e0" made other files and other rows of one model
            written = spelled(arg)
            if written != arg:
                raise SpecError(f'--knowledge: "{spec}": write it "{kind}:{written}" (one spelling per model: the '
                                "spec names the files, is recorded in them and seeds the draw)")
            return kind, float(arg)
        if kind == "candidates" and int(arg) >= 1 and str(int(arg)) == arg:
            return kind, float(int(arg))
    except ValueError:
        pass
    raise SpecError(f'--knowledge: cannot read "{spec}"; expected none, exact, '
                    + ", ".join(f"{kind}:{ARGUMENTS[kind]}" for kind in ("noisy-lower", "wrong"))
                    + f" or candidates:{ARGUMENTS['candidates']}")


ARGUMENTS = {"noisy-lower": "F (0 < F <= 1)", "wrong": "P (0 <= P <= 1)", "candidates": "K (K >= 1)"}
"""The argument each knowledge model with one takes, as errors say it."""


def parse_coalitions(spec: str, players: int) -> tuple[int, int]:
    """(number of coalitions, size); checks that they fit among the players."""
    parts = spec.split(":")
    try:
        if parts == ["none"]:
            return 0, 0
        if parts[0] == "pairs" and len(parts) == 2:
            count, size = int(_plain(parts[1])), 2
        elif parts[0] == "random" and len(parts) == 3:
            count, size = int(_plain(parts[1])), int(_plain(parts[2]))
        else:
            raise ValueError
    except ValueError:
        raise SpecError(f'--coalitions: cannot read "{spec}"; expected none, pairs:K or random:K:SIZE') from None
    if count == 0:  # (a second spelling of none, recorded in the file as "pairs:0": a user's audit)
        raise SpecError(f'--coalitions: "{spec}": no coalition; write it "none" (one spelling per spec: the spec '
                        "names the files, is recorded in them and seeds the draw)")
    # one spelling per spec, as for knowledge: "pairs:01" drew other coalitions than "pairs:1"
    # (the spec seeds the draw) and named other files and rows (found by a user's audit)
    written = ":".join([parts[0], *(str(int(part)) for part in parts[1:])])
    if written != spec:
        raise SpecError(f'--coalitions: "{spec}": write it "{written}" (one spelling per spec: the spec names the '
                        "files, is recorded in them and seeds the draw)")
    if size < 2:  # (it said "1 coalition of 1 player does not fit among 4 players")
        raise SpecError(f'--coalitions: "{spec}": coalitions of {size} player{"" if size == 1 else "s"}; a coalition '
                        "has at least 2 players (SIZE >= 2)")
    if count < 0 or count * size > players:
        raise SpecError(f"--coalitions: {count} coalition{'' if count == 1 else 's'} of {size} "
                        f"player{'' if size == 1 else 's'} "
                        f"do{'es' if count == 1 else ''} not fit among {players} player{'' if players == 1 else 's'} "
                        "(K x SIZE <= players)")
    return count, size


def _scaled(rng: random.Random, v: Valuation, low: float, high: float, raise_prob: float = 0.0,
            lower: bool = False) -> Valuation:
    """``v`` with every bid value redrawn (one or two ``rng.random()`` per bid, in bid order).

    With ``lower`` the result is a lower bound of ``v`` in every form: positive values only
    shrink, other values stay, and a bid that shrinks to 0 is dropped (under XOR a dropped bid can
    only lower the maximum, under OR a packing, and an EXACT bundle becomes 0).

    A value drawn beyond :data:`~instances.units.MAX_ABS_VALUE` (a raised or scaled bid of a
    valuation near it) is that cap: ``annotate`` wrote files that every command then refused."""
    bids = []
    for bundle, value in v.bids:
        if rng.random() < raise_prob:
            bids.append((bundle, min(MAX_ABS_VALUE, value + 1 + int(abs(value) * (0.1 + 0.4 * rng.random())))))
            continue
        factor = low + (high - low) * rng.random()
        scaled = value if lower and value < 0 else max(-MAX_ABS_VALUE, min(MAX_ABS_VALUE, int(value * factor)))
        if scaled != 0:
            bids.append((bundle, scaled))
    if v.form is Form.SINGLE_MINDED and not bids:  # the form needs its one bid: keep it at value 0
        bids = [(v.bids[0][0], 0)]
    return Valuation(v.form, tuple(bids))


def _size(v: Valuation, m: int) -> int:
    return 1 << m if v.form is Form.TABLE else max(1, len(v.bids))


def _bytes_at_least(v: Valuation, m: int, low: float | None = None) -> int:
    """The fewest bytes a drawn copy of ``v`` takes in an instance file (names of one character,
    no spaces): a table's 2^m entries ("0,"), an additive entry ('"a":1,'), a bid's bundle and
    value ('[["a","b"],1],'). ``low``: the least factor its bids are scaled by, so that only the
    positive bids sure to stay are counted (one scaled to 0 is dropped); None: a copy as is."""
    kept = [bundle for bundle, value in v.bids if low is None or (value > 0 and int(value * low) >= 1)]
    if v.form is Form.TABLE:  # (a drawn table with no bid sure to stay may be the truth, written as exact)
        return 2 << m if low is None or kept else 0
    if v.form is Form.ADDITIVE:
        return 6 * len(kept)
    return sum(4 * bundle.bit_count() + 5 for bundle in kept)


def check_knowledge_size(truth: tuple[Valuation, ...], spec: str, goods: int = 0,
                         most_bytes: int = MAX_STDIN_BYTES) -> tuple[str, float]:
    """The parsed ``spec`` (:func:`parse_knowledge`), once the knowledge it would draw on
    ``truth`` over ``goods`` goods is known to fit :data:`MAX_KNOWLEDGE_VALUES`, and the file
    holding it ``most_bytes`` (what cabench reads back: ``instances.files.readable_limit``),
    without drawing it (``cabench perf`` checks every file before measuring any); else
    :class:`SpecError`. The bytes are counted at their fewest: candidates of a few bids that
    name several goods each passed the count of values, and were refused only once drawn and
    written (100,000 candidates on 4 players: 35 s and 2.6 GB, for a file of 197 MB)."""
    kind, arg = parse_knowledge(spec)
    n = len(truth)
    if kind == "exact" and n * (n - 1) > MAX_KNOWLEDGE_VALUES:
        raise SpecError(f"--knowledge exact: every player would hold the other {n - 1} players' true valuations "
                        f"(shared, not copied), {n * (n - 1)} entries in all, above the limit {MAX_KNOWLEDGE_VALUES}; "
                        "use fewer players")
    if kind not in ("none", "exact"):
        copies = int(arg) if kind == "candidates" else 1
        values = copies * (n - 1) * sum(_size(v, goods) for v in truth)
        held = (f"--knowledge {spec}: every player would hold {copies} cop{'y' if copies == 1 else 'ies'} of the "
                f"other {n - 1} players' {', '.join(sorted({v.form.value for v in truth}))} valuations")
        if values > MAX_KNOWLEDGE_VALUES:
            raise SpecError(f"{held}, {values} values in all, above the limit {MAX_KNOWLEDGE_VALUES}; use fewer "
                            "players or bids (or none)")
        # at their fewest bytes: the bids sure to stay (factors from U(F, 1), U(0.5, 1) and
        # U(0.5, 1.5)), and nothing for noisy-lower:1, whose bounds are the truth itself, which
        # the file writes as {"exact": true}; a candidate set holds the truth as it is
        low = arg if kind == "noisy-lower" else 0.5
        scaled = 0 if kind == "noisy-lower" and arg == 1 else sum(_bytes_at_least(v, goods, low) for v in truth)
        exact = sum(_bytes_at_least(v, goods) for v in truth) if kind == "candidates" else 0
        written = (n - 1) * (exact + (copies - (kind == "candidates")) * scaled)
        if written > most_bytes:
            raise SpecError(f"{held}, a file of {written / 2**20:.1f} MiB at least, above the {most_bytes // 2**20} "
                            "MiB that cabench reads back; use fewer players or bids (or none)")
    return kind, arg


def draw_knowledge(rng: random.Random, truth: tuple[Valuation, ...], spec: str, goods: int = 0,
                   most_bytes: int = MAX_STDIN_BYTES) -> tuple[Knowledge, ...]:
    """Each player's knowledge about the others, drawn by the model ``spec``.

    Parameters
    ----------
    rng
        The source of randomness; the same state gives the same knowledge.
    truth
        The true valuations TV_1, ..., TV_n, in player order.
    spec
        A knowledge spec (module docstring): ``none``, ``exact``, ``noisy-lower:F``, ``wrong:P``
        or ``candidates:K``.
    goods
        The number of goods (to size tables for :data:`MAX_KNOWLEDGE_VALUES`).
    most_bytes
        The largest instance file the knowledge may make (:func:`check_knowledge_size`).

    Returns
    -------
    tuple of Knowledge
        For every player i, :class:`LowerBounds` (seed 000 §1.2 Definition 1: TV_j >= L^i_j) or
        :class:`Candidates` (seed 001 Definition 1; seed 004 §3 Definition 1) about every other
        player, or None (``none``, or a player alone in the instance). Lower bounds of
        ``exact`` and ``noisy-lower`` are correct for every valuation form; ``candidates`` always
        contains the truth; ``wrong`` is in general incorrect.

    Raises
    ------
    SpecError
        For an unreadable spec, or knowledge too large to hold (for instance ``exact`` with
        thousands of players, or any model over large tables), with the size that was asked.
    """
    kind, arg = check_knowledge_size(truth, spec, goods, most_bytes)
    n = len(truth)
    if kind == "none":  # (the list of the others, n per player, made 10^6 players take hours)
        return (None,) * n
    result: list[Knowledge] = []
    # Equal valuations drawn are made one object, as a file's reader makes them (a bound equal
    # to the truth is the true valuation): most lower bounds of one-bid players repeat one drawn
    # before (uniform 20 goods, 2000 players: 4 million bounds, 183,000 distinct), and each
    # object costs memory and a lookup by value in every report
    interned = {valuation_key(v): v for v in reversed(truth)}  # (the first of equal ones)

    def intern(v: Valuation) -> Valuation:
        return interned.setdefault(valuation_key(v), v)

    for i in range(n):
        others = [j for j in range(n) if j != i]
        if not others:
            result.append(None)
        elif kind == "exact":
            result.append(LowerBounds({j: truth[j] for j in others}))
        elif kind == "noisy-lower":
            result.append(LowerBounds({j: intern(_scaled(rng, truth[j], arg, 1.0, lower=True)) for j in others}))
        elif kind == "wrong":
            result.append(LowerBounds({j: intern(_scaled(rng, truth[j], 0.5, 1.0, raise_prob=arg, lower=True))
                                       for j in others}))
        else:
            k = int(arg)
            position = int(rng.random() * k)
            profiles = []
            for c in range(k):
                if c == position:
                    profiles.append({j: truth[j] for j in others})
                else:
                    profiles.append({j: intern(_scaled(rng, truth[j], 0.5, 1.5)) for j in others})
            result.append(Candidates(tuple(profiles)))
    return tuple(result)


def draw_coalitions(rng: random.Random, players: int, spec: str) -> tuple[tuple[int, ...], ...]:
    """Disjoint coalitions (seed 000 §2 Definition 5, the collusion structure) drawn by ``spec``:
    ``none``, ``pairs:K`` or ``random:K:SIZE``, members chosen by a seeded shuffle.

    Parameters
    ----------
    rng : random.Random
        The seeded stream to draw from.
    players : int
        Number of players n.
    spec : str
        ``none``, ``pairs:K`` (K disjoint pairs) or ``random:K:SIZE`` (K coalitions of SIZE players).

    Returns
    -------
    tuple of tuple of int
        The coalitions, each a sorted tuple of player indices; the other players are independent.

    Examples
    --------
    >>> import random
    >>> from instances import draw_coalitions
    >>> draw_coalitions(random.Random(7), 5, "pairs:1")
    ((2, 3),)
    >>> draw_coalitions(random.Random(7), 5, "none")
    ()
    """
    count, size = parse_coalitions(spec, players)
    order = list(range(players))
    for k in range(players - 1, 0, -1):  # Fisher-Yates with rng.random() only
        j = int(rng.random() * (k + 1))
        order[k], order[j] = order[j], order[k]
    return tuple(sorted(tuple(sorted(order[c * size:(c + 1) * size])) for c in range(count)))


def annotate(instance: Instance, knowledge: str | None = None, coalitions: str | None = None, seed: int = 0,
             replace: bool = False, most_bytes: int = MAX_STDIN_BYTES) -> Instance:
    """``instance`` with knowledge and coalitions drawn by the models of this module.

    Parameters
    ----------
    instance
        Any instance, of any valuation form (a market too).
    knowledge
        A knowledge spec, or None to keep the instance's knowledge.
    coalitions
        A coalition spec, or None to keep the instance's coalitions.
    seed
        The same instance, specs and seed always give the same result. Knowledge and coalitions
        draw from separate streams, so adding coalitions does not change the knowledge.
    replace
        Allow replacing knowledge (or coalitions) the instance already has.
    most_bytes
        The largest instance file the knowledge may make (:func:`check_knowledge_size`).

    Returns
    -------
    Instance
        A new instance; valuations, name, scale and endowment are unchanged.

    Raises
    ------
    SpecError
        For a bad spec, or existing knowledge or coalitions without ``replace``.

    Examples
    --------
    >>> from instances import load_instance
    >>> from instances.knowledge_models import annotate
    >>> inst = annotate(load_instance("instances/examples/vcg-collusion.json"), "noisy-lower:0.8", seed=1)
    """
    changes: dict[str, object] = {}
    if knowledge is not None:
        parse_knowledge(knowledge)
        if not replace and any(k is not None for k in instance.knowledge):
            raise SpecError(f"{instance.source}: the instance already has knowledge; pass --replace "
                            "(replace=True) to draw new knowledge in its place")
        rng = random.Random(f"knowledge:{knowledge}:{seed}")
        changes["knowledge"] = draw_knowledge(rng, instance.valuations, knowledge, instance.m, most_bytes)
    if coalitions is not None:
        parse_coalitions(coalitions, instance.n)
        if not replace and instance.coalitions:
            raise SpecError(f"{instance.source}: the instance already has coalitions; pass --replace "
                            "(replace=True) to draw new coalitions in their place")
        rng = random.Random(f"coalitions:{coalitions}:{seed}")
        changes["coalitions"] = draw_coalitions(rng, instance.n, coalitions)
    return dataclasses.replace(instance, **changes)
