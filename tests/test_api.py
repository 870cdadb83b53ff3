"""The Python API (``import cabench``): the same numbers as the commands, frames and dicts, no
``__main__`` guard needed, and a core that works without the optional packages (issue #11)."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import cabench
from tests.conftest import EXAMPLES, ROOT, run_cli

SEED004 = EXAMPLES / "seed004-example.json"


def _cli_json(*args: str) -> dict:
    result = run_cli(*args, "--json")
    assert result.returncode in (0, 4), result.stderr
    return json.loads(result.stdout)


def test_public_names_are_documented():
    for name in ("load", "benchmarks", "evaluate", "outcome", "deviate", "annotate", "generate", "import_cats",
                 "save"):
        assert name in cabench.__all__
        doc = getattr(cabench, name).__doc__
        assert "Parameters" in doc and "Returns" in doc and "Examples" in doc, name
    assert "cabench.benchmarks" in cabench.__doc__



def test_version_is_the_installed_one():
    """``cabench.__version__`` (read from the package's metadata when asked for) is the installed
    version, and ``cabench --version`` prints it."""
    from importlib.metadata import version

    assert cabench.__version__ == version("cabench")
    assert "__version__" in cabench.__all__
    with pytest.raises(AttributeError):
        cabench.no_such_name  # noqa: B018
    result = run_cli("--version")
    assert result.returncode == 0 and result.stdout.split()[-1] == cabench.__version__

def test_benchmarks_equal_the_command(tmp_path):
    report = cabench.benchmarks(cabench.load(SEED004), solver="cpsat", jobs=1)
    assert report.to_dict() == _cli_json("benchmarks", str(SEED004), "--solver", "cpsat", "--jobs", "1")
    frame = report.to_frame()
    msw = frame[frame.benchmark == "MSW"].iloc[0]
    assert msw.value == 200 and msw.proven and msw.witness
    assert {"benchmark", "player", "agent", "value", "proven", "witness"} <= set(frame.columns)
    miew = frame[(frame.benchmark == "MIEW") & (frame.player == "p3")].iloc[0]
    assert miew.value == report.players[2].miew.value


def test_players_frame_equals_the_players_csv(tmp_path):
    """``Report.players_frame()`` and ``player_rows()`` are ``--players-csv``'s table: the same
    columns and cells (the frame writes the same CSV text), integers kept integers; likewise
    ``coalitions_frame()`` and ``--coalitions-csv``."""
    import csv

    assert "Report" in cabench.__all__ and cabench.Report.players_frame.__doc__
    path = tmp_path / "pairs.json"
    assert run_cli("generate", "-d", "regions", "-m", "8", "-b", "20", "-n", "6", "--knowledge", "candidates:2",
                   "--coalitions", "pairs:2", "-o", str(path)).returncode == 0
    players, coalitions = tmp_path / "players.csv", tmp_path / "coalitions.csv"
    result = run_cli("benchmarks", str(path), "--solver", "cpsat", "--players-csv", str(players),
                     "--coalitions-csv", str(coalitions))
    assert result.returncode == 0, result.stderr
    report = cabench.benchmarks(path, solver="cpsat", jobs=1)
    assert isinstance(report, cabench.Report)
    frame = report.players_frame()
    assert frame.to_csv(index=False, lineterminator="\n") == players.read_text() == report.players_csv()
    assert list(frame.columns) == next(csv.reader(players.open()))
    assert str(frame["MIEW"].dtype) == "Int64" and frame["MIEW"].tolist() == [p.miew.value for p in report.players]
    as_text = [{k: "" if v is None else str(v) for k, v in row.items()} for row in report.player_rows()]
    assert as_text == list(csv.DictReader(players.open()))
    agents = report.coalitions_frame()
    assert agents.to_csv(index=False, lineterminator="\n") == coalitions.read_text() == report.coalitions_csv()
    assert len(agents) == 2 and agents["MKW"].tolist() == [a.mkw.value for a in report.agents if len(a.members) > 1]


def test_load_accepts_a_dict_and_reports_bad_fields():
    from instances import instance_text

    data = json.loads(SEED004.read_text())
    assert instance_text(cabench.load(data)) == instance_text(cabench.load(SEED004))
    data["valuations"]["p1"] = {"explicit": "nonsense"}
    with pytest.raises(cabench.api.CabenchError, match="p1"):
        cabench.load(data)


def test_evaluate_outcome_deviate_equal_the_commands():
    ev = cabench.evaluate(SEED004, "all")
    assert ev.to_dict() == _cli_json("evaluate", str(SEED004), "-m", "all")
    frame = ev.to_frame()
    assert {"mechanism", "E[SW]", "E[REV]", "bound", "holds"} <= set(frame.columns)
    assert len(frame) == len(ev.to_dict()["mechanisms"])
    one = cabench.evaluate(SEED004, "best-belief", params={"eps": "1/10"})
    assert one.to_dict() == _cli_json("evaluate", str(SEED004), "-m", "best-belief", "--param", "eps=1/10")
    assert cabench.outcome(SEED004, "best-belief", "p3").to_dict() == _cli_json(
        "outcome", str(SEED004), "-m", "best-belief", "--player", "p3")
    deviations = cabench.deviate(SEED004, "best-belief", "p3")
    assert deviations.to_dict() == _cli_json("deviate", str(SEED004), "-m", "best-belief", "--player", "p3")
    assert len(deviations.to_frame()) == len(deviations.rows)


def test_bad_arguments_name_the_argument():
    with pytest.raises(cabench.ArgumentError) as error:
        cabench.benchmarks(SEED004, solver="gurobi")
    assert error.value.param == "solver"
    with pytest.raises(cabench.ArgumentError) as error:
        cabench.deviate(SEED004, "best-belief", "nobody")
    assert error.value.param == "player"
    for call in (lambda: cabench.evaluate(SEED004, "best-belief", jobs=0),
                 lambda: cabench.outcome(SEED004, "best-belief", "p3", jobs=0),
                 lambda: cabench.deviate(SEED004, "best-belief", "p3", jobs=0)):
        with pytest.raises(cabench.ArgumentError) as error:
            call()
        assert error.value.param == "jobs"
    assert cabench.outcome(SEED004, "best-belief", "p3", jobs=1).to_dict() == cabench.outcome(
        SEED004, "best-belief", "p3").to_dict()


@pytest.mark.parametrize("call, param", [
    (lambda: cabench.benchmarks(SEED004, jobs=10**6), "jobs"),  # (the kernel was left unable to start threads)
    (lambda: cabench.benchmarks(SEED004, jobs="2"), "jobs"),
    (lambda: cabench.deviate(SEED004, "best-belief", "p3", jobs=1.5), "jobs"),
    (lambda: cabench.benchmarks(SEED004, time_limit="5"), "time_limit"),
    (lambda: cabench.benchmarks(SEED004, time_limit=True), "time_limit"),
    (lambda: cabench.benchmarks(SEED004, progress=5), "progress"),
    (lambda: cabench.benchmarks(SEED004, solver=["cpsat"]), "solver"),
    (lambda: cabench.load(42), "instance"),
    (lambda: cabench.load(None), "instance"),
    (lambda: cabench.load(SEED004, coalition_knowledge="nope"), "coalition_knowledge"),
    (lambda: cabench.generate("arbitrary", 1.5, 6, 3), "goods"),
    (lambda: cabench.generate("arbitrary", True, 6, 3), "goods"),
    (lambda: cabench.generate("arbitrary", 4, 6, "3"), "players"),
    (lambda: cabench.generate("arbitrary", 4, 6, 3, knowledge=None), "knowledge"),
    (lambda: cabench.generate("arbitrary", 4, 6, 3, coalitions=None), "coalitions"),
    (lambda: cabench.generate("arbitrary", 4, 6, 3, seed="x"), "seed"),
    (lambda: cabench.annotate(SEED004, knowledge=5), "knowledge"),
    (lambda: cabench.annotate(SEED004, knowledge="exact", seed=[1], replace=True), "seed"),
    (lambda: cabench.evaluate(SEED004, "best-belief", samples=1), "samples"),
    (lambda: cabench.evaluate(SEED004, "best-belief", samples=-1), "samples"),
    (lambda: cabench.evaluate(SEED004, "best-belief", samples=2, seed=None), "seed"),
    (lambda: cabench.evaluate(SEED004, ["vcg"]), "mechanism"),
    (lambda: cabench.evaluate(SEED004, "best-belief", params="eps=1/10"), "params"),
    (lambda: cabench.evaluate(SEED004, "all", params={"epsilon": "1/10"}), "params"),  # (a typo was ignored)
    # specs the models cannot read or apply (a SpecError that began "--distribution: ...")
    (lambda: cabench.generate("xyz", 4, 6, 3), "distribution"),
    (lambda: cabench.generate("paths", 4, 6, 3, knowledge="noisy-lower:2"), "knowledge"),
    (lambda: cabench.generate("paths", 4, 6, 3, coalitions="pairs:5"), "coalitions"),
    (lambda: cabench.annotate(SEED004, knowledge="wrong:7", replace=True), "knowledge"),
    (lambda: cabench.evaluate(SEED004, "vcg", player="p1"), "player"),  # (its message named --strategies)
    (lambda: cabench.evaluate(SEED004, "all", strategies="underbid"), "strategies"),
    (lambda: cabench.outcome(SEED004, "best-belief", None), "player"),  # (it said 'unknown player "None"')
    (lambda: cabench.evaluate(SEED004, "best-belief", params={"eps": True}), "params"),  # (it was eps = 1)
    (lambda: cabench.annotate(SEED004, knowledge="exact", replace="no"), "replace"),  # (it was True)
    (lambda: cabench.annotate(SEED004), "knowledge"),  # (nothing drawn, silently; the command refuses it)
    (lambda: cabench.import_cats(EXAMPLES / "cats-scheduling-40-200.txt", scale=0), "scale"),
    (lambda: cabench.import_cats(EXAMPLES / "cats-scheduling-40-200.txt", round_digits=10), "round_digits"),
    (lambda: cabench.import_cats(EXAMPLES / "cats-scheduling-40-200.txt", scale=30), "scale"),
    (lambda: cabench.import_cats(5), "source"),
    (lambda: cabench.save(SEED004, "-"), "path"),
    (lambda: cabench.save(SEED004, None), "path"),
])
def test_a_wrong_type_or_range_is_an_argument_error(call, param):
    """Arguments of the wrong type or range raise ``ArgumentError`` naming the argument (they
    raised TypeError, AttributeError or ZeroDivisionError from deep inside, or were taken: a
    seed "x", a coalition knowledge "nope", a million jobs)."""
    with pytest.raises(cabench.ArgumentError) as error:
        call()
    assert error.value.param == param, error.value
    assert param in _ARGUMENTS  # (it was the command's flag: "time-limit", "param")
    assert "--" not in str(error.value), error.value  # (the command line's flag is not the argument)


_ARGUMENTS = {name for function in ("annotate", "benchmarks", "deviate", "evaluate", "generate", "import_cats",
                                    "load", "outcome", "save")
              for name in inspect.signature(getattr(cabench, function)).parameters}
"""Every argument name of the API's functions."""


@pytest.mark.parametrize("value", ["0_1", "1_000", "\u0661", "\u0660.\u0661"])
def test_a_parameter_in_digits_python_reads_but_a_user_does_not_mean_is_refused(value):
    """``eps=0_1`` (Python's digit separator) was read as eps = 1, ten times the 0.1 meant, with
    exit 0; Arabic-Indic digits were read too. The command and the API refuse both."""
    result = run_cli("evaluate", str(SEED004), "-m", "best-belief", "--param", f"eps={value}")
    assert result.returncode == 2 and "is not a number" in result.stderr, result.stderr
    with pytest.raises(cabench.ArgumentError) as error:
        cabench.evaluate(SEED004, "best-belief", params={"eps": value})
    assert error.value.param == "params"


def test_python_values_that_are_not_json_are_named_and_huge_limits_are_none():
    """A dict holding a NumPy integer (a data frame's cell) raised a bare ValueError naming no
    field, and ``time_limit=10**400`` an OverflowError; ``--time-limit 1e400`` is no limit."""
    import numpy as np

    from instances import CabenchError

    data = json.loads(SEED004.read_text())
    data["valuations"]["p1"]["explicit"][0][1] = np.int64(100)
    with pytest.raises(CabenchError, match=r"valuations\.p1\.explicit\[0\]\[1\]: int64 \"100\" is not a JSON value"):
        cabench.load(data)
    data["valuations"]["p1"]["explicit"][0][1] = 100
    data["description"] = {"x"}
    with pytest.raises(CabenchError, match=r"description: set"):
        cabench.load(data)
    assert cabench.benchmarks(SEED004, time_limit=10**400).msw.value == 200


def test_a_parameter_that_is_no_number_says_so():
    """A params dict's value that is not a number was "not KEY=VALUE", the command line's words."""
    with pytest.raises(cabench.ArgumentError, match="\"eps=abc\": 'abc' is not a number") as error:
        cabench.evaluate(SEED004, "best-belief", params={"eps": "abc"})
    assert error.value.param == "params"


def test_a_dict_with_a_key_that_is_not_a_string_names_it():
    """A dict built in Python may have keys JSON cannot: an ``InputError`` naming the place (an
    ``AttributeError`` came from the loader's Unicode check)."""
    data = json.loads(SEED004.read_text())
    data["valuations"][5] = {"explicit": []}
    from instances import InputError

    with pytest.raises(InputError, match="valuations: key 5 is not a string"):
        cabench.load(data)


def test_numpy_integers_and_bidders_are_taken_as_the_command_takes_them():
    """A notebook's NumPy integers are integers (``generate`` failed to record them as JSON, a
    seed of ``np.int64`` was refused), and ``players="bidders"`` is the command's spelling of
    None."""
    import numpy as np

    from instances import instance_text

    made = cabench.generate("arbitrary", np.int64(4), np.int32(6), np.int64(3), seed=np.int64(2))
    assert instance_text(made) == instance_text(cabench.generate("arbitrary", 4, 6, 3, seed=2))
    assert instance_text(cabench.generate("paths", 8, 12, "bidders")) == instance_text(
        cabench.generate("paths", 8, 12, None))
    sampled = cabench.evaluate(SEED004, "best-belief", samples=5, seed=np.int64(2)).to_dict()["monte_carlo"]
    assert sampled == cabench.evaluate(SEED004, "best-belief", samples=5, seed=2).to_dict()["monte_carlo"]


def test_to_dict_gives_fresh_dicts():
    """Changing what ``to_dict()`` returned changed the object (``Deviations.rows``, the Monte
    Carlo summary of ``Evaluations``)."""
    deviations = cabench.deviate(SEED004, "best-belief", "p3")
    deviations.to_dict()["deviations"][0]["pays"] = "changed"
    assert deviations.rows[0]["pays"] != "changed" and deviations.to_dict()["deviations"][0]["pays"] != "changed"
    sampled = cabench.evaluate(SEED004, "best-belief", samples=3)
    sampled.to_dict()["monte_carlo"]["SW"]["mean"] = -1
    assert sampled.to_dict()["monte_carlo"]["SW"]["mean"] != -1


def test_the_packages_docstring_example_runs_as_written():
    """``help(cabench)`` shows a block of calls; it named a player the example has not (p4) and
    annotated without ``replace`` an instance that has knowledge."""
    block = cabench.__doc__.split("::\n\n", 1)[1].split("\n\n", 1)[0]
    pytest.importorskip("pandas")
    exec(textwrap.dedent(block), {"cabench": cabench})


def test_generate_and_annotate_equal_the_commands():
    inst = cabench.generate("arbitrary", goods=5, bids=8, players=3, seed=2)
    text = run_cli("generate", "-d", "arbitrary", "-m", "5", "-b", "8", "-n", "3", "--seed", "2").stdout
    from instances import instance_text

    assert instance_text(inst) == text
    annotated = cabench.annotate(inst, knowledge="exact", seed=1)
    assert annotated.knowledge is not None


def test_import_cats_and_save_equal_the_commands(tmp_path):
    """``import_cats`` and ``save`` are ``cabench import`` and ``-o``: the same bytes; a Python
    user had to find ``instances.dump_instance`` and the undocumented ``read_cats``."""
    cats = EXAMPLES / "cats-scheduling-40-200.txt"
    flags = {(): {}, ("--scale", "1000000"): {"scale": 10**6}, ("--round", "2"): {"round_digits": 2}}
    for (given, kwargs), scale in zip(flags.items(), (100000, 10**6, 100)):
        command = run_cli("import", str(cats), *given)
        assert command.returncode == 0, command.stderr
        written = cabench.save(cabench.import_cats(cats, **kwargs), tmp_path / "sub" / "x.json")
        assert written == tmp_path / "sub" / "x.json"
        assert written.read_text(encoding="utf-8") == command.stdout
        assert cabench.load(written).scale == scale


def test_save_writes_nothing_it_could_not_read_back(tmp_path, monkeypatch):
    """An instance above the input limit is refused before anything is written, and a file
    already there stays as it was."""
    import instances.files
    from instances.files import OutputError

    target = tmp_path / "kept.json"
    target.write_text("old", encoding="utf-8")
    monkeypatch.setattr(instances.files, "MAX_INPUT_BYTES", 100)
    with pytest.raises(OutputError, match="above the"):
        cabench.save(SEED004, target)
    assert target.read_text(encoding="utf-8") == "old"
    with pytest.raises(OutputError, match="above the"):  # (the folders were made, then left behind)
        cabench.save(SEED004, tmp_path / "new" / "deeper" / "x.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.json"]
    monkeypatch.undo()
    (tmp_path / "file").write_text("")
    with pytest.raises(OutputError, match="Not a directory|is not a folder"):  # a path under a regular file
        cabench.save(SEED004, tmp_path / "file" / "x.json")


GUARDLESS = """\
import pathlib, sys
runs = pathlib.Path(sys.argv[1])
runs.write_text(runs.read_text() + "x" if runs.exists() else "x")
if len(runs.read_text()) > 1:
    raise SystemExit("this script was run again by a worker process")
import cabench
import ilp.portfolio
ilp.portfolio.PROBE_WORK = 0  # every program solved here is raced between worker processes
inst = cabench.load(sys.argv[2])
report = cabench.benchmarks(inst, jobs=2, time_limit=60)  # the default solver, the portfolio
print(report.msw.value, report.all_proven)
"""


def test_a_script_without_a_main_guard_solves_in_parallel(tmp_path):
    """Races and the batch's worker pool run without re-running the caller's script (issue #11:
    multiprocessing's spawn did, so scripts needed ``if __name__ == "__main__":``)."""
    instance = tmp_path / "regions.json"
    assert run_cli("generate", "-d", "regions", "-m", "16", "-b", "60", "-n", "5", "--knowledge", "exact",
                   "-o", str(instance)).returncode == 0
    script = tmp_path / "script.py"
    script.write_text(GUARDLESS)
    runs = tmp_path / "runs"
    result = subprocess.run([sys.executable, str(script), str(runs), str(instance)], capture_output=True,
                            text=True, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert runs.read_text() == "x"
    expected = cabench.benchmarks(instance, solver="cpsat", jobs=1).msw.value
    assert result.stdout.split() == [str(expected), "True"]


# pandas is not blocked: OR-Tools requires it (its cp_model imports pandas), so every install has it
BLOCKED = ("matplotlib", "dask", "distributed", "pyarrow")
WITHOUT_EXTRAS = f"""\
import importlib.abc, sys

BLOCKED = {BLOCKED!r}

class Missing(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Missing())
import cabench, benchmarks, ilp, mechanisms, instances
from cabench.cli import main
sys.exit(main(sys.argv[1:]))
"""


def _without_extras(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    script = tmp_path / "no_extras.py"
    script.write_text(WITHOUT_EXTRAS)
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)


def test_the_core_works_without_the_optional_packages(tmp_path):
    result = _without_extras(tmp_path, "benchmarks", str(SEED004), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["MSW"]["value"] == 200
    result = _without_extras(tmp_path, "evaluate", str(SEED004), "-m", "best-belief")
    assert result.returncode == 0, result.stderr


def test_a_command_needing_an_extra_says_which(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.json").write_text(SEED004.read_text())
    for args, extra in [(["sweep", str(folder), "-o", str(tmp_path / "out.parquet")], "sweep"),
                        (["sweep", str(folder), "--executor", "dask", "-o", str(tmp_path / "out.csv")], "sweep")]:
        result = _without_extras(tmp_path, *args)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
        assert f"pip install 'cabench[{extra}]'" in result.stderr
    results = tmp_path / "out.csv"
    assert _without_extras(tmp_path, "sweep", str(folder), "-o", str(results)).returncode == 0
    result = _without_extras(tmp_path, "plot", str(results), "-o", str(tmp_path / "figures"))
    assert result.returncode == 2 and "pip install 'cabench[plot]'" in result.stderr, result.stderr


def test_to_frame_without_pandas_says_which_extra(tmp_path):
    """pandas comes with OR-Tools, but the core never needs it: the brute-force backend does not
    load OR-Tools, and only ``to_frame()`` asks for pandas."""
    script = tmp_path / "frame.py"
    blocking = WITHOUT_EXTRAS.split("from cabench.cli")[0].replace(f"BLOCKED = {BLOCKED!r}", 'BLOCKED = ("pandas",)')
    script.write_text(blocking + textwrap.dedent(f"""\
        try:
            cabench.benchmarks({str(SEED004)!r}, solver="brute", jobs=1).to_frame()
        except cabench.api.CabenchError as exc:
            print(exc)
        """))
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "pip install 'cabench[sweep]'" in result.stdout, result.stderr


def test_evaluation_frames_say_what_the_bound_bounds():
    """A market mechanism's bound is a probability: the frame gave ``benchmark`` MSW beside
    ``bound`` 0.9996, read as money, with no word of the guarantee it belongs to."""
    frame = cabench.evaluate(EXAMPLES / "seed003-market.json", "budget-balanced").to_frame()
    row = frame.iloc[0]
    assert row["guarantee"].startswith("Pr[") and 0 < row["bound"] <= row["achieved"] <= 1
    money = cabench.evaluate(SEED004, "best-belief").to_frame().iloc[0]
    assert money["guarantee"].startswith("E[REV] >=") and money["achieved"] >= money["bound"]


# ---------------------------------------------------------------- found by a user of the API only


def test_save_warns_that_the_file_does_not_hold_the_reading_of_coalition_knowledge(tmp_path):
    """An instance loaded with ``coalition_knowledge="sets"`` was saved silently, and read back
    with "bounds": other benchmarks (MKW 54, not 70), without a word."""
    sets = cabench.load(EXAMPLES / "random-coalitions.json", coalition_knowledge="sets")
    with pytest.warns(UserWarning, match="does not hold coalition_knowledge='sets'"):
        written = cabench.save(sets, tmp_path / "s.json")
    assert cabench.load(written, coalition_knowledge="sets") == sets
    assert cabench.benchmarks(cabench.load(written, coalition_knowledge="sets")).mkw.value == \
        cabench.benchmarks(sets).mkw.value


def test_save_refuses_a_folder_name(tmp_path):
    with pytest.raises(cabench.ArgumentError, match="ends with /, which names a folder") as error:
        cabench.save(SEED004, f"{tmp_path}/new/")
    assert error.value.param == "path" and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("call, param", [
    (lambda: cabench.evaluate(SEED004, "best-belief", params={"eps": -1}), "params"),
    (lambda: cabench.evaluate(SEED004, "best-belief", params={"epsilon": 1}), "params"),
    (lambda: cabench.outcome(SEED004, "best-belief", "p1", params={"eps": 2}), "params"),
    (lambda: cabench.deviate(SEED004, "best-belief", "p1", params={"eps": 2}), "params"),
    (lambda: cabench.evaluate(SEED004, "budget-balanced"), "mechanism"),
    (lambda: cabench.outcome(SEED004, "budget-balanced", "p1"), "mechanism"),
])
def test_a_parameter_or_mechanism_the_paper_refuses_is_an_argument_error(call, param):
    """They were ``mechanisms.base.ParameterError`` or a plain ``CabenchError``, which the README's
    promise of an ``ArgumentError`` for a value the command would refuse did not cover."""
    with pytest.raises(cabench.ArgumentError) as error:
        call()
    assert error.value.param == param


def test_all_checks_every_parameter_before_evaluating_any():
    """A ratio out of perfect-revenue's range was found after four mechanisms had been evaluated."""
    calls = []
    with pytest.raises(cabench.ArgumentError, match="perfect-revenue"):
        cabench.evaluate(SEED004, "all", params={"ratio": 2}, progress=lambda *args: calls.append(args))
    assert calls == []


def test_errors_show_a_misplaced_value_briefly():
    """An instance passed in the wrong place made a message of 210,000 characters."""
    big = cabench.generate("regions", goods=40, bids=400, players=20, seed=0)
    for call in (lambda: cabench.save("out/x.json", big),
                 lambda: cabench.evaluate(SEED004, "best-belief", params=big),
                 lambda: cabench.evaluate(SEED004, big),
                 lambda: cabench.outcome(SEED004, "best-belief", big),
                 lambda: cabench.benchmarks(SEED004, time_limit=big)):
        with pytest.raises(cabench.ArgumentError) as error:
            call()
        assert len(str(error.value)) < 400, str(error.value)[:400]


def test_json_text_is_not_read_as_a_file_name(tmp_path, monkeypatch):
    for text in (SEED004.read_text(), "{}", '{"goods": ['):
        with pytest.raises(cabench.ArgumentError, match="a JSON text, not a path") as error:
            cabench.load(text)
        assert error.value.param == "instance" and len(str(error.value)) < 300
    monkeypatch.chdir(tmp_path)
    with pytest.raises(cabench.CabenchError, match="No such file") as error:  # (a name, not a text)
        cabench.load("[x].json")
    assert not isinstance(error.value, cabench.ArgumentError)
    (tmp_path / "[x].json").write_text(SEED004.read_text())
    assert cabench.load("[x].json").players == ("p1", "p2", "p3")


def test_a_seed_beyond_64_bits_is_an_argument_error():
    """A seed of 5,000 digits ended in Python's own ValueError deep in the generator."""
    for call in (lambda: cabench.generate("arbitrary", goods=3, bids=5, players=2, seed=10**5000),
                 lambda: cabench.annotate(SEED004, knowledge="exact", seed=-2**63, replace=True),
                 lambda: cabench.evaluate(SEED004, "vcg", samples=2, seed=2**63)):
        with pytest.raises(cabench.ArgumentError, match="seed"):
            call()
    result = run_cli("generate", "-d", "arbitrary", "-m", "3", "-b", "5", "-n", "2", "--seed", str(2**63))
    assert result.returncode == 2 and "|x| < 2^63" in result.stderr, result.stderr
    # (the last of several seeds went past it: a file of seed 2^63 was written)
    for args in (["generate", "-d", "arbitrary", "-m", "3", "-b", "5", "-n", "2", "--seed", str(2**63 - 1),
                  "--count", "2"],
                 ["experiment", "--axis", "wrong:0", "-d", "arbitrary", "-m", "3", "-b", "5", "-n", "2",
                  "--first-seed", str(2**63 - 1), "--seeds", "2", "-o", "never.csv"]):
        result = run_cli(*args)
        assert result.returncode == 2 and "the last is past 2^63 - 1" in result.stderr, result.stderr


def test_equal_reports_compare_equal_and_the_errors_are_exported():
    """Two identical calls compared unequal: their times (and a portfolio's winner) differ."""
    assert cabench.benchmarks(SEED004) == cabench.benchmarks(SEED004)
    assert issubclass(cabench.NotProvenError, cabench.CabenchError)
    assert issubclass(cabench.ArgumentError, cabench.CabenchError)


def test_the_benchmark_column_of_all_mechanisms_stays_integers():
    """VCG's None (no theorem) made ``benchmark_value`` floats with ``all``."""
    frame = cabench.evaluate(SEED004, "all").to_frame()
    assert str(frame["benchmark_value"].dtype) == "Int64"
    assert frame["benchmark_value"].isna().any() and frame["benchmark_value"].notna().any()


def test_a_folder_named_like_a_package_in_the_working_folder_is_not_imported(tmp_path):
    """A folder of instance files named ``instances/`` in the working folder was imported as
    cabench's package ``instances`` under the editable install (``pip install -e .``): a script
    or ``python -m cabench`` there ended in a traceback naming ``instances/schema.json``."""
    for name in ("instances", "ilp", "benchmarks", "mechanisms"):
        (tmp_path / name).mkdir()
    (tmp_path / "instances" / "mine.json").write_text(SEED004.read_text())
    script = "import cabench; print(cabench.benchmarks(cabench.load('instances/mine.json')).msw.value)"
    # as installed, with nothing on PYTHONPATH (a folder there that holds the packages is found
    # before the working folder's namespace package, and hides what this tests)
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                            env=env)
    assert result.returncode == 0 and result.stdout == "200\n", result.stderr
    result = subprocess.run([sys.executable, "-m", "cabench", "benchmarks", "instances/mine.json", "--json"],
                            capture_output=True, text=True, cwd=tmp_path, timeout=120, env=env)
    assert result.returncode == 0 and json.loads(result.stdout)["MSW"]["value"] == 200, result.stderr
    # one imported from elsewhere first: said, not a traceback deep in cabench
    result = subprocess.run([sys.executable, "-c", "import instances, cabench"], capture_output=True, text=True,
                            cwd=tmp_path, timeout=120, env=env)
    assert result.returncode == 1 and "ImportError: cabench needs its own package 'instances'" in result.stderr


def test_to_frame_says_pandas_is_missing_only_when_it_is(monkeypatch):
    """A pandas whose own import fails (an import interrupted half-way in a notebook leaves it so)
    raises its own error; it was said to be missing ("pip install"), which it was not."""
    import builtins
    import sys

    from benchmarks.report import data_frame
    from instances import CabenchError

    monkeypatch.setitem(sys.modules, "pandas", None)  # not installed
    with pytest.raises(CabenchError, match="needs pandas"):
        data_frame([{"a": 1}])
    monkeypatch.delitem(sys.modules, "pandas")
    real = builtins.__import__

    def broken(name, *args, **kwargs):
        if name == "pandas":
            raise ImportError("cannot import name 'x' from partially initialized module 'pandas'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", broken)
    with pytest.raises(ImportError, match="partially initialized"):
        data_frame([{"a": 1}])
