"""A synthetic federal registry of any size in the platform's bundle format
(``docs/registry-bundle.md``): deterministic, with next versions and injected errors.
Used by ``manage.py make_registry``, the import tests and ``bench/bench_import.py``."""

from .generator import Options, Result, generate
from .output import Dialect

__all__ = ["Dialect", "Options", "Result", "generate"]
