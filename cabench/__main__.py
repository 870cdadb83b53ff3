"""``python -m cabench`` and the ``cabench`` console script: the command line (``cabench.cli``),
loaded so that a Ctrl-C while it loads ends as one later does."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    """Load the command line and run it on ``argv`` (``cabench.cli.main``; None: the process's own).

    Loading takes a tenth of a second or more (click, rich and the commands' modules); a Ctrl-C
    then printed Python's ``KeyboardInterrupt`` traceback, where from the command's start on it
    prints one line and ends with status 130: the same here. (What Python does before this
    module runs, its own start, is out of reach.)"""
    try:
        from cabench.cli import main as run

        return run(argv)
    except KeyboardInterrupt:  # (run() turns its own into its line: this one came while loading)
        if sys.stderr is not None:  # (the line of cabench.cli.main's stop, which is not loaded)
            sys.stderr.write("cabench: stopped by SIGINT\n")
        return 130  # (cabench.exit_codes.after_signal: not imported, as it may be what was loading)


if __name__ == "__main__":
    sys.exit(main())
