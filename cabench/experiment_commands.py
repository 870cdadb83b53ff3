"""The commands of ``cabench`` that run and read many instances: sweep, experiment, table and
plot. ``cabench.cli`` gathers them into its group."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import click

from cabench.cli_common import (
    SEED,
    GivenPath,
    check_backend,
    check_folder,
    check_last_seed,
    comma_list,
    dash_is_stdout,
    emit,
    forced_cleanups,
    given_params,
    mechanism_list,
    new_folders_removed_on_error,
    no_dash,
    param_many_option,
    say_stopped,
    solver_option,
    spec_errors,
    time_limit_option,
    workers_within_machine,
)
from cabench.exit_codes import NOT_PROVEN
from instances import CabenchError

__all__ = ["DEFAULT_MECHANISMS", "MAX_INSTANCES", "Progress", "experiment_command", "finish_sweep", "plot_command",
           "run_resumable", "sweep_command", "table_command"]


def run_resumable(command: str, run, output: Path, label: str):
    """Run a sweep-like ``run(progress)`` with a progress bar on a terminal; on Ctrl-C or
    SIGTERM, one line on standard error saying what is kept and how to resume."""
    from cabench.progress import counting, wanted

    finished = [0]
    from cabench.sweep import journal_of

    journal = journal_of(output)
    before = _lines(journal)
    with counting(label, wanted()) as update:
        def progress(done: int, total: int) -> None:
            finished[0] = done
            update(done, total)

        try:
            return run(progress)
        except KeyboardInterrupt:
            # what the journal holds decides (an interruption just after an instance was written
            # there, before the count, said none was kept)
            done = max(finished[0], _lines(journal) - before)
            kept = (f"{done} instance(s) computed in this run are kept (in {journal})"
                    if done else "no instance was computed in this run")  # (no journal is left then)
            say_stopped(f"cabench {command}: interrupted; {kept}; run the same command again to resume")
            raise


def _lines(journal: Path) -> int:
    """The whole lines of a sweep's journal (one per instance recorded), 0 if there is none."""
    try:
        return journal.read_bytes().count(b"\n")
    except OSError:
        return 0


def finish_sweep(command: str, output: Path, computed: int, skipped: int, proven: bool,
                 notes: Sequence[str] = ()) -> int:
    for note in notes:
        click.echo(f"cabench {command}: note: {note}", err=True)
    click.echo(f"{computed} instance(s) computed, {skipped} already in {output}", err=True)
    if not proven:
        click.echo(f"cabench {command}: some programs were not proven optimal within the time limit (rows with "
                   f"proven = False); a run with a larger --time-limit computes them again", err=True)
        return NOT_PROVEN
    return 0


@click.command("sweep")
@click.argument("source", metavar="DIR_OR_GLOB", type=GivenPath(path_type=str))
@click.option("--mechanisms", default="", metavar="LIST|all",
              help="Comma-separated mechanisms to evaluate on every instance (default: benchmarks only).")
@param_many_option
@click.option("--executor", type=click.Choice(["local", "dask"]), default="local", show_default=True,
              help="Where instances run: local worker processes, or a Dask cluster (see --scheduler).")
@click.option("--scheduler", default=None, metavar="ADDRESS", help="Dask scheduler to connect to (dask executor).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, callback=workers_within_machine,
              help="Parallel workers; each races solvers on its share of the cores.")
@click.option("-o", "--output", required=True, type=GivenPath(dir_okay=False, path_type=Path),
              help="Results file, .csv or .parquet; an existing one is resumed.")
@solver_option
@time_limit_option
def sweep_command(source, mechanisms, param_values, executor, scheduler, workers, output, solver, time_limit):
    """Benchmark table (and mechanism evaluations) of every instance, resumable, into one table.
    DIR_OR_GLOB: a folder (its *.json instance files and *.txt CATS files, read as `import`
    reads them), a file, or a glob."""
    from cabench.sweep import check_results_name, instance_files, run_sweep

    names = mechanism_list(mechanisms)
    given = given_params(param_values, names)
    check_backend(solver)
    files = instance_files(source)
    if scheduler is not None and executor != "dask":
        raise click.BadParameter("a scheduler is for --executor dask", param_hint="'--scheduler'")
    check_results_name(output)
    notes: list[str] = []
    with new_folders_removed_on_error(output.parent):
        computed, skipped, proven = run_resumable(
            "sweep", lambda progress: run_sweep(files, output, names, executor=executor, workers=workers,
                                                scheduler=scheduler, solver=solver, time_limit=time_limit,
                                                progress=progress, given=given, notes=notes),
            output, "sweeping instances")
    return finish_sweep("sweep", output, computed, skipped, proven, notes)


@click.command("plot")
@click.argument("results", type=GivenPath(dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=GivenPath(file_okay=False, path_type=Path), default=Path("figures"), callback=no_dash,
              show_default=True, help="Folder for the figures.")
@click.option("--style", type=click.Choice(["one-column", "two-column"]), default="two-column", show_default=True,
              help="Width of the figures: one column of a two-column paper (3.5 in), or the full width (7 in).")
@click.option("--formats", default="pdf,svg,png", show_default=True, metavar="LIST",
              help="File formats (pdf, svg, png at 300 dpi).")
def plot_command(results, output, style, formats):
    """Draw the standard figures of a sweep or an experiment: the
    knowledge-quality figure, shares of each theorem's benchmark with 95% confidence intervals,
    collusion and solve time; prints the files written."""
    from cabench.plot import FORMATS, plot_results
    from cabench.summary import pending_note

    chosen = tuple(comma_list(formats, "'--formats'"))
    if not chosen or not set(chosen) <= set(FORMATS):
        raise click.BadParameter(f'"{formats}": expected some of {", ".join(FORMATS)}', param_hint="'--formats'")
    notes: list[str] = []
    with new_folders_removed_on_error(output):
        check_folder(output)
        for figure in plot_results(results, output, style, chosen, notes):
            for path in figure.paths:
                click.echo(str(path))
    pending = pending_note(results)
    notes += [pending] if pending is not None else []
    for note in notes:  # (standard error: standard output lists the files written)
        click.echo(f"cabench plot: note: {note}", err=True)
    return 0


MAX_INSTANCES = 100_000
"""At most this many instance files per experiment (points x seeds x files): each is a file and a
row of every mechanism, and the list of seeds was built before anything was checked (a billion
seeds took 24 GB)."""

Progress = Callable[[int, int], None]
DEFAULT_MECHANISMS = "best-belief,surviving-strategies,mixed-second-price,collusion-leveraging"


@click.command("experiment")
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
@click.option("--first-seed", type=SEED, default=0, show_default=True,
              help="The first seed of each axis point (see --seeds).")
@click.option("--knowledge", default="exact", show_default=True, metavar="MODEL",
              help="Knowledge when the axis is coalition-size.")
@click.option("--coalitions", default="none", show_default=True, metavar="MODEL",
              help="Coalitions when the axis is a knowledge model: none, pairs:K or random:K:SIZE.")
@click.option("--coalition-count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Coalitions drawn at each point of the coalition-size axis.")
@click.option("--mechanisms", default=DEFAULT_MECHANISMS, show_default=True, metavar="LIST|all",
              help="Mechanisms to evaluate; vcg and second-price-bundle are always added as baselines.")
@param_many_option
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, callback=workers_within_machine,
              help="Parallel workers; each races solvers on its share of the cores.")
@click.option("-o", "--output", required=True, type=GivenPath(dir_okay=False, path_type=Path),
              help="Results file, .csv or .parquet; an existing one is resumed. Instance files go to "
                   "OUTPUT.instances/.")
@solver_option
@time_limit_option
def experiment_command(files, axis, distribution, goods, bids, players, seeds, first_seed, knowledge, coalitions,
                       coalition_count, mechanisms, param_values, workers, output, solver, time_limit):
    """Vary the knowledge along --axis, several seeds per point, on generated instances or on
    FILES (instance files, or CATS files read as `import` reads them), and evaluate the
    mechanisms (plus VCG and the second-price bundle auction) into one tidy table with full
    provenance; then `cabench plot` and `cabench table` it."""
    from cabench.experiment import (
        BASELINES,
        Family,
        check_design,
        design_of,
        experiment_files,
        instance_folder,
        parse_axis,
    )
    from cabench.sweep import check_results, check_results_name, results_lock, run_sweep
    from instances.files import check_output
    from instances.knowledge_models import parse_knowledge

    try:
        axis_spec = parse_axis(axis)
    except CabenchError as exc:  # as every command's flag errors: "cabench experiment: Invalid value for '--axis': ..."
        raise click.BadParameter(str(exc).removeprefix("--axis: "), param_hint="'--axis'") from None
    check_last_seed(first_seed, seeds, "'--first-seed'")
    names = mechanism_list(mechanisms)
    names += [b for b in BASELINES if b not in names]
    given = given_params(param_values, names)
    check_backend(solver)
    check_results_name(output)
    with spec_errors():  # (one line with the command's prefix, as generate says it)
        parse_knowledge(knowledge)
    family = None
    generated = [distribution, goods, bids, players]
    if any(x is not None for x in generated):
        if files:
            raise click.UsageError("give FILES or generate instances (--distribution, --goods, --bids, --players), "
                                   "not both: files and generation options do not mix")
        if any(x is None for x in generated):
            flags = ("--distribution", "--goods", "--bids", "--players")
            missing = [flag for flag, x in zip(flags, generated) if x is None]
            raise click.UsageError(f"generated instances need --distribution, --goods, --bids and --players; "
                                   f"missing: {', '.join(missing)}")
        if players == "bidders":
            count = None
        elif players.isdigit() and int(players) >= 1:
            count = int(players)
        else:
            raise click.BadParameter(f'"{players}": expected a number of players >= 1 or "bidders"',
                                     param_hint="'--players'")
        family = Family(distribution, goods, bids, count)
        from instances.generate import check_spec

        with spec_errors():  # (before the results' design: a typo in the name was reported as another design)
            check_spec(distribution, goods, bids, count)
        if axis_spec.kind == "coalition-size" and count is not None:  # (checked before any work)
            from cabench.experiment import blamed_on_axis
            from instances.knowledge_models import parse_coalitions

            for value in axis_spec.values:
                with spec_errors(), blamed_on_axis(axis_spec, value):
                    parse_coalitions(axis_spec.point(value, knowledge, coalitions, coalition_count)[1], count)
    elif not files:
        raise click.UsageError("nothing to experiment on: give --distribution/--goods/--bids/--players, or FILES")
    made: list[Path] = []
    with new_folders_removed_on_error(output.parent):
        count = len(axis_spec.values) * seeds * max(1, len(files))
        if count > MAX_INSTANCES:  # (before any list of them is made)
            raise click.BadParameter(f"{len(axis_spec.values)} points x {seeds} seeds"
                                     + (f" x {len(files)} files" if files else "")
                                     + f" = {count:,} instances; at most {MAX_INSTANCES:,}", param_hint="'--seeds'")
        check_output(output)
        # the results' lock before the instances are drawn: a second experiment into the same
        # results drew (and rewrote) every instance file of the running one before the sweep
        # refused it, then removed those it thought it had made, the running one's among them
        with results_lock(output), _drawn_kept_once_computed(made) as counted:
            design = design_of(axis_spec, family, knowledge, coalitions, coalition_count)
            check_design(output, check_results(output), design, axis_spec.kind, family)
            from cabench.progress import counting, wanted

            # (a knowledge too large to draw was a line without the command's prefix)
            with spec_errors(), counting("experiment: drawing", wanted()) as drawing:
                instances = experiment_files(instance_folder(output), axis_spec,
                                             list(range(first_seed, first_seed + seeds)), family=family,
                                             sources=list(files), knowledge=knowledge, coalitions=coalitions,
                                             coalition_count=coalition_count, made=made, progress=drawing)
            notes: list[str] = []
            computed, skipped, proven = run_resumable(
                "experiment", lambda progress: run_sweep(instances, output, names, workers=workers, solver=solver,
                                                         time_limit=time_limit, progress=counted(progress),
                                                         given=given, notes=notes, experiment=True, locked=True),
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

    forced = forced_cleanups()
    forced.insert(0, remove)  # before the removal of the results' folders, which holds these
    try:
        yield counted
    except BaseException:
        remove()
        raise
    finally:
        forced.remove(remove)


@click.command("table")
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
    benchmark of the mechanism's theorem, of E[SW] + E[REV] over MSW, the bound, and the
    theorem's verdicts."""
    from cabench.formats import render, rich_table
    from cabench.render import PipeConsole
    from cabench.summary import load, pending_note, summary_table
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
    pending = pending_note(results)
    if pending is not None:  # (standard error: the table may be piped on)
        click.echo(f"cabench table: note: {pending}", err=True)
    return 0
