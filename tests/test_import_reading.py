"""Files as registries really export them: every reading rule, and files refused as a whole."""

from __future__ import annotations

import zipfile

import pytest
from django_tenants.utils import tenant_context

from regions.people.models import Person
from regions.schools.models import School
from tests.importing import Bundle, counts, region_state, run_import

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "options",
    [
        {"encoding": "cp1251"},
        {"encoding": "utf-8", "bom": True},
        {"delimiter": ";"},
        {"newline": "\r\n"},
        {"encoding": "cp1251", "delimiter": ";", "newline": "\r\n"},
    ],
    ids=["cp1251", "bom", "semicolon", "crlf", "cp1251-semicolon-crlf"],
)
def test_encodings_delimiters_and_line_ends(region_a, tmp_path, options):
    job = run_import(Bundle.sample().write(tmp_path / "b", **options))
    assert job.status == "succeeded", job.error
    assert counts(job, "people")["created"] == 5
    assert counts(job, "people")["rejected"] == 0
    with tenant_context(region_a):
        assert Person.objects.get(registry_id="S-1").name == "Алёна"  # ё survives cp1251


def test_quoted_fields_with_delimiters_quotes_and_newlines(region_a, tmp_path):
    b = Bundle.sample()
    b.schools[0]["address"] = 'ул. Ленина, д. 1;\nкорпус "Б"'
    b.schools[0]["full_name"] = 'МБОУ "Школа, где учатся"'
    path = b.write(tmp_path / "b", delimiter=";")
    job = run_import(path)
    assert job.status == "succeeded", job.error
    with tenant_context(region_a):
        s = School.objects.get(ogrn=b.schools[0]["ogrn"])
        assert s.address == 'ул. Ленина, д. 1;\nкорпус "Б"'
        assert s.full_name == 'МБОУ "Школа, где учатся"'


def test_line_numbers_count_from_the_header_and_skip_multiline_fields(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    rows = (path / "people.csv").read_text().splitlines()
    header, s1, s2, *rest = rows
    s1 = s1.replace("Сергеевна", '"Серге\nевна"')  # row 1 spans physical lines 2 and 3
    s2 = s2.replace("Фёдоров", "Fedorov")  # row 2 starts on physical line 4
    (path / "people.csv").write_text("\n".join([header, s1, s2, *rest]) + "\n")
    job = run_import(path)
    assert job.status == "succeeded", job.error
    found = {(r.line, r.field) for r in job.rejections.filter(file="people.csv")}
    assert found == {(2, "patronymic"), (4, "surname")}


def test_rows_of_delimiters_only_are_skipped_like_empty_lines(region_a, tmp_path):
    # a spreadsheet saved as CSV ends with the empty rows below its table: ";;;;;;;;"
    path = Bundle.sample().write(tmp_path / "b", delimiter=";", newline="\r\n")
    for name in ("people.csv", "memberships.csv"):
        with (path / name).open("a", encoding="utf-8", newline="") as f:
            f.write(";;;;;;;;\r\n ; ;;;;;;;\r\n\r\n;;\r\n")
    job = run_import(path)
    assert job.status == "succeeded", job.error
    assert not job.rejections.exists()
    assert counts(job, "people")["created"] == 5


def test_header_is_case_insensitive_and_unknown_columns_are_listed(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    people = (path / "people.csv").read_text().splitlines()
    people[0] = " Person_ID ,SNILS,Surname,NAME,patronymic,birth_date,sex,email,phone,nickname"
    (path / "people.csv").write_text("\n".join(people) + "\n")
    job = run_import(path)
    assert job.status == "succeeded", job.error
    assert job.unknown_columns == {"people.csv": ["nickname"]}


def test_zip_archive_with_a_folder_inside(region_a, tmp_path):
    folder = Bundle.sample().write(tmp_path / "b")
    archive = tmp_path / "bundle.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in folder.iterdir():
            z.write(f, f"export-2026/{f.name}")
    job = run_import(archive)
    assert job.status == "succeeded", job.error
    assert counts(job, "schools")["created"] == 2


def _assert_refused_and_unchanged(region_a, tmp_path, path, *expected_in_message):
    before = region_state(region_a)
    job = run_import(path)
    assert job.status == "failed"
    for text in expected_in_message:
        assert text in job.error
    assert "Ничего не изменено" in job.error
    assert region_state(region_a) == before
    assert not job.rejections.exists()
    return job


def test_missing_required_column_refuses_the_bundle(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    changed = Bundle.sample()
    changed.people[0]["surname"] = "Иванова"  # a good change in the same bundle is not applied
    path = changed.write(tmp_path / "v2", drop_columns={"memberships.csv": ["role"]})
    _assert_refused_and_unchanged(region_a, tmp_path, path, "memberships.csv", "role")


def test_a_file_without_its_header_line_is_refused_without_quoting_its_data(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    path = Bundle.sample().write(tmp_path / "v2")
    people = path / "people.csv"
    first_row = people.read_text(encoding="utf-8").splitlines()[1]
    people.write_text("\n".join(people.read_text(encoding="utf-8").splitlines()[1:]) + "\n", encoding="utf-8")
    job = _assert_refused_and_unchanged(region_a, tmp_path, path, "people.csv", "не заголовок")
    snils_value, surname = first_row.split(",")[1], first_row.split(",")[2]
    assert snils_value and snils_value not in job.error
    assert surname.lower() not in job.error.lower()


def test_an_identifier_in_the_header_is_not_quoted_back(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    people = path / "people.csv"
    lines = people.read_text(encoding="utf-8").splitlines()
    lines[0] = lines[0].replace("surname", "112-233-445 95")
    people.write_text("\n".join(lines) + "\n", encoding="utf-8")
    job = _assert_refused_and_unchanged(region_a, tmp_path, path, "surname", "person_id")
    assert "445" not in job.error


def test_missing_required_file_refuses_the_bundle(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    (path / "people.csv").unlink()
    _assert_refused_and_unchanged(region_a, tmp_path, path, "people.csv")


def test_undecodable_file_refuses_the_bundle(region_a, tmp_path):
    run_import(Bundle.sample().write(tmp_path / "v1"))
    path = Bundle.sample().write(tmp_path / "v2")
    # neither UTF-8 (a lone continuation byte) nor Windows-1251 (0x98 is undefined there)
    with (path / "people.csv").open("ab") as f:
        f.write(b"X-9,,\x98\x80\xff,\n")
    # the line of the first byte that is neither: where the operator has to look
    _assert_refused_and_unchanged(region_a, tmp_path, path, "people.csv, строка 7", "UTF-8", "Windows-1251")


def test_binary_file_refuses_the_bundle(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    (path / "schools.csv").write_bytes(b"PK\x03\x04\x00\x00binary")
    _assert_refused_and_unchanged(region_a, tmp_path, path, "schools.csv")


def test_not_a_zip_is_refused(region_a, tmp_path):
    path = tmp_path / "bundle.zip"
    path.write_bytes(b"not an archive")
    _assert_refused_and_unchanged(region_a, tmp_path, path, "ZIP")


def test_bad_manifest_is_refused(region_a, tmp_path):
    path = Bundle.sample().write(tmp_path / "b")
    (path / "manifest.csv").write_text("key,value\nformat,msh-registry-1\nregion,05\nmode,sometimes\n")
    _assert_refused_and_unchanged(region_a, tmp_path, path, "mode")


@pytest.mark.parametrize("at", [5, 20_000, 40_000])
def test_an_undecodable_byte_is_found_on_its_line_in_a_large_file(tmp_path, at):
    from tenants.imports.reading import BundleRefused, BundleSource, detect_encoding

    lines = [f"{n},Фёдорова,Алёна,Сергеевна\n".encode() for n in range(60_000)]  # ~2 MiB: several chunks
    lines[at - 1] = b"X,\x98\x80\xff,\n"
    (tmp_path / "people.csv").write_bytes(b"".join(lines))
    with pytest.raises(BundleRefused, match=f"people.csv, строка {at}:"):
        detect_encoding(BundleSource(tmp_path), "people.csv")
