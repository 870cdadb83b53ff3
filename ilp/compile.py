"""Turn a :class:`Weight` into the smallest exact integer-programming block.

Fast paths (each exact, proof in the comment) avoid the robust formulation whenever possible:

* one valuation: its positive bids, "at most one" for EXACT/XOR, "disjoint packing" for OR;
* a minimum containing an EXACT valuation: it is positive only on that valuation's bid bundles,
  so the minimum is the EXACT valuation over those bundles with the minimum of all values;
* a maximum of options that are each single-choice (EXACT or XOR): choosing at most one bid of
  the union and receiving exactly its bundle attains every value of the maximum, and never more.

What is left (a minimum of two or more free-disposal valuations, or an OR valuation inside a
maximum) becomes a :class:`RobustBlock`: the bundle offered is chosen good by good and every
valuation of an option must cover the price with bids inside the bundle (the robust program of docs/definitions.md, "Exactness").
"""

from __future__ import annotations

from dataclasses import dataclass

from ilp.program import Weight
from instances.valuation import Semantics, Valuation

Atoms = tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class AtomsBlock:
    """Win whole bids: at most one when ``single``, else any pairwise-disjoint set."""

    single: bool
    atoms: Atoms


@dataclass(frozen=True)
class Function:
    semantics: Semantics
    atoms: Atoms  # positive bids only

    @property
    def upper(self) -> int:
        """The largest value the function takes."""
        values = [v for _, v in self.atoms]
        return sum(values) if self.semantics is Semantics.OR else max(values)


@dataclass(frozen=True)
class RobustBlock:
    """w(S) = max over options of min over functions; chosen good by good (see module doc)."""

    options: tuple[tuple[Function, ...], ...]

    @property
    def goods(self) -> int:
        mask = 0
        for option in self.options:
            for f in option:
                for bundle, _ in f.atoms:
                    mask |= bundle
        return mask


Block = AtomsBlock | RobustBlock


def _positive(v: Valuation) -> Function:
    return Function(v.semantics, tuple((b, x) for b, x in v.bids if x > 0))


def _minimum(option: tuple[Valuation, ...]) -> tuple[Function, ...] | None:
    """Simplify min over ``option``; None when the minimum is never positive."""
    functions = [_positive(v) for v in option]
    if any(not f.atoms for f in functions):
        return None  # one valuation is never positive, so neither is the minimum
    exact = [v for v in option if v.semantics is Semantics.EXACT]
    if len(option) > 1 and exact:
        base = min(exact, key=lambda v: len(v.bids))
        atoms = tuple(
            (b, value)
            for b, _ in base.bids
            if (value := min(v.value(b) for v in option)) > 0
        )
        return (Function(Semantics.EXACT, atoms),) if atoms else None
    unique = tuple(dict.fromkeys(functions))  # identical valuations add nothing to a minimum
    return unique


def compile_weight(weight: Weight | None) -> Block | None:
    """The exact block for ``weight``; None when the player can never have a positive weight."""
    if weight is None:
        return None
    options = [f for option in weight.options if (f := _minimum(option)) is not None]
    options = list(dict.fromkeys(options))
    if not options:
        return None
    if all(len(o) == 1 and o[0].semantics is not Semantics.OR for o in options):
        best: dict[int, int] = {}
        for (f,) in options:
            for bundle, value in f.atoms:
                best[bundle] = max(value, best.get(bundle, 0))
        return AtomsBlock(True, tuple(sorted(best.items())))
    if len(options) == 1 and len(options[0]) == 1:
        return AtomsBlock(False, options[0][0].atoms)
    return RobustBlock(tuple(options))
