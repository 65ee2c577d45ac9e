"""Gencove's Back API v2: pydantic models, typed errors and one aiohttp client."""

from invite_bot.gencove.client import GencoveClient
from invite_bot.gencove.errors import (
    GencoveConnectionError,
    GencoveError,
    GencoveForbidden,
    GencoveNotFound,
    GencoveProtocolError,
    GencoveRateLimited,
    GencoveServerError,
    GencoveTimeout,
    GencoveUnauthorized,
    GencoveValidationError,
    decode_response,
)
from invite_bot.gencove.models import (
    Credentials,
    Invitation,
    InvitationDetails,
    InvitationPage,
    Organization,
    Role,
    User,
)

__all__ = [
    "Credentials",
    "GencoveClient",
    "GencoveConnectionError",
    "GencoveError",
    "GencoveForbidden",
    "GencoveNotFound",
    "GencoveProtocolError",
    "GencoveRateLimited",
    "GencoveServerError",
    "GencoveTimeout",
    "GencoveUnauthorized",
    "GencoveValidationError",
    "Invitation",
    "InvitationDetails",
    "InvitationPage",
    "Organization",
    "Role",
    "User",
    "decode_response",
]
