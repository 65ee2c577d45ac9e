"""invite-bot: manage Gencove organization invitations from Slack."""

__version__ = "0.1.0"
