import pytest

from core.validators import (
    make_inn10,
    make_ogrn,
    make_snils,
    mask_snils,
    normalize_inn,
    normalize_kpp,
    normalize_ogrn,
    normalize_snils,
    parse_date,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("112-233-445 95", "11223344595"), ("087-654-321 02", "08765432102"), ("001-001-998 00", "00100199800")],
)
def test_snils_valid(raw, expected):
    assert normalize_snils(raw) == expected


@pytest.mark.parametrize("raw", ["112-233-445 96", "1122334459", "11223344595x", ""])
def test_snils_invalid_message_hides_value(raw):
    with pytest.raises(ValueError, match="СНИЛС") as info:
        normalize_snils(raw)
    assert "112" not in str(info.value)


def test_snils_generated_round_trip():
    for body in (1002000, 123456789, 987654321, 500000000):
        assert normalize_snils(make_snils(body)) == make_snils(body)


def test_mask_snils_shows_only_tail():
    assert mask_snils("11223344595") == "***-***-*45 95"


@pytest.mark.parametrize("ogrn", ["1027700132195", "1020500000010"[:12] + str(int("102050000001") % 11 % 10)])
def test_ogrn_valid(ogrn):
    assert normalize_ogrn(ogrn) == ogrn


def test_ogrn_invalid_check_digit():
    with pytest.raises(ValueError, match="контрольная"):
        normalize_ogrn("1027700132194")


def test_ogrnip_15_digits():
    body = "30450011600015"[:14]
    ogrnip = body + str(int(body) % 13 % 10)
    assert normalize_ogrn(ogrnip) == ogrnip


def test_inn_valid_and_invalid():
    assert normalize_inn("7707083893") == "7707083893"  # Сбербанк
    assert normalize_inn("500100732259") == "500100732259"
    with pytest.raises(ValueError, match="ИНН"):
        normalize_inn("7707083894")
    assert normalize_inn(make_inn10(50012345)) == make_inn10(50012345)


def test_generated_ogrn_is_valid():
    assert normalize_ogrn(make_ogrn(102050012345)) == make_ogrn(102050012345)


def test_kpp():
    assert normalize_kpp("770701001") == "770701001"
    with pytest.raises(ValueError, match="КПП"):
        normalize_kpp("7707")


@pytest.mark.parametrize("raw", ["2020-02-30", "31.02.2012", "2024-13-01"])
def test_an_impossible_date_is_quoted_back(raw):
    # shaped like a date, it cannot be a SNILS: the user sees which date is wrong
    with pytest.raises(ValueError, match="Дата") as info:
        parse_date(raw)
    assert raw in str(info.value)


@pytest.mark.parametrize("raw", ["112-233-445 95", "11223344595", "112 233 445 95"])
def test_a_snils_in_a_date_column_is_not_quoted_back(raw):
    with pytest.raises(ValueError, match="Дата") as info:
        parse_date(raw)
    assert "445" not in str(info.value)


def test_a_latin_look_alike_in_a_russian_name_is_pointed_at():
    from core.validators import normalize_person_name

    with pytest.raises(ValueError, match="латинская буква «a» \\(знак 3\\)") as info:
        normalize_person_name("Ивaнов", "Фамилия")  # the third letter is Latin
    assert str(info.value).startswith("Фамилия: ")
    with pytest.raises(ValueError, match="допускаются только русские буквы"):
        normalize_person_name("Smith", "Фамилия")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("М", "M"),
        ("ж", "F"),
        ("F", "F"),
        ("Мужской", "M"),
        ("женский", "F"),
        ("муж.", "M"),
        ("Жен", "F"),
        ("", ""),
    ],
)
def test_sex_as_registries_write_it(raw, expected):
    from core.validators import normalize_sex

    assert normalize_sex(raw) == expected


def test_unknown_sex_is_rejected():
    from core.validators import normalize_sex

    with pytest.raises(ValueError, match="Пол"):
        normalize_sex("X")


@pytest.mark.parametrize(
    "raw",
    ["01.09.2025", "1.9.2025", "01.09.2025 0:00:00", "2025-09-01", "2025-09-01T00:00:00", "2025-09-01 00:00"],
)
def test_dates_as_exports_write_them(raw):
    import datetime

    assert parse_date(raw) == datetime.date(2025, 9, 1)


@pytest.mark.parametrize("raw", ["01.09.25", "2025/09/01", "01.09.2025 утром", "1.13.2025", "2025-9-1"])
def test_dates_that_are_not_dates(raw):
    with pytest.raises(ValueError, match="Дата"):
        parse_date(raw)
