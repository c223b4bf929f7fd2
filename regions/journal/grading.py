"""The arithmetic of marks: the weighted average, how it rounds to a mark, and how many more
marks a student needs to reach a 4 or a 5. Pure functions over exact fractions — no database,
no floating point (3.4999… must never become a 4).

The rule, written once:

* average = Σ(value on the 5-point scale × weight) / Σ weight over the live marks of the
  period; marks that count in no average (pass/fail) are left out; no such marks → no average;
* the period's mark is the average rounded half up: 2.5 → 3, 3.5 → 4, 4.5 → 5 (so a 4 needs
  an average ≥ 3.5 and a 5 needs ≥ 4.5), the usual rule of Russian schools;
* "marks still needed for a 5 (a 4)": for each control-form weight ``w`` in use, the least
  number ``n`` of fives of weight ``w`` after which the average is ≥ 4.5 (≥ 3.5).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

#: the lowest average that rounds to each mark (round half up)
THRESHOLDS: dict[int, Fraction] = {5: Fraction(9, 2), 4: Fraction(7, 2), 3: Fraction(5, 2)}
TOP = Fraction(5)

#: what a final mark may be: the 5-point marks, pass/fail, and the two special entries
FINAL_VALUES = ["5", "4", "3", "2", "зч", "нз", "н/а", "осв"]


@dataclass(frozen=True)
class Totals:
    """Σ(value × weight) and Σ weight of the marks that count."""

    weighted_sum: Fraction = Fraction(0)
    weight: int = 0

    @property
    def average(self) -> Fraction | None:
        return self.weighted_sum / self.weight if self.weight else None

    def plus(self, value_five: Decimal | Fraction | int | None, weight: int) -> Totals:
        if value_five is None:
            return self
        return Totals(self.weighted_sum + Fraction(value_five) * weight, self.weight + weight)


def totals(marks: Iterable[tuple[Decimal | Fraction | int | None, int]]) -> Totals:
    """Totals of ``(value_on_5, weight)`` pairs; ``None`` values (pass/fail) count nowhere."""
    # Decimal sums are exact for the stored values (two decimals) and much cheaper than a
    # Fraction per mark; a journal page totals every student's marks.
    decimal_sum, fraction_sum, weight_sum = Decimal(0), Fraction(0), 0
    for value, weight in marks:
        if value is None:
            continue
        if isinstance(value, Fraction):
            fraction_sum += value * weight
        else:
            decimal_sum += Decimal(value) * weight
        weight_sum += weight
    return Totals(Fraction(decimal_sum) + fraction_sum, weight_sum)


def weighted_average(marks: Iterable[tuple[Decimal | Fraction | int | None, int]]) -> Fraction | None:
    return totals(marks).average


def round_mark(average: Fraction) -> int:
    """The mark an average rounds to, half up (3.5 → 4), never below 1 nor above 5."""
    return max(1, min(5, math.floor(average + Fraction(1, 2))))


def as_decimal(average: Fraction | None, places: int = 2) -> Decimal | None:
    """For display and storage: the average with ``places`` decimals, half up."""
    if average is None:
        return None
    exact = Decimal(average.numerator) / Decimal(average.denominator)
    return exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def fives_needed(current: Totals, *, weight: int, target: int) -> int:
    """The least number of fives of ``weight`` after which the average rounds to ``target``
    (≥ its threshold). 0 when it already does; at least 1 when there is no average yet."""
    if weight < 1:
        raise ValueError(_("Вес должен быть не меньше 1"))
    threshold = THRESHOLDS[target]
    average = current.average
    if average is not None and average >= threshold:
        return 0
    # (S + 5·w·n) / (W + w·n) ≥ t  ⇔  n ≥ (t·W − S) / (w·(5 − t))   (t < 5, so the divisor > 0);
    # with t = p/q and S = a/b, in integers: n ≥ (p·W·b − a·q) / (b·w·(5q − p))
    p, q = threshold.numerator, threshold.denominator
    a, b = current.weighted_sum.numerator, current.weighted_sum.denominator
    numerator, denominator = p * current.weight * b - a * q, b * weight * (5 * q - p)
    return max(1, -(-numerator // denominator))


@dataclass(frozen=True)
class Hint:
    target: int
    weight: int
    count: int


def hints(current: Totals, weights: Sequence[int]) -> list[Hint]:
    """For a 4 and a 5 (only those not reached yet), the fives needed of each weight. None
    without marks: any first five makes a 5, and a list of "1 five of weight w" for every
    weight only says that at length."""
    result: list[Hint] = []
    average = current.average
    if average is None:
        return result
    for target in (4, 5):
        if average is not None and average >= THRESHOLDS[target]:
            continue
        for weight in sorted(set(weights)):
            result.append(Hint(target, weight, fives_needed(current, weight=weight, target=target)))
    return result


def hint_lines(hints: Sequence[Hint]) -> list[str]:
    """«До 5: 2 пятёрки с весом 1 или 1 пятёрка с весом 3»."""
    lines = []
    for target in (4, 5):
        options = [
            ngettext("%(count)s пятёрка с весом %(weight)s", "%(count)s пятёрок с весом %(weight)s", h.count)
            % {"count": h.count, "weight": h.weight}
            for h in hints
            if h.target == target
        ]
        if options:
            lines.append(
                _("До %(target)s: %(options)s") % {"target": target, "options": _(" или ").join(options)}
            )
    return lines


def plural_ru(n: int, one: str, few: str, many: str) -> str:
    """«1 пятёрка», «2 пятёрки», «5 пятёрок» (the rule of ``locale/ru``'s Plural-Forms, which
    gives ``ngettext`` its three Russian forms)."""
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many
