"""Segments every 5010 guide writes the same way: the interchange envelope, NM1/N3/N4.

Guide modules build on these; anything a guide narrows is a parameter, so the guide's own
module still says everything that is particular to it.
"""

from __future__ import annotations

from collections.abc import Sequence

from edigateway.x12.spec.model import UNBOUNDED, Composite, Element, Loop, Segment, Usage

E = Element
C = Composite
Seg = Segment
N: Usage = "N"
STATES = "states"
COUNTRY = "country"
ID_QUALIFIERS = ["01", "14", "20", "27", "28", "29", "30", "33", "ZZ"]
NM1_SYNTAX = ["P0809", "C1110", "C1203"]


def nm1(
    entity: Sequence[str],
    name: str,
    *,
    usage: Usage = "R",
    kind: Sequence[str] | None = None,
    last: Usage = "R",
    first: Usage = "S",
    middle: Usage = "S",
    suffix: Usage = "S",
    qualifiers: Sequence[str] | None = None,
    id_usage: Usage = "R",
) -> Segment:
    """NM1 with the usual layout: person name parts only when NM102 may be 1 (person);
    NM106 and NM110-NM112 never; NM108/NM109 only with ``qualifiers``."""
    person = list(kind or ["1", "2"]) != ["2"]
    return Seg(
        "NM1",
        name,
        usage,
        1,
        [
            E("98", "R", entity),
            E("1065", "R", kind or ["1", "2"]),
            E("1035", last),
            E("1036", first if person else N),
            E("1037", middle if person else N),
            E("1038", N),
            E("1039", suffix if person else N),
            E("66", id_usage if qualifiers else N, qualifiers),
            E("67", id_usage if qualifiers else N),
            E("706", N),
            E("98", N),
            E("1035", N),
        ],
        NM1_SYNTAX,
    )


def n3(name: str, usage: Usage = "R") -> Segment:
    """Street address (one or two lines)."""
    return Seg("N3", name, usage, 1, [E("166"), E("166", "S")])


def n4(name: str, usage: Usage = "R", *, location: Usage = N) -> Segment:
    """City, state, ZIP, country (state and country from external lists); N405/N406
    (location qualifier/identifier) only where the guide uses them (``location``)."""
    return Seg(
        "N4",
        name,
        usage,
        1,
        [
            E("19"),
            E("156", "S", external=STATES),
            E("116", "S"),
            E("26", "S", external=COUNTRY),
            E("309", location),
            E("310", location),
            E("1715", "S"),
        ],
        ["E0207", "C0605", "C0704"],
    )


def envelope(
    gs01: str,
    st01: str,
    version: str,
    header: Sequence[Segment | Loop],
    detail: Sequence[Segment | Loop],
    footer: Sequence[Segment | Loop] = (),
    *,
    st03: Usage = "R",
) -> Loop:
    """ISA/GS/ST … SE/GE/TA1/IEA around a transaction's three tables, as pyx12 wants a map
    to describe the whole interchange. ST03 repeats GS08 (required in every 5010 guide we
    write; the 835 does not use it)."""
    isa = Seg(
        "ISA",
        "Interchange Control Header",
        "R",
        1,
        [
            E("I01", "R", ["00", "03"]),
            E("I02"),
            E("I03", "R", ["00", "01"]),
            E("I04"),
            E("I05", "R", ID_QUALIFIERS),
            E("I06"),
            E("I05", "R", ID_QUALIFIERS),
            E("I07"),
            E("I08"),
            E("I09"),
            E("I65", name="Repetition Separator"),
            E("I11", "R", ["00501"]),
            E("I12"),
            E("I13", "R", ["0", "1"]),
            E("I14", "R", ["P", "T"]),
            E("I15"),
        ],
    )
    gs = Seg(
        "GS",
        "Functional Group Header",
        "R",
        1,
        [
            E("479", "R", [gs01]),
            E("142"),
            E("124"),
            E("373"),
            E("337"),
            E("28"),
            E("455", "R", ["X"]),
            E("480", "R", [version]),
        ],
    )
    st = Seg(
        "ST",
        "Transaction Set Header",
        "R",
        1,
        [E("143", "R", [st01]), E("329"), E("1705", st03, [version])],
    )
    se = Seg("SE", "Transaction Set Trailer", "R", 1, [E("96"), E("329")])
    ge = Seg("GE", "Functional Group Trailer", "R", 1, [E("97"), E("28")])
    ta1 = Seg(
        "TA1",
        "Interchange Acknowledgment",
        "S",
        1,
        [E("I12"), E("I08"), E("I09"), E("I17", "R", ["A", "E", "R"]), E("I18")],
    )
    iea = Seg("IEA", "Interchange Control Trailer", "R", 1, [E("I16"), E("I12")])
    st_loop = Loop(
        "ST_LOOP",
        "Transaction Set Header",
        "R",
        UNBOUNDED,
        [
            st,
            Loop("HEADER", "Table 1 - Header", "R", 1, header, kind="wrapper"),
            Loop("DETAIL", "Table 2 - Detail", "S", UNBOUNDED, detail, kind="wrapper"),
            Loop("FOOTER", "Table 3 - Footer", "S" if footer else N, 1, footer, kind="wrapper"),
            se,
        ],
        kind="explicit",
    )
    gs_loop = Loop(
        "GS_LOOP", "Functional Group Header", "R", UNBOUNDED, [gs, st_loop, ge], kind="explicit"
    )
    return Loop(
        "ISA_LOOP",
        "Interchange Control Header",
        "R",
        UNBOUNDED,
        [isa, gs_loop, ta1, iea],
        kind="explicit",
    )
