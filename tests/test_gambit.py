"""The evaluator cross-checked against Gambit (issue #13 part 4): every mechanism's game, exported
to an .efg file and read back by pygambit, gives exactly cabench's expected utilities for the
rational profile and for every deviation family, so a deviation that does not pay in cabench
does not pay in Gambit either."""

from __future__ import annotations

import json
import re
from fractions import Fraction

import pygambit as gbt
import pytest

from instances import load_instance
from instances.synthetic import random_instance
from mechanisms import MECHANISMS, Facts, agent_of, evaluate
from mechanisms.game import GameTooLarge, build_game, profile_payoffs
from tests.conftest import EXAMPLES, run_cli

EXAMPLE_FILES = ["seed004-example.json", "vcg-collusion.json", "seed003-market.json", "random-market.json"]


def _small_random(seed: int):
    """Small random instances: 1-2 goods, 2-3 players, every knowledge form, some coalitions and
    markets (the game's tree grows as a product over players of their action counts)."""
    return random_instance(seed, goods=1 + seed % 2, players=2 + seed % 2, market=seed % 5 == 0,
                           coalitions=seed % 3 == 0)


# Seeds 0-5 meet 1 and 2 goods, 2 and 3 players, markets (0, 5) and coalitions (0, 3) by default;
# seeds 6-9 (4.8 s of CPU, 2026-12-02) only with ``pytest -m slow``.
INSTANCES = [pytest.param(lambda f=f: load_instance(EXAMPLES / f), id=f) for f in EXAMPLE_FILES] + [
    pytest.param(lambda s=s: _small_random(s), id=f"random-{s}", marks=[pytest.mark.slow] if s >= 6 else [])
    for s in range(10)
]


def _check_mechanism(m, inst, facts, tmp_path) -> None:
    params = m.parameters(inst)
    exported = build_game(m, inst, params, facts)
    path = tmp_path / f"{m.name}.efg"
    exported.game.to_efg(str(path))
    game = gbt.read_efg(str(path))  # the file, as Gambit reads it
    rational = exported.profiles["rational"]
    cabench_rational = evaluate(m, inst, params, rational, facts, check=False)
    gambit_rational = profile_payoffs(exported, rational, game)
    assert gambit_rational == list(cabench_rational.utilities), (m.name, "rational")
    for name, profile in exported.profiles.items():
        ours = evaluate(m, inst, params, profile, facts, check=False)
        theirs = profile_payoffs(exported, profile, game)
        assert theirs == list(ours.utilities), (m.name, name)
        for agent in inst.agents:
            pays_here = ours.agent_utility(agent) > cabench_rational.agent_utility(agent)
            pays_there = sum(theirs[i] for i in agent) > sum(gambit_rational[i] for i in agent)
            assert pays_here == pays_there, (m.name, name, agent)


@pytest.mark.parametrize("make", INSTANCES)
def test_gambit_expected_payoffs_equal_cabench(make, tmp_path):
    inst = make()
    facts = Facts(inst)
    checked = 0
    for m in MECHANISMS.values():
        if m.market != inst.is_market or inst.n < m.min_players:
            continue
        _check_mechanism(m, inst, facts, tmp_path)
        checked += 1
    assert checked >= 1


def test_every_mechanism_is_cross_checked():
    """The instance set covers every mechanism at least once (auctions and markets)."""
    covered = set()
    for f in EXAMPLE_FILES:
        inst = load_instance(EXAMPLES / f)
        covered |= {m.name for m in MECHANISMS.values() if m.market == inst.is_market and inst.n >= m.min_players}
    assert covered == set(MECHANISMS)


def test_deviate_rows_that_do_not_pay_do_not_pay_in_gambit(tmp_path):
    """What `cabench deviate` prints as not paying is not paying in Gambit's game either."""
    file = EXAMPLES / "seed004-example.json"
    inst = load_instance(file)
    result = run_cli("deviate", str(file), "-m", "best-belief", "--player", "p1", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["deviations"]
    facts = Facts(inst)
    m = MECHANISMS["best-belief"]
    exported = build_game(m, inst, m.parameters(inst), facts)
    agent = agent_of(inst, 0)
    rational = sum(profile_payoffs(exported, exported.profiles["rational"])[i] for i in agent)
    assert any(not r["pays"] for r in rows) and any(r["pays"] for r in rows)
    for r in rows:
        gambit = sum(profile_payoffs(exported, exported.profiles["{p1} " + r["family"]])[i] for i in agent)
        assert (gambit > rational) == r["pays"], r["family"]
        assert str(gambit - rational) == r["gain"]["exact"]


def test_game_command_writes_an_efg_file_gambit_reads(tmp_path):
    out = tmp_path / "bb.efg"
    result = run_cli("game", str(EXAMPLES / "seed004-example.json"), "-m", "best-belief", "-o", str(out))
    assert result.returncode == 0, result.stderr
    game = gbt.read_efg(str(out))
    assert [p.label for p in game.players] == ["1 p1", "2 p2", "3 p3"]
    assert "rational" in result.stdout and not re.search(r"│ NO +│", result.stdout)
    chance = list(game.players.chance.infosets)
    assert chance and all(sum(Fraction(str(a.prob)) for a in i.actions) == 1 for i in chance)
    # each chance action names its coin, as the paths do; the infosets go unlabelled (labelling
    # each, unique among the chance player's, made the build quadratic in the chance nodes)
    assert all(re.fullmatch(r"\S+=.+", a.label) for i in chance for a in i.actions)
    assert {a.label for i in chance for a in i.actions} >= {"r=Heads", "r=Tails"}
    assert all(not i.label for i in chance)


def test_player_names_gambit_would_refuse_are_made_labels(tmp_path):
    """Names that instance files allow but Gambit's labels do not (two spaces, a tab, a control
    character, a space at an end) ended ``game`` with pygambit's traceback, exit 1."""
    names = ["p  1", "q\t2", "r\x013", " s ", "t§4"]
    inst = {"goods": ["a"], "players": names, "valuations": {n: {"xor": [[["a"], 5 + k]]} for k, n in enumerate(names)}}
    path = tmp_path / "names.json"
    path.write_text(json.dumps(inst))
    out = tmp_path / "v.efg"
    result = run_cli("game", str(path), "-m", "vcg", "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert [p.label for p in gbt.read_efg(str(out)).players] == ["1 p 1", "2 q 2", "3 r?3", "4 s", "5 tsec. 4"]


@pytest.mark.parametrize("folder", ["", "new/deeper"])
def test_game_command_refuses_a_tree_over_the_limit(tmp_path, folder):
    """Refused: no file, and none of the folders made for it."""
    out = tmp_path / folder / "big.efg"
    result = run_cli("game", str(EXAMPLES / "seed004-example.json"), "-m", "surviving-strategies",
                     "-o", str(out), "--max-nodes", "50")
    assert result.returncode == 2 and "more than 50 nodes" in result.stderr
    assert not out.exists() and not (tmp_path / "new").exists()


def test_game_command_refuses_standard_output(tmp_path):
    """``-o -`` cannot be the .efg (the payoff table is printed): exit 2, no file named -."""
    result = run_cli("game", str(EXAMPLES / "seed004-example.json"), "-m", "best-belief", "-o", "-", cwd=tmp_path)
    assert result.returncode == 2 and "standard output ('-') is not available" in result.stderr
    assert result.stderr.count("\n") == 1 and not (tmp_path / "-").exists()


def test_explore_refuses_large_trees():
    inst = load_instance(EXAMPLES / "seed004-example.json")
    m = MECHANISMS["best-belief"]
    with pytest.raises(GameTooLarge):
        build_game(m, inst, m.parameters(inst), Facts(inst), max_nodes=10)


@pytest.mark.parametrize("name", ["vcg", "best-belief", "surviving-strategies", "perfect-revenue"])
def test_a_tree_over_the_limit_is_refused_from_its_first_levels(name):
    """Breadth first, a wide tree is refused before any play is played out (a leaf's outcome may
    need the mechanism's programs); a strategy is asked once per decision, and a deviation's
    strategy only for the deviating agent's players. Depth first, asking every profile at every
    node of every replay, `cabench game` on a 200-player file had not refused after 10 minutes."""
    from dataclasses import replace

    inst = random_instance(0, goods=3, players=12, market=False, coalitions=False)
    m = MECHANISMS[name]
    calls, plays = [], [0]

    def counted(profile, tag):
        def wrap(i, strategy):
            def asked(d):
                calls.append((tag, i, d.kind, repr(sorted(d.info.items()))))
                return strategy(d)
            return asked
        return [wrap(i, s) for i, s in enumerate(profile)]

    def rules(play, instance, params):
        terminal = m.rules(play, instance, params)  # (a replay that opens a node never gets here)
        plays[0] += 1
        return terminal

    def deviations(instance, params, facts, agent):
        return {k: replace(d, profile=counted(d.profile, (agent, k)))
                for k, d in m.deviations(instance, params, facts, agent).items()}

    counting = replace(m, rules=rules, rational=lambda *a: counted(m.rational(*a), None), deviations=deviations)
    with pytest.raises(GameTooLarge, match="more than 100 nodes"):
        build_game(counting, inst, m.parameters(inst), Facts(inst), max_nodes=100)
    assert plays == [0] and calls
    assert len(calls) == len(set(calls))
    assert all(tag is None or i in tag[0] for tag, i, _, _ in calls)


def test_game_command_without_pygambit_says_how_to_install(tmp_path, monkeypatch, capsys):
    """Without pygambit, `cabench game` exits 2 with the install command, and writes nothing."""
    import sys

    from cabench.cli import main

    monkeypatch.setitem(sys.modules, "pygambit", None)  # makes `import pygambit` fail
    out = tmp_path / "g.efg"
    code = main(["game", str(EXAMPLES / "vcg-collusion.json"), "-m", "vcg", "-o", str(out), "--solver", "cpsat"])
    assert code == 2 and "pip install 'cabench[gambit]'" in capsys.readouterr().err
    assert not out.exists()


def test_exploring_a_game_reports_its_progress():
    """``game`` shows a bar while it explores (a tree of thousands of nodes whose leaves solve
    the mechanism's programs took minutes without a word): ``progress(done, known)`` is called
    after each node's replay, never decreasing, and ends at the tree's size."""
    inst = load_instance(EXAMPLES / "seed004-example.json")
    m = MECHANISMS["best-belief"]
    calls = []
    exported = build_game(m, inst, m.parameters(inst), Facts(inst), progress=lambda done, known: calls.append((done, known)))
    assert calls[-1] == (exported.nodes, exported.nodes)
    assert all(a[0] < b[0] and a[1] <= b[1] and a[0] <= a[1] for a, b in zip(calls, calls[1:]))


def test_an_interrupted_cross_check_says_the_file_is_not_checked(tmp_path, monkeypatch, capsys):
    """Ctrl-C while ``game`` compares Gambit's payoffs with cabench's: the .efg is written, and
    the line says its cross-check did not finish (it said only "finished work is kept")."""
    import mechanisms.game
    from cabench.cli import main
    from ilp.lifetime import Interrupted

    def interrupted(*args, **kwargs):
        raise Interrupted(2)  # (what SIGINT raises in the main thread)

    monkeypatch.setattr(mechanisms.game, "profile_payoffs", interrupted)
    out = tmp_path / "g.efg"
    code = main(["game", str(EXAMPLES / "seed004-example.json"), "-m", "vcg", "-o", str(out)])
    err = capsys.readouterr().err
    assert code == 130 and out.exists()
    assert err == f"cabench game: interrupted; {out} is written, but its cross-check with Gambit did not finish\n"
