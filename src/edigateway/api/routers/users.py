"""Dashboard users of the caller's practice, for admins (scope ``users:admin``): create one
and get their set-password link, list them, read one, disable one (their sessions end at
once), send a new link (forgotten password, lockout, lost phone). Another practice's user
is a 404, as is one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from edigateway.api.deps import (
    GatewayDep,
    IdempotencyKey,
    JsonBody,
    PrincipalDep,
    RowId,
    idempotent,
    scope,
)
from edigateway.api.examples import examples
from edigateway.api.problems import responses
from edigateway.api.user_models import PasswordLinkOut, UserList, UserOut, UserRequest
from edigateway.services import users, users_passwords, users_roles
from edigateway.services.practice_claims import Caller

router = APIRouter(prefix="/users", tags=["users"])
Admin = Annotated[Caller, scope("users:admin")]


def _user(info: users_roles.UserInfo) -> UserOut:
    return UserOut.model_validate(info, from_attributes=True)


def _link(link: users_passwords.PasswordLink) -> PasswordLinkOut:
    return PasswordLinkOut(
        user=_user(link.user), set_password_url=link.url, expires_at=link.expires_at
    )


@router.post(
    "",
    status_code=201,
    response_model=PasswordLinkOut,
    operation_id="createUser",
    dependencies=[JsonBody],
    responses=responses(409),
)
def create_user(
    request: Annotated[
        UserRequest,
        Body(
            openapi_examples=examples(
                "a coordinator",
                {"email": "pat.lee@maplestreetdental.example", "role": "coordinator"},
            )
        ),
    ],
    caller: Admin,
    principal: PrincipalDep,
    gateway: GatewayDep,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Create a dashboard user of the practice. The answer holds their set-password link,
    shown this once: give it to the person (72 hours, works once). An email any user
    already has is a 409."""

    def run() -> tuple[int, PasswordLinkOut]:
        link = users.create_user(
            gateway.database,
            practice=caller.practice_id,
            email=request.email,
            role=request.role.value,
            actor=caller.actor,
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            remote_addr=caller.remote_addr,
        )
        return 201, _link(link)

    return idempotent(gateway, principal, idempotency_key, request, run)


@router.get("", response_model=UserList, operation_id="listUsers")
def list_users(caller: Admin, gateway: GatewayDep) -> UserList:
    """The practice's users, oldest first."""
    return UserList(
        items=[
            _user(u)
            for u in users.list_users(
                gateway.database, practice=caller.practice_id, now=gateway.clock()
            )
        ]
    )


@router.get(
    "/{user_id:int}", response_model=UserOut, operation_id="getUser", responses=responses(404)
)
def get_user(user_id: RowId, caller: Admin, gateway: GatewayDep) -> UserOut:
    """One user of the practice."""
    return _user(
        users.get_user(
            gateway.database, user=user_id, practice_id=caller.practice_id, now=gateway.clock()
        )
    )


@router.post(
    "/{user_id:int}/disable",
    response_model=UserOut,
    operation_id="disableUser",
    responses=responses(404),
)
def disable_user(user_id: RowId, caller: Admin, gateway: GatewayDep) -> UserOut:
    """Disable a user for good: their sessions and links end at once, their next page is
    the sign-in page, which refuses them. Disabling again changes nothing."""
    return _user(
        users.disable_user(
            gateway.database,
            user=user_id,
            practice_id=caller.practice_id,
            actor=caller.actor,
            now=gateway.clock(),
            remote_addr=caller.remote_addr,
        )
    )


@router.post(
    "/{user_id:int}/password-link",
    status_code=201,
    response_model=PasswordLinkOut,
    operation_id="createPasswordLink",
    responses=responses(404, 409),
)
def password_link(
    user_id: RowId,
    caller: Admin,
    gateway: GatewayDep,
    clear_two_step: Annotated[
        bool,
        Query(
            description="also turn the user's two-step "
            "sign-in off (a lost phone); they can set it up "
            "again after signing in"
        ),
    ] = False,
) -> PasswordLinkOut:
    """A new set-password link (older ones stop working), for a forgotten password or a
    lockout; the current password works until a new one is set. A disabled user is a
    409."""
    return _link(
        users.issue_link(
            gateway.database,
            user=user_id,
            practice_id=caller.practice_id,
            actor=caller.actor,
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            clear_two_step=clear_two_step,
            remote_addr=caller.remote_addr,
        )
    )
