"""Settings of the server the journal benchmark starts: the test settings, plus a hello-world
view (the baseline) mounted beside the region's own URLs, served by the same stack.
``JOURNAL_PAGE_CACHE=0`` in the environment: the same server without the page cache."""

import os

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "_journal_urls"
DEBUG = False
JOURNAL_PAGE_CACHE = os.environ.get("JOURNAL_PAGE_CACHE", "1") != "0"
