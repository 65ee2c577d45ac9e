"""`/gencove notify me` / `notify me off`: DMs about one's own invitations (made from
Slack): accepted, expired, or revoked by someone else. On unless turned off; stored per
Slack user (`tx.preferences`). One's own actions never come back as a DM."""

from __future__ import annotations

from invite_bot.store import Store, Tx

ON = (
    "You will get a direct message when one of your invitations is accepted, expires or is "
    "revoked by someone else (and a reminder before one expires). `/gencove notify me off` "
    "stops them."
)
OFF = (
    "No more direct messages about your invitations; channels that get notifications still "
    "do. `/gencove notify me` turns them back on."
)


async def notify_me(store: Store, user_id: str, on: bool) -> str:
    """Store the user's choice (audited when it changed) and say what it means."""
    await store.write(lambda tx: _set(tx, user_id, on))
    return ON if on else OFF


def _set(tx: Tx, user_id: str, on: bool) -> None:
    if tx.preferences.set_personal(user_id, on):
        tx.audit.add(actor_slack_id=user_id, action="notify_me_on" if on else "notify_me_off")
