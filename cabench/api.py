"""The Python API: the same computations as the ``cabench`` commands, as functions and values.

``evaluate``, ``outcome`` and ``deviate`` are what the commands of those names run (the commands
call them); ``benchmarks``, ``generate``, ``load``, ``import_cats``, ``annotate`` and ``save`` call
the same library functions as their commands (``benchmarks.compute_report``,
``instances.generate``, the loader and the writer). So a notebook and the shell get the same
numbers. Results have ``to_dict()`` (the command's
``--json`` output) and, where a table makes sense, ``to_frame()`` (a tidy pandas DataFrame;
pandas comes with OR-Tools, which cabench needs; the ``sweep`` extra names it too).

No ``if __name__ == "__main__":`` guard is needed around these calls: the worker processes that
solve programs in parallel never run the caller's script again (``ilp.workers``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import numbers
import operator
import os
import warnings
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ilp.contract import DEFAULT_BACKEND, DEFAULT_WITNESSES, WITNESSES, SolveOptions
from instances.errors import CabenchError, one_of, quoted
from instances.model import Instance
from instances.units import TooLong, exact_number

if TYPE_CHECKING:
    from benchmarks.report import Report
    from mechanisms.base import Deviation, Evaluation, Facts, Mechanism

# Each function imports the library it runs (as the command modules do): the command line imports this
# module at every start, and `cabench --help` or a bad flag needs none of it.

__all__ = ["ArgumentError", "Deviations", "Evaluations", "Announcement", "annotate", "benchmarks", "deviate",
           "evaluate", "generate", "import_cats", "load", "outcome", "save"]


class ArgumentError(CabenchError):
    """A bad argument of an API function; ``param`` is the argument's name (``time_limit``,
    ``params``); the command line names its flag instead (``--time-limit``, ``--param``)."""

    def __init__(self, message: str, param: str) -> None:
        super().__init__(message)
        self.param = param


JOBS_PER_CORE = 4
"""Most ``jobs`` worker processes per core: each is a Python process with the solvers loaded
(about 150 MB), and beyond the cores they only take turns; 99,999 of them never started (the
command hung, out of threads; in a notebook, the kernel was left unable to start any)."""


MAX_SAMPLES = 1_000_000
"""Most Monte Carlo samples of ``evaluate`` (each a play, milliseconds and memory apiece: a typed
10^12 ran until killed)."""


MAX_SEED = 2**63 - 1
"""Largest seed, by absolute value (a seed of 5,000 digits ended in Python's own ValueError; a seed
is part of a generated instance's name)."""


def _whole(value: Any, param: str, least: int | None = None, most: int | None = None) -> int:
    """``value`` as an int (a NumPy integer too: anything with ``__index__``, but not a bool),
    at least ``least`` and at most ``most``; else an :class:`ArgumentError` naming ``param``."""
    if isinstance(value, bool):
        raise ArgumentError(f"{param} {_shown(value)}: expected a whole number, not a truth value", param)
    try:
        number = operator.index(value)
    except TypeError:
        raise ArgumentError(f"{param} {_shown(value)}: expected a whole number", param) from None
    # (str() of an int beyond 4,300 digits is Python's ValueError)
    shown = number if number.bit_length() <= 128 else f"of {number.bit_length():,} bits"
    if least is not None and number < least:
        raise ArgumentError(f"{param} {shown}: expected at least {least}", param)
    if most is not None and number > most:
        raise ArgumentError(f"{param} {shown}: expected at most {most}", param)
    return number


def _text(value: Any, param: str) -> str:
    """``value`` if it is a string, else an :class:`ArgumentError` naming ``param``."""
    if not isinstance(value, str):
        raise ArgumentError(f"{param} {_shown(value)}: expected a string", param)
    return value


def _shown(value: Any, most: int = 60) -> str:
    """``repr(value)`` for a message, cut to about ``most`` characters (an instance passed in the
    wrong place made a message of 210,000)."""
    text = repr(value)
    return text if len(text) <= most else f"{text[:most - 20]}... (a {type(value).__name__})"


def check_jobs(jobs: Any) -> int | None:
    """``jobs`` checked: None (automatic) or 1 to :data:`JOBS_PER_CORE` per core of this machine
    (the ``--jobs`` of every command too)."""
    if jobs is None:
        return None
    from ilp.portfolio import usable_cores  # (not CABENCH_CORES: a cap on the machine, not a setting)

    cores = usable_cores()
    number = _whole(jobs, "jobs", 1)
    if number > JOBS_PER_CORE * cores:
        raise ArgumentError(f"{number} worker processes; at most {JOBS_PER_CORE * cores} here "
                            f"({JOBS_PER_CORE} per core, {cores} core{'s' if cores > 1 else ''})", "jobs")
    return number


def _progress(progress: Any) -> None:
    if progress is not None and not callable(progress):
        raise ArgumentError(f"progress {_shown(progress)}: expected a function or None", "progress")


# ---------------------------------------------------------------- instances


def load(source: str | Path | Mapping[str, Any] | Instance, *, coalition_knowledge: str | None = None) -> Instance:
    """Read an instance: a JSON instance file, or the same JSON already parsed into a dict.

    Parameters
    ----------
    source : str, pathlib.Path, dict or Instance
        A path to a cabench instance file (``-`` for standard input), or its content as a dict
        (validated against the same schema); an :class:`~instances.Instance` is checked against
        the same rules (one built or changed in memory was never read) and returned.
    coalition_knowledge : {"bounds", "sets"}, optional
        How coalitions pool knowledge (``cabench benchmarks --coalition-knowledge``).

    Returns
    -------
    Instance
        The instance; bad input raises :class:`~instances.CabenchError` naming the file and field.

    Examples
    --------
    >>> import cabench
    >>> inst = cabench.load("instances/examples/seed004-example.json")
    >>> inst.players
    ('p1', 'p2', 'p3')
    """
    from instances.check import check_instance
    from instances.loader import load_instance, parse_instance
    from instances.model import READINGS

    if coalition_knowledge is not None and coalition_knowledge not in READINGS:
        raise ArgumentError(f"coalition knowledge {_shown(coalition_knowledge)}: expected one of {', '.join(READINGS)}",
                            "coalition_knowledge")
    if isinstance(source, Instance):
        instance = check_instance(source)  # (built or changed in memory: nothing read it)
    elif isinstance(source, Mapping):
        instance = parse_instance(dict(source))
    elif isinstance(source, str) and _json_text(source):
        # (it was read as a file name: "File name too long", with the whole text as the name)
        raise ArgumentError(f"instance {_shown(source)}: a JSON text, not a path; give json.loads(text), a dict, "
                            "or the path of a file", "instance")
    elif isinstance(source, (str, Path)):
        instance = load_instance(source)
    else:
        raise ArgumentError(f"instance {type(source).__name__}: expected a path (str or pathlib.Path), a dict of "
                            "an instance's JSON, or an Instance", "instance")
    if coalition_knowledge is not None:
        instance = dataclasses.replace(instance, coalition_knowledge=coalition_knowledge)
    return instance


def _json_text(source: str) -> bool:
    """Whether ``source``, given where a path is expected, is JSON text rather than a file name:
    it starts as JSON does, names no file, and reads as JSON or holds a quote (a file named
    ``[x].json`` holds none)."""
    if not source.lstrip().startswith(("{", "[")):
        return False
    try:
        if Path(source).is_file():
            return False
    except OSError:  # (a name too long for a path: "File name too long")
        pass
    try:
        json.loads(source)
    except ValueError:
        return '"' in source
    return True


def import_cats(source: str | Path, *, scale: int | None = None, round_digits: int | None = None) -> Instance:
    """Read a file of the Combinatorial Auction Test Suite (CATS) as an instance (``cabench
    import``): one XOR player per CATS bidder (the bids a dummy good ties together), prices made
    integers by a power of ten that the instance records as its ``scale``.

    Parameters
    ----------
    source : str or pathlib.Path
        The CATS file (``-`` for standard input).
    scale : int, optional
        Multiply every price by this power of ten, 1 to 10^9 (``--scale``); by default the
        smallest that makes every price an integer.
    round_digits : int, optional
        Round every price to this many decimals first, 0 to 9 (``--round``); positive prices
        that it makes 0 are said with a :class:`~instances.cats.RoundedToZero` warning.

    Returns
    -------
    Instance
        Bids whose goods go beyond the header's count are read as goods (CATS's paths files have
        them), with a :class:`~instances.cats.GoodsBeyondHeader` warning.

    Raises
    ------
    ArgumentError
        For an argument of the wrong type or range, naming it (``scale``, ``round_digits``).
    instances.CabenchError
        For a file that is missing or not a CATS file, naming the file and line.

    Examples
    --------
    >>> import cabench
    >>> inst = cabench.import_cats("instances/examples/cats-scheduling-40-200.txt")
    >>> inst.n, inst.m, inst.scale
    (7, 40, 100000)
    """
    from instances.cats import read_cats
    from instances.units import MAX_SCALE, is_power_of_ten

    if not isinstance(source, (str, Path)):
        raise ArgumentError(f"source {type(source).__name__}: expected a path (str or pathlib.Path)", "source")
    if scale is not None:
        scale = _whole(scale, "scale", 1, MAX_SCALE)
        if not is_power_of_ten(scale):
            raise ArgumentError(f"scale {scale}: expected a power of ten from 1 to 10^9", "scale")
    round_digits = None if round_digits is None else _whole(round_digits, "round_digits", 0, 9)
    from cabench.provenance import imported

    return imported(read_cats(source, scale, round_digits), source)


def save(instance: Instance | str | Path | Mapping[str, Any], path: str | Path) -> Path:
    """Write an instance file, as the commands write theirs (``cabench generate -o``,
    ``annotate -o``): the whole file or nothing (written beside and renamed into place), missing
    folders made, and only if cabench can read it back.

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    path : str or pathlib.Path
        The file to write (replaced if it exists).

    The file holds the instance, not how a computation reads its coalitions' knowledge
    (``coalition_knowledge``, an argument of :func:`load`, as ``--coalition-knowledge`` is a flag
    of the commands): an instance loaded with ``"sets"`` is saved with a warning, and is read
    back with ``"bounds"`` unless :func:`load` is given ``"sets"`` again.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    ArgumentError
        For a ``path`` that is no path (``-``, empty, not a string or ``Path``).
    instances.files.OutputError
        For a path that cannot be written, or an instance above the 64 MiB that cabench reads
        from a file (knowledge drawn on hundreds of players repeats every valuation for every
        player); nothing is written then, and no folder is left made.

    Examples
    --------
    >>> import tempfile, pathlib, cabench
    >>> inst = cabench.annotate("instances/examples/seed004-example.json", knowledge="exact", replace=True)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     written = cabench.save(inst, pathlib.Path(folder) / "new" / "copy.json")
    ...     cabench.load(written).knowledge == inst.knowledge
    True
    """
    from instances.files import atomic_write_text, check_output, folders_made_removed, readable_text
    from instances.writer import instance_text

    if not isinstance(path, (str, Path)) or str(path) in ("", "-"):
        raise ArgumentError(f"path {_shown(path)}: expected the path of a file to write", "path")
    if isinstance(path, str) and path.endswith(("/", os.sep)):  # (Path() drops it: "new/" wrote a file "new")
        raise ArgumentError(f"path {_shown(path)}: ends with /, which names a folder; give a file's name", "path")
    target = Path(path)
    loaded = load(instance)
    if loaded.coalition_knowledge != "bounds":
        warnings.warn(f"{target}: the file does not hold coalition_knowledge={loaded.coalition_knowledge!r} (a "
                      "choice of the computation, not of the instance); load it back with that argument, or its "
                      "benchmarks are those of 'bounds'", stacklevel=2)
    text = readable_text(instance_text(loaded), target)
    with folders_made_removed(target):
        check_output(target)
        atomic_write_text(target, text)
    return target


def annotate(instance: Instance | str | Path | Mapping[str, Any], knowledge: str | None = None,
             coalitions: str | None = None, seed: int = 0, replace: bool = False) -> Instance:
    """The instance with knowledge and coalitions drawn by cabench's models (``cabench annotate``):
    at least one of ``knowledge`` and ``coalitions`` is given, as for the command.

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    knowledge : str, optional
        ``none``, ``exact``, ``noisy-lower:F``, ``wrong:P`` or ``candidates:K``; None keeps it.
        These draw the knowledge sets of seed 001 Definition 1 (``candidates``), the guaranteed
        lower bounds of seed 000 §1.2 (``exact``, ``noisy-lower``) and the possibilistic beliefs
        of seed 004 §3, which may be wrong (``wrong``); the README's "Knowledge models" gives
        each. Knowledge whose instance file would be larger than the 256 MiB cabench reads,
        counted before it is drawn, is refused.
    coalitions : str, optional
        ``none``, ``pairs:K`` or ``random:K:SIZE``; None keeps them.
    seed : int
        Same instance, specs and seed: same result.
    replace : bool
        Allow replacing knowledge or coalitions the instance already has.

    Returns
    -------
    Instance
        An instance that :func:`generate` made keeps its record of how it was made
        (``cabench.provenance``) true: the specs drawn here replace the record's, with their seed.

    Examples
    --------
    >>> import cabench
    >>> inst = cabench.generate("arbitrary", goods=4, bids=6, players=3, seed=1)
    >>> cabench.annotate(inst, knowledge="exact").knowledge is not None
    True
    """
    from cabench.provenance import annotated
    from instances.knowledge_models import annotate as draw

    knowledge = None if knowledge is None else _text(knowledge, "knowledge")
    coalitions = None if coalitions is None else _text(coalitions, "coalitions")
    seed = _whole(seed, "seed", -MAX_SEED, MAX_SEED)
    if not isinstance(replace, bool):  # (replace="no" was taken as True)
        raise ArgumentError(f"replace {_shown(replace)}: expected True or False", "replace")
    if knowledge is None and coalitions is None:  # (as the command refuses it: it drew nothing, silently)
        raise ArgumentError("nothing to draw: give knowledge, coalitions or both", "knowledge")
    loaded = load(instance)
    with _spec_arguments():
        drawn = draw(loaded, knowledge, coalitions, seed, replace)
    return annotated(drawn, knowledge, coalitions, seed)


@contextmanager
def _spec_arguments() -> Iterator[None]:
    """A spec the models cannot read or apply (``instances.knowledge_models.SpecError``, whose
    message starts with its flag: ``--knowledge: cannot read ...``) as the :class:`ArgumentError`
    of that argument (``knowledge: cannot read ...``); errors about the instance stay as they are."""
    from instances.knowledge_models import SpecError

    try:
        yield
    except SpecError as exc:
        if exc.flag() is None:
            raise
        argument = exc.flag()[0].removeprefix("--").replace("-", "_")
        raise ArgumentError(str(exc).removeprefix("--"), argument) from None


def generate(distribution: str, goods: int, bids: int, players: int | None, seed: int = 0,
             knowledge: str = "none", coalitions: str = "none") -> Instance:
    """An instance drawn from a bid distribution (``cabench generate``).

    Parameters
    ----------
    distribution : str
        A distribution of CATS, the Combinatorial Auction Test Suite (Leyton-Brown, Pearson,
        Shoham, EC-00, 2000), written anew in cabench's code (``arbitrary``, ``paths``,
        ``regions``, ``scheduling``, ``matching``, or the legacy ``uniform``, ``decay`` and
        ``weighted-random``), or ``table``.
    goods, bids : int
        Number of goods, and of bids in all (XOR bids per player).
    players : int, None or "bidders"
        Number of players; None (or ``"bidders"``, as the command spells it) gives one player
        per bidder (the shape of CATS files).
    seed : int
        Same arguments, same instance (and file bytes).
    knowledge, coalitions : str
        Knowledge and coalition models, as for :func:`annotate` (knowledge whose instance file
        would be larger than the 256 MiB cabench reads, counted before it is drawn, is refused).

    Returns
    -------
    Instance

    Examples
    --------
    >>> import cabench
    >>> cabench.generate("arbitrary", goods=4, bids=6, players=3, seed=1).n
    3
    """
    from cabench.provenance import with_record
    from instances.generate import generate_instance

    # (NumPy integers are taken as the integers they are; the record must be JSON's)
    distribution, knowledge, coalitions = (_text(distribution, "distribution"), _text(knowledge, "knowledge"),
                                           _text(coalitions, "coalitions"))
    goods, bids, seed = _whole(goods, "goods", 1), _whole(bids, "bids", 1), _whole(seed, "seed", -MAX_SEED, MAX_SEED)
    players = None if players is None or players == "bidders" else _whole(players, "players", 1)
    # the same bytes as `cabench generate`: the file records how it was made (cabench.provenance)
    with _spec_arguments():
        made = generate_instance(distribution, goods, bids, players, seed, knowledge, coalitions)
    return with_record(made, distribution=distribution, goods=goods, bids=bids,
                       players=players if players is not None else "bidders", seed=seed, knowledge=knowledge,
                       coalitions=coalitions)


# ---------------------------------------------------------------- benchmarks


def solve_options(solver: str = DEFAULT_BACKEND, time_limit: float | None = None,
                  jobs: int | None = None) -> SolveOptions:
    """:class:`ilp.SolveOptions` from the commands' flags, the backend checked first."""
    from ilp.backends import get_backend

    try:
        get_backend(_text(solver, "solver"))
    except CabenchError as exc:
        raise ArgumentError(str(exc), "solver") from None
    if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(time_limit, numbers.Real)):
        raise ArgumentError(f"time limit {_shown(time_limit)}: expected a number of seconds", "time_limit")
    if time_limit is not None and not time_limit > 0:
        raise ArgumentError(f"time limit {time_limit}: expected a positive number of seconds", "time_limit")
    try:
        seconds = None if time_limit is None else float(time_limit)
    except OverflowError:  # (10**400 seconds raised it: beyond a float is no limit, as --time-limit 1e400 is)
        seconds = None
    return SolveOptions(solver, seconds, check_jobs(jobs))


def benchmarks(instance: Instance | str | Path | Mapping[str, Any], solver: str = DEFAULT_BACKEND,
               time_limit: float | None = None, jobs: int | None = None,
               progress: Callable[[int, int], None] | None = None, witnesses: str = DEFAULT_WITNESSES) -> Report:
    """Every benchmark of the papers for one instance (``cabench benchmarks``).

    MSW (seed 000 §1.2) and the lexicographically first welfare-maximising allocation (seed 002
    Lemma 3); per player MIEW_i = BB_i (seed 001 Def. 2-3; seed 004 §3 Def. 2), MIKW_i (seed 000
    Def. 3) and MSW_{-i} (the VCG term); per agent MKW_A = REV(RK_A) (seed 000 Def. 6) and BA^A
    (seed 000 App. A); the maxima MIEW over the independent players (seed 001 Def. 3), BB (seed
    004 Def. 2), BB' (seed 004 §6.2.3) and MKW (seed 000 Def. 6); and, for a market, the
    truthful outcome (seed 003 App. A, Def. 7). Values are integers proven optimal; a program
    not proven within ``time_limit`` keeps its interval and no value.

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    solver : str
        ``portfolio`` (default), ``cpsat``, ``cbc``, ``scip``, ``highs``, ``brute`` or ``clique``.
    time_limit : float, optional
        Seconds per integer program.
    jobs : int, optional
        Worker processes for independent programs. None (automatic): solved in this process
        while the solves are quick, on worker processes, one per core, once they prove slow. A
        number of 2 or more starts that many processes for this call, at once (about 1 s on a
        2-core machine): for many small instances, keep None.
    progress : callable, optional
        ``progress(done, total)`` as programs are solved.
    witnesses : str
        ``canonical``: every witness is the optimal allocation with the lexicographically
        smallest owner vector (seed 002 Lemma 3's rule of omega*, docs/definitions.md), the same
        whatever the backend, core count or run; ``solver``: the optimum the solver returned,
        which may differ between them when several allocations are optimal (see
        :data:`DEFAULT_WITNESSES`). Values are the same either way.

    Returns
    -------
    benchmarks.Report
        With ``to_dict()`` (the ``--json`` output) and ``to_frame()`` (one row per benchmark).

    Examples
    --------
    >>> import cabench
    >>> report = cabench.benchmarks(cabench.load("instances/examples/seed004-example.json"))
    >>> report.msw.value
    200
    >>> report.to_dict()["BB"]
    {'value': 150, 'player': 'p3'}
    """
    from benchmarks.report import compute_report

    _progress(progress)
    return compute_report(load(instance), solve_options(solver, time_limit, jobs), progress=progress,
                          witnesses=check_witnesses(witnesses))


def check_witnesses(witnesses: str) -> str:
    """``witnesses`` if it is one of :data:`WITNESSES`, else an :class:`ArgumentError`."""
    if not isinstance(witnesses, str) or witnesses not in WITNESSES:
        raise ArgumentError(f"witnesses {_shown(witnesses)}: expected one of {', '.join(WITNESSES)}", "witnesses")
    return witnesses


# ---------------------------------------------------------------- mechanisms


def _mechanism(name: str) -> Mechanism:
    from mechanisms.registry import MECHANISMS

    if not isinstance(name, str) or name not in MECHANISMS:
        raise ArgumentError(f'unknown mechanism {quoted(str(name))}; expected one of: {", ".join(MECHANISMS)}',
                            "mechanism")
    return MECHANISMS[name]


def parse_params(values: Mapping[str, Any] | None) -> dict[str, Fraction]:
    """Mechanism parameters as exact fractions (``"1/10"``, ``0.1`` and ``Fraction(1, 10)`` alike)."""
    if values is not None and not isinstance(values, Mapping):
        raise ArgumentError(f"params {_shown(values)}: expected a dict such as {{'eps': '1/10'}}", "params")
    params = {}
    for key, raw in (values or {}).items():
        if isinstance(raw, bool):  # (True was taken as 1)
            raise ArgumentError(f'{quoted(f"{key}={raw}")}: {_shown(raw)} is not a number '
                                "(e.g. eps=1/10 or eps=0.1)", "params")
        try:
            params[key] = exact_number(str(raw).strip()) if not isinstance(raw, (int, Fraction)) else Fraction(raw)
        except TooLong:  # (eps=1e-99999999 took minutes to read)
            raise ArgumentError(f'{quoted(f"{key}={raw}")}: numerator and denominator must be at most 10^12',
                                "params") from None
        except (ValueError, ZeroDivisionError):
            raise ArgumentError(f'{quoted(f"{key}={raw}")}: {_shown(raw)} is not a number '
                                "(e.g. eps=1/10 or eps=0.1)", "params") from None
        value = params[key]
        if max(abs(value.numerator), value.denominator) > MAX_PARAM:
            # (eps=1e-5000 ended in a traceback: its exact probabilities have thousands of digits)
            raise ArgumentError(f'{quoted(f"{key}={raw}")}: numerator and denominator must be at most 10^12',
                                "params")
    return params


MAX_PARAM = 10**12
"""Largest numerator and denominator of a mechanism parameter in lowest terms (an eps of
10^-12 or more, a whole number up to 10^12)."""


def _player(instance: Instance, name: str) -> int:
    if not isinstance(name, str):  # (None read 'unknown player "None"')
        raise ArgumentError(f"player {_shown(name)}: expected a player's name, one of: {one_of(instance.players)}",
                            "player")
    if name not in instance.players:
        raise ArgumentError(f'unknown player {quoted(name)}; expected one of: {one_of(instance.players)}', "player")
    return instance.players.index(name)


def applicable(mechanism: Mechanism, instance: Instance) -> bool:
    """Whether ``mechanism`` is for this kind of instance (auction or market) and its size."""
    return mechanism.market == instance.is_market and instance.n >= mechanism.min_players


def check_applicable(mechanism: Mechanism, instance: Instance) -> None:
    """Refuse a mechanism named for the other kind of instance (an auction mechanism on a market,
    or the reverse) with one line. Its size is the mechanism's own check: perfect-revenue says
    itself that it needs two players (:func:`applicable` asks both, to leave a mechanism out)."""
    if mechanism.market != instance.is_market:
        kind = "markets (instances with an endowment)" if mechanism.market else "auctions (instances without an endowment)"
        raise ArgumentError(f"{instance.source}: mechanism {mechanism.name} is for {kind}", "mechanism")


@contextmanager
def not_proven_in_money(instance: Instance) -> Iterator[None]:
    """A ``NotProvenError`` raised inside, its incumbent and bound shown in the instance's money
    (``Instance.scale``), as every table shows values: solvers see integer units."""
    from benchmarks.results import NotProvenError

    try:
        yield
    except NotProvenError as exc:
        raise exc.in_units(instance.scale).with_traceback(exc.__traceback__) from None


def _facts(instance: Instance, solver: str, time_limit: float | None, jobs: int | None = None) -> Facts:
    from mechanisms.base import Facts

    return Facts(instance, solve_options(solver, time_limit, jobs))


AGENT_COLUMNS = ("mechanism", "agent", "members", "size", "E[u]", "E[u]_exact", "scale", "strategies")
"""The columns of :meth:`Evaluations.agent_rows` (``cabench evaluate --players-csv``)."""


@dataclass(frozen=True)
class Evaluations:
    """What ``cabench evaluate`` computes: per mechanism its exact evaluation (and Monte Carlo
    summary, if sampled). ``rows`` pairs each :class:`~mechanisms.Mechanism` with its
    :class:`~mechanisms.Evaluation` (expectations, outcome distribution, guarantee)."""

    instance: Instance
    rows: tuple[tuple[Mechanism, Evaluation, dict[str, Any] | None], ...]
    all_mechanisms: bool
    not_proven: tuple[tuple[Mechanism, str], ...] = ()
    """``all`` only: the mechanisms left out because a program their play or their theorem
    needs was not proven within the time limit, each with the reason (``rows`` has the others)."""
    strategies: str = "rational"
    """What was played: rational play, or the deviation family of :attr:`deviators` (everyone
    else rational), whose evaluation checks no theorem (the theorems are about rational play)."""
    deviators: tuple[int, ...] = ()
    """The players of the agent that deviates (a family only)."""
    too_few_players: tuple[tuple[Mechanism, int], ...] = ()
    """``all`` only: the mechanisms of the instance's kind left out because it has fewer
    players than they need, each with that number (perfect-revenue needs two)."""

    def __repr__(self) -> str:
        # One line (the dataclass's repr holds every outcome of every mechanism)
        names = ", ".join(m.name for m, _, _ in self.rows)
        return f"<Evaluations of {self.instance.name!r}, {self.strategies_played()}: {names}>"

    def _deviators_text(self) -> str:
        return "{" + ", ".join(self.instance.players[j] for j in self.deviators) + "}"

    def strategies_played(self) -> str:
        """``rational``, or the family with its deviators: ``overbid (prices x2) by {p1}``."""
        if self.strategies == "rational":
            return "rational"
        return f"{self.strategies} by {self._deviators_text()}"

    def played(self) -> str | None:
        """None for rational play; else one line saying who deviated and how."""
        if self.strategies == "rational":
            return None
        return (f'strategies "{self.strategies}" played by {self._deviators_text()}, everyone else rational; no '
                "theorem is checked off rational play")

    @property
    def failed(self) -> bool:
        """True when a theorem applies and its guarantee does not hold (the command exits 4)."""
        return any(ev.guarantee is not None and ev.guarantee.failed for _, ev, _ in self.rows)

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output of ``cabench evaluate``."""
        from cabench.present import evaluation_json

        payload = []
        for m, ev, extra in self.rows:
            data = evaluation_json(self.instance, m, ev)
            data["strategies"] = self.strategies
            if self.deviators:
                data["deviators"] = [self.instance.players[j] for j in self.deviators]
            if extra:
                data["monte_carlo"] = copy.deepcopy(extra)  # (a fresh dict: the caller may change it)
            payload.append(data)
        if not self.all_mechanisms:
            return payload[0]
        out: dict[str, Any] = {"instance": self.instance.name, "mechanisms": payload}
        if self.not_proven:
            out["not_proven"] = [{"mechanism": m.name, "reason": reason} for m, reason in self.not_proven]
        if self.too_few_players:
            out["not_applicable"] = [{"mechanism": m.name, "reason": reason} for m, reason in self.left_out()]
        return out

    def left_out(self) -> list[tuple[Mechanism, str]]:
        """Each mechanism of :attr:`too_few_players` with why (they were dropped without a word)."""
        return [(m, f"needs at least {k} players; the instance has {self.instance.n}")
                for m, k in self.too_few_players]

    def agent_rows(self) -> list[dict[str, Any]]:
        """One record per mechanism evaluated and agent (an independent player, or a coalition
        acting as one: seed 000 §2), mechanisms in the registry's order and agents in file order
        (:data:`AGENT_COLUMNS`): the agent's members (comma-separated, and as a JSON list, which a
        name with a comma cannot make ambiguous), their number, and its exact expected utility
        E[u] (seed 000 §1.2: the value of the goods it receives less the price it pays, summed
        over its members), as a float and as an exact fraction, in the file's integer units as
        the JSON's ``utility`` (``scale`` says the power of ten); and what was played
        (:meth:`strategies_played`). A mechanism not evaluated (:attr:`not_proven`) has no
        records: the mechanisms' table says why."""
        from cabench.present import in_registry_order

        inst, played = self.instance, self.strategies_played()
        rows = []
        for m, ev in in_registry_order([(m, ev) for m, ev, _ in self.rows]):
            for agent, u in ev.agent_utilities:
                members = [inst.players[j] for j in agent]
                rows.append({"mechanism": m.name, "agent": ",".join(members),
                             "members": json.dumps(members, ensure_ascii=False), "size": len(members),
                             "E[u]": float(u), "E[u]_exact": str(u), "scale": inst.scale, "strategies": played})
        return rows

    def agents_frame(self):
        """:meth:`agent_rows` as a pandas DataFrame, the same cells as ``cabench evaluate
        --players-csv`` (but for names a spreadsheet would read as formulas, which the CSV
        neutralises: ``instances.spreadsheet``). Needs pandas, as :meth:`to_frame` does.

        Examples
        --------
        >>> import cabench
        >>> result = cabench.evaluate("instances/examples/seed004-example.json", "vcg")
        >>> result.agents_frame()[["mechanism", "agent", "E[u]_exact"]]
          mechanism agent E[u]_exact
        0       vcg    p1        100
        1       vcg    p2        100
        2       vcg    p3          0
        """
        from benchmarks.report import data_frame

        return data_frame(self.agent_rows(), AGENT_COLUMNS)

    def agents_csv(self) -> str:
        """The text ``cabench evaluate --players-csv`` writes: :meth:`agent_rows` as CSV (a header
        line, then one line per mechanism and agent)."""
        from instances.spreadsheet import records_csv

        return records_csv(AGENT_COLUMNS, self.agent_rows())

    def to_frame(self):
        """One row per mechanism: ``mechanism``, ``E[SW]``, ``E[REV]``, ``total`` (floats; exact
        values in ``to_dict()``), the theorem's ``benchmark`` and its value, its ``guarantee``
        (the inequality: ``E[REV] >= BB/2 - eps``, or ``Pr[...] >= ...`` for a probability), the
        ``achieved`` side and the ``bound``, ``holds`` (None when the theorem's premise is not
        met), the ``verdict`` ("not checked:
        not rational play" for a deviation) and the ``strategies`` played (:attr:`strategies`,
        with the :attr:`deviators` after the family)."""
        from cabench.present import NOT_RATIONAL, in_registry_order

        rows = []
        for m, ev in in_registry_order([*((m, ev) for m, ev, _ in self.rows), *self.not_proven]):
            if isinstance(ev, str):  # (NaN expectations: nothing was evaluated)
                rows.append({"mechanism": m.name, "E[SW]": None, "E[REV]": None, "total": None, "benchmark": None,
                             "benchmark_value": None, "verdict": f"not proven: {ev}", "source": m.source,
                             "scale": self.instance.scale, "guarantee": None, "achieved": None, "bound": None,
                             "holds": None})
                continue
            g = ev.guarantee
            rows.append({  # the columns printed when a frame is too wide to show whole come first and last
                "mechanism": m.name, "E[SW]": float(ev.sw), "E[REV]": float(ev.rev), "total": float(ev.total),
                "benchmark": g.benchmark if g else None, "benchmark_value": g.benchmark_value if g else None,
                "verdict": g.verdict if g else NOT_RATIONAL if self.deviators else None, "source": m.source,
                "scale": self.instance.scale, "guarantee": g.statement if g else None,
                "achieved": float(g.achieved) if g else None, "bound": float(g.bound) if g else None,
                "holds": (g.holds if g.premise_unmet is None else None) if g else None,
                "strategies": self.strategies_played(),
            })
        from benchmarks.report import data_frame, integer_columns

        # (VCG has no theorem: its None made the column floats, where one mechanism's is integers)
        return integer_columns(data_frame(rows), ("benchmark_value",))


def evaluate(instance: Instance | str | Path | Mapping[str, Any], mechanism: str = "all",
             params: Mapping[str, Any] | None = None, strategies: str = "rational", player: str | None = None,
             samples: int | None = None, seed: int = 0, solver: str = DEFAULT_BACKEND,
             time_limit: float | None = None,
             progress: Callable[[int, int, str], None] | None = None, jobs: int | None = None) -> Evaluations:
    """Exact expected welfare, revenue and utilities of mechanisms on an instance, with the
    benchmark of each theorem, its bound and whether it holds (``cabench evaluate``).

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    mechanism : str
        A name of ``mechanisms.MECHANISMS``, or ``all`` (every applicable one, rational play).
    params : dict, optional
        Mechanism parameters, e.g. ``{"eps": "1/10"}``.
    strategies : str
        ``rational``, or a deviation family (see :func:`deviate`) played by ``player``'s agent.
    player : str, optional
        The deviating player, with a deviation family.
    samples : int, optional
        Also sample this many plays (Monte Carlo, seeded by ``seed``), at most :data:`MAX_SAMPLES`.
    seed : int
        The seed of the Monte Carlo sampling: the same seed, the same samples.
    solver, time_limit
        As for :func:`benchmarks` (the benchmark programs behind the strategies).
    progress : callable, optional
        ``progress(done, total, current)``: mechanisms evaluated so far, how many in all, and the
        name of the mechanism being evaluated (empty once all are done); with ``samples``, the
        plays sampled so far over all the mechanisms, ``samples`` per mechanism.
    jobs : int, optional
        Worker processes for the programs the strategies need, as for :func:`benchmarks` (a
        mechanism's rational play solves one or two programs per player, as one batch).

    Returns
    -------
    Evaluations
        ``to_dict()`` is the ``--json`` output; ``to_frame()`` has one row per mechanism. With
        ``all``, a mechanism that needs a program not proven within ``time_limit`` is listed in
        ``not_proven`` and the others are evaluated.

    Raises
    ------
    ArgumentError
        An unknown mechanism, family or player, a mechanism for the other kind of instance
        (auction or market), a parameter no mechanism evaluated has or out of its paper's range
        (every mechanism's parameters are checked before any is evaluated).
    NotProvenError
        When a program the mechanism needs (every mechanism, with ``all``) was not proven
        optimal within ``time_limit``.

    References
    ----------
    Each mechanism's steps, rational play and guarantee are its paper's: surviving-strategies
    (seed 001 §6, Theorem 1, proved as Theorem 2 in §7, the name ``evaluate`` prints),
    collusion-leveraging (seed 000 §4, Theorem 1), second-price-bundle and mixed-second-price
    (seed 000 §1.2), perfect-revenue (seed 002 §4, Theorem 2), budget-balanced and naive-1 to
    naive-4 (seed 003 §5, Theorem 1''), best-belief-normal (seed 004 §4, Theorem 1), best-belief
    (seed 004 §6, Theorem 2); VCG is the classical baseline. docs/definitions.md ("Mechanisms
    and their guarantees", "Rational play", and "References" for the papers) gives each in full.

    Examples
    --------
    >>> import cabench
    >>> ev = cabench.evaluate("instances/examples/seed004-example.json", "best-belief")
    >>> ev.to_dict()["guarantee"]["holds"]
    True
    """
    from benchmarks.results import NotProvenError
    from mechanisms.base import agent_of
    from mechanisms.base import evaluate as _evaluate
    from mechanisms.registry import MECHANISMS

    instance = load(instance)
    given = parse_params(params)
    facts = _facts(instance, solver, time_limit, jobs)
    _progress(progress)
    strategies, seed = _text(strategies, "strategies"), _whole(seed, "seed", -MAX_SEED, MAX_SEED)
    if samples is not None:  # (one sample gave an interval of width 0; 0 sampled nothing, silently)
        samples = _whole(samples, "samples", 2, MAX_SAMPLES)
    if player is not None:
        _player(instance, player)  # a player not in the instance is an error even where unused
        if strategies == "rational":  # (it was ignored)
            raise ArgumentError("a player is the agent of a deviation family; rational play has none "
                                "(choose a family of strategies)", "player")
    too_few: tuple[tuple[Mechanism, int], ...] = ()
    if mechanism == "all":
        if strategies != "rational":
            raise ArgumentError("all mechanisms are evaluated under rational play only", "strategies")
        chosen = [m for m in MECHANISMS.values() if applicable(m, instance)]
        too_few = tuple((m, m.min_players) for m in MECHANISMS.values()
                        if m.market == instance.is_market and instance.n < m.min_players)
        accepted = sorted({p.name for m in chosen for p in m.params})
        unknown = sorted(set(given) - set(accepted))
        if unknown:  # (each mechanism takes the parameters it has: a typo passed unnoticed)
            raise ArgumentError(f'unknown parameter "{unknown[0]}" of the mechanisms evaluated; expected one of: '
                                f'{", ".join(accepted) or "none"}', "params")
    else:
        chosen = [_mechanism(mechanism)]
        check_applicable(chosen[0], instance)
    # every mechanism's parameters checked before any is evaluated: with all, a ratio out of
    # perfect-revenue's range was found after four mechanisms had been evaluated
    with _parameter_arguments():
        params_of = [m.parameters(instance, {k: v for k, v in given.items()
                                             if mechanism != "all" or k in {p.name for p in m.params}})
                     for m in chosen]
    rows, not_proven = [], []
    deviators: tuple[int, ...] = ()
    # with samples the plays are what takes the time (a million of -m all: over an hour), so
    # progress counts them rather than the mechanisms
    steps = len(chosen) * (samples or 1)
    for done, (m, chosen_params) in enumerate(zip(chosen, params_of)):
        if progress is not None:
            progress(done * (samples or 1), steps, m.name)
        try:
            if strategies == "rational":
                profile = m.rational(instance, chosen_params, facts)
            else:
                if player is None:
                    raise ArgumentError(f'strategies "{strategies}" names a deviation family, not "rational": '
                                        "give the player who deviates (player=...)", "player")
                agent = agent_of(instance, _player(instance, player))
                families = m.deviation_families(instance, chosen_params, facts, agent)
                # a family by its label or the label's first word(s), when only one starts so
                # ("overbid" for "overbid (prices x2)"), in any case ("always yes" for "always YES")
                if strategies not in families:
                    strategies = {name.casefold(): name for name in families}.get(strategies.casefold(), strategies)
                starting = [name for name in families if name.casefold().startswith(strategies.casefold())]
                if strategies not in families and len(starting) > 1:
                    raise ArgumentError(f'"{strategies}" starts several families of {m.name}: '
                                        + ", ".join(starting) + "; give more of the label", "strategies")
                if strategies not in families and not starting:
                    raise ArgumentError(f'unknown family "{strategies}" for {m.name}; expected rational or one of: '
                                        + ", ".join(families), "strategies")
                strategies = strategies if strategies in families else starting[0]
                deviators = agent
                profile = families[strategies].profile
            ev = _evaluate(m, instance, chosen_params, profile, facts, check=strategies == "rational")
            extra = None
            if samples:
                from cabench.present import monte_carlo

                played = None if progress is None else (
                    lambda k, before=done * samples, name=m.name: progress(before + k, steps, f"{name}: plays"))
                extra = monte_carlo(instance, m, chosen_params, profile, samples, seed, facts.options, played)
                for key, exact in (("SW", ev.sw), ("REV", ev.rev)):
                    # every play alike while the exact expectation differs: the plays missed an
                    # outcome, and the interval (of no width) excludes the expectation
                    extra[key]["missed"] = extra[key]["all_equal"] and Fraction(extra[key]["exact"]["mean"]) != exact
        except NotProvenError as exc:
            shown = exc.in_units(instance.scale)
            if mechanism != "all":
                raise shown.with_traceback(exc.__traceback__) from None
            # the other mechanisms may need none of the programs not proven (VCG needs MSW and
            # MSW_-i only): they are evaluated all the same, and this one is listed as not proven
            not_proven.append((m, shown))
            continue
        rows.append((m, ev, extra))
    if progress is not None:
        progress(steps, steps, "")
    if not rows and not_proven:  # nothing evaluated: the first reason, as for one mechanism
        raise not_proven[0][1]
    return Evaluations(instance, tuple(rows), mechanism == "all", tuple((m, str(exc)) for m, exc in not_proven),
                       strategies, deviators, too_few)


def _prepare(instance, mechanism: str, player: str, params, solver: str, time_limit: float | None,
             jobs: int | None = None):
    instance = load(instance)
    given = parse_params(params)
    facts = _facts(instance, solver, time_limit, jobs)
    m = _mechanism(mechanism)
    check_applicable(m, instance)
    with _parameter_arguments():
        chosen_params = m.parameters(instance, given)
    return instance, facts, m, chosen_params, _player(instance, player)


@contextmanager
def _parameter_arguments() -> Iterator[None]:
    """A mechanism's parameter out of its paper's range, or one it does not have
    (``mechanisms.base.ParameterError``), as the :class:`ArgumentError` of ``params`` (``--param``
    on the command line); an instance too small for the mechanism stays the instance's error."""
    from mechanisms.base import ParameterError

    try:
        yield
    except ParameterError as exc:
        if exc.param is None:
            raise
        raise ArgumentError(str(exc), "params") from None


@dataclass(frozen=True)
class Announcement:
    """What ``cabench outcome`` computes: the announcements of a rational player's agent, by
    kind, as ``mechanisms`` describes them (actions) and as JSON (``to_dict()``)."""

    instance: Instance
    mechanism: Mechanism
    player: str
    agent: tuple[int, ...]
    actions: dict[str, Any]

    def __repr__(self) -> str:
        # One line, as Evaluations' (the dataclass's repr held the instance and every action)
        return (f"<Announcement of {self.player!r} in {self.mechanism.name} on {self.instance.name!r}: "
                f"{', '.join(self.actions)}>")

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output of ``cabench outcome``."""
        from cabench.present import describe

        return {"mechanism": self.mechanism.name, "player": self.player, "scale": self.instance.scale,
                "agent": [self.instance.players[j] for j in self.agent],
                "announcements": {kind: describe(a, self.instance) for kind, a in self.actions.items()}}


def outcome(instance: Instance | str | Path | Mapping[str, Any], mechanism: str, player: str,
            params: Mapping[str, Any] | None = None, solver: str = DEFAULT_BACKEND,
            time_limit: float | None = None, jobs: int | None = None) -> Announcement:
    """The announcement a rational player (or its coalition) makes in a mechanism: its optimal
    reported outcome (``cabench outcome``).

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    mechanism : str
        A name of ``mechanisms.MECHANISMS``.
    player : str
        The player whose announcement to show.
    params : dict, optional
        Mechanism parameters.
    solver, time_limit, jobs
        As for :func:`benchmarks`.

    Returns
    -------
    Announcement
        ``to_dict()`` is the ``--json`` output.

    Raises
    ------
    ArgumentError
        An unknown mechanism or player, a mechanism for the other kind of instance (auction or
        market), a parameter the mechanism does not have or out of its paper's range.
    NotProvenError
        When a program the mechanism needs was not proven optimal within ``time_limit``.

    References
    ----------
    The mechanism's paper, as listed under :func:`evaluate`.

    Examples
    --------
    >>> import cabench
    >>> a = cabench.outcome("instances/examples/seed004-example.json", "best-belief", "p3")
    >>> a.to_dict()["agent"]
    ['p3']
    """
    from mechanisms.base import agent_of
    from mechanisms.engine import outcome_distribution

    instance, facts, m, params, i = _prepare(instance, mechanism, player, params, solver, time_limit, jobs)
    # the plays alone, without the expectations ``evaluate`` sums over them (n utilities per
    # branch: at 1000 players of a market, 5 of the 20 s)
    with not_proven_in_money(instance):
        outcomes = outcome_distribution(m.rules, instance, params, m.rational(instance, params, facts), facts.options)
    actions: dict[str, Any] = {}
    for _, terminal in outcomes:
        for who, kind, action in terminal.actions:
            if who == i and kind not in ("answer",):
                actions.setdefault(kind, action)
    return Announcement(instance, m, player, agent_of(instance, i), actions)


@dataclass(frozen=True)
class Deviations:
    """What ``cabench deviate`` computes: the agent's expected utility under rational play and
    under each deviation family, with what the paper claims about each."""

    instance: Instance
    mechanism: Mechanism
    agent: tuple[int, ...]
    rational: Evaluation
    knowledge: dict[str, Any]
    rows: tuple[dict[str, Any], ...]

    def __repr__(self) -> str:
        # One line, as Evaluations' (the dataclass's repr of a CATS file's ran to 10,000 characters)
        agent = "{" + ", ".join(self.instance.players[j] for j in self.agent) + "}"
        return (f"<Deviations of {agent} in {self.mechanism.name} on {self.instance.name!r}: "
                f"{len(self.rows)} families>")

    def to_dict(self) -> dict[str, Any]:
        """The ``--json`` output of ``cabench deviate``."""
        from cabench.present import number

        return copy.deepcopy({  # (fresh dicts: changing them changed this object's rows)
            "mechanism": self.mechanism.name, "scale": self.instance.scale,
            "agent": [self.instance.players[j] for j in self.agent],
            "rational_utility": number(self.rational.agent_utility(self.agent)), "knowledge": self.knowledge,
            "rational": {"SW": float(self.rational.sw), "REV": float(self.rational.rev)},
            "deviations": list(self.rows)})

    def to_frame(self):
        """One row per deviation family: ``family``, ``utility`` and ``gain`` (floats; exact in
        ``to_dict()``), ``pays`` (the gain is positive), ``dominated_in_paper`` (the paper says
        the family does not pay), ``paper`` (what the paper claims, in words), ``assumes`` (the
        claim's premise, such as correct knowledge), ``unilateral`` (False when the row also
        changes other agents' strategies), ``claim_applies`` (the premise holds here, so the
        claim is tested), ``why``, and the expected ``SW`` and ``REV`` under the deviation."""
        rows = [{**r, "utility": float(Fraction(r["utility"]["exact"])), "gain": float(Fraction(r["gain"]["exact"]))}
                for r in self.rows]
        from benchmarks.report import data_frame

        return data_frame(rows)


def deviate(instance: Instance | str | Path | Mapping[str, Any], mechanism: str, player: str,
            params: Mapping[str, Any] | None = None, solver: str = DEFAULT_BACKEND,
            time_limit: float | None = None, jobs: int | None = None) -> Deviations:
    """Expected utility of the rational strategy versus each deviation family for the agent of
    ``player`` (``cabench deviate``): which deviations do not pay, and (for VCG) which do.

    Parameters
    ----------
    instance : Instance, path or dict
        Anything :func:`load` accepts.
    mechanism : str
        A name of ``mechanisms.MECHANISMS``.
    player : str
        The deviating player (its whole coalition deviates with it).
    params : dict, optional
        Mechanism parameters.
    solver, time_limit, jobs
        As for :func:`benchmarks`.

    Returns
    -------
    Deviations
        ``to_dict()`` is the ``--json`` output; ``to_frame()`` has one row per family.

    Raises
    ------
    ArgumentError, NotProvenError
        As :func:`outcome` raises them.

    References
    ----------
    The mechanism's paper, as listed under :func:`evaluate`.

    Examples
    --------
    >>> import cabench
    >>> d = cabench.deviate("instances/examples/seed004-example.json", "best-belief", "p3")
    >>> any(row["pays"] for row in d.to_dict()["deviations"])
    False
    """
    from cabench.present import number
    from mechanisms.base import agent_of
    from mechanisms.base import evaluate as _evaluate

    instance, facts, m, params, i = _prepare(instance, mechanism, player, params, solver, time_limit, jobs)
    agent = agent_of(instance, i)
    with not_proven_in_money(instance):
        base = _evaluate(m, instance, params, m.rational(instance, params, facts), facts, check=False)
        families = m.deviation_families(instance, params, facts, agent)
        played = {name: _evaluate(m, instance, params, dev.profile, facts, check=False)
                  for name, dev in families.items()}
    rational_u = base.agent_utility(agent)
    knowledge = agent_knowledge(instance, agent)
    rows = []
    for name, dev in families.items():
        ev = played[name]
        u = ev.agent_utility(agent)
        label, assumes = deviation_label(dev, knowledge)
        claim_applies = label != "dominated if knowledge correct"
        if ev.outcomes == base.outcomes and dev.scenario is None:
            # (a coalition of everyone is never asked; player 1's partners answer YES anyway):
            # the family plays as the rational strategy does here, and a claim of dominance is
            # about strategies whose plays differ
            label = "same play here"
        rows.append({"family": name, "utility": number(u), "gain": number(u - rational_u), "pays": u > rational_u,
                     "dominated_in_paper": dev.dominated, "paper": label, "assumes": assumes,
                     "unilateral": dev.scenario is None, "claim_applies": claim_applies,
                     "why": dev.why, "SW": float(ev.sw), "REV": float(ev.rev)})
    return Deviations(instance, m, agent, base, knowledge, tuple(rows))


def agent_knowledge(instance: Instance, agent: tuple[int, ...]) -> dict[str, object]:
    """Whether every member's knowledge is correct (True, False, or None if undecided)."""
    from benchmarks.correctness import knowledge_correct

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
    "dominated". Seed 004 judges dominance by the agent's beliefs, right or wrong
    (``Deviation.by_beliefs``): its claims cover every agent, and an agent whose beliefs are not
    known to be correct reads "dominated by its beliefs", since its true E[u] may still rise. A
    row that changes other agents' strategies is a scenario, not a deviation."""
    assumes = []
    if dev.scenario is not None:
        assumes.append(f"other players change too: {dev.scenario}")
    if dev.dominated and dev.by_beliefs:
        assumes.append("dominance by the agent's own beliefs, correct or not (seed 004's lemmas hold in every "
                       "context); with wrong beliefs its true E[u] may still rise")
    elif dev.dominated and dev.needs_correct_knowledge:
        assumes.append("the agent's knowledge is correct (the paper's claim is about what it knows)")
    if dev.scenario is not None:
        label = "scenario (not unilateral)"
    elif not dev.dominated:
        label = "not dominated"
    elif dev.by_beliefs and knowledge["correct"] is not True:
        label = "dominated by its beliefs"
    elif dev.needs_correct_knowledge and knowledge["correct"] is not True:
        label = "dominated if knowledge correct"
    else:
        label = "dominated"
    return label, "; ".join(assumes)
