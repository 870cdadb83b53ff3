"""``cabench plot``: the standard figures of a sweep's results, as PNG files (matplotlib).

* ``performance-over-benchmark.png``: per mechanism and distribution, the mean of E[SW] + E[REV]
  and of E[REV] divided by the benchmark of the mechanism's theorem;
* ``collusion.png``: the same ratio (total) against the number of colluding players;
* ``solve-time.png``: seconds for the benchmark table against goods and against bids.
"""

from __future__ import annotations

from pathlib import Path

from instances import CabenchError
from instances.files import atomic_write


def _load(results: Path):
    import pandas as pd

    if not results.exists():
        raise CabenchError(f"{results}: no such results file (run cabench sweep first)")
    if results.suffix == ".parquet":
        return pd.read_parquet(results)
    if results.suffix == ".csv":
        return pd.read_csv(results)
    raise CabenchError(f"{results}: expected a .csv or .parquet file written by cabench sweep")


def plot_results(results: Path, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = _load(results)
    if "distribution" in frame:  # null for files cabench did not make
        frame["distribution"] = frame["distribution"].fillna("other files")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    mech = frame[frame["mechanism"].fillna("").astype(str) != ""] if "mechanism" in frame else frame.iloc[0:0]
    if "total_over_benchmark" in mech:
        mech = mech[pd.to_numeric(mech["total_over_benchmark"], errors="coerce").notna()].copy()
    if len(mech):
        for column in ("total_over_benchmark", "revenue_over_benchmark"):
            mech[column] = pd.to_numeric(mech[column], errors="coerce")
        fig, axes = plt.subplots(1, 2, figsize=(12, 4.5), sharey=False)
        for ax, column, title in ((axes[0], "total_over_benchmark", "(E[SW] + E[REV]) / benchmark"),
                                  (axes[1], "revenue_over_benchmark", "E[REV] / benchmark")):
            table = mech.pivot_table(index="mechanism", columns="distribution", values=column, aggfunc="mean")
            table.plot.bar(ax=ax, rot=30, legend=False)
            ax.set_title(title)
            ax.set_xlabel("")
            ax.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, title="distribution", loc="lower center", ncols=max(1, len(labels)), fontsize=8)
        fig.tight_layout(rect=(0, 0.1, 1, 1))
        path = folder / "performance-over-benchmark.png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
        written.append(path)

        fig, ax = plt.subplots(figsize=(6.5, 4.5))
        for name, group in mech.groupby("mechanism"):
            means = group.groupby("colluders")["total_over_benchmark"].mean()
            ax.plot(means.index, means.values, marker="o", label=name)
        ax.set_xlabel("colluding players")
        ax.set_ylabel("(E[SW] + E[REV]) / benchmark")
        ax.legend(fontsize=7)
        fig.tight_layout()
        path = folder / "collusion.png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
        written.append(path)

    tables = frame[frame["mechanism"].fillna("").astype(str) == ""] if "mechanism" in frame else frame
    if len(tables):
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
        for ax, column in zip(axes, ("goods", "bids")):
            for name, group in tables.groupby("distribution"):
                ax.scatter(group[column], group["solve_seconds"], label=name, s=18)
            ax.set_xlabel(column)
            ax.set_yscale("log")
        axes[0].set_ylabel("seconds for the benchmark table")
        axes[1].legend(fontsize=7)
        fig.tight_layout()
        path = folder / "solve-time.png"
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
        written.append(path)
    if not written:
        raise CabenchError(f"{results}: no rows to plot")
    return written
