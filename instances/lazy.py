"""Lazy package exports (PEP 562): a package's public names are imported from their modules on
first use, so that importing a package costs nothing until one of its names is used.

Every package ``__init__`` of cabench (``instances``, ``ilp``, ``benchmarks``, ``mechanisms``,
``cabench``) uses it the same way: its ``__all__``, then one table from module to the names it
exports, read as the import lines it replaces::

    from instances.lazy import lazy_exports

    __all__ = ["CabenchError", "InputError", "load_instance"]

    __getattr__, __dir__ = lazy_exports(__name__, {
        "instances.errors": ("CabenchError", "InputError"),   # from instances.errors import ...
        "instances.loader": ("load_instance",),
    })

``from instances import load_instance``, ``instances.load_instance``, ``from instances import *``,
``dir(instances)``, doctests and the API reference work as with plain imports; a name is imported
once, then cached in the package (later look-ups are plain attribute reads).

Why: each ``cabench`` command is a new process, and the plain imports of every package made each
one load the whole library with numpy (0.27 s of the 0.37 s of ``cabench --help``, 2026-12-02, 2
cores, load 0.5). With lazy exports a command imports the modules it uses, and ``--help`` or a bad
flag imports none of the solvers (``tests/test_imports.py``).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from types import ModuleType
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(package: str, table: Mapping[str, Sequence[str]]) -> tuple[Callable[[str], Any],
                                                                           Callable[[], list[str]]]:
    """The module ``__getattr__`` and ``__dir__`` (PEP 562) of ``package``, which export the names
    of ``table`` from their modules, each imported when first asked for.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    table : Mapping
        Module path -> the names the package exports from it (as ``from module import names``).

    Returns
    -------
    tuple
        ``(__getattr__, __dir__)``, to assign at the package's top level.

    Examples
    --------
    >>> import instances
    >>> instances.__getattr__("CabenchError").__name__
    'CabenchError'
    >>> "load_instance" in dir(instances)
    True
    """
    where = {name: module for module, names in table.items() for name in names}
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # cached: later look-ups never reach __getattr__
        return value

    def __dir__() -> list[str]:
        # the package's API, its dunders and its submodules: not the helpers its ``__init__``
        # imports (``Any``, ``annotations``, ``lazy_exports``), which tab completion offered
        own = (name for name, value in namespace.items() if name.startswith("__") or isinstance(value, ModuleType))
        return sorted({*own, *where, *namespace.get("__all__", ())})

    return __getattr__, __dir__
