"""The exit statuses of the ``cabench`` command, in one place.

Scripts and sweeps branch on these, so they are part of the interface: the README lists them, and
the command-line tests check each one as a user meets it.
"""

from __future__ import annotations

__all__ = ["OK", "INTERNAL_ERROR", "BAD_INPUT", "NOT_PROVEN", "GUARANTEE_FAILS", "after_signal"]

OK = 0
#: A bug in cabench, a worker process that died, or memory that ran out.
INTERNAL_ERROR = 1
#: Bad input: a file, a flag, a mechanism parameter or an output path; one line on standard error.
BAD_INPUT = 2
#: Some integer program was not proven optimal within ``--time-limit``; its value is withheld.
NOT_PROVEN = 3
#: ``evaluate``: a theorem applies to the instance and its guarantee does not hold.
GUARANTEE_FAILS = 4


def after_signal(signum: int) -> int:
    """The status after being stopped by signal ``signum``: 128 + its number, the shell convention
    (130 after Ctrl-C, 143 after SIGTERM)."""
    return 128 + signum
