"""Where a row of a sweep or an experiment comes from: what a reader needs to reproduce it.

An instance file made by cabench (``cabench generate``, ``cabench experiment``) records how it
was made in its ``description``: the text :data:`PREFIX` followed by a JSON object with the
generator's arguments (distribution, goods, bids, players, seed, knowledge and coalition specs).
Rows read these facts from there, never from the instance's name (which a user may change).
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from typing import Any

from instances import Instance

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


def host() -> dict[str, Any]:
    """The columns every row carries about the run: cabench's version and the host's cores."""
    from cabench import __version__

    return {"cabench_version": __version__, "host_cores": os.cpu_count() or 1}
