"""The people operations of Gencove's API: the roles of an organization or a project,
the organization's users (listed, searched, added) and the caller's own user."""

from __future__ import annotations

import uuid
from typing import Any

from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.model import FakeUser
from invite_bot.playground.gencove.pages import page_params, paginated
from invite_bot.playground.gencove.replies import (
    NO_PERMISSION,
    NOT_FOUND,
    Reply,
    body_data,
    detail,
    json_reply,
)
from invite_bot.playground.gencove.routing import Call, Route, require_admin
from invite_bot.playground.gencove.shapes import org_user_json, user_json


class AccountApi:
    """Handlers for roles, organization users and the user, on the accounts."""

    def __init__(self, accounts: Accounts) -> None:
        self._accounts = accounts

    def routes(self) -> list[Route]:
        return [
            ("GET", r"/api/v2/roles/(?P<applies_to>[^/]+)", self.list_roles),
            ("GET", r"/api/v2/organization-users/", self.list_org_users),
            ("POST", r"/api/v2/organization-users/", self.add_org_user),
            ("GET", r"/api/v2/user/", self.get_user),
            ("PUT", r"/api/v2/user/", self.update_user),
            ("PATCH", r"/api/v2/user/", self.update_user),
        ]

    def list_roles(self, call: Call) -> Reply:
        denied = require_admin(call)
        if denied is not None:
            return denied
        applies_to = call.params["applies_to"]
        if applies_to == "organization":
            roles = self._accounts.roles
        elif applies_to == "project":
            roles = self._accounts.project_roles
        else:
            return detail(404, NOT_FOUND)
        items = [{"name": name, "permissions": list(perms)} for name, perms in roles.items()]
        page = page_params(call.request.query)
        chunk = items[page.offset : page.offset + page.limit]
        return json_reply(200, paginated(call.request, page, len(items), chunk))

    def list_org_users(self, call: Call) -> Reply:
        if not call.user.member:
            return detail(403, NO_PERMISSION)
        search = call.request.query.get("search", "").strip().lower()
        users = sorted(self._accounts.members(), key=lambda u: (u.email.lower(), u.id.int))
        if search:
            users = [
                u
                for u in users
                if search in u.email.lower() or search in u.name.lower() or search == str(u.id)
            ]
        page = page_params(call.request.query)
        chunk = [
            org_user_json(u, self._accounts.role_id(u.role or "member"))
            for u in users[page.offset : page.offset + page.limit]
        ]
        return json_reply(200, paginated(call.request, page, len(users), chunk))

    def add_org_user(self, call: Call) -> Reply:
        denied = require_admin(call)
        if denied is not None:
            return denied
        data = body_data(call.request, call.body)
        if isinstance(data, Reply):
            return data
        errors: dict[str, list[str]] = {}
        user = self._user_field(data, errors)
        role = data.get("role")
        if role is None:
            errors["role"] = ["This field is required."]
        elif not isinstance(role, str) or role not in self._accounts.roles:
            errors["role"] = [f'"{role}" is not a valid choice.']
        if errors or user is None or not isinstance(role, str):
            return json_reply(400, errors)
        user.member = True
        user.role = role
        user.admin = user.admin or role in ("owner", "admin")
        return json_reply(201, {"id": str(self._accounts.role_id(role)), "name": role})

    def get_user(self, call: Call) -> Reply:
        return json_reply(200, user_json(call.user))

    def update_user(self, call: Call) -> Reply:
        data = body_data(call.request, call.body)
        if isinstance(data, Reply):
            return data
        name = data.get("name")
        if name is not None:
            if not isinstance(name, str) or len(name) > 254:
                message = "Ensure this field has no more than 254 characters."
                return json_reply(400, {"name": [message]})
            call.user.name = name
        return json_reply(200, user_json(call.user))

    def _user_field(self, data: dict[str, Any], errors: dict[str, list[str]]) -> FakeUser | None:
        """The user ``user`` names; a problem goes into ``errors``."""
        raw_user = data.get("user")
        if raw_user is None:
            errors["user"] = ["This field is required."]
            return None
        try:
            user = self._accounts.users.get(uuid.UUID(str(raw_user)))
        except ValueError:
            errors["user"] = ["Must be a valid UUID."]
            return None
        if user is None:
            errors["user"] = [f'Invalid pk "{raw_user}" - object does not exist.']
        return user
