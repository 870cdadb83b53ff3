"""``cabench evaluate``, ``outcome`` and ``deviate`` as a user runs them."""

from __future__ import annotations

import csv
import io
import json

import pytest

from tests.conftest import EXAMPLES, run_cli

SEED004 = str(EXAMPLES / "seed004-example.json")
MARKET = str(EXAMPLES / "seed003-market.json")


def test_evaluate_json_for_one_mechanism():
    result = run_cli("evaluate", SEED004, "--mechanism", "best-belief", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mechanism"] == "best-belief"
    expected = data["expected"]
    assert expected["total"] == pytest.approx(expected["SW"] + expected["REV"])
    assert expected["REV"] >= 75 - 0.1
    assert set(data["utilities"]) == {"p1", "p2", "p3"}
    g = data["guarantee"]
    assert (g["benchmark"], g["benchmark_value"], g["holds"]) == ("BB", 150, True)
    assert g["bound"] == pytest.approx(74.9)
    assert data["branches"] == {"r=Heads": 0.5, "r=Tails": 0.5}
    from fractions import Fraction

    for outcome in data["outcomes"]:  # every price and revenue exactly too (only floats before)
        exact = outcome["exact"]
        assert {p: float(Fraction(x)) for p, x in exact["prices"].items()} == outcome["prices"]
        assert sum(map(Fraction, exact["prices"].values()), Fraction(0)) == Fraction(exact["REV"])


def test_evaluate_all_side_by_side():
    result = run_cli("evaluate", SEED004, "--mechanism", "all")
    assert result.returncode == 0, result.stderr
    for name in ("surviving-strategies", "collusion-leveraging", "best-belief", "vcg", "PASS"):
        assert name in result.stdout


def test_evaluate_summarises_many_agents_and_branches(tmp_path):
    """Above 20 agents (or branches) the table gives counts by sign, the sum and the lowest E[u],
    the top 10 agents by E[u] and the 10 most probable branches with one row for the rest;
    --players all lists every one. The random star is named by its player (it read "star=0")."""
    from fractions import Fraction

    path = tmp_path / "crowd.json"
    assert run_cli("generate", "-d", "uniform", "-m", "8", "-b", "24", "-n", "24", "-o", str(path)).returncode == 0
    args = ("evaluate", str(path), "-m", "collusion-leveraging", "--solver", "cpsat", "--jobs", "1")
    data = json.loads(run_cli(*args, "--json").stdout)
    utilities, branches = data["utilities"], data["branches"]
    assert len(utilities) == 24 and len(branches) == 2 * 24 + 2
    assert "c1=Heads, random star=p1, c2=Heads" in branches
    summary = run_cli(*args)
    assert summary.returncode == 0, summary.stderr
    out = summary.stdout
    counts = dict(line.strip("│ ").split("│")[0:2] for line in out.split("Agents (summary")[1].split("└")[0].splitlines()
                  if line.startswith("│"))
    counts = {k.strip(): v.strip() for k, v in counts.items()}
    assert counts["agents"] == "24"
    assert int(counts["with E[u] > 0"]) == sum(u > 0 for u in utilities.values())
    assert float(counts["sum of E[u]"]) == pytest.approx(sum(utilities.values()))
    name, value = counts["lowest E[u]"].split(": ")
    assert name.strip("{}") == min(utilities, key=utilities.get)  # (the first lowest in file order)
    assert float(value) == pytest.approx(min(utilities.values()), abs=1e-6)
    top = out.split("Top 10 agents by E[u]")[1].split("└")[0]
    listed = [line.split("│")[1].strip().strip("{}") for line in top.splitlines() if line.startswith("│ {")]
    best = sorted(utilities, key=lambda name: -utilities[name])[:10]
    assert listed == best
    shown = out.split("10 most probable of 50 branches")[1].split("└")[0]
    rows = [line.split("│")[1:3] for line in shown.splitlines() if line.startswith("│")]
    assert len(rows) == 11 and rows[-1][0].strip() == "(40 more branches)"
    assert sum(Fraction(p.strip()) for _, p in rows) == 1
    assert [p.strip() for _, p in rows[:2]] == ["99/200", "99/200"]  # the most probable first
    everyone = run_cli(*args, "--players", "all").stdout
    assert all(f"│ {{{name}}} " in everyone for name in utilities)
    assert all(f"│ {path_} " in everyone for path_ in branches) and "more branches" not in everyone


def test_evaluate_players_csv_has_every_mechanism_and_agent(tmp_path):
    """--players-csv writes one line per mechanism and agent (a coalition as one agent) with the
    E[u] of the JSON, exact too; - prints it instead of the table (refused beside --json); a
    deviation names what was played; a bad file makes no folder for the CSV (exit 2)."""
    from fractions import Fraction

    path = tmp_path / "pairs.json"
    made = run_cli("generate", "-d", "paths", "-m", "6", "-b", "12", "-n", "5", "--knowledge", "candidates:2",
                   "--coalitions", "pairs:1", "-o", str(path))
    assert made.returncode == 0, made.stderr
    args = ("evaluate", str(path), "-m", "all", "--solver", "cpsat", "--jobs", "1")
    data = json.loads(run_cli(*args, "--json").stdout)
    out = tmp_path / "new" / "agents.csv"
    result = run_cli(*args, "--players-csv", str(out))
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    expected = [(m["mechanism"], a["members"], a["utility"]) for m in data["mechanisms"] for a in m["agent_utilities"]]
    assert [(r["mechanism"], json.loads(r["members"]), float(r["E[u]"])) for r in rows] == expected
    assert any(len(members) == 2 for _, members, _ in expected)  # the coalition is one agent
    for r in rows:
        assert float(Fraction(r["E[u]_exact"])) == float(r["E[u]"]) and r["strategies"] == "rational"
        assert r["agent"] == ",".join(json.loads(r["members"])) and int(r["size"]) == len(json.loads(r["members"]))
    dashed = run_cli(*args, "--players-csv", "-", cwd=tmp_path)
    assert dashed.returncode == 0 and dashed.stdout == out.read_text() and not (tmp_path / "-").exists()
    refused = run_cli(*args, "--json", "--players-csv", "-")
    assert refused.returncode == 2 and refused.stdout == "" and "standard output" in refused.stderr
    deviation = run_cli("evaluate", SEED004, "-m", "vcg", "--strategies", "understate", "--player", "p1",
                        "--players-csv", "-")
    assert deviation.returncode == 0, deviation.stderr
    assert {r["strategies"] for r in csv.DictReader(io.StringIO(deviation.stdout))} == {"understate (report zero) by {p1}"}
    negative = run_cli("evaluate", SEED004, "-m", "perfect-revenue", "--strategies", "player 1 overprices (K x2)",
                       "--player", "p1", "--players-csv", "-")  # (a negative exact E[u] read as a formula: '-48...)
    assert negative.returncode == 0, negative.stderr
    losses = [r for r in csv.DictReader(io.StringIO(negative.stdout)) if float(r["E[u]"]) < 0]
    assert losses and all(float(Fraction(r["E[u]_exact"])) == float(r["E[u]"]) for r in losses)
    bad = run_cli("evaluate", str(tmp_path / "missing.json"), "-m", "vcg", "--players-csv", str(tmp_path / "x" / "a.csv"))
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and not (tmp_path / "x").exists()


def test_too_many_samples_are_refused():
    """A typed 10^12 samples ran until killed, its memory growing."""
    import cabench

    result = run_cli("evaluate", SEED004, "-m", "vcg", "--samples", "1000000000000")
    assert result.returncode == 2 and "is not in the range 2<=x<=1000000" in result.stderr
    with pytest.raises(cabench.ArgumentError, match="samples 1000001: expected at most 1000000"):
        cabench.evaluate(cabench.load(SEED004), "vcg", samples=1_000_001)


def test_evaluate_with_samples_and_params():
    result = run_cli("evaluate", SEED004, "-m", "best-belief", "--param", "eps=1/2", "--samples", "50", "--json")
    data = json.loads(result.stdout)
    assert data["params"] == {"eps": "1/2"}
    assert data["monte_carlo"]["samples"] == 50 and len(data["monte_carlo"]["REV"]["ci95"]) == 2


def test_monte_carlo_in_the_files_money_in_every_format(tmp_path):
    """The sampled means were printed in integer units beside exact expectations in the file's
    money (a scale of 100: 200.00 next to 20000.0000), and every format but the table left them
    out; the JSON keeps integer units, as its expectations do."""
    import csv
    import io

    scaled = tmp_path / "scaled.json"
    scaled.write_text(json.dumps({**json.loads((EXAMPLES / "seed004-example.json").read_text()), "scale": 100}))
    args = ["evaluate", str(scaled), "-m", "vcg", "--samples", "20"]
    table = run_cli(*args)
    assert table.returncode == 0, table.stderr
    line = next(x for x in table.stdout.splitlines() if x.startswith("Monte Carlo"))
    exact = run_cli(*args[:4], "--json")
    sw = json.loads(exact.stdout)["expected"]["SW"]  # (deterministic play: every sample is the expectation)
    assert f"SW {sw / 100:.6f} CI95 [{sw / 100:.6f}, {sw / 100:.6f}]" in line, line
    (row,) = csv.DictReader(io.StringIO(run_cli(*args, "--format", "csv").stdout))
    # with the exact expectations' places (6 past the scale's 2 digits: the samples had 4)
    assert row["MC SW"] == row["E[SW]"] == f"{sw / 100:.8f}"
    # each interval as its two ends, numbers (the cell was the text "[low, high]")
    assert row["MC SW CI95 low"] == row["MC SW CI95 high"] == f"{sw / 100:.8f}" and "MC SW CI95" not in row
    assert float(row["MC REV CI95 low"]) <= float(row["MC REV"]) <= float(row["MC REV CI95 high"])
    assert json.loads(run_cli(*args, "--json").stdout)["monte_carlo"]["SW"]["mean"] == sw


def test_evaluate_a_deviation():
    result = run_cli("evaluate", str(EXAMPLES / "vcg-collusion.json"), "-m", "vcg",
                     "--strategies", "Ausubel-Milgrom shill bids", "--player", "p2", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["expected"]["SW"] == 0 and data["expected"]["REV"] == 0
    # what was played is said in every output (it looked like rational play with no theorem)
    assert data["strategies"] == "Ausubel-Milgrom shill bids" and data["deviators"] == ["p2", "p3"]
    rational = json.loads(run_cli("evaluate", str(EXAMPLES / "vcg-collusion.json"), "-m", "vcg", "--json").stdout)
    assert rational["strategies"] == "rational" and "deviators" not in rational
    args = ["evaluate", str(EXAMPLES / "seed004-example.json"), "-m", "best-belief", "--player", "p1",
            "--strategies", "overbid"]  # a family by the start of its label
    table = run_cli(*args)
    assert table.returncode == 0, table.stderr
    assert 'best-belief: strategies "overbid (prices x2)" played by {p1}, everyone else rational; no theorem is ' \
           "checked off rational play" in table.stdout and "no guarantee" not in table.stdout
    row = next(csv.DictReader(io.StringIO(run_cli(*args, "--format", "csv").stdout)))
    assert row["verdict"] == "not checked: not rational play" and row["strategies"] == "overbid (prices x2) by {p1}"
    import cabench

    frame = cabench.evaluate(str(EXAMPLES / "seed004-example.json"), "best-belief", strategies="overbid",
                             player="p1").to_frame()
    assert (frame["verdict"][0], frame["strategies"][0]) == (row["verdict"], row["strategies"])
    ambiguous = run_cli(*args[:-1], "a")
    assert ambiguous.returncode == 2 and '"a" starts several families of best-belief: announce nothing' in (
        ambiguous.stderr)
    assert 'strategies "overbid (prices x2)" played by {p1}' in run_cli(*args, "--format", "markdown").stdout
    unknown = run_cli(*args[:-1], "nonesuch")
    assert unknown.returncode == 2 and 'unknown family "nonesuch" for best-belief' in unknown.stderr
    # a label in any case (the deviate table's "always YES" typed as "always yes" was unknown)
    exact, folded = (json.loads(run_cli(*args[:-1], label, "--json").stdout) for label in ("always YES", "always yes"))
    assert exact == folded and exact["strategies"] == "always YES"


def test_outcome_json_and_text():
    result = run_cli("outcome", SEED004, "-m", "best-belief", "--player", "p3", "--json")
    data = json.loads(result.stdout)
    assert data["announcements"]["announce"]["outcome"] == {
        "allocation": {"p1": ["1"], "p2": ["2"]}, "prices": {"p1": 80, "p2": 70}, "revenue": 150}
    assert data["announcements"]["announce"]["bundle"] == ["1", "2"]
    text = run_cli("outcome", SEED004, "-m", "best-belief", "--player", "p3").stdout
    assert "p1 <- {1} at 80; p2 <- {2} at 70 (revenue 150)" in text


def test_outcome_names_every_price_and_perfect_revenues_state(tmp_path):
    """A market's seller receives nothing at a negative price: the text left its price out, so
    the prices did not add up to the revenue printed; perfect-revenue's state and prices were
    bit masks and a list by player order ([1, 2, 0], [100, 100, 0])."""
    market = run_cli("outcome", str(EXAMPLES / "seed003-market.json"), "-m", "budget-balanced", "--player", "p1")
    assert market.returncode == 0, market.stderr
    line = next(x for x in market.stdout.splitlines() if "revenue" in x)
    data = json.loads(run_cli("outcome", str(EXAMPLES / "seed003-market.json"), "-m", "budget-balanced",
                              "--player", "p1", "--json").stdout)
    prices = next(v for v in data["announcements"].values() if isinstance(v, dict) and "outcome" in v)["outcome"]
    for player, price in prices["prices"].items():
        if price:
            assert f"{player} <- " in line and f" at {price}" in line, line
    assert sum(prices["prices"].values()) == prices["revenue"]
    revenue = run_cli("outcome", SEED004, "-m", "perfect-revenue", "--player", "p1")
    assert revenue.returncode == 0, revenue.stderr
    assert 'state: {"p1": ["1"], "p2": ["2"]}' in revenue.stdout
    assert "prices: p1 100, p2 100, p3 0" in revenue.stdout


def test_outcome_text_shows_money_in_the_files_units(tmp_path):
    """On a file with a scale, every amount of an announcement prints in the file's money: a
    bid's value, a reported valuation, perfect-revenue's prices (they printed in integer units,
    beside offers in the file's money); a player that only answers says so (it printed nothing)."""
    path = tmp_path / "scaled.json"
    path.write_text(json.dumps({
        "name": "scaled", "scale": 1000, "goods": ["a", "b"], "players": ["p1", "p2", "p3"],
        "valuations": {"p1": {"xor": [[["a"], 1999]]}, "p2": {"xor": [[["b"], 777]]}, "p3": {"xor": [[["a", "b"], 333]]}},
        "knowledge": {p: {"exact": True} for p in ("p1", "p2", "p3")}}))
    texts = {m: run_cli("outcome", str(path), "-m", m, "--player", "p1") for m in
             ("second-price-bundle", "vcg", "perfect-revenue", "best-belief")}
    assert all(r.returncode == 0 for r in texts.values()), {m: r.stderr for m, r in texts.items()}
    assert "value: 1.999" in texts["second-price-bundle"].stdout
    assert "xor: {a} at 1.999" in texts["vcg"].stdout
    assert "prices: p1 1.999, p2 0.777, p3 0.000" in texts["perfect-revenue"].stdout
    assert "p2 <- {b} at 0.777 (revenue 0.777)" in texts["best-belief"].stdout
    import re

    assert not any(re.search(r"(?<![.\d])(1999|777)(?!\d)", r.stdout) for r in texts.values())  # no integer units
    answers = run_cli("outcome", str(EXAMPLES / "seed003-market.json"), "-m", "budget-balanced", "--player", "p2")
    assert answers.returncode == 0 and "nothing: in budget-balanced it only answers the offers" in answers.stdout
    table = tmp_path / "table.json"  # a table's report bundle by bundle (it was the bare list of values)
    table.write_text(json.dumps({"name": "t", "goods": ["a", "b"], "players": ["p1", "p2"], "scale": 10,
                                 "valuations": {"p1": {"table": [0, 3, 5, 9]}, "p2": {"xor": [[["a"], 4]]}}}))
    report = run_cli("outcome", str(table), "-m", "vcg", "--player", "p1")
    assert report.returncode == 0 and "table: {a} at 0.3; {b} at 0.5; {a, b} at 0.9" in report.stdout, report.stderr


def test_all_says_which_mechanisms_need_more_players(tmp_path):
    """On one player, ``--mechanism all`` dropped perfect-revenue (it needs two) without a word
    (and with ``--players-csv -``, after the table had its note)."""
    from dataclasses import replace

    from instances import dump_instance, load_instance

    inst = load_instance(SEED004)
    single = replace(inst, players=inst.players[:1], valuations=inst.valuations[:1], knowledge=(None,))
    file = tmp_path / "single.json"
    dump_instance(single, file)
    text = run_cli("evaluate", str(file), "-m", "all")
    assert text.returncode == 0, text.stderr
    assert "perfect-revenue: not evaluated: it needs at least 2 players; the instance has 1" in text.stdout
    data = json.loads(run_cli("evaluate", str(file), "-m", "all", "--json").stdout)
    assert data["not_applicable"] == [{"mechanism": "perfect-revenue",
                                       "reason": "needs at least 2 players; the instance has 1"}]
    assert "perfect-revenue" not in {m["mechanism"] for m in data["mechanisms"]}
    assert "not_applicable" not in json.loads(run_cli("evaluate", SEED004, "-m", "all", "--json").stdout)
    # with the CSV on standard output in place of the table, the note goes to standard error
    dashed = run_cli("evaluate", str(file), "-m", "all", "--players-csv", "-")
    assert dashed.returncode == 0 and dashed.stdout.startswith("mechanism,agent,"), dashed.stderr
    assert dashed.stderr == ("cabench evaluate: note: perfect-revenue: not evaluated: it needs at least 2 players; "
                             "the instance has 1\n")
    # the benchmark report's title counts one player as one ("1 players")
    title = run_cli("benchmarks", str(file)).stdout.splitlines()[0]
    assert ": auction, 2 goods, 1 player, all independent;" in title, title


def test_deviate_json():
    result = run_cli("deviate", SEED004, "-m", "best-belief", "--player", "p2", "--json")
    data = json.loads(result.stdout)
    families = {row["family"]: row for row in data["deviations"]}
    assert families["always NO"]["gain"]["value"] < 0
    assert families["underbid (prices x1/2)"]["dominated_in_paper"] is True
    text = run_cli("deviate", SEED004, "-m", "collusion-leveraging", "--player", "p1").stdout
    assert "inconsistent coalition declaration" in text


def test_deviate_table_shows_a_tiny_gain(tmp_path):
    """A gain of about 2 * 10^-6 (collusion-leveraging's overbid on this generated instance, which
    raises the coalition's reward) is printed with its first digits, not as "+0.0000" next to
    "YES"; the JSON has it exactly."""
    path = tmp_path / "g.json"
    made = run_cli("generate", "-d", "arbitrary", "-m", "3", "-b", "6", "-n", "4", "--seed", "1",
                   "--knowledge", "noisy-lower:0.6", "--coalitions", "pairs:1", "-o", str(path))
    assert made.returncode == 0, made.stderr
    data = json.loads(run_cli("deviate", str(path), "-m", "collusion-leveraging", "--player", "p2", "--json").stdout)
    gain = {row["family"]: row for row in data["deviations"]}["overbid (prices x2)"]["gain"]["exact"]
    from fractions import Fraction

    assert 0 < Fraction(gain) < Fraction(1, 10**5)
    text = run_cli("deviate", str(path), "-m", "collusion-leveraging", "--player", "p2").stdout
    row = next(line for line in text.splitlines() if "overbid" in line)
    assert "+0.0000 " not in row and "YES" in row, row


@pytest.mark.parametrize(
    "args, expected",
    [
        pytest.param(["evaluate", SEED004, "-m", "best-belief", "--param", "eps=2"],
                     "cabench evaluate: Invalid value for '--param': best-belief: eps = 2: seed 004 requires eps in (0, 1]",
                     id="bad-eps"),
        # (a parameter out of its paper's range started with the mechanism's name, as no flag error does)
        pytest.param(["deviate", SEED004, "-m", "best-belief", "--player", "p1", "--param", "eps=3"],
                     "cabench deviate: Invalid value for '--param': best-belief: eps = 3", id="bad-eps-deviate"),
        pytest.param(["game", SEED004, "-m", "best-belief", "--param", "eps=3", "-o", "never.efg"],
                     "cabench game: Invalid value for '--param': best-belief: eps = 3", id="bad-eps-game"),
        pytest.param(["evaluate", SEED004, "-m", "best-belief", "--param", "eps"], "is not KEY=VALUE", id="malformed-param"),
        pytest.param(["evaluate", SEED004, "-m", "nope"], "Invalid value for '--mechanism'", id="unknown-mechanism"),
        pytest.param(["outcome", SEED004, "-m", "vcg", "--player", "zz"], 'unknown player "zz"', id="unknown-player"),
        pytest.param(["evaluate", str(EXAMPLES / "seed003-market.json"), "-m", "vcg"], "is for auctions", id="auction-on-market"),
        # (game said it without the command's name and flag, which the three others say)
        pytest.param(["game", SEED004, "-m", "budget-balanced", "-o", "never.efg"],
                     "cabench game: Invalid value for '--mechanism': ", id="market-mechanism-game"),
        pytest.param(["evaluate", SEED004, "-m", "vcg", "--strategies", "nope", "--player", "p1"], 'unknown family "nope"', id="unknown-family"),
        # each of these ran before: the last --param won, --player was ignored, k = 10^5 ended in a traceback
        pytest.param(["evaluate", SEED004, "-m", "best-belief", "--param", "eps=1/2", "--param", "eps=1/3"],
                     "Invalid value for '--param': \"eps\" is given twice", id="param-twice"),
        # ("a deviation family needs --player" said nothing of the capitals that made it one)
        pytest.param(["evaluate", SEED004, "-m", "vcg", "--strategies", "RATIONAL"],
                     'strategies "RATIONAL" names a deviation family, not "rational"', id="family-without-player"),
        pytest.param(["evaluate", SEED004, "-m", "vcg", "--player", "p1"],
                     "'--player': a player is the agent of a deviation family; rational play has none",
                     id="player-rational"),
        pytest.param(["evaluate", MARKET, "-m", "budget-balanced", "--param", "k=100000"],
                     "k = 100000: k is a whole number of bits from 1 to 480", id="k-too-large"),
        pytest.param(["outcome", MARKET, "-m", "naive-1", "--player", "p1", "--param", "k=10000000000"],
                     "k = 10000000000: k is a whole number of bits from 1 to 480", id="k-far-too-large"),
    ],
)
def test_bad_mechanism_input(args, expected):
    result = run_cli(*args)
    assert result.returncode == 2, result.stderr
    assert result.stdout == "" and result.stderr.count("\n") == 1 and expected in result.stderr, result.stderr


def test_a_parameter_of_thousands_of_digits_is_refused():
    # eps=1e-5000 ended in a traceback (exact probabilities of thousands of digits); now exit 2
    from tests.conftest import EXAMPLES

    for eps in ("1e-5000", "1e-99999999", "0." + "0" * 60 + "1"):  # (the second took minutes to read)
        result = run_cli("evaluate", str(EXAMPLES / "seed004-example.json"), "-m", "best-belief", "--param", f"eps={eps}")
        assert result.returncode == 2 and "at most 10^12" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


def test_all_mechanisms_with_samples_print_each_estimate():
    """``--mechanism all --samples N``: one Monte Carlo line per mechanism under the table (the
    table printed none, though JSON and the other formats had the estimates)."""
    result = run_cli("evaluate", SEED004, "-m", "all", "--samples", "20", "--seed", "3")
    assert result.returncode == 0, result.stderr
    lines = [x for x in result.stdout.splitlines() if "Monte Carlo (20 plays, seed 3)" in x]
    data = json.loads(run_cli("evaluate", SEED004, "-m", "all", "--samples", "20", "--seed", "3", "--json").stdout)
    assert [x.split(":")[0].strip() for x in lines] == [m["mechanism"] for m in data["mechanisms"]]


def test_expectations_near_the_value_cap_print_their_own_digits(tmp_path):
    """Exact expectations are rounded exactly, not through a float: at 10^12 in integer units a
    float printed digits that are not the value's (999.999999999000011 for 999.999999999;
    1333333333333.333252 for 4 x 10^12 / 3), and so did the Monte Carlo means."""
    from fractions import Fraction

    path = tmp_path / "big.json"
    path.write_text(json.dumps({
        "name": "big", "scale": 10**9, "goods": ["a", "b"], "players": ["p1", "p2", "p3"],
        "valuations": {"p1": {"xor": [[["a"], 999999999999]]}, "p2": {"xor": [[["b"], 777777777777]]},
                       "p3": {"xor": [[["a", "b"], 333333333333]]}},
        "knowledge": {p: {"exact": True} for p in ("p1", "p2", "p3")}}))
    args = ("evaluate", str(path), "-m", "all", "--solver", "cpsat")
    data = json.loads(run_cli(*args, "--json").stdout)
    rows = list(csv.DictReader(io.StringIO(run_cli(*args, "--format", "csv").stdout)))
    for row, m in zip(rows, data["mechanisms"]):
        exact = Fraction(m["expected"]["exact"]["SW"]) / 10**9
        assert Fraction(row["E[SW]"]) == round(exact * 10**15) / Fraction(10**15), (row["mechanism"], row["E[SW]"])
    sampled = run_cli("evaluate", str(path), "-m", "second-price-bundle", "--samples", "5")
    assert "SW 999.9999999990000 CI95 [999.9999999990000, 999.9999999990000]" in sampled.stdout


def test_a_mechanism_for_more_players_names_the_file_first(tmp_path):
    """``game`` (and the other commands with one mechanism) on one player: the line starts with
    the file, as every error about a file does (the name came last, in parentheses)."""
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"name": "one", "goods": ["a"], "players": ["p1"],
                                "valuations": {"p1": {"xor": [[["a"], 5]]}}}))
    for args in (["game", str(path), "-m", "perfect-revenue", "-o", str(tmp_path / "x.efg")],
                 ["deviate", str(path), "-m", "perfect-revenue", "--player", "p1"]):
        result = run_cli(*args)
        assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
        assert result.stderr == f"{path}: perfect-revenue needs at least 2 players; the instance has 1\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.json"]


def test_a_large_table_report_lists_its_first_bundles():
    """``outcome``'s text of a table valuation stops after TABLE_BUNDLES bundles (a table over 20
    goods has a million) and says how many it left to the JSON."""
    from cabench.mechanism_commands import TABLE_BUNDLES, _valuation_text

    goods = [f"g{k}" for k in range(6)]
    text = _valuation_text({"table": list(range(64))}, str, goods)
    assert text.count(" at ") == TABLE_BUNDLES == 32
    assert text.startswith("table: {g0} at 1; {g1} at 2; {g0, g1} at 3")
    assert text.endswith("; ... and 31 more bundles (--json lists every one)")


def test_the_cap_on_jobs_counts_the_machine_not_cabench_cores(monkeypatch):
    """``--jobs`` and ``--workers`` are capped at 4 per core of what the process may run on;
    CABENCH_CORES (the cores counted for racing) neither lowers nor lifts that cap."""
    from cabench.api import ArgumentError, check_jobs
    from ilp.portfolio import usable_cores

    cap = 4 * usable_cores()
    for setting in ("1", "1000"):
        monkeypatch.setenv("CABENCH_CORES", setting)
        assert check_jobs(cap) == cap
        with pytest.raises(ArgumentError):
            check_jobs(cap + 1)


def test_monte_carlo_says_when_every_play_was_alike():
    """At 200 plays of the market example no play reaches the branch of probability 1/5120: the
    normal interval had no width and excluded the exact E[SW] without a word."""
    result = run_cli("evaluate", MARKET, "-m", "budget-balanced", "--samples", "200", "--seed", "0")
    assert result.returncode == 0, result.stderr
    assert "every play gave the same SW, and the exact expectation differs: its interval has no width" in (
        result.stdout)
    markdown = run_cli("evaluate", MARKET, "-m", "budget-balanced", "--samples", "200", "--seed", "0",
                       "--format", "markdown").stdout
    assert "Monte Carlo of no width missing the exact expectation" in markdown
    data = json.loads(run_cli("evaluate", MARKET, "-m", "budget-balanced", "--samples", "200", "--seed", "0",
                              "--json").stdout)
    assert data["monte_carlo"]["SW"]["all_equal"] is True and data["monte_carlo"]["SW"]["missed"] is True
    assert data["monte_carlo"]["REV"]["all_equal"] is True and data["monte_carlo"]["REV"]["missed"] is False
    vcg = run_cli("evaluate", SEED004, "-m", "vcg", "--samples", "20")  # (one outcome: nothing missed)
    assert "every play" not in vcg.stdout
    varied = json.loads(run_cli("evaluate", SEED004, "-m", "best-belief", "--samples", "200", "--json").stdout)
    assert varied["monte_carlo"]["SW"]["all_equal"] is False
