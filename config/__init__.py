"""The Django project package: settings, URL roots, the Celery app.

It is not called ``platform``: a top-level ``platform`` package would shadow the
standard library module of that name, which ``uuid`` (and so Django) imports.
"""

from .celery import app as celery_app

__all__ = ["celery_app"]
