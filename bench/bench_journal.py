#!/usr/bin/env python
"""The journal and the diary at region scale.

1. A region is loaded by the registry generator and importer (``make_registry`` +
   ``import_registry``, the onboarding path; Dagestan size by default, a small region with
   ``--quick``).
2. It is configured set-based: a school year with quarters, the region's seeded scale and
   control forms, ten subjects, a teacher per class and subject, and a timetable turned into the
   lessons of the current quarter for every class (substitutions, cancellations, remote lessons).
3. The quarter is lived in two halves by ``regions.journal.generate.journal_fill`` (topics,
   attendance, ~30 % of a lesson's students marked, homework). After each half the SQL
   queries of a student's week diary and a teacher's class journal page are counted — the
   counts must not change as the data grows.
4. gunicorn serves the region; ``wrk`` (or a Python client when wrk is missing) measures
   requests per second of a hello-world view, the diary week and the journal page, in the
   same run, through the same stack. Goal: the pages at ≥ 50 % of hello-world.

``BENCH`` lines: data sizes and generation times, ``*_queries_half`` / ``*_queries_full``,
``*_rps``, ``diary_week_vs_hello`` and ``journal_page_vs_hello``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from http.client import HTTPConnection
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, bench, drop_database, setup_django

# BENCH_JOURNAL_DB: a database name of one's own when several people bench on one server
DB = os.environ.get("BENCH_JOURNAL_DB", "msh_bench_journal")
HOST = "r05.bench.localhost"
DAGESTAN = {"schools": 1403, "students": 470_000, "teachers": 40_500}
# ten subjects of the federal list that every region has from its migrations
SUBJECTS = ["math", "rus", "lit", "eng", "history", "bio", "geo", "phys", "inf", "pe"]
LESSONS_PER_DAY = 5
# A browser sends back the CSRF cookie it got with its first page; so does every request here
# (without it, every response would make a new secret and set the cookie again).
CSRF_COOKIE = "bEnChCsRfSeCrEt0123456789abcdefg"


# --- 1. the region ----------------------------------------------------------------------------


def load_from_registry(args: argparse.Namespace, workdir: Path) -> None:
    from django.core.management import call_command

    bundle = workdir / "registry"
    call_command(
        "make_registry",
        "--schools",
        str(args.schools),
        "--students",
        str(args.students),
        "--teachers",
        str(args.teachers),
        "--seed",
        "1",
        str(bundle),
    )
    call_command("import_registry", "--region", "05", "--sync", "--no-progress", str(bundle))


# --- 2. configuration and the quarter's lessons -------------------------------------------------


def configure(*, q_start: datetime.date, q_end: datetime.date, year_start: datetime.date) -> dict[str, int]:
    """School year, quarters, scale, forms, subjects, teacher load and the lessons of the
    current quarter (``q_start`` … ``q_end``), all set-based."""
    from django.db import connection

    from regions.academics.models import AcademicYear, ControlForm, GradingScale, StudyPeriod
    from regions.teaching.models import Subject

    year = AcademicYear.objects.create(
        name="Бенчмарк",
        starts_on=year_start,
        ends_on=year_start + datetime.timedelta(days=300),
        period_kind="quarter",
    )
    previous = StudyPeriod.objects.create(
        academic_year=year, number=1, name="1 четверть", starts_on=year_start,
        ends_on=q_start - datetime.timedelta(days=8), closes_on=q_start - datetime.timedelta(days=1),
    )  # fmt: skip
    period = StudyPeriod.objects.create(
        academic_year=year, number=2, name="2 четверть", starts_on=q_start, ends_on=q_end,
        closes_on=q_end + datetime.timedelta(days=7),
    )  # fmt: skip
    del previous
    # the scale, the control forms and the subjects are the region's seeded defaults
    assert GradingScale.objects.filter(school__isnull=True, is_default=True).exists()
    assert ControlForm.objects.filter(school__isnull=True, is_active=True).exists()
    assert Subject.objects.filter(code__in=SUBJECTS).count() == len(SUBJECTS)
    statements = [
        "DROP TABLE IF EXISTS bench_subject, bench_teacher, bench_teacher_count",
        f"""CREATE TEMP TABLE bench_subject AS
           SELECT id, row_number() OVER (ORDER BY id) - 1 AS idx FROM teaching_subject
            WHERE code IN ({", ".join(f"'{c}'" for c in SUBJECTS)})""",  # noqa: S608 — constants
        """CREATE TEMP TABLE bench_teacher AS
           SELECT school_id, person_id, row_number() OVER (PARTITION BY school_id ORDER BY person_id) - 1 AS rn
             FROM people_membership WHERE role = 'teacher' AND is_active""",
        "CREATE INDEX ON bench_teacher (school_id, rn)",
        """CREATE TEMP TABLE bench_teacher_count AS
           SELECT school_id, count(*) AS n FROM bench_teacher GROUP BY school_id""",
        # a teacher per class and subject, spread over the school's teachers
        """INSERT INTO teaching_teachingassignment (teacher_id, school_id, subject_id, school_class_id, hours_per_week, is_active)
           SELECT t.person_id, c.school_id, s.id, c.id, 3, true
             FROM schools_schoolclass c
             JOIN bench_subject s ON true
             JOIN bench_teacher_count tc ON tc.school_id = c.school_id
             JOIN bench_teacher t ON t.school_id = c.school_id AND t.rn = (c.id * 7 + s.idx * 3) % tc.n""",
        # Monday–Saturday, five lessons a day, each slot a subject of the class's own rotation
        f"""INSERT INTO timetable_lesson (school_id, period_id, date, lesson_number, starts_at, ends_at,
                                          school_class_id, subject_id, teacher_id, status, is_remote, video_url,
                                          change_note, created_at, updated_at)
           SELECT c.school_id, {period.pk}, d::date, n,
                  time '08:00' + (n - 1) * interval '55 minutes', time '08:45' + (n - 1) * interval '55 minutes',
                  c.id, ta.subject_id, ta.teacher_id, 'scheduled', false, '', '', now(), now()
             FROM schools_schoolclass c
             CROSS JOIN generate_series(date '{q_start}', date '{q_end}', interval '1 day') d
             CROSS JOIN generate_series(1, {LESSONS_PER_DAY}) n
             JOIN bench_subject s ON s.idx = (c.id + extract(isodow FROM d)::int * 3 + n * 7) % 10
             JOIN teaching_teachingassignment ta ON ta.school_class_id = c.id AND ta.subject_id = s.id
            WHERE extract(isodow FROM d) < 7""",  # noqa: S608 — ints and dates of this script
        # the timetable's life: 2 % substitutions, 0.5 % cancellations, 0.5 % remote lessons
        """UPDATE timetable_lesson l SET substitute_id = t.person_id, change_note = 'замена'
             FROM bench_teacher_count tc, bench_teacher t
            WHERE l.id % 50 = 7 AND tc.school_id = l.school_id AND t.school_id = l.school_id
              AND t.rn = (l.id + 1) % tc.n AND t.person_id <> l.teacher_id""",
        "UPDATE timetable_lesson SET status = 'cancelled', change_note = 'карантин' WHERE id % 200 = 11",
        """UPDATE timetable_lesson SET is_remote = true, video_url = 'https://video.example.ru/' || id
            WHERE id % 200 = 13""",
        "ANALYZE",
    ]
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
        cursor.execute("SELECT count(*) FROM timetable_lesson")
        lessons = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM teaching_teachingassignment")
        assignments = cursor.fetchone()[0]
    return {"period": period.pk, "lessons": lessons, "assignments": assignments}


@dataclass(frozen=True)
class Personas:
    class_id: int
    class_size: int
    subject_id: int
    student_id: int
    cookies: dict[str, str]


def personas() -> Personas:
    """A student of a full class (with a parent), and the teacher of that class's mathematics:
    users linked to their people, and their session cookies."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Count

    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

    from core.models import User
    from core.roles import Role
    from regions.people.models import Membership, Person
    from regions.teaching.models import Subject, TeachingAssignment

    klass = (
        Membership.objects.filter(role="student", is_active=True, school_class__isnull=False)
        .values("school_class_id")
        .annotate(n=Count("id"))
        .order_by("-n", "school_class_id")
        .first()
    )
    assert klass is not None, "no class with students"
    class_id = klass["school_class_id"]
    student = (
        Person.objects.filter(memberships__school_class_id=class_id, memberships__role="student")
        .order_by("id")
        .first()
    )
    assert student is not None
    math = Subject.objects.get(code="math")
    teacher = (
        TeachingAssignment.objects.select_related("teacher")
        .get(school_class_id=class_id, subject=math)
        .teacher
    )
    cookies: dict[str, str] = {}
    for name, person, role in (("student", student, Role.STUDENT), ("teacher", teacher, Role.TEACHER)):
        user = User.objects.filter(username=f"bench-{name}").first() or User.objects.create_user(
            username=f"bench-{name}", roles=[role]
        )
        Person.objects.filter(pk=person.pk).update(user=user)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        cookies[name] = str(session.session_key)
    return Personas(class_id, klass["n"], math.pk, student.pk, cookies)


# --- 3. query counts --------------------------------------------------------------------------------


def count_queries(path: str, cookie: str, expect: str, *, page_cache: bool = True) -> int:
    """Queries of a repeat visit: with the page cache, a page served from it; without, a page
    rendered anew (the account, its viewer and the host's region still remembered)."""
    from django.db import connection
    from django.test import Client, override_settings
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST=HOST)
    client.cookies["sessionid"] = cookie
    client.cookies["csrftoken"] = CSRF_COOKIE
    with override_settings(JOURNAL_PAGE_CACHE=page_cache):
        client.get(path)  # warm: the first request of a process loads templates and caches
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    assert expect in response.content.decode(), (path, expect)
    return len([q for q in ctx.captured_queries if not q["sql"].startswith("SET search_path")])


def time_in_process(path: str, cookie: str, n: int = 60, *, page_cache: bool = True) -> float:
    """Median milliseconds of one request through the whole Django stack, in this process."""
    from django.test import Client, override_settings

    client = Client(HTTP_HOST=HOST)
    client.cookies["sessionid"] = cookie
    client.cookies["csrftoken"] = CSRF_COOKIE
    times = []
    with override_settings(JOURNAL_PAGE_CACHE=page_cache):
        client.get(path)
        for _ in range(n):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    return statistics.median(times)


# --- 4. throughput ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(workers: int, *, page_cache: bool = True) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "_journal_settings",
        "LOG_LEVEL": "WARNING",
        "JOURNAL_PAGE_CACHE": "1" if page_cache else "0",
    }
    cmd = [
        sys.executable, "-m", "gunicorn", "config.wsgi:application", "-b", f"127.0.0.1:{port}",
        "-w", str(workers), "--pythonpath", str(ROOT / "bench"), "--log-level", "warning",
    ]  # fmt: skip
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/bench-hello/", headers={"Host": HOST})
            with urllib.request.urlopen(request, timeout=2) as response:  # noqa: S310 — our own local server
                if response.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("gunicorn did not start")


def rps_wrk(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "-H",
            f"Host: {HOST}",
            "-H",
            f"Cookie: sessionid={cookie}; csrftoken={CSRF_COOKIE}",
            f"http://127.0.0.1:{port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{path}: error responses under load:\n{out}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not match:
        raise RuntimeError(f"wrk output not understood:\n{out}")
    return float(match.group(1))


def rps_python(port: int, path: str, cookie: str, seconds: int, connections: int) -> float:
    """The load generator when wrk is missing: ``connections`` threads, each request on its own
    connection (gunicorn's sync workers close it anyway)."""
    done = [0] * connections
    errors: list[int] = []
    stop = time.monotonic() + seconds

    def worker(i: int) -> None:
        while time.monotonic() < stop:
            conn = HTTPConnection("127.0.0.1", port, timeout=30)
            conn.request(
                "GET", path, headers={"Host": HOST, "Cookie": f"sessionid={cookie}; csrftoken={CSRF_COOKIE}"}
            )
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status != 200:
                errors.append(response.status)
            done[i] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError(f"{path}: {len(errors)} error responses under load")
    return sum(done) / (time.monotonic() - started)


def measure(
    region: object,
    cookies: dict[str, str],
    diary_now: str,
    journal: str,
    args: argparse.Namespace,
    duration: int,
) -> list[subprocess.Popen]:
    """In-process milliseconds, then requests per second through gunicorn and wrk."""
    from django_tenants.utils import tenant_context

    servers: list[subprocess.Popen] = []
    try:
        with tenant_context(region):
            # in-process, no server and no load generator: the steadier figure on a busy machine
            hello_ms = time_in_process("/bench-hello/", cookies["student"])
            bench("hello_ms", hello_ms, "ms")
            bench("diary_week_ms", time_in_process(diary_now, cookies["student"]), "ms")
            bench("journal_page_ms", time_in_process(journal, cookies["teacher"]), "ms")
            bench(
                "diary_week_uncached_ms",
                time_in_process(diary_now, cookies["student"], page_cache=False),
                "ms",
            )
            bench(
                "journal_page_uncached_ms",
                time_in_process(journal, cookies["teacher"], page_cache=False),
                "ms",
            )

        server, port = start_server(args.workers)
        servers.append(server)
        uncached, uncached_port = start_server(args.workers, page_cache=False)
        servers.append(uncached)
        load = rps_wrk if shutil.which("wrk") else rps_python
        rounds = 3
        print(f"# load: {load.__name__}, {args.workers} gunicorn workers, {args.connections} connections, "
              f"{rounds} rounds × {duration // rounds} s per page", flush=True)  # fmt: skip
        # the page cache's server, and the same stack without it: every page rendered anew
        pages = {
            "hello": (port, "/bench-hello/", cookies["student"]),
            "diary_week": (port, diary_now, cookies["student"]),
            "journal_page": (port, journal, cookies["teacher"]),
            "diary_week_uncached": (uncached_port, diary_now, cookies["student"]),
            "journal_page_uncached": (uncached_port, journal, cookies["teacher"]),
        }
        for at, path, cookie in pages.values():
            load(at, path, cookie, 2, args.connections)  # warm every worker
        # Interleaved rounds: a neighbour's load that comes and goes hits every page alike.
        rps: dict[str, list[float]] = {name: [] for name in pages}
        for _ in range(rounds):
            for name, (at, path, cookie) in pages.items():
                rps[name].append(load(at, path, cookie, max(1, duration // rounds), args.connections))
        for name in pages:
            bench(f"{name}_rps", statistics.mean(rps[name]), "req/s")
        for name in ("diary_week", "journal_page", "diary_week_uncached", "journal_page_uncached"):
            ratios = [page / hello for page, hello in zip(rps[name], rps["hello"], strict=True)]
            bench(f"{name}_vs_hello", statistics.median(ratios), "ratio")
    except BaseException:
        for process in servers:
            process.terminate()
        raise
    return servers


def reuse_django(database: str) -> None:
    """Django on an existing database (``--reuse``)."""
    sys.path.insert(0, str(ROOT))
    import django
    from _common import _with_database

    from config.embedded_db import embedded_database_url

    base = os.environ.get("DATABASE_URL") or embedded_database_url()
    os.environ["DATABASE_URL"] = _with_database(base, database)
    django.setup()


def measure_again(args: argparse.Namespace) -> object:
    """``--reuse``: the same personas (new sessions), their query counts, the measurements."""
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from tenants.models import Region

    region = Region.objects.get(code="05", status="active")
    today = timezone.localdate()
    duration = args.duration or (5 if args.quick else 15)
    with tenant_context(region):
        who = personas()
        journal = f"/journal/class/{who.class_id}/{who.subject_id}/"
        bench(
            "diary_week_queries_reuse", count_queries("/diary/", who.cookies["student"], "Дневник"), "queries"
        )
        bench(
            "journal_page_queries_reuse",
            count_queries(journal, who.cookies["teacher"], "Математика"),
            "queries",
        )
        bench(
            "diary_week_uncached_queries_reuse",
            count_queries("/diary/", who.cookies["student"], "Дневник", page_cache=False),
            "queries",
        )
        bench(
            "journal_page_uncached_queries_reuse",
            count_queries(journal, who.cookies["teacher"], "Математика", page_cache=False),
            "queries",
        )
        bench("journal_class_size", who.class_size, "students")
    del today
    servers = measure(region, who.cookies, "/diary/", journal, args, duration)
    for process in servers:
        process.terminate()
        process.wait(timeout=30)
    return region


# --- the run --------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small region, short runs")
    parser.add_argument("--schools", type=int)
    parser.add_argument("--students", type=int)
    parser.add_argument("--teachers", type=int)
    parser.add_argument(
        "--mark-rate", type=float, default=0.3, help="share of a lesson's students who get a mark"
    )
    parser.add_argument("--duration", type=int, help="seconds of load per page")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--keep", action="store_true", help="keep the database for inspection")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="measure again on the database a --keep run left (no loading or generation)",
    )
    args = parser.parse_args()
    # the same settings (and the hello-world view) in this process as in the server, and one
    # cache namespace for this process and every worker (the test settings' default is per process)
    os.environ["DJANGO_SETTINGS_MODULE"] = "_journal_settings"
    os.environ["CACHE_KEY_PREFIX"] = f"msh-bench-journal-{os.getpid()}"
    if args.reuse:
        reuse_django(DB)
    else:
        setup_django(DB)
    from django.core.management import call_command
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from regions.journal.generate import journal_fill
    from tenants.services import region_create

    size = {"schools": 20, "students": 6000, "teachers": 520} if args.quick else dict(DAGESTAN)
    for key in size:
        if getattr(args, key) is None:
            setattr(args, key, size[key])
    duration = args.duration or (5 if args.quick else 15)
    print(f"# region: {args.schools} schools, {args.students} students, {args.teachers} teachers "
          "(registry)", flush=True)  # fmt: skip

    workdir = Path(os.environ.get("BENCH_WORKDIR", ROOT / "var" / "bench-journal"))
    workdir.mkdir(parents=True, exist_ok=True)
    servers: list[subprocess.Popen] = []
    try:
        call_command("migrate_regions", verbosity=0, stdout=StringIO())
        if args.reuse:
            args.keep = True
            region = measure_again(args)
            return
        region = region_create(code="05", domains=[HOST])
        today = timezone.localdate()
        q_start = today - datetime.timedelta(days=today.weekday() + 8 * 7)  # a Monday, eight weeks ago
        q_end = today + datetime.timedelta(days=13)
        half = q_start + datetime.timedelta(days=4 * 7 - 1)
        from django.db import connection

        with tenant_context(region):
            started = time.perf_counter()
            load_from_registry(args, workdir)
            # the import ends on ``public`` (its job rows live there): back to the region
            connection.set_tenant(region)  # type: ignore[attr-defined]
            bench("journal_region_load", time.perf_counter() - started, "s")

            started = time.perf_counter()
            config = configure(q_start=q_start, q_end=q_end, year_start=q_start - datetime.timedelta(days=63))
            bench("journal_lessons_generated", config["lessons"], "lessons")
            bench("journal_lessons_time", time.perf_counter() - started, "s")
            who = personas()

            diary_mid = f"/diary/?date={(q_start + datetime.timedelta(days=17)).isoformat()}"
            diary_now = "/diary/"
            journal = f"/journal/class/{who.class_id}/{who.subject_id}/"
            cookies = who.cookies
            counts = {}
            for phase, (date_from, date_to) in (("half", (q_start, half)), ("full", (half, today))):
                started = time.perf_counter()
                # (each measured request leaves the connection on ``public``)
                with tenant_context(region):
                    filled = journal_fill(
                        date_from=date_from, date_to=date_to, today=today, mark_rate=args.mark_rate
                    )
                elapsed = time.perf_counter() - started
                bench(f"journal_fill_{phase}_marks", filled.marks, "marks")
                bench(f"journal_fill_{phase}_attendance", filled.attendance, "entries")
                bench(f"journal_fill_{phase}_homework", filled.homework, "homework")
                bench(f"journal_fill_{phase}_time", elapsed, "s")
                from django.db import connection

                with tenant_context(region), connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
                counts[phase] = (
                    count_queries(diary_mid, cookies["student"], "Дневник"),
                    count_queries(journal, cookies["teacher"], "Математика"),
                    count_queries(diary_mid, cookies["student"], "Дневник", page_cache=False),
                    count_queries(journal, cookies["teacher"], "Математика", page_cache=False),
                )
                bench(f"diary_week_queries_{phase}", counts[phase][0], "queries")
                bench(f"journal_page_queries_{phase}", counts[phase][1], "queries")
                bench(f"diary_week_uncached_queries_{phase}", counts[phase][2], "queries")
                bench(f"journal_page_uncached_queries_{phase}", counts[phase][3], "queries")
            bench(
                "diary_week_queries_now", count_queries(diary_now, cookies["student"], "Дневник"), "queries"
            )
            bench("journal_class_size", who.class_size, "students")
            if counts["half"] != counts["full"]:
                print(f"# WARNING: query counts changed with the data: {counts}", flush=True)

        servers = measure(region, cookies, diary_now, journal, args, duration)
    finally:
        for process in servers:
            process.terminate()
            process.wait(timeout=30)
        if not args.keep:
            drop_database(DB)


if __name__ == "__main__":
    main()
