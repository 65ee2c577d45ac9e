"""The invitation operations of Gencove's API: list (by status, paginated), create and
revoke under ``/api/v2/invitations/``, and read or accept by token under
``/api/v2/invitations-token/``."""

from __future__ import annotations

import uuid
from typing import Any

from invite_bot.playground.gencove.accounts import Accounts
from invite_bot.playground.gencove.emails import is_valid_email
from invite_bot.playground.gencove.ledger import Ledger
from invite_bot.playground.gencove.model import LIST_STATUS_CHOICES, Organization
from invite_bot.playground.gencove.pages import desc_slice, page_params, paginated
from invite_bot.playground.gencove.replies import (
    ALREADY_MEMBER,
    ALREADY_PENDING,
    INVALID_EMAIL,
    NOT_ACCEPTABLE,
    NOT_FOUND,
    ONLY_PENDING_REVOCABLE,
    OTHER_EMAIL,
    Reply,
    body_data,
    detail,
    json_reply,
)
from invite_bot.playground.gencove.routing import Call, Route, require_admin
from invite_bot.playground.gencove.shapes import invitation_details_json, invitation_json

INVITATIONS = "/api/v2/invitations/"


class InvitationApi:
    """Handlers for invitations, on the organization's ledger."""

    def __init__(self, ledger: Ledger, accounts: Accounts, organization: Organization) -> None:
        self._ledger = ledger
        self._accounts = accounts
        self._organization = organization
        # Answer a create for an address with a pending invitation "already pending" (400).
        self.refuse_duplicates = False

    def routes(self) -> list[Route]:
        one_invitation = r"/api/v2/invitations-token/(?P<token>[^/]+)"
        return [
            ("GET", INVITATIONS, self.listing),
            ("POST", INVITATIONS, self.create),
            ("DELETE", INVITATIONS + r"(?P<invitation_id>[^/]+)", self.revoke),
            ("GET", one_invitation, self.get_by_token),
            ("PATCH", one_invitation, self.accept_by_token),
        ]

    def listing(self, call: Call) -> Reply:
        denied = require_admin(call)
        if denied is not None:
            return denied
        status = call.request.query.get("status", "all")
        if status not in LIST_STATUS_CHOICES:
            message = f"Select a valid choice. {status} is not one of the available choices."
            return json_reply(400, {"status": [message]})
        items = self._ledger.listing(status)
        page = page_params(call.request.query)
        results = [invitation_json(inv) for inv in desc_slice(items, page)]
        return json_reply(200, paginated(call.request, page, len(items), results))

    def create(self, call: Call) -> Reply:
        denied = require_admin(call)
        if denied is not None:
            return denied
        data = body_data(call.request, call.body)
        if isinstance(data, Reply):
            return data
        errors: dict[str, list[str]] = {}
        email = _email_field(data, errors)
        role = self._role_field(data, errors)
        if errors:
            return json_reply(400, errors)
        existing = self._accounts.by_email(email)
        if existing is not None and existing.member:
            return json_reply(400, {"email": [ALREADY_MEMBER]})
        # Gencove's spec does not say it refuses a second pending invitation, so by default
        # the sandbox makes one: the bot's own duplicate guard must hold without it.
        if self.refuse_duplicates and self._ledger.has_pending(email):
            return json_reply(400, {"email": [ALREADY_PENDING]})
        inv = self._ledger.create(email, role, call.user)
        return json_reply(201, invitation_json(inv))

    def revoke(self, call: Call) -> Reply:
        denied = require_admin(call)
        if denied is not None:
            return denied
        try:
            inv_id = uuid.UUID(call.params["invitation_id"])
        except ValueError:
            return detail(404, NOT_FOUND)
        inv = self._ledger.by_id(inv_id)
        if inv is None:
            return detail(404, NOT_FOUND)
        if inv.status_changes[-1].status != "pending":
            return detail(400, ONLY_PENDING_REVOCABLE)
        self._ledger.set_status(inv, "revoked", call.user, self._ledger.now())
        return Reply(204)

    def get_by_token(self, call: Call) -> Reply:
        inv = self._ledger.by_token(call.params["token"])
        if inv is None:
            return detail(404, NOT_FOUND)
        return json_reply(200, invitation_details_json(inv, self._organization))

    def accept_by_token(self, call: Call) -> Reply:
        data = body_data(call.request, call.body)
        if isinstance(data, Reply):
            return data
        inv = self._ledger.by_token(call.params["token"])
        if inv is None:
            return detail(404, NOT_FOUND)
        if call.user.email.lower() != inv.email.lower():
            return detail(403, OTHER_EMAIL)
        current = inv.status_changes[-1].status
        if current != "pending":
            return detail(400, NOT_ACCEPTABLE[current])
        self._ledger.accept_for(inv, call.user, self._ledger.now())
        return json_reply(200, invitation_details_json(inv, self._organization))

    def _role_field(self, data: dict[str, Any], errors: dict[str, list[str]]) -> str:
        """The create's ``role`` (default ``member``); a problem goes into ``errors``."""
        raw_role = data.get("role", "")
        if raw_role is None:
            errors["role"] = ["This field may not be null."]
        elif not isinstance(raw_role, str):
            errors["role"] = ["Not a valid string."]
        elif raw_role.strip():
            role = raw_role.strip()
            if role not in self._accounts.roles:
                errors["role"] = [f'"{role}" is not a valid choice.']
            return role
        return "member"


def _email_field(data: dict[str, Any], errors: dict[str, list[str]]) -> str:
    """The create's ``email``, stripped; a problem goes into ``errors``."""
    raw_email = data.get("email")
    if "email" not in data:
        errors["email"] = ["This field is required."]
    elif raw_email is None:
        errors["email"] = ["This field may not be null."]
    elif not isinstance(raw_email, str):
        errors["email"] = ["Not a valid string."]
    else:
        email = raw_email.strip()
        if not email:
            errors["email"] = ["This field may not be blank."]
        elif not is_valid_email(email):
            errors["email"] = [INVALID_EMAIL]
        return email
    return ""
