"""What the command modules of ``cabench`` share: their common flags and the checks on them,
the path types, and the helpers that write outputs atomically and remove what an error leaves.

The commands themselves are in ``cabench.instance_commands`` (benchmarks, generate, import,
annotate, export), ``cabench.perf_command`` (perf), ``cabench.mechanism_commands`` (evaluate,
outcome, deviate, game) and ``cabench.experiment_commands`` (sweep, experiment, table, plot);
``cabench.cli`` gathers them into one group and reports their errors.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import click

from cabench import api
from ilp.contract import BACKEND_MODULES, DEFAULT_BACKEND
from instances.errors import CabenchError
from instances.files import atomic_write_text
from instances.model import READINGS
from mechanisms.names import MECHANISM_NAMES

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from instances.model import Instance

__all__ = ["CLEANUPS", "GivenPath", "PARAM_HELP", "SECONDS", "SEED", "STOP_SAID", "Seconds", "check_backend",
           "check_folder", "check_last_seed", "coalition_knowledge_option", "comma_list",
           "csv_folders_removed_on_error", "csv_outputs", "dash_is_stdout", "emit", "flag_errors", "flag_of",
           "forced_cleanups", "format_option", "given_params", "jobs_option", "jobs_within_machine", "json_asked",
           "json_option", "load_with_reading", "mechanism_list", "named_a_folder", "new_folders_removed_on_error",
           "no_dash", "outputs_written_last", "param_flags", "param_many_option", "say_stopped", "seed_unused",
           "solver_option", "spec_errors", "time_limit_option", "workers_within_machine"]

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
    ``-o "$OUT"`` with OUT unset wrote into it and ``sweep ""`` read it. Where only a file will
    do, a path ending in ``/`` (a folder's name) is refused too: ``annotate -o new/`` wrote a file
    named ``new``."""

    def convert(self, value, param, ctx):
        if isinstance(value, str) and not value:
            self.fail("an empty path (an unset shell variable?)", param, ctx)
        if isinstance(value, str) and value.endswith(os.sep) and param is not None:
            if not self.dir_okay:
                self.fail(f"{value} ends with {os.sep}, which names a folder; give a file's name", param, ctx)
            if ctx is not None:  # (the Path made of it no longer says so: see named_a_folder)
                ctx.meta[f"cabench.folder.{param.name}"] = True
        return super().convert(value, param, ctx)


def named_a_folder(name: str) -> bool:
    """Whether the command line gave option ``name``'s path (a :class:`GivenPath`) ending in ``/``:
    ``generate -o new/`` means a folder, and wrote a file named ``new``."""
    return bool(click.get_current_context().meta.get(f"cabench.folder.{name}"))


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


@contextlib.contextmanager
def new_folders_removed_on_error(path: Path | None) -> Iterator[None]:
    """Within the block, checking an output (``check_output``, ``check_folder``) creates its
    missing folders before computing; if the block fails (a bad spec found while computing, bad
    input, an interruption), the folders it created are removed again, those still empty, so
    that an error writes nothing (``instances.files.folders_made_removed``)."""
    from instances.files import folders_made_removed

    with folders_made_removed(path) as remove:
        # a signal while a solver's C code holds this thread ends the process from the signal
        # thread (``ilp.lifetime.interruptible``), where no ``except`` runs: ``main`` calls it there
        forced = forced_cleanups()
        forced.append(remove)
        try:
            yield
        finally:
            forced.remove(remove)


def forced_cleanups() -> list[Callable[[], None]]:
    """What ``main`` runs before a forced end (the command's context's own list; a fresh one,
    never run, outside ``main``)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.setdefault(CLEANUPS, []) if ctx is not None else []


CLEANUPS = "cabench.forced_cleanups"
"""The key of :func:`forced_cleanups`' list in click's context ``meta`` (shared by subcommands)."""


def say_stopped(line: str) -> None:
    """Say a stop's one line on standard error, unless one was said already: the command's own
    line (what it kept), ``main``'s, or a forced end's after a slow exit, whichever comes first."""
    ctx = click.get_current_context(silent=True)
    said = ctx.meta.get(STOP_SAID) if ctx is not None else None
    if said is None or said.acquire(blocking=False):
        click.echo(line, err=True)


STOP_SAID = "cabench.stop_said"
"""The key in click's context ``meta`` of the lock that ``main`` holds once a stop's line is said
(taken without waiting: whoever takes it says the line, from any thread)."""


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
        if exc.flag() is None:
            raise
        flag, value, what = exc.flag()
        raise click.BadParameter(f'"{value}": {what}' if value and not value.startswith("--") else what,
                                 param_hint=f"'{flag}'") from None


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it to ``output`` atomically."""
    if output is None:
        click.echo(text, nl=False)
    else:
        atomic_write_text(output, text)


@contextlib.contextmanager
def outputs_written_last() -> Iterator[Callable[[str, Path | None], None]]:
    """A command's several outputs, all or none: within the block ``put(text, path)`` prints
    ``text`` (path None) or stages it for ``path`` (``instances.files.written_together``); the
    files take their places once the block's printing has reached standard output. A report
    that cannot be printed (``> /dev/full``), or a second file that cannot be written, leaves
    none of them (the first CSV stayed behind an exit 2); a reader that stops reading (``| head``)
    is no failure, and they are written."""
    from instances.files import written_together

    stopped_reading: BrokenPipeError | None = None
    with written_together() as stage:
        def put(text: str, path: Path | None) -> None:
            if path is None:
                click.echo(text, nl=False)
            else:
                stage(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))

        try:
            yield put
            sys.stdout.flush()
        except BrokenPipeError as exc:  # a reader that stopped (| head) is no failure: the files are kept
            stopped_reading = exc
    if stopped_reading is not None:
        raise stopped_reading


solver_option = click.option("--solver", default=DEFAULT_BACKEND, show_default=True, metavar="|".join(BACKEND_MODULES),
                             help="Backend for the benchmark programs behind the strategies.")
time_limit_option = click.option("--time-limit", type=SECONDS, default=None, metavar="SECONDS",
                                 help="Time limit per integer program.")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def workers_within_machine(ctx: click.Context, param: click.Parameter, value: int) -> int:
    """``--workers`` of sweep and experiment, capped as ``--jobs`` is (1000 Dask workers kept
    starting on two cores); up to ``cabench.api.JOBS_PER_CORE``, allowed on any machine, without
    a look at the machine (whose imports a bad flag should not pay)."""
    return value if value <= api.JOBS_PER_CORE else jobs_within_machine(ctx, param, value)


jobs_option = click.option("--jobs", type=click.IntRange(min=1), default=None, callback=jobs_within_machine,
                           help="Worker processes for the programs the strategies need (1: none, they are solved in "
                                "this process; automatic by default).")


def param_flags(values: tuple[str, ...]) -> dict[str, str]:
    """``--param KEY=VALUE`` flags as a dict; ``cabench.api.parse_params`` reads the numbers."""
    params = {}
    for item in values:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise click.BadParameter(f'"{item}" is not KEY=VALUE with a number (e.g. eps=1/10 or eps=0.1)',
                                     param_hint="'--param'")
        if key.strip() in params:  # (the last one silently won)
            raise click.BadParameter(f'"{key.strip()}" is given twice', param_hint="'--param'")
        params[key.strip()] = raw.strip()
    return params


PARAM_HELP = ("Mechanism parameter (repeatable): eps, eps1, eps2, ratio, k or delta, as the mechanism has them, "
              "an exact fraction such as 1/10; amounts of money are in the file's integer units (1/scale of its "
              "money). The README's mechanism table gives each one's default and range.")


class _SeedRange(click.IntRange):
    """Seeds from -(2^63 - 1) to 2^63 - 1 (``api.MAX_SEED``), said so in the help and errors."""

    def _describe_range(self) -> str:
        return "|x| < 2^63"


SEED = _SeedRange(-api.MAX_SEED, api.MAX_SEED)
"""The type of every ``--seed`` and ``--first-seed``."""


def seed_unused(why: str) -> None:
    """Refuse ``--seed`` given on a command line where nothing is drawn (``why`` says so): it was
    taken and ignored, so a user varying it saw the same numbers and could think them robust."""
    if click.get_current_context().get_parameter_source("seed") is not click.core.ParameterSource.DEFAULT:
        raise click.BadParameter(f"nothing is drawn: {why}", param_hint="'--seed'")


def check_last_seed(first: int, count: int, flag: str) -> None:
    """Refuse seeds FIRST, FIRST+1, ... (``count`` of them) that go past :data:`api.MAX_SEED`."""
    if first + count - 1 > api.MAX_SEED:
        raise click.BadParameter(f"seeds {first} to {first + count - 1}: the last is past 2^63 - 1, the largest "
                                 "seed", param_hint=flag)


_FLAGS = MappingProxyType({"params": "--param", "round_digits": "--round"})
"""The API's arguments whose flag is not their name with ``--`` and hyphens."""


def flag_of(argument: str) -> str:
    """The command line's flag of the API's ``argument`` (``time_limit``: ``--time-limit``)."""
    return _FLAGS.get(argument, "--" + argument.replace("_", "-"))


@contextlib.contextmanager
def flag_errors():
    """An API argument error, or a mechanism's parameter out of its paper's range, as the error
    of the command's flag (exit 2, one line: ``cabench CMD: Invalid value for '--param': ...``)."""
    from mechanisms.base import ParameterError

    try:
        yield
    except api.ArgumentError as exc:
        raise click.BadParameter(str(exc), param_hint=f"'{flag_of(exc.param)}'") from None
    except ParameterError as exc:
        if exc.param is None:  # (the instance's size: the file's error, as it stands)
            raise
        raise click.BadParameter(str(exc), param_hint="'--param'") from None


def given_params(values: tuple[str, ...], names: list[str]) -> dict[str, Fraction]:
    """``--param KEY=VALUE`` flags of sweep and experiment as exact fractions, each a parameter of
    one of the mechanisms ``names`` at least (as ``evaluate`` refuses a parameter its mechanism
    lacks; a typo was silently part of every row's key)."""
    with flag_errors():
        given = api.parse_params(param_flags(values))
    if not given:
        return given
    from mechanisms.registry import MECHANISMS

    accepted = sorted({p.name for name in names for p in MECHANISMS[name].params})
    unknown = sorted(set(given) - set(accepted))
    if unknown and not names:  # (it ended "expected one of: none")
        raise click.BadParameter(f'"{unknown[0]}" is a parameter of a mechanism, and no mechanism is evaluated: '
                                 "give --mechanisms with the --param", param_hint="'--param'")
    if unknown:
        expected = f'expected one of: {", ".join(accepted)}' if accepted else "they take no parameter"
        raise click.BadParameter(f'unknown parameter "{unknown[0]}" of the mechanisms evaluated '
                                 f'({", ".join(names)}); {expected}', param_hint="'--param'")
    return given


def comma_list(text: str, hint: str) -> list[str]:
    """The items of a comma-separated flag value, stripped of spaces, each once (in order); an
    empty item is refused (``vcg,`` or ``exact,,wrong:0.3``: a name left out by mistake was
    skipped silently)."""
    items = [item.strip() for item in text.split(",")]
    if "" in items:
        raise click.BadParameter(f'"{text}": an empty item; expected names separated by single commas',
                                 param_hint=hint)
    return list(dict.fromkeys(items))


def mechanism_list(text: str) -> list[str]:
    """``--mechanisms``: a comma-separated list, all, or an empty text for none (sweep's default)."""
    if not text.strip():
        return []
    names = list(MECHANISM_NAMES) if text == "all" else comma_list(text, "'--mechanisms'")
    unknown = [m for m in names if m not in MECHANISM_NAMES]
    if unknown:
        raise click.BadParameter(f'unknown mechanism "{unknown[0]}"; expected all or some of: '
                                 f'{", ".join(MECHANISM_NAMES)}',
                                 param_hint="'--mechanisms'")
    return list(dict.fromkeys(names))


param_many_option = click.option("--param", "param_values", multiple=True, metavar="KEY=VALUE",
                                 help="Mechanism parameter, for every mechanism that has it (repeatable); part of "
                                      "the rows' key, so new parameters are computed on resume.")
