"""``edigateway users``: the people who sign in to the coordinator's pages.

No command prompts: every value is an option, so they run the same from a terminal, a
script or a provisioning tool whose stdin is not a terminal. A password is never typed
here either: ``create`` (and ``link``) print a one-time set-password link for the person.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import datetime

    from edigateway.services.users_passwords import PasswordLink
    from edigateway.services.users_roles import UserInfo

app = typer.Typer(
    help="Dashboard users: create, list, disable, send a set-password link.", no_args_is_help=True
)

UserArgument = Annotated[str, typer.Argument(help="the user's email or ID")]
PracticeFilter = Annotated[
    str | None, typer.Option("--practice", help="only this practice's users (NPI or ID)")
]


@app.command("create")
@exit_codes()
def users_create(
    practice: Annotated[str, typer.Option(help="the practice's NPI (or ID)")],
    email: Annotated[str, typer.Option(help="the person's email address (what they sign in with)")],
    role: Annotated[
        str,
        typer.Option(
            help="admin (everything, users too), coordinator (the daily work) or viewer (read only)"
        ),
    ],
    practice_name: Annotated[
        str | None, typer.Option(help="create the practice with this name if the NPI is new")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create a dashboard user and print their one-time set-password link (72 hours).

    Example: ``edigateway users create --practice 1456789019 --email pat@maple.example
    --role coordinator``
    """
    from edigateway.services.users import create_user

    with open_gateway() as gateway:
        link = create_user(
            gateway.database,
            practice=practice,
            email=email,
            role=role,
            actor="cli",
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            create_name=practice_name,
        )
    _print_link(link, as_json)


@app.command("link")
@exit_codes()
def users_link(
    user: UserArgument,
    clear_two_step: Annotated[
        bool, typer.Option("--clear-two-step", help="also turn two-step sign-in off (a lost phone)")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Print a new set-password link for a user who forgot their password or is locked
    out (older links stop working). Example: ``edigateway users link pat@maple.example``"""
    from edigateway.services.users import issue_link

    with open_gateway() as gateway:
        link = issue_link(
            gateway.database,
            user=user,
            practice_id=None,
            actor="cli",
            now=gateway.clock(),
            keyring=gateway.keyring,
            base_url=gateway.settings.public_url,
            clear_two_step=clear_two_step,
        )
    _print_link(link, as_json)


@app.command("list")
@exit_codes()
def users_list(practice: PracticeFilter = None, as_json: JsonOption = False) -> None:
    """List users (never a password or secret). Example: ``edigateway users list --json``"""
    from edigateway.services.users import list_users

    with open_gateway() as gateway:
        found = list_users(gateway.database, practice=practice, now=gateway.clock())
    emit(
        found, json=as_json, text=_user_lines, document=lambda users: [_document(u) for u in users]
    )


@app.command("disable")
@exit_codes()
def users_disable(user: UserArgument, as_json: JsonOption = False) -> None:
    """Disable a user for good; their open sessions end at once.
    Example: ``edigateway users disable pat@maple.example``"""
    from edigateway.services.users import disable_user

    with open_gateway() as gateway:
        info = disable_user(
            gateway.database, user=user, practice_id=None, actor="cli", now=gateway.clock()
        )
    emit(
        info,
        json=as_json,
        document=_document,
        text=lambda info: (f"disabled {info.email} (user {info.id})",),
    )


def _print_link(link: PasswordLink, as_json: bool) -> None:
    emit(
        link,
        json=as_json,
        text=lambda link: (link.url,),
        document=lambda link: {
            "user": _document(link.user),
            "set_password_url": link.url,
            "expires_at": link.expires_at.isoformat(),
        },
    )
    if not as_json:
        typer.echo(
            f"user {link.user.id} {link.user.email} ({link.user.role}) of practice "
            f"{link.user.practice_id}: give them this link; it works once, until "
            f"{link.expires_at:%Y-%m-%d %H:%M}",
            err=True,
        )


def _document(user: UserInfo) -> dict[str, object]:
    return {
        "id": user.id,
        "practice_id": user.practice_id,
        "email": user.email,
        "role": user.role,
        "status": user.status,
        "two_step": user.two_step,
        "scopes": list(user.scopes),
        "created_at": user.created_at.isoformat(),
        "created_by": user.created_by,
        "password_set_at": _iso(user.password_set_at),
        "last_sign_in_at": _iso(user.last_sign_in_at),
        "locked_until": _iso(user.locked_until),
        "disabled_at": _iso(user.disabled_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _user_lines(users: list[UserInfo]) -> Iterator[str]:
    if not users:
        yield "no users (create one with `edigateway users create`)"
    for user in users:
        two_step = "two-step" if user.two_step else "password only"
        yield (
            f"{user.id}\tpractice {user.practice_id}\t{user.email}\t{user.role}\t"
            f"{user.status}\t{two_step}"
        )
