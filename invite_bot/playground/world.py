"""The playground's people, channels and Gencove organization, made afresh at each start.

Three Slack users, each with a Gencove account and a personal API key: an inviter (a
workspace admin), a plain member, and an invitee who has a pending invitation to accept.
Three channels: #general and #onboarding with the bot in them (#onboarding hears every
invitation change), and a private channel the bot is not in.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from invite_bot.playground.gencove import FakeGencove
from invite_bot.playground.slack import FakeSlack

BOT_USER_ID = "U0BOT0001"
TEAM_ID = "T0PLAYGRD"


@dataclass(frozen=True)
class Person:
    """Someone the page can act as."""

    role: str  # the name the page and the control API use: admin | member | invitee
    user_id: str
    name: str
    real_name: str
    email: str
    is_admin: bool
    describes: str  # one line for the "act as" switcher

    @property
    def dm_channel(self) -> str:
        """The direct-message channel between this person and the bot."""
        return "D" + self.user_id[1:]


@dataclass(frozen=True)
class Channel:
    key: str  # the name the page and the control API use
    channel_id: str
    name: str
    bot_is_member: bool
    is_private: bool = False


PEOPLE: tuple[Person, ...] = (
    Person(
        "admin", "U0ADMIN01", "ada", "Ada Admin", "ada@lab.org", True,
        "workspace admin: may invite and revoke",
    ),
    Person(
        "member", "U0MEMBER1", "max", "Max Member", "max@lab.org", False,
        "a member: may not invite, so asks the inviters (Ada approves in #onboarding)",
    ),
    Person(
        "invitee", "U0INVITE1", "ivy", "Ivy Invitee", "ivy@partner.org", False,
        "has a pending invitation and a personal Gencove key",
    ),
)

CHANNELS: tuple[Channel, ...] = (
    Channel("general", "C0GENERAL", "general", True),
    Channel("onboarding", "C0ONBOARD", "onboarding", True),
    Channel("lab-private", "G0PRIVATE", "lab-private", False, is_private=True),
)
NOTIFY_CHANNEL = "C0ONBOARD"


def person(role: str) -> Person:
    for someone in PEOPLE:
        if role in (someone.role, someone.user_id):
            return someone
    raise KeyError(role)


def channel(key: str, viewer: Person) -> Channel:
    """A channel by key or id; "dm" is the viewer's direct messages with the bot."""
    if key in ("dm", viewer.dm_channel):
        return Channel("dm", viewer.dm_channel, "gencove-invites", True)
    for known in CHANNELS:
        if key in (known.key, known.channel_id):
            return known
    raise KeyError(key)


def furnish_slack(slack: FakeSlack) -> None:
    """Users and channels, as Slack's users.info and conversations.info answer them."""
    for someone in PEOPLE:
        slack.add_user(
            someone.user_id,
            name=someone.name,
            real_name=someone.real_name,
            email=someone.email,
            is_admin=someone.is_admin,
        )
    slack.add_user(BOT_USER_ID, name="gencove-invites", real_name="Gencove Invites", is_bot=True)
    for known in CHANNELS:
        slack.channels[known.channel_id] = {
            "id": known.channel_id,
            "name": known.name,
            "is_channel": not known.is_private,
            "is_group": known.is_private,
            "is_private": known.is_private,
            "is_im": False,
            "is_member": known.bot_is_member,
            "is_archived": False,
        }
        if not known.bot_is_member:
            slack.not_in_channel.add(known.channel_id)


def furnish_gencove(gencove: FakeGencove, *, extra_pending: int = 0) -> None:
    """Accounts for the three people and invitations in every status."""
    for someone in PEOPLE:
        if gencove.user_by_email(someone.email) is None:
            gencove.add_user(
                someone.email,
                name=someone.real_name,
                api_key="gc-personal-" + secrets.token_hex(16),
                admin=someone.is_admin,
                member=someone.role != "invitee",
            )
    now = gencove.now()
    day = timedelta(days=1)
    gencove.add_invitation("ivy@partner.org", role="member", created=now - day)
    gencove.add_invitation("bob@lab.org", role="member", created=now - 2 * day)
    gencove.add_invitation("carol@partner.org", role="viewer", created=now - 3 * day)
    gencove.add_invitation("dan@lab.org", role="admin", status="accepted", created=now - 9 * day)
    gencove.add_invitation("erin@lab.org", status="expired", created=now - 10 * day)
    gencove.add_invitation("frank@partner.org", status="revoked", created=now - 4 * day)
    for number in range(extra_pending):
        gencove.add_invitation(f"guest{number + 1:03d}@seed.lab.org", created=now - day)
