"""NumPy's BLAS on one thread while cabench solves.

cabench's only matrix products are those of the subset-row cuts
(``ilp.dualclique.subset_row_cuts``), about a millisecond each. The BLAS library that NumPy's
wheels bring (OpenBLAS) runs a product that size on a thread per core, and its threads then keep
spinning for a while, waiting for the next product. That spinning takes the cores from what else
cabench runs: the batch's threads (``ilp.batch``), CP-SAT's search and the other worker processes
of a sweep. Measured (2026-12-07, 2 cores, nothing else running; OpenBLAS 0.3.31 of NumPy 2.4),
the same runs with BLAS on one thread:

* ``compute_report`` of regions 64 / 500 / 10 with ``candidates:3``, seeds 0-2, best of five:
  1.28-1.65 s -> 1.03-1.27 s of wall time, and 2.4-3.1 s -> 1.4-1.8 s of CPU time;
* ``cabench sweep`` of twelve files (regions 32 / 200 / 6 and paths 64 / 500 / 10 with
  ``candidates:3``, seeds 0-5) with ``--workers 2``: 5.1-5.3 s -> 3.9-4.0 s;
* ``cabench benchmarks`` of regions 64 / 500 / 10 with ``candidates:3``, seed 1: 2.5-2.6 s ->
  1.75-1.84 s with ``--jobs 2``, 2.16-2.33 s -> 1.80-2.19 s with the automatic jobs;
* on paths, whose programs rarely reach the cuts, no change beyond the noise.

On one thread the products alone take longer (22 calls: 18 ms -> 28 ms), far less than the
spinning cost. The result does not depend on it: the cuts are the same either way (the products
of those 22 calls gave the same cuts with one thread and with two).

So the products run within :func:`one_thread`, and so does every batch (``ilp.batch.solve_batch``):
set once on the batch's thread, the setting holds for the threads beside it, whose own blocks
then change nothing (threadpoolctl lets one thread at a time change it). Every worker process
cabench starts (``ilp.workers``) gets :data:`ENVIRONMENT`, which the BLAS libraries read when
NumPy loads them. A user's own ``OPENBLAS_NUM_THREADS`` and the like are
overridden there: the caller's setting holds again once cabench's solving ends.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

__all__ = ["ENVIRONMENT", "one_thread", "threads"]

ENVIRONMENT = MappingProxyType({
    "OPENBLAS_NUM_THREADS": "1",  # OpenBLAS (NumPy's and SciPy's wheels)
    "MKL_NUM_THREADS": "1",  # Intel MKL (some conda builds)
    "BLIS_NUM_THREADS": "1",  # BLIS
    "VECLIB_MAXIMUM_THREADS": "1",  # Apple's Accelerate
})
"""The environment of a worker process that starts its BLAS library on one thread. (Not
``OMP_NUM_THREADS``: that one would reach any OpenMP code a solver has too.)"""


@contextmanager
def one_thread() -> Iterator[None]:
    """Within the block, NumPy's BLAS library runs on one thread; after it, on as many as before
    (the module docstring says why). A block entered while it already runs on one thread (products
    within a batch, or the caller's own setting), or before NumPy is imported, changes nothing.

    The setting is the process's, changed through threadpoolctl. Two threads inside such blocks
    at once (cabench never runs two batches at once): threadpoolctl lets only the first change
    it, so when that one leaves first, the other's products get their threads back until it
    leaves too; the same when the caller holds a limit of its own on another thread. Slower then,
    never another result.

    Examples
    --------
    >>> import numpy
    >>> from ilp.blas import one_thread, threads
    >>> with one_thread():
    ...     set(threads())
    {1}
    """
    libraries = _blas() if "numpy" in sys.modules else None
    if libraries is None or all(library["num_threads"] == 1 for library in libraries.info()):
        yield
        return
    with libraries.limit(limits=1):
        yield


def threads() -> list[int]:
    """The threads of each BLAS library that :func:`one_thread` sets (those loaded with NumPy), in
    this process; empty before NumPy is imported.

    Examples
    --------
    >>> import numpy
    >>> from ilp.blas import threads
    >>> all(count >= 1 for count in threads())
    True
    """
    if "numpy" not in sys.modules:
        return []
    return [library["num_threads"] for library in _blas().info()]


@functools.cache  # (looked up once: the lookup goes through every library the process has loaded)
def _blas() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded in this process once NumPy is. The
    lookup takes 3 ms in a process that has loaded the solvers, a tenth of a small report. A
    library loaded later (SciPy's own, when SciPy is imported) is left as it is: cabench's
    products are NumPy's."""
    from threadpoolctl import ThreadpoolController  # (3 ms to import; most commands never solve)

    return ThreadpoolController().select(user_api="blas")
