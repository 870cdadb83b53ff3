"""``cabench plot``, ``cabench table`` and ``--format``: figures checked through their data (series,
bounds, labels) and through the drawn matplotlib figure; tables in every format, never cut."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from cabench.plot import draw, figure_data, knowledge_quality
from cabench.summary import estimate, load, mechanism_rows
from instances import dump_instance
from instances.generate import generate_instance
from tests.conftest import EXAMPLES, cabench_command, run_cli

MECHS = "best-belief,surviving-strategies,mixed-second-price"


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("fig") / "r.csv"
    result = run_cli("experiment", "--axis", "noisy-lower:0.5,1", "-d", "regions", "-m", "6", "-b", "12", "-n", "3",
                     "--seeds", "3", "--mechanisms", MECHS, "-o", str(path))
    assert result.returncode == 0, result.stderr
    return path


def test_confidence_intervals():
    e = estimate([1.0, 2.0, 3.0])
    assert e.mean == 2.0 and e.n == 3
    assert e.half == pytest.approx(4.302652729911275 * 1.0 / 3 ** 0.5)  # Student's t, 2 degrees of freedom
    assert math.isnan(estimate([5.0]).half) and estimate([5.0]).mean == 5.0 and estimate([]).n == 0  # (none over one)


def test_knowledge_quality_figure_data(results):
    frame = load(results)
    data = knowledge_quality(frame)
    assert data is not None and len(data.panels) == 3
    revenue, total, msw = data.panels
    assert revenue.ylabel.startswith("E[REV] / benchmark") and total.ylabel.startswith("(E[SW] + E[REV]) / benchmark")
    assert msw.ylabel == "(E[SW] + E[REV]) / MSW" and revenue.xlabel.startswith("knowledge quality F")
    lines = {s.mechanism: s for s in total.series if s.role != "bound"}
    assert set(lines) == {*MECHS.split(","), "vcg", "second-price-bundle"}  # one line per mechanism
    assert {s.mechanism for s in total.series if s.role == "baseline"} == {"vcg", "second-price-bundle"}
    for s in lines.values():
        assert s.x == (0.5, 1.0) and s.n == (3, 3) and "n=3 per point" in s.label
        assert all(lo <= y <= hi for lo, y, hi in zip(s.low, s.y, s.high))
    # each theorem's own bound, in the panel of what it bounds
    rev_bounds = {s.mechanism: s for s in revenue.series if s.role == "bound"}
    tot_bounds = {s.mechanism: s for s in total.series if s.role == "bound"}
    assert set(rev_bounds) == {"best-belief"} and set(tot_bounds) == {"surviving-strategies", "mixed-second-price"}
    assert tot_bounds["surviving-strategies"].y == (0.5, 0.5)
    assert "MIEW(K_I)/2" in tot_bounds["surviving-strategies"].label
    assert all(1 / 3 - 0.01 < y < 1 / 3 for y in tot_bounds["mixed-second-price"].y)  # MIKW_I/3 - 2 eps/3
    assert all(0.49 < y < 0.5 for y in rev_bounds["best-belief"].y) and "BB/2 − ε" in rev_bounds["best-belief"].label
    # the means are those of the rows
    rows = frame[(frame["mechanism"] == "best-belief") & (frame["axis_value"] == 1.0)]
    best = next(s for s in revenue.series if s.mechanism == "best-belief" and s.role == "mechanism")
    assert best.y[1] == pytest.approx(rows["revenue_over_benchmark"].mean())
    assert not any(s.role == "bound" for s in msw.series)


def test_a_bound_met_at_one_point_is_drawn_and_no_dash_crosses_where_it_says_nothing():
    """Along wrong:P a theorem's premise (correct knowledge) holds at P = 0 only: its bound, a
    dashed line of one point, drew nothing while its legend entry stood alone; a bound met at
    the two ends of an axis was joined across the points between (a user's audit)."""
    from cabench.plot import FigureData, Panel, Series

    line = Series("m", "mechanism", "m", (0.0, 0.5, 1.0), (0.6, 0.5, 0.4), (0.5, 0.4, 0.3), (0.7, 0.6, 0.5), (3, 3, 3))
    lone = Series("m bound: one point", "bound", "m", (0.0,), (0.5,), n=(3,))
    ends = Series("m bound: two ends", "bound", "m", (0.0, 1.0), (0.5, 0.5), n=(3, 3))
    data = FigureData("f", "t", (Panel("p", "x", "y", (line, lone, ends)),))
    ax = next(ax for ax in draw(data).axes if ax.get_visible())
    drawn = [(list(map(float, artist.get_xdata())), artist.get_marker(), artist.get_label())
             for artist in ax.get_lines()]
    assert drawn[1] == ([0.0], "_", "m bound: one point")  # a bar, visible alone
    assert [x for x, _, _ in drawn[2:]] == [[0.0], [1.0]]  # two runs, no dash across 0.5
    assert ax.get_legend_handles_labels()[1].count("m bound: two ends") == 1  # one legend entry


def test_mechanisms_without_a_ratio_take_no_slot_or_panel_and_ratios_near_one_read_plainly(results):
    """A market mechanism's guarantee is a probability, with no ratio to a benchmark: its slots in
    performance-over-benchmark stayed empty, and a market experiment's knowledge-quality drew two
    empty panels; ratios of 1 +- 1e-10 had their axis read against an offset "1e-9+1" (a user's
    audit)."""
    from cabench.plot import performance

    frame = load(results)
    frame = frame[~frame["mechanism"].isin(("vcg", "second-price-bundle"))].copy()  # (their ratios are to BB)
    frame.loc[frame["mechanism"] == "best-belief", ["revenue_over_benchmark", "total_over_benchmark"]] = math.nan
    assert "best-belief" not in performance(frame).panels[0].series[0].x
    # two of the three auctions without a ratio: the interval stays over auctions, where over the
    # one auction left it would count its files (as a sweep's rows, no axis) as the units
    kept = frame.assign(axis=math.nan)
    kept.loc[(kept["mechanism"] == "mixed-second-price") & (kept["seed"] != 0),
             ["revenue_over_benchmark", "total_over_benchmark"]] = math.nan
    total = {s.mechanism: s for s in performance(kept).panels[1].series}["regions"]
    # counted in auctions, as table counts it (n=1), not in the one auction's knowledge draws (n=2)
    assert total.n[total.x.index("mixed-second-price")] == 1
    frame[["revenue_over_benchmark", "total_over_benchmark"]] = math.nan
    assert performance(frame) is None
    frame["total_over_MSW"] = 1 - 1e-10 * (frame.index % 2)
    data = knowledge_quality(frame)
    assert [p.title for p in data.panels] == ["Against MSW"]
    ax = next(ax for ax in draw(data).axes if ax.get_visible())
    assert not ax.yaxis.get_major_formatter().get_useOffset()


def test_drawn_figure_matches_its_data(results):
    data = knowledge_quality(load(results))
    fig = draw(data, "one-column")
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == 3 and fig.get_figwidth() == 3.5
    for ax, panel in zip(axes, data.panels):
        assert ax.get_title() == panel.title and ax.get_ylabel() == panel.ylabel
        assert len(ax.get_lines()) == len(panel.series)  # every line and every bound is drawn
        assert len(ax.collections) == len([s for s in panel.series if s.role != "bound"])  # one band each
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0.5", "1"]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "best-belief bound: BB/2 − ε" in legend and "vcg (baseline, n=3 per point)" in legend
    assert draw(data, "two-column").get_figwidth() == 7.0


def test_plot_writes_pdf_svg_and_png_at_300_dpi(results, tmp_path):
    from PIL import Image

    out = tmp_path / "figs"
    out.mkdir()
    (out / "collusion.png").write_bytes(b"an earlier run's figure")
    result = run_cli("plot", str(results), "-o", str(out), "--style", "one-column")
    assert result.returncode == 0, result.stderr
    for name in ("knowledge-quality", "performance-over-benchmark", "solve-time"):
        assert (out / f"{name}.pdf").read_bytes().startswith(b"%PDF")
        assert b"<svg" in (out / f"{name}.svg").read_bytes()[:1000]
        dpi = Image.open(out / f"{name}.png").info["dpi"]
        assert round(dpi[0]) >= 300
    # no colluders in these results: the collusion figure would be one column at 0, so it is not
    # drawn, and the folder's earlier collusion.png is named as not from these results
    assert "note: collusion not drawn: every row has the same value of colluding players (0)" in result.stderr
    assert f"{out / 'collusion.png'}: from an earlier run, not redrawn" in result.stderr
    assert sorted(result.stdout.split()) == sorted(str(p) for p in out.iterdir() if p.name != "collusion.png")
    again = tmp_path / "again"
    assert run_cli("plot", str(results), "-o", str(again), "--formats", "pdf,svg", "--style", "one-column"
                   ).returncode == 0
    assert sorted(p.name for p in again.iterdir()) == sorted(p.name for p in out.iterdir() if p.suffix != ".png"
                                                              and p.name != "collusion.png")
    for name in ("knowledge-quality.pdf", "knowledge-quality.svg"):  # same results, same bytes
        assert (again / name).read_bytes() == (out / name).read_bytes(), name


def test_a_full_disk_under_the_pdf_writer_says_one_line(results, tmp_path, monkeypatch):
    """matplotlib's PDF writer, on a full disk, raises an AttributeError while it handles the
    OSError; plot ended in a traceback (exit 1), where a full disk says one line (exit 2)."""
    import errno

    import matplotlib.figure

    from cabench.plot import plot_results
    from instances.files import OutputError

    def full(self, target, **kwargs):
        try:
            raise OSError(errno.ENOSPC, "No space left on device")
        except OSError:
            raise AttributeError("'Stream' object has no attribute 'pos'") from None

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", full)
    with pytest.raises(OutputError, match="knowledge-quality.pdf.*No space left on device"):
        plot_results(results, tmp_path / "figs", formats=("pdf",))


def test_a_plot_stopped_between_two_figures_writes_none(results, tmp_path, monkeypatch):
    """A Ctrl-C between two figures left the first ones written beside an earlier run's others."""
    import cabench.plot

    real, saved = cabench.plot._save, []

    def second_interrupted(fig, tmp, fmt):
        saved.append(fmt)
        if len(saved) == 2:
            raise KeyboardInterrupt
        real(fig, tmp, fmt)

    monkeypatch.setattr(cabench.plot, "_save", second_interrupted)
    out = tmp_path / "figs"
    out.mkdir()
    with pytest.raises(KeyboardInterrupt):
        cabench.plot.plot_results(results, out, formats=("svg",))
    assert list(out.iterdir()) == []


def test_performance_figure_has_error_bars_and_bounds(results):
    data = {d.name: d for d in figure_data(load(results))}
    assert set(data) == {"knowledge-quality", "performance-over-benchmark", "collusion", "solve-time"}
    total = data["performance-over-benchmark"].panels[1]
    bars = [s for s in total.series if s.role != "bound"]
    assert [s.label for s in bars] == ["regions (n=3)"]  # three auctions, each at two knowledge points
    bound = next(s for s in total.series if s.role == "bound")
    levels = dict(zip(bound.x, bound.y))
    assert levels["surviving-strategies"] == 0.5 and levels["vcg"] != levels["vcg"]  # NaN: no theorem
    assert data["solve-time"].panels[0].logy


@pytest.mark.parametrize("fmt", ["markdown", "latex", "csv", "json", "table"])
def test_summary_table_formats(results, fmt):
    result = run_cli("table", str(results), "--format", fmt)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    mechanisms = [*MECHS.split(","), "vcg", "second-price-bundle"]
    assert all(m in out for m in mechanisms)
    if fmt == "latex":
        assert "\\toprule" in out and "\\midrule" in out and "\\bottomrule" in out and "$\\pm$" in out
        assert "MIKW\\_I" in out and "\\begin{tabular}{llrl" in out
    elif fmt == "markdown":
        assert out.count("| regions |") == len(mechanisms) and " ± " in out
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(out)))
        assert len(rows) == len(mechanisms) and {(r["n"], r["rows"]) for r in rows} == {("3", "6")}
        belief = next(r for r in rows if r["mechanism"] == "best-belief")
        assert belief["benchmark"] == "BB" and (belief["PASS"], belief["FAIL"], belief["premise_not_met"]) == (
            "6", "0", "0")
        vcg = next(r for r in rows if r["mechanism"] == "vcg")  # no theorem: no bound, no verdicts
        assert vcg["bound_over_benchmark_mean"] == vcg["PASS"] == "" and vcg["bound_over_benchmark_n"] == "0"
    elif fmt == "json":
        assert len(json.loads(out)["rows"]) == len(mechanisms)
    else:
        assert "…" not in out  # not a terminal: nothing cut


def test_figures_draw_no_bound_where_the_premise_is_not_met(results):
    """A mechanism whose theorem's premise fails says so in the figures, and its bound is not
    drawn (a dashed bound stood under perfect-revenue's bars on instances it says nothing of)."""
    from cabench.plot import performance

    frame = load(results)
    surviving = frame["mechanism"] == "surviving-strategies"
    frame.loc[surviving, ["verdict", "holds"]] = ["premise not met", None]
    bars = performance(frame).panels[1]
    bound = next(s for s in bars.series if s.role == "bound")
    k = bound.x.index("surviving-strategies")
    assert bound.y[k] != bound.y[k] and bars.ticklabels[k] == "surviving-strategies *"
    assert bound.label.endswith("* premise not met on some instances)")
    assert bound.y[bound.x.index("mixed-second-price")] == pytest.approx(1 / 3, abs=0.01)
    total = knowledge_quality(frame).panels[1]
    assert not any(s.role == "bound" and s.mechanism == "surviving-strategies" for s in total.series)
    line = next(s for s in total.series if s.mechanism == "surviving-strategies")
    assert line.label.endswith("(premise not met)")
    frame.loc[frame.index[surviving][3:], "verdict"] = "PASS"
    assert performance(frame).panels[1].ticklabels[k] == "surviving-strategies *"
    assert "(premise not met on 3 of 6)" in next(s for s in knowledge_quality(frame).panels[1].series
                                                 if s.mechanism == "surviving-strategies").label


def test_pooled_intervals_count_each_auction_once(results):
    """An experiment meets each auction at every knowledge point: pooled over the points, its
    rows are averaged per auction before the interval (VCG, blind to knowledge, has one value per
    auction: counted at every point, n was 6 and the interval too narrow by about a factor of
    sqrt(2) times t's)."""
    from cabench.summary import summary_table

    frame = load(results)
    table = summary_table(frame)
    vcg = next(r for r in table.records if r["mechanism"] == "vcg")
    rows = mechanism_rows(frame)
    per_auction = rows[rows["mechanism"] == "vcg"].groupby("seed")["total_over_benchmark"].mean()
    e = estimate(per_auction)
    assert (vcg["n"], vcg["rows"]) == (3, 6) and e.n == 3
    assert vcg["total_over_benchmark_mean"] == pytest.approx(e.mean, rel=1e-12)
    assert vcg["total_over_benchmark_ci95"] == pytest.approx(e.half, rel=1e-12)
    assert any("averaged first" in note for note in table.notes)
    bars = next(s for s in figure_data(frame)[1].panels[1].series if s.role != "bound")
    k = bars.x.index("vcg")
    assert (bars.n[k], bars.y[k]) == (3, pytest.approx(e.mean, rel=1e-12))
    assert bars.high[k] - bars.y[k] == pytest.approx(e.half, rel=1e-12)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_summary_table_for_programs_gives_numbers(results, fmt):
    """JSON and CSV give each ratio's mean, the half-width of its interval and its n as numbers,
    and the verdicts as counts (they gave the table's text: "0.500 ± 0.000", "6 / 0 / 0")."""
    out = run_cli("table", str(results), "--format", fmt, "--per-point").stdout
    rows = json.loads(out)["rows"] if fmt == "json" else pd.read_csv(io.StringIO(out)).to_dict("records")
    frame = mechanism_rows(load(results))
    for row in rows:
        group = frame[(frame["mechanism"] == row["mechanism"]) & (frame["axis_value"] == row["axis_value"])]
        assert row["axis"] == "noisy-lower" and row["n"] == len(group) > 1
        for ratio in ("revenue_over_benchmark", "total_over_benchmark", "total_over_MSW"):
            e = estimate(group[ratio])
            assert row[f"{ratio}_mean"] == pytest.approx(e.mean, rel=1e-15)
            assert row[f"{ratio}_ci95"] == pytest.approx(e.half, rel=1e-15) and row[f"{ratio}_n"] == e.n
        if row["mechanism"] in ("vcg", "second-price-bundle"):
            continue
        verdicts = list(group["verdict"])
        assert [row["PASS"], row["FAIL"], row["premise_not_met"]] == [
            verdicts.count("PASS"), verdicts.count("FAIL"), verdicts.count("premise not met")]


def test_a_ratio_over_fewer_instances_than_n_gives_its_own_n(results):
    """A ratio with no value on some instances of its line (its benchmark 0 there) was shown as the
    mean of the others under the line's n."""
    from cabench.summary import summary_table

    frame = load(results)
    first = frame[frame["mechanism"] == "best-belief"].iloc[0]
    one = (frame["mechanism"] == "best-belief") & (frame["seed"] == first["seed"])  # one auction, both points
    frame.loc[one, "revenue_over_benchmark"] = float("nan")  # (as a benchmark of 0 leaves it)
    table = summary_table(frame)
    line = next(r for r in table.rows if r[1] == "best-belief")
    assert line[2] == "3" and line[4].endswith("(n=2)") and not line[5].endswith(")"), line
    assert "gives its own n" in table.notes[0]


def test_summary_table_per_point_and_to_a_file(results, tmp_path):
    out = tmp_path / "t.tex"
    result = run_cli("table", str(results), "--per-point", "--format", "latex", "-o", str(out))
    assert result.returncode == 0, result.stderr
    text = out.read_text()
    assert "noisy-lower" in text and text.count("\\\\\n") == 1 + 2 * 5


def test_plot_refuses_standard_output(results, tmp_path):
    """Figures are files: ``plot -o -`` is refused (exit 2) instead of making a folder named -."""
    result = run_cli("plot", str(results), "-o", "-", cwd=tmp_path)
    assert result.returncode == 2 and "standard output ('-') is not available" in result.stderr
    assert not (tmp_path / "-").exists()


def test_summary_table_to_a_dash_is_standard_output(results, tmp_path):
    """``table -o -`` prints the table, as leaving ``-o`` out does (it wrote a file named -)."""
    result = run_cli("table", str(results), "--format", "csv", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == run_cli("table", str(results), "--format", "csv").stdout
    assert not (tmp_path / "-").exists()


def test_format_on_benchmarks_and_evaluate():
    file = str(EXAMPLES / "licences-8x8.json")
    result = run_cli("benchmarks", file, "--format", "csv")
    assert result.returncode == 0, result.stderr
    head = pd.read_csv(io.StringIO(result.stdout))
    assert "table" in head.columns and "MSW" in set(head["benchmark"].dropna())
    # one tidy table: a single header, every row of the three tables under it
    assert list(head["table"].unique()) == ["licences-8x8: benchmarks", "licences-8x8: per player",
                                            "licences-8x8: per agent"]
    assert "table" not in set(head["table"]) and len(head) == 5 + 8 + 8
    latex = run_cli("benchmarks", file, "--format", "latex")
    assert latex.returncode == 0 and latex.stdout.count("\\toprule") == 3
    labels = [line for line in latex.stdout.splitlines() if line.startswith("\\label{")]
    assert labels == ["\\label{tab:licences-8x8-benchmarks}", "\\label{tab:licences-8x8-per-player}",
                      "\\label{tab:licences-8x8-per-agent}"]  # (a paper cites a table by its label)
    evaluated = run_cli("evaluate", file, "-m", "all", "--format", "csv")
    assert evaluated.returncode == 0, evaluated.stderr
    rows = list(csv.DictReader(io.StringIO(evaluated.stdout)))
    assert {r["mechanism"] for r in rows} >= {"vcg", "best-belief", "second-price-bundle"}
    vcg = next(r for r in rows if r["mechanism"] == "vcg")
    assert vcg["verdict"] == "no theorem" and float(vcg["E[SW]"]) == 1180
    as_json = run_cli("evaluate", file, "-m", "vcg", "--format", "json")
    assert json.loads(as_json.stdout)["mechanism"] == "vcg"
    markdown = run_cli("evaluate", file, "-m", "best-belief", "--format", "markdown")
    assert "| best-belief |" in markdown.stdout and "PASS" in markdown.stdout


def test_tables_in_a_pipe_keep_full_names_and_numbers(tmp_path):
    long = "player-with-a-really-long-name-that-a-narrow-table-would-cut-" * 2
    inst = generate_instance("paths", 4, 6, 2, 0, knowledge="exact")
    inst = replace(inst, players=(long + "1", long + "2"))
    path = tmp_path / "long.json"
    dump_instance(inst, path)
    result = run_cli("benchmarks", str(path))
    assert result.returncode == 0, result.stderr
    assert long + "1" in result.stdout and long + "2" in result.stdout and "…" not in result.stdout
    evaluated = run_cli("evaluate", str(EXAMPLES / "licences-8x8.json"), "-m", "all")
    line = next(x for x in evaluated.stdout.splitlines() if x.startswith("  surviving-strategies:"))
    assert "Theorem 2" in line and "premise not met" in line  # one guarantee, one line: not wrapped at 80


def _damaged(results: Path, tmp_path: Path, change) -> Path:
    """A copy of ``results`` with ``change`` applied to its frame (every cell as text)."""
    frame = pd.read_csv(results, dtype=str, keep_default_na=False)
    path = tmp_path / "damaged.csv"
    change(frame).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["table", "plot"])
@pytest.mark.parametrize("drop, missing", [(["parameter_spec"], "parameter_spec column"),  # was an AttributeError
                                           (["guarantee_on"], "guarantee_on column"),  # was a KeyError in plot
                                           (["goods", "solve_seconds"], "goods, solve_seconds columns")])
def test_results_without_a_column_table_and_plot_read_are_refused(results, tmp_path, command, drop, missing):
    path = _damaged(results, tmp_path, lambda frame: frame.drop(columns=drop))
    result = run_cli(command, str(path), *(["-o", str(tmp_path / "figures")] if command == "plot" else []))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr == f"{path}: not results of cabench sweep or experiment (no {missing})\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.csv"]


@pytest.mark.parametrize("command", ["table", "plot"])
def test_results_with_a_column_twice_are_refused_by_name(results, tmp_path, command):
    """A header that names one column twice (an edited file) is refused naming the column; pandas
    renamed the second one "file.1" and every row was then reported as cut short."""
    lines = results.read_text().splitlines()
    header = lines[0].split(",")
    path = tmp_path / "damaged.csv"
    path.write_text("\n".join([",".join([*header[:-1], "file"]), *lines[1:]]) + "\n")
    result = run_cli(command, str(path), *(["-o", str(tmp_path / "figures")] if command == "plot" else []))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert result.stderr == f"{path}: line 1: the column file appears twice in the header; cabench writes each column once\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.csv"]
    trailing = tmp_path / "trailing.csv"  # empty names (a spreadsheet's trailing commas) are no column twice
    trailing.write_text("".join(line + ",,\n" for line in lines))
    result = run_cli(command, str(trailing), *(["-o", str(tmp_path / "figures")] if command == "plot" else []))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("command", ["table", "plot"])
@pytest.mark.parametrize("column, value, kind", [
    ("total_over_benchmark", "abc", "a finite number of magnitude at most 1e+30"),  # was summarised as "–"
    ("revenue_over_benchmark", "inf", "a finite number of magnitude at most 1e+30"),
    ("E_REV", "-1e+308", "a finite number of magnitude at most 1e+30"),  # (an OverflowError's traceback)
    ("verdict", "123", "PASS or FAIL or premise not met"),  # was not counted
    ("holds", "maybe", "True or False"),
    ("axis", "magic", "noisy-lower or wrong or candidates or coalition-size"),
    ("goods", "-5", "a whole number of at least 1"),  # (counts out of their range were summarised)
    ("colluders", "2.5", "a whole number of at least 0"),
    ("scale", "0", "a whole number of at least 1"),
])
def test_a_corrupt_cell_is_refused_with_its_line_and_column(results, tmp_path, command, column, value, kind):
    frame = pd.read_csv(results, dtype=str, keep_default_na=False)
    row = int((frame["mechanism"] == "best-belief").to_numpy().nonzero()[0][1])

    def corrupt(frame):
        frame.loc[row, column] = value
        return frame

    path = _damaged(results, tmp_path, corrupt)
    result = run_cli(command, str(path), *(["-o", str(tmp_path / "figures")] if command == "plot" else []))
    assert result.returncode == 2, result.stderr
    assert result.stderr == f'{path}: line {row + 2}, column {column}: "{value}" is not {kind}\n'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged.csv"]


def test_results_cut_short_are_refused_with_the_line(results, tmp_path):
    text = results.read_text()
    path = tmp_path / "cut.csv"
    path.write_text(text[:text.rindex("\n", 0, len(text) - 1) + 100])
    lines = path.read_text().count("\n") + 1
    result = run_cli("table", str(path))
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith(f"{path}: line {lines}: ") and "of the header's" in result.stderr


def test_table_of_results_without_mechanisms_names_the_file(results, tmp_path):
    path = _damaged(results, tmp_path, lambda frame: frame[frame["mechanism"] == ""])
    result = run_cli("table", str(path))
    assert result.returncode == 2
    assert result.stderr == f"{path}: no evaluated mechanism rows to summarise (run the sweep with --mechanisms)\n"


def test_table_of_mechanism_rows_left_unproven_says_so(results, tmp_path):
    """Mechanisms asked for, none evaluated (their instances' programs unproven within the time
    limit: the sweep writes such a row without its numbers): the message says to raise the limit,
    not to add --mechanisms."""
    def unproven(frame):
        rows = frame[frame["mechanism"] != ""].copy()
        rows["total"], rows["proven"] = "", "False"
        return rows

    path = _damaged(results, tmp_path, unproven)
    result = run_cli("table", str(path))
    assert result.returncode == 2 and result.stderr.count("\n") == 1, result.stderr
    assert "not proven within the time limit (proven = False); run the sweep again with a larger --time-limit" \
        in result.stderr


def test_table_gives_a_whole_axis_value_as_an_integer(results):
    """An axis of whole numbers (candidates, coalition size) keeps its values whole in JSON and
    CSV (``2``, not ``2.0``), as the text table shows them."""
    from cabench.summary import summary_table

    frame = load(results)
    frame["axis"] = "candidates"
    frame["axis_value"] = frame["axis_value"].map(lambda v: 2.0 if v < 1 else 3.0)
    table = summary_table(frame, per_point=True)
    assert {r["axis_value"] for r in table.records} == {2, 3}
    assert all(type(r["axis_value"]) is int for r in table.records) and {row[1] for row in table.rows} == {"2", "3"}


def test_table_says_how_many_rows_it_left_out_unproven(results, tmp_path):
    """Some mechanism rows unproven (the sweep writes them without their numbers): the table
    summarises the others and says how many it left out (it dropped them without a word)."""
    def unproven(frame):
        rows = frame.index[frame["mechanism"] == "vcg"][:2]
        frame.loc[rows, ["total", "proven"]] = ["", "False"]
        return frame

    path = _damaged(results, tmp_path, unproven)
    for fmt in ("markdown", "json"):
        result = run_cli("table", str(path), "--format", fmt)
        assert result.returncode == 0, result.stderr
        assert "2 mechanism rows of the results left out: not evaluated" in result.stdout
    rows = json.loads(run_cli("table", str(path), "--format", "json").stdout)["rows"]
    kept = mechanism_rows(load(path))
    vcg = next(r for r in rows if r["mechanism"] == "vcg")
    assert vcg["rows"] == 4 and vcg["n"] == kept[kept["mechanism"] == "vcg"]["seed"].nunique()  # of 6 rows
    assert "left out" not in run_cli("table", str(results)).stdout


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_table_and_plot_read_standard_input(results, tmp_path, suffix):
    """`-` was "no such results file" although the README said every FILE may be `-`; Parquet
    is told from CSV by its magic bytes."""
    path = tmp_path / f"r{suffix}"
    if suffix == ".parquet":
        pd.read_csv(results).to_parquet(path)
    else:
        path.write_bytes(results.read_bytes())
    table = subprocess.run([*cabench_command(), "table", "-", "--format", "csv"], input=path.read_bytes(),
                           capture_output=True, timeout=120)
    assert table.returncode == 0, table.stderr
    assert table.stdout.decode() == run_cli("table", str(path), "--format", "csv").stdout
    figures = tmp_path / "figures"
    plot = subprocess.run([*cabench_command(), "plot", "-", "-o", str(figures), "--formats", "png"],
                          input=path.read_bytes(), capture_output=True, timeout=300)
    assert plot.returncode == 0, plot.stderr
    assert (figures / "knowledge-quality.png").stat().st_size > 1000
    empty = subprocess.run([*cabench_command(), "table", "-"], input=b"", capture_output=True, timeout=60)
    assert empty.returncode == 2 and empty.stderr.decode().startswith("<stdin>: empty")


def test_per_point_table_says_it_left_out_rows_without_an_axis(results):
    """Rows of a sweep in an experiment's results have no axis point: --per-point dropped them
    (a whole family could vanish) without a word."""
    from cabench.summary import summary_table

    frame = load(results)
    frame.loc[frame["mechanism"] == "vcg", ["axis", "axis_value"]] = [None, float("nan")]
    notes = summary_table(frame, per_point=True).notes
    assert any(note.startswith("6 mechanism rows without a knowledge axis") for note in notes), notes
    assert not any("without a knowledge axis" in note for note in summary_table(frame).notes)


def test_solve_times_of_zero_draw_without_a_library_warning(results):
    """All times 0 (a hand-edited file): matplotlib warned on standard error, over two lines,
    that it cannot log-scale them."""
    import warnings

    from cabench.plot import solve_time

    frame = load(results)
    frame["solve_seconds"] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = draw(solve_time(frame))
    assert all(ax.get_yscale() == "linear" for ax in fig.axes if ax.get_visible())


def test_each_mechanism_keeps_its_colour_and_marker_in_every_figure(results):
    """Colours came from the mechanisms present (mixed-second-price green in one figure, pink in
    the next), and lines that coincide (VCG and the second-price bundle auction) hid each other."""
    frame = load(results)
    total = knowledge_quality(frame).panels[1]
    styles = {s.mechanism: (s.color, s.marker) for s in total.series if s.role != "bound"}
    assert len(set(styles.values())) == len(styles) and styles["vcg"][1] != styles["second-price-bundle"][1]
    fewer = frame[frame["mechanism"].isin([None, "mixed-second-price", "vcg"]) | frame["mechanism"].isna()]
    again = {s.mechanism: (s.color, s.marker) for s in knowledge_quality(fewer).panels[1].series if s.role != "bound"}
    assert again["mixed-second-price"] == styles["mixed-second-price"]
    fig = draw(knowledge_quality(frame))
    lines = {line.get_label(): line.get_marker() for line in fig.axes[1].get_lines()}
    assert lines[next(s.label for s in total.series if s.mechanism == "vcg")] == "x"


def test_rows_from_before_the_valuations_hash_join_their_auction(results):
    """Results resumed by a newer version mix rows without ``valuations_sha256`` (keyed by their
    generator's arguments) and rows with it: one auction was counted as two."""
    from cabench.summary import auction

    frame = load(results)
    old = frame.copy()
    old["valuations_sha256"] = None
    both = pd.concat([old, frame], ignore_index=True)
    keys = auction(both)
    assert list(keys[:len(frame)]) == list(keys[len(frame):]) and keys.nunique() == frame["seed"].nunique() == 3


def test_no_two_mechanisms_share_colour_and_marker():
    from cabench.plot import _colors
    from mechanisms.registry import MECHANISMS

    names = [*MECHANISMS, *(f"{m} (eps=1/100)" for m in MECHANISMS)]
    styles = _colors(names)
    assert len({(c, marker) for c, _, marker in styles.values()}) == len(styles)


def test_figures_of_formats_not_redrawn_are_named(results, tmp_path):
    out = tmp_path / "figs"
    assert run_cli("plot", str(results), "-o", str(out)).returncode == 0
    again = run_cli("plot", str(results), "-o", str(out), "--formats", "png")
    assert again.returncode == 0
    assert f"{out / 'knowledge-quality.pdf'}" in again.stderr and "from an earlier run" in again.stderr


def test_one_draw_has_no_error_bar(tmp_path):
    """A mean over one draw has no confidence interval: the table printed none, but the figures
    drew a zero-width error bar with its caps (and a zero-width band), read as a certain mean."""
    import numpy as np
    from matplotlib.collections import LineCollection

    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.json").write_bytes((EXAMPLES / "seed004-example.json").read_bytes())  # (BB = 150 > 0)
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "--mechanisms", "vcg", "-o", str(results)).returncode == 0
    assert estimate([0.5]).n == 1 and math.isnan(estimate([0.5]).half)
    data = next(d for d in figure_data(load(results)) if d.name == "performance-over-benchmark")
    bars = next(s for s in data.panels[1].series if s.role != "bound")
    assert bars.n == (1,) and math.isnan(bars.low[0]) and math.isnan(bars.high[0]) and math.isfinite(bars.y[0])
    figure = draw(data)
    segments = [seg for ax in figure.axes for c in ax.collections if isinstance(c, LineCollection)
                for seg in c.get_segments()]
    caps = [line.get_xydata() for ax in figure.axes for line in ax.lines]
    assert segments and caps  # (the bars' lines and caps are there, with nothing finite to draw)
    assert not any(np.isfinite(seg).all() and len(seg) for seg in segments)
    assert not any(np.isfinite(xy).all() for xy in caps)
    table = run_cli("table", str(results), "--format", "json")
    vcg = json.loads(table.stdout)["rows"][0] if table.returncode == 0 else None
    assert vcg is not None and vcg["total_over_benchmark_ci95"] is None, table.stderr


def test_a_second_solver_counts_each_evaluation_once(tmp_path):
    """Rows added by a sweep with another --solver (as the README allows) are the same
    evaluations: the table counted their verdicts twice (12 / 0 / 0 for 6 instances), and the
    solve-time figure pooled both solvers' times under one label."""
    from cabench.summary import summary_table

    folder = tmp_path / "in"
    folder.mkdir()
    for seed in range(3):
        assert run_cli("generate", "-d", "paths", "-m", "5", "-b", "8", "-n", "3", "--knowledge", "exact", "--seed",
                       str(seed), "-o", str(folder / f"p{seed}.json")).returncode == 0
    results = tmp_path / "r.csv"
    for solver in ("portfolio", "cpsat"):
        done = run_cli("sweep", str(folder), "--mechanisms", "best-belief", "--solver", solver, "-o", str(results))
        assert done.returncode == 0, done.stderr
    frame = load(results)
    assert len(frame[frame["mechanism"] == "best-belief"]) == 6
    table = json.loads(run_cli("table", str(results), "--format", "json").stdout)
    row = table["rows"][0]
    assert (row["n"], row["rows"], row["PASS"] + row["FAIL"] + row["premise_not_met"]) == (3, 3, 3)
    assert any("another --solver" in note and note.startswith("3 mechanism rows") for note in table["notes"])
    times = next(d for d in figure_data(frame) if d.name == "solve-time")
    assert sorted(s.label for s in times.panels[0].series) == ["paths, cpsat (n=3)", "paths, portfolio (n=3)"]
    # rows without their hash (hand-made) are told apart by their file, and rows of one solver
    # (two copies of one sweep) are no other solver's
    one = frame[frame["solver"] == "cpsat"].copy()
    one["instance_sha256"] = None
    assert {r["mechanism"]: r["n"] for r in summary_table(one).records}["best-belief"] == 3
    assert not any("another --solver" in note for note in summary_table(one).notes)
    twice = pd.concat([frame[frame["solver"] == "cpsat"]] * 2, ignore_index=True)
    assert not any("another --solver" in note for note in summary_table(twice).notes)


def test_per_point_on_a_sweep_says_there_is_no_axis(results):
    """``table --per-point`` on a sweep's results (no knowledge axis) gave the table without
    points and no word about it; and LaTeX left ``|``, ``<`` and ``>`` as they are (in LaTeX's
    default font encoding they print as other glyphs)."""
    from cabench.formats import latex_escape
    from cabench.summary import summary_table

    frame = load(results)
    frame[["axis", "axis_value"]] = [None, float("nan")]
    notes = summary_table(frame, per_point=True).notes
    assert any(note.startswith("--per-point: these results have no knowledge axis") for note in notes), notes
    assert not any(note.startswith("--per-point") for note in summary_table(frame).notes)
    assert latex_escape("a|b<c>d") == r"a\textbar{}b\textless{}c\textgreater{}d"


def test_rows_that_name_the_mixed_benchmark_mkw_i_read_as_mikw_i(results, tmp_path):
    """Results written before the mixed auction's benchmark took its paper's name (MIKW_I, seed
    000 Definition 3) said MKW_I: resumed into, a table showed "MIKW_I, MKW_I" for one benchmark."""
    text = results.read_text()
    assert "MIKW_I" in text
    old = tmp_path / "old.csv"
    lines = text.splitlines(keepends=True)
    half = len(lines) // 2  # (old rows and new rows in one file, as a resumed sweep writes them)
    old.write_text("".join(lines[:half]).replace("MIKW_I", "MKW_I") + "".join(lines[half:]))
    result = run_cli("table", str(old), "--format", "csv")
    assert result.returncode == 0, result.stderr
    mixed = next(r for r in csv.DictReader(io.StringIO(result.stdout)) if r["mechanism"] == "mixed-second-price")
    assert mixed["benchmark"] == "MIKW_I"


def test_one_auction_drawn_three_ways_counts_three_draws_in_a_sweep_as_in_an_experiment(tmp_path):
    """The same three draws of knowledge (or of coalitions) on one auction were one unit to a
    sweep (its rows kept the seed of the valuations only, and an imported file had none) and
    three to an experiment: a sweep's files of one auction are its draws."""
    from cabench.summary import summary_table

    made = tmp_path / "g.json"
    assert run_cli("generate", "-d", "regions", "-m", "5", "-b", "10", "-n", "4", "-o", str(made)).returncode == 0
    imported = tmp_path / "cats.json"
    assert run_cli("import", str(EXAMPLES / "cats-scheduling-40-200.txt"), "-o", str(imported)).returncode == 0
    for source, drawn in ((made, ["--knowledge", "noisy-lower:0.5"]), (made, ["--coalitions", "pairs:1"]),
                          (imported, ["--knowledge", "noisy-lower:0.5"])):
        folder = tmp_path / f"drawn-{source.stem}-{drawn[0]}"
        for seed in (1, 2, 3):
            assert run_cli("annotate", str(source), *drawn, "--seed", str(seed),
                           "-o", str(folder / f"s{seed}.json")).returncode == 0
        swept = tmp_path / f"{folder.name}-sweep.csv"
        assert run_cli("sweep", str(folder), "--mechanisms", "vcg", "--solver", "brute" if source == made else
                       "portfolio", "-o", str(swept)).returncode == 0
        lines = {r["mechanism"]: r for r in summary_table(load(swept)).records}
        assert (lines["vcg"]["n"], lines["vcg"]["rows"]) == (3, 3), (source, drawn)
    experiment = tmp_path / "e.csv"
    assert run_cli("experiment", str(made), "--axis", "noisy-lower:0.5", "--seeds", "3", "--first-seed", "1",
                   "--mechanisms", "vcg", "--solver", "brute", "-o", str(experiment)).returncode == 0
    lines = {r["mechanism"]: r for r in summary_table(load(experiment)).records}
    assert (lines["vcg"]["n"], lines["vcg"]["rows"]) == (3, 3)


def test_the_tables_bound_is_over_the_rows_whose_premise_is_met(results):
    """Where a theorem's premise is not met it promises nothing: the figures drew no bound there,
    but the table averaged those rows' bounds in."""
    from cabench.summary import summary_table

    frame = load(results)
    chosen = frame.index[frame["mechanism"] == "best-belief"][:2]
    frame.loc[chosen, "verdict"] = "premise not met"
    frame.loc[chosen, "bound_over_benchmark"] = 100.0
    line = next(r for r in summary_table(frame).records if r["mechanism"] == "best-belief")
    assert line["bound_over_benchmark_mean"] == pytest.approx(0.5, abs=1e-3)  # BB/2 - eps over BB


def test_latex_keeps_brackets_and_double_hyphens_as_written():
    """A cell starting with "[" after a row's \\\\ was read as its optional argument (a family named
    for a file "[x].json" broke the table), and "--per-point" printed an en dash."""
    from cabench.formats import latex_escape

    assert latex_escape("[x]") == "{[}x{]}"
    assert latex_escape("--per-point, best-belief, a − b, -−") == "-{}-per-point, best-belief, a {--} b, -{--}"


def test_a_line_counts_one_kind_of_unit_at_every_point_and_in_its_bound():
    """The unit (auctions, or the draws of a line's one auction) was chosen again for each
    point of a figure's line and for the rows behind the table's bound: a line of two auctions
    counted three draws of one of them at the point only that one reached (n=2-3 per point),
    and its bound over the rows whose premise was met had n=3 where its line had n=2."""
    from cabench.plot import _colors, _lines

    rows = pd.DataFrame({
        "mechanism": "best-belief", "family": "f", "colluders": [0, 0, 2, 2, 2],
        "auction": ["A", "B", "B", "B", "B"], "draw": ["A 0", "B 0", "B 1", "B 2", "B 3"],
        "total_over_benchmark": [1.0, 2.0, 3.0, 4.0, 5.0], "bound_over_benchmark": 0.5,
        "verdict": ["premise not met", "PASS", "PASS", "PASS", "PASS"], "guarantee_on": "total",
        "guarantee": "E[SW] + E[REV] >= BB / 2"})
    line, bound = _lines(rows, "colluders", "total_over_benchmark", _colors(["best-belief"]), "total")
    assert line.n == (2, 1) and line.y[1] == 4.0 and bound.n == (1, 1)


def test_the_tables_bound_counts_the_units_of_its_line(tmp_path):
    from cabench.summary import summary_table

    folder = tmp_path / "in"
    for seed, knowledge, draws in ((1, "candidates:1", (1, 2, 3)), (2, "noisy-lower:0.5", (1,))):
        made = tmp_path / f"a{seed}.json"
        assert run_cli("generate", "-d", "regions", "-m", "5", "-b", "10", "-n", "3", "--seed", str(seed),
                       "-o", str(made)).returncode == 0
        for draw_seed in draws:  # (perfect-revenue's premise, perfect information, is met by candidates:1 only)
            assert run_cli("annotate", str(made), "--knowledge", knowledge, "--seed", str(draw_seed),
                           "-o", str(folder / f"a{seed}-{draw_seed}.json")).returncode == 0
    results = tmp_path / "r.csv"
    assert run_cli("sweep", str(folder), "--mechanisms", "perfect-revenue", "--solver", "brute",
                   "-o", str(results)).returncode == 0
    line = next(r for r in summary_table(load(results)).records if r["mechanism"] == "perfect-revenue")
    assert (line["n"], line["rows"], line["bound_over_benchmark_n"]) == (2, 4, 1)


def test_a_title_names_at_most_three_pooled_families():
    """A sweep of 40 files (each its own family) buried the panel under their names."""
    from cabench.plot import _families

    assert _families(pd.DataFrame({"family": ["paths"]})) == "(paths)"
    assert _families(pd.DataFrame({"family": [f"f{k:02}" for k in range(40)]})) == \
        "(40 families pooled: f00, f01, f02 and 37 more)"
