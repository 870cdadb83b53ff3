"""Intervals of benchmarks not proven in their time limit, narrowed by relations between the
benchmarks that hold on every instance.

Each program of a report stops at its own time limit with its own interval [incumbent, bound].
The benchmarks are not independent, though, and a report under a time limit showed intervals that
contradict each other: MIKW_i's incumbent below MIEW_i's, and MIEW_i's bound above the proven
MSW_{-i} of the same player (in one run of ``cabench generate -d arbitrary -m 64 -b 1000 -n 10
--knowledge candidates:3 --seed 1`` with ``--time-limit 0.3``: MIEW_p4 in [52058, 58451] with
MSW_{-p4} = 52143 proven). Here each interval is narrowed by the
relations below, which follow from the definitions alone (docs/definitions.md):

1. MIKW_i >= MIEW_i. MIKW_i (seed 000 Definition 3) maximises TV_i(A_i) plus g^i_j(A_j) for the
   others; MIEW_i (seed 001 Definitions 2-3) the same sum without player i, so every outcome of
   MIEW_i, with nothing for i, is one of MIKW_i, worth as much and at the same prices. MIEW_i's
   incumbent and witness are therefore MIKW_i's when better, and MIKW_i's bound is MIEW_i's.
2. MIKW_i <= MIEW_i + max_S TV_i(S): what player i adds to the others' sum is at most its best
   bundle's value (or an upper bound on it, :func:`best_bundle_bound`).
3. When player i's knowledge is correct (``benchmarks.correctness``: g^i_j <= TV_j on every
   bundle, seed 000 §1.2), every outcome is worth at most its true welfare: MIEW_i <= MSW_{-i}
   and MIKW_i <= MSW. Likewise MKW_A <= MSW (seed 000 Definition 6) when every member's is.
4. MSW_{-i} <= MSW and BA^C <= MSW (seed 000 Appendix A): an allocation to the players other
   than i, or to the members of C, is one of MSW's.
5. Every allocation is one of MSW's, worth its true welfare, and one that gives player i nothing
   is one of MSW_{-i}'s: MSW's incumbent is the best true welfare among the report's witnesses
   (and its own), MSW_{-i}'s among its own, MIEW_i's witness, and MIKW_i's and the
   :data:`KEPT` best witnesses' without player i's bundle (all n^2 pairs would cost seconds at
   2000 players). (When MSW is not proven, MSW_{-i}'s own incumbent is MSW's solver witness
   without player i, far below MIEW_i's on the instance above: 11587 against 52058.)

Only bounds and incumbents move. A value is reported only when its own program proved it (the
quality bar of the README's "How the numbers are made exact"), so an interval narrowed to a
single point stays an interval, and a proven or withheld benchmark is left as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from benchmarks.results import Benchmark, Outcome, finite_bound
from ilp import Status
from instances import Instance, Semantics, Valuation

__all__ = ["KEPT", "best_allocations", "best_bundle_bound", "narrowed_agent", "narrowed_player", "narrowed_tie_break",
           "raised_by_welfare", "without_player"]


def _upper(b: Benchmark) -> int | None:
    """The largest value ``b`` may have: its value, a withheld benchmark's known worth, or its
    bound (None when it has none)."""
    if b.value is not None:
        return b.value
    if b.withheld and b.incumbent is not None:
        return b.incumbent
    return finite_bound(b.bound)


def best_bundle_bound(v: Valuation) -> int:
    """An upper bound on max over bundles S of v(S) (at least v(empty set) = 0), in one pass
    over the bids: the best bid of an XOR or EXACT valuation, its maximum exactly; the sum of
    the positive bids of an OR valuation (seed 000 §1.2's free disposal: its maximum, the value
    of all of its goods, when its bids are disjoint; the best packing of overlapping bids took
    27 s for 80 bids of 3 goods over 40 goods).

    Examples
    --------
    >>> from instances import Form, Valuation
    >>> best_bundle_bound(Valuation(Form.XOR, ((0b01, 30), (0b11, 50))))
    50
    >>> best_bundle_bound(Valuation(Form.OR, ((0b01, 30), (0b10, 50))))
    80
    """
    if v.semantics is Semantics.OR:
        return sum(x for _, x in v.bids if x > 0)
    return max(0, max((x for _, x in v.bids), default=0))


def _open(b: Benchmark) -> bool:
    """Whether ``b``'s interval may move: not proven, and not withheld (its value known)."""
    return b.value is None and not b.withheld


def _capped(b: Benchmark, cap: int | None) -> Benchmark:
    """``b`` with its bound lowered to ``cap`` when that is lower."""
    if cap is None or not _open(b):
        return b
    bound = finite_bound(b.bound)
    return b if bound is not None and bound <= cap else replace(b, bound=cap)


def _with_incumbent(b: Benchmark, incumbent: int, outcome: Outcome) -> Benchmark:
    """``b`` with this incumbent and its witness (a solution now known: feasible)."""
    status = Status.FEASIBLE if b.status is Status.UNKNOWN else b.status
    return replace(b, incumbent=incumbent, outcome=outcome, status=status)


def _raised(b: Benchmark, by: Benchmark) -> Benchmark:
    """``b`` with ``by``'s incumbent and witness when they are better (relation 1)."""
    if not _open(b) or by.incumbent is None or by.outcome is None or (
            b.incumbent is not None and b.incumbent >= by.incumbent):
        return b  # (an incumbent is only taken with the witness that is worth it)
    return _with_incumbent(b, by.incumbent, by.outcome)


def without_player(outcome: Outcome | None, i: int) -> Outcome | None:
    """The allocation of ``outcome`` with player i's bundle left unallocated (no prices): an
    allocation of MSW_{-i}'s program (seed 000 §1.2's VCG; docs/definitions.md, "MSW_-i").

    Examples
    --------
    >>> from benchmarks.results import Outcome
    >>> without_player(Outcome((0b01, 0b10, 0), (80, 25, 0)), 0).allocation
    (0, 2, 0)
    """
    if outcome is None:
        return None
    return Outcome.sparse(outcome.n, tuple((j, b) for j, b in outcome.bundles if j != i))


KEPT = 3
"""How many of a report's best witnesses each MSW_{-i} is also raised from (relation 5)."""


def best_allocations(instance: Instance, outcomes: Iterable[Outcome | None], k: int = KEPT) -> list[Outcome]:
    """The ``k`` distinct outcomes of ``outcomes`` (None skipped) of the largest true welfare
    sum_j TV_j(A_j) (the first on ties), best first: the allocations relation 5 raises MSW and
    MSW_{-i} from (seed 002 §2's MSW; each must be an allocation of MSW's program).

    Examples
    --------
    >>> from instances import load_instance
    >>> example = load_instance("instances/examples/seed004-example.json")
    >>> found = best_allocations(example, [Outcome((0, 0, 3)), None, Outcome((1, 2, 0)), Outcome((1, 0, 0))], k=2)
    >>> [o.allocation for o in found]
    [(1, 2, 0), (1, 0, 0)]
    """
    worth: dict[tuple, tuple[int, int, Outcome]] = {}
    for position, outcome in enumerate(outcomes):
        if outcome is not None and outcome.bundles not in worth:
            worth[outcome.bundles] = (-outcome.welfare(instance), position, outcome)
    return [outcome for _, _, outcome in sorted(worth.values(), key=lambda entry: entry[:2])[:k]]


def raised_by_welfare(b: Benchmark, instance: Instance, outcomes: Iterable[Outcome | None]) -> Benchmark:
    """MSW's benchmark (seed 002 §2), or MSW_{-i}'s, ``b`` with the allocation of ``outcomes``
    of the largest true welfare sum_j TV_j(A_j) as its incumbent and witness, when larger than
    its own incumbent (relation 5 of the module: each must be an allocation of ``b``'s program;
    None is skipped).

    Examples
    --------
    >>> from benchmarks.results import Benchmark, Outcome
    >>> from ilp import Status
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> welfare = Benchmark("MSW", Status.FEASIBLE, None, 50, 250, Outcome((0, 0, 0b11)), "cpsat", 1.0)
    >>> raised = raised_by_welfare(welfare, inst, [Outcome((0b01, 0b10, 0), (80, 25, 0))])
    >>> raised.incumbent, raised.outcome.allocation, raised.outcome.prices
    (200, (1, 2, 0), None)
    """
    if not _open(b):
        return b
    best, chosen = b.incumbent, None
    for outcome in outcomes:
        if outcome is not None:
            worth = outcome.welfare(instance)
            if best is None or worth > best:
                best, chosen = worth, outcome
    if chosen is None:
        return b
    return _with_incumbent(b, best, Outcome.sparse(chosen.n, chosen.bundles))


def narrowed_tie_break(lex_first: Benchmark, msw: Benchmark, instance: Instance) -> Benchmark:
    """The lexicographically first optimal allocation omega* (seed 002 Lemma 3), worth MSW: its
    interval within MSW's, and MSW's incumbent and witness when better (relation 5). A withheld
    or proven one is left as it is.

    Examples
    --------
    On seed 004's example (MSW = 200, docs/definitions.md), a tie-break stopped early, next to
    MSW's better incumbent:

    >>> from instances import load_instance
    >>> example = load_instance("instances/examples/seed004-example.json")
    >>> msw = Benchmark("MSW", Status.FEASIBLE, None, 200, 240, Outcome((1, 2, 0)), "cpsat", 1.0)
    >>> early = Benchmark("lex-first", Status.FEASIBLE, None, 50, 250, Outcome((0, 0, 3)), "cpsat", 1.0)
    >>> narrowed = narrowed_tie_break(early, msw, example)
    >>> narrowed.incumbent, narrowed.bound, narrowed.outcome.allocation
    (200, 240, (1, 2, 0))
    """
    return _capped(raised_by_welfare(lex_first, instance, (msw.outcome,)), _upper(msw))


def narrowed_player(miew: Benchmark, mikw: Benchmark, msw_without: Benchmark, msw: Benchmark, best: int | None,
                    correct: bool | None) -> tuple[Benchmark, Benchmark, Benchmark]:
    """Player i's MIEW_i, MIKW_i and MSW_{-i} with their intervals narrowed (relations 1-4 of
    the module; relation 5 is :func:`raised_by_welfare`'s).

    Parameters
    ----------
    miew, mikw, msw_without, msw : Benchmark
        MIEW_i (seed 001 Definitions 2-3), MIKW_i (seed 000 Definition 3), MSW_{-i} and MSW.
    best : int or None
        An upper bound on max over bundles S of TV_i(S) (:func:`best_bundle_bound`); None skips
        relation 2 (a caller with MIKW_i proven need not compute it).
    correct : bool or None
        Whether player i's knowledge is correct (``benchmarks.knowledge_correct``); only True
        narrows by MSW_{-i} and MSW.

    Returns
    -------
    tuple of Benchmark
        MIEW_i, MIKW_i and MSW_{-i}; each the benchmark given when nothing narrows it.

    Examples
    --------
    >>> from benchmarks.results import Benchmark, Outcome
    >>> from ilp import Status
    >>> offer = Outcome((0, 0b1), (0, 50))  # p2 offered good 1 at 50, p1 nothing
    >>> miew = Benchmark("MIEW_p1", Status.FEASIBLE, None, 50, 90, offer, "cpsat", 1.0)
    >>> mikw = Benchmark("MIKW_p1", Status.FEASIBLE, None, 40, 200, None, "cpsat", 1.0)
    >>> welfare = Benchmark("MSW", Status.OPTIMAL, 120, 120, 120, None, "cpsat", 1.0)
    >>> without = Benchmark("MSW_-p1", Status.OPTIMAL, 80, 80, 80, None, "cpsat", 1.0)
    >>> miew, mikw, _ = narrowed_player(miew, mikw, without, welfare, best=60, correct=True)
    >>> (miew.incumbent, miew.bound), (mikw.incumbent, mikw.bound), mikw.outcome == offer
    ((50, 80), (50, 120), True)
    """
    msw_without = _capped(msw_without, _upper(msw))
    if correct is True:
        miew = _capped(miew, _upper(msw_without))
        mikw = _capped(mikw, _upper(msw))
    mikw = _raised(mikw, miew)
    top = _upper(miew)
    mikw = _capped(mikw, None if top is None or best is None else top + best)
    miew = _capped(miew, _upper(mikw))
    return miew, mikw, msw_without


def narrowed_agent(mkw: Benchmark, best_allocation: Benchmark, msw: Benchmark,
                   correct: bool) -> tuple[Benchmark, Benchmark]:
    """A coalition's MKW_A (seed 000 Definition 6) and BA^C (seed 000 Appendix A) with their
    intervals narrowed by MSW (relations 3 and 4 of the module); ``correct``: whether every
    member's knowledge is correct.

    Examples
    --------
    >>> from benchmarks.results import Benchmark
    >>> from ilp import Status
    >>> mkw = Benchmark("MKW_{p1,p2}", Status.FEASIBLE, None, 50, 300, None, "cpsat", 1.0)
    >>> ba = Benchmark("BA^{p1,p2}", Status.FEASIBLE, None, 70, 300, None, "cpsat", 1.0)
    >>> welfare = Benchmark("MSW", Status.OPTIMAL, 120, 120, 120, None, "cpsat", 1.0)
    >>> [b.bound for b in narrowed_agent(mkw, ba, welfare, correct=False)]
    [300, 120]
    """
    cap = _upper(msw)
    return (_capped(mkw, cap) if correct else mkw), _capped(best_allocation, cap)
