"""Who is who: auth.test (the bot itself), users.info, users.lookupByEmail and
usergroups.users.list, over the people in ``slack.users`` and ``slack.usergroups``."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from invite_bot.playground.slack.records import JSONDict
from invite_bot.playground.slack.refusal import ApiError

if TYPE_CHECKING:
    from invite_bot.playground.slack.server import FakeSlack


def user_record(
    user_id: str,
    team_id: str,
    name: str,
    *,
    is_admin: bool,
    is_owner: bool,
    email: str | None,
    real_name: str | None,
    is_bot: bool,
    deleted: bool,
    tz: str,
) -> JSONDict:
    """A person as users.info answers them."""
    real = real_name if real_name is not None else name.title()
    return {
        "id": user_id,
        "team_id": team_id,
        "name": name,
        "real_name": real,
        "deleted": deleted,
        "is_admin": is_admin,
        "is_owner": is_owner,
        "is_primary_owner": False,
        "is_bot": is_bot,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "tz": tz,
        "profile": {
            "real_name": real,
            "real_name_normalized": real,
            "display_name": name,
            "display_name_normalized": name,
            "email": email if email is not None else f"{name}@example.org",
            "team": team_id,
        },
    }


class Users:
    """The user and user-group look-ups, and the bot's own identity."""

    def __init__(self, slack: FakeSlack) -> None:
        self.slack = slack

    def methods(self) -> dict[str, Callable[[JSONDict], JSONDict]]:
        return {
            "auth.test": self.auth_test,
            "users.info": self.info,
            "users.lookupByEmail": self.lookup_by_email,
            "usergroups.users.list": self.usergroup_members,
        }

    def auth_test(self, args: JSONDict) -> JSONDict:
        slack = self.slack
        return {
            "url": f"https://{slack.team.lower().replace(' ', '-')}.slack.com/",
            "team": slack.team,
            "user": "invite-bot",
            "team_id": slack.team_id,
            "user_id": slack.bot_user_id,
            "bot_id": slack.bot_id,
            "is_enterprise_install": False,
        }

    def info(self, args: JSONDict) -> JSONDict:
        user = self.slack.users.get(str(args.get("user")))
        if user is None:
            raise ApiError("user_not_found")
        return {"user": user}

    def lookup_by_email(self, args: JSONDict) -> JSONDict:
        email = str(args.get("email", "")).lower()
        for user in self.slack.users.values():
            if str(user["profile"].get("email", "")).lower() == email:
                return {"user": user}
        raise ApiError("users_not_found")

    def usergroup_members(self, args: JSONDict) -> JSONDict:
        members = self.slack.usergroups.get(str(args.get("usergroup")))
        if members is None:
            raise ApiError("no_such_subteam")
        return {"users": list(members)}
