"""Loops that run in C, step for step: the clique searches of ``ilp.clique`` and
``ilp.dualclique`` (:func:`run`), the pricing, listing and best-reach searches of ``ilp.colgen``
(:func:`walk`), the weights and test of ``ilp.unions.UnionSearch.minimal_of``
(:func:`minimal`), which keeps the unions of a core that no smaller bundle matches, and two
set-ups of the searches: the compatibility graph of ``ilp.clique.graph``
(:func:`compatibility`) and the reduced costs, rows per vertex and deficit levels of
``ilp.dualclique._Rows`` (:func:`dual_rows`); and the dynamic program over the subsets of few
goods of ``ilp.fewgoods`` (:func:`fill`).

Why. The searches spend their time in a few operations on bit sets per node (a colouring, the
dual bound and its cover, a bid's goods outside a union), which Python does with one big integer
per set: about 10 microseconds a node on the cores of ``ilp.colgen`` (300-2,000 bids). On the
candidates:3 reports of regions 64 / 500 / 10 and paths 64 / 500 and 256 / 2000 the
dual-bounded searches were 45-60 % of the knowledge programs' time, and on regions the walk
over one bid per candidate most of the rest (docs/performance.md, "Session 37"). The C module
``ilp._native`` (``ilp/_native.c``, built when the package is installed) does the same steps on
64-bit words. Once the searches ran in C, building what they start from became the larger part
in Python: a graph took 1.3-1.8 ms per program of regions 64 / 500 / 10 (0.4-0.6 ms with its
bit sets built in C), and the rows of a core of 1,000 bids about 6 ms (0.3 ms in C; both
measured 2026-12-04, docs/performance.md, "Session 45").

Exactly the same searches. They visit the same nodes in the same order, count the same nodes
and work (the caps ``max_nodes``, ``max_work`` and the walk's budget stop them at the same
node) and return the same cliques and unions in the same order, so what each search finds does
not depend on whether the module is built (``tests/test_native.py`` compares the two on random
inputs, and the graphs and rows built in C with Python's). Only ``ilp.portfolio``'s stage of
``DUAL_NODES`` runs with the module alone (in Python it would cost seconds per program where it
fails): a program with several optima may then get another optimal witness, never another value.
Its integers are 64-bit: a search whose sums could pass 2^62 (values near 10^12 with the duals'
scale of 2^20) stays in Python, whose integers are unbounded.

When the module is not built (no C compiler at install time: setuptools then skips it) or
``CABENCH_NATIVE=0`` is set, everything runs in Python, slower and with the same results.
"""

from __future__ import annotations

import os
import struct
import threading
from array import array
from collections.abc import Iterable
from itertools import accumulate, chain
from types import ModuleType
from typing import TYPE_CHECKING

from ilp import stopping

if TYPE_CHECKING:  # (no import at run time: ilp.clique and ilp.dualclique import this module)
    from ilp.clique import _Search
    from ilp.dualclique import _Rows

__all__ = ["available", "compatibility", "conflict_rows", "dual_rows", "fill", "minimal", "minimal_plan", "run",
           "walk", "walk_plan"]

LIMIT = 1 << 62
"""Searches whose every sum stays below this run in C (64-bit signed integers)."""


try:  # imported once: a failed import is not cached, and the loops ask on every call
    from ilp import _native as _COMPILED
except ImportError:
    _COMPILED = None


def _module() -> ModuleType | None:
    if os.environ.get("CABENCH_NATIVE", "1") == "0":
        return None
    return _COMPILED


def available() -> bool:
    """Whether searches can run in C here (the module is built and ``CABENCH_NATIVE`` is not 0).

    Examples
    --------
    >>> from ilp import native
    >>> isinstance(native.available(), bool)
    True
    """
    return _module() is not None


def _sets(masks: Iterable[int], words: int) -> bytes:
    return b"".join(mask.to_bytes(8 * words, "little") for mask in masks)


def _dual(rows: _Rows, scale: int, passes: int, dual_cover: bool, words: int, reach: int) -> tuple | None:
    """The dual search's arguments (``ilp.dualclique._Rows``), or None when its sums could
    overflow 64 bits: the bound (gains and duals), a reduced cost or deficit, and ``scale``
    times the largest difference of weights, ``reach``."""
    count = len(rows.masks)
    row_words = max(1, -(-count // 64))
    packed = rows.packed
    if packed is not None:  # derived in C (:func:`dual_rows`): the same values, already packed
        gain, reduced, rows_of, positive, levels, within, gains = packed
        if gains + sum(rows.duals) >= LIMIT or scale * reach >= LIMIT:
            return None  # (|d_v| < LIMIT // 2 holds: dual_rows's condition)
        return (count, _sets(rows.masks, words), array("q", rows.duals).tobytes(), gain, reduced, rows_of, positive,
                levels, within, scale, passes, int(dual_cover))
    if (min(rows.duals, default=0) < 0 or sum(rows.gain) + sum(rows.duals) >= LIMIT
            or any(abs(d) >= LIMIT // 2 for d in rows.reduced) or scale * reach >= LIMIT):
        return None
    return (count, _sets(rows.masks, words), array("q", rows.duals).tobytes(), array("q", rows.gain).tobytes(),
            array("q", rows.reduced).tobytes(), _sets(rows.rows_of, row_words),
            rows.positive.to_bytes(8 * words, "little"), array("q", rows.levels).tobytes(),
            _sets(rows.within, words), scale, passes, int(dual_cover))


def dual_rows(weights: tuple[int, ...], masks: list[int], duals: list[int], scale: int) -> tuple | None:
    """What ``ilp.dualclique._Rows`` derives from its rows, computed and packed in C for the
    dual search: ``(gain, reduced, rows_of, positive, levels, within, gains)``, the first six as
    bytes in the layout :func:`run` hands over, ``gains`` the sum of the gains (``LIMIT`` when
    at least that). Computed only when every reduced cost surely fits in 64 bits: ``scale``, the
    weights and the duals at least 0, and ``scale``, ``scale`` times each weight and the sum of
    the duals below ``LIMIT // 2`` (so every |d_v| is below ``LIMIT // 2``, which ``_dual``
    relies on). Otherwise, or without the module, None: the caller derives them in Python."""
    module = _module()
    if (module is None or not 0 <= scale < LIMIT // 2 or (duals and min(duals) < 0) or sum(duals) >= LIMIT // 2
            or (weights and (min(weights) < 0 or scale * max(weights) >= LIMIT // 2))):
        return None
    n = len(weights)
    return module.dual_rows(n, array("q", weights), _sets(masks, max(1, -(-n // 64))), array("q", duals), scale)


def run(search: _Search) -> bool | None:
    """Run ``search`` (an ``ilp.clique._Search``, set up as for its ``expand`` from the root) in
    C: None when it cannot (no module, or sums beyond :data:`LIMIT`), else whether the search was
    stopped (the deadline, a cap, or more cliques than it collects), with ``search.best``,
    ``floor``, ``nodes``, ``work`` and ``found`` as the Python search leaves them."""
    module = _module()
    if module is None:
        return None
    weights = search.weights
    n = len(weights)
    reach = sum(weights) + abs(search.floor) + 2  # beyond any weight, floor or their difference
    if min(weights, default=0) < 0 or reach >= LIMIT:
        return None
    words = max(1, -(-n // 64))
    dual = None
    if (given := search.native_rows()) is not None:
        dual = _dual(*given, words, reach)
        if dual is None:
            return None
    stop = stopping.current()  # (a search on a thread of ``ilp.batch``: stopped when its batch ends early)
    stopped, best, floor, nodes, work, found = module.expand(
        n, _sets(search.compatible, words), array("q", weights).tobytes(), search.floor, search.best,
        -1 if search.max_nodes is None else search.max_nodes, -1 if search.max_work is None else search.max_work,
        -1.0 if search.deadline is None else search.deadline, -1 if search.collect is None else search.collect, dual,
        None if stop is None else stop.flag, threading.current_thread() is threading.main_thread())
    search.best, search.floor, search.nodes, search.work = list(best), floor, nodes, work
    if found is not None:
        search.found = found
    return stopped


def compatibility(n: int, vertex_of: array, rows: tuple[array, array], position: list[int] | None = None,
                  sets: bool = True) -> tuple[list[int] | None, list[int], int] | None:
    """``ilp.clique.graph``'s bit sets in C (:func:`conflict_rows` packs ``rows``): for ``n``
    vertices, ``vertex_of[k]`` the vertex of ILP variable k (-1: none), ``(compatible, degrees,
    pairs)``: ``compatible[position[v]]`` the set of the vertices sharing no row with v, in the
    numbering ``position`` (a permutation of the vertices; None: each its own number),
    ``degrees[position[v]]`` its size, and ``pairs`` the sum of m (m - 1) over the rows holding
    m >= 2 vertices; with ``sets`` False, None instead of ``compatible`` (not made into Python
    integers). None when the module is not here."""
    module = _module()
    if module is None:
        return None
    starts, members = rows
    packed, degrees, pairs = module.compatibility(n, vertex_of, starts, members,
                                                  None if position is None else array("q", position))
    size = 8 * max(1, -(-n // 64))
    view = memoryview(packed)
    compatible = [int.from_bytes(view[k:k + size], "little") for k in range(0, n * size, size)] if sets else None
    return compatible, array("q", degrees).tolist(), pairs


def conflict_rows(rows: list[dict[int, int]]) -> tuple[array, array]:
    """``rows`` (each an ILP row's terms: its variables, pairwise in conflict) packed for
    :func:`compatibility`: where each row starts, and the variables of all rows in a row."""
    return array("q", accumulate(map(len, rows), initial=0)), array("q", chain.from_iterable(rows))


def walk_plan(bids: list[list[tuple[int, int, tuple[int, ...]]]], caps: tuple[int | None, ...], upper: int,
              words: int) -> tuple | None:
    """One option of an ``ilp.pricing.Pricer`` packed for :func:`walk`: ``bids[level]`` the
    (bundle, value, goods) of each candidate's bids, ``caps`` the Python search's caps (one per
    level and a last None), ``upper`` its starting value, ``words`` 64-bit words per bundle.
    None when a value is negative or too large for 64 bits."""
    values = [v for level in bids for _, v, _ in level]
    if min(values, default=0) < 0 or max(values + [upper], default=0) >= LIMIT >> 21:
        return None
    first = [0]
    for level in bids:
        first.append(first[-1] + len(level))
    # the Python search takes caps[level + 1] at a level; -1 for the last level's None
    below = [-1 if cap is None else cap for cap in caps[1:]]
    return (words, array("q", first).tobytes(), _sets((b for level in bids for b, _, _ in level), words),
            array("q", values).tobytes(), array("q", below).tobytes(), upper)


def walk(plan: tuple, cost: list[int], own: int, floor: int, rising: bool, budget: int | None,
         scale: int, keep: int | None = None, held: dict[int, int] | None = None,
         tie: int | None = None, canonical: bool = False, minimal: tuple | None = None,
         deadline: float | None = None) -> tuple[int, int | None, int, list[tuple[int, int]], int | None] | None:
    """``ilp.pricing.Pricer.walk``'s search of one option (:func:`walk_plan`) in C: ``(overflow,
    budget left, floor, records, tie)``. ``rising`` (``keep = 1``): the records (union, value)
    in the order the Python search makes them, the floor rising to each. Without ``keep``: what
    the Python search's dict holds of them, each union once, where first made, with its best
    value; ``canonical`` as the Python search's ``minimal=True`` (only tuples of each
    candidate's first bid inside their union); with ``minimal`` (:func:`minimal_plan`'s, of the
    same width) only the unions no smaller bundle matches (:func:`minimal`'s test: the others
    never reach a core, and on decay 64 / 500 / 10 with 5 candidates a listing held about a
    million of them for a few hundred kept). With ``keep`` of 2 or more, the Python search's
    dict of the best unions instead: ``held``, that dict so far (each union above ``floor``),
    and the records its content at the end, in its order; ``tie`` the value at which it last
    dropped ties (None: never), given and returned. None when the module is not here or the sums
    could overflow 64 bits. ``overflow`` is 0, 1 when the budget ran out, 2 when ``deadline`` (a
    ``time.monotonic()`` time) passed first: the walk looks at the clock every 1,024 nodes.

    On a thread other than the main one, a long walk lets go of the interpreter's lock now and
    then, and raises ``Stopped`` (of the C module) once ``ilp.stopping`` asks its solve to stop
    (its batch ended early): there it cannot look for Ctrl-C, and a listing of ``ilp.colgen``
    on a thread beside the batch's held up the main thread for as long as it ran."""
    module = _module()
    if module is None:
        return None
    words, first, bundles, values, caps, upper = plan
    if (scale * upper + sum(map(abs, cost)) + abs(own) + abs(floor) >= LIMIT or len(cost) > 64 * words
            or (held and max(map(abs, held.values())) >= LIMIT) or (tie is not None and abs(tie) >= LIMIT)):
        return None
    prices = array("q", cost)
    prices.extend([0] * (64 * words - len(cost)))
    extra: tuple = (0, None, None, False, None)  # (keep, held, tie, canonical, minimal): none
    if keep is not None and keep >= 2:
        size = 8 * words
        table = b"".join(union.to_bytes(size, "little") + value.to_bytes(8, "little", signed=True)
                         for union, value in (held or {}).items())
        extra = (keep, table, tie, False, None)
    elif canonical or minimal is not None:
        if (minimal is not None and minimal[0] != words) or rising:
            raise ValueError("minimal: a plan of the walk's width, and a walk that is not rising")
        extra = (0, None, None, canonical, None if minimal is None else tuple(minimal[1:]))
    stop = stopping.current()  # (a walk on a thread of ``ilp.batch``: shares the GIL, stops when asked)
    extra += (None if stop is None else stop.flag, threading.current_thread() is threading.main_thread(),
              -1.0 if deadline is None else deadline)
    overflow, left, floor, found, tie = module.walk(words, first, bundles, values, caps, prices.tobytes(), upper,
                                                    scale, own, floor, int(rising), -1 if budget is None else budget,
                                                    *extra)
    records = []
    if words == 1:
        records = list(struct.iter_unpack("<Qq", found))
    else:
        for *parts, value in struct.iter_unpack(f"<{words}Qq", found):
            records.append((int.from_bytes(struct.pack(f"<{words}Q", *parts), "little"), value))
    return overflow, None if budget is None else left, floor, records, tie


def minimal_plan(ranked: list[list[tuple[int, int]]], option_numbers: list[tuple[int, ...]],
                 words: int) -> tuple | None:
    """The XOR functions of an ``ilp.unions.UnionSearch`` packed for :func:`minimal`:
    ``ranked[k]`` function k's (bundle, value) bids, best first, ``option_numbers`` each
    option's functions, ``words`` 64-bit words per bundle. None when a value is negative or does
    not fit 64 bits."""
    values = [v for bids in ranked for _, v in bids]
    if not ranked or min(values, default=0) < 0 or max(values, default=0) >= LIMIT:
        return None
    first = [0]
    for bids in ranked:
        first.append(first[-1] + len(bids))
    option_first = [0]
    for numbers in option_numbers:
        option_first.append(option_first[-1] + len(numbers))
    return (words, array("q", first).tobytes(), _sets((b for bids in ranked for b, _ in bids), words),
            array("q", values).tobytes(), array("q", option_first).tobytes(),
            array("q", [k for numbers in option_numbers for k in numbers]).tobytes())


def minimal(plan: tuple, unions: list[int]) -> list[tuple[int, int]] | None:
    """``ilp.unions.UnionSearch.minimal_of`` of the sorted ``unions`` in C, by the functions
    :func:`minimal_plan` packed: the (union, weight) that no smaller bundle matches, in order.
    None when the module is not here."""
    module = _module()
    if module is None:
        return None
    words, *packed = plan
    kept, weights = module.minimal(words, *packed, _sets(unions, words))
    weight = array("q", bytes(weights))
    return [(unions[a], weight[a]) for a in array("q", bytes(kept))]


def fill(best, m: int, bundles, values, changed: int = 0) -> bool:
    """The table F of ``ilp.fewgoods._Table`` computed afresh in C, into ``best`` (a numpy array
    of 2^``m`` zeros, int32 or int64, whose values the bids' sums cannot overflow): the same
    values as ``_Table._refresh(0)``, from the table's distinct bids (``bundles``, increasing
    states, and ``values``, both int64 arrays). With ``changed`` (a non-empty state), ``best``
    holds a table F of other bids and is refreshed in place on the states holding ``changed``,
    as ``_Table._refresh(changed)`` does; its integers must then hold the old bids' sum plus the
    new ones' (a state read may keep an old value until its own bundle's refresh). False, with
    ``best`` untouched, when the module is not here."""
    module = _module()
    if module is None:
        return False
    module.fill(best, m, bundles, values, changed)
    return True
