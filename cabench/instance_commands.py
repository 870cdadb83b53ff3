"""The commands of ``cabench`` on instance files: benchmarks, generate, import, annotate and
export. ``cabench.cli`` gathers them into its group."""

from __future__ import annotations

import gc
import warnings
from pathlib import Path

import click

from cabench.cli_common import (
    SECONDS,
    SEED,
    GivenPath,
    check_backend,
    check_folder,
    check_last_seed,
    coalition_knowledge_option,
    csv_folders_removed_on_error,
    csv_outputs,
    dash_is_stdout,
    emit,
    format_option,
    jobs_within_machine,
    json_asked,
    load_with_reading,
    named_a_folder,
    new_folders_removed_on_error,
    outputs_written_last,
    seed_unused,
    spec_errors,
)
from cabench.exit_codes import NOT_PROVEN
from ilp.contract import BACKEND_MODULES, DEFAULT_BACKEND, DEFAULT_WITNESSES, WITNESSES
from instances.files import atomic_write_text, readable_limit, readable_text

__all__ = ["MAX_COUNT", "annotate_command", "benchmarks_command", "export_command", "generate_command",
           "import_command"]

# As everywhere in the command modules, each command imports the library it runs inside its
# function, so that ``cabench --help`` and a command's own start load only what it needs (the
# same rule as in ``cabench.api``).


@click.command("benchmarks")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (same as --format json).")
@format_option
@click.option("--solver", default=DEFAULT_BACKEND, show_default=True, metavar="|".join(BACKEND_MODULES),
              help="Integer-programming backend (brute: subset DP, at most 12 goods).")
@click.option("--time-limit", type=SECONDS, default=None, metavar="SECONDS",
              help="Time limit per integer program; unproven values are withheld (exit 3).")
@click.option("--jobs", type=click.IntRange(min=1), default=None, callback=jobs_within_machine,
              help="Programs solved in parallel worker processes, at most 4 per core [default: the cores, "
                   "once the solves prove slow].")
@coalition_knowledge_option
@click.option("--players", "players", type=click.Choice(["auto", "summary", "all"]), default="auto",
              show_default=True, help="Per-player and per-coalition tables, in every --format but json: every "
                                      "player and coalition, or a summary with counts, the top 10 players by "
                                      "MIEW_i and the top 10 coalitions by MKW_A (auto: every one up to 20 players).")
@click.option("--players-csv", type=GivenPath(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also write one CSV line per player (benchmarks, MSW bundle, knowledge verdict); "
                   "- prints it on standard output instead of the report.")
@click.option("--coalitions-csv", type=GivenPath(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also write one CSV line per coalition (MKW_A, SW(BA^A), their statuses); "
                   "- prints it on standard output instead of the report.")
@click.option("--witnesses", type=click.Choice(WITNESSES), default=DEFAULT_WITNESSES, show_default=True,
              help="canonical: every witness is the optimal allocation with the lexicographically smallest "
                   "owner vector, the same whatever the solver, cores or run; solver: the solver's own optimum.")
def benchmarks_command(file: str, as_json: bool, fmt: str, solver: str, time_limit: float | None, jobs: int | None,
               coalition_knowledge: str, players: str, players_csv: Path | None, coalitions_csv: Path | None,
               witnesses: str) -> int:
    """Compute every benchmark of FILE: MSW, MIEW_i = BB_i, MIEW(K_I), BB, BB', MIKW_i,
    RK_A and MKW_A per agent, MKW, BA^A, MSW_-i, the lexicographically first optimal allocation,
    knowledge correctness and, for markets, the truthful outcome. FILE may be - for standard input."""
    csv_to_stdout = csv_outputs(as_json, {"--players-csv": players_csv, "--coalitions-csv": coalitions_csv})
    as_json = json_asked(as_json, fmt)
    check_backend(solver)
    from benchmarks.report import EarlyWelfare, compute_report
    from cabench.api import solve_options
    from cabench.progress import counting, wanted
    from ilp.batch import shared_workers

    # the CSVs' missing folders are made once the file is read (check_output below); an error or
    # an interruption after that (a program the solver refuses, Ctrl-C) removes them again
    with csv_folders_removed_on_error(players_csv, coalitions_csv):
        # with --jobs 2 or more the worker processes start now and get ready while the file is read
        with shared_workers(solve_options(solver, time_limit, jobs)) as options:
            # and once the valuations are read, MSW starts in them while the knowledge is read
            early = EarlyWelfare(options) if EarlyWelfare.wanted(options) else None
            instance = load_with_reading(file, coalition_knowledge, early.start if early is not None else None, solver)
            from instances.files import check_output

            for path, other in ((players_csv, None), (coalitions_csv, players_csv)):  # once the file is read
                if path is not None and str(path) != "-":  # (bad input creates no folder), before the solves
                    check_output(path, [file, other])
            # One report, then the process ends: what it has read and computed lives until then and
            # holds no cycles. Frozen, the cyclic collector never walks it (500 players with
            # knowledge: millions of objects, walked again by every full collection).
            gc.freeze()
            with counting("solving programs", wanted(as_json)) as progress:
                report = compute_report(instance, options, progress=progress, early=early, witnesses=witnesses)
        gc.freeze()
        with outputs_written_last() as put:  # (the CSVs take their places once the report is printed)
            for path, text in ((players_csv, report.players_csv), (coalitions_csv, report.coalitions_csv)):
                if path is not None:
                    put(text(), None if str(path) == "-" else path)
            if csv_to_stdout:
                pass  # the CSV printed above is the whole of standard output (csv_outputs)
            elif as_json:
                from cabench.formats import indented_json

                click.echo(indented_json(report.to_dict()))
            elif fmt != "table":
                from cabench.formats import render
                from cabench.tables import report_tables

                click.echo(render(report_tables(report, players), fmt), nl=False)
            else:
                from cabench.render import PipeConsole, print_report

                print_report(report, PipeConsole(soft_wrap=False), players)
                if coalition_knowledge != "bounds":
                    click.echo(f"Coalition knowledge read as: {coalition_knowledge} (pooled candidate sets)")
        return 0 if report.all_proven else NOT_PROVEN


MAX_COUNT = 10_000
"""Most instances of one ``generate --count``: they are all drawn before the first is written
(so that an error writes nothing), and 10,000 small ones take about half a minute; a count of
10^9 ran with memory growing until it was killed."""


@click.command("generate")
@click.option("--distribution", "-d", required=True, metavar="NAME",
              help="arbitrary, paths, regions, scheduling, matching, uniform, decay, weighted-random or table.")
@click.option("--goods", "-m", type=click.IntRange(min=1), required=True, help="Number of goods.")
@click.option("--bids", "-b", type=click.IntRange(min=1), required=True, help="Number of bids in all (XOR per player); "
              "ignored by -d table, whose players value every bundle.")
@click.option("--players", "-n", required=True, metavar="N|bidders",
              help="Number of players (bidders dealt round robin), or 'bidders': one player per bidder "
                   "as in CATS files (one per bid for uniform, decay, weighted-random).")
@click.option("--seed", type=SEED, default=0, show_default=True, help="Seed of the first instance.")
@click.option("--knowledge", default="none", show_default=True, metavar="MODEL",
              help="none, exact, noisy-lower:F, wrong:P or candidates:K.")
@click.option("--coalitions", default="none", show_default=True, metavar="MODEL", help="none, pairs:K or random:K:SIZE.")
@click.option("-o", "--output", type=GivenPath(path_type=Path), default=None,
              help="Output file (one instance) or directory (with --count); standard output by default or as -.",
              callback=dash_is_stdout)
@click.option("--count", type=click.IntRange(min=1, max=MAX_COUNT), default=1, show_default=True,
              help=f"Number of instances, with seeds SEED, SEED+1, ... (at most {MAX_COUNT:,}).")
def generate_command(distribution, goods, bids, players, seed, knowledge, coalitions, output, count) -> int:
    """Generate instance files from a bid distribution (see README, "Generating instances, CATS
    files, performance")."""
    from instances.files import check_output, text_writer, written_together
    from instances.generate import check_spec, generate_instance
    from instances.writer import instance_text

    if players == "bidders":
        players = None
    elif not players.isdigit() or int(players) < 1:
        raise click.BadParameter(f'"{players}": expected a number of players >= 1 or "bidders"', param_hint="'--players'")
    else:
        players = int(players)
    check_last_seed(seed, count, "'--seed'")
    if output is None and count > 1:
        raise click.BadParameter("--count above 1 needs -o DIRECTORY", param_hint="'-o'")
    folder = output is not None and (count > 1 or output.is_dir() or named_a_folder("output"))
    if count > 1 and output.suffix.lower() == ".json" and not output.is_dir() and not named_a_folder("output"):
        # (it made a folder named like a file: "-o out.json" meant one file)
        raise click.BadParameter(f"--count {count} writes one file per instance into a folder; {output} names a "
                                 "JSON file (give a folder, or leave --count out)", param_hint="'-o'")
    from cabench.provenance import with_record

    with new_folders_removed_on_error(output), spec_errors():
        check_spec(distribution, goods, bids, players, knowledge, coalitions)  # (what is wrong first)
        _fits_a_file(distribution, goods, bids, players, output)
        if output is not None:  # before computing: a bad output path costs nothing
            check_folder(output) if folder else check_output(output)
        # each file records how it was made, so sweep rows read it from there (never from the name)
        most = readable_limit(output / "x.json" if folder else output)[0]  # (the knowledge's file too)
        made = [with_record(generate_instance(distribution, goods, bids, players, seed + k, knowledge, coalitions,
                                              most),
                            distribution=distribution, goods=goods, bids=bids,
                            players=players if players is not None else "bidders", seed=seed + k,
                            knowledge=knowledge, coalitions=coalitions)
                for k in range(count)]
        advice = "ask for fewer bids or players" + (", or draw less knowledge" if knowledge != "none" else "")
        if output is None:
            click.echo(readable_text(instance_text(made[0]), output, advice), nl=False)
        elif folder:
            texts = [readable_text(instance_text(inst), output / f"{inst.name}.json", advice) for inst in made]
            # all the files or none: written one by one, a Ctrl-C or a full disk part-way left some
            # of them, in a folder the command had made (found by a user's audit)
            with written_together() as stage:
                for inst, text in zip(made, texts):
                    stage(output / f"{inst.name}.json", text_writer(text))
            click.echo(f"wrote {len(made)} instance(s) to {output}", err=True)
        else:
            atomic_write_text(output, readable_text(instance_text(made[0]), output, advice))
    return 0


def _fits_a_file(distribution: str, goods: int, bids: int, players: int | None, output: Path | None) -> None:
    """A SpecError, before anything is drawn, when no file of these sizes could be read back
    (``output`` None: standard output, which a pipe may take to ``-``, read up to more): every
    bid takes at least 13 bytes (``[["g1"], 1], ``), every player
    ``instances.generate.PLAYER_BYTES``, a full table 3 per bundle. ``generate -b 100000000``
    drew bids for minutes before the written size was known; a size under this floor is still
    checked on the text itself (``instances.files.readable_text``). Too many players alone are
    refused before, by ``instances.generate.check_spec``: beyond that, bids or tables are too many."""
    from instances.generate import PLAYER_BYTES
    from instances.knowledge_models import SpecError

    table = distribution == "table"
    least = PLAYER_BYTES * (players or 1) + (3 * 2 ** goods * (players or 1) if table else 13 * bids)
    limit, where = readable_limit(output)
    if least > limit:
        flag = "--players" if table else "--bids"
        raise SpecError(f"{flag}: an instance of these sizes takes at least {least / 1e6:,.0f} MB as a file, above "
                        f"the {limit // 2**20} MiB that cabench reads {where}; ask for fewer bids or players")


_knowledge_option = click.option("--knowledge", default=None, metavar="MODEL",
                                 help="Draw knowledge: none, exact, noisy-lower:F, wrong:P or candidates:K.")
_coalitions_option = click.option("--coalitions", default=None, metavar="MODEL",
                                  help="Draw coalitions: none, pairs:K or random:K:SIZE.")
_seed_option = click.option("--seed", type=SEED, default=0, show_default=True,
                            help="Seed of the knowledge and coalition draws (same seed, same bytes).")


def _power_of_ten(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """``--scale``: a power of ten from 1 to 10^9, refused as the option's value (it was refused
    later in the file's name, as if the file were at fault)."""
    from instances.units import MAX_SCALE, is_power_of_ten

    if value is not None and (not is_power_of_ten(value) or value > MAX_SCALE):
        raise click.BadParameter(f"expected a power of ten from 1 to 10^9 (1, 10, 100, ...), got {value}")
    return value


@click.command("import")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["cats"]), default="cats", show_default=True, help="Input format.")
@click.option("--scale", type=click.IntRange(min=1), default=None, callback=_power_of_ten,
              help="Multiply prices by this power of ten [default: the scale a file written by cabench export names, "
                   "else the smallest that makes every price an integer].")
@click.option("--round", "round_digits", type=click.IntRange(min=0, max=9), default=None, metavar="DIGITS",
              help="Round prices to DIGITS decimals first.")
@_knowledge_option
@_coalitions_option
@_seed_option
@click.option("-o", "--output", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              help="Output instance file; standard output by default or as -.",
              callback=dash_is_stdout)
def import_command(file, fmt, scale, round_digits, knowledge, coalitions, seed, output) -> int:
    """Convert a CATS file into a cabench instance (bids sharing a dummy good form one XOR).
    Prices keep their exact value: the instance records the power of ten ("scale") that made
    them integers. FILE may be - for standard input."""
    from cabench.provenance import annotated, imported
    from instances.cats import GoodsBeyondHeader, RoundedToZero, read_cats
    from instances.files import check_output
    from instances.knowledge_models import annotate
    from instances.writer import instance_text

    if knowledge in (None, "none") and coalitions in (None, "none"):
        seed_unused("the seed drives the knowledge and coalition draws, and neither is asked for "
                    "(--knowledge and --coalitions are none)")
    with new_folders_removed_on_error(output):
        if output is not None:
            check_output(output, [file])  # before reading: a bad output path costs nothing
        with warnings.catch_warnings(record=True) as noted:
            warnings.simplefilter("always", GoodsBeyondHeader)
            warnings.simplefilter("always", RoundedToZero)
            instance = imported(read_cats(file, scale, round_digits), file)
        for note in noted:  # (the goods read differently from the header, prices rounded to 0: said, not silent)
            click.echo(f"cabench import: note: {note.message}", err=True)
        with spec_errors():  # (the record kept true, as annotate keeps it: the same bytes as import then annotate)
            instance = annotated(annotate(instance, knowledge, coalitions, seed, most_bytes=readable_limit(output)[0]),
                                 knowledge, coalitions, seed)
        advice = ("draw the knowledge on fewer players or bids" if knowledge not in (None, "none") else
                  "its bids are more than one instance file holds; import fewer of them")  # (it said to draw less)
        emit(readable_text(instance_text(instance), output, advice), output)
    return 0


@click.command("annotate")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@_knowledge_option
@_coalitions_option
@_seed_option
@click.option("--replace", is_flag=True, help="Replace knowledge (and coalitions) that FILE already has.")
@click.option("-o", "--output", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              help="Output instance file (may be FILE itself); standard output by default or as -.",
              callback=dash_is_stdout)
def annotate_command(file, knowledge, coalitions, seed, replace, output) -> int:
    """Write FILE with knowledge and coalitions drawn by the models of `generate` (see README,
    "Knowledge models"), for any valuation form. FILE may be - for standard input."""
    from cabench.provenance import annotated
    from instances.files import check_output
    from instances.knowledge_models import annotate
    from instances.loader import load_instance
    from instances.writer import instance_text

    if knowledge is None and coalitions is None:
        raise click.UsageError("nothing to draw: give --knowledge MODEL, --coalitions MODEL or both")
    with new_folders_removed_on_error(output):
        if output is not None:
            check_output(output)
        instance = load_instance(file)
        with spec_errors():
            instance = annotated(annotate(instance, knowledge, coalitions, seed, replace, readable_limit(output)[0]),
                                 knowledge, coalitions, seed)
        emit(readable_text(instance_text(instance), output), output)
    return 0


@click.command("export")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["cats"]), default="cats", show_default=True, help="Output format.")
@click.option("-o", "--output", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              help="Output file; standard output by default or as -.",
              callback=dash_is_stdout)
def export_command(file, fmt, output) -> int:
    """Write an instance whose valuations are XOR bids as a CATS file, prices divided by the
    instance's scale (knowledge is dropped). FILE may be - for standard input."""
    from cabench.provenance import read_record
    from instances.cats import write_cats
    from instances.files import check_output
    from instances.loader import load_instance

    with new_folders_removed_on_error(output):
        if output is not None:
            check_output(output, [file])
        instance = load_instance(file)
        distribution = read_record(instance).get("distribution")
        emit(write_cats(instance, distribution if isinstance(distribution, str) else None), output)
    return 0
