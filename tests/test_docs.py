"""The documentation cannot rot: the API reference builds, the docstring examples run, the worked
numbers of docs/definitions.md are cabench's own, and the product points nowhere outside the
repository. CITATION.cff and LICENSE are checked too."""

from __future__ import annotations

import csv
import doctest
import importlib
import inspect
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from benchmarks import compute_report
from tests.worked_examples import SEED004, seed004_example

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
LIBRARY = ("instances", "ilp", "benchmarks", "mechanisms")
APPLICATION = tuple(p for p in ("cabench",) if (ROOT / p / "__init__.py").exists())

# Modules whose public functions carry numpydoc Examples (on the seed-004 example, or on a tiny
# program built in the example); every one of them must have examples, and all of them must pass.
DOCTEST_MODULES = (
    "benchmarks.welfare",
    "benchmarks.external",
    "benchmarks.known",
    "benchmarks.knowledge",
    "benchmarks.correctness",
    "benchmarks.market",
    "benchmarks.report",
    "benchmarks.intervals",
    "instances.check",
    "instances.loader",
    "instances.writer",
    "instances.knowledge_models",
    "instances.spreadsheet",
    "mechanisms.base",
    "ilp.program",
    "ilp.backends",
    "ilp.lex",
    "ilp.lift",
    "ilp.onebid",
    "ilp.batch",
    "ilp.blas",
    "cabench.api",
    "cabench.formats",
)


@pytest.mark.parametrize("module", DOCTEST_MODULES)
def test_docstring_examples_run(module, monkeypatch):
    monkeypatch.chdir(ROOT)  # the examples load instances/examples/... as a user in the repository does
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted > 0, f"{module} has no examples"
    assert result.failed == 0


def test_public_benchmark_functions_have_numpydoc_sections():
    import benchmarks

    for name in benchmarks.__all__:
        obj = getattr(benchmarks, name)
        if callable(obj) and not isinstance(obj, type):
            doc = obj.__doc__ or ""
            for section in ("Parameters\n", "Returns\n", "Examples\n"):
                assert section in doc, f"benchmarks.{name} lacks a {section.strip()} section"
            assert "seed 00" in doc.lower() or "docs/definitions.md" in doc, f"benchmarks.{name} cites no paper"


# Public names of the paper packages that implement no paper concept (I/O, tables, engines,
# program builders, helpers): every other public function and class cites its paper.
NOT_PAPER_CONCEPTS = {
    "mechanisms.base": {"Evaluation", "Guarantee", "Param", "ParameterError"},
    "mechanisms.common": {"announcer", "answer_families", "argmax_lex", "pseudo_random_bit", "scaled", "without"},
    "mechanisms.engine": {"Decision", "MechanismError", "Play", "Rules", "Strategy", "Terminal",
                          "outcome_distribution", "sample_outcome"},
    "mechanisms.game": {"GameTooLarge", "Infoset", "InfosetKey", "MechanismGame", "Node", "behaviour_profile",
                        "build_game", "explore", "profile_payoffs", "profiles_with_movers"},
    "mechanisms.perfect_revenue": {"profiles"},
    "benchmarks.correctness": {"Correctness", "all_values", "bound_holds", "same_valuation"},
    "benchmarks.external": {"miew_program", "miew_request"},
    "benchmarks.known": {"mikw_program", "relevant_knowledge_program", "relevant_knowledge_request"},
    "benchmarks.report": {"AgentRow", "PlayerRow", "Report", "benchmark_json", "benchmark_rows", "coalitions_csv",
                          "compute_report", "data_frame", "integer_columns", "outcome_json", "player_rows",
                          "players_csv", "report_json"},
    "benchmarks.results": {"Benchmark", "Best", "NotProvenError", "best_of", "finite_bound", "from_solution"},
    "benchmarks.solving": {"Request", "solve_request", "solve_requests", "weights_program"},
    "benchmarks.table": {"Weights", "knows_nothing", "report_programs", "table_bounds", "table_programs"},
    "benchmarks.welfare": {"best_allocation_program", "best_allocation_request", "favourite_bundle_request",
                           "msw_program", "msw_without", "msw_without_program"},
}


def test_public_paper_concepts_cite_their_paper():
    """Every public function and class of ``benchmarks`` and ``mechanisms`` cites the paper
    ("seed 00N") it implements, but for the listed utilities; and every mechanism names its
    paper and section."""
    import pkgutil

    import benchmarks
    import mechanisms
    from mechanisms.registry import MECHANISMS

    uncited = []
    for package in (benchmarks, mechanisms):
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{info.name}")
            for name in getattr(module, "__all__", []):
                obj = getattr(module, name)
                if callable(obj) and name not in NOT_PAPER_CONCEPTS.get(module.__name__, set()) \
                        and "seed 00" not in (obj.__doc__ or "").lower():
                    uncited.append(f"{module.__name__}.{name}")
    assert uncited == []
    for name, mechanism in MECHANISMS.items():
        assert re.search(r"seed 00\d §", mechanism.source), (name, mechanism.source)
        if mechanism.guarantee.__name__ != "<lambda>":  # (the default: no theorem, as for VCG)
            assert "seed 00" in (mechanism.guarantee.__doc__ or "").lower(), name

def _public_functions(package: str) -> list[tuple[str, object]]:
    module = importlib.import_module(package)
    return [(name, getattr(module, name)) for name in module.__all__
            if callable(getattr(module, name)) and not isinstance(getattr(module, name), type)]


# Public classes users build or receive directly, documented like functions (their constructor).
DOCUMENTED_CLASSES = ("mechanisms.Facts", "mechanisms.Mechanism")


def _documented_classes() -> list[tuple[str, type]]:
    found = []
    for dotted in DOCUMENTED_CLASSES:
        package, name = dotted.rsplit(".", 1)
        found.append((dotted, getattr(importlib.import_module(package), name)))
    return found


def test_public_ilp_functions_and_documented_classes_have_numpydoc_sections():
    documented = [(f"ilp.{name}", obj) for name, obj in _public_functions("ilp")] + _documented_classes()
    assert {name for name, _ in documented} >= {
        "ilp.backend_names", "ilp.get_backend", "ilp.lex_first", "ilp.owner_code", "ilp.prefetch",
        "ilp.solve", "ilp.solve_batch", "mechanisms.Facts", "mechanisms.Mechanism"}
    for name, obj in documented:
        doc = obj.__doc__ or ""
        sections = ["Returns\n", "Examples\n"]
        if inspect.signature(obj).parameters:
            sections.insert(0, "Parameters\n")
        for section in sections:
            assert section in doc, f"{name} lacks a {section.strip()} section"
        assert ">>> " in doc.split("Examples\n", 1)[1], f"{name} has no doctest in its Examples"


def _documented_parameters(doc: str) -> list[str]:
    """Names listed in a numpydoc Parameters section (the ``name : type`` lines)."""
    lines = inspect.cleandoc(doc).splitlines() + [""]
    if "Parameters" not in lines:
        return []
    names = []
    for k in range(lines.index("Parameters") + 2, len(lines) - 1):
        line = lines[k]
        if set(lines[k + 1]) == {"-"}:
            break  # the next section's title
        if line and not line.startswith(" "):
            names.append(line.split(" : ")[0].strip())
    return names


@pytest.mark.parametrize("package", ["benchmarks", "instances", "mechanisms", "ilp"])
def test_documented_parameters_match_the_signatures(package):
    module = importlib.import_module(package)
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isfunction(obj) and "Parameters" in (obj.__doc__ or ""):
            expected = [p for p in inspect.signature(obj).parameters]
            assert _documented_parameters(obj.__doc__) == expected, f"{package}.{name}"


@pytest.mark.parametrize("dotted", DOCUMENTED_CLASSES)
def test_documented_class_parameters_match_the_constructors(dotted):
    cls = dict(_documented_classes())[dotted]
    assert _documented_parameters(cls.__doc__) == list(inspect.signature(cls).parameters), dotted


def test_api_reference_builds(tmp_path):
    modules = [*LIBRARY, *APPLICATION]
    run = subprocess.run([sys.executable, "-m", "pdoc", "--docformat", "numpy", "-o", str(tmp_path), *modules],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    for module in modules:
        assert (tmp_path / f"{module}.html").is_file()
    pages = {m: (tmp_path / f"{m}.html").read_text(encoding="utf-8") for m in LIBRARY}
    for name in ("compute_report", "msw", "miew", "mikw", "relevant_knowledge", "bb", "bb_prime", "knowledge_correct"):
        assert f'id="{name}"' in pages["benchmarks"], name
    for name in ("load_instance", "parse_instance", "annotate"):
        assert f'id="{name}"' in pages["instances"], name
    for name in ("evaluate", "Facts", "MECHANISMS"):
        assert f'id="{name}"' in pages["mechanisms"], name
    # numpydoc sections are rendered, and the examples are in the page
    assert "Parameters" in pages["benchmarks"] and "BB_1 = 25" in pages["benchmarks"]


def _definitions() -> str:
    return (DOCS / "definitions.md").read_text(encoding="utf-8")


def test_definitions_worked_numbers_are_cabenchs():
    """The seed-004 table of docs/definitions.md holds the numbers cabench computes."""
    inst = seed004_example()
    report = compute_report(inst)
    text = _definitions()
    miew = [row.miew.value for row in report.players]
    mikw = [row.mikw.value for row in report.players]
    without = [row.msw_without.value for row in report.players]
    ba = [a.best_allocation.value for a in report.agents]
    assert miew == list(SEED004["BB"].values())
    assert f"| MSW | {report.msw.value} |" in text
    for k, value in enumerate(miew, start=1):
        assert f"| BB_{k} = MIEW_{k} | {value} |" in text
    assert f"| BB = BB' = MIEW(K_I) | {report.bb.value} |" in text
    assert f"| MIKW_1, MIKW_2, MIKW_3 | {', '.join(map(str, mikw))} |" in text
    assert f"| MKW | {report.mkw.value} |" in text
    assert f"| MSW_-1, MSW_-2, MSW_-3 | {', '.join(map(str, without))} |" in text
    assert f"| SW(BA^{{p1}}), SW(BA^{{p2}}), SW(BA^{{p3}}) | {', '.join(map(str, ba))} |" in text


def test_docs_cover_every_benchmark_and_mechanism():
    from mechanisms import MECHANISMS

    text = _definitions()
    for name in ("MSW", "MIEW_i = BB_i", "MIEW(K_I)", "BB'", "MIKW_i", "RK_A", "MKW_A", "BA^C", "MSW_-i",
                 "Lexicographically first optimal allocation", "Truthful market outcome", "Lower bounds",
                 "Candidate sets", "Bounds reading", "Sets reading", "HiddenV"):
        assert name in text, name
    for name in MECHANISMS:
        if not name.startswith("naive-"):
            assert f"### {name}" in text or f"{name} and" in text or f"and {name}" in text, name
    assert "Naive-1" in text
    tutorial = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    for command in ("cabench import", "cabench annotate", "cabench benchmarks", "cabench evaluate",
                    "cabench outcome", "cabench deviate", "cabench sweep", "cabench plot"):
        assert command in tutorial, command


# "S" "PEC" is spelled in two pieces so that this file passes its own check.
OUTSIDE = re.compile(r"\.\./shared|/work/[s]hared|\b" + "S" + "PEC" + r"\b")
TEXT_SUFFIXES = {".py", ".md", ".json", ".toml", ".cff", ".txt", ".cfg", ".yaml", ".yml", ".ini", ""}


def _product_files():
    tops = [ROOT / name for name in (*LIBRARY, *APPLICATION, "tests", "docs")]
    files = [ROOT / name for name in ("README.md", "pyproject.toml", "CITATION.cff", "LICENSE")]
    for top in tops:
        files += [p for p in top.rglob("*") if p.is_file() and p.suffix in TEXT_SUFFIXES
                  and "__pycache__" not in p.parts]
    ci = ROOT / ".ci"
    if ci.is_dir():
        files += [p for p in ci.rglob("*") if p.is_file()]
    return [f for f in files if f.exists()]


def test_product_points_nowhere_outside_the_repository():
    offenders = []
    for path in _product_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if OUTSIDE.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:100]}")
    assert not offenders, "\n".join(offenders)


def _console_script() -> tuple[str, str]:
    """Module and function of the ``cabench`` console script, wherever pyproject points it."""
    target = re.search(r'^cabench = "([\w.]+):(\w+)"', (ROOT / "pyproject.toml").read_text(encoding="utf-8"), re.M)
    return target.group(1), target.group(2)


def _cabench_command() -> list[str]:
    """The ``cabench`` console script as this interpreter runs it (the tests' subprocess commands)."""
    module, function = _console_script()
    return [sys.executable, "-c", f"import sys; from {module} import {function} as main; sys.exit(main())"]


def test_cli_help_points_nowhere_outside_the_repository(capsys):
    module, function = _console_script()
    main = getattr(importlib.import_module(module), function)

    def help_text(*argv: str) -> str:
        try:
            main([*argv, "--help"])
        except SystemExit:
            pass
        return capsys.readouterr().out

    top = help_text()
    commands = re.findall(r"^  (\w[\w-]*)\s", top.split("Commands:")[1], re.M)
    assert {"benchmarks", "evaluate", "import", "annotate"} <= set(commands)
    for text in [top, *(help_text(c) for c in commands)]:
        assert not OUTSIDE.search(text), text


def test_citation_cff():
    data = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    assert data["cff-version"] == "1.2.0"
    for key in ("message", "title", "authors", "type", "version", "license"):
        assert data[key], key
    assert data["type"] == "software" and data["license"] == "MIT"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert f'version = "{data["version"]}"' in pyproject
    references = data["references"]
    assert len(references) == 5
    years = sorted(r["year"] for r in references)
    assert years == [2008, 2009, 2011, 2011, 2016]
    for ref in references:
        assert ref["type"] in {"article", "report"} and ref["title"].strip()
        assert ref["authors"] and all(a["family-names"] and a["given-names"] for a in ref["authors"])
        assert any(a["family-names"] == "Micali" for a in ref["authors"])
    titles = " ".join(r["title"] for r in references)
    for fragment in ("Robustly Leveraging Collusion", "Knowledge Benchmarks in Adversarial Mechanism Design",
                     "Robust Perfect Revenue", "Budget-Balanced Maximization", "Leveraging Possibilistic Beliefs"):
        assert fragment in titles, fragment


def test_license_is_mit_as_declared():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "the cabench authors" in text
    assert 'license = { text = "MIT" }' in (ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_tutorial_steps_1_to_3_give_the_printed_numbers(tmp_path):
    """The tutorial's commands, run as a user runs them, give the numbers the tutorial prints."""
    tutorial = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    cats = ROOT / "instances" / "examples" / "cats-scheduling-40-200.txt"
    knowing, colluding = tmp_path / "sched-k.json", tmp_path / "sched-kc.json"
    script = _cabench_command()

    def cabench(*args: str) -> str:
        run = subprocess.run([*script, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        return run.stdout

    assert "cabench import instances/examples/cats-scheduling-40-200.txt --knowledge noisy-lower:0.9 --seed 7" in tutorial
    assert "cabench annotate tut/sched-k.json --coalitions pairs:1 --seed 7" in tutorial
    cabench("import", str(cats), "--knowledge", "noisy-lower:0.9", "--seed", "7", "-o", str(knowing))
    cabench("annotate", str(knowing), "--coalitions", "pairs:1", "--seed", "7", "-o", str(colluding))
    report = json.loads(cabench("benchmarks", str(colluding), "--json", "--solver", "cpsat", "--jobs", "1"))
    assert report["scale"] == 100000 and report["coalitions"] == [["bidder1", "bidder6"]]
    decimal = lambda v: f"{v // 100000}.{v % 100000:05d}"  # noqa: E731
    assert f"│ MSW       │                      {decimal(report['MSW']['value'])} │" in tutorial
    assert f"│ BB        │            {decimal(report['BB']['value'])} (bidder7) │" in tutorial
    assert f"│ MKW       │ {decimal(report['MKW']['value'])} ({{bidder1, bidder6}}) │" in tutorial
    for player, row in report["players"].items():
        values = [decimal(row[key]["value"]) for key in ("MIEW", "MIKW", "MSW_without")]
        assert f"│ {player} │      {values[0]} │ {values[1]} │ {values[2]} │ yes               │" in tutorial, player


def test_tutorial_step_5_prints_the_sweep_of_the_generated_files(tmp_path):
    """The tutorial's sweep rows of the generated scheduling files are what ``generate`` and
    ``sweep`` give now (they went stale once when the generator changed)."""
    tutorial = (DOCS / "tutorial.md").read_text(encoding="utf-8")
    command = ("cabench generate -d scheduling -m 16 -b 60 -n 4 --knowledge noisy-lower:0.9 "
               "--coalitions pairs:1 --count 3 -o tut/sweep")
    assert command in tutorial
    script = _cabench_command()
    folder = tmp_path / "sweep"
    for args in (command.split()[1:-2] + ["-o", str(folder)],
                 ["sweep", str(folder), "--mechanisms", "best-belief,collusion-leveraging,vcg",
                  "-o", str(tmp_path / "results.csv")]):
        run = subprocess.run([*script, *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
    printed = {}
    for line in tutorial.splitlines():
        words = line.split()
        if words and words[0].startswith("tut/sweep/scheduling-m16-b60-n4-"):
            printed[Path(words[0]).name, words[1]] = words[2:]
    assert len(printed) == 6  # seeds 0 and 1, three mechanisms each
    rows = {(Path(r["file"]).name, r["mechanism"]): r for r in csv.DictReader(open(tmp_path / "results.csv"))}
    for key, words in printed.items():
        row = rows[key]
        # E_SW, E_REV as pandas prints them (six decimals), the benchmark's name, the bound, holds
        assert [f"{float(row['E_SW']):.6f}", f"{float(row['E_REV']):.6f}"] == words[:2], key
        if row["guarantee_benchmark"]:
            assert words[2:] == [row["guarantee_benchmark"], f"{float(row['bound']):.6f}", row["holds"]], key
        else:
            assert words[2:] == ["NaN", "NaN", "NaN"], key


def _anchors(text: str) -> set[str]:
    """The anchors GitHub gives a Markdown page's headings (outside code blocks): lower case,
    punctuation dropped, spaces as hyphens, and ``-1``, ``-2`` ... after a repeated one."""
    seen: dict[str, int] = {}
    anchors = set()
    for heading in re.findall(r"^#+ (.+)$", re.sub(r"```.*?```", "", text, flags=re.S), re.M):
        anchor = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        anchors.add(anchor if anchor not in seen else f"{anchor}-{seen[anchor]}")
        seen[anchor] = seen.get(anchor, 0) + 1
    return anchors


def test_links_between_the_docs_resolve():
    """Every relative link of README.md and docs/*.md names a file of the repository, and every
    ``#anchor`` a heading of its page: the README's contents list and the pages the README's
    sections moved to (docs/exactness.md, docs/solvers.md) must not rot."""
    pages = [ROOT / "README.md", *sorted(DOCS.glob("*.md"))]
    texts = {page: page.read_text(encoding="utf-8") for page in pages}
    anchors = {page: _anchors(text) for page, text in texts.items()}
    broken = []
    for page, text in texts.items():
        for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"```.*?```", "", text, flags=re.S)):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}: no such file")
            elif anchor and anchor not in anchors.get(linked, set()):
                broken.append(f"{page.relative_to(ROOT)}: {target}: no such heading")
    assert not broken, "\n".join(broken)
    contents = set(re.findall(r"\]\(#([^)]+)\)", texts[ROOT / "README.md"]))
    assert len(contents & anchors[ROOT / "README.md"]) >= 15  # the contents list itself
