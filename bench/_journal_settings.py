"""Settings of the server the journal benchmark starts: the test settings, plus a hello-world
view (the baseline) mounted beside the region's own URLs, served by the same stack."""

from config.settings.test import *  # noqa: F403

ROOT_URLCONF = "_journal_urls"
DEBUG = False
