"""The exit statuses of the ``cabench`` command, in one place.

Scripts and sweeps branch on these, so they are part of the interface: the README lists them and
``tests/test_cli.py`` checks each one as a user meets it.
"""

from __future__ import annotations

import signal

__all__ = ["OK", "INTERNAL_ERROR", "BAD_INPUT", "NOT_PROVEN", "GUARANTEE_FAILS", "SIGINT", "SIGTERM", "after_signal"]

OK = 0
#: A bug in cabench, or a worker process that died (out of memory).
INTERNAL_ERROR = 1
#: Bad input: a file, a flag, a mechanism parameter or an output path; one line on standard error.
BAD_INPUT = 2
#: Some integer program was not proven optimal within ``--time-limit``; its value is withheld.
NOT_PROVEN = 3
#: ``evaluate``: a theorem applies to the instance and its guarantee does not hold.
GUARANTEE_FAILS = 4
#: Stopped by Ctrl-C (128 + SIGINT), as shells report it.
SIGINT = 128 + signal.SIGINT
#: Stopped by SIGTERM (128 + SIGTERM).
SIGTERM = 128 + signal.SIGTERM


def after_signal(signum: int) -> int:
    """The status after being stopped by signal ``signum``: 128 + its number, the shell convention."""
    return 128 + signum
