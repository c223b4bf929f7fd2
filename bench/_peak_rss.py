"""``python bench/_peak_rss.py SCRIPT ARGS…``: run SCRIPT in this process as ``__main__`` and, at
exit, write this process's peak resident memory in kB (``VmHWM`` of ``/proc/self/status``) to the
file named by ``PEAK_RSS_FILE``.

Why not ``os.wait4``'s ``ru_maxrss``: Linux carries a process's maxrss across ``exec``, and
``subprocess`` starts a child by ``vfork``, so a child of a large process (the benchmark, holding
django-import-export's run) reports its parent's size, not its own. ``VmHWM`` belongs to the
address space that ``exec`` made, so it is this program's own peak."""

from __future__ import annotations

import atexit
import os
import runpy
import sys


def _write_peak() -> None:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                with open(os.environ["PEAK_RSS_FILE"], "w") as out:
                    out.write(line.split()[1])
                return


if __name__ == "__main__":
    atexit.register(_write_peak)
    sys.argv = sys.argv[1:]
    sys.path.insert(0, os.path.dirname(os.path.abspath(sys.argv[0])))
    runpy.run_path(sys.argv[0], run_name="__main__")
