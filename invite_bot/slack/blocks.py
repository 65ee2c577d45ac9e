"""Block Kit messages and modals, built from domain values with `slack_sdk.models`.

Pure functions: no I/O. Every string that came from a user or from Gencove goes through
`esc()`; every message is checked against Block Kit's limits by `to_dict()` and, where an
input could break them (50 addresses, long errors), degrades to a compact form.

Here: invite results, notifications, notes and the invitation list. The shared ids,
limits and helpers are in `block_kit`, the modals in `modals`, the accept card in
`card_blocks`; all are re-exported from here.
"""

from __future__ import annotations



