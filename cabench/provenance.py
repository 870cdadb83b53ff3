"""Where a row of a sweep or an experiment comes from: what a reader needs to reproduce it.

An instance file made by cabench (``cabench generate``, ``cabench experiment``) records how it
was made in its ``description``: the text :data:`PREFIX` followed by a JSON object with the
generator's arguments (distribution, goods, bids, players, seed, knowledge and coalition specs).
Rows read these facts from there, never from the instance's name (which a user may change).
``cabench annotate`` (and :func:`cabench.annotate`) keeps the record true: the specs it draws
replace the record's, and the seed it draws them with is kept beside (``knowledge_seed``,
``coalitions_seed``; ``seed`` stays the one that drew the valuations).
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from instances import Instance

__all__ = ["FIELDS", "PREFIX", "SOLVERS", "annotated", "cats_record", "host", "imported", "read_record", "software",
           "source_commit", "with_record"]

PREFIX = "made by cabench: "
FIELDS = ("distribution", "goods", "bids", "players", "seed", "knowledge", "coalitions")
"""The generator arguments a record holds (``players`` as given: a number or "bidders")."""


def with_record(instance: Instance, **record: Any) -> Instance:
    """``instance`` whose description records how it was made (keys of :data:`FIELDS`, plus any
    others such as ``source_sha256`` for an annotated file)."""
    return replace(instance, description=PREFIX + json.dumps(record, sort_keys=True, separators=(",", ":")))


def read_record(instance: Instance) -> dict[str, Any]:
    """The record of :func:`with_record`, or {} for a file cabench did not make."""
    text = instance.description or ""
    if not text.startswith(PREFIX):
        return {}
    try:
        record = json.loads(text[len(PREFIX):])
    except json.JSONDecodeError:
        return {}
    return record if isinstance(record, dict) else {}


def imported(instance: Instance, path: str | Path) -> Instance:
    """An instance read from the CATS file ``path`` (``cabench import``, :func:`cabench.import_cats`)
    with the record of the distribution the file's header names (:func:`cats_record`), if any: a
    sweep of imported files put them all, whatever their distribution, in one family "other
    files" (found by a user's audit), where a sweep of the CATS files themselves tells them apart.
    Standard input (``-``) is read once, and keeps no record."""
    record = {} if str(path) == "-" else cats_record(path)
    return with_record(instance, **record) if record else instance


def cats_record(path: str | Path) -> dict[str, Any]:
    """How a CATS file was made, as far as its header says: its ``distribution``
    (``instances.cats.header_distribution``); {} for any other file. The record of a CATS file
    read by ``sweep`` or ``experiment``, which has none of its own."""
    from instances.cats import header_distribution, looks_like_cats

    if not looks_like_cats(path):
        return {}
    distribution = header_distribution(path)
    return {} if distribution is None else {"distribution": distribution}


def annotated(instance: Instance, knowledge: str | None, coalitions: str | None, seed: int) -> Instance:
    """``instance``, just annotated with these specs and seed (None: kept as it was), with its
    record, if it has one, saying so: a file generated with exact knowledge and annotated with
    ``wrong:0.5`` gave rows of ``knowledge`` exact."""
    record = read_record(instance)
    if not record:
        return instance
    for field, spec in (("knowledge", knowledge), ("coalitions", coalitions)):
        if spec is not None:
            record |= {field: spec, f"{field}_seed": seed}
    # an experiment's point is its knowledge or coalitions: redrawn, the file is at none of its points
    record = {k: v for k, v in record.items() if k not in ("axis", "axis_value", "design")}
    return with_record(instance, **record)


def host() -> dict[str, Any]:
    """The columns every row carries about the run: cabench's version, the commit of its source
    when it runs from a git checkout (the version alone named every development state the same),
    the versions of Python and of the solvers, and the host's cores."""
    from cabench import __version__

    return {"cabench_version": __version__, "cabench_commit": source_commit(), "software": software(),
            "host_cores": os.cpu_count() or 1}


SOLVERS = ("ortools", "highspy", "pyscipopt", "pulp")
"""The distributions whose versions a row records (they decide times, never values)."""


@functools.cache  # (the versions do not change within a process: a sweep asks once per instance)
def software() -> str:
    """"python 3.11.7; ortools 9.12.4544; highspy 1.8.1; ...": what ran, for a reader who
    reproduces the timings (a solver not installed reads "absent")."""
    import platform
    from importlib.metadata import PackageNotFoundError, version

    parts = [f"python {platform.python_version()}"]
    for name in SOLVERS:
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} absent")
    return "; ".join(parts)


@functools.cache  # (two git calls per process, not per instance)
def source_commit() -> str | None:
    """The commit of the checkout cabench runs from (an editable install), with "-dirty" when
    tracked files differ from it; None for an installed copy or without git. Read without
    writing the checkout's index (``describe --dirty`` refreshes it, which a concurrent ``git
    commit`` would trip over)."""
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    if not (root / ".git").exists():
        return None

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "--no-optional-locks", "-C", str(root), *args], capture_output=True,
                                  text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    commit = git("rev-parse", "--short=12", "HEAD")
    if not commit:
        return None
    changed = git("status", "--porcelain", "--untracked-files=no")
    return commit + ("-dirty" if changed else "")
