"""Progress bars on standard error for long commands: only on a terminal (quiet in pipes, logs and
with ``--json``), removed when done."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["counting", "wanted"]


def wanted(as_json: bool = False) -> bool:
    """Whether to show a bar: standard error is a terminal and the output is not JSON."""
    return not as_json and sys.stderr is not None and sys.stderr.isatty()  # (None: started with it closed)


@contextmanager
def counting(label: str, enabled: bool) -> Iterator[Callable[..., None]]:
    """A bar "label done/total, elapsed, ETA, current item"; yields ``update(done, total,
    current="")``, which does nothing when the bar is not shown."""
    if not enabled:
        yield lambda done, total, current="": None
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("ETA"),
                  TimeRemainingColumn(), TextColumn("{task.fields[current]}"),
                  console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(label, total=None, current="")

        def update(done: int, total: int, current: str = "") -> None:
            bar.update(task, completed=done, total=total, current=current)

        yield update
