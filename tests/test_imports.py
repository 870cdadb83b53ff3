"""A ``cabench`` run imports only what it needs: the packages export their names lazily
(``instances.lazy``), and the commands import the library they run. ``cabench --help`` and a run
that ends on bad input (exit 2) load none of the solvers, numpy or the mechanisms; the exported
names stay importable exactly as with plain imports."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
import types

import pytest

from tests.conftest import EXAMPLES, ROOT

PACKAGES = ("instances", "ilp", "benchmarks", "mechanisms", "cabench")

SOLVERS = ("ortools", "highspy", "pyscipopt", "pulp", "scipy")
"""The solver libraries: never imported by a run that solves nothing."""
OPTIONAL = ("pandas", "matplotlib", "dask", "pygambit", "pyarrow")
"""The optional extras: only the commands that use them import them."""
LIBRARY = ("numpy", "jsonschema", "networkx", "mechanisms.registry", "benchmarks.report", "ilp.backends")
"""What a command imports when it runs; --help and a bad flag do not."""


def loaded_after(code: str) -> set[str]:
    """The top-level and cabench modules loaded by a fresh interpreter after running ``code``."""
    script = f"{code}\nimport json, sys\nprint('\\n' + json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return set(json.loads(done.stdout.splitlines()[-1]))


def loaded_by_cli(*argv: str) -> tuple[int, set[str]]:
    """Exit status and loaded modules of ``cabench ARGV``, run by its main() in a fresh interpreter."""
    code = (f"import sys\nfrom cabench.cli import main\ncode = main({list(argv)!r})\n"
            "sys.stdout.flush()\nsys.stderr.write(f'exit {code}\\n')")
    script = f"{code}\nimport json\nprint('\\n' + json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    status = int(done.stderr.strip().splitlines()[-1].split()[-1])
    return status, set(json.loads(done.stdout.splitlines()[-1]))


def among(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


@pytest.mark.parametrize("argv", [("--help",), ("benchmarks", "--help"), ("evaluate", "--help"),
                                  ("sweep", "--help"), ("--version",)])
def test_help_imports_no_solver_numpy_or_mechanism(argv):
    status, modules = loaded_by_cli(*argv)
    assert status == 0
    assert among(modules, SOLVERS + OPTIONAL + LIBRARY) == []


@pytest.mark.parametrize("argv", [
    ("benchmarks", str(EXAMPLES / "seed004-example.json"), "--jobs", "0"),
    ("benchmarks", str(EXAMPLES / "seed004-example.json"), "--format", "pdf"),
    ("evaluate", str(EXAMPLES / "seed004-example.json"), "--mechanism", "no-such-mechanism"),
    ("sweep", "nowhere", "-o", "out.parquet", "--mechanisms", "no-such-mechanism"),
    ("no-such-command",),
])
def test_a_bad_flag_imports_no_solver_numpy_or_mechanism(argv):
    status, modules = loaded_by_cli(*argv)
    assert status == 2
    assert among(modules, SOLVERS + OPTIONAL + LIBRARY) == []


@pytest.mark.parametrize("argv", [("benchmarks", "no-such-file.json"), ("evaluate", "no-such-file.json", "-m", "vcg"),
                                  ("benchmarks", str(EXAMPLES / "seed004-example.json"), "--solver", "gurobi")])
def test_bad_input_imports_no_solver(argv):
    """A missing file or an unknown solver: the backend is checked (its module imported), but no
    solver library is, nor an optional extra."""
    status, modules = loaded_by_cli(*argv)
    assert status == 2
    assert among(modules, SOLVERS + OPTIONAL) == []


def test_cp_sat_and_pandas_are_imported_only_by_a_solve_that_reaches_cp_sat(tmp_path):
    """OR-Tools' CP-SAT module, and pandas with it (0.6 s), is imported by the first solve that
    reaches CP-SAT (``ilp.cpsat.ortools``), not ahead of the programs: the programs of paths 64 /
    500 / 10 (seed 0) are all settled before CP-SAT; the bundled candidates file's are not."""
    from instances import instance_text
    from instances.generate import generate_instance

    paths = tmp_path / "paths.json"
    paths.write_text(instance_text(generate_instance("paths", 64, 500, 10, 0)))
    status, modules = loaded_by_cli("benchmarks", str(paths))
    assert status == 0
    assert among(modules, ("ortools.sat", "pandas")) == []
    status, modules = loaded_by_cli("benchmarks", str(EXAMPLES / "random-candidates.json"))
    assert status == 0
    assert among(modules, ("ortools.sat", "pandas")) == ["ortools.sat", "pandas"]


def test_importing_the_packages_imports_none_of_their_modules():
    modules = loaded_after("import instances, ilp, benchmarks, mechanisms, cabench")
    mine = sorted(m for m in modules if m.partition(".")[0] in PACKAGES)
    assert mine == sorted([*PACKAGES, "instances.lazy"])
    assert among(modules, SOLVERS + OPTIONAL + ("numpy",)) == []


@pytest.mark.parametrize("package", PACKAGES)
def test_every_exported_name_is_importable_as_before(package):
    """``from package import name`` and ``package.name`` for every name of ``__all__``, each the
    object of its module; ``dir()`` lists them; unknown names are AttributeErrors."""
    module = importlib.import_module(package)
    assert len(set(module.__all__)) == len(module.__all__)
    for name in module.__all__:
        value = getattr(module, name)
        assert value == getattr(module, name)
        assert name in dir(module)
        exec(f"from {package} import {name} as imported", {}, scope := {})
        assert scope["imported"] == value
    # dir() offers the API and the submodules, not the helpers the package's __init__ imports
    assert {n for n in dir(module) if not n.startswith("_")} - set(module.__all__) <= {
        name for name in dir(module) if isinstance(getattr(module, name, None), types.ModuleType)}
    with pytest.raises(AttributeError, match="no_such_name"):
        module.no_such_name  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package} import no_such_name", {})


@pytest.mark.parametrize("package", PACKAGES)
def test_star_import_gives_all(package):
    scope: dict = {}
    exec(f"from {package} import *", scope)
    assert set(module for module in scope if module != "__builtins__") == set(importlib.import_module(package).__all__)


@pytest.mark.parametrize("package", PACKAGES)
def test_no_exported_name_is_also_a_submodule(package):
    """A submodule of the same name would replace the exported object once imported."""
    module = importlib.import_module(package)
    submodules = {info.name for info in pkgutil.iter_modules(module.__path__)}
    assert not submodules & set(module.__all__)


def test_the_light_lists_match_the_registries():
    """The names the command line offers without importing the library are the library's."""
    from ilp.backends import backend_names
    from ilp.contract import BACKEND_MODULES
    from mechanisms import MECHANISMS
    from mechanisms.names import MECHANISM_NAMES

    assert list(MECHANISM_NAMES) == list(MECHANISMS)
    assert list(BACKEND_MODULES) == backend_names()


def test_every_application_module_imports_first_in_a_fresh_interpreter():
    """Each module of the application imports on its own, first thing in a new process: the
    command modules imported ``cabench.cli``, which imported them back, so a plain
    ``import cabench.mechanism_commands`` failed on a partly initialised module. (The library's
    modules are imported in every order by the tests themselves.)"""
    import cabench

    names = [f"cabench.{info.name}" for info in pkgutil.iter_modules(cabench.__path__)]
    assert "cabench.mechanism_commands" in names and "cabench.__main__" in names  # (it runs only as a script)
    # one interpreter per module: each import is the first of its process
    script = ("import subprocess, sys\nfailed = []\nfor name in sys.argv[1:]:\n"
              "    done = subprocess.run([sys.executable, '-c', f'import {name}'], capture_output=True, text=True)\n"
              "    if done.returncode:\n        failed.append((name, done.stderr.strip().splitlines()[-1]))\n"
              "print(failed)")
    done = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert done.stdout.strip() == "[]", done.stdout + done.stderr
