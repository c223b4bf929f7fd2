"""Progress of a running import, visible to other processes while its transaction is open.

The import's own connection is inside one long transaction, so anything it wrote to the job
row would stay invisible until commit. A small thread writes stage, rows and a heartbeat to the
job row through a second, autocommit connection instead, at most twice a second; the import's
loop only sets attributes (no I/O on the hot path). Chosen over Redis: the job row is where
the API and the console already read, and it works without a broker (``--sync``).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

import psycopg
from django.db import connection
from django.utils.translation import gettext_lazy

logger = logging.getLogger(__name__)

# A test (or an operator reproducing a problem) can make the import stop at a named stage:
# it then sleeps there, with everything up to that point done and reported, until killed.
PAUSE_ENV = "IMPORT_PAUSE_AT"

STAGE_LABELS = {
    "queued": gettext_lazy("в очереди"),
    "open": gettext_lazy("проверка файлов"),
    "read_schools": gettext_lazy("чтение школ"),
    "read_people": gettext_lazy("чтение людей"),
    "read_memberships": gettext_lazy("чтение членств"),
    "read_guardians": gettext_lazy("чтение связей родитель — ребёнок"),
    "check": gettext_lazy("проверка ссылок и повторов"),
    "apply_schools": gettext_lazy("запись школ"),
    "apply_people": gettext_lazy("запись людей"),
    "apply_classes": gettext_lazy("запись классов"),
    "apply_memberships": gettext_lazy("запись членств"),
    "apply_guardians": gettext_lazy("запись связей родитель — ребёнок"),
    "apply_accounts": gettext_lazy("учётные записи"),
    "report": gettext_lazy("отчёт"),
    "done": gettext_lazy("готово"),
}


def conninfo() -> str:
    """The Django connection's database as a libpq connection string."""
    s = connection.settings_dict
    params = {
        "dbname": s["NAME"],
        "user": s["USER"] or "postgres",
        "password": s.get("PASSWORD"),
        "host": s.get("HOST"),
        "port": s.get("PORT"),
    }
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in params.items() if v})


class ProgressWriter:
    """``stage``/``rows_done``/``rows_total`` are plain attributes; a daemon thread flushes them."""

    INTERVAL = 0.5
    HEARTBEAT = 5.0

    def __init__(self, job_id: int, on_change: Callable[[str, int, int], None] | None = None) -> None:
        self.job_id = job_id
        self.stage = ""
        self.rows_done = 0
        self.rows_total = 0
        self.on_change = on_change
        # seconds per stage, for the operator's log and the benchmark
        self.timings: dict[str, float] = {}
        self._stage_started = time.monotonic()
        self._conn = psycopg.connect(conninfo(), autocommit=True, application_name=f"msh-import-{job_id}")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._written: tuple[str, int, int] | None = None
        self._last_write = 0.0
        self._thread = threading.Thread(target=self._run, name=f"import-progress-{job_id}", daemon=True)
        self._thread.start()

    def execute(self, sql: str, params: dict | list) -> None:
        """A statement on the progress connection (visible at once), e.g. the status."""
        with self._lock:
            self._conn.execute(sql, params)

    def enter(self, stage: str) -> None:
        now = time.monotonic()
        if self.stage:
            self.timings[self.stage] = round(now - self._stage_started, 3)
            logger.info("import job %s: %s took %.2f s", self.job_id, self.stage, now - self._stage_started)
        self.stage, self._stage_started = stage, now
        self.flush()
        pause = os.environ.get(PAUSE_ENV)
        if pause and pause == stage:
            logger.warning("import job %s paused at stage %s (%s)", self.job_id, stage, PAUSE_ENV)
            while True:
                time.sleep(3600)

    def flush(self, *, force_heartbeat: bool = False) -> None:
        state = (self.stage, self.rows_done, self.rows_total)
        now = time.monotonic()
        if state == self._written and not force_heartbeat and now - self._last_write < self.HEARTBEAT:
            return
        try:
            self.execute(
                "UPDATE public.imports_importjob SET stage = %s, rows_done = %s, rows_total = %s, "
                "heartbeat_at = now() WHERE id = %s AND status = 'running'",
                [state[0], min(state[1], state[2]) if state[2] else state[1], state[2], self.job_id],
            )
        except psycopg.Error:
            logger.exception("import job %s: progress not written", self.job_id)
            return
        self._written, self._last_write = state, now
        if self.on_change is not None:
            self.on_change(*state)

    def _run(self) -> None:
        while not self._stop.wait(self.INTERVAL):
            self.flush()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        with self._lock:
            self._conn.close()
