"""Runs the Gencove sandbox standalone (see ``standalone.py``)."""

from invite_bot.playground.gencove.standalone import main

raise SystemExit(main())
