"""`python -m invite_bot`: the command line (see invite_bot/cli)."""

from __future__ import annotations

import sys

from invite_bot.cli import main

__all__ = ["main"]  # what installs made before invite_bot.cli existed still call

if __name__ == "__main__":
    sys.exit(main())
