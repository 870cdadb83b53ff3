"""``cabench perf``: the performance suite's command (the suite itself is ``cabench.perf``).
``cabench.cli`` gathers it into its group."""

from __future__ import annotations

from pathlib import Path

import click

from cabench.cli_common import (
    SECONDS,
    GivenPath,
    check_backend,
    check_folder,
    comma_list,
    jobs_within_machine,
    new_folders_removed_on_error,
    no_dash,
    say_stopped,
)
from cabench.exit_codes import NOT_PROVEN
from ilp.contract import DEFAULT_BACKEND

__all__ = ["perf_command"]


@click.command("perf")
@click.argument("paths", nargs=-1, type=GivenPath(path_type=Path), metavar="[FILE_OR_FOLDER]...")
@click.option("--suite", type=click.Choice(["quick", "standard", "scaling", "target", "full", "players", "cats",
                                            "cats-large", "knowledge", "knowledge-target", "knowledge-scaling"]),
              default="quick",
              show_default=True, help="Which instance sizes (the README's section on performance lists each suite).")
@click.option("--distributions", default=None, metavar="LIST",
              help="Only these distributions of the suite (comma-separated).")
@click.option("--knowledge", "knowledge", default=None, metavar="LIST",
              help="Knowledge specs of the generated instances, comma-separated (none, exact, noisy-lower:F, "
                   "wrong:P, candidates:K); default: the suite's own list (none for players, exact for the "
                   "other suites without knowledge in their name).")
@click.option("--coalitions", "coalitions", default=None, metavar="LIST",
              help="Coalition specs, comma-separated (none, pairs:K, random:K:SIZE); default: the suite's own list.")
@click.option("--seeds", type=click.IntRange(min=1), default=3, show_default=True, help="Instances per size.")
@click.option("--backends", default="cpsat,highs,scip,cbc", show_default=True,
              help="Single backends to measure program by program ('none': no single backend).")
@click.option("--naive/--no-naive", default=True, show_default=True, help="Measure the naive PuLP/CBC baseline.")
@click.option("--default", "default", default=DEFAULT_BACKEND, show_default=True,
              help="The backend of the measured cabench pipeline.")
@click.option("--jobs", type=click.IntRange(min=1), default=None, callback=jobs_within_machine,
              help="Worker processes of the cabench pipeline, at most 4 per core; automatic by default.")
@click.option("--time-limit", type=SECONDS, default=None, metavar="SECONDS",
              help="Time limit per program.")
@click.option("-o", "--output", type=GivenPath(file_okay=False, path_type=Path), default=Path("perf-results"),
              callback=no_dash, show_default=True, help="Folder for perf-rows.csv and perf-summary.json.")
def perf_command(paths, suite, distributions, knowledge, coalitions, seeds, backends, naive, default, jobs, time_limit,
         output) -> int:
    """Time the benchmark table (MSW, every MIEW_i and MIKW_i, MKW of every coalition) of generated
    instances, or of the given instance files (*.json, or CATS files imported as `import` does;
    a folder: its *.json and *.txt files): cabench's batch pipeline, each single backend and a
    naive PuLP/CBC baseline, and with knowledge other than exact the exact-knowledge report of the
    same instance."""
    import time

    from rich.table import Table

    from cabench.perf import (
        check_files,
        check_suite,
        file_paths,
        holds_summary,
        run_files,
        run_suite,
        summary,
        write_results,
    )
    from cabench.render import PipeConsole
    from ilp.batch import default_jobs

    if paths:
        source = click.get_current_context().get_parameter_source
        for name, flag in (("suite", "--suite"), ("distributions", "--distributions"), ("seeds", "--seeds")):
            if source(name) is not click.core.ParameterSource.DEFAULT:
                raise click.UsageError(f"{flag} chooses generated instances; it does not go with instance files")

    chosen = [b for b in comma_list(backends, "'--backends'") if b != "none"]
    for name in chosen:
        check_backend(name, "'--backends'")
    check_backend(default, "'--default'")  # (blamed --backends)
    from cabench.perf import SUITES

    only = None
    if distributions is not None:
        only = set(comma_list(distributions, "'--distributions'"))
        known = {entry[0] for entry in SUITES[suite]}
        if not only or not only <= known:
            unknown = ", ".join(sorted(only - known)) or "none given"
            raise click.BadParameter(f"{unknown}: expected some of {', '.join(sorted(known))} (the {suite} suite)",
                                     param_hint="'--distributions'")
    from instances.knowledge_models import SpecError, parse_coalitions, parse_knowledge

    # instance files are checked against their own players when the specs are drawn on them
    specs_for = None if paths else suite
    knowledge_specs = _spec_list(knowledge, "'--knowledge'", specs_for, lambda spec, players: parse_knowledge(spec))
    coalition_specs = _spec_list(coalitions, "'--coalitions'", specs_for, parse_coalitions)
    if paths:  # unreadable files, and specs that do not fit a file, stop before anything runs
        goods = check_files(paths, knowledge_specs, coalition_specs)
    else:  # and coalitions or knowledge that do not fit a generated instance
        try:
            check_suite(suite, seeds, only, coalition_specs, knowledge_specs)
        except SpecError as error:
            flag, _, what = error.flag()
            raise click.BadParameter(what, param_hint=f"'{flag}'") from None
        goods = max(entry[1] for entry in SUITES[suite] if only is None or entry[0] in only)
    from ilp import brute

    for flag, names in (("'--backends'", chosen), ("'--default'", [default])):
        if "brute" in names and goods > brute.MAX_GOODS:
            raise click.BadParameter(f"brute handles at most {brute.MAX_GOODS} goods; these instances have up "
                                     f"to {goods}", param_hint=flag)
    # how the run was made, in every entry of the summary: a paper's table needs the version, the
    # cores and the limits beside the ratios (cabench/ideal divides by the jobs)
    import cabench
    from ilp.portfolio import cores

    run = {"cabench": cabench.__version__, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
           "cores": cores(), "jobs": jobs or default_jobs(),
           # (--time-limit inf is no limit: null, where JSON has no Infinity)
           "time_limit": None if time_limit is None or time_limit == float("inf") else time_limit, "default": default,
           "backends": list(chosen), "naive": naive}

    def summarised(done: list) -> list[dict]:
        # the ideals divided by the programs that can run at once: the jobs, at most the cores
        # (--jobs 8 on 2 cores divided them by 8)
        return [dict(entry, run=run) for entry in summary(done, min(jobs or default_jobs(), cores()))]

    kept = [0]  # the instances whose rows are written
    writing: list = []  # the last write begun: its instance count and its summary

    def checkpoint(done: list) -> None:  # (after each instance: the rows and their summary together)
        # instances, not summary entries (an entry pools the seeds of one size)
        count = len({(r.instance, r.distribution, r.goods, r.bids, r.players, r.seed, r.knowledge, r.coalitions)
                     for r in done})
        table = summarised(done)
        writing[:] = [count, table]
        write_results(done, table, output)
        kept[0] = count

    def measured_kept() -> int:
        # A Ctrl-C during a write, after its renames (the folder's sync comes next) or just
        # after it, left the count of the write before: what the folder holds says it (a stop
        # there said "nothing is kept" of the instance just written: twice in CI)
        if writing and writing[0] != kept[0] and holds_summary(output, writing[1]):
            return writing[0]
        return kept[0]

    # a stop before the first rows are written leaves no empty folder behind (the rows of a
    # stop after it are kept), and says which
    try:
        with new_folders_removed_on_error(output):
            check_folder(output)
            from cabench.progress import counting, wanted

            bar = wanted()
            with counting("instances", bar) as update:
                # on a terminal the bar shows the step under way; in pipes and logs each step is a log line
                state = [0, 0]

                def advance(done: int, total: int, current: str) -> None:
                    state[:] = [done, total]
                    update(done, total, current)

                def step(text: str) -> None:
                    if bar:
                        update(*state, text)
                    else:  # one short plain line: no padding to the console's width, no source location
                        click.echo(f"[{time.strftime('%H:%M:%S')}] {text}", err=True)

                if paths:
                    rows = run_files(paths, chosen, default, time_limit, progress=step,
                                     checkpoint=checkpoint, jobs=jobs, naive=naive,
                                     knowledge=knowledge_specs, coalitions=coalition_specs, advance=advance)
                else:
                    rows = run_suite(suite, seeds, chosen, default, time_limit, progress=step,
                                     checkpoint=checkpoint, jobs=jobs, only=only, naive=naive,
                                     knowledge=knowledge_specs, coalitions=coalition_specs, advance=advance)
            table = summarised(rows)
            write_results(rows, table, output)
    except KeyboardInterrupt:
        count = measured_kept()
        said = (f"the {count} instance(s) measured are kept in {output}" if count else
                "no instance was measured; nothing is kept")
        say_stopped(f"cabench perf: interrupted; {said}")
        raise
    if paths:  # files, and the instances measured when several specs are drawn on each
        files = len(file_paths(paths))
        what = f"{files} file{'s' * (files != 1)}" + (f", {len(table)} instances" if len(table) != files else "")
    else:
        what = f"{suite}, {seeds} seed{'s' * (seeds != 1)}"
    # (per instance: above TABLE_PLAYERS players the methods solve the needed programs, not the table)
    view = Table(title=f"cabench perf ({what}): median seconds per instance", header_style="bold")
    methods = list(dict.fromkeys(r.method for r in rows if not r.method.startswith("kind:")))
    kinds = list(dict.fromkeys(r.method.removeprefix("kind:") for r in rows if r.method.startswith("kind:")))
    labelled = any(e["knowledge"] not in ("exact", "file") or e["coalitions"] not in ("none", "file") for e in table)
    # the knowledge / exact ratio: drawn knowledge, or a file's own knowledge measured as written
    ratios = labelled or any(e["knowledge"] == "file" and "knowledge_over_exact" in e for e in table)
    # CATS-shaped with exact knowledge: 2 s + (1 + winners) x one WDP solve; other rows: not measured
    budgeted = any("budget_seconds" in e for e in table)
    budget_columns = ["winners", "WDP HiGHS s", "budget s", "report/budget"] if budgeted else []
    for column in ["instance", "programs", "needed", *methods, "report solver s", "bookkeeping s",
                   *[f"{k} s" for k in kinds], "naive/cabench",
                   "cabench/ideal", "report/ideal", *budget_columns, *(["knowledge/exact"] if ratios else []),
                   "proven"]:
        view.add_column(column, justify="left" if column == "instance" else "right")

    def kind_cell(entry: dict, kind: str) -> str:
        # the per-kind wall time, '!' when some program of that kind was not proven
        cell = entry["kinds"].get(kind)
        return "" if cell is None else f"{cell['median_seconds']:.2f}" + ("" if cell["all_proven"] else "!")

    def ratio(entry: dict, key: str) -> str:
        # a ratio not measured (no baseline, no single backend) is an em dash, as in the JSON it is
        # absent; '!' on an ideal that holds a program no single backend proved (--time-limit)
        if key not in entry:
            return "\u2014"
        flag = {"cabench_over_ideal": "fastest_proven", "report_over_ideal": "ideal_proven"}.get(key)
        unproven = flag is not None and not entry.get(flag, True)
        return f"{entry[key]:.2f}" + ("!" if unproven else "")

    for entry in table:
        medians = entry["median_seconds"]
        name = f"{entry['distribution']} m={entry['goods']} b={entry['bids']} n={entry['players']}"
        if labelled:
            name += f" {entry['knowledge']}" + (f" {entry['coalitions']}" if entry["coalitions"] != "none" else "")
        view.add_row(name,
                     f"{entry['distinct']}/{entry['programs']}", str(entry.get("needed")),
                     *[f"{medians[m]:.2f}" if m in medians else "" for m in methods],
                     *[f"{entry[k]:.2f}" if k in entry else "" for k in ("report_solver_seconds",
                                                                          "report_bookkeeping_seconds")],
                     *[kind_cell(entry, k) for k in kinds],
                     *[ratio(entry, k) for k in ("naive_over_cabench", "cabench_over_ideal", "report_over_ideal")],
                     *([f"{entry['winners']:g}",
                        f"{entry['wdp_highs_seconds']:.2f}" + ("" if entry.get("wdp_proven", True) else "!"),
                        f"{entry['budget_seconds']:.1f}", f"{entry['report_over_budget']:.2f}"]
                       if "budget_seconds" in entry else ["\u2014"] * len(budget_columns)),
                     *([ratio(entry, "knowledge_over_exact")] if ratios else []),
                     "yes" if entry["cabench_proven"] else "NO")
    PipeConsole(width=max(PipeConsole().width, 220 if labelled else 140)).print(view)
    click.echo(f"wrote {output / 'perf-rows.csv'} and {output / 'perf-summary.json'}", err=True)
    # as every command: 3 when some program of cabench's was not proven (its timing is of an
    # unproven report); the baselines' own failures to prove are in the JSON (``all_proven``)
    return 0 if all(entry["cabench_proven"] for entry in table) else NOT_PROVEN


def _spec_list(value: str | None, hint: str, suite: str | None, check) -> list[str] | None:
    """The comma-separated specs of ``value`` (None: the suite's defaults), each checked by
    ``check(spec, players)`` against the smallest player count of ``suite`` (any count when None)."""
    if value is None:
        return None
    from cabench.perf import SUITES
    from instances.knowledge_models import SpecError

    specs = comma_list(value, hint)
    if not specs:
        raise click.BadParameter("expected at least one spec", param_hint=hint)
    players = min((p if p is not None else 10**9) for _, _, _, p in SUITES[suite]) if suite else 10**9
    for spec in specs:
        try:
            check(spec, players)
        except SpecError as error:
            raise click.BadParameter(str(error).split(": ", 1)[-1], param_hint=hint) from None
    return specs
