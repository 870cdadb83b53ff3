"""cabench: exact knowledge benchmarks and robust mechanisms for combinatorial auctions.

The application package: the ``cabench`` command (``cabench.cli``), its tables and JSON
(``cabench.render``, ``cabench.present``), the performance suite (``cabench.perf``), sweeps
(``cabench.sweep``) and figures (``cabench.plot``). It sits on top of the library, whose
dependencies flow one way::

    instances -> ilp -> benchmarks -> mechanisms -> cabench

``instances`` holds the model, file formats, generators and knowledge models; ``ilp`` the integer
programs and solver backends; ``benchmarks`` the papers' benchmarks; ``mechanisms`` the papers'
mechanisms, rational strategies and exact evaluators.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cabench")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"

__all__ = ["__version__"]
