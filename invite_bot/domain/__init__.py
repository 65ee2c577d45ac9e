"""Pure values and rules of invite-bot: no I/O, and nothing of the bot's own imported."""
