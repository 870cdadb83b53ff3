"""What every mechanism module provides, the cached benchmark facts strategies are built from,
and the exact evaluation of a strategy profile."""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any

from benchmarks import bb, bb_prime, lex_first_optimal, miew_of, mkw, msw, truthful_outcome
from benchmarks.correctness import each_knowledge_verdict, same_valuation
from benchmarks.external import miew_request, miew_requests
from benchmarks.known import relevant_knowledge_request, relevant_knowledge_requests
from benchmarks.results import Benchmark, Best, NotProvenError, Outcome
from benchmarks.solving import solve_request, solve_requests
from benchmarks.welfare import best_allocation_request, favourite_bundle_request
from ilp import SolveOptions
from ilp.backends import as_options
from instances import ZERO, CabenchError, Candidates, Instance, LowerBounds
from mechanisms.engine import Rules, Strategy, Terminal, outcome_distribution

__all__ = ["Deviation", "Evaluation", "Facts", "Guarantee", "Mechanism", "Param", "ParameterError", "agent_of",
           "evaluate", "expectations", "in_open_unit", "perfectly_informed"]

_REQUESTS = {"miew": miew_request, "rk": relevant_knowledge_request, "ba": best_allocation_request,
             "fav": favourite_bundle_request}
"""How :class:`Facts` makes each kind of benchmark it keeps: name, program, priced or not."""


class ParameterError(CabenchError):
    """A mechanism parameter violates the paper's constraint, or the instance has fewer players
    than the mechanism needs (bad input, exit code 2). ``param`` names the parameter at fault
    (None for the instance's size): the command line reports it as its ``--param``'s error."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param

    def __reduce__(self):  # (an exception pickles its message alone by default)
        state = {"__notes__": list(self.__notes__)} if hasattr(self, "__notes__") else None
        return ParameterError, (str(self), self.param), state


@dataclass(frozen=True)
class Param:
    """A mechanism parameter: its default (may depend on the instance) and the paper's constraint."""

    name: str
    doc: str
    default: Callable[[Instance, Mapping[str, Fraction]], Fraction]  # may use the parameters before it
    check: Callable[[Fraction, Mapping[str, Fraction], Instance], str | None] = lambda v, p, i: None  # ditto


@dataclass(frozen=True)
class Guarantee:
    """A theorem's inequality evaluated on one instance: ``achieved >= bound`` (the
    guarantees listed in docs/definitions.md, "Mechanisms and their guarantees").

    ``holds`` is the inequality itself. ``premise_unmet`` says why the theorem does not apply
    to this instance (e.g. perfect-revenue without perfectly informed players): the inequality
    is still evaluated and shown, but it is neither a PASS nor a FAIL of the theorem."""

    statement: str
    benchmark: str
    benchmark_value: int
    achieved: Fraction
    bound: Fraction
    holds: bool
    premise_unmet: str | None = None

    @property
    def verdict(self) -> str:
        """PASS, FAIL, or "premise not met" (the theorem says nothing about this instance)."""
        if self.premise_unmet is not None:
            return "premise not met"
        return "PASS" if self.holds else "FAIL"

    @property
    def failed(self) -> bool:
        """The theorem applies and its inequality does not hold (a counterexample, exit code 4)."""
        return self.premise_unmet is None and not self.holds

    @property
    def on_probability(self) -> bool:
        """Whether both sides are probabilities (seed 003 Theorem 1'', App. B, with Def. 6:
        Pr[SW = MSW and sum P = 0] >= 1 - delta), not money: shown as they are, never divided by
        the instance's scale."""
        return self.statement.startswith("Pr")


class Facts:
    """The benchmark values and witnesses strategies need, solved once and proven optimal.

    Every witness a strategy reads is the canonical one (the lexicographically first optimal
    allocation, offers at price 0 dropped; ``benchmarks.solving.solve_program``), so that no
    evaluation depends on the backend or the run. Each benchmark is solved on first use, or
    with others ahead of use (:meth:`prefetch`, one batch for a mechanism's rational play), and
    cached: MIEW_i = BB_i (seed 001 Def. 2-3), MSW (seed 000 §1.2), RK_A and MKW (seed 000 §2
    Def. 6), BB (seed 004 §3 Def. 2) and BB' (seed 004 §6.2.3), the best allocations BA^C (seed
    000 App. A).

    Parameters
    ----------
    instance : Instance
        The instance whose benchmarks the strategies read.
    options : SolveOptions or str or None, optional
        How to solve the integer programs, or just a backend's name (None: the defaults).

    Attributes
    ----------
    instance : Instance
        The instance.
    options : SolveOptions
        ``options`` as :class:`ilp.SolveOptions`.

    Returns
    -------
    Facts
        The cache; its methods raise ``NotProvenError`` for a benchmark not proven optimal.

    Examples
    --------
    The seed 004 §3 example: BB_1..3 = 25, 100, 150, and p2's witness (it sells good 1 to p1 at
    80 and good 2 to p3 at 20):

    >>> from instances import load_instance
    >>> from mechanisms import Facts
    >>> facts = Facts(load_instance("instances/examples/seed004-example.json"), "cpsat")
    >>> [facts.miew_result(i).value for i in range(3)], facts.msw()
    ([25, 100, 150], 200)
    >>> facts.miew(1).allocation, facts.miew(1).prices
    ((1, 0, 2), (80, 0, 20))
    >>> facts.bb().value
    150
    """

    def __init__(self, instance: Instance, options: SolveOptions | str | None = None):
        self.instance = instance
        self.options = as_options(options)
        self._solved: dict[tuple[str, Any], Benchmark] = {}  # by (kind of _REQUESTS, player or agent)
        # MSW, its tie-break and the premise's verdicts, kept with this object (functools.cache
        # on a method kept every Facts, and all it solved, alive for the process)
        self._once: dict[Any, Any] = {}

    def _kept(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self._once:
            self._once[key] = compute()
        return self._once[key]

    def _result(self, kind: str, key: Any) -> Benchmark:
        found = self._solved.get((kind, key))
        if found is None:
            request = _REQUESTS[kind](self.instance, key)
            found = self._solved[kind, key] = solve_request(request, self.options, canonical=True)
        return found

    def prefetch(self, miew: Iterable[int] = (), relevant_knowledge: Iterable[tuple[int, ...]] = (),
                 best_allocation: Iterable[tuple[int, ...]] = (), favourite: Iterable[int] = ()) -> None:
        """Solve these benchmarks together, those not known yet: the MIEW_i of the players
        ``miew``, the RK_A of the agents ``relevant_knowledge``, the BA^C of the coalitions
        ``best_allocation`` and the favourite bundles of the players ``favourite``, as one batch
        (``benchmarks.solving.solve_requests``: in worker processes on the cores when the solves
        prove slow, as a report's), where each would otherwise be solved alone when a strategy
        first asks for it; a single one is left for then. Proven benchmarks are the same either
        way (values, and canonical witnesses, which are unique). A mechanism's rational play
        asks for one of them per player: on 500 players that is 500-1,000 programs."""
        wanted = [("miew", i) for i in miew] + [("rk", tuple(a)) for a in relevant_knowledge]
        wanted += [("ba", tuple(c)) for c in best_allocation] + [("fav", i) for i in favourite]
        missing = [k for k in dict.fromkeys(wanted) if k not in self._solved]
        if len(missing) < 2:
            return  # (one program: nothing to share)
        # the MIEW_i together, with the MIKW_i programs they share (exact knowledge: MSW), whose
        # canonical optimum settles MIEW_i of each player who wins nothing in it
        miew_keys = [k for k in missing if k[0] == "miew"]
        rk_keys = [k for k in missing if k[0] == "rk"]
        other_keys = [k for k in missing if k[0] not in ("miew", "rk")]
        requests, helpers = miew_requests(self.instance, [key for _, key in miew_keys])
        requests += relevant_knowledge_requests(self.instance, [key for _, key in rk_keys])
        requests += [_REQUESTS[kind](self.instance, key) for kind, key in other_keys]
        results = solve_requests(requests, self.options, canonical=True, helpers=helpers)
        self._solved.update(zip(miew_keys + rk_keys + other_keys, results, strict=True))

    def miew_result(self, i: int) -> Benchmark:
        """MIEW_i = BB_i as solved (proven or not); every other use derives from it."""
        return self._result("miew", i)

    def miew(self, i: int) -> Outcome:
        """The MIEW_i = BB_i witness (canonical outcome, seed 001 Def. 2-3)."""
        result = self.miew_result(i)
        result.require()
        return result.outcome

    def knowledge_premise(self, paper: str) -> str | None:
        """Why the knowledge premise of seed 000 §1.2 (0 <= K^i_j <= TV_j) or seed 001 Def. 1
        (TV_-i in K_i) fails on this instance, or None when every player's knowledge is correct.
        Seed 004 needs no such premise: its beliefs may be wrong (§3)."""
        return self._kept(("premise", paper), lambda: self._knowledge_premise(paper))

    def _knowledge_premise(self, paper: str) -> str | None:
        for i, verdict in enumerate(each_knowledge_verdict(self.instance)):
            if verdict.correct is not True:
                state = "incorrect" if verdict.correct is False else "not decidable"
                return (f"{paper} assumes every player's knowledge is correct; "
                        f"{self.instance.players[i]}'s is {state} ({verdict.reason})")
        return None

    def favourite(self, i: int) -> int:
        """Player i's favourite bundle S_i (``benchmarks.favourite_bundle``)."""
        result = self._result("fav", i)
        result.require()
        return result.outcome.allocation[i]

    def relevant_knowledge_result(self, agent: tuple[int, ...]) -> Benchmark:
        """RK_A of the agent ``agent`` as solved (proven or not), whose value is MKW_A (seed 000
        §2 Def. 6)."""
        return self._result("rk", tuple(agent))

    def relevant_knowledge(self, agent: tuple[int, ...]) -> Outcome:
        """The RK_A witness of the agent ``agent`` (seed 000 §2 Def. 6): the outcome of most
        revenue with P_j = TV_j(A_j) for members and P_j <= g^A_j(A_j) for the others."""
        result = self.relevant_knowledge_result(agent)
        result.require()
        return result.outcome

    def best_allocation(self, agent: tuple[int, ...]) -> tuple[int, ...]:
        """BA^C for the coalition ``agent``: the allocation giving goods only to its members that
        maximises their total true value (seed 000 App. A, "Best Allocation")."""
        result = self._result("ba", tuple(agent))
        result.require()
        return result.outcome.allocation

    # MSW and the tie-break are solved once, proven or not (a cache of what was raised would
    # keep no exception: a program not proven within the time limit was solved again, to the
    # limit, by every mechanism of ``evaluate --mechanism all`` that asked for it)
    def _msw(self) -> Benchmark:
        return self._kept("msw", lambda: msw(self.instance, options=self.options))

    def msw(self) -> int:
        """MSW = max_A sum_j TV_j(A_j), proven optimal and solved once (seed 002 §2, seed 000 §1.2)."""
        return self._msw().require()

    def _lex_first(self) -> Benchmark:
        return self._kept("lex", lambda: lex_first_optimal(self.instance, options=self.options))

    def truthful_outcome(self) -> Benchmark:
        """A market's truthful outcome (seed 003 App. A, Definition 7), solved once: the
        budget-balanced mechanisms' rational proposal, and their deviations, start from it."""
        return self._kept("truthful", lambda: truthful_outcome(self.instance, options=self.options))

    def lex_first(self) -> Outcome:
        """The lexicographically first welfare-maximising allocation (seed 002 Lemma 3), solved
        once: perfect-revenue's rational play and each agent's deviations start from it."""
        first = self._lex_first()
        first.require()
        return first.outcome

    @staticmethod
    def _proven(best: Best) -> Best:
        if best.value is None:
            raise NotProvenError(best.name, None, best.incumbent, best.bound)
        return best

    def _per_player(self) -> list[Benchmark]:
        self.prefetch(miew=range(self.instance.n))
        return [self.miew_result(i) for i in range(self.instance.n)]

    def bb(self) -> Best:
        """BB = max over all players of BB_i = MIEW_i, with the player attaining it (seed 004 §3
        Def. 2)."""
        return self._proven(bb(self.instance, self._per_player()))

    def bb_prime(self) -> Best:
        """BB' = max over the independent players of BB_i, with the player attaining it (seed 004
        §6.2.3)."""
        return self._proven(bb_prime(self.instance, self._per_player()))

    def miew_independent(self) -> Best:
        """MIEW(K_I) = max over the independent players of MIEW_i (seed 001 §2 Def. 3), the
        benchmark of seed 001 Theorem 1 (§5) and of its proof for mechanism M, Theorem 2 (§7)."""
        return self._proven(miew_of(self.instance, self._per_player()))

    def mkw(self) -> Best:
        """MKW = max over the agents A of MKW_A = REV(RK_A), with the agent attaining it (seed 000
        §2 Def. 6)."""
        self.prefetch(relevant_knowledge=self.instance.agents)
        per_agent = [(a, self.relevant_knowledge_result(a)) for a in self.instance.agents]
        return self._proven(mkw(self.instance, per_agent))


@dataclass(frozen=True)
class Deviation:
    """A deviation family for one agent: the whole profile with the agent's strategies replaced.

    ``dominated`` says whether the paper proves the family dominated; otherwise ``why`` explains
    when it can pay (e.g. overbidding earns a larger reward when the agent does not win). What
    the paper's claim assumes is explicit, so that ``cabench deviate`` can label each row:

    * ``needs_correct_knowledge``: the claim is about what the agent knows or believes (an
      announcement built from its knowledge), so it holds for an agent whose knowledge is
      correct (seed 001 Def. 1, seed 004 §3); answers judged by one's own true value, and
      dominant strategies, need nothing about the others and set it to False;
    * ``scenario``: set when the row also changes other agents' strategies (e.g. Naive-2's
      belief mismatch, where everyone says YES): it is then not a unilateral deviation of the
      agent, and the text says what the others are assumed to do;
    * ``by_beliefs``: the paper judges dominance by the agent's own beliefs, which it lets be
      wrong (seed 004 §3 and Lemma 4: the claim holds in every context), so the claim covers
      every agent, but with wrong beliefs the agent's true E[u] may still rise;
    * ``for_coalitions``: the claim covers a coalition too, whose members maximise the sum of
      their utilities (``why`` cites the lemma that says so, e.g. seed 000 Lemma 1 on
      inconsistent declarations, or the reasoning); otherwise it is claimed for an independent
      player only (:meth:`Mechanism.deviation_families`)."""

    profile: list[Strategy]
    dominated: bool
    why: str
    needs_correct_knowledge: bool = True
    scenario: str | None = None
    by_beliefs: bool = False
    for_coalitions: bool = False


@dataclass(frozen=True)
class Mechanism:
    """One mechanism of the papers (seed 000 §4, seed 001 §6, seed 002 §4, seed 003 §5, seed 004
    §4 and §6): its rules, parameters, rational play (from the proofs' lemmas), deviation families
    and the guarantee of its theorem (docs/definitions.md, "Mechanisms and their guarantees").

    Users take them from ``mechanisms.MECHANISMS`` rather than building one.

    Parameters
    ----------
    name : str
        The name ``cabench evaluate --mechanism`` takes, e.g. ``"best-belief"``.
    source : str
        The paper, section and theorem the mechanism comes from.
    market : bool
        Whether the mechanism runs on market instances (players own goods: an endowment, seed
        003) instead of auctions.
    params : tuple of Param
        The mechanism's parameters, with defaults and the paper's constraints.
    rules : Rules
        ``rules(play, instance, params) -> Terminal``: the mechanism itself.
    rational : callable
        ``rational(instance, params, facts)``: the rational strategy of every player.
    deviations : callable
        ``deviations(instance, params, facts, agent)``: the deviation families of ``agent``.
    guarantee : callable, optional
        ``guarantee(instance, params, facts, evaluation)``: the theorem's inequality, or None.
    notes : str, optional
        A remark on how the strategies read the paper (e.g. what coalition members do).
    min_players : int, optional
        Fewest players the mechanism is defined for.

    Returns
    -------
    Mechanism
        A frozen value.

    Examples
    --------
    >>> from instances import load_instance
    >>> from mechanisms import MECHANISMS
    >>> mech = MECHANISMS["best-belief"]
    >>> mech.name, mech.source, mech.market
    ('best-belief', "seed 004 §6 (M_BB), Theorem 2; with coalitions §6.2.3's argument (no theorem)", False)
    >>> mech.parameters(load_instance("instances/examples/seed004-example.json"))
    {'eps': Fraction(1, 10)}
    """

    name: str
    source: str
    market: bool
    params: tuple[Param, ...]
    rules: Rules
    rational: Callable[[Instance, Mapping[str, Fraction], Facts], list[Strategy]]
    deviations: Callable[[Instance, Mapping[str, Fraction], Facts, tuple[int, ...]], dict[str, Deviation]]
    guarantee: Callable[[Instance, Mapping[str, Fraction], Facts, "Evaluation"], Guarantee | None] = lambda *a: None
    notes: str = ""
    min_players: int = 1

    def __repr__(self) -> str:
        return f"<Mechanism {self.name!r}: {self.source}>"  # (its fields are functions)

    def __reduce__(self):
        # Pickled (and copied) by name, as an Enum member is: its rules and defaults are
        # functions (lambdas among them), and a result that holds its mechanism
        # (``cabench.evaluate``'s) should pickle, e.g. to cross a process pool. Only the
        # registered mechanism itself: another (a changed copy, a test's) copies field by
        # field, and pickles only if its functions do.
        from mechanisms.registry import MECHANISMS

        if MECHANISMS.get(self.name) is self:
            return _registered, (self.name,)
        return object.__reduce__(self)

    def deviation_families(self, instance: Instance, params: Mapping[str, Fraction], facts: Facts,
                           agent: tuple[int, ...]) -> dict[str, Deviation]:
        """The deviation families for ``agent``. For a coalition (whose members maximise the sum
        of their utilities) a family is claimed dominated only where the claim covers coalitions
        (``Deviation.for_coalitions``: e.g. seed 000 Lemmas 1-3, seed 001 Claim 2, seed 003
        Lemmas 7-8); the others' arguments are for an independent player."""
        families = self.deviations(instance, params, facts, agent)
        if len(agent) == 1:
            return families
        return {
            name: replace(d, dominated=False, why=d.why + " (argued for an independent player; not claimed for a "
                                                          "coalition, whose members share their utility)")
            if d.dominated and not d.for_coalitions else d
            for name, d in families.items()
        }

    def parameters(self, instance: Instance, given: Mapping[str, Fraction] | None = None) -> dict[str, Fraction]:
        """Defaults overridden by ``given``, checked against the paper's constraints."""
        given = dict(given or {})
        if instance.n < self.min_players:
            raise ParameterError(f"{instance.source}: {self.name} needs at least {self.min_players} players; "
                                 f"the instance has {instance.n}")
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            names = ", ".join(p.name for p in self.params) or "none"
            raise ParameterError(f'{self.name}: unknown parameter "{unknown[0]}"; expected one of: {names}', unknown[0])
        values: dict[str, Fraction] = {}
        for p in self.params:
            # each is checked before the next default reads it (delta's default is eps/2^k: k = 10^10 did not end)
            values[p.name] = Fraction(given[p.name]) if p.name in given else p.default(instance, values)
            problem = p.check(values[p.name], values, instance)
            if problem:
                # (a default refused because of another parameter given: said as the default, which
                # the user never wrote; collusion-leveraging's eps2 after eps1=1/100)
                default = "" if p.name in given else f" (its default; give {p.name} too)"
                raise ParameterError(f"{self.name}: {p.name} = {values[p.name]}{default}: {problem}", p.name)
        return values


def _registered(name: str) -> Mechanism:
    """The mechanism of ``mechanisms.MECHANISMS`` named ``name`` (how a pickled one is read)."""
    from mechanisms.registry import MECHANISMS

    return MECHANISMS[name]


@dataclass(frozen=True)
class Evaluation:
    """The exact distribution of outcomes of one profile and its expectations."""

    mechanism: str
    params: Mapping[str, Fraction]
    outcomes: tuple[tuple[Fraction, Terminal], ...]
    sw: Fraction
    rev: Fraction
    utilities: tuple[Fraction, ...]
    agent_utilities: tuple[tuple[tuple[int, ...], Fraction], ...]
    branches: tuple[tuple[str, Fraction], ...]
    guarantee: Guarantee | None = field(default=None)

    @property
    def total(self) -> Fraction:
        """Total performance E[SW] + E[REV] (seed 000 §1.2)."""
        return self.sw + self.rev

    def agent_utility(self, agent: Sequence[int]) -> Fraction:
        """E[u_C] = sum over the members i of ``agent`` of E[u_i], the utility a coalition
        maximises (seed 003 §3.2; seed 002 §2)."""
        return sum((self.utilities[i] for i in agent), Fraction(0))


def perfectly_informed(instance: Instance) -> str | None:
    """Why the players are not perfectly informed (seed 002 §2; seed 003 §3.2's complete
    information: the premise of perfect-revenue and budget-balanced), or None if they are.

    Perfect information means every player knows every other player's true valuation, i.e. its
    belief is the single profile theta (seed 004 §1: "complete information ... B_i = {theta}"). In
    an instance file that is a candidate set whose every candidate gives each other player its
    true valuation. Lower bounds, even equal to the truth, only say TV_j >= L_j: the player does
    not know that a higher value is impossible, so they do not meet the premise. A player alone
    has no other player to know: it is perfectly informed, whatever its file says."""
    if instance.n == 1:  # (it said "p1 has no knowledge, not the exact valuations of the others")
        return None
    for i, knowledge in enumerate(instance.knowledge):
        who = instance.players[i]
        if not isinstance(knowledge, Candidates):
            if isinstance(knowledge, LowerBounds) and all(
                    knowledge.bounds.get(j) is instance.valuations[j] for j in range(instance.n) if j != i):
                # ({"exact": true}: the message said "lower bounds", which read as wrong for it)
                return (f"{who} has exact lower bounds (the true valuations as lower bounds, which do not say "
                        "that a higher value is impossible), not the others' valuations as its one candidate")
            kind = "lower bounds" if isinstance(knowledge, LowerBounds) else "no knowledge"
            return f"{who} has {kind}, not the exact valuations of the others"
        for k, profile in enumerate(knowledge.profiles):
            for j in range(instance.n):
                if j == i:
                    continue
                same, _ = same_valuation(instance, profile.get(j, ZERO), instance.valuations[j])
                if same is not True:
                    verb = "cannot be compared with" if same is None else "differs from"
                    return f"{who}'s candidate {k} {verb} the true valuation of {instance.players[j]}"
    return None


def agent_of(instance: Instance, player: int) -> tuple[int, ...]:
    """The member of the collusion structure containing ``player``: its agent, C_i of seed 000
    §2 Definition 5.

    Parameters
    ----------
    instance : Instance
        The instance.
    player : int
        Index of a player.

    Returns
    -------
    tuple of int
        The player's coalition, or ``(player,)`` for an independent player.

    Examples
    --------
    >>> from instances import load_instance
    >>> from mechanisms import agent_of
    >>> agent_of(load_instance("instances/examples/vcg-collusion.json"), 1)  # p2 colludes with p3
    (1, 2)
    """
    # the coalitions alone, not ``instance.agents`` (which lists and sorts every player's part:
    # a mechanism asks this of each player, n^2 at n players)
    for coalition in instance.coalitions:
        if player in coalition:
            return tuple(sorted(coalition))
    return (player,)


def evaluate(mechanism: Mechanism, instance: Instance, params: Mapping[str, Fraction],
             profile: Sequence[Strategy], facts: Facts | None = None, check: bool = True) -> Evaluation:
    """Walk every chance branch of ``mechanism`` under ``profile``; with ``check`` (and ``facts``),
    evaluate the theorem's guarantee too.

    Parameters
    ----------
    mechanism : Mechanism
        One of ``mechanisms.MECHANISMS``.
    instance : Instance
        The instance.
    params : mapping of str to Fraction
        The mechanism's parameters, e.g. ``mechanism.parameters(instance)`` for the defaults.
    profile : sequence of Strategy
        One strategy per player, e.g. ``mechanism.rational(instance, params, facts)``.
    facts : Facts or None, optional
        The solved benchmarks the guarantee needs (``Facts(instance)``); its options (backend,
        time limit) are also those of programs the rules solve on the reports (VCG's).
    check : bool, optional
        Evaluate the theorem's guarantee (needs ``facts``).

    Returns
    -------
    Evaluation
        Exact ``sw`` and ``rev`` (Fractions), per-player ``utilities``, the probability of every
        public ``branch``, and ``guarantee`` (``statement``, ``bound``, ``achieved``, ``holds``,
        ``premise_unmet``).

    Examples
    --------
    The best-belief mechanism (seed 004 §6) on the seed 004 example: E[REV] >= BB/2 - eps.

    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from mechanisms import MECHANISMS, Facts, evaluate
    >>> mech = MECHANISMS["best-belief"]
    >>> params = mech.parameters(inst)  # eps = 1/10
    >>> facts = Facts(inst)
    >>> result = evaluate(mech, inst, params, mech.rational(inst, params, facts), facts)
    >>> result.sw, round(float(result.rev), 4)
    (Fraction(125, 1), 74.9176)
    >>> result.guarantee.statement, result.guarantee.bound, result.guarantee.holds
    ('E[REV] >= BB/2 - eps', Fraction(749, 10), True)
    """
    outcomes = tuple(outcome_distribution(mechanism.rules, instance, params, profile,
                                          facts.options if facts is not None else None))
    sw, rev, utilities = expectations(outcomes, instance)
    branches: dict[str, Fraction] = {}
    for p, t in outcomes:
        key = ", ".join(t.path) or "(no chance)"
        branches[key] = branches.get(key, Fraction(0)) + p
    evaluation = Evaluation(
        mechanism=mechanism.name,
        params=dict(params),
        outcomes=outcomes,
        sw=sw,
        rev=rev,
        utilities=utilities,
        agent_utilities=tuple((a, sum((utilities[i] for i in a), Fraction(0))) for a in instance.agents),
        branches=tuple(branches.items()),
    )
    if check and facts is not None:
        evaluation = replace(evaluation, guarantee=mechanism.guarantee(instance, params, facts, evaluation))
    return evaluation


def expectations(outcomes: Sequence[tuple[Fraction, Terminal]], instance: Instance
                 ) -> tuple[Fraction, Fraction, tuple[Fraction, ...]]:
    """E[SW], E[REV] and each player's E[u_i] (seed 000 §2, seed 003 §3: u_i = TV_i(A_i) - P_i,
    less TV_i(E_i) in a market) over ``outcomes``, pairs of an exact probability and a terminal
    (Fractions or integers, as :func:`mechanisms.engine.outcome_distribution` gives them), in
    integers over common denominators: the same Fractions as summing ``p * u`` term by term,
    which at n players and about n branches (a uniform draw among the players) was n^2 Fraction
    products and sums (5 of the 20 s of a 1000-player market's outcome, 2026-12-07)."""
    outcomes = tuple(outcomes)
    common = math.lcm(*(p.denominator for p, _ in outcomes))  # of the probabilities
    weights = [p.numerator * (common // p.denominator) for p, _ in outcomes]
    mass = sum(weights)  # common, for a distribution; the endowment's value is weighted by it
    cents = math.lcm(*(q.denominator for _, t in outcomes for q in t.prices))  # of the prices
    valuations = instance.valuations
    values = [[v.value(a) for v, a in zip(valuations, t.allocation)] for _, t in outcomes]
    prices = [[q.numerator * (cents // q.denominator) for q in t.prices] for _, t in outcomes]
    sw = Fraction(sum(w * sum(row) for w, row in zip(weights, values)), common)
    rev = Fraction(sum(w * sum(row) for w, row in zip(weights, prices)), common * cents)
    endowment = instance.endowment
    endowed = [0] * instance.n if endowment is None else [v.value(e) for v, e in zip(valuations, endowment)]
    if not outcomes:
        return sw, rev, (Fraction(0),) * instance.n
    utilities = tuple(  # (player by player: the columns of the two tables)
        Fraction(cents * (sum(map(operator.mul, weights, value_column)) - own * mass)
                 - sum(map(operator.mul, weights, price_column)), common * cents)
        for value_column, price_column, own in zip(zip(*values), zip(*prices), endowed, strict=True))
    return sw, rev, utilities


def in_open_unit(value: Fraction, params: Mapping[str, Fraction], instance: Instance) -> str | None:
    """A :class:`Param` check: None when 0 < ``value`` < 1, else why not (e.g. eps and eps1 of
    seed 000 §4, "constants in (0, 1)")."""
    return None if 0 < value < 1 else "must lie in the open interval (0, 1)"
