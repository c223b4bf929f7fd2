"""End to end in a real headless Chromium (the machine's, driven by Playwright): a teacher logs
in through the development identity provider (the region's realm, authorization code flow with
PKCE), opens the class journal, enters a mark with the keyboard (one request); the parent logs in
and sees the mark in the diary and the notification.

The server is a separate ``runserver`` process on the test database. Its data must be
committed, so the test creates its own region (86, ``r86.localhost``) with the journal's cast,
and drops that region's schema and rows afterwards — nothing of it can reach other tests, and
no flush touches the session's regions 05 and 16.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import zoneinfo
from pathlib import Path

import pytest
import requests
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from core.db import db as tenant_db
from tests.conftest import IN_CI, database_url_for_subprocess

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CODE, HOST = "86", "r86.localhost"
PASSWORD = "e2e-Пароль-1"


def require_chromium() -> None:
    if not Path(CHROMIUM).exists():
        message = f"Chromium не найден: {CHROMIUM}"
        if IN_CI:
            pytest.fail(f"{message}: в CI он обязателен")
        pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def login(page, base: str, username: str, password: str) -> None:
    """Log a user in as a browser does: the site sends it to the region's realm of the
    development identity provider, its login form, back to the site's callback, home."""
    page.goto(f"{base}/accounts/login/?next=/")
    page.wait_for_url(re.compile(r"/realms/region-86/"))
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{base}/")


@pytest.fixture
def e2e_region(django_db_setup, django_db_blocker):
    """A committed region with the journal's cast; dropped afterwards."""
    from core.models import AuditEvent
    from tenants.models import Domain, Region
    from tenants.services import region_create
    from tests.journal_world import build_journal_world

    with django_db_blocker.unblock():
        region = region_create(code=CODE, domains=[HOST])
        try:
            # The server's pages mark "today" in the region's time zone (tenants/middleware.py):
            # Yugra is UTC+5, so from 19:00 UTC its today is tomorrow in UTC.
            region_today = timezone.localdate(timezone=zoneinfo.ZoneInfo(region.timezone))
            with tenant_context(region):
                w = build_journal_world(prefix="E2E ", today=region_today)
            yield region, w, database_url_for_subprocess()
        finally:
            tenant_db.set_schema_to_public()
            with connection.cursor() as cursor:
                cursor.execute(f'DROP SCHEMA IF EXISTS "{region.schema_name}" CASCADE')
            Domain.objects.filter(tenant=region).delete()
            Region.objects.filter(pk=region.pk).delete()
            with schema_context("public"):
                AuditEvent.objects.filter(action="region_create", entity_id=CODE).delete()


def logins(region, w, port: int) -> dict[str, str]:
    """The region's realm with the server's redirect URIs, and accounts for the cast through
    the platform's own provisioning; returns the login names of the teacher and the parent."""
    from django.test import override_settings

    from tenants.identity.services import accounts_provision, keycloak_username, realm_ensure

    names = {
        who: keycloak_username(registry_id=p.registry_id, username=p.user.username)
        for who, p in (("teacher", w.teacher), ("parent", w.parent))
    }
    with override_settings(SITE_PORT=str(port)):
        realm_ensure(region=region)
        accounts_provision(region=region, passwords=dict.fromkeys(names.values(), PASSWORD))
    return names


@pytest.fixture
def server(e2e_region, dev_idp, django_db_blocker):
    region, w, db_url = e2e_region
    port = free_port()
    with django_db_blocker.unblock():
        w.logins = logins(region, w, port)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": db_url,
        "MSH_TEST_IDP_URL": dev_idp.url,
        "CELERY_TASK_ALWAYS_EAGER": "1",
        "LOG_LEVEL": "WARNING",
    }
    log = tempfile.NamedTemporaryFile(prefix="e2e-server-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=Path(settings.BASE_DIR),
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", headers={"Host": HOST}, timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                log.flush()
                pytest.fail(
                    "the server did not start:\n" + Path(log.name).read_text(errors="replace")[-3000:]
                )
            time.sleep(0.3)
        yield base, w
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def fits_the_screen(page) -> bool:
    """Nothing sticks out sideways: the page scrolls only down (wide tables scroll in their box)."""
    return page.evaluate("() => document.documentElement.scrollWidth <= document.documentElement.clientWidth")


def test_teacher_enters_a_mark_and_the_parent_sees_it(server):
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    base, w = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            # --- the teacher ---------------------------------------------------------------------
            teacher = browser.new_context(locale="ru-RU")
            page = teacher.new_page()
            login(page, base, w.logins["teacher"], PASSWORD)
            page.click("text=Журнал")
            page.click(f"a[href='/journal/class/{w.a.pk}/{w.math.pk}/']  >> nth=0")
            expect(page.locator("h1")).to_contain_text("5А · Математика")
            expect(page.locator("#journal[data-ready='1']")).to_have_count(1)  # the script is running

            row = page.locator(f"tr[data-student='{w.st1.pk}']")
            row.locator("input.entry").first.focus()  # the period's first lesson
            page.keyboard.press("ArrowRight")  # → the second lesson
            page.keyboard.press("ArrowRight")  # → the third: w.lesson
            target = row.locator(f"td[data-lesson='{w.lesson.pk}'] input.entry")
            expect(target).to_be_focused()

            requests_made: list[str] = []
            page.on(
                "request", lambda r: requests_made.append(f"{r.method} {r.url}") if "/api/" in r.url else None
            )
            page.keyboard.type("5")
            page.keyboard.press("Enter")
            cell = row.locator(f"td[data-lesson='{w.lesson.pk}']")
            expect(cell.locator("button.mark")).to_have_text("5")
            expect(page.locator("#journal-status")).to_contain_text("сохранена")
            assert requests_made == [f"POST {base}/api/v1/journal/marks/"]
            # the focus moved down to the next student, ready for the next mark
            expect(
                page.locator(f"tr[data-student='{w.st2.pk}'] td[data-lesson='{w.lesson.pk}'] input.entry")
            ).to_be_focused()

            # a mark outside the scale is refused with the reason, and nothing is added
            page.keyboard.type("7")
            page.keyboard.press("Enter")
            expect(page.locator("#journal-status")).to_contain_text("«7»")
            expect(
                page.locator(f"tr[data-student='{w.st2.pk}'] td[data-lesson='{w.lesson.pk}'] button.mark")
            ).to_have_count(0)

            # the row's average, proposed final and hints follow each mark without a reload, and
            # say what the server says: 5 (weight 1) → 5,00 → 5
            expect(row.locator("td.avg")).to_have_text("5,00")
            expect(row.locator("input.final-entry")).to_have_attribute("placeholder", "5")
            page.select_option("#control-form", str(w.test.pk))  # «Контрольная работа», weight 3
            row.locator(f"td[data-lesson='{w.lessons[1].pk}'] input.entry").focus()
            page.keyboard.type("2")
            page.keyboard.press("Enter")
            # (5·1 + 2·3) / 4 = 2,75 → 3; a 4 needs 3.5: (11 + 5n)/(4 + n) ≥ 3.5 → n = 2 of weight 1,
            # (11 + 10)/6 = 3.5 → 1 of weight 2; a 5 needs 4.5: (11 + 5n)/(4 + n) ≥ 4.5 → n = 14
            expect(row.locator("td.avg")).to_have_text("2,75")
            expect(row.locator("input.final-entry")).to_have_attribute("placeholder", "3")
            hints = row.locator("td.avg").get_attribute("title") or ""
            assert (
                hints.startswith("До 4: 2 пятёрки с весом 1 или 1 пятёрка с весом 2")
                and "До 5: 14 пятёрок с весом 1" in hints
            )
            page.reload()
            expect(page.locator("#journal[data-ready='1']")).to_have_count(1)
            assert (
                row.locator("td.avg").inner_text() == "2,75"
                and row.locator("td.avg").get_attribute("title") == hints
            )
            # a deleted mark leaves the average too (the dialog, then the browser's confirmation)
            page.on("dialog", lambda d: d.accept())
            row.locator(f"td[data-lesson='{w.lessons[1].pk}'] button.mark").click()
            page.click("#mark-dialog button[value=delete]")
            expect(page.locator("#journal-status")).to_contain_text("удалена")
            expect(row.locator("td.avg")).to_have_text("5,00")
            expect(row.locator("input.final-entry")).to_have_attribute("placeholder", "5")

            # the period final: Enter on the empty cell confirms the proposal; typed over, it is
            # the teacher's own (the value typed replaces the one there, as in a spreadsheet)
            final = row.locator("input.final-entry")
            final.click()
            page.keyboard.press("Enter")
            expect(page.locator("#journal-status")).to_contain_text("Итоговая оценка 5 подтверждена")
            expect(final).to_have_value("5")
            final.click()
            page.keyboard.type("4")
            page.keyboard.press("Enter")
            expect(page.locator("#journal-status")).to_contain_text("изменена учителем, предложено 5")
            expect(final).to_have_value("4")

            # on a phone the grid opens scrolled to today's lesson, next to the names
            page.set_viewport_size({"width": 390, "height": 844})
            page.reload()
            expect(page.locator("#journal[data-ready='1']")).to_have_count(1)
            wrap = page.locator(".grid-wrap").first.bounding_box()
            today = page.locator("#journal thead th.today").bounding_box()
            assert wrap and today and page.locator(".grid-wrap").first.evaluate("e => e.scrollLeft") > 0
            assert wrap["x"] <= today["x"] and today["x"] + today["width"] <= wrap["x"] + wrap["width"]
            assert fits_the_screen(page)
            page.goto(f"{base}/journal/lesson/{w.lesson.pk}/")  # topic, homework form with files
            assert fits_the_screen(page)
            page.goto(f"{base}/journal/")  # the teacher's list of journals
            assert fits_the_screen(page)
            teacher.close()

            # --- the parent, on a phone -------------------------------------------------------------
            parent = browser.new_context(
                locale="ru-RU", viewport={"width": 390, "height": 844}, is_mobile=True
            )
            page = parent.new_page()
            login(page, base, w.logins["parent"], PASSWORD)
            # the 5, the 2 and the 2 taken back
            expect(page.locator("#nav-notifications .badge")).to_have_text("3")
            page.click("text=Дневник")
            page.click(f"a[href='?student={w.st1.pk}']")
            page.goto(f"{base}/diary/?student={w.st1.pk}&date={w.lesson.date.isoformat()}")
            assert fits_the_screen(page)
            lesson_row = page.locator(f"tr[data-lesson='{w.lesson.pk}']")
            expect(lesson_row).to_contain_text("Математика")
            expect(lesson_row.locator(".mark")).to_have_text(re.compile(r"^5"))
            page.click("#nav-notifications")
            expect(page.locator("ul.notifications li").first).to_contain_text("Алиев Артём: оценка 2 удалена")
            expect(page.locator("ul.notifications li").last).to_contain_text("Алиев Артём: новая оценка 5")
            page.click("text=Отметить все прочитанными")
            expect(page.locator("#nav-notifications .badge")).to_have_count(0)
            assert fits_the_screen(page)
            page.goto(f"{base}/diary/marks/?student={w.st1.pk}")
            assert fits_the_screen(page)
            parent.close()
        finally:
            browser.close()
