"""The experiment commands of ``cabench``: experiment and table. They join the command group of
``cabench.cli``."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import click

from cabench.cli import (
    GivenPath,
    _forced_cleanups,
    check_backend,
    cli,
    dash_is_stdout,
    new_folders_removed_on_error,
)
from cabench.mechanism_commands import (
    _param_many,
    _solver,
    _time,
    finish_sweep,
    given_params,
    mechanism_list,
    run_resumable,
    workers_within_machine,
)
from instances import CabenchError

__all__ = ["DEFAULT_MECHANISMS", "MAX_INSTANCES", "Progress", "experiment_command", "table_command"]

MAX_INSTANCES = 100_000
"""At most this many instance files per experiment (points x seeds x files): each is a file and a
row of every mechanism, and the list of seeds was built before anything was checked (a billion
seeds took 24 GB)."""

Progress = Callable[[int, int], None]
DEFAULT_MECHANISMS = "best-belief,surviving-strategies,mixed-second-price,collusion-leveraging"


@cli.command("experiment")
@click.argument("files", nargs=-1, type=GivenPath(dir_okay=False, exists=True, path_type=Path))
@click.option("--axis", required=True, metavar="KIND:V1,V2,...",
              help="The knowledge axis: noisy-lower:F..., wrong:P..., candidates:K... or coalition-size:S... "
                   "(A,B,...,Z: from A in steps of B-A up to Z).")
@click.option("--distribution", "-d", default=None, metavar="NAME",
              help="Generate instances of this distribution (see cabench generate); or give FILES.")
@click.option("--goods", "-m", type=click.IntRange(min=1), default=None, help="Goods of generated instances.")
@click.option("--bids", "-b", type=click.IntRange(min=1), default=None, help="Bids of generated instances.")
@click.option("--players", "-n", default=None, metavar="N|bidders", help="Players of generated instances.")
@click.option("--seeds", type=click.IntRange(min=1, max=MAX_INSTANCES), default=5, show_default=True,
              help="Seeds per axis point: FIRST-SEED, FIRST-SEED+1, ... (points x seeds x files at most "
                   f"{MAX_INSTANCES:,} instances).")
@click.option("--first-seed", type=int, default=0, show_default=True)
@click.option("--knowledge", default="exact", show_default=True, metavar="MODEL",
              help="Knowledge when the axis is coalition-size.")
@click.option("--coalitions", default="none", show_default=True, metavar="MODEL",
              help="Coalitions when the axis is a knowledge model: none, pairs:K or random:K:SIZE.")
@click.option("--coalition-count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Coalitions drawn at each point of the coalition-size axis.")
@click.option("--mechanisms", default=DEFAULT_MECHANISMS, show_default=True, metavar="LIST|all",
              help="Mechanisms to evaluate; vcg and second-price-bundle are always added as baselines.")
@_param_many
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, callback=workers_within_machine,
              help="Parallel workers; each races solvers on its share of the cores.")
@click.option("-o", "--output", required=True, type=GivenPath(dir_okay=False, path_type=Path),
              help="Results file, .csv or .parquet; an existing one is resumed. Instance files go to "
                   "OUTPUT.instances/.")
@_solver
@_time
def experiment_command(files, axis, distribution, goods, bids, players, seeds, first_seed, knowledge, coalitions,
                       coalition_count, mechanisms, param_values, workers, output, solver, time_limit):
    """Vary the knowledge along --axis, several seeds per point, on generated instances or on
    FILES, and evaluate the mechanisms (plus VCG and the second-price bundle auction) into one
    tidy table with full provenance; then `cabench plot` and `cabench table` it."""
    from cabench.experiment import (BASELINES, Family, check_design, design_of, experiment_files, instance_folder,
                                    parse_axis)
    from cabench.sweep import check_results, check_results_name, run_sweep
    from instances.files import check_output
    from instances.knowledge_models import parse_knowledge

    try:
        axis_spec = parse_axis(axis)
    except CabenchError as exc:  # as every command's flag errors: "cabench experiment: Invalid value for '--axis': ..."
        raise click.BadParameter(str(exc).removeprefix("--axis: "), param_hint="'--axis'") from None
    names = mechanism_list(mechanisms)
    names += [b for b in BASELINES if b not in names]
    given = given_params(param_values, names)
    check_backend(solver)
    check_results_name(output)
    parse_knowledge(knowledge)
    family = None
    generated = [distribution, goods, bids, players]
    if any(x is not None for x in generated):
        if files:
            raise click.UsageError("give FILES or generate instances (--distribution, --goods, --bids, --players), "
                                   "not both: files and generation options do not mix")
        if any(x is None for x in generated):
            raise click.UsageError("generated instances need --distribution, --goods, --bids and --players")
        if players == "bidders":
            count = None
        elif players.isdigit() and int(players) >= 1:
            count = int(players)
        else:
            raise click.BadParameter(f'"{players}": expected a number of players >= 1 or "bidders"',
                                     param_hint="'--players'")
        family = Family(distribution, goods, bids, count)
        if axis_spec.kind == "coalition-size" and count is not None:  # (checked before any work)
            from cabench.experiment import blamed_on_axis
            from instances.knowledge_models import parse_coalitions

            for value in axis_spec.values:
                try:
                    with blamed_on_axis(axis_spec, value):
                        parse_coalitions(axis_spec.point(value, knowledge, coalitions, coalition_count)[1], count)
                except CabenchError as exc:
                    raise click.BadParameter(str(exc).removeprefix("--axis "), param_hint="'--axis'") from None
    elif not files:
        raise click.UsageError("nothing to experiment on: give --distribution/--goods/--bids/--players, or FILES")
    made: list[Path] = []
    with new_folders_removed_on_error(output.parent), _drawn_kept_once_computed(made) as counted:
        count = len(axis_spec.values) * seeds * max(1, len(files))
        if count > MAX_INSTANCES:  # (before any list of them is made)
            raise click.BadParameter(f"{len(axis_spec.values)} points x {seeds} seeds"
                                     + (f" x {len(files)} files" if files else "")
                                     + f" = {count:,} instances; at most {MAX_INSTANCES:,}", param_hint="'--seeds'")
        check_output(output)
        design = design_of(axis_spec, family, knowledge, coalitions, coalition_count)
        check_design(output, check_results(output), design, axis_spec.kind, family)
        instances = experiment_files(instance_folder(output), axis_spec, list(range(first_seed, first_seed + seeds)),
                                     family=family, sources=list(files), knowledge=knowledge, coalitions=coalitions,
                                     coalition_count=coalition_count, made=made)
        notes: list[str] = []
        computed, skipped, proven = run_resumable(
            "experiment", lambda progress: run_sweep(instances, output, names, workers=workers, solver=solver,
                                                     time_limit=time_limit, progress=counted(progress), given=given,
                                                     notes=notes, experiment=True),
            output, "experiment: instances")
    code = finish_sweep("experiment", output, computed, skipped, proven, notes)
    click.echo(f"next: cabench plot {output}; cabench table {output} --format latex", err=True)
    return code


@contextlib.contextmanager
def _drawn_kept_once_computed(made: list[Path]) -> Iterator[Callable[[Progress], Progress]]:
    """Within the block the experiment draws its instance files (listed in ``made``) and sweeps
    them; if it fails before an instance is computed (a solver that cannot take them, Ctrl-C),
    the files and the folder it drew are removed, as a failing sweep leaves nothing. Once an
    instance is in the journal they stay, for the rerun. Yields what wraps the sweep's progress
    callback to notice that."""
    computed = [False]

    def counted(progress: Progress) -> Progress:
        def seen(done: int, total: int) -> None:
            computed[0] = computed[0] or done > 0
            progress(done, total)
        return seen

    def remove() -> None:
        from cabench.experiment import remove_made

        if not computed[0]:
            remove_made(made)

    forced = _forced_cleanups()
    forced.insert(0, remove)  # before the removal of the results' folders, which holds these
    try:
        yield counted
    except BaseException:
        remove()
        raise
    finally:
        forced.remove(remove)


@cli.command("table")
@click.argument("results", type=GivenPath(dir_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown", "latex"]), default="markdown",
              show_default=True, help="Markdown, LaTeX (booktabs: \\usepackage{booktabs}), CSV, JSON, or a table "
                                      "for reading.")
@click.option("--per-point", is_flag=True, help="One row per point of the knowledge axis too.")
@click.option("--digits", type=click.IntRange(min=1, max=12), default=3, show_default=True,
              help="Decimals of the means and intervals (CSV and JSON give them in full).")
@click.option("-o", "--output", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              callback=dash_is_stdout,
              help="Write the table to this file (atomically) instead of standard output ('-': standard output).")
def table_command(results, fmt, per_point, digits, output):
    """The paper's summary table of sweep or experiment RESULTS: per instance family and
    mechanism, n and the mean ± 95% confidence interval of E[REV] and E[SW] + E[REV] over the
    benchmark of the mechanism's theorem and over MSW, the bound, and the theorem's verdicts."""
    from cabench.cli import emit
    from cabench.formats import render, rich_table
    from cabench.render import PipeConsole
    from cabench.summary import load, summary_table
    from instances.files import check_output

    if fmt == "table" and output is not None:
        raise click.BadParameter("--format table is for reading on a terminal; choose another format with -o",
                                 param_hint="'--format'")
    with new_folders_removed_on_error(output.parent if output is not None else None):
        if output is not None:
            check_output(output, [results])
        table = summary_table(load(results), per_point, digits, source=results)
        if fmt != "table":
            emit(render([table], fmt), output)
    if fmt == "table":
        PipeConsole().print(rich_table(table))
        for note in table.notes:
            click.echo(note)
    elif output is not None:
        click.echo(str(output), err=True)
    return 0
