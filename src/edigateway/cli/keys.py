"""``edigateway keys``: API keys, and re-encrypting PHI to a new key."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.access import KeyInfo

app = typer.Typer(help="API keys and PHI encryption keys.", no_args_is_help=True)


@app.command("create")
@exit_codes()
def keys_create(
    practice: Annotated[str, typer.Option(help="the practice's NPI (or ID)")],
    scopes: Annotated[
        str,
        typer.Option(
            help="comma-separated, e.g. claims:write,eligibility (see `edigateway keys scopes`)"
        ),
    ],
    name: Annotated[str, typer.Option(help="what the key is for")] = "PM system",
    practice_name: Annotated[
        str | None, typer.Option(help="create the practice with this name if the NPI is new")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Create an API key for a practice. The key is printed once and never stored.

    Example: ``edigateway keys create --practice 1456789019 --scopes claims:write,claims:read``
    """
    from edigateway.services.access import create_key

    with open_gateway() as gateway:
        created = create_key(
            gateway.database,
            practice=practice,
            scopes=scopes,
            name=name,
            keyring=gateway.keyring,
            now=gateway.clock(),
            create_name=practice_name,
        )
    emit(created, json=as_json, text=lambda created: (created.token,))
    if not as_json:
        typer.echo(
            f"key {created.key_id} for practice {created.practice_id} with "
            f"{', '.join(created.scopes)}; shown once, store it now",
            err=True,
        )


@app.command("scopes")
def keys_scopes() -> None:
    """List the scopes a key can hold. Example: ``edigateway keys scopes``"""
    from edigateway.security.api_keys import SCOPES

    for scope_name, meaning in SCOPES.items():
        typer.echo(f"{scope_name:20} {meaning}")


@app.command("list")
@exit_codes()
def keys_list(as_json: JsonOption = False) -> None:
    """List API keys (IDs and scopes only). Example: ``edigateway keys list``"""
    from edigateway.services.access import list_keys

    with open_gateway() as gateway:
        keys = list_keys(gateway.database)
    emit(keys, json=as_json, text=_key_lines)


def _key_lines(keys: list[KeyInfo]) -> Iterator[str]:
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "active"
        yield (
            f"{key.key_id}\tpractice {key.practice_id}\t{state}\t{','.join(key.scopes)}\t{key.name}"
        )


@app.command("revoke")
@exit_codes()
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key ID (not the secret)")]) -> None:
    """Revoke an API key: a running ``edigateway serve`` refuses it within 5 seconds (it
    trusts a key it has checked for that long). Example: ``edigateway keys revoke 3f9a1c2b7d10``"""
    from edigateway.services.access import revoke_key

    with open_gateway() as gateway:
        revoke_key(gateway.database, key_id, now=gateway.clock())
    typer.echo(f"revoked {key_id}")


@app.command("rotate")
@exit_codes()
def keys_rotate(
    new_key: Annotated[
        bool,
        typer.Option(
            "--new-key/--no-new-key",
            help="embedded setup: add a fresh active key to the key "
            "file first (with configured keys, put the new key first in EDIGATEWAY_PHI_KEYS "
            "and restart every process before rotating)",
        ),
    ] = True,
) -> None:
    """Re-encrypt all PHI to the active key, a batch at a time, while the gateway runs.

    Prints which key IDs still protect data; a key no longer listed can be retired.
    Example: ``edigateway keys rotate``
    """
    from edigateway.security.phi import PhiCipher
    from edigateway.services.rotation import keys_in_use, rotate_phi

    with open_gateway() as gateway:
        keyring = gateway.keyring
        if new_key and gateway.settings.phi_keys is None:
            keyring = keyring.with_new_key(f"k{gateway.clock():%Y%m%d%H%M%S}")
            keyring.save(gateway.key_file)
            gateway.database.phi = PhiCipher(keyring)
        counts = rotate_phi(gateway.database)
        used = keys_in_use(gateway.database)
    typer.echo(
        f"active key {keyring.active}; re-encrypted "
        + ", ".join(f"{n} {table}" for table, n in counts.items())
    )
    typer.echo(
        "values per key: " + (", ".join(f"{k}: {n}" for k, n in sorted(used.items())) or "none")
    )
