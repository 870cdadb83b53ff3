"""The integer programs behind one instance's benchmark table, listed up front so that they can
be solved as one batch (``ilp.solve_batch``): duplicates once, MSW_{-i} and MIEW_i from the
programs they remove a player from, independent programs in parallel.

Every weight is built once per instance (:class:`Weights`) and shared by all the programs that
use it, so building the programs and keying them in the batch costs one step per weight slot,
never a re-evaluation of a valuation. Programs that the papers' definitions make trivial are not
built at all (:class:`ReportPlan` says which and why).
"""

from __future__ import annotations

from dataclasses import dataclass
from operator import is_

from benchmarks.external import miew_program
from benchmarks.knowledge import NOTHING, coalition_guaranteed, guaranteed
from benchmarks.known import mikw_program, relevant_knowledge_program
from benchmarks.welfare import best_allocation_program, msw_program, msw_without_program
from ilp import Program, Weight
from ilp.program import positions_of
from instances import Candidates, Instance, LowerBounds
from instances.valuation import valuation_key

__all__ = ["ReportPlan", "Weights", "knows_nothing", "report_programs", "table_bounds", "table_programs"]


def knows_nothing(instance: Instance, i: int) -> bool:
    """True when player i's guaranteed value g^i_j is known to be 0 for every other player j: no
    knowledge, or lower bounds that are 0 on every bundle (an omitted player has the bound 0;
    bounds drawn on prices of 0 hold no bid, and the report's summary counted such a player as
    knowing). Candidate sets count as knowledge, even when their minimum is 0 everywhere."""
    knowledge = instance.knowledge[i]
    if knowledge is None:
        return True
    if isinstance(knowledge, LowerBounds):  # (``all`` stops at the first bound that is not 0)
        return all(bound.is_zero for bound in knowledge.bounds.values())
    assert isinstance(knowledge, Candidates)
    return False


class Weights:
    """The weights of one instance's programs, each built once: TV_j, and the row
    (g^i_1, ..., TV_i, ..., g^i_n) of every player i (the weights of MIKW_i)."""

    def __init__(self, instance: Instance) -> None:
        self.instance = instance
        n = instance.n
        self._shared: dict[object, Weight] = {}
        self._of: dict[int, Weight] = {}  # id(valuation) -> Weight.of(valuation), shared
        self._by_bids: dict[tuple[str, tuple], Weight] = {}  # (form, bids) of a lower bound -> its weight
        self.true: tuple[Weight, ...] = tuple(self._weight_of(v) for v in instance.valuations)
        self.nothing: tuple[Weight, ...] = (NOTHING,) * n
        self._rows: dict[int, tuple[Weight, ...]] = {}

    def _share(self, weight: Weight) -> Weight:
        """One object per distinct weight (equal bounds and true valuations become one key)."""
        return self._shared.setdefault(weight, weight)

    def _weight_of(self, valuation) -> Weight:
        """``Weight.of(valuation)``, built and hashed once per valuation object (the instance
        keeps its valuations alive, so ids stay unique; equal valuations read from one file are
        one object, see ``instances.loader``)."""
        weight = self._of.get(id(valuation))
        if weight is None:
            # a valuation worth 0 on every bundle adds 0 whatever its player holds: NOTHING, so
            # that programs leave the player out (``ReportPlan``)
            weight = NOTHING if valuation.is_zero else self._share(Weight.of(valuation))
            self._of[id(valuation)] = weight
        return weight

    def _guaranteed(self, i: int, j: int) -> Weight:
        """g^i_j (``benchmarks.knowledge.guaranteed``), by identity for lower bounds."""
        knowledge = self.instance.knowledge[i]
        if isinstance(knowledge, LowerBounds):
            bound = knowledge.bounds.get(j)
            return NOTHING if bound is None else self._weight_of(bound)
        return self._share(guaranteed(self.instance, i, j))

    def row(self, i: int) -> tuple[Weight, ...]:
        """(g^i_j)_j with TV_i at position i: the weights of MIKW_i (seed 000 Definition 3)."""
        if i not in self._rows:
            inst = self.instance
            knowledge = inst.knowledge[i]
            if knows_nothing(inst, i):
                self._rows[i] = self.nothing[:i] + (self.true[i],) + self.nothing[i + 1:]
            elif isinstance(knowledge, LowerBounds) and len(knowledge.bounds) == inst.n - 1 and i not in (
                    knowledge.bounds) and all(map(is_, knowledge.bounds.values(),
                                                  map(inst.valuations.__getitem__, knowledge.bounds))):
                self._rows[i] = self.true  # exact knowledge: g^i_j is TV_j itself (the same object)
            elif isinstance(knowledge, LowerBounds):  # _guaranteed inlined: n^2 slots at n players
                # The slots are looked up in C (map); only rows with bounds not met before are
                # visited in Python, and a profile naming every other player in order (as read
                # from a file) is spliced around TV_i. ``all``, not ``None in found``: ``in``
                # calls the dataclass's Python ``__eq__`` on every weight (500 rows met before:
                # 0.12 s to 0.09 s; all 500 rows the first time: 0.28 s to 0.24 s; 2026-12-02, load 4).
                of, share, by_bids = self._of, self._shared.setdefault, self._by_bids
                bounds = knowledge.bounds
                found = list(map(of.get, map(id, bounds.values())))
                if not all(found):  # (a weight is always true)
                    values = list(bounds.values())
                    for k in positions_of(found, None):
                        bound = values[k]  # _weight_of inlined (one bound of each pair of players is new)
                        # a bound equal to one met before as another object (bounds built in
                        # memory by a caller; or the same object twice in this profile) is found
                        # by its form's name and bids, hashed and compared in C, not by the
                        # dataclasses' Python methods (1000 players, every bound its own object:
                        # the plan 4.3 s to 1.9 s)
                        key = valuation_key(bound)
                        weight = by_bids.get(key)
                        if weight is None:
                            weight = NOTHING if bound.is_zero else share(made := Weight(((bound,),)), made)
                            by_bids[key] = of[id(bound)] = weight
                        # (a bound equal to an earlier one is not entered by its id: a file's
                        # reader and the knowledge models make it that earlier object, found
                        # above; built otherwise, it is its own object, met once: 4 million
                        # entries at 2000 players)
                        found[k] = weight
                if len(found) == inst.n - 1 and list(bounds) == [*range(i), *range(i + 1, inst.n)]:
                    self._rows[i] = (*found[:i], self.true[i], *found[i:])
                else:
                    row = list(self.nothing)
                    for j, weight in zip(bounds, found):
                        row[j] = weight
                    row[i] = self.true[i]
                    self._rows[i] = tuple(row)
            else:
                self._rows[i] = tuple(self.true[j] if j == i else self._guaranteed(i, j) for j in range(inst.n))
        return self._rows[i]

    def agent(self, members: tuple[int, ...]) -> tuple[Weight, ...]:
        """(g^A_j)_j with TV_j for members: the weights of MKW_A (seed 000 Definition 6)."""
        if len(members) == 1:
            return self.row(members[0])
        inst = self.instance
        return tuple(self._share(coalition_guaranteed(inst, members, j)) for j in range(inst.n))

    def only(self, members: tuple[int, ...]) -> tuple[Weight, ...]:
        """TV_j of each member, in the order of ``members``: the weights of BA^A restricted to A."""
        return tuple(self.true[j] for j in members)


def _program(instance: Instance, weights: tuple[Weight | None, ...]) -> Program:
    return Program(instance.m, weights)


@dataclass(frozen=True)
class ReportPlan:
    """The programs of ``cabench benchmarks``, minus those the definitions make trivial.

    * ``miew[i] is None`` when player i knows nothing (:func:`knows_nothing`): every g^i_j is 0,
      so every outcome i can guarantee has revenue 0 (P_j <= g^i_j(A_j) = 0) and the canonical
      outcome is the empty one: MIEW_i = 0 (seed 001 Definition 3), no program.
    * A singleton agent {i} has MKW_{i} = MIKW_i with the same witness: its pooled knowledge
      g^{i}_j is g^i_j (seed 000 Definition 1), so ``relevant_knowledge_program`` is
      ``mikw_program`` and ``agents[k][0]`` is that same program.
    * A valuation worth 0 on every bundle (TV_j, or a bound of j) is the weight ``NOTHING``: the
      player adds 0 to every program's objective whatever it holds, so every optimum is an
      optimum with the player holding nothing, and programs with no other weight are answered
      without a solve (``ilp.batch``: no positive weight). CATS 2.1's L8 writes every price as 0.
    * MSW_{-i} is only listed by :meth:`msw_without` for the players that win something in a
      proven optimum of MSW (``winners``): for the others that optimum is optimal without them
      too, so MSW_{-i} = MSW with the same allocation (``benchmarks.welfare.msw_without``).

    Programs in which most players can never have a positive weight are built over the others
    only, so that a report of n players does not build n programs of n weights each:

    * MIKW_i of a player who knows nothing weighs TV_i for i and g^i_j = 0 for every other j, so
      it is max_S TV_i(S) with everyone else receiving nothing; ``mikw[i]`` is then the program of
      player i alone and ``mikw_players[i] == (i,)`` (None: the program has every player).
    * BA^A weighs only the members of A (everyone else is excluded): ``agents[k][1]`` has the
      members' weights, in the order of ``instance.agents[k]``.

    A solution of a restricted program gives its k-th player's bundle to the instance's player
    ``players[k]`` and nothing to everyone else; leaving out players whose weight is 0 on every
    bundle changes neither the optimum nor its value.
    """

    instance: Instance
    msw: Program
    miew: tuple[Program | None, ...]
    mikw: tuple[Program, ...]
    agents: tuple[tuple[Program, Program], ...]  # (MKW_A, BA^A) for each agent
    weights: Weights
    mikw_players: tuple[tuple[int, ...] | None, ...] = ()

    @staticmethod
    def of(instance: Instance, *, weights: "Weights | None" = None,
           mikw_made: "dict[int, Program] | None" = None) -> "ReportPlan":
        """The plan of ``instance``. ``weights``: the :class:`Weights` of the instance's
        valuations and of some of its players' rows made already, while the file was read
        (``benchmarks.report.EarlyWelfare``), with ``mikw_made`` the MIKW_i programs made of
        those rows: they are kept, the same objects (the report's batch has them already)."""
        if weights is None:
            w = Weights(instance)
        else:
            w = weights
            w.instance = instance
        made = mikw_made or {}
        miew, mikw, mikw_players = [], [], []
        for i in range(instance.n):
            if knows_nothing(instance, i):
                mikw.append(_program(instance, (w.true[i],)))
                mikw_players.append((i,))
                miew.append(None)
            else:
                known = made[i] if i in made else _program(instance, w.row(i))
                mikw.append(known)
                mikw_players.append(None)
                miew.append(known.without(i))  # MIEW_i: MIKW_i's program without player i
        agents = []
        for members in instance.agents:
            known = mikw[members[0]] if len(members) == 1 else _program(instance, w.agent(members))
            agents.append((known, _program(instance, w.only(members))))
        return ReportPlan(instance, _program(instance, w.true), tuple(miew), tuple(mikw), tuple(agents), w,
                          tuple(mikw_players))

    def msw_without(self, i: int) -> Program:
        """MSW_{-i}: MSW's program with player i removed."""
        return self.msw.without(i)

    def programs(self) -> list[Program]:
        """Every program of the plan except MSW_{-i} (which waits for MSW's winners)."""
        out = [self.msw, *(p for p in self.miew if p is not None), *self.mikw]
        for known, best in self.agents:
            out += [known, best]
        return out

    def bounds(self) -> dict[int, Program]:
        """Upper bounds of the knowledge programs of :meth:`programs`, by position there:
        MIKW_i <= MSW and MIEW_i <= MSW_{-i} for a player i with candidate knowledge, and
        MKW_A <= MSW for an agent with a member who has it (``ilp.solve_batch``'s ``bounds``,
        which lifts each from its bound's optimum before solving it; ``ilp.lift``).

        Why they hold: when TV_j is one of i's candidates for j, g^i_j = min over the
        candidates of V_j is at most TV_j on every bundle (seed 001 Definition 3), so every
        allocation is worth at most its true welfare, and MIKW_i (seed 000 Definition 3: TV_i,
        g^i_j for the others) is at most MSW; MIEW_i, the same without player i, at most MSW_{-i}.
        The batch checks this on the weights themselves (``ilp.lift.dominates``: each candidate
        set lists TV_j) and ignores a bound that does not hold, e.g. when the truth is not among
        the candidates (seed 004's incorrect beliefs)."""
        knows = [isinstance(k, Candidates) for k in self.instance.knowledge]
        out: dict[int, Program] = {}
        position = 1
        for i, program in enumerate(self.miew):
            if program is not None:
                if knows[i]:
                    out[position] = self.msw_without(i)
                position += 1
        for i in range(len(self.mikw)):
            if knows[i] and self.mikw_players[i] is None:
                out[position] = self.msw
            position += 1
        for members, _ in zip(self.instance.agents, self.agents):
            if len(members) > 1 and any(knows[i] for i in members):
                out[position] = self.msw
            position += 2
        return out


def table_programs(instance: Instance) -> list[tuple[str, Program]]:
    """The benchmark table that ``cabench perf`` times: MSW, every MIEW_i, every MIKW_i, and MKW_A
    of every agent with several members (a singleton agent's MKW_{i} is MIKW_i)."""
    programs = [("MSW", msw_program(instance))]
    for i, name in enumerate(instance.players):
        programs.append((f"MIEW_{name}", miew_program(instance, i)))
        programs.append((f"MIKW_{name}", mikw_program(instance, i)))
    for agent in instance.agents:
        if len(agent) > 1:
            label = ",".join(instance.players[j] for j in agent)
            programs.append((f"MKW_{{{label}}}", relevant_knowledge_program(instance, agent)))
    return programs


def table_bounds(instance: Instance) -> dict[int, Program]:
    """Upper bounds of the knowledge programs of :func:`table_programs`, by position there, as
    ``ReportPlan.bounds`` gives them for the report (``ilp.solve_batch``'s ``bounds``): MSW_{-i}
    for MIEW_i and MSW for MIKW_i of a player i with candidate knowledge, MSW for MKW_A of an
    agent with such a member."""
    knows = [isinstance(k, Candidates) for k in instance.knowledge]
    out: dict[int, Program] = {}
    for i in range(instance.n):
        if knows[i]:
            out[1 + 2 * i] = msw_without_program(instance, i)
            out[2 + 2 * i] = msw_program(instance)
    position = 1 + 2 * instance.n
    for agent in instance.agents:
        if len(agent) > 1:
            if any(knows[i] for i in agent):
                out[position] = msw_program(instance)
            position += 1
    return out


def report_programs(instance: Instance) -> list[Program]:
    """Every maximisation program of ``cabench benchmarks`` as the benchmark functions build
    them (for ``ilp.prefetch``, whose options then answer those functions): the table, plus MSW_{-i}
    of every player and MKW_A and BA^A of every agent (the lexicographic search comes after)."""
    programs = [p for _, p in table_programs(instance)]
    programs += [msw_without_program(instance, i) for i in range(instance.n)]
    for agent in instance.agents:
        programs += [relevant_knowledge_program(instance, agent), best_allocation_program(instance, agent)]
    return programs
