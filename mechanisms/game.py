"""A mechanism's game as an extensive-form game of Gambit (pygambit), for an independent check
of the evaluator and for users who want to analyse the game with Gambit's tools.

The tree is built from the same rules the evaluator runs (``mechanisms.engine``), by replay:

* a chance node keeps its exact probabilities (outcomes of probability 0 are left out, as the
  evaluator leaves them out);
* at a decision node a player may take every action that one of the enumerated strategy
  profiles takes there: the rational profile (docs/definitions.md, "Rational play") and every deviation family that
  ``cabench deviate`` considers, for every agent. These are the players' strategies "as far as
  the evaluator enumerates them"; the first action of every information set is the rational one;
* an information set is what a strategy can tell apart: the player, the kind of decision, the
  public information the mechanism shows it (``Decision.info``), and the player's own earlier
  decisions and actions (so the game has perfect recall);
* a leaf's payoffs are the players' exact utilities (TV_i(A_i) - P_i, minus TV_i(E_i) in a
  market), as Gambit rationals.

``profile_payoffs`` gives Gambit's expected payoff of a strategy profile of the mechanism; the
tests check that it equals the evaluator's, exactly, for the rational profile and for every
deviation.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ilp import SolveOptions
from instances import CabenchError, Instance
from mechanisms.base import Facts, Mechanism
from mechanisms.engine import Decision, MechanismError, Play, Strategy, Terminal

if TYPE_CHECKING:
    import pygambit

__all__ = ["GameTooLarge", "Infoset", "InfosetKey", "MAX_NODES", "MechanismGame", "Node", "behaviour_profile",
           "build_game", "explore", "profile_payoffs", "profiles_with_movers"]

MAX_NODES = 200_000
"""Largest tree exported: Gambit holds every node in memory, and the tree grows as the product of
the players' action counts; the cross-check is meant for small instances."""


class GameTooLarge(CabenchError):
    """The tree of the mechanism on this instance exceeds the node limit."""


@dataclass(frozen=True)
class InfosetKey:
    """What a player knows at a decision node (see the module docstring)."""

    player: int
    kind: str
    info: Hashable
    history: tuple[tuple[str, Hashable, int], ...]


@dataclass
class Node:
    """A node of the explored tree: decision, chance or terminal (``open`` until explored).
    ``labels`` name its branches; a decision node's ``actions`` are its information set's
    distinct actions (index 0 the rational one), a chance node's ``probabilities`` its odds."""

    kind: str
    name: str = ""
    key: InfosetKey | None = None
    decision: Decision | None = None
    labels: tuple[str, ...] = ()
    actions: tuple[Any, ...] = ()
    probabilities: tuple[Fraction, ...] = ()
    children: list[Node] = field(default_factory=list)
    terminal: Terminal | None = None


@dataclass(frozen=True)
class Infoset:
    """An information set of the exported game: its Gambit label, a decision node in it, and the
    distinct actions the enumerated strategies take there (index 0: the rational action)."""

    label: str
    decision: Decision
    actions: tuple[Any, ...]


@dataclass
class MechanismGame:
    """The exported game and what is needed to play the mechanism's strategies in it."""

    game: pygambit.Game
    infosets: dict[InfosetKey, Infoset]
    profiles: dict[str, list[Strategy]]
    nodes: int
    leaves: int


class _Open(Exception):
    """Raised by a replay that reaches a node not yet expanded."""

    def __init__(self, node: Node, options: int) -> None:
        self.node = node
        self.options = options


def profiles_with_movers(mechanism: Mechanism, instance: Instance, params: Mapping[str, Fraction],
                         facts: Facts) -> list[tuple[str, list[Strategy], frozenset[int]]]:
    """The rational profile and every deviation family of every agent, by name, each with the
    players who may act in it otherwise than in the rational profile: everyone in the rational
    profile itself and in a ``scenario`` (a row that changes other agents' play too), else the
    deviating agent's members (a ``Deviation`` replaces only the agent's strategies)."""
    everyone = frozenset(range(instance.n))
    enumerated = [("rational", mechanism.rational(instance, params, facts), everyone)]
    for agent in instance.agents:
        who = "{" + ", ".join(instance.players[j] for j in agent) + "}"
        for name, dev in mechanism.deviation_families(instance, params, facts, agent).items():
            enumerated.append((f"{who} {name}", dev.profile, everyone if dev.scenario else frozenset(agent)))
    return enumerated


def _hashable(value: Any) -> Hashable:
    """``value`` (a decision's public information) as a key equal where the values are equal
    (``==``: a strategy must answer equal information alike, e.g. ``pseudo_random_bit`` of
    ``mechanisms.common`` hashes its ``repr``, so a price shown once as 2 and once as
    ``Fraction(2)`` would break that; no mechanism shows one so). What is hashable already is
    kept as it is (the same object, not a copy): at 200 players perfect-revenue shows each raise
    decision every earlier raise, n numbers each, and a text key per node (their ``repr``) held
    1.6 GB at 200,000 nodes."""
    if isinstance(value, Mapping):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(map(_hashable, value))
    try:
        hash(value)
    except TypeError:
        if isinstance(value, tuple):
            return tuple(map(_hashable, value))
        raise
    return value


def _distinct(pairs: Sequence[tuple[str, Any]]) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Distinct actions in order of first appearance, each labelled by the first profile taking it."""
    labels: list[str] = []
    actions: list[Any] = []
    for name, action in pairs:
        if not any(action == seen for seen in actions):
            labels.append(name)
            actions.append(action)
    return tuple(labels), tuple(actions)


def explore(mechanism: Mechanism, instance: Instance, params: Mapping[str, Fraction],
            profiles: Mapping[str, Sequence[Strategy]], max_nodes: int = MAX_NODES,
            movers: Mapping[str, frozenset[int]] | None = None,
            options: SolveOptions | None = None,
            progress: Callable[[int, int], None] | None = None) -> tuple[Node, int]:
    """The tree of every play in which each player takes, at each decision, an action of one of
    ``profiles``; returns the root and the number of nodes. ``progress(done, known)``, if given,
    is called after each replay: the nodes replayed so far and the nodes known so far (the tree
    grows as it is explored; a leaf's replay may solve the mechanism's programs).

    Raises ``GameTooLarge`` as soon as more than ``max_nodes`` nodes exist. The tree is explored
    breadth first, so that refusal comes after about ``max_nodes`` short replays, before any deep
    leaf (whose outcome may need the mechanism's programs) is reached: on a file of 200 players,
    whose tree is a product over the players, depth first took minutes per thousand nodes. A
    strategy is a function of the ``Decision`` alone, so the actions of an information set are
    asked of the profiles once, not at each of its nodes and each replay through them; and with
    ``movers`` (profile name -> the players who may act otherwise than in the first profile, the
    rational one, in which everyone moves: ``profiles_with_movers``), a player is asked only by
    the profiles in which it may: at 200 players, each decision asked a thousand profiles, all
    but a few of them the rational strategy again."""
    asking = [[(name, profile[i]) for name, profile in profiles.items() if movers is None or i in movers[name]]
              for i in range(instance.n)]
    asked: dict[InfosetKey, tuple[tuple[str, ...], tuple[Any, ...]]] = {}
    root = Node("open")
    count = 1

    def replay(prefix: tuple[int, ...]) -> None:
        position = 0
        node = root
        history: list[list[tuple[str, Hashable, int]]] = [[] for _ in range(instance.n)]

        def enter(make: Callable[[], Node]) -> Node:
            """The node the replay stands at, filled by ``make`` on the first visit."""
            if node.kind == "open":
                fresh = make()
                node.kind, node.name, node.key, node.decision = fresh.kind, fresh.name, fresh.key, fresh.decision
                node.labels, node.actions, node.probabilities = fresh.labels, fresh.actions, fresh.probabilities
            return node

        def advance(options: int) -> int:
            nonlocal position, node
            if position == len(prefix):
                raise _Open(node, options)
            k = prefix[position]
            position += 1
            node = node.children[k]
            return k

        def decision(i: int, d: Decision) -> Node:
            key = InfosetKey(i, d.kind, _hashable(d.info), tuple(history[i]))
            if key not in asked:
                asked[key] = _distinct([(name, strategy(d)) for name, strategy in asking[i]])
            labels, actions = asked[key]
            return Node("decision", key=key, decision=d, labels=labels, actions=actions)

        def strategy_of(i: int) -> Strategy:
            def strategy(d: Decision) -> Any:
                here = enter(lambda: decision(i, d))
                k = advance(len(here.actions))
                history[i].append((here.key.kind, here.key.info, k))
                return here.actions[k]

            return strategy

        def choose(name: str, outcomes: Sequence[tuple[str, Fraction]]) -> int:
            live = [k for k, (_, p) in enumerate(outcomes) if p > 0]
            enter(lambda: Node("chance", name=name, labels=tuple(outcomes[k][0] for k in live),
                               probabilities=tuple(Fraction(outcomes[k][1]) for k in live)))
            return live[advance(len(live))]

        terminal = mechanism.rules(Play([strategy_of(i) for i in range(instance.n)], choose, options), instance,
                                   params)
        node.kind, node.terminal = "terminal", terminal

    queue: deque[tuple[int, ...]] = deque([()])
    replayed = 0
    while queue:
        prefix = queue.popleft()
        try:
            replay(prefix)
        except _Open as opened:
            count += opened.options
            if count > max_nodes:
                raise GameTooLarge(f"{instance.source}: the game of {mechanism.name} has more than {max_nodes} "
                                   "nodes; export a smaller instance") from None
            opened.node.children = [Node("open") for _ in range(opened.options)]
            queue.extend(prefix + (k,) for k in range(opened.options))
        replayed += 1
        if progress is not None:
            progress(replayed, count)
    return root, count


def _ascii(text: str) -> str:
    """``text`` as a Gambit label, which holds printable ASCII and single spaces, none at either
    end: section signs become "sec.", any other character that is not printable ASCII "?", and
    every run of whitespace one space (a player named "p  1", which instance files allow, ended
    ``cabench game`` with pygambit's traceback)."""
    text = text.replace("§", "sec. ").encode("ascii", "replace").decode("ascii")
    text = "".join(c if c.isprintable() or c.isspace() else "?" for c in text)
    return " ".join(text.split()) or "?"


def _rational(x: Fraction) -> pygambit.Rational:
    import pygambit

    return pygambit.Rational(x.numerator, x.denominator)


def build_game(mechanism: Mechanism, instance: Instance, params: Mapping[str, Fraction], facts: Facts,
               max_nodes: int = MAX_NODES, progress: Callable[[int, int], None] | None = None) -> MechanismGame:
    """The mechanism's game on ``instance`` as a pygambit extensive-form game (module docstring);
    ``progress`` as :func:`explore` takes it."""
    import pygambit as gbt

    enumerated = profiles_with_movers(mechanism, instance, params, facts)
    profiles = {name: profile for name, profile, _ in enumerated}
    root, count = explore(mechanism, instance, params, profiles, max_nodes,
                          {name: movers for name, _, movers in enumerated}, facts.options, progress)
    game = gbt.Game.new_tree(players=[f"{k + 1} {_ascii(p)}" for k, p in enumerate(instance.players)],
                             title=_ascii(f"{mechanism.name} on {instance.name} ({mechanism.source})"))
    players = list(game.players)
    infosets: dict[InfosetKey, Infoset] = {}
    made: dict[InfosetKey, pygambit.Infoset] = {}  # (looked up by label, each cost a pass over all)
    leaves = 0
    stack = [(root, game.root)]
    while stack:
        node, gnode = stack.pop()
        if node.kind == "terminal":
            leaves += 1
            t = node.terminal
            payoffs = [_rational(t.utility(instance, i)) for i in range(instance.n)]
            outcome = game.add_outcome(_ascii(f"leaf {leaves}: " + (", ".join(t.path) or "no chance")), payoffs)
            game.set_outcome(gnode, outcome)
            continue
        if node.kind == "chance":
            # the coin's name on its actions ("c1=Heads"), as on the paths: an infoset's label
            # must be unique among its player's, and pygambit checks that against every one, so
            # labelling each chance infoset ("C1 c1", "C2 c1", ...) made the build quadratic in
            # the chance nodes (47,408 nodes: minutes, where exploring them took 4 s; found by a
            # user's audit)
            game.append_move(gnode, game.players.chance, [_ascii(f"{node.name}={label}") for label in node.labels])
            game.set_chance_probs(gnode.infoset, [_rational(p) for p in node.probabilities])
        else:
            known = infosets.get(node.key)
            if known is None:
                label = _ascii(f"I{len(infosets) + 1} {instance.players[node.key.player]} {node.key.kind}")
                game.append_move(gnode, players[node.key.player], [_ascii(name) for name in node.labels])
                gnode.infoset.label = label
                infosets[node.key] = Infoset(label, node.decision, node.actions)
                made[node.key] = gnode.infoset
            else:
                game.append_infoset(gnode, made[node.key])
        stack.extend(reversed(list(zip(node.children, gnode.children))))
    return MechanismGame(game, infosets, profiles, count, leaves)


def behaviour_profile(exported: MechanismGame, profile: Sequence[Strategy],
                      game: pygambit.Game | None = None) -> pygambit.MixedBehaviorProfileRational:
    """The pure behaviour profile of ``game`` (default: the exported one; a game read back from
    its .efg file works too, through the information sets' labels) in which every player acts as
    ``profile`` does."""
    game = game if game is not None else exported.game
    behaviour = game.mixed_behavior_profile(rational=True)
    for infoset in exported.infosets.values():
        action = profile[infoset.decision.player](infoset.decision)
        chosen = next((k for k, a in enumerate(infoset.actions) if a == action), None)
        if chosen is None:  # a deviation changed a non-member's play without being a scenario, or a
            # strategy answered equal information (``_hashable``) differently
            raise MechanismError(f"{infoset.label}: the profile takes an action that no enumerated profile takes there")
        for k, gaction in enumerate(game.infosets[infoset.label].actions):
            behaviour[gaction] = 1 if k == chosen else 0
    return behaviour


def profile_payoffs(exported: MechanismGame, profile: Sequence[Strategy],
                    game: pygambit.Game | None = None) -> list[Fraction]:
    """Gambit's exact expected payoff of every player under ``profile``."""
    game = game if game is not None else exported.game
    behaviour = behaviour_profile(exported, profile, game)
    return [Fraction(str(behaviour.payoff(player))) for player in game.players]
