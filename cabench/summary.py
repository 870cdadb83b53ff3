"""Summaries of sweep and experiment results shared by ``cabench plot`` and ``cabench table``:
the ratios the papers' theorems bound, means with 95% confidence intervals, bound labels.

Ratios (one per mechanism row):

* ``revenue_over_benchmark``, ``total_over_benchmark``: E[REV] and E[SW] + E[REV] divided by the
  benchmark of the mechanism's own theorem (docs/definitions.md, guarantees). The baselines (VCG, the second-price
  bundle auction) have no theorem; they are divided by BB (seed 004 Def. 2, the best-belief
  benchmark), which the papers set against VCG's revenue, and labelled so.
* ``total_over_MSW``, ``revenue_over_MSW``: divided by the maximum social welfare.
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cabench.experiment import AXES, BASELINES
from instances import CabenchError
from instances.spreadsheet import restored
from mechanisms.names import MECHANISM_NAMES

__all__ = ["BASELINE_BENCHMARK", "BOOLEANS", "CHOICES", "COLUMNS", "EVALUATED", "Estimate", "LARGEST_NUMBER", "NUMBERS",
           "PARQUET_MAGIC", "RATIOS", "WHOLE", "auction", "bound_label", "check_cells", "clustered", "estimate",
           "family", "knowledge_draw", "load", "mechanism_rows", "pending_note", "premise_met", "shown_name",
           "summary_table", "units"]

BASELINE_BENCHMARK = "BB"


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% confidence interval (Student's t) over ``n`` values."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def half(self) -> float:
        return (self.high - self.low) / 2


def estimate(values) -> Estimate:
    """Mean and 95% confidence interval of the finite values (Student's t with n - 1 degrees of
    freedom; none over one value: its ends are nan, and the figures draw no error bar there)."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(xs)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = sum(xs) / n
    if n == 1:
        return Estimate(mean, math.nan, math.nan, 1)  # (a zero-width bar read as a certain mean)
    # Student's t quantile: scipy.special's stdtrit is what scipy.stats.t.ppf computes, without
    # the 0.35 s that importing scipy.stats adds to every table and plot
    from scipy.special import stdtrit

    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(stdtrit(n - 1, 0.975)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


COLUMNS = ("mechanism", "parameter_spec", "MSW", "BB", "goods", "bids", "colluders", "solve_seconds")
"""What table and plot read of every row; every sweep writes them."""
EVALUATED = ("E_SW", "E_REV", "total", "guarantee", "guarantee_benchmark", "guarantee_on", "bound_over_benchmark",
             "verdict", "total_over_benchmark", "revenue_over_benchmark", "total_over_MSW", "revenue_over_MSW")
"""What they read of an evaluated mechanism's row: a sweep writes all of these, or none when it
evaluated no mechanism (or proved none)."""
NUMBERS = ("goods", "players", "bids", "coalitions", "colluders", "seed", "knowledge_seed", "coalitions_seed",
           "axis_value", "time_limit", "scale", "MSW", "MIEW", "BB", "BB_prime", "MKW", "solve_seconds", "eval_seconds",
           "host_cores", "E_SW", "E_REV", "total", "guarantee_value", "bound", "achieved", "bound_over_benchmark",
           "total_over_benchmark", "revenue_over_benchmark", "total_over_MSW", "revenue_over_MSW")
WHOLE = {"goods": 1, "players": 1, "bids": 0, "coalitions": 0, "colluders": 0, "scale": 1, "host_cores": 1}
"""The counts among :data:`NUMBERS`, with the least each can be."""
LARGEST_NUMBER = 1e30
"""The largest magnitude of a number cell: a sweep's values are integers below 10^12 times the
players (``instances.units.MAX_ABS_VALUE``), their expectations and ratios; a larger one is a
hand edit, refused (its square would leave the floats)."""
BOOLEANS = ("market", "proven", "benchmarks_proven", "holds")
CHOICES = {"verdict": ("PASS", "FAIL", "premise not met"), "guarantee_on": ("total", "revenue", "probability"),
           "axis": AXES, "mechanism": MECHANISM_NAMES}
"""The cells a sweep writes as numbers, as True/False and from a few words; any other value in
them (a hand edit, another program's file) is refused rather than summarised as "–" or dropped."""


def load(results: Path):
    """A sweep's or experiment's results as a pandas DataFrame, numbers as numbers. ``-`` reads
    standard input (Parquet, told by its magic bytes, or CSV). Results that lack a column table or
    plot reads, or with a cell not of its column's kind, are refused (:class:`CabenchError`),
    naming the file, the line (the row of a Parquet file) and the column."""
    import io

    import pandas as pd

    name, data, parquet = _read(results)
    if not parquet:
        _check_header(name, data)
    try:
        frame = pd.read_parquet(io.BytesIO(data)) if parquet else pd.read_csv(io.BytesIO(data))
    except pd.errors.EmptyDataError:
        raise CabenchError(f"{name}: empty; expected results written by cabench sweep or experiment") from None
    except pd.errors.ParserError as exc:  # says where: "Expected 49 fields in line 9, saw 50"
        raise CabenchError(f"{name}: cannot read these results ({str(exc).strip()})") from None
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise CabenchError(f"{name}: cannot read these results ({type(exc).__name__})") from None
    if not parquet:
        _check_complete(name, data)
        for column in frame.columns:  # (text as it was before ``neutral`` wrote it: ``=x``, not ``'=x``)
            if frame[column].dtype == object:
                frame[column] = frame[column].map(restored)
    missing = [c for c in COLUMNS if c not in frame]
    evaluated = [c for c in EVALUATED if c in frame]
    missing += [c for c in EVALUATED if c not in frame] if evaluated else []
    if missing:  # (a missing parameter_spec was an AttributeError, a missing guarantee_on a KeyError)
        raise CabenchError(f"{name}: not results of cabench sweep or experiment (no {', '.join(missing)} "
                           f"column{'s' * (len(missing) > 1)})")
    check_cells(name, frame, None if parquet else data)
    _check_distinct(name, frame, None if parquet else data)
    _check_one_design(name, frame, None if parquet else data)
    frame["mechanism"] = frame["mechanism"].where(frame["mechanism"].notna(), None)
    frame.loc[frame["mechanism"] == "", "mechanism"] = None
    if "guarantee_benchmark" in frame:  # (rows written before 2026-12-06 name it MKW_I: one benchmark)
        frame["guarantee_benchmark"] = frame["guarantee_benchmark"].replace("MKW_I", "MIKW_I")
        frame["guarantee"] = frame["guarantee"].replace(OLD_MIXED_STATEMENT, MIXED_STATEMENT)
    return frame


MIXED_STATEMENT = "E[SW] + E[REV] >= MIKW_I/3 - 2 eps/3"
"""The mixed second-price auction's guarantee; rows written before 2026-12-06 say
``OLD_MIXED_STATEMENT`` (the same benchmark, MIKW_S of seed 000 Definition 3 with S = I)."""
OLD_MIXED_STATEMENT = "E[SW] + E[REV] >= MKW_I/3 - 2 eps/3"


def _check_header(name: str, data: bytes) -> None:
    """Refuse a CSV whose first line lacks a column table and plot read, before pandas parses the
    rest: 200 MB of anything else took 1.75 GB to be refused."""
    import csv
    import io

    end = data.find(b"\n", 0, 1 << 20)
    first = data[: end if end >= 0 else 1 << 20].decode("utf-8", errors="replace").lstrip("\ufeff")
    try:
        header = next(csv.reader(io.StringIO(first)), [])
    except csv.Error:
        header = []
    missing = [c for c in COLUMNS if c not in header]
    if data.strip() and missing:
        raise CabenchError(f"{name}: not results of cabench sweep or experiment (no {', '.join(missing)} "
                           f"column{'s' * (len(missing) > 1)})")
    twice = sorted({c for c in header if c.strip() and header.count(c) > 1})  # (empty names: a spreadsheet's
    # trailing commas, read by pandas as unnamed columns)
    if twice:  # (pandas renames the second "x.1", and the rows then read as cut short)
        raise CabenchError(f"{name}: line 1: the column{'s' * (len(twice) > 1)} {', '.join(twice)} "
                           f"appear{'s' * (len(twice) == 1)} twice in the header; cabench writes each column once")


def pending_note(results: str | Path) -> str | None:
    """What an interrupted sweep left beside ``results`` and ``table``/``plot`` do not read: its
    journal, whose instances the results file does not hold yet (None when there is none)."""
    if str(results) == "-":
        return None
    from cabench.sweep import journal_of

    journal = journal_of(Path(results))
    try:
        with open(journal, "rb") as handle:
            entries = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    return (f"{journal} holds {entries} instance{'s' * (entries != 1)} of an interrupted sweep, not in "
            f"{results} yet: rerun that sweep (or experiment) to add them")


def shown_name(results: str | Path) -> str:
    """How messages name results: ``-`` is standard input."""
    return "<stdin>" if str(results) == "-" else str(results)


def _read(results: Path) -> tuple[str, bytes, bool]:
    """The name to show, the bytes and whether they are Parquet, of ``results`` (``-``: standard
    input)."""
    if str(results) == "-":  # (at most what an instance may be, as for an instance file)
        from instances.files import MAX_STDIN_BYTES, read_standard_bytes

        data = read_standard_bytes(MAX_STDIN_BYTES)
        return "<stdin>", data, data.startswith(PARQUET_MAGIC)
    if not results.exists():
        pending = pending_note(results)
        if pending is not None:
            raise CabenchError(f"{results}: no such results file yet; {pending}")
        raise CabenchError(f"{results}: no such results file (run cabench sweep or cabench experiment first)")
    if results.suffix not in (".csv", ".parquet"):
        raise CabenchError(f"{results}: expected a .csv or .parquet file written by cabench sweep or experiment")
    try:
        return str(results), results.read_bytes(), results.suffix == ".parquet"
    except OSError as exc:
        raise CabenchError(f"{results}: cannot read the file: {exc.strerror or exc}") from None


PARQUET_MAGIC = b"PAR1"


def check_cells(name: str, frame, csv_data: bytes | None) -> None:
    """Refuse the first cell of :data:`NUMBERS`, :data:`BOOLEANS` or :data:`CHOICES` that is not
    of its column's kind (``csv_data``: the CSV's bytes, for the line; None for Parquet)."""
    import numpy as np
    import pandas as pd

    for column in frame.columns:
        values = frame[column]
        if column in NUMBERS:
            # (no limit is None or inf; every other number a sweep writes is finite, and far below
            # LARGEST_NUMBER: 1e200 ended the mean's sum of squares in an OverflowError)
            kind = "a number" if column == "time_limit" else f"a finite number of magnitude at most {LARGEST_NUMBER:.0e}"
            number = pd.to_numeric(values, errors="coerce").astype(float)
            bad = values.notna() & (number.isna() | pd.api.types.is_bool_dtype(values)
                                    | (column != "time_limit") & ~(np.abs(number) <= LARGEST_NUMBER))
            if column in WHOLE:  # (goods -5 or 2.5, a scale of 0, were summarised as they were)
                kind = f"a whole number of at least {WHOLE[column]}"
                bad |= values.notna() & ((number < WHOLE[column]) | (number != np.floor(number)))
        elif column in BOOLEANS:
            kind = "True or False"
            bad = values.notna() & ~values.map(lambda v: str(v) in ("True", "False"))
        elif column in CHOICES:
            kind = " or ".join(CHOICES[column])
            bad = values.notna() & ~values.isin(CHOICES[column])
        else:
            continue
        found = np.flatnonzero(bad.to_numpy(dtype=bool))
        if len(found):
            at = found[0]
            where = f"row {at + 1}" if csv_data is None else f"line {_line(csv_data, at)}"
            shown = str(values.iloc[at])
            shown = shown if len(shown) <= 40 else shown[:37] + "..."
            raise CabenchError(f'{name}: {where}, column {column}: "{shown}" is not {kind}')


def _check_distinct(name: str, frame, csv_data: bytes | None) -> None:
    """Refuse two rows of one instance, mechanism, parameters and solver (the key a sweep writes
    each row under once): a row copied by hand was counted twice in every mean and verdict."""
    key = [c for c in ("instance_sha256", "mechanism", "parameter_spec", "solver") if c in frame]
    if "instance_sha256" not in key:
        return
    keys = list(frame[key].astype(str).itertuples(index=False, name=None))
    seen: dict[tuple, int] = {}
    for second, row in enumerate(keys):
        first = seen.setdefault(row, second)
        if first == second:
            continue
        where = ((f"rows {first + 1} and {second + 1}") if csv_data is None
                 else f"lines {_line(csv_data, first)} and {_line(csv_data, second)}")
        raise CabenchError(f"{name}: {where} are the same row (one instance, mechanism, parameters and solver); "
                           "a sweep writes each once: remove one")


def _check_one_design(name: str, frame, csv_data: bytes | None) -> None:
    """Refuse results whose table would pool rows of two designs into one family's line
    (:func:`design_clash`). ``experiment`` refuses to write such a file, but joined by hand its
    table pooled them, along the first axis (a user's audit)."""
    if "axis" not in frame:
        return
    entries = list(zip(family(frame), frame["axis"], frame["design"] if "design" in frame else [None] * len(frame)))
    clash = design_clash(entries)
    if clash is not None:
        def where(k: int) -> str:
            return f"row {k + 1}" if csv_data is None else f"line {_line(csv_data, k)}"

        (first, second), (one, other) = clash, (design_text(*entries[k][1:]) for k in clash)
        raise CabenchError(f"{name}: {where(first)} is of {one} and {where(second)} of {other}, in one family; one "
                           "results file holds one design per family (its table would pool them): summarise each in "
                           "its own file")


def design_clash(entries: Iterable[tuple[str, object, object]]) -> tuple[int, int] | None:
    """The indices of the first two of ``entries`` (one per row or instance file: its
    :func:`family`, ``axis`` and ``design``) that one results file cannot hold, or None. Within
    one family, two experiments (two designs, or in rows written before rows had one, two axes)
    or an experiment's rows beside a sweep's (no axis) would be pooled into one line of
    ``table``. As ``experiment.check_design`` has it, a row without a design goes with any design
    of its axis (results resumed across the version that added the column); designs of different
    families are summarised apart, and may share a file."""
    first: dict[str, tuple[int, str | None]] = {}  # family -> (entry, axis) of its first entry
    designed: dict[str, tuple[int, str]] = {}  # family -> (entry, design) of its first entry with a design
    for k, (kin, axis, design) in enumerate(entries):
        axis = axis if isinstance(axis, str) and axis else None
        design = design if isinstance(design, str) and design and axis else None
        seen = first.setdefault(kin, (k, axis))
        if axis != seen[1]:
            return seen[0], k
        if design is not None:
            known = designed.setdefault(kin, (k, design))
            if design != known[1]:
                return known[0], k
    return None


def design_text(axis: object, design: object) -> str:
    """What made a row or an instance file, for a message of :func:`design_clash`."""
    if not (isinstance(axis, str) and axis):
        return "no experiment (no knowledge axis)"
    return f"the experiment {design}" if isinstance(design, str) and design else f"an experiment along {axis}"


def _check_complete(name: str, data: bytes) -> None:
    """Refuse a CSV row with fewer fields than the header (a file cut short; pandas fills them in
    as missing values, which summarised it as if those cells were empty)."""
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    start, width = 1, None
    with contextlib.suppress(csv.Error):  # a cell above the csv module's size limit: pandas read it
        for fields in reader:
            if fields:
                width = len(fields) if width is None else width
                if len(fields) < width:
                    raise CabenchError(f"{name}: line {start}: {len(fields)} of the header's {width} fields "
                                       "(a file cut short?)")
            start = reader.line_num + 1


def _line(data: bytes, index: int) -> int:
    """The line of a CSV file where its row ``index`` starts (0: the first after the header);
    blank lines are skipped, as pandas skips them, and a quoted cell may span lines."""
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8", errors="replace"), newline=""))
    start, row = 1, -1  # the header is row -1
    try:
        for fields in reader:
            if fields:
                if row == index:
                    return start
                row += 1
            start = reader.line_num + 1
    except csv.Error:  # a cell above the csv module's size limit: as if every row were one line
        return index + 2
    return start


def auction(frame):
    """Each row's auction: its valuations apart from what the players know
    (``valuations_sha256``: goods, players, valuations; ``cabench.sweep.valuations_key``), or, in
    results written before it, the source file's hash, else the generator's arguments with the
    seed that drew the valuations, else the instance file's hash. An experiment meets one auction
    at every axis point, and a sweep may hold one auction annotated several ways."""
    import pandas as pd

    def column(name):
        if name not in frame:
            return pd.Series(None, index=frame.index, dtype=object)
        return frame[name].map(lambda v: v if isinstance(v, str) and v else None)

    key = column("instance_sha256").fillna(column("file"))
    if "distribution" in frame:
        made = pd.Series(["generated " + "/".join(parts) + f" seed {seed}"
                          for *parts, seed in zip(*map(_text(frame), ("distribution", "goods", "bids", "players",
                                                                      "seed")))],
                         index=frame.index, dtype=object)
        key = key.where(column("distribution").isna(), made)
    key = column("source_sha256").fillna(key)
    key = pd.Series([k if isinstance(k, str) else f"row {i}" for i, k in zip(frame.index, key)], index=frame.index,
                    dtype=object)
    # rows written before valuations_sha256 join newer rows of the same provenance
    own = column("valuations_sha256")
    known = {k: o for k, o in zip(key, own) if isinstance(o, str)}
    return pd.Series([o if isinstance(o, str) else known.get(k, k) for k, o in zip(key, own)], index=frame.index,
                     dtype=object)


def knowledge_draw(frame):
    """Each row's draw of what the players know, on its :func:`auction`. An experiment's row: its
    seed, which drew the point's knowledge and coalitions (and a generated auction's valuations),
    so the experiment meets one draw at every axis point. A sweep's row: its instance file
    (``instance_sha256``), each file of one auction being one draw of its knowledge and
    coalitions (files that differ only in their coalitions are then two)."""
    import pandas as pd

    text = _text(frame)
    return pd.Series([f"{a} seed {s}" if axis != "none" else f"{a} file {f}"
                      for a, s, axis, f in zip(frame["auction"], text("seed"), text("axis"), text("instance_sha256"))],
                     index=frame.index, dtype=object)


def _text(frame):
    """Each cell of a column as text, a missing one (or column) as "none": pandas' own str() of
    None is missing."""
    import pandas as pd

    def text(name):
        if name not in frame:
            return ["none"] * len(frame)
        return ["none" if v is None or (isinstance(v, float) and v != v) or v is pd.NA else str(v) for v in frame[name]]
    return text


def units(rows):
    """The independent unit of each row of one line of a table or figure (one mechanism's rows):
    its auction when the line holds several auctions (a family of auctions: the knowledge draws
    of one auction are not independent of each other's, so two files met with three seeds each
    are two units, not six); its knowledge draw (:func:`knowledge_draw`) when the line holds one
    auction (an experiment or a sweep on one file: the interval is then over knowledge draws on
    that auction, given its valuations). Chosen once per line: a point of the line, or its rows
    whose premise is met, are counted in the line's units (:func:`clustered`)."""
    return rows["auction"] if rows["auction"].nunique() > 1 else rows["draw"]


def premise_met(rows):
    """The rows whose theorem's premise holds: the only ones a bound is shown for (where it is
    not met, the theorem promises nothing)."""
    return rows if "verdict" not in rows else rows[rows["verdict"].astype(str) != "premise not met"]


def clustered(rows, column: str, line=None) -> Estimate:
    """:func:`estimate` over units of ``rows`` (a DataFrame): ``line`` (a pandas Series, the
    :func:`units` of the whole line, of which ``rows`` are some), else the units of ``rows``. The
    rows of one unit are averaged first, so an auction met at five knowledge points counts once
    (counted five times, VCG's identical ratios gave an interval too narrow)."""
    import pandas as pd

    values = pd.to_numeric(rows[column], errors="coerce")
    finite = values[values.notna() & values.map(lambda v: math.isfinite(v) if v is not None else False)]
    unit = units(rows) if line is None else line
    return estimate(finite.groupby(unit.loc[finite.index], sort=False).mean())


def family(frame):
    """Each row's instance family (:func:`family_of`)."""
    import pandas as pd

    def column(name: str) -> list:
        return [None if pd.isna(x) else x for x in frame[name]] if name in frame else [None] * len(frame)

    return pd.Series([family_of(d, f) for d, f in zip(column("distribution"), column("source_file"))],
                     index=frame.index, dtype=object)


def family_of(distribution: object, source_file: object) -> str:
    """The instance family of a row, or of an instance file's record: its distribution, else the
    file it was annotated from, else "other files"."""
    if distribution is not None and distribution != "" and distribution == distribution:  # (NaN: missing)
        return str(distribution)
    if isinstance(source_file, str) and source_file:
        return Path(source_file).stem
    return "other files"


def mechanism_rows(frame):
    """The evaluated mechanism rows with their ratios; baselines divided by BB (module doc). An
    evaluation swept again with another ``--solver`` is kept once (the first row)."""
    import pandas as pd

    rows = frame[frame["mechanism"].notna()].copy()
    numeric = ["E_SW", "E_REV", "total", "MSW", "BB", "bound_over_benchmark", "total_over_benchmark",
               "revenue_over_benchmark", "total_over_MSW", "revenue_over_MSW", "axis_value", "colluders"]
    for column in numeric:
        if column in rows:
            rows[column] = pd.to_numeric(rows[column], errors="coerce")
        else:
            rows[column] = math.nan
    rows = rows[rows["total"].notna()]
    # one evaluation of an instance, found again with another --solver, is the same numbers (its
    # values are proven): counted once, the first solver's row, or its verdicts counted twice
    # (``attrs["repeated"]``); rows of one solver are all kept
    repeated = 0
    if "solver" in rows and ("instance_sha256" in rows or "file" in rows):
        def text(name):  # (as text, a missing cell ""; a column of none is read as numbers)
            if name not in rows:
                return pd.Series("", index=rows.index, dtype=object)
            return rows[name].astype(object).map(lambda v: "" if pd.isna(v) else str(v))

        key = text("instance_sha256").where(text("instance_sha256") != "", text("file"))
        groups = pd.DataFrame({"key": key, "mechanism": text("mechanism"), "spec": text("parameter_spec"),
                               "solver": text("solver")}, index=rows.index)
        first = groups.groupby(["key", "mechanism", "spec"], sort=False)["solver"].transform("first")
        kept = (groups["solver"] == first) | (groups["key"] == "")
        repeated, rows = int((~kept).sum()), rows[kept].copy()
    base = rows["mechanism"].isin(BASELINES) & rows["total_over_benchmark"].isna() & (rows["BB"] > 0)
    rows.loc[base, "total_over_benchmark"] = rows.loc[base, "total"] / rows.loc[base, "BB"]
    rows.loc[base, "revenue_over_benchmark"] = rows.loc[base, "E_REV"] / rows.loc[base, "BB"]
    msw = rows["total_over_MSW"].isna() & (rows["MSW"] > 0)
    rows.loc[msw, "total_over_MSW"] = rows.loc[msw, "total"] / rows.loc[msw, "MSW"]
    rows.loc[msw, "revenue_over_MSW"] = rows.loc[msw, "E_REV"] / rows.loc[msw, "MSW"]
    rows["family"] = family(rows)
    rows["auction"] = auction(rows)
    rows["draw"] = knowledge_draw(rows)
    # a mechanism run with given parameters is its own line: "best-belief (eps=1/100)"
    spec = rows["parameter_spec"].astype(object).fillna("").astype(str) if "parameter_spec" in rows else ""
    rows["mechanism"] = rows["mechanism"].astype(str) + (" (" + spec + ")").where(spec != "", "")
    rows.attrs["repeated"] = repeated
    return rows


def bound_label(statement: str | None) -> str | None:
    """The right-hand side of a theorem's inequality, as printed in the papers: ``BB/2 − ε``,
    ``(1 − ε) MKW/6 − ε1``, ``(1 − 4εn)·MSW``."""
    if not isinstance(statement, str) or ">=" not in statement:
        return None
    rhs = statement.split(">=", 1)[1].strip()
    rhs = re.sub(r"\beps1\b", "ε₁", rhs)
    rhs = re.sub(r"\beps\b", "ε", rhs)
    return rhs.replace(" - ", " − ").replace("4 ε n", "4εn")


RATIOS = ("revenue_over_benchmark", "total_over_benchmark", "total_over_MSW", "bound_over_benchmark")
"""The ratios of the summary table, in its columns' order (module docstring; the bound's: the
theorem's right-hand side over its benchmark). JSON and CSV name each by its column in the
results, with ``_mean``, ``_ci95`` (the half-width of the 95% confidence interval; none over
one value) and ``_n``."""


def _cell(e: Estimate, digits: int = 3, rows: int | None = None) -> str:
    """The estimate as the table shows it; its own n after it when it is over fewer than the
    ``rows`` of its line (a ratio over a benchmark worth 0 on some instances has no value there:
    the line said n = 2 above a mean of one instance)."""
    if not e.n:
        return "–"
    text = f"{e.mean:.{digits}f}" if e.n == 1 else f"{e.mean:.{digits}f} ± {e.half:.{digits}f}"
    return text if rows is None or e.n == rows else f"{text} (n={e.n})"


def summary_table(frame, per_point: bool = False, digits: int = 3, source: str | Path | None = None):
    """The paper's summary: per family (and knowledge point, with ``per_point``) and mechanism,
    n and each ratio's mean ± the half-width of its 95% confidence interval, the benchmark the
    ratios divide by, the theorem's bound and its verdicts. ``source``: the results' file, for
    the error of results without evaluated mechanisms."""
    from cabench.formats import TableData

    rows = mechanism_rows(frame)
    repeated = rows.attrs.get("repeated", 0)
    if rows.empty:
        where = "" if source is None else f"{shown_name(source)}: "
        if frame["mechanism"].notna().any():  # mechanisms asked for, none evaluated: the tables unproven
            raise CabenchError(f"{where}no evaluated mechanism rows to summarise: their instances' programs were "
                               "not proven within the time limit (proven = False); run the sweep again with a "
                               "larger --time-limit")
        raise CabenchError(f"{where}no evaluated mechanism rows to summarise (run the sweep with --mechanisms)")
    point = per_point and "axis_value" in rows and rows["axis_value"].notna().any()
    keys = ["family", *(["axis_value"] if point else []), "mechanism"]
    order = rows.assign(_base=rows["mechanism"].isin(BASELINES)).sort_values(
        ["family", *(["axis_value"] if point else []), "_base", "mechanism"])
    columns = ["family", *([str(rows["axis"].dropna().iloc[0])] if point else []), "mechanism", "n", "benchmark",
               "E[REV] / benchmark", "(E[SW] + E[REV]) / benchmark", "(E[SW] + E[REV]) / MSW", "bound / benchmark",
               "PASS / FAIL / premise not met"]
    out, records = [], []
    pooled = False  # some line holds several rows of one unit
    # the unit of a family's mechanism, chosen over all its points: --per-point shows its points
    # in the same units (a point only one auction reached counted that auction's draws)
    lines = {key: units(line) for key, line in rows.groupby(["family", "mechanism"], sort=False)}
    for key, group in order.groupby(keys, sort=False):
        name = key[-1]
        benchmarks = sorted(set(group["guarantee_benchmark"].dropna())) if "guarantee_benchmark" in group else []
        bench = ", ".join(benchmarks) or (f"{BASELINE_BENCHMARK} (no theorem)" if name in BASELINES else "–")
        tally = None  # PASS, FAIL, premise not met
        if "verdict" in group and group["verdict"].notna().any():
            verdicts = group["verdict"].astype(str)
            tally = tuple(int((verdicts == v).sum()) for v in CHOICES["verdict"])
        counts = "–" if tally is None else " / ".join(map(str, tally))
        value = [str(key[0])]
        if point:
            p = float(key[1])
            whole = p.is_integer() and rows["axis"].dropna().iloc[0] in ("candidates", "coalition-size")
            value.append(str(int(p)) if whole else f"{p:g}")
        line = lines[(key[0], name)].loc[group.index]
        size = line.nunique()
        pooled = pooled or size < len(group)
        estimates = {ratio: clustered(premise_met(group) if ratio == "bound_over_benchmark" else group, ratio, line)
                     for ratio in RATIOS}
        value += [name, str(size), bench, *(_cell(e, digits, size) for e in estimates.values()), counts]
        out.append(tuple(value))
        record: dict[str, object] = {"family": str(key[0])}
        if point:
            record |= {"axis": str(rows["axis"].dropna().iloc[0]), "axis_value": int(p) if whole else p}
        record |= {"mechanism": name, "n": size, "rows": len(group), "benchmark": None if bench == "–" else bench}
        for ratio, e in estimates.items():
            # (one value has a mean but no interval: the text shows the mean alone)
            record |= {f"{ratio}_mean": e.mean if e.n else None, f"{ratio}_ci95": e.half if e.n > 1 else None,
                       f"{ratio}_n": e.n}
        record |= dict(zip(("PASS", "FAIL", "premise_not_met"), tally or (None, None, None)))
        records.append(record)
    align = tuple("r" if c in ("n",) or "/" in c and c != "PASS / FAIL / premise not met" else "l" for c in columns)
    notes = ("Mean ± half-width of the 95% confidence interval (Student's t) over the independent units, which n "
             "counts: the auctions of the line (distinct valuations), or, on a line of one auction, its draws of "
             "what the players know (an experiment's seeds, or a sweep's files of that auction). "
             "Ratios divide by the benchmark of the mechanism's own theorem; VCG and the second-price bundle "
             "auction (no theorem) by BB. A ratio over fewer units than n (its benchmark 0, or not proven, on the "
             "others) gives its own n. The bound is the theorem's right-hand side over its benchmark, a bound on "
             "the side the theorem speaks of (E[REV] or E[SW] + E[REV]: guarantee_on in the results), over the "
             "rows where its premise is met; without --per-point a unit is averaged over the points it has.",)
    if pooled:
        notes += ("Some lines hold several rows of one unit (an auction's knowledge points or knowledge draws, or "
                  "files of one auction): each unit's rows are averaged first, as they are not independent; the "
                  "verdicts count every row.",)
    if per_point and not point:  # (asked for, and silently not given)
        notes += ("--per-point: these results have no knowledge axis (a sweep's, not an experiment's); one line per "
                  "family and mechanism.",)
    off_axis = int(rows["axis_value"].isna().sum()) if point else 0
    if off_axis:  # (groupby drops them: a sweep's family vanished from --per-point without a word)
        notes += (f"{off_axis} mechanism row{'s' if off_axis > 1 else ''} without a knowledge axis (a sweep's) left "
                  "out of this table by point; the table without --per-point includes them.",)
    if repeated:
        notes += (f"{repeated} mechanism row{'s' if repeated > 1 else ''} repeat{'s' * (repeated == 1)} an evaluation "
                  "of the same instance with another --solver (the same numbers): each evaluation is counted "
                  "once.",)
    left_out = int(frame["mechanism"].notna().sum()) - len(rows) - repeated
    if left_out:  # (they were dropped without a word: an instance could vanish from its family)
        notes += (f"{left_out} mechanism row{'s' if left_out > 1 else ''} of the results left out: not evaluated, a "
                  "program they need not proven within the time limit (their E_SW, E_REV and total are empty; "
                  "proven = False says only that some benchmark of the instance was not proven).",)
    return TableData("Share of the benchmarks achieved (mean ± 95% CI)", tuple(columns), tuple(out), align, notes,
                     tuple(records))
