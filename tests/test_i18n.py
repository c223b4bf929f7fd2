"""Languages: Russian first, English on request (ARCHITECTURE.md, "Languages").

The catalogs are complete and compiled; the key pages, the journal grid's script and an API
error speak English when asked (Accept-Language, the switcher's cookie) with no Russian left
outside the data (names of people, schools, subjects… stay as the registry and the region wrote
them); dates are DD.MM.YYYY in both languages; Russian plurals have their three forms.
"""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib  # type: ignore[import-untyped,unused-ignore]
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.template import Context, Template
from django.test import Client
from django.utils import formats, translation
from django_tenants.utils import schema_context, tenant_context

from core.roles import Role
from tests.conftest import IN_CI
from tests.factories import MembershipFactory, PersonFactory, UserFactory

ROOT = Path(settings.BASE_DIR)
LOCALE = ROOT / "locale"
CATALOGS = [
    LOCALE / lang / "LC_MESSAGES" / f"{domain}.po"
    for lang in ("en", "ru")
    for domain in ("django", "djangojs")
]
CYRILLIC_WORD = re.compile(r"[А-Яа-яЁё]+")
REGION_APPS = ("schools", "people", "academics", "teaching", "timetable", "journal")
EN = {"Accept-Language": "en"}


def key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


# --- the catalogs ------------------------------------------------------------------------------


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_english_catalog_has_every_entry_translated(domain):
    po = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / f"{domain}.po"))
    assert len(po) > (500 if domain == "django" else 10)
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po.obsolete_entries()] == []
    for entry in po.translated_entries():
        placeholders = sorted(set(re.findall(r"%\(\w+\)s", entry.msgid)))
        forms = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for text in forms:
            assert text.strip(), entry.msgid
            assert sorted(set(re.findall(r"%\(\w+\)s", text))) == placeholders, entry.msgid
            # a translator's slip: Russian left in the English (data formats such as «М или Ж»
            # and class names like 5А are quoted from what the registry writes)
            leftover = set(CYRILLIC_WORD.findall(text)) - {"М", "Ж", "А", "Моя", "школа"}
            assert not leftover, (entry.msgid, text)


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_russian_catalog_gives_plurals_their_forms(domain):
    po = polib.pofile(str(LOCALE / "ru" / "LC_MESSAGES" / f"{domain}.po"))
    assert "nplurals=4" in po.metadata["Plural-Forms"]
    assert [e.msgid for e in po.fuzzy_entries()] == []
    for entry in po:
        if entry.msgid_plural:
            assert len(entry.msgstr_plural) == 4 and all(entry.msgstr_plural.values()), entry.msgid
        else:
            assert entry.msgstr == "", f"the msgid is Russian already: {entry.msgid}"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_compiled_catalog_matches_its_po(path):
    """The committed .mo is what `make messages` would compile from the committed .po."""
    po = polib.pofile(str(path))
    mo = polib.mofile(str(path.with_suffix(".mo")))
    want = {}
    for e in po.translated_entries():
        want[key(e)] = dict(e.msgstr_plural) if e.msgid_plural else e.msgstr
    got = {}
    for e in mo:
        if e.msgid:
            got[key(e)] = {int(k): v for k, v in e.msgstr_plural.items()} if e.msgid_plural else e.msgstr
    assert got == want


def _gettext_tools() -> None:
    missing = [tool for tool in ("xgettext", "msgmerge", "msguniq") if shutil.which(tool) is None]
    if missing:
        message = f"GNU gettext is missing ({', '.join(missing)}): apt-get install gettext"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


def test_every_message_of_the_code_is_in_the_catalogs(tmp_path):
    """`make messages` over a copy of the sources finds nothing the catalogs lack (or hold
    that the code no longer uses)."""
    _gettext_tools()
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, tracked.split("\0")):
        if name.startswith(("tests/", "bench/", "deploy/", "docs/", "locale/")) or not name.endswith(
            (".py", ".html", ".js", ".txt")
        ):
            continue
        target = tmp_path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, target)
    for path in CATALOGS:
        (tmp_path / path.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, tmp_path / path.relative_to(ROOT))
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    common = ["--no-obsolete", "--add-location=file", "-i", "var", "-i", "locale"]
    for domain in ("django", "djangojs"):
        subprocess.run(
            [sys.executable, "manage.py", "makemessages", "-d", domain, "-l", "en", "-l", "ru", *common],
            cwd=tmp_path,
            env=env,
            check=True,
            capture_output=True,
        )
    for path in CATALOGS:
        ours = {key(e) for e in polib.pofile(str(path)) if not e.obsolete}
        fresh = {key(e) for e in polib.pofile(str(tmp_path / path.relative_to(ROOT))) if not e.obsolete}
        assert sorted(fresh - ours) == [], (
            f"not in {path.relative_to(ROOT)}: run `make messages` and translate"
        )
        assert sorted(ours - fresh) == [], f"no longer used, still in {path.relative_to(ROOT)}"


# --- formats and plurals -----------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_dates_are_dd_mm_yyyy_in_every_language(lang):
    day = datetime.date(2026, 11, 25)
    moment = datetime.datetime(2026, 11, 25, 9, 5, tzinfo=datetime.UTC)
    with translation.override(lang):
        assert formats.date_format(day) == "25.11.2026"
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "25.11.2026"
        assert formats.date_format(moment, "DATETIME_FORMAT") == "25.11.2026 09:05"
        assert Template("{{ d|date }}").render(Context({"d": day})) == "25.11.2026"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d.%m.%Y"
        assert formats.get_format("FIRST_DAY_OF_WEEK") == 1


def test_russian_plurals_have_three_forms():
    from regions.journal.grading import Hint, hint_lines

    with translation.override("ru"):
        words = [
            translation.ngettext("%(n)s регион", "%(n)s регионов", n) % {"n": n} for n in (1, 2, 5, 21, 112)
        ]
        assert words == ["1 регион", "2 региона", "5 регионов", "21 регион", "112 регионов"]
        assert hint_lines([Hint(5, 1, 2), Hint(5, 3, 1)]) == [
            "До 5: 2 пятёрки с весом 1 или 1 пятёрка с весом 3"
        ]
    with translation.override("en"):
        assert hint_lines([Hint(5, 1, 2), Hint(5, 3, 1)]) == [
            "For a 5: 2 fives of weight 1 or 1 five of weight 3"
        ]


# --- pages in English --------------------------------------------------------------------------


def data_words(region) -> set[str]:
    """Every Cyrillic word stored in the region's tables (and the federal ones): names of people,
    schools, classes, subjects, forms, periods… — data, shown as written."""
    words: set[str] = {"Русский"}  # the switcher names each language in itself
    from regions.academics import calendar

    words |= {w for name in calendar.PERIOD_NAME.values() for w in CYRILLIC_WORD.findall(name)}

    def collect(app_labels):
        for model in apps.get_models():
            if model._meta.app_label not in app_labels:
                continue
            fields = [
                f.attname
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField)
            ]
            for row in model._default_manager.values_list(*fields) if fields else ():
                for value in row:
                    words.update(CYRILLIC_WORD.findall(value or ""))

    with tenant_context(region):
        collect(REGION_APPS)
    with schema_context("public"):
        collect(("tenants",))
    return words | {w[0] for w in words}  # initials: «Иванова А. П.»


def russian_outside_data(html: str, words: set[str]) -> list[str]:
    html = re.sub(r"<style.*?</style>", "", html, flags=re.S)
    return sorted({w for w in CYRILLIC_WORD.findall(html) if w not in words})


def assert_english(response, words: set[str]) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="en">' in html
    assert response["Content-Language"] == "en"
    assert russian_outside_data(html, words) == []
    return html


def login(client: Client, region, user) -> Client:
    with tenant_context(region):
        client.force_login(user)
    return client


@pytest.fixture
def w(journal_world):
    return journal_world


def test_journal_grid_and_diary_week_in_english(w, region_a, client_a):
    from regions.journal import services

    with tenant_context(region_a):
        services.mark_create(
            actor=w.teacher.user,
            lesson_id=w.lesson.pk,
            student_id=w.st1.pk,
            value="5",
            control_form_id=w.test.pk,
        )
        services.attendance_set(
            actor=w.teacher.user, lesson_id=w.lesson.pk, student_id=w.st2.pk, kind="absent"
        )
    words = data_words(region_a)

    client = login(client_a, region_a, w.teacher.user)
    html = assert_english(client.get(f"/journal/class/{w.a.pk}/{w.math.pk}/", headers=EN), words)
    assert "Gradebook" in html and "Assessment type of new marks" in html
    assert 'class="att att-absent"' in html and ">a</button>" in html  # the attendance mark, in English
    assert "weight 3" in html  # the mark's title
    assert w.period.starts_on.strftime("%d.%m.%Y") in html
    assert "/jsi18n/?l=en" in html
    assert_english(client.get("/journal/", headers=EN), words)
    assert_english(client.get(f"/journal/lesson/{w.lesson.pk}/", headers=EN), words)

    assert_english(client.get(f"/journal/class/{w.a.pk}/{w.math.pk}/year/", headers=EN), words)

    client = login(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]), region_a, w.st1.user)
    html = assert_english(client.get("/diary/", headers=EN), words)
    assert "Diary" in html and w.today.strftime("%d.%m.%Y") in html
    assert_english(client.get("/diary/marks/", headers=EN), words)
    assert_english(client.get("/notifications/", headers=EN), words)
    assert_english(client.get("/notifications/settings/", headers=EN), words)
    assert_english(client.get("/", headers=EN), words)

    client = login(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]), region_a, w.parent.user)
    assert_english(client.get("/", headers=EN), words)
    assert_english(client.get(f"/diary/?student={w.st1.pk}", headers=EN), words)
    assert_english(client.get(f"/students/{w.st1.pk}/", headers=EN), words)

    client = login(Client(HTTP_HOST=client_a.defaults["HTTP_HOST"]), region_a, w.admin.user)
    html = assert_english(client.get("/journal/audit/", headers=EN), words)
    assert "Gradebook change history" in html
    assert_english(client.get(f"/schools/{w.s1.pk}/", headers=EN), words)
    assert_english(client.get(f"/classes/{w.a.pk}/", headers=EN), words)


def test_russian_stays_the_default(w, region_a, client_a):
    client = login(client_a, region_a, w.teacher.user)
    html = client.get(f"/journal/class/{w.a.pk}/{w.math.pk}/").content.decode()
    assert '<html lang="ru">' in html and "Форма контроля новых оценок" in html
    assert client.get("/journal/", HTTP_ACCEPT_LANGUAGE="de").content.decode().count('lang="ru"') == 1


def test_the_switcher_keeps_english_in_a_cookie(w, region_a, client_a):
    client = login(client_a, region_a, w.st1.user)
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/diary/"})
    assert response.status_code == 302 and response["Location"] == "/diary/"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert_english(client.get("/diary/"), data_words(region_a))  # no Accept-Language: the cookie
    client.post("/i18n/setlang/", {"language": "ru", "next": "/diary/"})
    assert '<html lang="ru">' in client.get("/diary/").content.decode()


def test_api_errors_in_english(w, region_a, client_a):
    client = login(client_a, region_a, w.teacher.user)
    body = {"lesson": w.lesson.pk, "student": w.st1.pk, "value": "7"}
    response = client.post("/api/v1/journal/marks/", body, content_type="application/json", headers=EN)
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Mark “7” is not on the scale")
    response = client.post("/api/v1/journal/marks/", body, content_type="application/json")
    assert response.json()["detail"].startswith("Оценка «7» не входит в шкалу")
    response = client.patch(
        "/api/v1/journal/marks/999999999/", {"value": "5"}, content_type="application/json", headers=EN
    )
    assert response.status_code == 404 and response.json()["detail"] == "Mark 999999999 not found"


def test_the_scripts_words_in_english(region_a, client_a):
    response = client_a.get("/jsi18n/?l=en", headers=EN)
    assert response.status_code == 200
    script = response.content.decode()
    assert f'{json.dumps("Оценка удалена")}: "Mark deleted"' in script
    assert "no-cache" in response["Cache-Control"] and response.has_header("Last-Modified")
    again = client_a.get("/jsi18n/?l=en", HTTP_IF_MODIFIED_SINCE=response["Last-Modified"], headers=EN)
    assert again.status_code == 304
    # the grid tells a generic refusal from a specific one by this text: both catalogs agree
    with translation.override("en"):
        django_word = translation.gettext("Некорректные данные")
    js = polib.pofile(str(LOCALE / "en" / "LC_MESSAGES" / "djangojs.po")).find("Некорректные данные")
    assert js is not None and js.msgstr == django_word


@pytest.fixture
def cast(region_a):
    from tests.config_world import build_world

    with tenant_context(region_a):
        w = build_world()
        w.rca = UserFactory(roles=[Role.REGIONAL_ADMIN])
        w.admin = UserFactory(roles=[Role.SCHOOL_ADMIN])
        MembershipFactory(person=PersonFactory(user=w.admin), school=w.school, role="school_admin")
        yield w


def test_region_home_settings_and_timetable_in_english(cast, region_a, client_a):
    from tests.test_config_pages import region_pages, school_pages

    words = data_words(region_a)
    client = login(client_a, region_a, cast.rca)
    html = assert_english(client.get("/", headers=EN), words)
    assert "Region settings" in html and "Regional education platform" in html
    html = assert_english(client.get(f"/schools/{cast.school.pk}/settings/", headers=EN), words)
    assert "School settings" in html and "Assessment types and weights" in html
    html = assert_english(
        client.get(f"/schools/{cast.school.pk}/timetable/?class={cast.c5a.pk}", headers=EN), words
    )
    assert "Save the week" in html and "Monday" in html
    for url in [*region_pages(), *school_pages(cast)]:
        assert_english(client.get(url, headers=EN), words)


def test_federal_console_in_english(operator_client, region_a, region_b):
    html = assert_english(operator_client.get("/", headers=EN), data_words(region_a))
    assert "Federal console" in html and "2 regions" in html
    assert "2 региона" in operator_client.get("/").content.decode()


def test_unknown_host_page_in_english(db):
    response = Client(HTTP_HOST="nowhere.localhost").get("/", headers=EN)
    assert response.status_code == 404
    assert 'lang="en"' in response.content.decode()
    assert russian_outside_data(response.content.decode(), {"Русский"}) == []


def test_the_sign_in_page_follows_the_platform_language(sso_client_a):
    """The development identity provider: ui_locales from the platform first, else the browser's
    Accept-Language; Russian when neither asks for English."""
    import requests

    start = sso_client_a.get("/accounts/login/", headers=EN)
    assert start.status_code == 302 and "ui_locales=en" in start["Location"]
    page = requests.get(start["Location"], timeout=10)
    assert '<html lang="en">' in page.text and "User name" in page.text and "Password" in page.text

    russian = sso_client_a.get("/accounts/login/")["Location"]
    assert "ui_locales=ru" in russian
    page = requests.get(russian, headers={"Accept-Language": "en"}, timeout=10)
    assert '<html lang="ru">' in page.text and "Имя пользователя" in page.text

    without = re.sub(r"[&?]ui_locales=\w+", "", russian)
    page = requests.get(without, headers={"Accept-Language": "de, en;q=0.8, ru;q=0.5"}, timeout=10)
    assert '<html lang="en">' in page.text and "Sign in" in page.text
    assert '<html lang="ru">' in requests.get(without, timeout=10).text
