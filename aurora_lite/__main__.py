"""``python -m aurora_lite``: the command line (see aurora_lite.cli)."""
from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m aurora_lite"))
