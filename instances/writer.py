"""Write an :class:`Instance` back to the JSON file format (the inverse of ``loader``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from instances.bundles import names
from instances.model import Candidates, Instance, LowerBounds
from instances.valuation import Form, Valuation


def valuation_to_json(valuation: Valuation, goods: tuple[str, ...]) -> dict[str, Any]:
    form = valuation.form
    if form is Form.TABLE:
        table = [0] * (1 << len(goods))
        for mask, value in valuation.bids:
            table[mask] = value
        return {"table": table}
    if form is Form.ADDITIVE:
        return {"additive": {names(mask, goods)[0]: value for mask, value in valuation.bids}}
    if form is Form.SINGLE_MINDED:
        (mask, value), = valuation.bids
        return {"single_minded": [names(mask, goods), value]}
    return {form.value: [[names(mask, goods), value] for mask, value in valuation.bids]}


def instance_to_json(instance: Instance) -> dict[str, Any]:
    """``instance`` as decoded JSON (the dict an instance file holds), for :func:`parse_instance`.

    Parameters
    ----------
    instance : Instance
        Any instance.

    Returns
    -------
    dict
        ``name``, ``goods``, ``players``, ``valuations`` and, when present, ``knowledge``,
        ``coalitions``, ``endowment``, ``scale`` and ``description``.

    Examples
    --------
    >>> from instances import instance_to_json, load_instance, parse_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> data = instance_to_json(inst)
    >>> data["valuations"]["p3"]
    {'explicit': [[['1', '2'], 50]]}
    >>> parse_instance(data) == inst
    True
    """
    goods, players = instance.goods, instance.players

    def profile(p: dict[int, Valuation]) -> dict[str, Any]:
        return {players[j]: valuation_to_json(v, goods) for j, v in p.items()}

    data: dict[str, Any] = {"name": instance.name}
    if instance.description is not None:
        data["description"] = instance.description
    if instance.scale != 1:  # instances in integer units look exactly as before the field existed
        data["scale"] = instance.scale
    data |= {
        "goods": list(goods),
        "players": list(players),
        "valuations": {players[i]: valuation_to_json(v, goods) for i, v in enumerate(instance.valuations)},
    }
    knowledge: dict[str, Any] = {}
    for i, k in enumerate(instance.knowledge):
        if isinstance(k, LowerBounds):
            knowledge[players[i]] = {"lower_bounds": profile(dict(k.bounds))}
        elif isinstance(k, Candidates):
            knowledge[players[i]] = {"candidates": [profile(dict(p)) for p in k.profiles]}
    if knowledge:
        data["knowledge"] = knowledge
    if instance.coalitions:
        data["coalitions"] = [[players[i] for i in c] for c in instance.coalitions]
    if instance.endowment is not None:
        data["endowment"] = {players[i]: names(e, goods) for i, e in enumerate(instance.endowment) if e}
    return data


def _format(node: Any, indent: int = 0, width: int = 100) -> str:
    """Compact JSON where it fits on a line (and always for lists of numbers, i.e. tables),
    otherwise one entry per line."""
    compact = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))
    scalars = isinstance(node, list) and all(not isinstance(x, (list, dict)) for x in node)
    if not isinstance(node, (list, dict)) or scalars or indent + len(compact) <= width:
        return compact
    pad = " " * (indent + 1)
    if isinstance(node, dict):
        items = [f"{pad}{json.dumps(k, ensure_ascii=False)}: {_format(v, indent + 1, width)}" for k, v in node.items()]
        return "{\n" + ",\n".join(items) + "\n" + " " * indent + "}"
    items = [pad + _format(v, indent + 1, width) for v in node]
    return "[\n" + ",\n".join(items) + "\n" + " " * indent + "]"


def instance_text(instance: Instance) -> str:
    """``instance`` as deterministic JSON text (compact where it fits, tables on one line).

    Parameters
    ----------
    instance : Instance
        Any instance.

    Returns
    -------
    str
        The same text for the same instance; :func:`load_instance` reads it back.

    Examples
    --------
    >>> from instances import load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> from instances import instance_text, parse_instance
    >>> import json
    >>> parse_instance(json.loads(instance_text(inst))) == inst
    True
    """
    return _format(instance_to_json(instance)) + "\n"


def dump_instance(instance: Instance, path: str | Path) -> None:
    """Write ``instance`` to ``path`` (see :func:`instance_text`).

    Parameters
    ----------
    instance : Instance
        Any instance.
    path : str or Path
        The file to write (replaced if it exists).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from instances import dump_instance, load_instance
    >>> inst = load_instance("instances/examples/seed004-example.json")
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = pathlib.Path(folder) / "copy.json"
    ...     dump_instance(inst, path)
    ...     load_instance(path).valuations == inst.valuations
    True
    """
    Path(path).write_text(instance_text(instance), encoding="utf-8")
