"""The ``cabench`` command line: the command group and ``main``, which the console script runs (``cabench.__main__``).

Exit codes: 0 success; 2 bad input (a one-line message naming the file and JSON path, or the
flag); 3 some program was not proven optimal within ``--time-limit`` (its value is withheld);
4 ``evaluate`` found a guarantee that does not hold; 1 an internal error (a bug: please report it).
The exit statuses are named in ``cabench.exit_codes``. The commands live in modules of their own
(``cabench.instance_commands``, ``cabench.perf_command``, ``cabench.mechanism_commands``,
``cabench.experiment_commands``), with what they share in ``cabench.cli_common``; this module
gathers them into the group and turns every expected error into one line.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import threading
from collections import Counter
from typing import TYPE_CHECKING

import click

from benchmarks.results import NotProvenError
from cabench.cli_common import CLEANUPS, STOP_SAID
from cabench.exit_codes import BAD_INPUT, INTERNAL_ERROR, NOT_PROVEN, after_signal
from cabench.experiment_commands import experiment_command, plot_command, sweep_command, table_command
from cabench.instance_commands import (
    annotate_command,
    benchmarks_command,
    export_command,
    generate_command,
    import_command,
)
from cabench.mechanism_commands import deviate_command, evaluate_command, game_command, outcome_command
from cabench.perf_command import perf_command
from ilp.contract import SolverError
from instances.errors import CabenchError

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["COMMANDS", "NoArgsIsHelp", "OPTIONAL_PACKAGES", "OnceGroup", "cli", "main", "optional_package",
           "refuse_repeated_flags", "signal_name"]


COMMANDS = (benchmarks_command, generate_command, import_command, annotate_command, export_command, perf_command,
            evaluate_command, outcome_command, deviate_command, game_command, sweep_command, experiment_command,
            table_command, plot_command)
"""Every command of the group (``cabench --help`` lists them by name)."""


class OnceGroup(click.Group):
    """The command group: click's, except that a flag taking one value is refused when given twice."""

    def resolve_command(self, ctx: click.Context, args: list[str]
                        ) -> tuple[str | None, click.Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if command is not None:
            refuse_repeated_flags(command, click.Context(command, info_name=name, parent=ctx), rest)
        return name, command, rest


def refuse_repeated_flags(command: click.Command, ctx: click.Context, args: list[str]) -> None:
    """A flag of one value given twice (``--jobs 1 ... --jobs 2``) is a usage error. click keeps
    the last silently, so a script's default followed by a user's value, or a typo, went unseen;
    ``--param``, which may be repeated, refuses a key given twice in its own words. Flags without
    a value (``--json``, ``--progress/--no-progress``) may be repeated: the last one counts."""
    try:
        _, _, order = command.make_parser(ctx).parse_args(list(args))  # (click's own parser: each use in order)
    except click.UsageError:
        return  # the command's parse says what is wrong with the line
    if any(getattr(param, "is_eager", False) for param in order):
        return  # (--help or --version: shown whatever else the line holds, as click has it)
    counts = Counter(param for param in order if isinstance(param, click.Option)
                     and not (param.multiple or param.count or param.is_flag))
    for option, count in counts.items():
        if count > 1:
            names = " / ".join(option.opts + option.secondary_opts)
            times = "twice" if count == 2 else f"{count} times"
            raise click.UsageError(f"{names} given {times}; give it once", ctx=ctx)


@click.group(cls=OnceGroup, commands=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
    """The command line on ``argv`` (None: the process's own), run by the console script
    (``cabench.__main__``); turns every expected error into one line.

    SIGINT, SIGTERM and SIGHUP stop cabench within a couple of seconds with status 128 + the
    signal number (130 for Ctrl-C) and no process left behind (``ilp.lifetime``): after such a
    signal the process ends here, without returning (``ilp.lifetime.end_after_stop``); a closed
    output pipe (``| head``) ends quietly with status 0."""
    from concurrent.futures import BrokenExecutor  # not .process: it imports multiprocessing at every start

    from ilp.lifetime import Interrupted, end_after_stop, interruptible, scratch_folder

    cleanups: list[Callable[[], None]] = []  # the command's (cli_common.forced_cleanups), run before a forced end
    said = threading.Lock()  # taken by whoever says a stop's line first (cli_common.say_stopped)

    def stopped(signum: int) -> None:
        for cleanup in list(cleanups):
            with contextlib.suppress(Exception):
                cleanup()
        if said.acquire(blocking=False):
            click.echo(f"cabench: stopped by {signal_name(signum)}", err=True)

    if sys.stdout is None:  # started with standard output closed (`>&-`): every command prints to it
        _say("cabench: standard output is closed; redirect it to a file or /dev/null instead")
        return BAD_INPUT
    signalled = threading.Event()  # (set by a stop signal, not by an Interrupted raised in-process)
    try:
        with interruptible(on_stop=stopped) as signalled, scratch_folder() as remove_scratch:
            cleanups.append(remove_scratch)  # (a forced end skips the block's own removal)
            # click's own main() would print a blank line on Ctrl-C; this is main() without it
            with cli.make_context("cabench", list(sys.argv[1:] if argv is None else argv)) as ctx:
                ctx.meta[CLEANUPS] = cleanups
                ctx.meta[STOP_SAID] = said
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
        stopped(signum)  # (its line, unless the command said what it kept)
        if signalled.is_set():  # (solver threads may be in their C++ code: no interpreter shutdown)
            end_after_stop(after_signal(signum))
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
