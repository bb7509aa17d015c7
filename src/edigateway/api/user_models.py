"""What the users routes accept and return (the wire conventions of
:mod:`edigateway.api.schemas`: times RFC 3339 in UTC, code values as enums, every property
described, an example per model). Never a password hash, TOTP secret or link token, except
the set-password link itself in the answer that creates it."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edigateway.api.schemas import Timestamp


class UserRole(StrEnum):
    """What a user may do in the dashboard, as API scopes: ``viewer`` every read scope,
    ``coordinator`` every scope but ``admin``, ``users:admin`` and ``webhooks:write``,
    ``admin`` everything."""

    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VIEWER = "viewer"


class UserState(StrEnum):
    """``invited`` until the user sets a password through their link, ``active``,
    ``locked`` for 15 minutes after repeated failed sign-in attempts, ``disabled`` for
    good (their sessions ended)."""

    INVITED = "invited"
    ACTIVE = "active"
    LOCKED = "locked"
    DISABLED = "disabled"


USER_EXAMPLE: dict[str, Any] = {
    "id": 4,
    "email": "pat.lee@maplestreetdental.example",
    "role": "coordinator",
    "status": "active",
    "scopes": ["claims:read", "claims:write", "eligibility", "estimates"],
    "two_step": True,
    "created_at": "2026-11-23T09:00:00Z",
    "created_by": "key:3f9a1c2b7d10",
    "password_set_at": "2026-11-23T09:20:00Z",
    "last_sign_in_at": "2026-11-24T08:02:00Z",
    "locked_until": None,
    "disabled_at": None,
}
LINK_EXAMPLE: dict[str, Any] = {
    "user": {
        **USER_EXAMPLE,
        "status": "invited",
        "two_step": False,
        "password_set_at": None,
        "last_sign_in_at": None,
    },
    "set_password_url": "https://edi.maplestreetdental.example/ui/set-password?token="
    "q8Xz0aV3mJ4pW7tR2yK9cN5bL1hG6fD8sE3uI0oP4aQ",
    "expires_at": "2026-11-26T09:00:00Z",
}


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


class UserRequest(BaseModel):
    """A new dashboard user of the caller's practice."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"email": "pat.lee@maplestreetdental.example", "role": "coordinator"}]
        },
    )

    email: str = Field(
        min_length=3,
        max_length=254,
        description="the person's email address: what they sign in with; "
        "unique across the gateway (case does not matter)",
    )
    role: UserRole = Field(description="what they may do (see UserRole)")


class UserOut(_Out):
    """A dashboard user (never their password hash or two-step secret)."""

    model_config = ConfigDict(json_schema_extra={"examples": [USER_EXAMPLE]})

    id: int = Field(description="the user's ID")
    email: str = Field(description="what they sign in with, in lower case")
    role: UserRole = Field(description="what they may do")
    status: UserState = Field(description="whether they can sign in now")
    scopes: list[str] = Field(description="the API scopes their role holds on the pages")
    two_step: bool = Field(
        description="whether signing in asks for a code of their "
        "authenticator app (they turn it on themselves)"
    )
    created_at: Timestamp = Field(description="when the user was created")
    created_by: str = Field(
        description="who created them: an API key (key:<id>), a user (user:<id>) or cli"
    )
    password_set_at: Timestamp | None = Field(
        description="when they last set a password; null until they follow their link"
    )
    last_sign_in_at: Timestamp | None = Field(description="when they last signed in")
    locked_until: Timestamp | None = Field(
        description="while locked after failed attempts: until when"
    )
    disabled_at: Timestamp | None = Field(description="when they were disabled")


class UserList(_Out):
    """The practice's dashboard users."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"items": [USER_EXAMPLE]}]})

    items: list[UserOut] = Field(
        description="every user of the practice, oldest first (disabled ones too)"
    )


class PasswordLinkOut(_Out):
    """A user and the one-time link where they set their password — shown this once."""

    model_config = ConfigDict(json_schema_extra={"examples": [LINK_EXAMPLE]})

    user: UserOut = Field(description="the user")
    set_password_url: str = Field(
        description="give this to the person (it opens the "
        "dashboard's set-password page); it works once, until "
        "expires_at, and a newer link voids it; never stored"
    )
    expires_at: Timestamp = Field(description="when the link stops working (72 hours)")
