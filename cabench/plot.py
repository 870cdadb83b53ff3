"""``cabench plot``: the standard figures of a sweep's or an experiment's results, for papers.

Each figure is first computed as data (:class:`FigureData`: panels of series with their means,
95% confidence intervals and n; the bounds of the theorems), then drawn with matplotlib and
written as PDF, SVG and PNG (300 dpi), in a colour-blind-safe palette (Okabe and Ito) and at
the width of a one- or two-column paper. Tests read the data and the drawn figure.

* ``knowledge-quality``: for an experiment, against its knowledge axis, one line per mechanism
  (mean with a 95% confidence band, n in the legend): E[REV] / benchmark, (E[SW] + E[REV]) /
  benchmark and (E[SW] + E[REV]) / MSW. The benchmark is the one of the mechanism's own theorem,
  whose bound is drawn as a dashed line in the mechanism's colour (BB/2 − ε, MIEW(K_I)/2,
  MIKW_I/3 − 2ε/3, (1 − ε) MKW/6 − ε₁, (1 − 4εn) MSW). VCG and the second-price bundle
  auction are the baselines (black and grey), divided by BB (``cabench.summary``).
* ``performance-over-benchmark``: per mechanism and family, the mean ratio with 95% error bars
  and each theorem's bound;
* ``collusion``: (E[SW] + E[REV]) / benchmark against the number of colluding players;
* ``solve-time``: seconds for the benchmark table against goods and against bids.

A line of ``knowledge-quality`` and ``collusion`` pools the families of the results (the title
names them; ``cabench table`` gives each its own line). Its intervals count the line's units
(``cabench.summary.units``): its auctions, or the knowledge draws of its one auction, chosen
once for the whole line, so every point of a line counts the same kind of unit.
"""

from __future__ import annotations

import contextlib
import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from cabench.summary import BASELINES, bound_label, clustered, load, mechanism_rows, premise_met, shown_name, units
from instances import CabenchError
from instances.files import make_folders, written_together

__all__ = ["AXIS_LABELS", "BASELINE_STYLE", "DPI", "FORMATS", "FigureData", "MARKERS", "NAMES", "PALETTE", "Panel",
           "SAVE", "STYLES", "Series", "collusion", "draw", "figure_data", "knowledge_quality", "performance",
           "plot_results", "premise_note", "solve_time", "why_empty"]

PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#F0E442")
"""Okabe and Ito's colour-blind-safe colours (black, for the first baseline, is left out)."""
BASELINE_STYLE = {"vcg": ("#000000", "-.", "x"), "second-price-bundle": ("#7F7F7F", ":", "+")}
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
"""One marker per mechanism besides its colour: lines that coincide (VCG and the second-price
bundle auction, best-belief and best-belief-normal) stay told apart, in grey print too."""
STYLES = {"one-column": (3.5, 8), "two-column": (7.0, 9)}
"""Figure width in inches and font size: one column of a two-column paper, or the full width."""
FORMATS = ("pdf", "svg", "png")
DPI = 300
SAVE = {"svg.fonttype": "none", "pdf.fonttype": 42, "svg.hashsalt": "cabench"}
"""Text stays text in SVG and PDF (editable, searchable); fixed SVG ids: same data, same bytes."""
AXIS_LABELS = {
    "noisy-lower": "knowledge quality F (noisy-lower:F)",
    "wrong": "wrong-belief probability P (wrong:P)",
    "candidates": "candidate valuations K (candidates:K)",
    "coalition-size": "coalition size (players)",
}


@dataclass(frozen=True)
class Series:
    """One line (or group of bars): ``role`` is "mechanism", "baseline" or "bound"."""

    label: str
    role: str
    mechanism: str
    x: tuple = ()
    y: tuple[float, ...] = ()
    low: tuple[float, ...] = ()
    high: tuple[float, ...] = ()
    n: tuple[int, ...] = ()
    color: str = "#000000"
    linestyle: str = "-"
    marker: str = "o"


@dataclass(frozen=True)
class Panel:
    title: str
    xlabel: str
    ylabel: str
    series: tuple[Series, ...]
    kind: str = "line"  # "line" (bands), "bar" (x categories, error bars) or "scatter"
    logy: bool = False
    integer_x: bool = False
    ticklabels: tuple[str, ...] = ()  # a bar panel's category labels, when not its x


@dataclass(frozen=True)
class FigureData:
    name: str
    title: str
    panels: tuple[Panel, ...]
    paths: tuple[Path, ...] = field(default=())


def _colors(mechanisms) -> dict[str, tuple[str, str, str]]:
    """A fixed colour, line style and marker per mechanism, the same in every figure of every run: by
    the mechanism's place in the registry, not among those present (mixed-second-price was
    green in one figure of a paper and pink in the next). A mechanism run with given parameters
    ("best-belief (eps=1/100)") and any name the registry lacks come after, in name order."""
    from mechanisms.registry import MECHANISMS

    known = [m for m in MECHANISMS if m not in BASELINES]
    others = sorted(m for m in set(mechanisms) if m not in BASELINES and m not in known)
    chosen = {}
    for k, m in enumerate([*known, *others]):
        # past the palette the colours repeat: dash-dot (dashes are the bounds'), and the markers
        # shift, so no two mechanisms share both colour and marker
        chosen[m] = (PALETTE[k % len(PALETTE)], "-" if k < len(PALETTE) else "-.",
                     MARKERS[(k + k // len(PALETTE)) % len(MARKERS)])
    chosen.update({m: BASELINE_STYLE[m] for m in BASELINES})
    return chosen


def _n_label(ns) -> str:
    ns = [n for n in ns if n]
    if not ns:
        return "n=0"
    return f"n={min(ns)}" if min(ns) == max(ns) else f"n={min(ns)}–{max(ns)}"


def premise_note(rows) -> str:
    """" (premise not met)" when no row of a mechanism meets its theorem's premise, " (premise
    not met on K of N)" when some do not, else "": a figure must not show a bound as if the
    theorem covered instances it says nothing about."""
    if "verdict" not in rows:
        return ""
    verdicts = rows["verdict"].astype(str)
    unmet, judged = int((verdicts == "premise not met").sum()), int(verdicts.isin(("PASS", "FAIL")).sum())
    if not unmet:
        return ""
    return " (premise not met)" if not judged else f" (premise not met on {unmet} of {unmet + judged})"


def _lines(rows, x: str, y: str, colors, bounds_on: str | None) -> tuple[Series, ...]:
    """One series per mechanism (mean and 95% CI of ``y`` at each ``x``), baselines after the
    mechanisms, then each theorem's bound (``bounds_on``: "revenue" or "total")."""
    series, bounds = [], []
    names = sorted(set(rows["mechanism"]), key=lambda m: (m in BASELINES, m))
    for name in names:
        group = rows[rows["mechanism"] == name]
        line = units(group)  # (chosen for the whole line: each point alone could choose otherwise)
        points = sorted(set(group[x].dropna()))
        stats = [clustered(group[group[x] == p], y, line) for p in points]
        keep = [(p, s) for p, s in zip(points, stats) if s.n]
        if not keep:
            continue
        color, style, marker = colors[name]
        role = "baseline" if name in BASELINES else "mechanism"
        label = (f"{name} ({'baseline, ' if role == 'baseline' else ''}{_n_label([s.n for _, s in keep])} per point)"
                 + premise_note(group))
        series.append(Series(label, role, name, tuple(float(p) for p, _ in keep), tuple(s.mean for _, s in keep),
                             tuple(s.low for _, s in keep), tuple(s.high for _, s in keep),
                             tuple(s.n for _, s in keep), color, style, marker))
        met = premise_met(group)
        if bounds_on and role == "mechanism" and (met["guarantee_on"] == bounds_on).any():
            on = met[met["guarantee_on"] == bounds_on]
            levels = [(p, clustered(on[on[x] == p], "bound_over_benchmark", line)) for p in points]
            levels = [(p, s) for p, s in levels if s.n]
            text = bound_label(on["guarantee"].dropna().iloc[0]) if on["guarantee"].notna().any() else None
            if levels:
                bounds.append(Series(f"{name} bound: {text or 'theorem'}", "bound", name,
                                     tuple(float(p) for p, _ in levels), tuple(s.mean for _, s in levels),
                                     (), (), tuple(s.n for _, s in levels), color, "--"))
    return tuple(series + bounds)


def knowledge_quality(frame) -> FigureData | None:
    """The experiment's figure (module docstring), or None without a knowledge axis."""
    if "axis" not in frame or frame["axis"].dropna().empty:
        return None
    rows = mechanism_rows(frame)
    rows = rows[rows["axis"].notna() & rows["axis_value"].notna()]
    if rows.empty:
        return None
    kinds = sorted(set(rows["axis"]))
    if len(kinds) > 1:
        raise CabenchError(f"the results mix knowledge axes ({', '.join(kinds)}); plot one experiment per file")
    xlabel = AXIS_LABELS.get(kinds[0], kinds[0])
    colors = _colors(rows["mechanism"])
    integer = kinds[0] in ("candidates", "coalition-size")
    panels = (
        Panel("Revenue", xlabel, "E[REV] / benchmark of the theorem\n(baselines: / BB)",
              _lines(rows, "axis_value", "revenue_over_benchmark", colors, "revenue"), integer_x=integer),
        Panel("Welfare plus revenue", xlabel, "(E[SW] + E[REV]) / benchmark\nof the theorem (baselines: / BB)",
              _lines(rows, "axis_value", "total_over_benchmark", colors, "total"), integer_x=integer),
        Panel("Against MSW", xlabel, "(E[SW] + E[REV]) / MSW",  # (a longer title ran past its panel)
              _lines(rows, "axis_value", "total_over_MSW", colors, None), integer_x=integer),
    )
    panels = tuple(p for p in panels if p.series)  # (markets have no theorem's ratio: two empty boxes)
    if not panels:
        return None
    varies = "the coalition size varies" if kinds[0] == "coalition-size" else "knowledge varies"
    return FigureData("knowledge-quality", f"Share of the benchmarks achieved as {varies} {_families(rows)}", panels)


def _families(rows) -> str:
    """The families a figure's lines are over, for its title: each line pools them (``cabench
    table`` gives each its own line), and its intervals count the line's units (``summary.units``)."""
    families = sorted(set(rows["family"]))
    if len(families) == 1:
        return f"({families[0]})"
    # (a sweep of 40 files, each its own family, buried the panel under their names)
    named = ", ".join(families[:3]) + (f" and {len(families) - 3} more" if len(families) > 3 else "")
    return f"({len(families)} families pooled: {named})"


def performance(frame) -> FigureData | None:
    """Per mechanism and family: mean ratio to the benchmark of its theorem, with 95% error
    bars, and the theorem's bound (mean over its units where its premise is met) as a marker."""
    rows = mechanism_rows(frame)
    if rows.empty:
        return None
    # the mechanisms with a ratio to show: a market mechanism's guarantee is a probability, and
    # its five slots stayed empty beside the auctions' bars (a user's audit). Every row of a
    # mechanism and family with one is kept: the unit of its interval (``units``) is chosen
    # over them all, as ``table`` chooses it
    shown = rows["revenue_over_benchmark"].notna() | rows["total_over_benchmark"].notna()
    rows = rows[shown.groupby([rows["mechanism"], rows["family"]]).transform("any")]
    if rows.empty:
        return None
    families = sorted(set(rows["family"]))
    mechanisms = sorted(set(rows["mechanism"]), key=lambda m: (m in BASELINES, m))
    panels = []
    for column, on, title in (("revenue_over_benchmark", "revenue", "E[REV] / benchmark"),
                              ("total_over_benchmark", "total", "(E[SW] + E[REV]) / benchmark")):
        series = []
        for k, fam in enumerate(families):
            stats = [clustered(rows[(rows["mechanism"] == m) & (rows["family"] == fam)], column) for m in mechanisms]
            series.append(Series(f"{fam} ({_n_label([s.n for s in stats])})", "mechanism", fam, tuple(mechanisms),
                                 tuple(s.mean for s in stats), tuple(s.low for s in stats),
                                 tuple(s.high for s in stats), tuple(s.n for s in stats),
                                 PALETTE[k % len(PALETTE)]))
        met = premise_met(rows)
        bounds = [clustered(met[(met["mechanism"] == m) & (met["guarantee_on"] == on)], "bound_over_benchmark",
                            units(rows[rows["mechanism"] == m]))
                  for m in mechanisms]
        # a star marks a mechanism whose premise fails on some instances (a second line of tick label, rotated,
        # ran into its neighbours)
        unmet = [bool(premise_note(rows[rows["mechanism"] == m])) for m in mechanisms]
        note = "; * premise not met on some instances" if any(unmet) else ""
        series.append(Series(f"bound of the theorem (where its premise is met{note})", "bound", "", tuple(mechanisms),
                             tuple(s.mean for s in bounds), n=tuple(s.n for s in bounds), color="#000000",
                             linestyle="--"))
        ticks = tuple(m + (" *" if star else "") for m, star in zip(mechanisms, unmet))
        panels.append(Panel(title, "", "ratio (mean, 95% CI;\nbaselines / BB)", tuple(series), kind="bar",
                            ticklabels=ticks))
    return FigureData("performance-over-benchmark", "Share of each theorem's benchmark, by family", tuple(panels))


def collusion(frame) -> FigureData | None:
    rows = mechanism_rows(frame)
    rows = rows[rows["colluders"].notna()]
    if rows.empty:
        return None
    colors = _colors(rows["mechanism"])
    panel = Panel("Welfare plus revenue against collusion", "colluding players",
                  "(E[SW] + E[REV]) / benchmark (mean, 95% CI)",
                  _lines(rows, "colluders", "total_over_benchmark", colors, "total"), integer_x=True)
    return FigureData("collusion", f"Share of the benchmark against the number of colluding players {_families(rows)}",
                      (panel,))


def solve_time(frame) -> FigureData | None:
    import pandas as pd

    from cabench.summary import family

    tables = frame[frame["mechanism"].isna()].copy()
    if tables.empty or "solve_seconds" not in tables:
        return None
    tables["family"] = family(tables)
    # the times of each solver apart, when the results hold several (a sweep run again with another)
    solvers = "solver" in tables and tables["solver"].nunique(dropna=True) > 1
    if solvers:
        solver = tables["solver"].fillna("solver not recorded").astype(str)
        tables["family"] = tables["family"].astype(str) + ", " + solver
    panels = []
    for column, label in (("goods", "goods"), ("bids", "bids (all players)")):
        series = []
        for k, (fam, group) in enumerate(sorted(tables.groupby("family"), key=lambda kv: str(kv[0]))):
            x = pd.to_numeric(group[column], errors="coerce")
            y = pd.to_numeric(group["solve_seconds"], errors="coerce")
            series.append(Series(f"{fam} (n={len(group)})", "mechanism", str(fam), tuple(x), tuple(y),
                                 n=(len(group),), color=PALETTE[k % len(PALETTE)]))
        panels.append(Panel(f"Against {column}", label, "seconds for the benchmark table", tuple(series),
                            kind="scatter", logy=True, integer_x=True))
    return FigureData("solve-time", "Time to compute the benchmark table (wall clock)", tuple(panels))


def figure_data(frame) -> list[FigureData]:
    """Every standard figure these results support."""
    return [d for d in (knowledge_quality(frame), performance(frame), collusion(frame), solve_time(frame)) if d]


NAMES = ("knowledge-quality", "performance-over-benchmark", "collusion", "solve-time")
"""Every standard figure, in the order drawn."""


def why_empty(data: FigureData) -> str | None:
    """Why ``data`` has nothing to show, or None: no mean anywhere (every mechanism row left out
    as unproven drew blank axes labelled "n=0"), or a line figure whose series all stand at one
    x (the collusion figure of results without colluders drew one column at 0)."""
    shown = [s for panel in data.panels for s in panel.series
             if s.role != "bound" and any(isinstance(y, float | int) and math.isfinite(y) for y in s.y)]
    if not shown:
        # (both reasons: results without knowledge have BB = 0 everywhere, every row proven, and
        # the note named only the first)
        return "no mechanism row with a value (a ratio to a benchmark of 0 has none, and unproven rows are left out)"
    lines = [p for p in data.panels if p.kind == "line"]
    if lines and len(xs := {x for p in lines for s in p.series for x in s.x}) < 2:
        return f"every row has the same value of {lines[0].xlabel or 'x'} ({', '.join(f'{x:g}' for x in xs)})"
    return None


def draw(data: FigureData, style: str = "two-column"):
    """The matplotlib Figure of ``data`` (Agg backend; nothing is shown)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    width, font = STYLES[style]
    count = len(data.panels)
    columns = count if style == "two-column" else 1
    rows_ = math.ceil(count / columns)
    height = (2.6 if style == "two-column" else 1.9) * rows_ + 0.9  # (one column: within a page)
    with plt.rc_context({"font.size": font, "axes.titlesize": font, "axes.labelsize": font,
                         "legend.fontsize": font - 1.5, "xtick.labelsize": font - 1, "ytick.labelsize": font - 1,
                         **SAVE}):
        fig, axes = plt.subplots(rows_, columns, figsize=(width, height), squeeze=False)
        flat = [ax for row in axes for ax in row]
        shared = style == "two-column" and count > 1 and len({p.xlabel for p in data.panels}) == 1
        for k, (ax, panel) in enumerate(zip(flat, data.panels)):
            _draw_panel(ax, panel, MaxNLocator)
            if shared and k != count // 2:
                ax.set_xlabel("")  # said once, under the middle panel
        for ax in flat[count:]:
            ax.set_visible(False)
        fig.suptitle(textwrap.fill(data.title, 75 if style == "two-column" else 45), fontsize=font + 0.5)
        handles, labels = {}, []
        for ax in flat[:count]:
            for h, label in zip(*ax.get_legend_handles_labels()):
                if label not in handles:
                    handles[label] = h
                    labels.append(label)
        ncols = 1 if style == "one-column" else min(2, max(1, len(labels)))
        legend = fig.legend([handles[label] for label in labels], labels, loc="lower center", ncols=ncols,
                            frameon=False)
        fig.canvas.draw()
        legend_height = legend.get_window_extent().height / fig.dpi
        total = height + legend_height
        fig.set_size_inches(width, total)
        fig.tight_layout(rect=(0, (legend_height + 0.05) / total, 1, 1))
    return fig


def _runs(xs: tuple[float, ...], ys: tuple[float, ...], grid: list[float]) -> list[tuple[list, list]]:
    """``(xs, ys)`` cut where a point of ``grid`` (the panel's x values) lies between two of
    ``xs``: a bound drawn over its points only, not across the points where it says nothing."""
    place = {x: k for k, x in enumerate(grid)}
    runs: list[tuple[list, list]] = []
    for x, y in sorted(zip(xs, ys)):
        if runs and place[x] == place[runs[-1][0][-1]] + 1:
            runs[-1][0].append(x)
            runs[-1][1].append(y)
        else:
            runs.append(([x], [y]))
    return runs


def _draw_panel(ax, panel: Panel, locator) -> None:
    if panel.kind == "bar":
        categories = list(panel.series[0].x) if panel.series else []
        groups = [s for s in panel.series if s.role != "bound"]
        width = 0.8 / max(1, len(groups))
        for k, s in enumerate(groups):
            xs = [c + (k - (len(groups) - 1) / 2) * width for c in range(len(categories))]
            # no interval (one unit): no bar at all, where a zero one drew its caps on the mean
            err = [[m - lo if math.isfinite(lo) else math.nan for m, lo in zip(s.y, s.low)],
                   [hi - m if math.isfinite(hi) else math.nan for m, hi in zip(s.y, s.high)]]
            ax.bar(xs, s.y, width, yerr=err, capsize=2, color=s.color, label=s.label, error_kw={"linewidth": 0.8})
        for s in panel.series:
            if s.role == "bound":
                for c, level in enumerate(s.y):
                    if math.isfinite(level):
                        ax.hlines(level, c - 0.45, c + 0.45, colors=s.color, linestyles="--", linewidth=1,
                                  label=s.label if c == next(i for i, v in enumerate(s.y) if math.isfinite(v))
                                  else None)
        ax.set_xticks(range(len(categories)), list(panel.ticklabels or categories), rotation=30, ha="right")
    elif panel.kind == "scatter":
        for s in panel.series:
            ax.scatter(s.x, s.y, s=10, color=s.color, label=s.label)
        ax.xaxis.set_major_locator(locator(nbins=5, integer=panel.integer_x))  # (goods at 5.8 and 6.2)
    else:
        grid = sorted({x for s in panel.series for x in s.x})
        for s in panel.series:
            if s.role == "bound":  # (above the lines: best-belief's bound lies on its own line at 1/2)
                # a short bar at each point, so that a bound met at one point only shows (a dashed
                # line of one point drew nothing, its legend entry stood alone), and no dash across
                # points where the premise is not met (a user's audit)
                for k, (xs, ys) in enumerate(_runs(s.x, s.y, grid)):
                    ax.plot(xs, ys, color=s.color, linestyle="--", linewidth=1, marker="_", markersize=9,
                            label=s.label if k == 0 else None, zorder=3)
                continue
            ax.plot(s.x, s.y, color=s.color, linestyle=s.linestyle, marker=s.marker, markersize=3.5, linewidth=1.2,
                    label=s.label)
            ax.fill_between(s.x, s.low, s.high, color=s.color, alpha=0.08 if s.role == "baseline" else 0.18,
                            linewidth=0)
        points = sorted({x for s in panel.series for x in s.x})
        if 1 < len(points) <= 6:
            ax.set_xticks(points, [f"{x:g}" for x in points])  # the values the experiment ran at
        else:  # too many to label each without overlap
            ax.xaxis.set_major_locator(locator(nbins=5, integer=panel.integer_x))
    ax.set_title(panel.title)
    ax.set_xlabel(panel.xlabel)
    ax.set_ylabel(panel.ylabel)
    positive = any(isinstance(y, float | int) and y > 0 for s in panel.series for y in s.y)
    if panel.logy and positive:  # (all times 0: matplotlib's multi-line warning, and no scale to show)
        ax.set_yscale("log")
    else:
        ax.yaxis.set_major_locator(locator(nbins=6))
        with contextlib.suppress(AttributeError):  # (a ScalarFormatter's: ratios of 1 +- 1e-10 read "1e-9+1")
            ax.yaxis.get_major_formatter().set_useOffset(False)
    ax.grid(True, linewidth=0.3, alpha=0.5)


def plot_results(results: Path, folder: Path, style: str = "two-column",
                 formats: tuple[str, ...] = FORMATS, notes: list[str] | None = None) -> list[FigureData]:
    """Draw every standard figure of ``results`` into ``folder`` (one file per format, all of them
    or none: an error or a Ctrl-C leaves the folder as it was); returns the figures' data with the
    paths written. A figure with nothing
    to show (:func:`why_empty`) is not drawn, and a standard figure left in ``folder`` by an
    earlier run that these results do not redraw is named: both go to ``notes``."""
    import matplotlib.pyplot as plt

    if style not in STYLES:
        raise CabenchError(f"--style: expected one of {', '.join(STYLES)}")
    frame = load(results)
    notes = [] if notes is None else notes
    made = []
    for data in figure_data(frame):
        reason = why_empty(data)
        if reason is None:
            made.append(data)
        else:
            notes.append(f"{data.name} not drawn: {reason}")
    if not made:
        raise CabenchError(f"{shown_name(results)}: no rows to plot" + (f" ({'; '.join(notes)})" if notes else ""))
    drawn = {d.name for d in made}
    stale = [folder / f"{name}.{fmt}" for name in NAMES for fmt in FORMATS
             if (name not in drawn or fmt not in formats) and (folder / f"{name}.{fmt}").exists()]
    if stale:
        notes.append(f"{', '.join(map(str, stale))}: from an earlier run, not redrawn from these results")
    make_folders(folder)
    written = []
    # all the figures or none: written one by one, a Ctrl-C between two left some of them new and
    # the others from an earlier run (found by a user's audit)
    with written_together() as stage:
        for data in made:
            fig = draw(data, style)
            paths = []
            for fmt in formats:
                path = folder / f"{data.name}.{fmt}"
                with plt.rc_context(SAVE):
                    stage(path, lambda tmp, fmt=fmt, fig=fig: _save(fig, tmp, fmt))
                paths.append(path)
            plt.close(fig)
            written.append(FigureData(data.name, data.title, data.panels, tuple(paths)))
    return written


def _save(fig, tmp: Path, fmt: str) -> None:
    """``fig`` saved in ``fmt`` to ``tmp``. An error writing the file is raised as the OSError it
    is: matplotlib's PDF writer, on a full disk, raised an AttributeError while it handled the
    OSError ("'Stream' object has no attribute 'pos'"), which ended ``plot`` in a traceback
    where every other output says one line (found by a user's audit)."""
    try:
        fig.savefig(tmp, format=fmt, dpi=DPI, metadata=_metadata(fmt))
    except OSError:
        raise
    except Exception as exc:
        cause = exc.__context__
        while cause is not None and not isinstance(cause, OSError):
            cause = cause.__context__
        if cause is None:
            raise
        raise cause from None


def _metadata(fmt: str) -> dict[str, object] | None:
    """No creation date in PDF and SVG: the same results give the same bytes."""
    if fmt == "pdf":
        return {"CreationDate": None}
    if fmt == "svg":
        return {"Date": None}
    return None
