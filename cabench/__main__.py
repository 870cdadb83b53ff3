"""``python -m cabench``: the same command as the ``cabench`` console script."""

import sys

from cabench.cli import main

sys.exit(main())
