"""The mechanism commands of ``cabench``: evaluate, outcome, deviate, game, sweep and plot.

They join the command group of ``cabench.cli``."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from benchmarks import knowledge_correct
from cabench.cli import check_backend, cli, coalition_knowledge_option, format_option, load_with_reading
from cabench.exit_codes import GUARANTEE_FAILS, INTERNAL_ERROR, NOT_PROVEN
from cabench.progress import counting, wanted
from cabench.render import PipeConsole, displayed, plain
from ilp import DEFAULT_BACKEND, backend_names
from instances import CabenchError, Instance
from instances.units import show, show_fraction
from mechanisms import MECHANISMS, Deviation, Facts, Mechanism, agent_of, evaluate
from cabench.present import describe, evaluation_json, evaluation_table, guarantee_lines, monte_carlo, number

_solver = click.option("--solver", default=DEFAULT_BACKEND, show_default=True, metavar="|".join(backend_names()),
                       help="Backend for the benchmark programs behind the strategies.")
_time = click.option("--time-limit", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
                     help="Time limit per integer program.")
_json = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _console(columns: int = 100) -> Console:
    """At least 100 columns (``deviate``: 120): the mechanism tables do not fit in 80."""
    return PipeConsole(width=max(PipeConsole().width, columns))


def _mechanism_choice(all_allowed: bool):
    names = list(MECHANISMS) + (["all"] if all_allowed else [])
    return click.option("--mechanism", "-m", required=True, type=click.Choice(names), help="Which mechanism.")


def _params(values: tuple[str, ...]) -> dict[str, Fraction]:
    params = {}
    for item in values:
        key, sep, raw = item.partition("=")
        try:
            if not sep or not key:
                raise ValueError
            params[key.strip()] = Fraction(raw.strip())
        except (ValueError, ZeroDivisionError):
            raise click.BadParameter(f'"{item}" is not KEY=VALUE with a number (e.g. eps=1/10 or eps=0.1)',
                                     param_hint="'--param'") from None
    return params


def _setup(file: str, solver: str, time_limit: float | None, coalition_knowledge: str) -> tuple[Instance, Facts]:
    check_backend(solver)
    instance = load_with_reading(file, coalition_knowledge)
    return instance, Facts(instance, solver, time_limit)


def _applicable(mechanism: Mechanism, instance: Instance) -> bool:
    return mechanism.market == instance.is_market and instance.n >= mechanism.min_players


def _check_applicable(mechanism: Mechanism, instance: Instance) -> None:
    if mechanism.market != instance.is_market:
        kind = "markets (instances with an endowment)" if mechanism.market else "auctions (instances without an endowment)"
        raise CabenchError(f"{instance.source}: mechanism {mechanism.name} is for {kind}")


def _player(instance: Instance, name: str) -> int:
    if name not in instance.players:
        raise click.BadParameter(f'unknown player "{name}"; expected one of: {", ".join(instance.players)}',
                                 param_hint="'--player'")
    return instance.players.index(name)


def _prepare(file: str, mechanism: str, player: str, param_values: tuple[str, ...], solver: str,
             time_limit: float | None, coalition_knowledge: str
             ) -> tuple[Instance, Facts, Mechanism, dict[str, Fraction], int]:
    """Load FILE and check the mechanism, its parameters and the player, for outcome and deviate."""
    params = _params(param_values)
    instance, facts = _setup(file, solver, time_limit, coalition_knowledge)
    m = MECHANISMS[mechanism]
    _check_applicable(m, instance)
    return instance, facts, m, m.parameters(instance, params), _player(instance, player)


@cli.command("evaluate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=True)
@click.option("--strategies", default="rational", show_default=True, metavar="rational|FAMILY",
              help="rational play, or a deviation family (see `cabench deviate`) played by --player's agent.")
@click.option("--player", default=None, help="The deviating player, with --strategies FAMILY.")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE", help="Mechanism parameter (repeatable).")
@click.option("--samples", type=click.IntRange(min=2), default=None, help="Also sample N plays (Monte Carlo).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the Monte Carlo sampling.")
@_json
@format_option
@_solver
@_time
@coalition_knowledge_option
def evaluate_command(file, mechanism, strategies, player, param_values, samples, seed, as_json, fmt, solver,
                     time_limit, coalition_knowledge):
    """Exact expected welfare, revenue and utilities of a mechanism on FILE, the benchmark its
    theorem refers to, the bound and whether it holds (PASS/FAIL)."""
    given = _params(param_values)
    instance, facts = _setup(file, solver, time_limit, coalition_knowledge)
    if player is not None:
        _player(instance, player)  # a player not in FILE is an error even where --player is unused
    if mechanism == "all":
        if strategies != "rational":
            raise click.BadParameter("--mechanism all evaluates rational play only", param_hint="'--strategies'")
        chosen = [m for m in MECHANISMS.values() if _applicable(m, instance)]
    else:
        chosen = [MECHANISMS[mechanism]]
        _check_applicable(chosen[0], instance)
    as_json = as_json or fmt == "json"
    rows = []
    with counting("evaluating", wanted(as_json) and len(chosen) > 1) as update:
        for k, m in enumerate(chosen):
            update(k, len(chosen), m.name)
            rows.append(_evaluate_one(instance, facts, m, mechanism, given, strategies, player, samples, seed))
    failed = any(ev.guarantee is not None and ev.guarantee.failed for _, ev, _ in rows)
    if as_json:
        payload = []
        for m, ev, extra in rows:
            data = evaluation_json(instance, m, ev)
            if extra:
                data["monte_carlo"] = extra
            payload.append(data)
        click.echo(json.dumps(payload[0] if mechanism != "all" else {"instance": instance.name, "mechanisms": payload},
                              indent=2, ensure_ascii=False))
    elif fmt != "table":
        from cabench.formats import render
        from cabench.tables import evaluation_tables

        click.echo(render(evaluation_tables(instance, [(m, ev) for m, ev, _ in rows]), fmt), nl=False)
    else:
        console = _console()
        shown = displayed(instance)  # names printed as written, never as terminal codes or markup
        console.print(evaluation_table(shown, [(m, ev) for m, ev, _ in rows]))
        for line in guarantee_lines([(m, ev) for m, ev, _ in rows], instance.scale):
            console.print("  " + plain(line), markup=False)
        if mechanism != "all":
            m, ev, extra = rows[0]
            branches = Table(title="Branches (public chance results)", header_style="bold")
            branches.add_column("path")
            branches.add_column("probability", justify="right")
            for path, p in ev.branches:
                branches.add_row(Text(plain(path)), str(p))
            console.print(branches)
            util = Table(title="Expected utilities", header_style="bold")
            util.add_column("agent")
            util.add_column("E\\[u]", justify="right")
            for a, u in ev.agent_utilities:
                util.add_row(Text("{" + ", ".join(shown.players[j] for j in a) + "}"),
                             show_fraction(u, instance.scale, 6))
            console.print(util)
            if extra:
                console.print(f"Monte Carlo ({extra['samples']} plays, seed {extra['seed']}): "
                              f"SW {extra['SW']['mean']:.4f} CI95 {extra['SW']['ci95']}, "
                              f"REV {extra['REV']['mean']:.4f} CI95 {extra['REV']['ci95']}")
    return GUARANTEE_FAILS if failed else 0


def _evaluate_one(instance: Instance, facts: Facts, m: Mechanism, mechanism: str, given: dict[str, Fraction],
                  strategies: str, player: str | None, samples: int | None, seed: int):
    """(mechanism, evaluation, Monte Carlo summary or None) of one mechanism of ``evaluate``."""
    params = m.parameters(instance, {k: v for k, v in given.items() if mechanism != "all" or k in {p.name for p in m.params}})
    if strategies == "rational":
        profile = m.rational(instance, params, facts)
    else:
        if player is None:
            raise click.BadParameter("a deviation family needs --player", param_hint="'--player'")
        agent = agent_of(instance, _player(instance, player))
        families = m.deviation_families(instance, params, facts, agent)
        if strategies not in families:
            raise click.BadParameter(f'unknown family "{strategies}" for {m.name}; expected rational or one of: '
                                     + ", ".join(families), param_hint="'--strategies'")
        profile = families[strategies].profile
    ev = evaluate(m, instance, params, profile, facts, check=strategies == "rational")
    extra = monte_carlo(instance, m, params, profile, samples, seed) if samples else None
    return m, ev, extra


@cli.command("outcome")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=False)
@click.option("--player", required=True, help="The player whose announcement to show.")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE")
@_json
@_solver
@_time
@coalition_knowledge_option
def outcome_command(file, mechanism, player, param_values, as_json, solver, time_limit, coalition_knowledge):
    """The announcement a rational player (or its coalition) makes in MECHANISM: the optimal
    reported outcome, as JSON and as a readable offer list."""
    instance, facts, m, params, i = _prepare(file, mechanism, player, param_values, solver, time_limit,
                                                     coalition_knowledge)
    ev = evaluate(m, instance, params, m.rational(instance, params, facts), facts, check=False)
    actions: dict[str, object] = {}
    for _, terminal in ev.outcomes:
        for who, kind, action in terminal.actions:
            if who == i and kind not in ("answer",):
                actions.setdefault(kind, action)
    data = {"mechanism": m.name, "player": player, "scale": instance.scale,
            "agent": [instance.players[j] for j in agent_of(instance, i)],
            "announcements": {kind: describe(a, instance) for kind, a in actions.items()}}
    if as_json:
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return 0
    click.echo(plain(f"{player} in {m.name} (agent {{{', '.join(data['agent'])}}}) announces:"))
    for kind, a in actions.items():
        click.echo(f"  {kind}:")
        for line in _offer_lines(instance, a):
            click.echo(f"    {plain(line)}")
    return 0


def _offer_lines(instance: Instance, action) -> list[str]:
    described = describe(action, instance)
    if not isinstance(described, dict):
        return [json.dumps(described)]
    lines = []
    for key, value in described.items():
        if isinstance(value, dict) and "allocation" in value and "prices" in value:
            money = (lambda x: show(x, instance.scale) if isinstance(x, int) else str(x))  # noqa: E731
            offers = [f"{p} <- {{{', '.join(g)}}} at {money(value['prices'].get(p, 0))}"
                      for p, g in value["allocation"].items()]
            lines.append(f"{key}: " + ("; ".join(offers) or "no offers") + f" (revenue {money(value.get('revenue', 0))})")
        else:
            lines.append(f"{key}: {json.dumps(value, ensure_ascii=False)}")
    return lines


@cli.command("deviate")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=False)
@click.option("--player", required=True, help="The deviating player (its whole coalition deviates with it).")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE")
@_json
@_solver
@_time
@coalition_knowledge_option
def deviate_command(file, mechanism, player, param_values, as_json, solver, time_limit, coalition_knowledge):
    """Expected utility of the rational strategy versus each deviation family for the agent of
    --player, so users see which deviations do not pay (and, for VCG, which do)."""
    instance, facts, m, params, i = _prepare(file, mechanism, player, param_values, solver, time_limit,
                                                     coalition_knowledge)
    agent = agent_of(instance, i)
    base = evaluate(m, instance, params, m.rational(instance, params, facts), facts, check=False)
    rational_u = base.agent_utility(agent)
    knowledge = _agent_knowledge(instance, agent)
    rows = []
    for name, dev in m.deviation_families(instance, params, facts, agent).items():
        ev = evaluate(m, instance, params, dev.profile, facts, check=False)
        u = ev.agent_utility(agent)
        label, assumes = deviation_label(dev, knowledge)
        rows.append({"family": name, "utility": number(u), "gain": number(u - rational_u), "pays": u > rational_u,
                     "dominated_in_paper": dev.dominated, "paper": label, "assumes": assumes,
                     "unilateral": dev.scenario is None, "claim_applies": label != "dominated if knowledge correct",
                     "why": dev.why, "SW": float(ev.sw), "REV": float(ev.rev)})
    members = [instance.players[j] for j in agent]
    if as_json:
        click.echo(json.dumps({"mechanism": m.name, "scale": instance.scale, "agent": members,
                               "rational_utility": number(rational_u), "knowledge": knowledge,
                               "rational": {"SW": float(base.sw), "REV": float(base.rev)}, "deviations": rows},
                              indent=2, ensure_ascii=False))
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
        table.add_row(r["family"], show_fraction(u, scale), ("+" if gain >= 0 else "") + show_fraction(gain, scale),
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


def _agent_knowledge(instance: Instance, agent: tuple[int, ...]) -> dict[str, object]:
    """Whether every member's knowledge is correct (True, False, or None if undecided)."""
    verdicts = [(instance.players[j], knowledge_correct(instance, j)) for j in agent]
    if all(v.correct is True for _, v in verdicts):
        return {"correct": True, "reason": "every member's knowledge is correct"}
    wrong = [(who, v) for who, v in verdicts if v.correct is not True]
    correct = False if any(v.correct is False for _, v in wrong) else None
    return {"correct": correct, "reason": "; ".join(f"{who}: {v.reason}" for who, v in wrong)}


def deviation_label(dev: Deviation, knowledge: dict[str, object]) -> tuple[str, str]:
    """The "paper" column of ``deviate`` and what the row assumes.

    A dominance claim about an announcement built from the agent's knowledge holds for an agent
    whose knowledge is correct; for another agent the row says so instead of a bare
    "dominated". A row that changes other agents' strategies is a scenario, not a deviation."""
    assumes = []
    if dev.scenario is not None:
        assumes.append(f"other players change too: {dev.scenario}")
    if dev.dominated and dev.needs_correct_knowledge:
        assumes.append("the agent's knowledge is correct (the paper's claim is about what it knows)")
    if dev.scenario is not None:
        label = "scenario (not unilateral)"
    elif not dev.dominated:
        label = "not dominated"
    elif dev.needs_correct_knowledge and knowledge["correct"] is not True:
        label = "dominated if knowledge correct"
    else:
        label = "dominated"
    return label, "; ".join(assumes)


@cli.command("game")
@click.argument("file", type=click.Path(dir_okay=False, path_type=str))
@_mechanism_choice(all_allowed=False)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The Gambit extensive-form file to write (.efg).")
@click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE", help="Mechanism parameter (repeatable).")
@click.option("--max-nodes", type=click.IntRange(min=1), default=None, metavar="N",
              help="Refuse trees with more nodes than this [default: 200000].")
@_solver
@_time
@coalition_knowledge_option
def game_command(file, mechanism, output, param_values, max_nodes, solver, time_limit, coalition_knowledge):
    """Export MECHANISM's game on FILE as a Gambit extensive-form game (.efg): chance nodes with
    exact probabilities, and at each decision every action of the rational profile and of the
    deviation families that `cabench deviate` considers. Prints Gambit's exact expected payoffs
    of each of these profiles next to cabench's."""
    from mechanisms.game import MAX_NODES, build_game, profile_payoffs

    try:
        import pygambit  # noqa: F401
    except ImportError:
        raise CabenchError("cabench game needs pygambit (Gambit's Python package): pip install 'cabench[gambit]'"
                           ) from None
    params = _params(param_values)
    instance, facts = _setup(file, solver, time_limit, coalition_knowledge)
    m = MECHANISMS[mechanism]
    _check_applicable(m, instance)
    params = m.parameters(instance, params)
    exported = build_game(m, instance, params, facts, max_nodes or MAX_NODES)
    from cabench.cli import _write_atomically

    _write_atomically(output, exported.game.to_efg())
    console = _console()
    console.print(f"{output}: {m.name} on {instance.name}, {exported.nodes} nodes, {exported.leaves} leaves, "
                  f"{len(exported.infosets)} information sets of the players", markup=False)
    table = Table(title="Expected payoffs (Gambit, exact) of the enumerated profiles", header_style="bold")
    table.add_column("profile")
    for name in instance.players:
        table.add_column(name, justify="right")
    table.add_column("= cabench", justify="left")
    disagree = []
    for name, profile in exported.profiles.items():
        payoffs = profile_payoffs(exported, profile)
        agree = list(evaluate(m, instance, params, profile, facts, check=False).utilities) == payoffs
        table.add_row(name, *(str(x) for x in payoffs), "yes" if agree else "NO")
        if not agree:
            disagree.append(name)
    console.print(table)
    if disagree:
        click.echo(f"cabench: internal error (please report): Gambit and cabench disagree on {', '.join(disagree)}",
                   err=True)
        return INTERNAL_ERROR
    return 0


def mechanism_list(text: str) -> list[str]:
    """``--mechanisms``: a comma-separated list, or all."""
    names = list(MECHANISMS) if text == "all" else [m.strip() for m in text.split(",") if m.strip()]
    unknown = [m for m in names if m not in MECHANISMS]
    if unknown:
        raise click.BadParameter(f'unknown mechanism "{unknown[0]}"; expected all or some of: {", ".join(MECHANISMS)}',
                                 param_hint="'--mechanisms'")
    return list(dict.fromkeys(names))


def run_resumable(command: str, run, output: Path, label: str):
    """Run a sweep-like ``run(progress)`` with a progress bar on a terminal; on Ctrl-C or
    SIGTERM, one line on standard error saying what is kept and how to resume."""
    from cabench.progress import counting, wanted

    finished = [0]
    with counting(label, wanted()) as update:
        def progress(done: int, total: int) -> None:
            finished[0] = done
            update(done, total)

        try:
            return run(progress)
        except KeyboardInterrupt as exc:
            click.echo(f"cabench {command}: interrupted; {finished[0]} instance(s) computed in this run are kept "
                       f"(in {output}.journal.jsonl); run the same command again to resume", err=True)
            exc.reported = True
            raise


def finish_sweep(command: str, output: Path, computed: int, skipped: int, proven: bool) -> int:
    click.echo(f"{computed} instance(s) computed, {skipped} already in {output}", err=True)
    if not proven:
        click.echo(f"cabench {command}: some programs were not proven optimal within the time limit (rows with "
                   f"proven = False); a run with a larger --time-limit computes them again", err=True)
        return NOT_PROVEN
    return 0


_param_many = click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE",
                           help="Mechanism parameter, for every mechanism that has it (repeatable); part of the "
                                "rows' key, so new parameters are computed on resume.")


@cli.command("sweep")
@click.argument("source", metavar="DIR_OR_GLOB")
@click.option("--mechanisms", default="", metavar="LIST|all",
              help="Comma-separated mechanisms to evaluate on every instance (default: benchmarks only).")
@_param_many
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True)
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler to connect to (dask executor).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Parallel workers; each races solvers on its share of the cores.")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Results file, .csv or .parquet; an existing one is resumed.")
@_solver
@_time
def sweep_command(source, mechanisms, param_values, executor, scheduler, workers, output, solver, time_limit):
    """Benchmark table (and mechanism evaluations) of every instance, resumable, into one table."""
    from cabench.sweep import instance_files, run_sweep

    names = mechanism_list(mechanisms)
    given = _params(param_values)
    check_backend(solver)
    files = instance_files(source)
    if output.suffix not in (".csv", ".parquet"):
        raise CabenchError(f"{output}: the results file must end in .csv or .parquet")
    computed, skipped, proven = run_resumable(
        "sweep", lambda progress: run_sweep(files, output, names, executor=executor, workers=workers,
                                            scheduler=scheduler, solver=solver, time_limit=time_limit,
                                            progress=progress, given=given),
        output, "sweeping instances")
    return finish_sweep("sweep", output, computed, skipped, proven)


@cli.command("plot")
@click.argument("results", type=click.Path(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(file_okay=False, path_type=Path), default=Path("figures"),
              show_default=True, help="Folder for the figures.")
@click.option("--style", type=click.Choice(["one-column", "two-column"]), default="two-column", show_default=True,
              help="Width of the figures: one column of a two-column paper (3.5 in), or the full width (7 in).")
@click.option("--formats", default="pdf,svg,png", show_default=True, metavar="LIST",
              help="File formats (pdf, svg, png at 300 dpi).")
def plot_command(results, output, style, formats):
    """Draw the standard figures of a sweep or an experiment (see cabench/plot.py): the
    knowledge-quality figure, shares of each theorem's benchmark with 95% confidence intervals,
    collusion and solve time; prints the files written."""
    from cabench.cli import check_folder
    from cabench.plot import FORMATS, plot_results

    chosen = tuple(dict.fromkeys(f.strip() for f in formats.split(",") if f.strip()))
    if not chosen or not set(chosen) <= set(FORMATS):
        raise click.BadParameter(f'"{formats}": expected some of {", ".join(FORMATS)}', param_hint="'--formats'")
    check_folder(output)
    for figure in plot_results(results, output, style, chosen):
        for path in figure.paths:
            click.echo(str(path))
    return 0
