"""``edigateway workqueue``: what needs a person's attention, and closing it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from edigateway.cli.exits import exit_codes
from edigateway.cli.gateway import open_gateway
from edigateway.cli.output import JsonOption, emit

if TYPE_CHECKING:
    from collections.abc import Iterator

    from edigateway.services.work_queue import WorkItem

app = typer.Typer(help="What needs a person's attention.", no_args_is_help=True)


@app.command("list")
@exit_codes()
def workqueue_list(
    as_json: JsonOption = False,
    show_all: Annotated[bool, typer.Option("--all", help="include resolved items")] = False,
) -> None:
    """The open work items, oldest first: denials, unmatched payments, recoupments …

    Example: ``edigateway workqueue list --json``
    """
    from edigateway.services.appeals import open_due_reminders
    from edigateway.services.work_queue import work_items

    with open_gateway() as gateway:
        open_due_reminders(gateway.database, now=gateway.clock())
        items = work_items(gateway.database, include_resolved=show_all)
    emit(
        items,
        json=as_json,
        text=_item_lines,
        document=lambda items: [item.as_json() for item in items],
    )


def _item_lines(items: list[WorkItem]) -> Iterator[str]:
    if not items:
        yield "the work queue is empty"
    for item in items:
        yield f"#{item.id} [{item.reason}] {item.claim or '-'}: {item.message}"


@app.command("resolve")
@exit_codes()
def workqueue_resolve(
    item_id: Annotated[int, typer.Argument(help="the work item's number (#N in the list)")],
    note: Annotated[
        str, typer.Option(help="what was done: corrected claim sent, appeal sent, written off …")
    ],
    as_json: JsonOption = False,
) -> None:
    """Close a work item with a note (audited as the CLI user).

    Example: ``edigateway workqueue resolve 12 --note "appeal sent 2026-11-23"``
    """
    from edigateway.services.work_queue import resolve_work_item

    with open_gateway() as gateway:
        result = resolve_work_item(gateway.database, item_id, note=note, now=gateway.clock())
    emit(
        result,
        json=as_json,
        text=lambda result: (f"#{item_id} resolved: {result.resolution_note}",),
    )
