#!/usr/bin/env python
"""Region lifecycle: time to create a region (schema + all migrations), and a no-op migration
over many regions — django-tenants' ``migrate_schemas`` (baseline) beside ``migrate_regions``."""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from io import StringIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bench, drop_database, setup_django

DB = "msh_bench_regions"
CODES = [
    "01",
    "02",
    "03",
    "04",
    "05",
    "06",
    "07",
    "08",
    "09",
    "10",
    "11",
    "12",
    "13",
    "14",
    "15",
    "16",
    "17",
    "18",
    "19",
    "20",
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    setup_django(DB)
    from django.core.management import call_command

    from tenants.services import region_create

    try:
        call_command("migrate_regions", verbosity=0, stdout=StringIO())
        n = 10 if args.quick else 20
        create_times = []
        for code in CODES[:n]:
            started = time.perf_counter()
            region_create(code=code, domains=[f"r{code}.bench.localhost"])
            create_times.append(time.perf_counter() - started)
        bench("region_create_first", create_times[0], "s")
        bench("region_create_median", statistics.median(create_times), "s")

        for label, command in (
            ("migrate_schemas_noop", "migrate_schemas"),
            ("migrate_regions_noop", "migrate_regions"),
        ):
            started = time.perf_counter()
            extra = {"interactive": False} if command == "migrate_schemas" else {}
            call_command(command, verbosity=0, stdout=StringIO(), **extra)
            elapsed = time.perf_counter() - started
            bench(f"{label}_{n}_regions", elapsed, "s")
            if label == "migrate_schemas_noop":
                baseline = elapsed
        bench(f"migrate_regions_vs_migrate_schemas_{n}_regions", baseline / elapsed, "x_faster")
    finally:
        drop_database(DB)


if __name__ == "__main__":
    main()
