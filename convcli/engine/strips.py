"""Run a filter over horizontal strips of the output, each with the input rows it needs,
spread over a thread pool. NumPy's ufuncs and FFTs release the GIL, so threads run in parallel;
strips small enough for the cache keep every pass over a strip out of main memory."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np

# How many bytes one strip's working set may take. On one thread a strip that stays well
# inside a core's L2 (2 MiB on the machine measured) is fastest. On several threads each
# ufunc call must also be long enough to pay for handing the GIL over, so strips are
# twice as large. benchmarks/README.md has the sweep.
CACHE_BYTES = 1 << 20
CACHE_BYTES_THREADED = 2 << 20

StripFilter = Callable[..., object]


def available_cores() -> int:
    """The cores this process may run on (the affinity mask where the OS has one)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def rows_for_cache(row_bytes: int, buffers: int, threads: int = 1) -> int:
    """How many output rows fit `buffers` row-sized arrays in one strip's byte budget (at least one).

    >>> rows_for_cache(48_000, 3), rows_for_cache(48_000, 3, threads=2)
    (7, 14)
    """
    budget = CACHE_BYTES if threads <= 1 else CACHE_BYTES_THREADED
    return max(1, budget // max(1, buffers * row_bytes))


def run(
    apply: StripFilter,
    band: Callable[[int, int], np.ndarray],
    out: np.ndarray,
    halo: int,
    rows: int,
    threads: int,
) -> None:
    """Call ``apply(band(r0, r1 + halo), out=out[r0 : r1])`` for consecutive strips of `rows`
    output rows, on up to `threads` threads. `band(start, stop)` gives those rows of the
    extended input; `halo` is the kernel height less one: the extra input rows a strip of
    output needs. The first exception raised in any strip propagates.
    """
    height = out.shape[0]
    starts = range(0, height, rows)

    def work(r0: int) -> None:
        r1 = min(r0 + rows, height)
        apply(band(r0, r1 + halo), out=out[r0:r1])

    if threads <= 1 or len(starts) == 1:
        for r0 in starts:
            work(r0)
        return
    for _ in _pool(min(threads, len(starts))).map(work, starts):
        pass


@lru_cache(maxsize=8)
def _pool(threads: int) -> ThreadPoolExecutor:
    """One pool per thread count, kept for the process: starting threads for every call
    costs more than filtering a small image."""
    return ThreadPoolExecutor(max_workers=threads, thread_name_prefix="convcli")
