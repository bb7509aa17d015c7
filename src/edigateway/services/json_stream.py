"""JSON written while it is still being read: a document whose lists are iterators.

A 20,000-claim 835 is 65 MB of indented JSON; built whole and then dumped it took 666 MB
and most of the time in the standard library's pure-Python indenting encoder. Here a
document is an ordinary dict/list tree in which

* a list may be any iterator — its items are produced, written and dropped one by one;
* a pydantic model may stand as a :class:`Dump` — written by pydantic's own (compiled)
  serialiser, not converted to dicts first;
* a value known only once everything before it has been written (a file's totals after
  its claims) stands as a :class:`Later`.

:func:`iter_json` yields the text of ``json.dumps(document, indent=indent)`` exactly, byte
for byte (ASCII only, as the standard library escapes), so a streamed document is the
same as the document :func:`materialise` builds in memory. :func:`iter_jsonl` writes the
same document as JSON Lines: one object per line, each named by its ``record``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel


@dataclass(frozen=True, slots=True)
class Dump:
    """A pydantic model in a document, dumped as pydantic dumps it in ``mode="json"``
    (decimals and dates as strings), leaving out ``None`` or default fields if asked."""

    model: BaseModel
    exclude_none: bool = False
    exclude_defaults: bool = False

    def plain(self) -> Any:
        """The model as plain JSON values (what :func:`materialise` puts in its place)."""
        return self.model.model_dump(
            mode="json", exclude_none=self.exclude_none, exclude_defaults=self.exclude_defaults
        )

    def text(self, indent: int | None) -> str:
        """The model's JSON, ``indent`` deep (compact with ``None``).

        pydantic writes non-ASCII characters as they are where the standard library
        escapes them; such a model (rare in X12, whose basic character set is ASCII) is
        written through :func:`json.dumps` so that the bytes stay the same either way.
        """
        text = self.model.model_dump_json(
            indent=indent, exclude_none=self.exclude_none, exclude_defaults=self.exclude_defaults
        )
        if text.isascii():
            return text
        return json.dumps(
            self.plain(), indent=indent, separators=None if indent is not None else (",", ":")
        )


@dataclass(frozen=True, slots=True)
class Later:
    """A value computed only when the writer reaches it, i.e. once every value before it
    in the document has been written (totals after the items they add up)."""

    compute: Callable[[], Any]


@dataclass(frozen=True, slots=True)
class Records:
    """How :func:`iter_jsonl` names the lines of a document: ``names`` maps a list's key
    to the record its items become (``"claims": "claim"``); ``links`` maps a nested list's
    key to the field of its parent each item line repeats (``"remittances":
    "trace_number"``: every claim line names its payment's trace number)."""

    names: Mapping[str, str]
    links: Mapping[str, str] = field(default_factory=dict)


def materialise(value: Any) -> Any:
    """``value`` with every iterator a list, every :class:`Dump` plain and every
    :class:`Later` computed, in document order (small files, tests)."""
    if isinstance(value, Later):
        return materialise(value.compute())
    if isinstance(value, Dump):
        return value.plain()
    if isinstance(value, dict):
        return {key: materialise(item) for key, item in value.items()}
    if isinstance(value, list | tuple | Iterator):
        return [materialise(item) for item in value]
    return value


def iter_json(value: Any, indent: int | None = 2, level: int = 0) -> Iterator[str]:
    """The text of ``json.dumps(materialise(value), indent=indent)`` in pieces, producing
    each iterator's items only as they are written; with ``indent=None`` compact, as
    ``json.dumps(…, separators=(",", ":"))`` writes it (the API's answers)."""
    if isinstance(value, Later):
        yield from iter_json(value.compute(), indent, level)
    elif isinstance(value, Dump):
        text = value.text(indent)
        yield text.replace("\n", "\n" + " " * (indent * level)) if indent and level else text
    elif isinstance(value, dict):
        colon = ":" if indent is None else ": "
        members = ((json.dumps(key) + colon, item) for key, item in value.items())
        yield from _container("{", "}", members, indent, level)
    elif isinstance(value, list | tuple | Iterator):
        yield from _container("[", "]", (("", item) for item in value), indent, level)
    else:
        yield json.dumps(value, separators=(",", ":") if indent is None else None)


def _container(
    opening: str,
    closing: str,
    members: Iterable[tuple[str, Any]],
    indent: int | None,
    level: int,
) -> Iterator[str]:
    """A dict's or list's members, one a line, as :func:`json.dumps` indents them (an
    empty one as ``{}``/``[]``), or one after the other when compact."""
    inner = "" if indent is None else "\n" + " " * (indent * (level + 1))
    first = True
    for prefix, item in members:
        yield (opening if first else ",") + inner + prefix
        first = False
        yield from iter_json(item, indent, level + 1)
    if first:
        yield opening + closing
    else:
        yield ("" if indent is None else "\n" + " " * (indent * level)) + closing


def iter_jsonl(document: Mapping[str, Any], records: Records) -> Iterator[str]:
    """``document`` as JSON Lines, each line ending ``\\n``: the fields before its first
    list named in ``records`` as a ``{"record": "file", …}`` line, each item of that list
    as a line of its own (``{"record": "claim", …}``; an item that itself holds a named
    list as its own head line, its items' lines and a ``…_end`` line), and the fields
    after the list as an ``end`` line. Lists not named in ``records`` stay inside their
    line."""
    yield from _split(document, records, "file", {})


def _split(
    document: Mapping[str, Any], records: Records, record: str, carry: dict[str, Any]
) -> Iterator[str]:
    """The lines of ``document`` (see :func:`iter_jsonl`); ``carry``: the fields every
    item and end line repeats (the parent's identifier)."""
    head: dict[str, Any] = {"record": record}
    tail: dict[str, Any] | None = None
    for key, value in document.items():
        name = records.names.get(key)
        if tail is not None or name is None:
            (head if tail is None else tail)[key] = value
            continue
        yield _line(head)
        tail = {"record": "end" if record == "file" else f"{record}_end", **carry}
        via = records.links.get(key)
        for item in materialise(value) if isinstance(value, Later) else value:
            if isinstance(item, Mapping) and any(k in records.names for k in item):
                yield from _split(item, records, name, {name: item[via]} if via else {})
            else:
                yield _line({"record": name, **carry}, item)
    if tail is None:
        yield _line(head)
    elif len(tail) > 1 + len(carry):
        yield _line(tail)


def _line(fields: dict[str, Any], item: Any = None) -> str:
    """One line: ``fields`` followed, when given, by ``item``'s own fields (an item that
    is not an object goes in as ``value``)."""
    text = json.dumps(materialise(fields), separators=(",", ":"))
    if item is None:
        return text + "\n"
    body = (
        item.text(None)
        if isinstance(item, Dump)
        else json.dumps(materialise(item), separators=(",", ":"))
    )
    if body.startswith("{"):
        return text[:-1] + ("," + body[1:] if body != "{}" else "}") + "\n"
    return text[:-1] + ',"value":' + body + "}\n"
