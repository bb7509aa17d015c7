"""271 Eligibility, Coverage or Benefit Information (005010X279A1) → :class:`DentalBenefits`.

One :class:`~edigateway.domain.eligibility.DentalBenefits` per patient (2000C subscriber, or
2000D dependent). The EB segments are read the way dental payers send them::

    EB*1**35**PPO PLUS~                       active coverage, plan name
    EB*A*IND*25***27**.2****Y~                basic (restorative): patient pays 20 % in network
    EB*C*IND*35***23*50*****Y~                deductible $50 per calendar year …
    EB*C*IND*35***29*25*****Y~                … $25 of it remaining
    EB*F*IND*35***23*1500*****Y~              annual maximum $1,500 …
    EB*F*IND*38***32*2000~                    orthodontic lifetime maximum
    EB*F*IND*38******S8*19~                   orthodontics up to age 19
    EB*F*IND*41*****VS*2****AD:D1110~         frequency limit on D1110 …
    HSD*VS*2***23~                            … 2 per calendar year
    MSG*12 MONTH WAITING PERIOD FOR MAJOR~    kept as a waiting period, in the payer's words
    AAA*N**72*C~                              rejection: invalid member ID, correct and resend

Nothing is inferred: a category the payer did not mention is absent (the report says "not
stated"), and a remaining amount without its period is kept with ``period="not_stated"``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Final

from edigateway.domain.code_lists import HSD_QUANTITIES, SERVICE_TYPES
from edigateway.domain.eligibility import (
    CATEGORY_OF_SERVICE_TYPE,
    Accumulator,
    AccumulatorPeriod,
    AgeLimit,
    CategoryBenefit,
    CoverageLevel,
    DentalBenefits,
    Frequency,
    FrequencyPeriod,
    Network,
    Rejection,
    ServiceHistory,
    WaitingPeriod,
)
from edigateway.errors import X12Location, X12StructureError
from edigateway.x12.envelope import (
    Expect,
    InterchangeParams,
    Segment,
    SegmentWriter,
    write_interchange,
)
from edigateway.x12.formats import QUANTITY_DIGITS, is_digits, x12_amount, x12_date
from edigateway.x12.reader import SegmentReader
from edigateway.x12.x270_005010X279A1 import originator_id

if TYPE_CHECKING:
    from collections.abc import Iterator
    from datetime import date

    from edigateway.domain.eligibility import EligibilityInquiry
    from edigateway.x12.envelope import Source

KEY: Final = "271"
GUIDE: Final = "005010X279A1"

REJECT_REASONS: Final = {
    "04": "authorized quantity exceeded",
    "15": "required application data missing",
    "33": "input errors",
    "35": "out of network",
    "41": "authorization/access restrictions",
    "42": "the payer cannot respond at this time",
    "43": "invalid or missing provider ID",
    "44": "invalid or missing provider name",
    "45": "invalid or missing provider specialty",
    "46": "invalid or missing provider phone number",
    "47": "invalid or missing provider state",
    "48": "invalid or missing referring provider ID",
    "49": "provider is not the primary care provider",
    "50": "provider ineligible for inquiries",
    "51": "provider not on file",
    "52": "service dates not within provider plan enrollment",
    "53": "inquired benefit inconsistent with provider type",
    "54": "inappropriate product/service ID qualifier",
    "55": "inappropriate product/service ID",
    "56": "inappropriate date",
    "57": "invalid or missing date(s) of service",
    "58": "invalid or missing date of birth",
    "60": "date of birth follows date(s) of service",
    "61": "date of death precedes date(s) of service",
    "62": "date of service not within allowable inquiry period",
    "63": "date of service in future",
    "64": "invalid or missing patient ID",
    "65": "invalid or missing patient name",
    "66": "invalid or missing patient gender code",
    "67": "patient not found",
    "68": "duplicate patient ID number",
    "69": "inconsistent with patient's age",
    "70": "inconsistent with patient's gender",
    "71": "patient birth date does not match that for the patient on the database",
    "72": "invalid or missing subscriber/insured ID",
    "73": "invalid or missing subscriber/insured name",
    "74": "invalid or missing subscriber/insured gender code",
    "75": "subscriber/insured not found",
    "76": "duplicate subscriber/insured ID number",
    "77": "subscriber found, patient not found",
    "78": "subscriber/insured not in group/plan identified",
    "79": "invalid participant identification",
    "80": "no response received - transaction terminated",
    "97": "invalid or missing provider address",
    "T4": "payer name or identifier missing",
}
FOLLOW_UP: Final = {
    "C": (True, "correct the request and send it again"),
    "N": (False, "do not send it again"),
    "P": (True, "send the original request again"),
    "R": (True, "it may be sent again"),
    "S": (False, "do not send it again; the payer asked a third party"),
    "W": (True, "wait 30 days, then send it again"),
    "X": (True, "wait 10 days, then send it again"),
    "Y": (False, "do not send it again; the payer will answer later"),
}
PERIODS: Final[dict[str, AccumulatorPeriod]] = {
    "22": "service_year",
    "23": "calendar_year",
    "25": "contract",
    "32": "lifetime",
    "27": "visit",
}
FREQUENCY_PERIODS: Final[dict[str, FrequencyPeriod]] = {
    "6": "hour",
    "7": "day",
    "13": "24_hours",
    "21": "year",
    "22": "service_year",
    "23": "calendar_year",
    "24": "year_to_date",
    "25": "contract",
    "26": "episode",
    "27": "visit",
    "28": "outlier",
    "29": "remaining",
    "30": "exceeded",
    "31": "not_exceeded",
    "32": "lifetime",
    "33": "lifetime_remaining",
    "34": "month",
    "35": "week",
    "36": "admission",
}
"""Every time period qualifier (element 615, :data:`TIME_PERIODS`) as a frequency period."""
REMAINING: Final = frozenset({"remaining", "lifetime_remaining"})
HISTORY_DATES: Final = frozenset({"472", "304"})
"""2110C/D DTP qualifiers that say when a service was last done: 472 service, 304 latest
visit or consultation."""
NETWORK: Final[dict[str, Network]] = {"Y": "in", "N": "out", "W": "both", "U": "unknown"}
AGE_QUALIFIERS: Final = {"S7": "maximum_age", "S8": "minimum_age"}
"""EB09 S7 "age, high value" (up to that age) and S8 "age, low value" (from that age)."""
COUNTED: Final = frozenset({"VS", "P6"})
"""EB09 quantities that count services (visits, services or procedures): with EB06 a
period they are a frequency limit, as an HSD would say it."""
LEVEL_NAMES: Final = {
    "2000A": "payer",
    "2100A": "payer",
    "2000B": "provider",
    "2100B": "provider",
    "2000C": "subscriber",
    "2100C": "subscriber",
    "2110C": "subscriber",
    "2000D": "dependent",
    "2100D": "dependent",
    "2110D": "dependent",
}


@dataclass(slots=True)
class _Eb:
    seg: Segment
    info: str
    level: str
    service_types: list[str]
    period: str
    amount: Decimal | None
    percent: Decimal | None
    quantity_qualifier: str
    quantity: str
    network: Network
    procedures: list[str]
    plan: str | None = None
    hsd: list[Segment] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    dates: list[tuple[str, date]] = field(default_factory=list)


@dataclass(slots=True)
class Parsed271:
    """Every patient's benefits in a 271 (see :func:`iter_271`), held in memory."""

    benefits: list[DentalBenefits]


def read_271(source: Source, *, name: str | None = None) -> Parsed271:
    """Read a 271 from bytes, a path or segments (see module docstring) into a list."""
    return Parsed271(list(iter_271(source, name=name)))


def iter_271(source: Source, *, name: str | None = None) -> Iterator[DentalBenefits]:
    """Stream a 271's benefits, patient by patient (2000C subscriber or 2000D dependent)
    as each is read: memory holds one patient, however many the file answers for.

    Rejections (AAA) at the payer (2000A/2100A) or provider (2000B/2100B) level come
    before the patients under them, so each patient's ``rejections`` starts with its
    payer's and provider's; rejections that reached no patient (a rejected inquiry: no
    subscriber loop) end their payer's part as an entry of their own, so a rejected
    inquiry never reads as an empty answer. The file is checked to its end."""
    reader = _Reader.reading(source, name, list_skipped=False)
    yield from reader.stream(source)
    if not reader.envelope.groups_read:
        raise X12StructureError(
            "no GS segment: not a 271 interchange", X12Location(file=reader.file)
        )


class _Reader(SegmentReader[DentalBenefits]):
    """Payer and provider levels for rejections; one patient's benefits per 2000C/2000D,
    each EB with the HSD and MSG segments after it, emitted when the next HL, the SE or
    the file's end closes it."""

    key = KEY
    expect = Expect.of(KEY, verify=False, sniffed=True)

    def __init__(self, file: str | None) -> None:
        super().__init__(file)
        self.payer: dict[str, Any] = {}
        self.upper: list[tuple[bool, Rejection]] = []
        """The current payer's (``True``) and provider's (``False``) rejections."""
        self.undelivered: list[Rejection] = []
        """Those of :attr:`upper` (and of providers before) no patient has carried yet."""
        self.person: dict[str, Any] | None = None
        self.named = False
        self.ebs: list[_Eb] = []

    def envelope_segment(self, kind: str, seg: Segment) -> None:
        if kind == "SE":
            if self.person is not None:
                self._finish_person(seg)
            self._finish_payer()

    def other(self, seg: Segment) -> None:
        """Segments the benefits do not need (PRV, N3/N4, III, LS/LE …) are passed over."""

    def finish(self) -> None:
        super().finish()
        if self.person is not None and self.envelope.last is not None:
            self._finish_person(self.envelope.last)  # a file cut short: what it holds
        self._finish_payer()

    def _seg_HL(self, seg: Segment) -> None:
        level = seg.element(3)
        self.named = not self.started  # an HL of no known level names nothing
        if level == "20":
            self._finish_person(seg)
            self._finish_payer()
            self.payer = {}
        if level == "21":
            self._finish_person(seg)
            self.upper = [(payer, r) for payer, r in self.upper if payer]
        if level == "22":
            self._finish_person(seg)
            self.person = {
                "payer_name": self.payer.get("name"),
                "payer_id": self.payer.get("id"),
                "messages": [],
                "rejections": [],
            }
        elif level == "23" and self.person is not None:
            subscriber = {
                k: v
                for k, v in self.person.items()
                if k
                in (
                    "subscriber",
                    "member_id",
                    "trace_number",
                    "group_number",
                    "group_name",
                    "plan_name",
                )
            }
            self._finish_person(seg, keep_if_empty=False)
            self.person = {
                "payer_name": self.payer.get("name"),
                "payer_id": self.payer.get("id"),
                "messages": [],
                "rejections": [],
                **subscriber,
            }

    def _seg_NM1(self, seg: Segment) -> None:
        """The first NM1 after an HL names its level; later ones (2120C/D) are not read."""
        if self.named:
            return
        self.named = True
        if self.loop == "2100A":
            self.payer = {"name": seg.element(3) or None, "id": seg.element(9) or None}
        elif self.loop in ("2100C", "2100D") and self.person is not None:
            name = {"last_name": seg.element(3) or "UNKNOWN", "first_name": seg.element(4) or None}
            if self.loop == "2100C":
                self.person["subscriber"] = name
                if seg.element(1) == "IL" and seg.element(9):
                    self.person["member_id"] = seg.element(9)
            else:
                self.person["patient"] = name

    def _seg_AAA(self, seg: Segment) -> None:
        code, follow = seg.element(3), seg.element(4)
        retry, advice = FOLLOW_UP.get(follow, (False, "the payer gave no follow-up advice"))
        rejection = self.model(
            seg,
            Rejection,
            {
                "level": LEVEL_NAMES.get(self.loop, self.loop),
                "code": code,
                "reason": REJECT_REASONS.get(code, f"reject reason {code} (not in our list)"),
                "follow_up": follow or None,
                "retry": retry,
                "advice": advice,
            },
            prefix="the benefits do not read: ",
        )
        if self.person is not None and self.loop not in ("2000A", "2100A", "2000B", "2100B"):
            self.person["rejections"].append(rejection)
        else:
            self.upper.append((self.loop in ("2000A", "2100A"), rejection))
            self.undelivered.append(rejection)

    def _seg_TRN(self, seg: Segment) -> None:
        if self.person is not None:
            self.person.setdefault("trace_number", seg.element(2))

    def _seg_REF(self, seg: Segment) -> None:
        q = seg.element(1)
        if self.person is None or q not in ("6P", "18", "IG", "1L"):
            return
        if q in ("6P", "1L") and seg.element(2):
            self.person["group_number"] = seg.element(2)
        if seg.element(3):
            self.person["group_name" if q in ("6P", "1L") else "plan_name"] = seg.element(3)

    def _seg_DTP(self, seg: Segment) -> None:
        """2100C/D dates are the plan's; a 2110C/D date belongs to the EB before it (the
        last time a procedure was done, when a waiting period ends)."""
        if self.person is None or self.loop not in ("2100C", "2100D", "2110C", "2110D"):
            return
        qualifier, fmt, value = seg.element(1), seg.element(2), seg.element(3)
        if fmt == "RD8" and "-" in value:
            begin, end = (self.date(seg, 3, v) for v in value.split("-", 1))
        else:
            begin = end = self.date(seg, 3)
        if self.loop in ("2110C", "2110D"):
            if self.ebs and begin is not None:
                self.ebs[-1].dates.append((qualifier, end if qualifier in HISTORY_DATES else begin))
            return
        if qualifier in ("346", "291", "292"):
            self.person["plan_begin"] = begin
            if fmt == "RD8":
                self.person["plan_end"] = end
        elif qualifier == "347":
            self.person["plan_end"] = end
        elif qualifier == "356":
            self.person["eligibility_begin"] = begin

    def _seg_EB(self, seg: Segment) -> None:
        if self.person is None:
            return
        procedures = seg.components(13)
        self.ebs.append(
            _Eb(
                seg=seg,
                info=seg.element(1),
                level=seg.element(2),
                service_types=[s for s in seg.repeats(3) if s],
                period=seg.element(6),
                amount=self.amount(seg, 7),
                percent=self.percent(seg, 8),
                quantity_qualifier=seg.element(9),
                quantity=seg.element(10),
                network=NETWORK.get(seg.element(12), "not_stated"),
                procedures=[procedures[1]] if len(procedures) > 1 and procedures[1] else [],
            )
        )

    def _seg_HSD(self, seg: Segment) -> None:
        if self.person is not None and self.ebs:
            self.ebs[-1].hsd.append(seg)

    def _seg_MSG(self, seg: Segment) -> None:
        if self.person is None:
            return
        if self.ebs and self.loop in ("2110C", "2110D"):
            self.ebs[-1].messages.append(seg.element(1))
        else:
            self.person["messages"].append(seg.element(1))

    # -- assembling one patient's benefits
    def _finish_person(self, at: Segment, *, keep_if_empty: bool = True) -> None:
        person, ebs = self.person, self.ebs
        self.person, self.ebs = None, []
        if person is None or (not keep_if_empty and not ebs and not person["rejections"]):
            return
        for eb in ebs:
            for hsd in eb.hsd:
                if hsd.element(5) and hsd.element(5) not in FREQUENCY_PERIODS:
                    raise X12StructureError(
                        f"HSD05 {hsd.element(5)!r} is not an X12 time period qualifier",
                        hsd.location(self.file, "2110D" if self.loop == "2110D" else "2110C", 5),
                    )
        if self.upper:
            person["rejections"] = [*(r for _, r in self.upper), *person["rejections"]]
            carried = {id(r) for _, r in self.upper}
            self.undelivered = [r for r in self.undelivered if id(r) not in carried]
        self.emit(
            self.model(
                at, DentalBenefits, _assemble(person, ebs), prefix="the benefits do not read: "
            )
        )

    def _finish_payer(self) -> None:
        """A payer's part (2000A) ends: its and its providers' rejections that no patient
        carried become an entry of their own."""
        if self.undelivered:
            self.emit(DentalBenefits(rejections=self.undelivered))
        self.upper, self.undelivered = [], []


def _assemble(person: dict[str, Any], ebs: list[_Eb]) -> dict[str, Any]:
    """One patient's :class:`DentalBenefits` fields from their EB segments."""
    plans = list(
        dict.fromkeys(e.seg.element(5) for e in ebs if e.info in ("1", "6") and e.seg.element(5))
    )
    if len(plans) > 1:
        _bind_plans(ebs)
    person.setdefault("patient", person.get("subscriber"))
    person["plans"] = plans
    person["categories"] = _categories(ebs)
    person["deductibles"] = _accumulators([e for e in ebs if e.info == "C"])
    person["maximums"] = _accumulators([e for e in ebs if e.info == "F" and e.amount is not None])
    person["frequencies"] = [f for e in ebs for f in _frequencies(e)]
    person["age_limits"] = [a for e in ebs if (a := _age_limit(e)) is not None]
    person["waiting_periods"] = [
        WaitingPeriod(
            service_types=e.service_types,
            procedure_codes=e.procedures,
            text=m,
            until=next((d for q, d in e.dates if q == "348"), None),
        )
        for e in ebs
        for m in e.messages
        if "WAIT" in m.upper()
    ]
    person["service_history"] = [h for e in ebs if (h := _history(e)) is not None]
    person["messages"] += [m for e in ebs for m in e.messages if "WAIT" not in m.upper()]
    ortho = [
        a.maximum_age
        for a in person["age_limits"]
        if a.is_orthodontic and a.maximum_age is not None
    ]
    if ortho:
        person["orthodontic_age_limit"] = ortho[0]
    coverage = [
        e.info
        for e in ebs
        if e.info in ("1", "6", "7", "8")
        and (not e.service_types or {"30", "35"} & set(e.service_types))
    ]
    if coverage:
        person["coverage"] = "active" if coverage[0] == "1" else "inactive"
    if plans and "plan_name" not in person:
        person["plan_name"] = plans[0]
    return person


def _history(eb: _Eb) -> ServiceHistory | None:
    """The last date of service an EB states for its procedure or service types."""
    last = max((d for q, d in eb.dates if q in HISTORY_DATES), default=None)
    if last is None or not (eb.procedures or eb.service_types):
        return None
    what = (
        eb.procedures[0]
        if eb.procedures
        else ", ".join(SERVICE_TYPES.get(t, t) for t in eb.service_types)
    )
    return ServiceHistory(
        procedure_code=eb.procedures[0] if eb.procedures else None,
        service_types=eb.service_types,
        last_date=last,
        text=f"{what} last done {last.isoformat()}",
    )


def _bind_plans(ebs: list[_Eb]) -> None:
    """When a 271 names several plans, each EB belongs to the plan named by its own EB05 or
    by the last coverage EB (EB01 1/6) that named one: two plans' coinsurances, maximums
    and limits stay apart instead of the second overwriting the first."""
    current: str | None = None
    for eb in ebs:
        named = eb.seg.element(5) or None
        if eb.info in ("1", "6") and named:
            current = named
        eb.plan = named or current


def _categories(ebs: list[_Eb]) -> list[CategoryBenefit]:
    found: dict[tuple[str, str | None], dict[str, Any]] = {}
    for eb in ebs:
        if eb.info not in ("1", "A", "B", "I", "6"):
            continue
        for service_type in eb.service_types:
            category = CATEGORY_OF_SERVICE_TYPE.get(service_type)
            if category is None:
                continue
            row = found.setdefault(
                (service_type, eb.plan),
                {
                    "category": category,
                    "service_type": service_type,
                    "plan": eb.plan,
                    "procedure_codes": [],
                    "messages": [],
                },
            )
            if eb.info == "1":
                row["covered"] = True
            elif eb.info == "I":
                row["covered"] = False
            elif eb.info in ("A", "B"):
                kind, value = (
                    ("coinsurance", eb.percent) if eb.info == "A" else ("copay", eb.amount)
                )
                if value is not None:
                    for key in _NETWORK_FIELDS[eb.network]:
                        row[f"{kind}_{key}"] = value
            row["procedure_codes"] += [p for p in eb.procedures if p not in row["procedure_codes"]]
            row["messages"] += [m for m in eb.messages if "WAIT" not in m.upper()]
    return [CategoryBenefit.model_validate(v) for v in found.values()]


_NETWORK_FIELDS: Final[dict[Network, tuple[str, ...]]] = {
    "in": ("in_network",),
    "out": ("out_of_network",),
    "both": ("in_network", "out_of_network"),
    "unknown": ("unknown_network",),
    "not_stated": ("in_network",),
}
"""Which CategoryBenefit fields an EB12 value fills: W (both) fills in and out; U (unknown)
only its own field, never in network; an absent EB12 reads as in network, as before."""


def _accumulators(ebs: list[_Eb]) -> list[Accumulator]:
    result: list[Accumulator] = []

    def key(eb: _Eb) -> tuple[CoverageLevel, Network, tuple[str, ...], str | None]:
        level: CoverageLevel = "family" if eb.level == "FAM" else "individual"
        return level, eb.network, tuple(eb.service_types), eb.plan

    def key_of(a: Accumulator) -> tuple[CoverageLevel, Network, tuple[str, ...], str | None]:
        return a.level, a.network, tuple(a.service_types), a.plan

    for eb in ebs:
        if eb.period in ("29", "33", "24") or eb.amount is None:
            continue
        level, network, types, plan = key(eb)
        result.append(
            Accumulator(
                level=level,
                network=network,
                service_types=list(types),
                plan=plan,
                period=PERIODS.get(eb.period, "not_stated"),
                amount=eb.amount,
            )
        )
    for eb in ebs:
        if eb.period not in ("29", "33", "24") or eb.amount is None:
            continue
        level, network, types, plan = key(eb)
        lifetime = eb.period == "33"
        match = next(
            (
                a
                for a in result
                if key_of(a) == key(eb)
                and (a.period == "lifetime") == lifetime
                and a.remaining is None
            ),
            None,
        )
        if eb.period == "24":  # year to date: what was used
            if match is not None and match.amount is not None:
                result[result.index(match)] = match.model_copy(
                    update={"remaining": max(match.amount - eb.amount, Decimal("0.00"))}
                )
            continue
        if match is not None:
            result[result.index(match)] = match.model_copy(update={"remaining": eb.amount})
        else:
            result.append(
                Accumulator(
                    level=level,
                    network=network,
                    service_types=list(types),
                    plan=plan,
                    period="lifetime" if lifetime else "not_stated",
                    remaining=eb.amount,
                )
            )
    return result


def _counts(eb: _Eb) -> list[tuple[str, int, FrequencyPeriod, int]]:
    """(HSD01 qualifier, count, period, period count) of each HSD under ``eb`` — or of the
    EB itself when it counts visits or services (EB09 VS/P6) for its EB06 period."""
    found: list[tuple[str, int, FrequencyPeriod, int]] = []
    for hsd in eb.hsd:
        count = hsd.element(2)
        if not is_digits(count.replace(".", "", 1), QUANTITY_DIGITS):
            continue
        every = int(hsd.element(6)) if is_digits(hsd.element(6), QUANTITY_DIGITS) else 1
        found.append(
            (
                hsd.element(1),
                int(Decimal(count)),
                FREQUENCY_PERIODS.get(hsd.element(5), "not_stated"),
                every,
            )
        )
    if (
        not eb.hsd
        and eb.quantity_qualifier in COUNTED
        and eb.period
        and is_digits(eb.quantity, QUANTITY_DIGITS)
        and eb.amount is None
    ):
        found.append(
            (
                eb.quantity_qualifier,
                int(eb.quantity),
                FREQUENCY_PERIODS.get(eb.period, "not_stated"),
                1,
            )
        )
    return found


def _frequencies(eb: _Eb) -> list[Frequency]:
    """The limits an EB's HSDs state; a "remaining" count (HSD05 29/33) is kept with the
    limit it follows, or on its own when the payer stated only what remains."""
    result: list[dict[str, Any]] = []
    for qualifier, number, period, every in _counts(eb):
        if period in REMAINING and result and result[-1]["remaining"] is None:
            result[-1]["remaining"] = number
            continue
        result.append(
            {
                "count": None if period in REMAINING else number,
                "remaining": number if period in REMAINING else None,
                "period": period,
                "period_count": every,
                "quantity_qualifier": qualifier or None,
            }
        )
    what = ", ".join(eb.procedures) or ", ".join(eb.service_types) or "these services"
    return [
        Frequency(
            **row,
            plan=eb.plan,
            procedure_codes=eb.procedures,
            service_types=eb.service_types,
            text=f"{what}: {_frequency_words(row)}",
        )
        for row in result
    ]


def _frequency_words(row: dict[str, Any]) -> str:
    period: FrequencyPeriod = row["period"]
    qualifier = row["quantity_qualifier"]
    unit = (
        f" {HSD_QUANTITIES[qualifier]}" if qualifier in HSD_QUANTITIES and qualifier != "VS" else ""
    )
    count, remaining, every = row["count"], row["remaining"], row["period_count"]
    words = period.replace("_", " ")
    if count is None:
        return f"{remaining}{unit} remaining" + (
            " for life" if period == "lifetime_remaining" else ""
        )
    if period == "exceeded":
        text = f"limit of {count}{unit} exceeded"
    elif period == "not_exceeded":
        text = f"limit of {count}{unit} not exceeded"
    elif period == "year_to_date":
        text = f"{count}{unit} used this year to date"
    elif every == 1:
        text = f"{count}{unit} per {words}"
    else:
        text = f"{count}{unit} per {every} {words}s"
    return text if remaining is None else f"{text}, {remaining} remaining"


def _age_limit(eb: _Eb) -> AgeLimit | None:
    """The age rule of one EB (EB09 S7/S8), bound to that EB's service types and codes."""
    field_name = AGE_QUALIFIERS.get(eb.quantity_qualifier)
    if field_name is None or not is_digits(eb.quantity, 3):
        return None
    age = int(eb.quantity)
    what = (
        ", ".join(eb.procedures)
        or ", ".join(f"{SERVICE_TYPES.get(t, t).lower()} ({t})" for t in eb.service_types)
        or "benefits"
    )
    rule = f"up to age {age}" if field_name == "maximum_age" else f"from age {age}"
    return AgeLimit(
        service_types=eb.service_types,
        procedure_codes=eb.procedures,
        plan=eb.plan,
        network=eb.network,
        text=f"{what}: {rule}",
        **{field_name: age},
    )


# --------------------------------------------------------------------------- writing

_PERIOD_CODES: Final = {v: k for k, v in PERIODS.items()}
_FREQUENCY_CODES: Final = {v: k for k, v in FREQUENCY_PERIODS.items()}
_NETWORK_CODES: Final = {v: k for k, v in NETWORK.items()}


def write_271(
    answers: list[tuple[EligibilityInquiry, DentalBenefits]], params: InterchangeParams
) -> str:
    """A 271 answering each inquiry with its benefits (the clearinghouse simulator's
    real-time answer); :func:`read_271` reads the same benefits back."""
    return write_interchange(
        params, KEY, [answers], lambda out, _, items: _write_answers(out, items, params)
    )


def _write_answers(
    out: SegmentWriter,
    answers: list[tuple[EligibilityInquiry, DentalBenefits]],
    params: InterchangeParams,
) -> None:
    out.segment(
        "BHT",
        "0022",
        "11",
        f"{params.interchange_control_number:09d}",
        params.created.strftime("%Y%m%d"),
        params.created.strftime("%H%M"),
    )
    hl = 0
    for inquiry, benefits in answers:
        out.claim = inquiry.trace_number
        hl += 1
        source = hl
        out.segment("HL", str(source), "", "20", "1")
        out.segment(
            "NM1", "PR", "2", inquiry.payer.name, "", "", "", "", "PI", inquiry.payer.payer_id
        )
        hl += 1
        receiver = hl
        out.segment("HL", str(receiver), str(source), "21", "1")
        provider = inquiry.provider
        out.segment(
            "NM1",
            "1P",
            "2" if provider.organization_name else "1",
            provider.organization_name or (provider.person.last_name if provider.person else ""),
            provider.person.first_name
            if provider.person and not provider.organization_name
            else "",
            "",
            "",
            "",
            provider.id_qualifier,
            provider.id_value,
        )
        hl += 1
        subscriber = hl
        dependent = inquiry.dependent
        out.segment("HL", str(subscriber), str(receiver), "22", "1" if dependent else "0")
        if dependent is None:
            out.segment("TRN", "2", inquiry.trace_number, originator_id(inquiry))
        sub = inquiry.subscriber
        out.segment(
            "NM1",
            "IL",
            "1",
            sub.name.last_name if sub.name else None,
            sub.name.first_name if sub.name else None,
            "",
            "",
            "",
            "MI",
            sub.member_id,
        )
        if benefits.group_number:
            out.segment("REF", "6P", benefits.group_number, benefits.group_name)
        if dependent is None:
            _rejections_and_dates(out, benefits, sub.date_of_birth, sub.gender, None)
        else:
            hl += 1
            out.segment("HL", str(hl), str(subscriber), "23", "0")
            out.segment("TRN", "2", inquiry.trace_number, originator_id(inquiry))
            named = dependent.name
            out.segment(
                "NM1",
                "03",
                "1",
                named.last_name if named else None,
                named.first_name if named else None,
            )
            _rejections_and_dates(
                out, benefits, dependent.date_of_birth, dependent.gender, dependent.relationship
            )
        _benefit_segments(out, benefits)


def _rejections_and_dates(
    out: SegmentWriter,
    b: DentalBenefits,
    born: date | None,
    gender: str | None,
    relationship: str | None,
) -> None:
    """2100C/D in guide order: AAA, DMG, INS, DTP."""
    for rejection in b.rejections:
        out.segment("AAA", "N", "", rejection.code, rejection.follow_up)
    if born:
        out.segment("DMG", "D8", x12_date(born), gender)
    if relationship:
        out.segment("INS", "N", relationship)
    for qualifier, value in (
        ("346", b.plan_begin),
        ("347", b.plan_end),
        ("356", b.eligibility_begin),
    ):
        if value:
            out.segment("DTP", qualifier, "D8", x12_date(value))


def _benefit_segments(out: SegmentWriter, b: DentalBenefits) -> None:
    """The EB loops for ``b``; with several plans, each plan's coverage EB (naming it in
    EB05) is followed by that plan's own benefits, which is how the reader binds them."""
    in_categories = {m for c in b.categories for m in c.messages}
    several = len(b.plans) > 1
    if several:
        _plan_rows(out, b, None, covered_by_plan=False)
    if b.coverage != "not_stated":
        out.segment(
            "EB",
            "1" if b.coverage == "active" else "6",
            "",
            "35",
            "",
            b.plans[0] if several else b.plan_name,
        )
    for message in b.messages:
        if message not in in_categories:
            out.segment("MSG", message)
    for index, plan in enumerate(b.plans if several else [None]):
        if index > 0:
            out.segment("EB", "1" if b.coverage == "active" else "6", "", "35", "", plan)
        _plan_rows(out, b, plan, covered_by_plan=b.coverage != "not_stated")
    ortho = [a for a in b.age_limits if a.is_orthodontic and a.maximum_age is not None]
    if b.orthodontic_age_limit is not None and (
        not ortho or ortho[0].maximum_age != b.orthodontic_age_limit
    ):
        out.segment("EB", "F", "IND", "38", "", "", "", "", "", "S7", str(b.orthodontic_age_limit))
    for w in b.waiting_periods:
        out.segment("EB", "1", "", tuple(w.service_types) or "35")
        out.segment("MSG", w.text)
    for h in b.service_history:
        # a limitation EB naming the procedure (EB13) or service types, dated by DTP*472
        # (service) for a procedure or DTP*304 (latest visit) for a service type
        composite = ["AD", h.procedure_code] if h.procedure_code else ""
        out.segment(
            "EB", "F", "IND", tuple(h.service_types), "", "", "", "", "", "", "", "", "", composite
        )
        out.segment("DTP", "472" if h.procedure_code else "304", "D8", x12_date(h.last_date))


def _plan_rows(
    out: SegmentWriter, b: DentalBenefits, plan: str | None, *, covered_by_plan: bool
) -> None:
    """Categories, deductibles, maximums, age limits and frequencies of one plan."""
    for c in (c for c in b.categories if c.plan == plan):
        if c.covered is not None and not (c.service_type == "35" and covered_by_plan):
            out.segment("EB", "1" if c.covered else "I", "", c.service_type)
        for network, share in (
            ("Y", c.coinsurance_in_network),
            ("N", c.coinsurance_out_of_network),
            ("U", c.coinsurance_unknown_network),
        ):
            if share is not None:
                out.segment(
                    "EB",
                    "A",
                    "IND",
                    c.service_type,
                    "",
                    "",
                    "",
                    "",
                    format(share.normalize(), "f"),
                    "",
                    "",
                    "",
                    network,
                )
        for network, copay in (
            ("Y", c.copay_in_network),
            ("N", c.copay_out_of_network),
            ("U", c.copay_unknown_network),
        ):
            if copay is not None:
                out.segment(
                    "EB",
                    "B",
                    "IND",
                    c.service_type,
                    "",
                    "",
                    "",
                    x12_amount(copay),
                    "",
                    "",
                    "",
                    "",
                    network,
                )
        for message in c.messages:
            out.segment("MSG", message)
    for info, rows in (("C", b.deductibles), ("F", b.maximums)):
        for a in (a for a in rows if a.plan == plan):
            level = "FAM" if a.level == "family" else "IND"
            types = tuple(a.service_types)
            network = _NETWORK_CODES.get(a.network, "")
            if a.amount is not None:
                out.segment(
                    "EB",
                    info,
                    level,
                    types,
                    "",
                    "",
                    _PERIOD_CODES.get(a.period, ""),
                    x12_amount(a.amount),
                    "",
                    "",
                    "",
                    "",
                    network,
                )
            if a.remaining is not None:
                out.segment(
                    "EB",
                    info,
                    level,
                    types,
                    "",
                    "",
                    "33" if a.period == "lifetime" else "29",
                    x12_amount(a.remaining),
                    "",
                    "",
                    "",
                    "",
                    network,
                )
    for age in (a for a in b.age_limits if a.plan == plan):
        qualifier, years = (
            ("S7", age.maximum_age) if age.maximum_age is not None else ("S8", age.minimum_age)
        )
        composite = ["AD", age.procedure_codes[0]] if age.procedure_codes else ""
        out.segment(
            "EB",
            "F",
            "IND",
            tuple(age.service_types),
            "",
            "",
            "",
            "",
            "",
            qualifier,
            str(years),
            "",
            _NETWORK_CODES.get(age.network, ""),
            composite,
        )
    for f in (f for f in b.frequencies if f.plan == plan):
        composite = ["AD", f.procedure_codes[0]] if f.procedure_codes else ""
        out.segment(
            "EB",
            "F",
            "IND",
            tuple(f.service_types) or "35",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            composite,
        )
        qualifier = f.quantity_qualifier or "VS"
        if f.count is not None:
            out.segment(
                "HSD",
                qualifier,
                str(f.count),
                "",
                "",
                _FREQUENCY_CODES.get(f.period, ""),
                str(f.period_count) if f.period_count != 1 else "",
            )
        if f.remaining is not None:
            out.segment(
                "HSD",
                qualifier,
                str(f.remaining),
                "",
                "",
                "33" if f.period == "lifetime_remaining" else "29",
            )
