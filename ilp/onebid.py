"""Programs in which one player only can receive anything and takes at most one of its bids,
answered without a solve: the optimum is that player's best bid.

These are MIKW_i and BA^{i} of a player who knows nothing about the others (TV_i's best bid,
seed 000 Definition 3, seed 001 §6 Stage 1's favourite bundle). When several bids are worth the
most, the answer is the one whose allocation comes first in ``ilp.lex``'s order
(``ilp.program.first_held``): the canonical witness, the same whatever the backend, where a
solve returned its own choice. Why: generated paths give most bidders several best bids, and on
paths 64 / 500 / 10 those were 10 solves of 1-6 ms each per report (2026-12-06).

Why it is exact: the block's atoms are the weight's positive bids, and a bundle is worth the
most bid inside it (XOR by free disposal; an exact valuation is positive on its bids only, and
``ilp.compile`` drops only bids dominated inside a superset); so a bundle worth the most holds
an atom worth as much, and a bundle's owner vector is never earlier than that of a bundle it
holds: the first atom worth the most is the first optimum (``ilp.lex``: whole bids suffice).

Left to the solvers: the brute-force backend (it hands out bundles, not bids), and a guaranteed
value of several candidates (whose covering unions ``ilp.colgen`` prices rather than lists,
unless each candidate has one bid: ``ilp.compile.one_bid_each``; such a program is left to
the solvers all the same, a shortcut not taken).
"""

from __future__ import annotations

from ilp.compile import AtomsBlock, BlockCache
from ilp.contract import SolverError
from ilp.program import Program, Solution, Status, first_held, several

__all__ = ["best_bid", "best_bid_solution"]


def best_bid(program: Program, cache: BlockCache | None = None) -> tuple[int, ...] | None:
    """The optimal allocation of ``program`` when one player only has a weight and its block
    takes whole bids, at most one (an ``AtomsBlock`` with ``single``): that player's best bid,
    the first of several (module docstring), everyone else nothing. None for any other program,
    or one with fixed owners, an owner objective, an allocation to avoid, a lower bound on the
    total that no bid meets, or a guaranteed value of several candidates (module docstring).

    >>> from instances.valuation import Form, Valuation
    >>> from ilp import Program, Weight
    >>> tv = Weight.of(Valuation(Form.XOR, ((0b011, 5), (0b110, 5), (0b100, 4))))
    >>> best_bid(Program(3, (None, tv)))  # two bids worth 5: the one without good 0
    (0, 6)
    """
    if (program.active_players != 1 or program.minimize_owners or program.avoid is not None
            or any(owner is not None for owner in program.fixed)):
        return None
    player = next(j for j, weight in enumerate(program.weights) if weight is not None and weight.options)
    if several(program.weights[player]):
        return None  # (its unions multiply with the candidates: ilp.colgen, in ilp.solve and a batch alike)
    block = (BlockCache() if cache is None else cache).block(program.weights[player])
    if not isinstance(block, AtomsBlock) or not block.single or not block.atoms:
        return None
    best = max(value for _, value in block.atoms)
    if program.min_total is not None and best < program.min_total:
        return None
    bundle = first_held([bundle for bundle, value in block.atoms if value == best], program.n_goods)
    allocation = tuple(bundle if j == player else 0 for j in range(len(program.weights)))
    if program.total(allocation) != best:
        raise SolverError(f"a single-choice bid worth {best} evaluates to {program.total(allocation)}")
    return allocation


def best_bid_solution(program: Program, backend: str, cache: BlockCache | None = None) -> Solution | None:
    """The proven optimum of ``program`` as a :class:`~ilp.program.Solution` credited to
    ``backend`` when :func:`best_bid` answers it (``ilp.batch`` hands it out with no task);
    None otherwise, and always for the brute-force backend (it hands out bundles, not bids)."""
    if backend == "brute" or (allocation := best_bid(program, cache)) is None:
        return None
    value = program.total(allocation)
    return Solution(Status.OPTIMAL, allocation, value, value, backend, 0.0)
