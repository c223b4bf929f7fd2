"""Russian pages: dates as DD.MM.YYYY everywhere (Django's own Russian DATE_FORMAT is
"25 ноября 2026 г.")."""

from django.conf.locale.ru.formats import *  # noqa: F403

DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
