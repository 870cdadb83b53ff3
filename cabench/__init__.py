"""cabench: exact knowledge benchmarks and robust mechanisms for combinatorial auctions.

The Python API (the same computations as the ``cabench`` commands, from a script or a notebook,
no ``if __name__ == "__main__":`` guard needed)::

    import cabench
    inst = cabench.load("instances/examples/seed004-example.json")  # or a dict, or generate(...)
    report = cabench.benchmarks(inst, solver="portfolio", time_limit=None, jobs=None)
    report.msw.value           # 200
    report.to_frame()          # one row per benchmark, as a pandas DataFrame
    report.players_frame()     # one row per player: the columns of --players-csv
    report.player_rows()       # the same as plain dicts (no pandas)
    report.to_dict()           # the JSON of `cabench benchmarks --json`
    cabench.evaluate(inst, "best-belief").to_frame()   # E[SW], E[REV], guarantee, bound, holds
    cabench.evaluate(inst, "best-belief").agents_frame()   # E[u] per agent: evaluate --players-csv
    cabench.outcome(inst, "best-belief", "p3").to_dict()
    cabench.deviate(inst, "best-belief", "p3").to_frame()
    cabench.annotate(inst, knowledge="noisy-lower:0.2", seed=1, replace=True)
    cabench.generate("regions", goods=20, bids=60, players=5, seed=0, knowledge="exact")
    cabench.import_cats("instances/examples/cats-scheduling-40-200.txt")   # a CATS file

:func:`load`, :func:`import_cats`, :func:`benchmarks`, :func:`evaluate`, :func:`outcome`,
:func:`deviate`, :func:`annotate`, :func:`generate` and :func:`save` (which writes an instance
file as the commands do) are documented one by one (``help(cabench.benchmarks)``);
:class:`Report` is what :func:`benchmarks` returns (``players_frame()``, ``coalitions_frame()``,
``to_frame()``, ``to_dict()``); :class:`SolveOptions` is what they pass down to the solvers.
Every error of bad input is a :class:`CabenchError` (an :class:`ArgumentError` for an argument,
naming it); a program not proven optimal within the time limit, where a value was needed, is a
:class:`NotProvenError` holding the interval reached.

The application package: the ``cabench`` command (``cabench.cli``, the group and its entry point;
the commands in ``cabench.instance_commands``, ``cabench.perf_command``,
``cabench.mechanism_commands`` and ``cabench.experiment_commands``), its terminal tables
(``cabench.render``, ``cabench.present``) and other formats (``cabench.tables``,
``cabench.formats``; the benchmark report's own JSON, CSV and data frames are
``benchmarks.report``'s), the public API (``cabench.api``), the performance suite (``cabench.perf``), sweeps
(``cabench.sweep``) and figures (``cabench.plot``). It sits on top of the library, whose
dependencies flow one way::

    instances -> ilp -> benchmarks -> mechanisms -> cabench

``instances`` holds the model, file formats, generators and knowledge models; ``ilp`` the integer
programs and solver backends; ``benchmarks`` the papers' benchmarks; ``mechanisms`` the papers'
mechanisms, rational strategies and exact evaluators. Every package's names are imported on first
use (``instances.lazy``), so ``import cabench`` loads none of their modules, only the four
packages themselves, from beside ``cabench`` (:func:`_own_layers`).
"""

from __future__ import annotations

from typing import Any

LAYERS = ("instances", "ilp", "benchmarks", "mechanisms")
"""The library's packages, installed beside ``cabench``."""


def _own_layers() -> None:
    """Import the library's packages from beside this one, whatever the working folder holds.

    An editable install (``pip install -e .``, the README's set-up) finds the packages through
    a finder that Python asks after the folders of ``sys.path``, and a script, ``python -c`` or
    ``python -m`` puts the working folder first there: a folder of instance files named
    ``instances/`` in it was imported as the package ``instances`` (a traceback naming
    ``instances/schema.json``). Each package is loaded from beside ``cabench``, before any
    other import can look for it; one already imported from elsewhere is an ``ImportError``
    that says so.
    """
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in LAYERS:
        module = sys.modules.get(name)
        if module is not None:
            where = getattr(module, "__file__", None)
            if where is None or Path(where).resolve().parent.parent != root:
                found = where or ", ".join(getattr(module, "__path__", ())) or "an unknown place"
                raise ImportError(f"cabench needs its own package {name!r} (in {root}), but {name!r} is already "
                                  f"imported from {found}: import cabench first, or rename that folder", name=name)
            continue
        spec = importlib.machinery.PathFinder.find_spec(name, [str(root)])
        if spec is None or spec.loader is None:  # (installed otherwise: the import system finds it)
            continue
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[name]
            raise


_own_layers()

from instances.lazy import lazy_exports  # noqa: E402  (after _own_layers: from cabench's own instances)

__all__ = [
    "Announcement",
    "ArgumentError",
    "CabenchError",
    "Deviations",
    "Evaluations",
    "NotProvenError",
    "Report",
    "SolveOptions",
    "__version__",
    "annotate",
    "benchmarks",
    "deviate",
    "evaluate",
    "generate",
    "import_cats",
    "load",
    "outcome",
    "save",
]

_exported, __dir__ = lazy_exports(__name__, {
    "cabench.api": ("Announcement", "ArgumentError", "Deviations", "Evaluations", "annotate", "benchmarks", "deviate",
                    "evaluate", "generate", "import_cats", "load", "outcome", "save"),
    "benchmarks.report": ("Report",),
    "benchmarks.results": ("NotProvenError",),
    "instances.errors": ("CabenchError",),
    "ilp.contract": ("SolveOptions",),
})


def __getattr__(name: str) -> Any:
    """The exported names (``instances.lazy``), and ``__version__``, read from the installed
    package's metadata when asked for: importing ``importlib.metadata`` costs every run of the
    console script about 30 ms (2026-12-02), and only ``--version`` and the sweep's provenance
    record need it."""
    if name != "__version__":
        return _exported(name)
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cabench")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "0+unknown"
