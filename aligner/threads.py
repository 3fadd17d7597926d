"""How many threads this process computes with: the encoders' and the alignment search's."""

import os


def usable_cores() -> int:
    """``OMP_NUM_THREADS`` where set (as ``aligner batch`` sets it for its Ray workers, and as
    clusters' job scripts do), else the cores this process may run on."""
    threads = os.environ.get("OMP_NUM_THREADS", "")
    if threads.isdigit() and int(threads) > 0:
        return int(threads)
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
