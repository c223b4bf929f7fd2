"""The weighted average, its rounding and the "marks still needed" hints: examples and
properties (hypothesis)."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from regions.journal.grading import (
    THRESHOLDS,
    Totals,
    as_decimal,
    fives_needed,
    hints,
    plural_ru,
    round_mark,
    totals,
    weighted_average,
)

marks = st.lists(
    st.tuples(st.integers(min_value=1, max_value=5), st.integers(min_value=1, max_value=10)), max_size=40
)
weights = st.integers(min_value=1, max_value=10)


def test_weighted_average_examples():
    assert weighted_average([(5, 1), (4, 3)]) == Fraction(17, 4)
    assert weighted_average([(Decimal(2), 2), (None, 5), (Decimal(5), 1)]) == Fraction(3)
    assert weighted_average([]) is None
    assert weighted_average([(None, 3)]) is None  # pass/fail marks count in no average


@pytest.mark.parametrize(
    ("average", "mark"),
    [
        (Fraction(7, 2), 4),
        (Fraction(349, 100), 3),
        (Fraction(9, 2), 5),
        (Fraction(449, 100), 4),
        (Fraction(5, 2), 3),
        (Fraction(1), 1),
        (Fraction(5), 5),
    ],
)
def test_rounding_is_half_up(average, mark):
    assert round_mark(average) == mark


def test_no_double_rounding():
    # 3.4975 shows as 3.50 but is not a 4
    average = Fraction(13990, 4000)
    assert as_decimal(average) == Decimal("3.50")
    assert round_mark(average) == 3


def test_fives_needed_examples():
    current = totals([(3, 1), (3, 1)])  # 3.0
    # a 4 needs average ≥ 3.5: (6 + 5n)/(2 + n) ≥ 3.5 → n ≥ 2/3 → 1 five of weight 1
    assert fives_needed(current, weight=1, target=4) == 1
    # a 5 needs ≥ 4.5: (6 + 5n)/(2 + n) ≥ 4.5 → n ≥ 6
    assert fives_needed(current, weight=1, target=5) == 6
    # of weight 3: (6 + 15n)/(2 + 3n) ≥ 4.5 → n ≥ 2
    assert fives_needed(current, weight=3, target=5) == 2
    assert fives_needed(totals([(5, 1)]), weight=1, target=5) == 0
    assert fives_needed(Totals(), weight=2, target=5) == 1
    with pytest.raises(ValueError, match="Вес"):
        fives_needed(current, weight=0, target=5)


def test_hints_leave_out_reached_targets():
    assert hints(totals([(4, 1)]), [1, 3]) == [h for h in hints(totals([(4, 1)]), [3, 1, 1]) if h.target == 5]
    assert all(h.target == 5 for h in hints(totals([(4, 1)]), [1, 3]))
    assert hints(totals([(5, 2)]), [1, 2]) == []
    assert hints(Totals(), [1, 2, 3]) == []  # no marks yet: nothing to count up to
    assert {(h.target, h.weight) for h in hints(totals([(2, 1)]), [1, 2])} == {(4, 1), (4, 2), (5, 1), (5, 2)}


@given(marks, weights, st.sampled_from([4, 5]))
def test_fives_needed_is_the_least_that_reaches_the_target(existing, weight, target):
    current = totals(existing)
    n = fives_needed(current, weight=weight, target=target)

    def after(k: int) -> Fraction | None:
        return totals([*existing, *[(5, weight)] * k]).average

    reached = after(n)
    assert reached is not None and reached >= THRESHOLDS[target]
    assert round_mark(reached) >= target
    if n > 0 and current.average is not None:
        before = after(n - 1)
        assert before is not None and before < THRESHOLDS[target]


@given(marks)
def test_average_stays_within_the_marks(existing):
    average = weighted_average(existing)
    if not existing:
        assert average is None
    else:
        assert average is not None
        assert min(v for v, _ in existing) <= average <= max(v for v, _ in existing)
        assert 1 <= round_mark(average) <= 5


@given(marks, weights)
def test_a_heavier_five_never_needs_more_marks(existing, weight):
    current = totals(existing)
    for target in (4, 5):
        assert fives_needed(current, weight=weight + 1, target=target) <= fives_needed(
            current, weight=weight, target=target
        )


def test_russian_plurals():
    assert [plural_ru(n, "пятёрка", "пятёрки", "пятёрок") for n in (1, 2, 5, 11, 21, 22, 112)] == [
        "пятёрка",
        "пятёрки",
        "пятёрок",
        "пятёрок",
        "пятёрка",
        "пятёрки",
        "пятёрок",
    ]
