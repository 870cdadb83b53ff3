"""The mechanism commands of ``cabench``: evaluate, outcome, deviate and game. ``cabench.cli``
gathers them into its group."""

from __future__ import annotations

import json
from collections.abc import Sequence
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cabench import api
from cabench.cli_common import (
    PARAM_HELP,
    SEED,
    GivenPath,
    check_backend,
    coalition_knowledge_option,
    csv_folders_removed_on_error,
    csv_outputs,
    flag_errors,
    format_option,
    jobs_option,
    json_asked,
    json_option,
    load_with_reading,
    new_folders_removed_on_error,
    no_dash,
    outputs_written_last,
    param_flags,
    say_stopped,
    seed_unused,
    solver_option,
    time_limit_option,
)
from cabench.exit_codes import GUARANTEE_FAILS, INTERNAL_ERROR, NOT_PROVEN
from cabench.render import PipeConsole, plain
from ilp.contract import SolveOptions
from instances.bundles import names
from instances.errors import CabenchError
from instances.units import show, show_fraction
from mechanisms.names import MECHANISM_NAMES

if TYPE_CHECKING:
    from rich.console import Console

    from instances.model import Instance
    from mechanisms.base import Facts

__all__ = ["TABLE_BUNDLES", "deviate_command", "evaluate_command", "game_command", "outcome_command"]

# As in every command module, each command imports the library it runs (the mechanisms, the tables).


def _console(columns: int = 100) -> Console:
    """At least 100 columns (``deviate``: 120): the mechanism tables do not fit in 80."""
    return PipeConsole(width=max(PipeConsole().width, columns))


def _mechanism_choice(all_allowed: bool):
    names = list(MECHANISM_NAMES) + (["all"] if all_allowed else [])
    return click.option("--mechanism", "-m", required=True, type=click.Choice(names), help="Which mechanism.")


def _player_command(name: str, player_help: str):
    """The arguments and options shared by ``outcome`` and ``deviate``."""
    def decorate(function):
        for option in reversed([click.command(name), click.argument("file", type=GivenPath(dir_okay=False, path_type=str)),
                                _mechanism_choice(all_allowed=False),
                                click.option("--player", required=True, help=player_help),
                                click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE",
                                             help=PARAM_HELP),
                                json_option, solver_option, time_limit_option, jobs_option, coalition_knowledge_option]):
            function = option(function)
        return function
    return decorate


def _setup(file: str, solver: str, time_limit: float | None, jobs: int | None,
           coalition_knowledge: str) -> tuple[Instance, Facts]:
    from mechanisms.base import Facts

    check_backend(solver)
    instance = load_with_reading(file, coalition_knowledge, solver=solver)
    return instance, Facts(instance, SolveOptions(solver, time_limit, jobs))


@click.command("evaluate")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=True)
@click.option("--strategies", default="rational", show_default=True, metavar="rational|FAMILY",
              help="rational play, or a deviation family (see `cabench deviate`) played by --player's agent.")
@click.option("--player", default=None, help="The deviating player, with --strategies FAMILY.")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE", help=PARAM_HELP)
@click.option("--samples", type=click.IntRange(min=2, max=api.MAX_SAMPLES), default=None,
              help=f"Also sample N plays (Monte Carlo; at most {api.MAX_SAMPLES:,}).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the Monte Carlo sampling.")
@json_option
@format_option
@solver_option
@time_limit_option
@jobs_option
@coalition_knowledge_option
@click.option("--players", "players", type=click.Choice(["auto", "summary", "all"]), default="auto",
              show_default=True, help="With one mechanism, the tables of chance branches and agents' E[u]: "
                                      "every one, or a summary with counts, the top 10 agents by E[u] and the 10 most "
                                      "probable branches (auto: every one up to 20 of them). JSON lists every one.")
@click.option("--players-csv", type=GivenPath(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also write one CSV line per mechanism and agent (player or coalition): its exact E[u], as "
                   "the JSON's; - prints it on standard output instead of the table.")
def evaluate_command(file, mechanism, strategies, player, param_values, samples, seed, as_json, fmt, solver,
                     time_limit, jobs, coalition_knowledge, players, players_csv):
    """Exact expected welfare, revenue and utilities of a mechanism on FILE, the benchmark its
    theorem refers to, the bound and whether it holds (PASS/FAIL)."""
    from cabench.present import branch_table, evaluation_table, guarantee_lines, utility_tables
    from cabench.progress import counting, wanted
    from cabench.render import displayed
    from instances.files import check_output

    check_backend(solver)
    if samples is None:
        seed_unused("the seed drives the Monte Carlo sampling, and the exact evaluation samples nothing "
                    "(add --samples N)")
    csv_to_stdout = csv_outputs(as_json, {"--players-csv": players_csv})
    as_json = json_asked(as_json, fmt)
    with csv_folders_removed_on_error(players_csv):
        with flag_errors(), counting("plays" if samples else "mechanisms",
                                     (mechanism == "all" or bool(samples)) and wanted(as_json)) as update:
            instance = load_with_reading(file, coalition_knowledge, solver=solver)
            if players_csv is not None and not csv_to_stdout:  # (bad input creates no folder), before solving
                check_output(players_csv, [file])
            result = api.evaluate(instance, mechanism, param_flags(param_values),
                                  strategies, player, samples, seed, solver, time_limit, progress=update, jobs=jobs)
        instance, rows, failed, unproven = result.instance, result.rows, result.failed, list(result.not_proven)
        with outputs_written_last() as put:  # (the CSV takes its place once the table is printed)
            if players_csv is not None:
                put(result.agents_csv(), None if csv_to_stdout else players_csv)
            if csv_to_stdout:  # the CSV printed above is the whole of standard output (csv_outputs): the
                # table's notes that explain the exit status or a missing mechanism go to standard error
                for m, reason in result.left_out():
                    click.echo(plain(f"cabench evaluate: note: {m.name}: not evaluated: it {reason}"), err=True)
                failing = [(m, ev) for m, ev, _ in rows if ev.guarantee is not None and ev.guarantee.failed]
                for line in guarantee_lines(failing, instance.scale):
                    click.echo(plain(f"cabench evaluate: {line}"), err=True)
            elif as_json:
                click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
            elif fmt != "table":
                from cabench.formats import render
                from cabench.tables import evaluation_tables

                sampled = {m.name: extra for m, _, extra in rows if extra}
                click.echo(render(evaluation_tables(instance, [(m, ev) for m, ev, _ in rows], unproven, sampled,
                                                    result.played(), result.strategies_played()), fmt), nl=False)
            else:
                console = _console()
                shown = displayed(instance)  # names printed as written, never as terminal codes or markup
                console.print(evaluation_table(shown, [(m, ev) for m, ev, _ in rows], unproven))
                if result.played() is not None:  # (the guarantee's line said "no guarantee", as for VCG)
                    console.print("  " + plain(f"{rows[0][0].name}: {result.played()}"), markup=False)
                else:
                    for line in guarantee_lines([(m, ev) for m, ev, _ in rows], instance.scale):
                        console.print("  " + plain(line), markup=False)
                for m, reason in unproven:
                    console.print("  " + plain(f"{m.name}: not evaluated: {reason}; raise --time-limit"), markup=False)
                for m, reason in result.left_out():
                    console.print("  " + plain(f"{m.name}: not evaluated: it {reason}"), markup=False)
                from cabench.present import monte_carlo_text

                if mechanism != "all":
                    m, ev, extra = rows[0]
                    console.print(branch_table(ev, players))
                    for table in utility_tables(shown, ev, players):
                        console.print(table)
                    if extra:
                        console.print(monte_carlo_text(extra, instance.scale), markup=False)
                else:  # one line per mechanism (the table of --mechanism all had none)
                    for m, _, extra in rows:
                        if extra:
                            console.print("  " + plain(f"{m.name}: {monte_carlo_text(extra, instance.scale)}"),
                                          markup=False)
    if unproven:  # (said on standard error too: the table may go to a file)
        click.echo(f"cabench: {len(unproven)} of {len(rows) + len(unproven)} mechanisms not evaluated: "
                   f"a program they need was not proven optimal; raise --time-limit", err=True)
    return GUARANTEE_FAILS if failed else NOT_PROVEN if unproven else 0


@_player_command("outcome", "The player whose announcement to show.")
def outcome_command(file, mechanism, player, param_values, as_json, solver, time_limit, jobs, coalition_knowledge):
    """The announcement a rational player (or its coalition) makes in MECHANISM: the optimal
    reported outcome, as JSON and as a readable offer list."""
    check_backend(solver)
    with flag_errors():
        instance = load_with_reading(file, coalition_knowledge, solver=solver)
        result = api.outcome(instance, mechanism, player, param_flags(param_values),
                             solver, time_limit, jobs)
    instance, m, actions, data = result.instance, result.mechanism, result.actions, result.to_dict()
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    click.echo(plain(f"{player} in {m.name} (agent {{{', '.join(data['agent'])}}}) announces:"))
    for kind, a in actions.items():
        click.echo(f"  {kind}:")
        for line in _offer_lines(instance, kind, a):
            click.echo(f"    {plain(line)}")
    if not actions:  # (an answer depends on the offer made, so it is no announcement)
        click.echo(f"  nothing: in {m.name} it only answers the offers made to it "
                   "(`cabench deviate` lists its answer families)")
    return 0


def _offer_lines(instance: Instance, kind: str, action) -> list[str]:
    """The text lines of one announced action, every amount of money in the file's money, as the
    reports show it (the JSON keeps cabench's integer units, with ``scale``): offers at their
    prices, a bid's value, prices by player, valuations bid by bid, raises by player."""
    from cabench.present import describe

    scale = instance.scale

    def money(x) -> str:  # (an exact integer amount; describe() gives a Fraction as a float)
        return show(x, scale) if isinstance(x, int) else show_fraction(Fraction(x), scale, 6)

    described = describe(action, instance)
    if kind == "raise" and isinstance(described, list) and len(described) == instance.n:
        raised = [f"{instance.players[j]} by {money(x)}" for j, x in enumerate(described) if x]
        return [("raises " + ", ".join(raised)) if raised else "no raise"]
    if not isinstance(described, dict):
        return [json.dumps(described, ensure_ascii=False)]
    if (text := _valuation_text(described, money, instance.goods)) is not None:  # (VCG's report is a valuation)
        return [text]
    lines = []
    for key, value in described.items():
        if isinstance(value, dict) and "allocation" in value and "prices" in value:
            offers = [f"{p} <- {{{', '.join(g)}}} at {money(value['prices'].get(p, 0))}"
                      for p, g in value["allocation"].items()]
            # a price without goods (a market's seller: P*_1 < 0): the prices add up to the revenue
            offers += [f"{p} <- nothing at {money(price)}" for p, price in value["prices"].items()
                       if price and p not in value["allocation"]]
            lines.append(f"{key}: " + ("; ".join(offers) or "no offers") + f" (revenue {money(value.get('revenue', 0))})")
        elif key == "value" and isinstance(value, int | float):
            lines.append(f"value: {money(value)}")
        elif key == "prices" and isinstance(value, dict):
            lines.append("prices: " + (", ".join(f"{p} {money(x)}" for p, x in value.items()) or "none"))
        elif isinstance(value, dict) and (text := _valuation_text(value, money, instance.goods)) is not None:
            lines.append(f"{key}: {text}")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return lines


TABLE_BUNDLES = 32
"""Most bundles of a reported table valuation that ``outcome``'s text lists (a table over 20 goods
has a million)."""


def _valuation_text(described: dict, money, goods: Sequence[str]) -> str | None:
    """A valuation's JSON form (``instances.writer.valuation_to_json``) as text with its values in
    the file's money, ``xor: {a, b} at 12.5; {c} at 3`` (a table: its bundles of value other
    than 0, named by ``goods``); None for anything else."""
    if len(described) != 1:
        return None
    (form, body), = described.items()
    if form in ("xor", "or", "explicit") and isinstance(body, list):
        bids = [f"{{{', '.join(bundle)}}} at {money(value)}" for bundle, value in body]
        return f"{form}: " + ("; ".join(bids) or "no bids")
    if form == "single_minded" and isinstance(body, list) and len(body) == 2:
        return f"{form}: {{{', '.join(body[0])}}} at {money(body[1])}"
    if form == "additive" and isinstance(body, dict):
        return f"{form}: " + ("; ".join(f"{good} at {money(value)}" for good, value in body.items()) or "no goods")
    if form == "table" and isinstance(body, list):
        worth = [(mask, value) for mask, value in enumerate(body) if value]
        listed = [f"{{{', '.join(names(mask, goods))}}} at {money(value)}" for mask, value in worth[:TABLE_BUNDLES]]
        left = len(worth) - len(listed)
        more = f"; ... and {left} more bundles (--json lists every one)" if left else ""
        return f"{form}: " + ("; ".join(listed) or "0 on every bundle") + more
    return None


@_player_command("deviate", "The deviating player (its whole coalition deviates with it).")
def deviate_command(file, mechanism, player, param_values, as_json, solver, time_limit, jobs, coalition_knowledge):
    """Expected utility of the rational strategy versus each deviation family for the agent of
    --player, so users see which deviations do not pay (and, for VCG, which do)."""
    from rich.markup import escape
    from rich.table import Table

    check_backend(solver)
    with flag_errors():
        instance = load_with_reading(file, coalition_knowledge, solver=solver)
        result = api.deviate(instance, mechanism, player, param_flags(param_values),
                             solver, time_limit, jobs)
    instance, m, rows, knowledge = result.instance, result.mechanism, result.rows, result.knowledge
    rational_u = result.rational.agent_utility(result.agent)
    members = [instance.players[j] for j in result.agent]
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
        return 0
    scale = instance.scale
    shown = escape(plain(", ".join(members)))
    table = Table(title=f"{m.name}: agent {{{shown}}}, rational E\\[u] = "
                        f"{show_fraction(rational_u, scale)}",
                  header_style="bold")
    for column in ("deviation", "E\\[u]", "gain", "pays?", "E\\[SW]", "E\\[REV]", "paper"):
        table.add_column(column, justify="left" if column in ("deviation", "paper", "pays?") else "right",
                         no_wrap=column == "paper", min_width=24 if column == "deviation" else None)
    for r in rows:
        u, gain = Fraction(r["utility"]["exact"]), Fraction(r["gain"]["exact"])
        table.add_row(r["family"], show_fraction(u, scale), ("+" if gain >= 0 else "") + show_fraction(gain, scale, telling=True),
                      "YES" if r["pays"] else "no", show_fraction(Fraction(r["SW"]), scale, 3),
                      show_fraction(Fraction(r["REV"]), scale, 3), r["paper"])
    console = _console(120)
    console.print(table)
    if knowledge["correct"] is not True:
        console.print(f"  The knowledge of agent {{{', '.join(members)}}} is not known to be correct "
                      f"({knowledge['reason']}).", markup=False)
    for r in rows:
        console.print(plain(f"  {r['family']}: {r['why']}" + (f". Assumes: {r['assumes']}" if r["assumes"] else "")),
                      markup=False)
    return 0


@click.command("game")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=False)
@click.option("-o", "--output", required=True, type=GivenPath(dir_okay=False, path_type=Path), callback=no_dash,
              help="The Gambit extensive-form file to write (.efg).")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE", help=PARAM_HELP)
@click.option("--max-nodes", type=click.IntRange(min=1), default=None, metavar="N",
              help="Refuse trees with more nodes than this [default: 200000].")
@solver_option
@time_limit_option
@jobs_option
@coalition_knowledge_option
def game_command(file, mechanism, output, param_values, max_nodes, solver, time_limit, jobs, coalition_knowledge):
    """Export MECHANISM's game on FILE as a Gambit extensive-form game (.efg): chance nodes with
    exact probabilities, and at each decision every action of the rational profile and of the
    deviation families that `cabench deviate` considers. Prints Gambit's exact expected payoffs
    of each of these profiles next to cabench's."""
    from rich.table import Table

    from mechanisms.base import evaluate
    from mechanisms.game import MAX_NODES, build_game, profile_payoffs
    from mechanisms.registry import MECHANISMS

    try:
        import pygambit  # noqa: F401
    except ImportError:
        raise CabenchError("cabench game needs pygambit (Gambit's Python package): pip install 'cabench[gambit]'"
                           ) from None
    from instances.files import atomic_write_text, check_output

    with new_folders_removed_on_error(output):
        check_output(output, [file])
        with flag_errors():
            params = api.parse_params(param_flags(param_values))
        instance, facts = _setup(file, solver, time_limit, jobs, coalition_knowledge)
        m = MECHANISMS[mechanism]
        with flag_errors():  # (as evaluate, outcome and deviate say both)
            api.check_applicable(m, instance)
            params = m.parameters(instance, params)
        from cabench.progress import counting, wanted

        # (a tree of a few thousand nodes whose leaves solve programs took minutes, silent)
        with api.not_proven_in_money(instance), counting("exploring the game: nodes", wanted()) as update:
            # (the tree grows as it is explored: the nodes known so far are no total to show)
            exported = build_game(m, instance, params, facts, max_nodes or MAX_NODES,
                                  lambda done, known: update(done, None))
        atomic_write_text(output, exported.game.to_efg())
    disagree = []
    try:
        console = _console()
        console.print(f"{output}: {m.name} on {instance.name}, {exported.nodes} nodes, {exported.leaves} leaves, "
                      f"{len(exported.infosets)} information sets of the players", markup=False)
        table = Table(title="Expected payoffs (Gambit, exact) of the enumerated profiles", header_style="bold")
        table.add_column("profile")
        for name in instance.players:
            table.add_column(name, justify="right")
        table.add_column("= cabench", justify="left")
        for name, profile in exported.profiles.items():
            payoffs = profile_payoffs(exported, profile)
            agree = list(evaluate(m, instance, params, profile, facts, check=False).utilities) == payoffs
            table.add_row(name, *(str(x) for x in payoffs), "yes" if agree else "NO")
            if not agree:
                disagree.append(name)
    except KeyboardInterrupt:  # (it said only "finished work is kept", of a file not yet checked)
        say_stopped(f"cabench game: interrupted; {output} is written, but its cross-check with Gambit did not finish")
        raise
    console.print(table)
    if disagree:
        click.echo(f"cabench: internal error (please report): Gambit and cabench disagree on {', '.join(disagree)}",
                   err=True)
        return INTERNAL_ERROR
    return 0
