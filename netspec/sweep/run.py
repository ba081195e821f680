"""Where points run: in this process, over N processes (-j), or on a Dask cluster (--scheduler).

Each way yields the same rows in the same order (grid order): points go out in chunks and the
chunks come back in the order they were sent. Only the rows travel back; no graph is kept.
"""

from __future__ import annotations

import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator

from .evaluate import Evaluator, Row, Setup, rows_of

CHUNK = 128  # points per task: large enough that sending a task costs little next to its work


def _chunks(points: Iterable[tuple[int, tuple]], size: int = CHUNK) -> Iterator[list]:
    chunk = []
    for p in points:
        chunk.append(p)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def local_rows(setup: Setup, points: Iterable[tuple[int, tuple]]) -> Iterator[Row]:
    evaluator = Evaluator(setup)
    for index, values in points:
        yield evaluator.row(index, values)


def _work(args) -> list[Row]:
    setup, chunk = args
    return rows_of(setup, chunk)


def process_rows(setup: Setup, points: Iterable[tuple[int, tuple]], jobs: int) -> Iterator[Row]:
    """-j N: N worker processes (fork where the platform has it: the workers start warm), each
    compiling the spec once; `imap` returns the chunks in order."""
    import multiprocessing

    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)
    with context.Pool(jobs) as pool:
        for rows in pool.imap(_work, ((setup, c) for c in _chunks(points)), chunksize=1):
            yield from rows


class DaskMissing(Exception):
    """--scheduler without dask.distributed installed."""


def dask_rows(setup: Setup, points: Iterable[tuple[int, tuple]], address: str,
              window: int = 64) -> Iterator[Row]:
    """--scheduler ADDRESS: chunks as tasks on a Dask distributed cluster, at most `window` in
    flight (memory stays flat), results taken in submission order. `address` may also be a
    dask.distributed Client or cluster object (the tests pass a LocalCluster)."""
    try:
        from dask.distributed import Client
    except ImportError:
        raise DaskMissing from None
    client = address if isinstance(address, Client) else Client(address)
    try:
        scattered = client.scatter(setup, broadcast=True)
        pending: deque = deque()
        for chunk in _chunks(points):
            pending.append(client.submit(rows_of, scattered, chunk, pure=False))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()
    finally:
        if client is not address:
            client.close()


def with_progress(rows: Iterator[Row], total: int, stream=None) -> Iterator[Row]:
    """A progress line on stderr while rows come, only when stderr is a terminal and the sweep
    takes more than a moment; cleared at the end."""
    stream = stream if stream is not None else sys.stderr
    if not stream.isatty():
        yield from rows
        return
    start = last = time.monotonic()
    shown = False
    for done, row in enumerate(rows, 1):
        yield row
        now = time.monotonic()
        if now - last >= 0.2 and now - start >= 0.5:
            last = now
            rate = done / (now - start)
            width = 30
            filled = width * done // total if total else width
            stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} points, {rate:,.0f}/s")
            stream.flush()
            shown = True
    if shown:
        stream.write("\r" + " " * 79 + "\r")
        stream.flush()
