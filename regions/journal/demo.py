"""The journal part of the demo (``tenants/demo.py`` calls it for each demo region after the
region is configured and its lessons generated): a lived-in current period — topics,
attendance, marks, homework up to today — and a few notifications for the demo accounts, so
a teacher's journal and a parent's diary are not empty. Running it again adds nothing."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Min
from django.utils import timezone
from django_tenants.utils import tenant_context

from regions.academics.models import StudyPeriod
from regions.journal.generate import FillCounts, journal_fill

if TYPE_CHECKING:
    from tenants.models import Region

# The latest marks of each student who has an account, announced to them and their parents as
# the services would have (in-app only: the demo sends no e-mail).
_NOTIFY_RECENT = """
WITH recent AS (
    SELECT m.id, m.student_id, m.value, m.weight, l.date, s.name AS subject,
           row_number() OVER (PARTITION BY m.student_id ORDER BY l.date DESC, m.id DESC) AS n
      FROM journal_mark m
      JOIN timetable_lesson l ON l.id = m.lesson_id
      JOIN teaching_subject s ON s.id = l.subject_id
     WHERE NOT m.is_deleted AND l.date >= %(since)s
), recipients AS (
    SELECT p.id AS student_id, p.user_id FROM people_person p WHERE p.user_id IS NOT NULL
    UNION
    SELECT g.child_id, pp.user_id
      FROM people_guardianlink g JOIN people_person pp ON pp.id = g.parent_id
     WHERE g.is_active AND pp.user_id IS NOT NULL
)
INSERT INTO journal_notification (recipient_id, kind, student_id, text, link, is_read, created_at,
                                  in_app, email_wanted)
SELECT r.user_id, 'mark_new', x.student_id,
       st.surname || ' ' || st.name || ': новая оценка ' || x.value || ' по предмету «' || x.subject
           || '» (вес ' || x.weight || '), урок ' || to_char(x.date, 'DD.MM.YYYY'),
       '/diary/?student=' || x.student_id || '&date=' || to_char(x.date, 'YYYY-MM-DD'),
       false, now(), true, false
  FROM recent x
  JOIN recipients r ON r.student_id = x.student_id
  JOIN people_person st ON st.id = x.student_id
 WHERE x.n <= 3
   AND NOT EXISTS (SELECT 1 FROM journal_notification e WHERE e.recipient_id = r.user_id)
"""


def journal_demo(*, region: Region) -> FillCounts | None:
    """Fill the current period of every school of ``region`` up to today (in the region's own
    time zone). ``None`` when the region has no period containing today yet."""
    try:
        tz = zoneinfo.ZoneInfo(region.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        tz = zoneinfo.ZoneInfo("Europe/Moscow")
    today = timezone.localdate(timezone=tz)
    with tenant_context(region):
        start = StudyPeriod.objects.filter(starts_on__lte=today, ends_on__gte=today).aggregate(
            start=Min("starts_on")
        )["start"]
        if start is None:
            return None
        counts = journal_fill(date_from=start, date_to=today, today=today)
        with connection.cursor() as cursor:
            cursor.execute(_NOTIFY_RECENT, {"since": today - datetime.timedelta(days=7)})
        return counts
