"""The shortcuts "Invite to Gencove" (the shortcuts menu, and a message's "…" menu): each
acknowledged at once, then the form opens (`Forms`)."""

from __future__ import annotations

from invite_bot.features.shortcuts.blocks import GLOBAL_SHORTCUT, MESSAGE_SHORTCUT
from invite_bot.features.shortcuts.forms import Forms
from invite_bot.slack.guard import later
from invite_bot.slack.router import Router


def register(router: Router, forms: Forms) -> None:
    router.shortcut(GLOBAL_SHORTCUT, later(forms.blank), name="invite_shortcut")
    router.shortcut(MESSAGE_SHORTCUT, later(forms.from_message), name="invite_message_shortcut")
