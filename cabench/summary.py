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

import math
import re
from dataclasses import dataclass
from pathlib import Path

from cabench.experiment import BASELINES

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
    freedom; the interval is the mean itself for n = 1)."""
    xs = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    n = len(xs)
    if n == 0:
        return Estimate(math.nan, math.nan, math.nan, 0)
    mean = sum(xs) / n
    if n == 1:
        return Estimate(mean, mean, mean, 1)
    from scipy.stats import t

    sd = math.sqrt(sum((x - mean) ** 2 for x in xs) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return Estimate(mean, mean - half, mean + half, n)


def load(results: Path):
    """A sweep's or experiment's results as a pandas DataFrame, numbers as numbers."""
    import pandas as pd

    from instances import CabenchError

    if not results.exists():
        raise CabenchError(f"{results}: no such results file (run cabench sweep or cabench experiment first)")
    try:
        if results.suffix == ".parquet":
            frame = pd.read_parquet(results)
        elif results.suffix == ".csv":
            frame = pd.read_csv(results)
        else:
            raise CabenchError(f"{results}: expected a .csv or .parquet file written by cabench sweep or experiment")
    except CabenchError:
        raise
    except Exception as exc:  # pandas and pyarrow raise many kinds
        raise CabenchError(f"{results}: cannot read these results ({type(exc).__name__})") from None
    if "mechanism" not in frame:
        raise CabenchError(f"{results}: not results of cabench sweep or experiment (no mechanism column)")
    frame["mechanism"] = frame["mechanism"].where(frame["mechanism"].notna(), None)
    frame.loc[frame["mechanism"] == "", "mechanism"] = None
    return frame


def family(frame):
    """Each row's instance family: its distribution, else the file it was annotated from, else
    "other files"."""
    import pandas as pd

    names = pd.Series("other files", index=frame.index, dtype=object)
    if "source_file" in frame:
        names = frame["source_file"].map(lambda f: Path(str(f)).stem if isinstance(f, str) and f else None
                                         ).fillna(names)
    if "distribution" in frame:
        names = frame["distribution"].where(frame["distribution"].notna() & (frame["distribution"] != ""), names)
    return names


def mechanism_rows(frame):
    """The evaluated mechanism rows with their ratios; baselines divided by BB (module doc)."""
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
    base = rows["mechanism"].isin(BASELINES) & rows["total_over_benchmark"].isna() & (rows["BB"] > 0)
    rows.loc[base, "total_over_benchmark"] = rows.loc[base, "total"] / rows.loc[base, "BB"]
    rows.loc[base, "revenue_over_benchmark"] = rows.loc[base, "E_REV"] / rows.loc[base, "BB"]
    msw = rows["total_over_MSW"].isna() & (rows["MSW"] > 0)
    rows.loc[msw, "total_over_MSW"] = rows.loc[msw, "total"] / rows.loc[msw, "MSW"]
    rows.loc[msw, "revenue_over_MSW"] = rows.loc[msw, "E_REV"] / rows.loc[msw, "MSW"]
    rows["family"] = family(rows)
    # a mechanism run with given parameters is its own line: "best-belief (eps=1/100)"
    spec = rows["parameter_spec"].astype(object).fillna("").astype(str) if "parameter_spec" in rows else ""
    rows["mechanism"] = rows["mechanism"].astype(str) + (" (" + spec + ")").where(spec != "", "")
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


def _cell(e: Estimate, digits: int = 3) -> str:
    if not e.n:
        return "–"
    if e.n == 1:
        return f"{e.mean:.{digits}f}"
    return f"{e.mean:.{digits}f} ± {e.half:.{digits}f}"


def summary_table(frame, per_point: bool = False, digits: int = 3):
    """The paper's summary: per family (and knowledge point, with ``per_point``) and mechanism,
    n and each ratio's mean ± the half-width of its 95% confidence interval, the benchmark the
    ratios divide by, the theorem's bound and its verdicts."""
    from cabench.formats import TableData

    rows = mechanism_rows(frame)
    if rows.empty:
        from instances import CabenchError

        raise CabenchError("no evaluated mechanism rows to summarise (run the sweep with --mechanisms)")
    point = per_point and "axis_value" in rows and rows["axis_value"].notna().any()
    keys = ["family", *(["axis_value"] if point else []), "mechanism"]
    order = rows.assign(_base=rows["mechanism"].isin(BASELINES)).sort_values(
        ["family", *(["axis_value"] if point else []), "_base", "mechanism"])
    columns = ["family", *([str(rows["axis"].dropna().iloc[0])] if point else []), "mechanism", "n", "benchmark",
               "E[REV] / benchmark", "(E[SW] + E[REV]) / benchmark", "(E[SW] + E[REV]) / MSW", "bound / benchmark",
               "PASS / FAIL / premise not met"]
    out = []
    for key, group in order.groupby(keys, sort=False):
        name = key[-1]
        benchmarks = sorted(set(group["guarantee_benchmark"].dropna())) if "guarantee_benchmark" in group else []
        bench = ", ".join(benchmarks) or (f"{BASELINE_BENCHMARK} (no theorem)" if name in BASELINES else "–")
        verdicts = group["verdict"].astype(str) if "verdict" in group else None
        counts = "–" if verdicts is None or not group["verdict"].notna().any() else \
            f"{(verdicts == 'PASS').sum()} / {(verdicts == 'FAIL').sum()} / {(verdicts == 'premise not met').sum()}"
        value = [str(key[0])]
        if point:
            p = float(key[1])
            value.append(str(int(p)) if p.is_integer() and rows["axis"].dropna().iloc[0] in
                         ("candidates", "coalition-size") else f"{p:g}")
        value += [name, str(len(group)), bench, _cell(estimate(group["revenue_over_benchmark"]), digits),
                  _cell(estimate(group["total_over_benchmark"]), digits), _cell(estimate(group["total_over_MSW"]), digits),
                  _cell(estimate(group["bound_over_benchmark"]), digits), counts]
        out.append(tuple(value))
    align = tuple("r" if c in ("n",) or "/" in c and c != "PASS / FAIL / premise not met" else "l" for c in columns)
    notes = ("Mean ± half-width of the 95% confidence interval (Student's t) over the instances. Ratios divide by "
             "the benchmark of the mechanism's own theorem; VCG and the second-price bundle auction (no theorem) "
             "by BB.",)
    return TableData("Share of the benchmarks achieved (mean ± 95% CI)", tuple(columns), tuple(out), align, notes)
