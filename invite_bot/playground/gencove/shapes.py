"""The JSON the Gencove sandbox sends: the OpenAPI document's ``Invitation``,
``InvitationDetails``, ``User`` and organization-user schemas, and the fuller records
of its own control API (``GET /_fake/state``)."""

from __future__ import annotations

import uuid
from typing import Any

from invite_bot.playground.gencove.model import (
    FakeInvitation,
    FakeUser,
    Organization,
    StatusChange,
    iso,
)


def status_json(sc: StatusChange) -> dict[str, Any]:
    return {
        "id": str(sc.id),
        "status": sc.status,
        "created": iso(sc.created),
        "actor": {"id": str(sc.actor_id), "name": sc.actor_name},
    }


def invitation_json(inv: FakeInvitation) -> dict[str, Any]:
    """The spec's ``Invitation`` schema."""
    return {
        "id": str(inv.id),
        "email": inv.email,
        "last_status": status_json(inv.status_changes[-1]),
        "expires": iso(inv.expires),
        "role": inv.role,
    }


def invitation_details_json(inv: FakeInvitation, organization: Organization) -> dict[str, Any]:
    """The spec's ``InvitationDetails`` schema."""
    return {
        "token": inv.token,
        "last_status": status_json(inv.status_changes[-1]),
        "expires": iso(inv.expires),
        "organization": {"id": str(organization.id), "name": organization.name},
        "role": inv.role,
    }


def user_json(user: FakeUser) -> dict[str, Any]:
    """The spec's ``User`` schema (uploads/explorer_enabled are strings there)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "uploads_enabled": "true",
        "explorer_enabled": "false",
        "created": iso(user.created),
        "is_support": False,
    }


def org_user_json(user: FakeUser, role_id: uuid.UUID) -> dict[str, Any]:
    """An organization user, ``role_id`` the id of its role (default ``member``)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "is_active": True,
        "has_mfa_device": False,
        "name": user.name,
        "roles": {"organization": {"id": str(role_id), "name": user.role or "member"}},
        "is_support": False,
    }


def dump_invitation(inv: FakeInvitation) -> dict[str, Any]:
    """An invitation with its token and whole status history (control API)."""
    return {
        "id": str(inv.id),
        "email": inv.email,
        "role": inv.role,
        "token": inv.token,
        "status": inv.status_changes[-1].status,
        "created": iso(inv.created),
        "expires": iso(inv.expires),
        "status_changes": [status_json(sc) for sc in inv.status_changes],
    }


def dump_user(user: FakeUser) -> dict[str, Any]:
    """A user with its API key and membership (control API)."""
    return {
        "id": str(user.id),
        "email": user.email,
        "name": user.name,
        "api_key": user.api_key,
        "admin": user.admin,
        "member": user.member,
        "role": user.role,
    }
