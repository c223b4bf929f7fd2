"""The period generator: the usual Russian school calendar for a year, proposed to the regional
admin and editable before saving.

The dates follow the pattern of the Ministry of Education's yearly recommendations: lessons
from 1 September to 26 May; autumn holidays from the Monday nearest to 28 October to 4 November
(День народного единства) or the Sunday after; winter holidays from 31 December to the Sunday after 8 January;
spring holidays of nine days from the last Saturday of March; an extra February week for the
first grade; public holidays 23 February, 8 March, 1 and 9 May. Nothing here is saved: the
proposal is a starting point (a region may shift a week), validated when it is saved.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from regions.academics.models import HolidayKind, PeriodKind

PERIOD_COUNT = {PeriodKind.QUARTER: 4, PeriodKind.TRIMESTER: 3, PeriodKind.SEMESTER: 2}
PERIOD_NAME = {
    PeriodKind.QUARTER: "четверть",
    PeriodKind.TRIMESTER: "триместр",
    PeriodKind.SEMESTER: "полугодие",
}


@dataclass
class PeriodDraft:
    number: int
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    closes_on: datetime.date


@dataclass
class HolidayDraft:
    name: str
    kind: str
    starts_on: datetime.date
    ends_on: datetime.date
    parallels: list[int] = field(default_factory=list)


@dataclass
class YearDraft:
    name: str
    starts_on: datetime.date
    ends_on: datetime.date
    period_kind: str
    periods: list[PeriodDraft]
    holidays: list[HolidayDraft]


D = datetime.date
DAY = datetime.timedelta(days=1)


def _monday_of(day: datetime.date) -> datetime.date:
    return day - datetime.timedelta(days=day.isoweekday() - 1)


def _nearest_monday(day: datetime.date) -> datetime.date:
    back = day.isoweekday() - 1
    return day - datetime.timedelta(days=back) if back <= 3 else day + datetime.timedelta(days=7 - back)


def _sunday_on_or_after(day: datetime.date) -> datetime.date:
    return day + datetime.timedelta(days=(7 - day.isoweekday()) % 7)


def _last_saturday_of_march(year: int) -> datetime.date:
    day = D(year, 3, 31)
    return day - datetime.timedelta(days=(day.isoweekday() - 6) % 7)


def year_name(start_year: int) -> str:
    return f"{start_year}/{start_year + 1}"


def propose_year(start_year: int, period_kind: str = PeriodKind.QUARTER) -> YearDraft:
    """The usual calendar of the school year that starts on 1 September ``start_year``."""
    kind = PeriodKind(period_kind)
    y, n = start_year, start_year + 1
    first_day = D(y, 9, 1) + (DAY if D(y, 9, 1).isoweekday() == 7 else datetime.timedelta(0))
    last_day = D(n, 5, 26)
    autumn_start = _nearest_monday(D(y, 10, 28))
    autumn = (autumn_start, max(D(y, 11, 4), autumn_start + datetime.timedelta(days=6)))
    jan8 = D(n, 1, 8)  # the New Year public holidays end on 8 January
    winter = (D(y, 12, 31), jan8 if jan8.isoweekday() == 1 else _sunday_on_or_after(jan8))
    spring_start = _last_saturday_of_march(n)
    spring = (spring_start, spring_start + datetime.timedelta(days=8))
    february = (_monday_of(D(n, 2, 16)), _monday_of(D(n, 2, 16)) + datetime.timedelta(days=6))
    holidays = [
        HolidayDraft("Осенние каникулы", HolidayKind.VACATION, *autumn),
        HolidayDraft("Зимние каникулы", HolidayKind.VACATION, *winter),
        HolidayDraft("Дополнительные каникулы для 1 классов", HolidayKind.VACATION, *february, parallels=[1]),
        HolidayDraft("День защитника Отечества", HolidayKind.PUBLIC, D(n, 2, 23), D(n, 2, 23)),
        HolidayDraft("Международный женский день", HolidayKind.PUBLIC, D(n, 3, 8), D(n, 3, 8)),
        HolidayDraft("Весенние каникулы", HolidayKind.VACATION, *spring),
        HolidayDraft("Праздник Весны и Труда", HolidayKind.PUBLIC, D(n, 5, 1), D(n, 5, 1)),
        HolidayDraft("День Победы", HolidayKind.PUBLIC, D(n, 5, 9), D(n, 5, 9)),
        HolidayDraft("Летние каникулы", HolidayKind.VACATION, last_day + DAY, D(n, 8, 31)),
    ]
    if kind == PeriodKind.QUARTER:
        bounds = [
            (first_day, autumn[0] - DAY),
            (autumn[1] + DAY, winter[0] - DAY),
            (winter[1] + DAY, spring[0] - DAY),
            (spring[1] + DAY, last_day),
        ]
    elif kind == PeriodKind.TRIMESTER:
        bounds = [
            (first_day, D(y, 11, 30)),
            (D(y, 12, 1), D(n, 3, 1) - DAY),
            (D(n, 3, 1), last_day),
        ]
    else:
        bounds = [(first_day, winter[0] - DAY), (winter[1] + DAY, last_day)]
    year_end = D(n, 8, 31)
    periods = [
        PeriodDraft(
            number=i,
            name=f"{i} {PERIOD_NAME[kind]}",
            starts_on=start,
            ends_on=end,
            closes_on=min(end + datetime.timedelta(days=7), year_end),
        )
        for i, (start, end) in enumerate(bounds, start=1)
    ]
    return YearDraft(
        name=year_name(y),
        starts_on=D(y, 9, 1),
        ends_on=year_end,
        period_kind=kind,
        periods=periods,
        holidays=holidays,
    )
