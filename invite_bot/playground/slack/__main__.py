"""``python -m invite_bot.playground.slack``: the local Slack on its own (standalone.py)."""

import sys

from invite_bot.playground.slack.standalone import main

sys.exit(main())
