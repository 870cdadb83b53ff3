"""The ``cabench`` command line.

Exit codes: 0 success; 2 bad input (a one-line message naming the file and JSON path, or the
flag); 3 some program was not proven optimal within ``--time-limit`` (its value is withheld);
4 ``evaluate`` found a guarantee that does not hold; 1 an internal error (a bug: please report it).
The group and the commands on instance files live here; the mechanism commands (evaluate, outcome,
deviate, game, sweep, plot) are in ``cabench.mechanism_commands`` and join the same group. The
exit statuses are named in ``cabench.exit_codes``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import gc
import os
import re
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING

import click

from benchmarks.results import NotProvenError
from cabench.exit_codes import BAD_INPUT, INTERNAL_ERROR, NOT_PROVEN, after_signal
from ilp.contract import BACKEND_MODULES, DEFAULT_BACKEND, DEFAULT_WITNESSES, WITNESSES, SolverError
from instances.errors import CabenchError
from instances.files import atomic_write_text
from instances.model import READINGS

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from instances.model import Instance

# (not the commands benchmarks, generate and perf: a star import would shadow the packages named so)
__all__ = ["CLEANUPS", "GivenPath", "NoArgsIsHelp", "OPTIONAL_PACKAGES", "SECONDS", "Seconds", "annotate_command",
           "check_backend", "check_folder", "cli", "coalition_knowledge_option", "csv_folders_removed_on_error",
           "csv_outputs", "dash_is_stdout", "emit", "export_command", "format_option", "import_command",
           "jobs_within_machine", "json_asked", "load_with_reading", "main", "new_folders_removed_on_error",
           "no_dash", "optional_package", "signal_name", "spec_errors"]

# At its top this module (and every module of commands) imports only what each start needs: click,
# the flags' choices and the errors main() reports; each command imports the library it runs. So
# `cabench --help` or a bad flag loads none of numpy, the solvers or the mechanisms: 0.37 -> 0.14 s
# (2026-12-02, 2 shared cores, load 2.8); tests/test_imports.py keeps it so.


def check_backend(name: str, flag: str = "'--solver'") -> None:
    """A solver flag naming an unknown or unavailable backend is bad input (exit 2)."""
    from ilp.backends import get_backend

    try:
        get_backend(name)
    except CabenchError as exc:
        raise click.BadParameter(str(exc), param_hint=flag) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cabench")
def cli() -> None:
    """cabench: exact knowledge benchmarks of combinatorial auctions, and the robust mechanisms
    that target them (the project's README is the manual).

    Papers are cited as seed 000: Chen, Micali, Valiant (2009), Robustly Leveraging Collusion in
    Combinatorial Auctions; seed 001: Chen, Micali (2008), Knowledge Benchmarks in Adversarial
    Mechanism Design; seed 002: Chen, Hassidim, Micali (2011), Robust Perfect Revenue From
    Perfectly Informed Players; seed 003: Azar, Chen, Micali (2011), Budget-Balanced
    Maximization of Social Welfare; seed 004: Chen, Micali (2016), Leveraging Possibilistic
    Beliefs in Unrestricted Combinatorial Auctions."""


format_option = click.option(
    "--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown", "latex"]), default="table",
    show_default=True, help="Output format: a table for reading (full numbers when not on a terminal), JSON, "
                            "CSV, Markdown or LaTeX (booktabs).")

coalition_knowledge_option = click.option(
    "--coalition-knowledge", type=click.Choice(READINGS), default="bounds", show_default=True,
    help="How coalitions pool candidate sets: bounds (max over members of each one's guaranteed value, "
         "seed 000 Def. 1) or sets (intersect the members' candidate sets; see README).")


class Seconds(click.FloatRange):
    """A positive number of seconds (``--time-limit``). click's FloatRange lets ``nan`` through
    (every comparison with it is false), which then surfaced as a solver's error or was taken
    silently; ``inf`` stays allowed: no limit."""

    name = "seconds"

    def convert(self, value, param, ctx):
        seconds = super().convert(value, param, ctx)
        if seconds != seconds:  # nan
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        return seconds


SECONDS = Seconds(min=0, min_open=True)


class GivenPath(click.Path):
    """click's Path, refusing an empty one: click reads ``''`` as the current folder, so
    ``-o "$OUT"`` with OUT unset wrote into it and ``sweep ""`` read it."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value:
            self.fail("an empty path (an unset shell variable?)", param, ctx)
        return super().convert(value, param, ctx)


def jobs_within_machine(ctx: click.Context, param: click.Parameter, value: int | None) -> int | None:
    """``--jobs``, refused (exit 2) above ``cabench.api.JOBS_PER_CORE`` per core of this machine
    (``cabench.api.check_jobs``, the API's own check)."""
    from cabench.api import ArgumentError, check_jobs

    try:
        return check_jobs(value)
    except ArgumentError as exc:
        raise click.BadParameter(str(exc)) from None


def load_with_reading(file: str, coalition_knowledge: str, on_valuations=None, solver: str | None = None) -> Instance:
    """Load FILE and set how its coalitions pool knowledge (``benchmarks.knowledge``);
    ``on_valuations``: see ``instances.load_instance``. With ``solver`` brute, an instance of
    more goods than the brute force takes is refused naming FILE (the refusal came from the
    first program that reached it, without the file's name, and a command whose programs all
    took a shortcut ran without it)."""
    from ilp.brute import MAX_GOODS
    from instances.loader import load_instance

    instance = load_instance(file, on_valuations)
    if solver == "brute" and instance.m > MAX_GOODS:
        where = "standard input" if file == "-" else file
        raise click.BadParameter(f"brute handles at most {MAX_GOODS} goods; {where} has {instance.m}; use --solver "
                                 "cpsat or cbc", param_hint="'--solver'")
    return dataclasses.replace(instance, coalition_knowledge=coalition_knowledge)


@cli.command()
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
def benchmarks(file: str, as_json: bool, fmt: str, solver: str, time_limit: float | None, jobs: int | None,
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
        for path, text in ((players_csv, report.players_csv), (coalitions_csv, report.coalitions_csv)):
            if path is not None:
                emit(text(), None if str(path) == "-" else path)
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


def json_asked(as_json: bool, fmt: str) -> bool:
    """Whether JSON is asked for: ``--json`` (which is ``--format json``) or ``--format json``;
    ``--json`` with another ``--format`` is refused (exit 2) rather than one of them winning
    without a word ("--json --format csv" printed JSON)."""
    source = click.get_current_context().get_parameter_source
    if as_json and fmt != "json" and source("fmt") is not click.core.ParameterSource.DEFAULT:
        raise click.BadParameter(f"--json is --format json; it cannot be given with --format {fmt}",
                                 param_hint="'--format'")
    return as_json or fmt == "json"


def csv_outputs(as_json: bool, outputs: dict[str, Path | None]) -> bool:
    """Check, before anything is read, that at most one thing goes to standard output. A CSV
    given as ``-`` is printed on standard output instead of the report (returns True); that is
    refused as ambiguous when the report's format is asked for too (``--json``, ``--format``),
    or when both CSVs are ``-`` (exit 2)."""
    dashed = [flag for flag, path in outputs.items() if path is not None and str(path) == "-"]
    if len(dashed) > 1:
        raise click.UsageError(f"{' and '.join(dashed)} both name standard output (-); give one of them a file name")
    named = [(flag, Path(path)) for flag, path in outputs.items() if path is not None and str(path) != "-"]
    if len(named) == 2 and os.path.abspath(named[0][1]) == os.path.abspath(named[1][1]):
        raise click.UsageError(f"{named[0][0]} and {named[1][0]} both name {named[0][1]}; give each its own file")
    source = click.get_current_context().get_parameter_source
    if dashed and (as_json or source("fmt") is not click.core.ParameterSource.DEFAULT):
        raise click.BadParameter("- prints the CSV on standard output instead of the report, and the report's "
                                 "format was asked for too; give the CSV a file name", param_hint=f"'{dashed[0]}'")
    return bool(dashed)


def check_folder(folder: Path) -> Path:
    """An output folder that exists or can be created, and can be written (checked before any
    computing; :class:`OutputError`, exit 2, otherwise)."""
    from instances.files import OutputError, check_output

    if folder.exists() and not folder.is_dir():
        raise OutputError(folder, "it is not a folder")
    probe = folder / ".cabench-check"
    try:
        check_output(probe)
    except OutputError as exc:  # (named the probe, a file the user never asked for)
        raise OutputError(folder, str(exc).removeprefix(f"{probe}: cannot write: ")) from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(folder, "the folder is not writable")
    return folder


def no_dash(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An ``-o`` that cannot be standard output (a Gambit file beside a printed table, a folder of
    figures) refuses ``-`` instead of writing a file or folder named -."""
    if value is not None and str(value) == "-":
        raise click.BadParameter("standard output ('-') is not available here; name a file or folder")
    return value


def dash_is_stdout(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    """An ``-o`` given as ``-`` is standard output, as when it is left out (never a file named -);
    so is ``benchmarks --players-csv -``."""
    return None if value is not None and str(value) == "-" else value


@cli.command()
@click.option("--distribution", "-d", required=True, metavar="NAME",
              help="arbitrary, paths, regions, scheduling, matching, uniform, decay, weighted-random or table.")
@click.option("--goods", "-m", type=click.IntRange(min=1), required=True, help="Number of goods.")
@click.option("--bids", "-b", type=click.IntRange(min=1), required=True, help="Number of bids in all (XOR per player).")
@click.option("--players", "-n", required=True, metavar="N|bidders",
              help="Number of players (bidders dealt round robin), or 'bidders': one player per bidder "
                   "as in CATS files (one per bid for uniform, decay, weighted-random).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of the first instance.")
@click.option("--knowledge", default="none", show_default=True, metavar="MODEL",
              help="none, exact, noisy-lower:F, wrong:P or candidates:K.")
@click.option("--coalitions", default="none", show_default=True, metavar="MODEL", help="none, pairs:K or random:K:SIZE.")
@click.option("-o", "--output", type=GivenPath(path_type=Path), default=None,
              help="Output file (one instance) or directory (with --count); standard output by default or as -.",
              callback=dash_is_stdout)
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="Number of instances, with seeds SEED, SEED+1, ...")
def generate(distribution, goods, bids, players, seed, knowledge, coalitions, output, count) -> int:
    """Generate instance files from a bid distribution (see README, "Generating instances")."""
    from instances.files import check_output
    from instances.generate import check_spec, generate_instance
    from instances.writer import instance_text

    if players == "bidders":
        players = None
    elif not players.isdigit() or int(players) < 1:
        raise click.BadParameter(f'"{players}": expected a number of players >= 1 or "bidders"', param_hint="'--players'")
    else:
        players = int(players)
    if output is None and count > 1:
        raise click.BadParameter("--count above 1 needs -o DIRECTORY", param_hint="'-o'")
    if count > 1 and output.suffix.lower() == ".json" and not output.is_dir():
        # (it made a folder named like a file: "-o out.json" meant one file)
        raise click.BadParameter(f"--count {count} writes one file per instance into a folder; {output} names a "
                                 "JSON file (give a folder, or leave --count out)", param_hint="'-o'")
    from cabench.provenance import with_record

    with new_folders_removed_on_error(output), spec_errors():
        check_spec(distribution, goods, bids, players, knowledge, coalitions)  # (what is wrong first)
        _fits_a_file(distribution, goods, bids, players)
        if output is not None:  # before computing: a bad output path costs nothing
            check_folder(output) if count > 1 or output.is_dir() else check_output(output)
        # each file records how it was made, so sweep rows read it from there (never from the name)
        made = [with_record(generate_instance(distribution, goods, bids, players, seed + k, knowledge, coalitions),
                            distribution=distribution, goods=goods, bids=bids,
                            players=players if players is not None else "bidders", seed=seed + k,
                            knowledge=knowledge, coalitions=coalitions)
                for k in range(count)]
        advice = "ask for fewer bids or players" + (", or draw less knowledge" if knowledge != "none" else "")
        if output is None:
            click.echo(_readable(instance_text(made[0]), output, advice), nl=False)
        elif count > 1 or output.is_dir():
            texts = [_readable(instance_text(inst), output / f"{inst.name}.json", advice) for inst in made]
            for inst, text in zip(made, texts):
                atomic_write_text(output / f"{inst.name}.json", text)
            click.echo(f"wrote {len(made)} instance(s) to {output}", err=True)
        else:
            atomic_write_text(output, _readable(instance_text(made[0]), output, advice))
    return 0


@contextlib.contextmanager
def new_folders_removed_on_error(path: Path | None) -> Iterator[None]:
    """Within the block, checking an output (``check_output``, ``check_folder``) creates its
    missing folders before computing; if the block fails (a bad spec found while computing, bad
    input, an interruption), the folders it created are removed again, those still empty, so
    that an error writes nothing."""
    missing = [] if path is None else [f for f in [path, *path.parents] if not f.exists()]  # deepest first

    def remove() -> None:
        for folder in missing:
            if folder.is_dir() and not folder.is_symlink():
                with contextlib.suppress(OSError):  # not empty, or not ours to remove: kept
                    folder.rmdir()

    # a signal while a solver's C code holds this thread ends the process from the signal thread
    # (``ilp.lifetime.interruptible``), where no ``except`` runs: ``main`` calls it there
    forced = _forced_cleanups()
    forced.append(remove)
    try:
        yield
    except BaseException:
        remove()
        raise
    finally:
        forced.remove(remove)


def _forced_cleanups() -> list[Callable[[], None]]:
    """What ``main`` runs before a forced end (the command's context's own list; a fresh one,
    never run, outside ``main``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.setdefault(CLEANUPS, []) if ctx is not None else []


CLEANUPS = "cabench.forced_cleanups"
"""The key of :func:`_forced_cleanups`' list in click's context ``meta`` (shared by subcommands)."""


@contextlib.contextmanager
def csv_folders_removed_on_error(*paths: Path | None) -> Iterator[None]:
    """:func:`new_folders_removed_on_error` for each output file of ``paths`` (None and ``-``,
    standard output, have no folder): the folders made for them are removed again, those still
    empty, if the block fails."""
    with contextlib.ExitStack() as stack:
        for path in paths:
            if path is not None and str(path) != "-":
                stack.enter_context(new_folders_removed_on_error(Path(path).parent))
        yield


@contextlib.contextmanager
def spec_errors() -> Iterator[None]:
    """Report a bad ``--knowledge``, ``--coalitions``, ``--distribution``... as the flag errors of
    every command are reported (``cabench CMD: Invalid value for '--flag': ...``, exit 2): the
    models' :class:`SpecError` names its flag at the start of its message (``--flag: what``, or
    ``--flag VALUE: what``). Errors about a file (it already has knowledge) stay as they are."""
    from instances.knowledge_models import SpecError

    try:
        yield
    except SpecError as exc:
        head, sep, what = str(exc).partition(": ")
        if not head.startswith("--") or not sep:
            raise
        flag, _, value = head.partition(" ")
        flag = flag.rstrip(",")
        raise click.BadParameter(f'"{value}": {what}' if value and not value.startswith("--") else what,
                                 param_hint=f"'{flag}'") from None


def _fits_a_file(distribution: str, goods: int, bids: int, players: int | None) -> None:
    """A SpecError, before anything is drawn, when no file of these sizes could be read back:
    every bid takes at least 13 bytes (``[["g1"], 1], ``), every player
    ``instances.generate.PLAYER_BYTES``, a full table 3 per bundle. ``generate -b 100000000``
    drew bids for minutes before the written size was known; a size under this floor is still
    checked on the text itself (:func:`_readable`). Too many players alone are refused before,
    by ``instances.generate.check_spec``: beyond that, bids or tables are too many."""
    from instances.files import MAX_INPUT_BYTES
    from instances.generate import PLAYER_BYTES
    from instances.knowledge_models import SpecError

    table = distribution == "table"
    least = PLAYER_BYTES * (players or 1) + (3 * 2 ** goods * (players or 1) if table else 13 * bids)
    if least > MAX_INPUT_BYTES:
        flag = "--players" if table else "--bids"
        raise SpecError(f"{flag}: an instance of these sizes takes at least {least / 1e6:,.0f} MB as a file, above "
                        f"the {MAX_INPUT_BYTES // 2**20} MiB that cabench reads; ask for fewer bids or players")


def _readable(text: str, output: Path | None, advice: str = "draw the knowledge on fewer players or bids") -> str:
    """``text``, an instance file about to be written, if cabench can read it back: an
    :class:`~instances.files.OutputError` (exit 2, nothing written) when it is above the input
    limit (knowledge drawn on hundreds of players repeats every valuation for every player)."""
    from instances.files import MAX_INPUT_BYTES, OutputError

    if len(text) * 4 <= MAX_INPUT_BYTES:  # (UTF-8: at most 4 bytes a character) no need to encode it
        return text
    if (size := len(text.encode())) > MAX_INPUT_BYTES:
        raise OutputError("standard output" if output is None else output,
                          f"the instance would be {size / 1e6:.1f} MB, above the "
                          f"{MAX_INPUT_BYTES // 2**20} MiB that cabench reads from a file; {advice}")
    return text


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` atomically."""
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(output, text)


_FILE_HELP = "FILE may be - for standard input."
_knowledge_option = click.option("--knowledge", default=None, metavar="MODEL",
                                 help="Draw knowledge: none, exact, noisy-lower:F, wrong:P or candidates:K.")
_coalitions_option = click.option("--coalitions", default=None, metavar="MODEL",
                                  help="Draw coalitions: none, pairs:K or random:K:SIZE.")
_seed_option = click.option("--seed", type=int, default=0, show_default=True,
                            help="Seed of the knowledge and coalition draws (same seed, same bytes).")


@cli.command("import")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["cats"]), default="cats", show_default=True, help="Input format.")
@click.option("--scale", type=click.IntRange(min=1), default=None,
              help="Multiply prices by this power of ten [default: the smallest that makes every price an integer].")
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
    from instances.cats import GoodsBeyondHeader, read_cats
    from instances.files import check_output
    from instances.knowledge_models import annotate
    from instances.writer import instance_text

    with new_folders_removed_on_error(output):
        if output is not None:
            check_output(output, [file])  # before reading: a bad output path costs nothing
        with warnings.catch_warnings(record=True) as noted:
            warnings.simplefilter("always", GoodsBeyondHeader)
            instance = read_cats(file, scale, round_digits)
        for note in noted:  # (the goods read differently from the header: said, not silent)
            click.echo(f"cabench import: note: {note.message}", err=True)
        with spec_errors():
            instance = annotate(instance, knowledge, coalitions, seed)
        emit(_readable(instance_text(instance), output), output)
    return 0


@cli.command("annotate")
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
            instance = annotate(instance, knowledge, coalitions, seed, replace)
        emit(_readable(instance_text(instance), output), output)
    return 0


@cli.command("export")
@click.argument("file", type=GivenPath(dir_okay=False, path_type=str))
@click.option("--format", "fmt", type=click.Choice(["cats"]), default="cats", show_default=True, help="Output format.")
@click.option("-o", "--output", type=GivenPath(dir_okay=False, path_type=Path), default=None,
              help="Output file; standard output by default or as -.",
              callback=dash_is_stdout)
def export_command(file, fmt, output) -> int:
    """Write an instance whose valuations are XOR bids as a CATS file, prices divided by the
    instance's scale (knowledge is dropped). FILE may be - for standard input."""
    from instances.cats import write_cats
    from instances.files import check_output
    from instances.loader import load_instance

    with new_folders_removed_on_error(output):
        if output is not None:
            check_output(output, [file])
        emit(write_cats(load_instance(file)), output)
    return 0


@cli.command()
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
def perf(paths, suite, distributions, knowledge, coalitions, seeds, backends, naive, default, jobs, time_limit,
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
        run_files,
        run_suite,
        summary,
        write_results,
        write_rows,
    )
    from cabench.render import PipeConsole
    from ilp.batch import default_jobs

    if paths:
        source = click.get_current_context().get_parameter_source
        for name, flag in (("suite", "--suite"), ("distributions", "--distributions"), ("seeds", "--seeds")):
            if source(name) is not click.core.ParameterSource.DEFAULT:
                raise click.UsageError(f"{flag} chooses generated instances; it does not go with instance files")

    chosen = list(dict.fromkeys(b.strip() for b in backends.split(",") if b.strip() not in ("", "none")))
    for name in chosen:
        check_backend(name, "'--backends'")
    check_backend(default, "'--default'")  # (blamed --backends)
    from cabench.perf import SUITES

    only = None
    if distributions is not None:
        only = {d.strip() for d in distributions.split(",") if d.strip()}
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
    else:  # and coalitions that do not fit a generated instance of one player per bidder
        try:
            check_suite(suite, seeds, only, coalition_specs)
        except SpecError as error:
            raise click.BadParameter(str(error), param_hint="'--coalitions'") from None
        goods = max(entry[1] for entry in SUITES[suite] if only is None or entry[0] in only)
    from ilp import brute

    for flag, names in (("'--backends'", chosen), ("'--default'", [default])):
        if "brute" in names and goods > brute.MAX_GOODS:
            raise click.BadParameter(f"brute handles at most {brute.MAX_GOODS} goods; these instances have up "
                                     f"to {goods}", param_hint=flag)
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
                             checkpoint=lambda done: write_rows(done, output), jobs=jobs, naive=naive,
                             knowledge=knowledge_specs, coalitions=coalition_specs, advance=advance)
        else:
            rows = run_suite(suite, seeds, chosen, default, time_limit, progress=step,
                             checkpoint=lambda done: write_rows(done, output), jobs=jobs, only=only, naive=naive,
                             knowledge=knowledge_specs, coalitions=coalition_specs, advance=advance)
    table = summary(rows, jobs or default_jobs())
    write_results(rows, table, output)
    if paths:  # files, and the instances measured when several specs are drawn on each
        files = len(file_paths(paths))
        what = f"{files} file{'s' * (files != 1)}" + (f", {len(table)} instances" if len(table) != files else "")
    else:
        what = f"{suite}, {seeds} seed{'s' * (seeds != 1)}"
    view = Table(title=f"cabench perf ({what}): median seconds per full table", header_style="bold")
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
        # a ratio not measured (no baseline, no single backend) is an em dash, as in the JSON it is absent
        return f"{entry[key]:.2f}" if key in entry else "\u2014"

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
                     *([f"{entry['winners']:g}", f"{entry['wdp_highs_seconds']:.2f}",
                        f"{entry['budget_seconds']:.1f}", f"{entry['report_over_budget']:.2f}"]
                       if "budget_seconds" in entry else ["\u2014"] * len(budget_columns)),
                     *([ratio(entry, "knowledge_over_exact")] if ratios else []),
                     "yes" if entry["all_proven"] else "NO")
    PipeConsole(width=max(PipeConsole().width, 220 if labelled else 140)).print(view)
    click.echo(f"wrote {output / 'perf-rows.csv'} and {output / 'perf-summary.json'}", err=True)
    return 0


def _spec_list(value: str | None, hint: str, suite: str | None, check) -> list[str] | None:
    """The comma-separated specs of ``value`` (None: the suite's defaults), each checked by
    ``check(spec, players)`` against the smallest player count of ``suite`` (any count when None)."""
    if value is None:
        return None
    from cabench.perf import SUITES
    from instances.knowledge_models import SpecError

    specs = list(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    if not specs:
        raise click.BadParameter("expected at least one spec", param_hint=hint)
    players = min((p if p is not None else 10**9) for _, _, _, p in SUITES[suite]) if suite else 10**9
    for spec in specs:
        try:
            check(spec, players)
        except SpecError as error:
            raise click.BadParameter(str(error).split(": ", 1)[-1], param_hint=hint) from None
    return specs


OPTIONAL_PACKAGES = {"pandas": "sweep", "pyarrow": "sweep", "dask": "sweep", "distributed": "sweep",
                     "cryptography": "sweep", "matplotlib": "plot", "scipy": "plot", "pygambit": "gambit"}
"""The packages of the optional extras (pyproject.toml), and the extra that installs each."""


def optional_package(exc: ImportError) -> str | None:
    """The optional package whose absence ``exc`` reports, if any: the missing module's top
    package, or one named in the message (pandas says "tried using: 'pyarrow', ..." for Parquet)."""
    name = (exc.name or "").partition(".")[0]
    if name in OPTIONAL_PACKAGES:
        return name
    words = str(exc).replace("'", " ").replace('"', " ").replace(",", " ").split()
    return next((w for w in words if w in OPTIONAL_PACKAGES), None)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; turns every expected error into one line.

    SIGINT, SIGTERM and SIGHUP stop cabench within a couple of seconds with status 128 + the
    signal number (130 for Ctrl-C) and no process left behind (``ilp.lifetime``); a closed output
    pipe (``| head``) ends quietly with status 0."""
    from concurrent.futures import BrokenExecutor  # not .process: it imports multiprocessing at every start

    from ilp.lifetime import Interrupted, interruptible, scratch_folder

    cleanups: list[Callable[[], None]] = []  # the command's (_forced_cleanups), run before a forced end

    def stopped(signum: int) -> None:
        for cleanup in list(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        click.echo(f"cabench: stopped by {signal_name(signum)}; finished work is kept", err=True)

    if sys.stdout is None:  # started with standard output closed (`>&-`): every command prints to it
        _say("cabench: standard output is closed; redirect it to a file or /dev/null instead")
        return BAD_INPUT
    try:
        with interruptible(on_stop=stopped), scratch_folder() as remove_scratch:
            cleanups.append(remove_scratch)  # (a forced end skips the block's own removal)
            # click's own main() would print a blank line on Ctrl-C; this is main() without it
            with cli.make_context("cabench", list(sys.argv[1:] if argv is None else argv)) as ctx:
                ctx.meta[CLEANUPS] = cleanups
                code = cli.invoke(ctx)
            sys.stdout.flush()
    except click.exceptions.Exit as exc:  # --help, --version
        return exc.exit_code
    except NoArgsIsHelp as exc:  # `cabench` alone: its help, as click prints it
        click.echo(exc.ctx.get_help(), err=True)
        return BAD_INPUT
    except click.exceptions.UsageError as exc:
        where = f"cabench {exc.ctx.info_name}" if exc.ctx and exc.ctx.info_name != "cabench" else "cabench"
        # click lays a missing choice's names out on lines of their own ("Choose from:\n\ta,\n\tb"):
        # one line here, where ``plain`` would show the line breaks as \x0a (only there: a line
        # break in what the user typed stays shown as one)
        message, choose, names = exc.format_message().partition("Choose from:")
        _say(f"{where}: {message}{choose}" + re.sub(r"\s*\n\t", " ", names))
        return BAD_INPUT
    except (click.exceptions.Abort, KeyboardInterrupt) as exc:
        interrupted = exc if isinstance(exc, Interrupted) else exc.__cause__ or exc.__context__
        signum = interrupted.signal if isinstance(interrupted, Interrupted) else 2
        if not getattr(interrupted, "reported", False):  # the command said what it kept
            stopped(signum)
        return after_signal(signum)
    except ImportError as exc:
        missing = optional_package(exc)
        if missing is None:
            raise
        _say(f"cabench: this command needs {missing}, which the core install leaves out: "
             f"pip install 'cabench[{OPTIONAL_PACKAGES[missing]}]'")
        return BAD_INPUT
    except BrokenPipeError:
        # the reader went away (`| head`, `| true`): nothing more to say, and no error at exit
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except NotProvenError as exc:
        _say(f"cabench: {exc}; raise --time-limit")
        return NOT_PROVEN
    except SolverError as exc:
        _say(f"cabench: internal error (please report): {exc}")
        return INTERNAL_ERROR
    except BrokenExecutor:  # a BrokenProcessPool (ilp.workers.WorkerDied); no thread pool here has an initializer
        click.echo("cabench: a worker process died (out of memory?); try fewer --jobs or --workers", err=True)
        return INTERNAL_ERROR
    except MemoryError:
        # a valid instance whose programs do not fit in memory (three or more complete 20-good tables
        # that no shortcut reduces, see docs/performance.md, large inputs): one line, not a traceback
        _say("cabench: out of memory: the integer programs of this instance do not fit in this machine's "
             "memory; try --jobs 1 or fewer bids per player")
        return INTERNAL_ERROR
    except CabenchError as exc:
        _say(str(exc))
        return BAD_INPUT
    except OSError as exc:
        if exc.filename is None and exc.errno in _OUTPUT_ERRNOS:
            # printing failed: standard output is a full disk (`> /dev/full`) or closed (`>&-`);
            # the rest of the output, still buffered, goes nowhere at exit
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            _say(f"standard output: cannot write: {exc.strerror or exc}")
            return BAD_INPUT
        if exc.filename is None:
            raise
        # writing an output failed (disk full, read-only folder, a path under a file)
        _say(f"{exc.filename}: cannot write: {exc.strerror or exc}")
        return BAD_INPUT
    return code if isinstance(code, int) else 0


_OUTPUT_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EIO, errno.EBADF}
"""What a write to standard output fails with when it is a full disk or closed."""


# click 8.2 on: a group or command called without arguments raises this with its help as the
# message (older versions printed the help and exited); _say would squeeze it into one line
NoArgsIsHelp = getattr(click.exceptions, "NoArgsIsHelpError", ())


def _say(message: str) -> None:
    """One line on standard error, names in it shown as written (see ``render.plain``)."""
    from cabench.render import plain

    click.echo(plain(message), err=True)


def signal_name(signum: int) -> str:
    import signal

    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


# The mechanism commands register themselves on ``cli``; importing them here makes the group
# complete wherever it is used (the console script, ``python -m cabench``, tests).
from cabench import experiment_commands as _experiment_commands  # noqa: E402,F401  (registers commands)
from cabench import mechanism_commands as _mechanism_commands  # noqa: E402,F401  (registers commands)
